"""Mistral's expression functions and the data-provider hook.

Every function takes the *data context* (the mapping the expression is
evaluated against: a ``ContextView`` or a dict) as its first argument; the
YAQL and Jinja bindings hide that argument from the expression author.

Functions that need the database (``task``, ``tasks``, ``execution``,
``executions``, ``global``) ask the current :class:`DataProvider`, installed
by the engine around evaluation through a ``contextvars.ContextVar``::

    with using_data_provider(MyProvider(session)):
        expressions.evaluate_recursively(spec, ctx)
"""

import collections.abc
import contextlib
import contextvars
import json
import logging
import sys
import uuid

import yaml

from mistral_clone import exceptions as exc

LOG = logging.getLogger(__name__)

PLUGIN_GROUP = 'mistral.expression.functions'


class DataProvider(object):
    """Source of workflow/task execution data for the DB-backed functions.

    ``context`` is always the data context of the evaluation (a Mapping). It
    may hold ``__execution: {id}`` and ``__task_execution: {id, name}``; read
    them with ``context.get(...)`` (absent means "not in that scope").

    Exceptions whose type is listed in ``passthrough_exceptions`` propagate
    unchanged out of ``evaluate()`` (e.g. DB errors the caller retries);
    every other exception becomes an EvaluationException.
    """

    passthrough_exceptions = ()

    def task(self, context, task_name):
        """Task execution dict, or None.

        ``task_name is None`` asks for the task execution currently being
        evaluated (``context['__task_execution']['id']``); otherwise the
        latest execution of task ``task_name`` in the current workflow
        execution (``context['__execution']['id']``), or None if none.
        Dict keys: id, name, spec, state, state_info, result, published,
        type, workflow_execution_id, created_at, updated_at.
        """
        raise NotImplementedError

    def tasks(self, context, workflow_execution_id, recursive, state, flat):
        """List of task execution dicts (shape as in :meth:`task`).

        No ``workflow_execution_id``: tasks of every visible execution;
        ``recursive`` (with an id) includes sub-workflows' tasks; ``state``
        is an exact-match filter; ``flat`` keeps ACTION tasks and WORKFLOW
        tasks whose state differs from their sub-workflow's state.
        """
        raise NotImplementedError

    def execution(self, context):
        """Current workflow execution dict: id, name, spec, input, params,
        created_at, updated_at, root_execution_id."""
        raise NotImplementedError

    def executions(self, context, id, root_execution_id, state, from_time,
                   to_time):
        """List of workflow execution dicts filtered by equality on
        id/root_execution_id/state and ``from_time <= created_at <
        to_time`` (strings 'YYYY-MM-DD hh:mm:ss'; None = no bound)."""
        raise NotImplementedError

    def global_var(self, context, name):
        """Value of ``name`` in the workflow global context, or None."""
        raise NotImplementedError


_provider = contextvars.ContextVar('mistral_clone_expression_data_provider',
                                   default=None)


def set_data_provider(provider):
    """Install ``provider`` for the current context; returns a reset token."""
    return _provider.set(provider)


def reset_data_provider(token):
    _provider.reset(token)


def get_data_provider():
    return _provider.get()


@contextlib.contextmanager
def using_data_provider(provider):
    token = _provider.set(provider)
    try:
        yield provider
    finally:
        _provider.reset(token)


def _require_provider():
    provider = _provider.get()
    if provider is None:
        raise exc.EvaluationException(
            'No data provider is installed for expression functions.')
    return provider


def passthrough_exceptions():
    provider = _provider.get()
    if provider is None:
        return ()
    return tuple(getattr(provider, 'passthrough_exceptions', ()) or ())


# -- plain-data helper -------------------------------------------------------

