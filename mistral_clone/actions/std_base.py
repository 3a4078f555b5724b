"""Base of the std.* python actions: reference-compatible repr and class path.

Each std action is a mistral-lib ``Action``; its constructor arguments are
the action parameters (names and defaults are part of the wire format: they
make the ``input`` string shown by ``GET /v2/actions``). Classes keep all
their state in plain attributes, so mistral-lib's serialiser can ship them to
a remote executor. Their ``repr`` and parameter error class path mimic the
reference's module (``mistral.actions.std_actions``) because users see and
match both in error messages.
"""

from mistral_lib import actions as ml_actions

REFERENCE_MODULE = 'mistral.actions.std_actions'


class StdAction(ml_actions.Action):
    """Common base: reference-compatible repr and class path."""

    def __repr__(self):
        return '<%s.%s object at 0x%x>' % (
            REFERENCE_MODULE, type(self).__name__, id(self))

    def run(self, context):  # pragma: no cover - overridden everywhere
        raise NotImplementedError


def set_class_paths(*classes):
    for cls in classes:
        cls._class_path = '%s.%s' % (REFERENCE_MODULE, cls.__name__)
