"""How the engine finds actions and turns them into executor work.

The engine resolves an action name (workbook-local ad-hoc first, then system
actions, then ad-hoc actions of the workflow's namespace), checks the input,
and *prepares* a runnable: the python action to instantiate on an executor
and its final input (ad-hoc ``base-input`` already evaluated against the
workflow context, which only the engine has). Executors therefore only ever
instantiate python actions by name.
"""

import logging

import sqlalchemy as sa

from mistral_clone import actions
from mistral_clone import exceptions as exc
from mistral_clone import lang
from mistral_clone.db import models

LOG = logging.getLogger(__name__)


# Built-in actions that finish instantly and touch nothing outside the
# process: the engine may run them itself (handler.INLINE_BUDGET).
TRIVIAL_ACTIONS = frozenset(('std.noop', 'std.echo', 'std.fail',
                             'std.test_dict'))


def is_trivial(action_name, action_input):
    if action_name not in TRIVIAL_ACTIONS:
        return False
    return not (action_input or {}).get('delay')


class PreparedAction:
    """A descriptor as the engine uses it."""

    def __init__(self, descriptor):
        self.d = descriptor
        self.name = descriptor.name

    def check_parameters(self, action_input):
        self.d.check_parameters(action_input)

    def input_with_defaults(self, action_input):
        return self.d.input_with_defaults(action_input)

    def prepare(self, action_input, wf_ctx):
        """Return ``{'action', 'input', 'is_sync'}`` for an executor."""
        if isinstance(self.d, actions.AdHocActionDescriptor):
            python_desc, base_input = self.d.base_call(action_input, wf_ctx)
        else:
            python_desc, base_input = self.d, dict(action_input or {})
        instance = python_desc.instantiate(base_input, wf_ctx)
        return {'action': python_desc.name, 'input': base_input,
                'is_sync': bool(python_desc.is_sync(instance)),
                'inline': is_trivial(python_desc.name, base_input)}

    def post_process(self, value, is_error):
        if not isinstance(self.d, actions.AdHocActionDescriptor):
            return value
        from mistral_lib import actions as ml_actions
        result = (ml_actions.Result(error=value) if is_error
                  else ml_actions.Result(data=value))
        result = self.d.post_process_result(result)
        return result.error if result.is_error() else result.data

    def describe(self):
        return repr(self.d)


class Resolver:
    """Callable ``(name, namespace, workbook) -> PreparedAction``."""

    def __init__(self, session, project_id):
        self.s = session
        self.project_id = project_id
        self._cache = {}

    def __call__(self, name, namespace='', workbook=None):
        key = (name, namespace, workbook)
        found = self._cache.get(key)
        if found is None:
            desc = None
            if workbook:
                desc = self._adhoc('%s.%s' % (workbook, name), namespace)
            if desc is None:
                desc = actions.find_system_action(name)
            if desc is None:
                desc = self._adhoc(name, namespace)
            if desc is None:
                raise exc.ActionNotFoundError(
                    'Failed to find action [action_name=%s, namespace=%s]'
                    % (name, namespace or ''), action_name=name)
            found = PreparedAction(desc)
            self._cache[key] = found
        return found

    def _adhoc(self, name, namespace):
        row = self.s.execute(
            sa.select(models.ActionDefinition)
            .where(models.ActionDefinition.name == name,
                   models.ActionDefinition.namespace == (namespace or ''))
            .where(sa.or_(models.ActionDefinition.project_id ==
                          self.project_id,
                          models.ActionDefinition.scope == 'public'))
        ).scalars().first()
        if row is None:
            return None
        spec = lang.get_action_spec(row.definition, name=row.name)
        return actions.AdHocActionDescriptor(
            spec, namespace=row.namespace, project_id=row.project_id,
            find_base=self._find_base, definition=row.definition,
            scope=row.scope, id=row.id)

    def _find_base(self, name, namespace):
        return actions.find_system_action(name) or self._adhoc(name,
                                                               namespace)


def instantiate_python(action_name, action_input):
    desc = actions.find_system_action(action_name)
    if desc is None:
        raise exc.InvalidActionException(
            'Failed to find action [action_name=%s, namespace=]'
            % action_name)
    return desc.instantiate(action_input or {}, None)


def result_to_dict(result):
    """mistral-lib Result → the plain dict the engine consumes."""
    if result.is_cancel():
        return {'cancel': True}
    if result.is_error():
        return {'error': result.error}
    return {'data': result.data}


def run_inline(runnable, timeout=None, context=None):
    """Run a prepared python action here and now (sync API runs, trivial
    actions inside the engine)."""
    action = instantiate_python(runnable['action'], runnable['input'])
    if context is None and runnable.get('action_ex_id'):
        context = actions.make_action_context(
            workflow_execution_id=runnable.get('wf_ex_id'),
            task_execution_id=runnable.get('task_ex_id'),
            action_execution_id=runnable.get('action_ex_id'),
            workflow_name=runnable.get('workflow_name'))
    result = actions.run_action(action, context, timeout)
    return result_to_dict(result)