def to_plain(value):
    """Convert expression values (yaql frozen structures, tuples, sets,
    views, iterators) to plain JSON-friendly Python data."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    if isinstance(value, (collections.abc.Iterator,
                          collections.abc.Generator)):
        return [to_plain(v) for v in value]
    if isinstance(value, (range, map, filter, zip,
                          collections.abc.KeysView,
                          collections.abc.ValuesView)):
        return [to_plain(v) for v in value]
    jinja2 = sys.modules.get('jinja2')  # no Undefined before its import
    if jinja2 is not None and isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here: '{{ [_.nope] }}'
        return None
    return value


def _json_default(obj):
    if isinstance(obj, collections.abc.Mapping):
        return dict(obj.items())
    if isinstance(obj, (set, frozenset)) or isinstance(
            obj, collections.abc.Iterable):
        return list(obj)
    raise TypeError('Object of type %s is not JSON serializable'
                    % type(obj).__name__)


# -- YAML loader: safe, and anchors/aliases are not interpreted -------------
#
# '&name' and '*name' are read as ordinary plain-scalar text, which rules out
# alias-expansion bombs ("billion laughs"). Observed on the reference:
# yaml_parse("- &a b\n- *a") -> ['&a b', '*a'].

class _HardenedLoader(yaml.SafeLoader):

    def fetch_alias(self):
        self.fetch_plain()

    def fetch_anchor(self):
        self.fetch_plain()


def _get(context, key):
    try:
        return context.get(key)
    except AttributeError:
        return None


# -- the functions (context first) -------------------------------------------
# Names end with '_' on purpose: when misused as a Jinja filter the error text
# reads "json_dump_() missing 1 required positional argument: 'data'", like the
# reference.

def task_(context, task_name=None):
    current = _get(context, '__task_execution')
    if task_name is None or (current and task_name == current.get('name')):
        if not current:
            return None
        return _require_provider().task(context, None)
    return _require_provider().task(context, task_name)


def tasks_(context, workflow_execution_id=None, recursive=False, state=None,
           flat=False):
    return _require_provider().tasks(context, workflow_execution_id,
                                     recursive, state, flat)


# What execution() shows of the workflow execution, in this order (observed
# on the reference: no state, no state_info).
EXECUTION_FIELDS = ('id', 'name', 'spec', 'input', 'params', 'created_at',
                    'updated_at', 'root_execution_id')


def execution_(context):
    found = _require_provider().execution(context)
    if not isinstance(found, collections.abc.Mapping):
        return found
    return {key: found.get(key) for key in EXECUTION_FIELDS}


def executions_(context, id=None, root_execution_id=None, state=None,
                from_time=None, to_time=None):
    return _require_provider().executions(context, id, root_execution_id,
                                          state, from_time, to_time)


def env_(context):
    value = _get(context, '__env')
    return value if value is not None else {}


def global_(context, name):
    return _require_provider().global_var(context, name)


def uuid_(context=None):
    return str(uuid.uuid4())


def json_dump_(context, data):
    return json.dumps(data, indent=4, default=_json_default)


def json_pp_(context, data):
    return json_dump_(context, data)


def json_parse_(context, data):
    if not isinstance(data, (str, bytes, bytearray)):
        # Same wording as the reference's error.
        raise TypeError("%s can't be decoded" % type(data))
    return json.loads(data)


def yaml_dump_(context, data):
    return yaml.safe_dump(to_plain(data), default_flow_style=False)


def yaml_parse_(context, data):
    return yaml.load(data, Loader=_HardenedLoader)


BUILTIN_FUNCTIONS = {
    'task': task_,
    'tasks': tasks_,
    'execution': execution_,
    'executions': executions_,
    'env': env_,
    'global': global_,
    'uuid': uuid_,
    'json_dump': json_dump_,
    'json_pp': json_pp_,
    'json_parse': json_parse_,
    'yaml_dump': yaml_dump_,
    'yaml_parse': yaml_parse_,
}


# -- Jinja-specific binding --------------------------------------------------

def jinja_task_(context, task_name=None):
    # The reference's Jinja binding indexes '_' directly, so outside a task
    # scope both task() and task(name) fail with error '__task_execution'.
    context['__task_execution']
    return task_(context, task_name)


_plugins = None


def plugin_functions():
    """Extra functions from entry point group ``mistral.expression.functions``
    (names already provided here are not overridden). Loaded once."""
    global _plugins
    if _plugins is not None:
        return _plugins
    found = {}
    try:
        from importlib import metadata
        eps = metadata.entry_points()
        if hasattr(eps, 'select'):
            group = eps.select(group=PLUGIN_GROUP)
        else:  # pragma: no cover - very old importlib.metadata
            group = eps.get(PLUGIN_GROUP, ())
        for ep in group:
            if ep.name in BUILTIN_FUNCTIONS or ep.name in found:
                continue
            try:
                found[ep.name] = ep.load()
            except Exception as e:  # a broken plugin must not break us
                LOG.warning('Cannot load expression function %s: %s',
                            ep.name, e)
    except Exception as e:  # pragma: no cover
        LOG.warning('Cannot list expression function plugins: %s', e)
    _plugins = found
    return found


def all_functions():
    result = dict(BUILTIN_FUNCTIONS)
    result.update(plugin_functions())
    return result
