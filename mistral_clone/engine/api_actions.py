"""Actions run through the API, outside any workflow (actions.md §4–§5):
``POST /action_executions`` and the results or states an asynchronous
action receives through ``PUT /action_executions/{id}``."""

import dataclasses
from typing import Any, Optional

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import action_glue
from mistral_clone.engine import changes
from mistral_clone.engine import states
from mistral_clone.rpc import contracts

RESULT_STATES = ['SUCCESS', 'ERROR', 'CANCELLED', 'PAUSED', 'RUNNING']

_FIELDS = ('id', 'name', 'workflow_name', 'workflow_namespace',
           'task_execution_id', 'state', 'state_info', 'tags', 'description',
           'project_id', 'accepted', 'input', 'output', 'created_at',
           'updated_at')


@dataclasses.dataclass
class Plan:
    """A resolved ``POST /action_executions`` request."""
    desc: Any                  # action_glue.PreparedAction
    call: Any                  # action_glue.PreparedCall
    action_input: dict
    namespace: str
    project_id: str
    run_sync: Optional[bool]
    save_result: Optional[bool]
    timeout: Optional[float]
    target: Optional[str]

    @property
    def run_here(self):
        """Synchronous and not saved: run now, store nothing."""
        return self.call.is_sync and (self.run_sync or self.run_sync is
                                      None) and not self.save_result


def prepare(name, action_input, namespace, params, project_id, settings):
    """Resolve the action and check the request (nothing is stored)."""
    run_sync = params.get('run_sync')
    with db_api.session() as s:
        try:
            desc = action_glue.Resolver(s, project_id)(name, namespace, None)
        except exc.ActionNotFoundError:
            # Run-action names no namespace in this message (tasks do).
            raise exc.InvalidActionException(
                'Failed to find action [action_name=%s]' % name)
        except exc.MistralCloneError as e:
            raise exc.InvalidActionException(str(e))
        desc.check_parameters(action_input)
        # [engine] execution_field_size_limit_kb holds for run-action too,
        # stored or not.
        settings.check_size('input', action_input)
        call = desc.prepare(action_input, None)
    if run_sync and not call.is_sync:
        raise exc.InputException(
            'Action does not support synchronous execution.')
    return Plan(desc, call, action_input, namespace, project_id, run_sync,
                params.get('save_result'), params.get('timeout'),
                params.get('target'))


def run_unsaved(plan):
    """Run a synchronous action here; the action execution, never stored."""
    result = action_glue.run_here(plan.call.runnable(None), plan.timeout)
    state, value = result.outcome()
    if state != states.CANCELLED:
        value = plan.desc.post_process(value, state == states.ERROR)
    values = dict.fromkeys(_FIELDS)
    values.update(name=plan.desc.name, workflow_namespace=plan.namespace,
                  state=state,
                  input=plan.desc.input_with_defaults(plan.action_input),
                  output={'result': value})
    return values


def create(t, plan):
    """Store the action execution; run it here (``run_sync`` with
    ``save_result``) or send it to an executor after commit."""
    action_ex = models.ActionExecution(
        id=models.new_id(), name=plan.desc.name, workflow_name=None,
        workflow_namespace=plan.namespace, task_execution_id=None,
        input=plan.desc.input_with_defaults(plan.action_input),
        accepted=False, is_sync=plan.call.is_sync,
        description='',
        runtime_context={'index': 0, 'safe_rerun': False,
                         'namespace': plan.namespace},
        project_id=plan.project_id)
    changes.set_action_state(action_ex, states.RUNNING)
    t.s.add(action_ex)
    t.s.flush()
    runnable = plan.call.runnable(action_ex.id, timeout=plan.timeout,
                                  target=plan.target)
    if plan.run_sync and plan.save_result:
        t.actions.on_complete(action_ex,
                              action_glue.run_here(runnable, plan.timeout))
    else:
        t.outbox.actions.append(runnable)
    t.s.flush()
    return models.snapshot(action_ex)


def result_of(state, output):
    """The ``ActionResult`` a PUT with ``state`` and ``output`` reports;
    None for PAUSED/RUNNING (a state change, not a result)."""
    if state not in RESULT_STATES:
        raise exc.InvalidResultException(
            'Error. Expected one of %s, actual: %s' % (RESULT_STATES, state))
    if state in (states.PAUSED, states.RUNNING):
        return None
    if state == states.SUCCESS:
        return contracts.ActionResult(data=output)
    if state == states.ERROR:
        return contracts.ActionResult(
            error=output if output else 'Unknown error')
    return contracts.ActionResult(cancelled=True)


def complete(t, action_ex_id, result):
    action_ex = t.load(models.ActionExecution, action_ex_id,
                       'ActionExecution')
    if not t.actions.on_complete(action_ex, result):
        # Its first result stands (the reference answers 500 here).
        raise exc.InvalidStateTransitionException(
            'Action %s is already completed [state=%s]'
            % (action_ex_id, action_ex.state))
    return _as_dict(action_ex)


def update_state(t, action_ex_id, state):
    """PAUSED/RUNNING of an asynchronous action; its task and workflow
    pause or resume with it."""
    action_ex = t.load(models.ActionExecution, action_ex_id,
                       'ActionExecution')
    if state == states.PAUSED and action_ex.is_sync:
        raise exc.InvalidStateTransitionException(
            'Transition to the PAUSED state is only supported for '
            'asynchronous action execution.')
    if not states.is_valid_transition(action_ex.state, state):
        raise exc.InvalidStateTransitionException(
            'Invalid state transition from %s to %s.' % (
                action_ex.state, state))
    changes.set_action_state(action_ex, state)
    if action_ex.task_execution_id:
        task_ex = t.s.get(models.TaskExecution, action_ex.task_execution_id)
        run = t.lock(task_ex.workflow_execution_id)
        if state == states.PAUSED:
            changes.set_task_state(task_ex, states.PAUSED)
            if run.wf_ex.state == states.RUNNING:
                t.control.pause(run)
        elif state == states.RUNNING and task_ex.state == states.PAUSED:
            changes.set_task_state(task_ex, states.RUNNING)
            if run.wf_ex.state == states.PAUSED and not any(
                    x.state == states.PAUSED for x in run.tasks):
                t.control.resume(run)
    return _as_dict(action_ex)


def _as_dict(row):
    return {f: getattr(row, f) for f in _FIELDS}
