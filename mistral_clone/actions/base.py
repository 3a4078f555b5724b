"""Action descriptors: what the engine knows about an action before running it.

A descriptor carries the user-visible metadata of one action (name,
description, parameter spec string, namespace) and knows how to

* check an input dict against the parameter spec (``check_parameters``),
* build a runnable action object from an input dict (``instantiate``),
* turn a raw result into the final one (``post_process_result``),
* tell whether an instantiated action is synchronous (``is_sync``).

Instantiation is a pure function of (descriptor identity, input, workflow
context): a remote executor that re-resolves the descriptor by name gets the
very same action.
"""

import inspect
import json

from mistral_lib import actions as ml_actions
from mistral_lib import exceptions as ml_exc

from mistral_clone import exceptions as exc


# --- parameter spec strings --------------------------------------------------

def params_spec_from_callable(func):
    """Build the ``"a, b=1, **kw"`` string for a callable (usually __init__).

    Defaults are JSON-encoded. A default that JSON cannot encode is left out
    of the string *together with its parameter name* - the reference does the
    same, which makes such a parameter "unexpected" at check time.
    A function may publish a ready-made string as ``__arguments__``.
    """
    explicit = getattr(func, '__arguments__', None)
    if explicit:
        return explicit

    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return ''

    parts = []
    var_kw = None
    for param in signature.parameters.values():
        if param.name == 'self':
            continue
        if param.kind == param.VAR_KEYWORD:
            var_kw = param.name
            continue
        if param.kind == param.VAR_POSITIONAL:
            continue
        if param.default is param.empty:
            parts.append(param.name)
            continue
        try:
            parts.append('%s=%s' % (param.name, json.dumps(param.default)))
        except (TypeError, ValueError):
            pass  # quirk kept on purpose, see docstring

    if var_kw:
        parts.append('**%s' % var_kw)

    return ', '.join(parts)


def parse_params_spec(params_spec):
    """Split a spec string into (required names, optional names, accepts_any).

    The string is split on commas and each part on its first ``=``, with no
    escaping: a default like ``[1, 2]`` therefore produces a bogus required
    name ``2]`` - exactly what the reference does with such specs.
    """
    required, optional = [], []
    accepts_any = False
    for raw in (params_spec or '').split(','):
        part = raw.strip()
        if not part:
            continue
        if part.startswith('**'):
            accepts_any = True
            continue
        if '=' in part:
            optional.append(part.split('=', 1)[0].strip())
        else:
            required.append(part)
    return required, optional, accepts_any


def check_params_against_spec(name, class_path, params_spec, input_dict):
    """Raise InputException if ``input_dict`` does not fit ``params_spec``."""
    required, optional, accepts_any = parse_params_spec(params_spec)
    if accepts_any:
        return
    input_dict = input_dict or {}
    known = set(required) | set(optional)
    missing = [p for p in required if p not in input_dict]
    unexpected = [p for p in input_dict if p not in known]
    if not missing and not unexpected:
        return
    parts = ['name=%s' % name, 'class=%s' % class_path]
    if missing:
        parts.append('missing=%s' % missing)
    if unexpected:
        parts.append('unexpected=%s' % unexpected)
    raise exc.InputException('Invalid input [%s]' % ', '.join(parts))


def class_path_of(cls):
    """Dotted path of a class, honouring a ``_class_path`` override."""
    override = cls.__dict__.get('_class_path') if isinstance(cls, type) \
        else None
    if override:
        return override
    return '%s.%s' % (cls.__module__, cls.__qualname__)


# --- descriptors -------------------------------------------------------------

class ActionDescriptor(object):
    """Base descriptor. Subclasses set the attributes and ``instantiate``."""

    #: class path shown in parameter errors
    class_path = None
    #: True for python actions known without the database (std.*, plugins)
    is_system = False
    #: ad-hoc definition text, '' for python actions
    definition = ''
    #: 'python' | 'adhoc'
    kind = None

    def __init__(self, name, description=None, params_spec='', namespace='',
                 project_id=None, scope='public', tags=None):
        self.name = name
        self.description = description
        self.params_spec = params_spec or ''
        self.namespace = namespace or ''
        self.project_id = project_id
        self.scope = scope
        self.tags = tags

    # -- behaviour ------------------------------------------------------------

    def check_parameters(self, input_dict):
        check_params_against_spec(
            self.name, self.class_path, self.params_spec, input_dict
        )

    def instantiate(self, input_dict, wf_ctx=None):
        raise NotImplementedError

    def input_with_defaults(self, input_dict):
        """The input an action execution records: what was given (python
        actions keep their defaults in their signature)."""
        return dict(input_dict or {})

    def post_process_result(self, result):
        return as_result(result)

    def is_sync(self, action):
        return bool(action.is_sync())

    # -- description ----------------------------------------------------------

    def to_dict(self):
        """Plain-data description (API listings, remote executors).

        ``name``/``namespace``/``project_id`` are enough for an executor to
        re-resolve the same descriptor through the shared lookup.
        """
        return {
            'name': self.name,
            'namespace': self.namespace,
            'project_id': self.project_id,
            'kind': self.kind,
            'is_system': self.is_system,
            'input': self.params_spec,
            'description': self.description,
            'class_path': self.class_path,
            'definition': self.definition,
            'scope': self.scope,
            'tags': self.tags,
        }

    def __eq__(self, other):
        return (type(self) is type(other) and
                self.name == other.name and
                self.namespace == other.namespace and
                self.project_id == other.project_id)

    def __hash__(self):
        return hash((type(self).__name__, self.name, self.namespace,
                     self.project_id))


def descriptor_to_dict(descriptor):
    return descriptor.to_dict()


class PythonActionDescriptor(ActionDescriptor):
    """An action implemented by a mistral-lib ``Action`` subclass.

    Parameters are the constructor arguments; ``cls_attrs`` (optional) makes
    a dynamic subclass with those class attributes, as mistral-lib does.
    """

    kind = 'python'

    def __init__(self, name, cls, cls_attrs=None, description=None,
                 params_spec=None, namespace='', project_id=None,
                 is_system=True, scope='public', tags=None):
        if description is None:
            description = inspect.getdoc(cls)
        if params_spec is None:
            params_spec = params_spec_from_callable(cls.__init__)
        super().__init__(name, description, params_spec, namespace,
                         project_id, scope, tags)
        self.cls = cls
        self.cls_attrs = dict(cls_attrs or {})
        self.is_system = is_system
        self.class_path = class_path_of(cls)

    def _action_class(self):
        if not self.cls_attrs:
            return self.cls
        return type(self.cls.__name__, (self.cls,), self.cls_attrs)

    def instantiate(self, input_dict, wf_ctx=None):
        try:
            return self._action_class()(**(input_dict or {}))
        except (exc.ActionException, ml_exc.ActionException) as e:
            raise exc.ActionException(_exc_text(e)) from e
        except Exception as e:
            raise exc.ActionException(
                '%s: %s' % (type(e).__name__, e)
            ) from e

    def __repr__(self):
        return "Python action [name=%s, cls=<class '%s'>]" % (
            self.name, self.class_path)


# --- helpers shared by the package -------------------------------------------

def as_result(value):
    """Wrap a plain value as a Result (Results pass through)."""
    if isinstance(value, ml_actions.Result):
        return value
    return ml_actions.Result(data=value)


def _exc_text(e):
    text = getattr(e, 'message', None)
    if isinstance(text, str):
        return text
    return str(e)
