"""Control of running work: task rerun and skip, actions run through the API,
asynchronous action completion (lifecycle.md §5, actions.md §4–§5)."""

import logging

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.engine import action_glue
from mistral_clone.engine import handler
from mistral_clone.engine import policies
from mistral_clone.engine import states
from mistral_clone.engine.handler import ForcedFailure, utcnow

LOG = logging.getLogger(__name__)

ACTION_RESULT_STATES = ['SUCCESS', 'ERROR', 'CANCELLED', 'PAUSED',
                        'RUNNING']


def _reopen_workflow(h, tx):
    """ERROR/CANCELLED → RUNNING for a workflow and all its ancestors."""
    wf_ex = tx.wf_ex
    if wf_ex.state != states.RUNNING:
        wf_ex.state = states.RUNNING
        wf_ex.state_info = None
        wf_ex.output = {}
    parent_task_id = wf_ex.task_execution_id
    if not parent_task_id:
        return
    wf_ex.accepted = False
    parent_task = h.s.get(models.TaskExecution, parent_task_id)
    if parent_task is None:
        return
    ptx = h.lock_wf(parent_task.workflow_execution_id)
    if parent_task.state != states.RUNNING:
        parent_task.state = states.RUNNING
        parent_task.state_info = None
        parent_task.finished_at = None
        parent_task.processed = False
    _reopen_workflow(h, ptx)


def _load_task(h, task_ex_id):
    task_ex = h.s.get(models.TaskExecution, task_ex_id)
    if task_ex is None:
        raise exc.DBEntityNotFoundError(
            'Task execution not found [id=%s]' % task_ex_id)
    return task_ex


def rerun_task(h, task_ex_id, reset=True, env=None):
    task_ex = _load_task(h, task_ex_id)
    tx = h.lock_wf(task_ex.workflow_execution_id)
    if tx.wf_ex.state == states.PAUSED:
        return
    if task_ex.state == states.SUCCESS:
        raise exc.WorkflowException(
            'Rerunning succeeded tasks is not supported.')
    if env:
        h.merge_env(tx, env)
    _reopen_workflow(h, tx)
    task_spec = tx.spec.tasks[task_ex.name]
    rc = task_ex.runtime_context or {}
    old_wi = rc.get('with_items')
    task_ex.runtime_context = {}
    if rc.get('triggered_by'):
        task_ex.runtime_context['triggered_by'] = rc['triggered_by']
    ed = task_ex.engine_data or {}
    task_ex.engine_data = {'rerun_no': ed.get('rerun_no', 0) + 1}
    task_ex.state = states.RUNNING
    task_ex.state_info = None
    task_ex.started_at = utcnow()
    task_ex.finished_at = None
    task_ex.processed = False
    task_ex.error_handled = False
    task_ex.next_tasks = []
    task_ex.has_next_tasks = False
    h.unaccept_task_children(task_ex, only_failed=not reset)
    indexes = None
    if task_spec.with_items and not reset and old_wi is not None:
        done = _successful_indexes(h, task_ex)
        indexes = [i for i in range(old_wi.get('count', 0))
                   if i not in done]
    try:
        if policies.before_start(h, tx, task_ex, task_spec):
            h.after_task_event(tx)
            return
        task_ex.state = states.RUNNING
        h.schedule_task_work(tx, task_ex, task_spec, indexes=indexes)
    except ForcedFailure as f:
        h.force_fail(tx, task_ex, f.message)
    h.after_task_event(tx)


def _successful_indexes(h, task_ex):
    import sqlalchemy as sa
    model = (models.WorkflowExecution if task_ex.type == 'WORKFLOW'
             else models.ActionExecution)
    rows = h.s.execute(sa.select(model).where(
        model.task_execution_id == task_ex.id,
        model.accepted.is_(True),
        model.state == states.SUCCESS)).scalars()
    done = set()
    for r in rows:
        if task_ex.type == 'WORKFLOW':
            done.add((r.params or {}).get('index', 0))
        else:
            done.add((r.runtime_context or {}).get('index', 0))
    return done


def skip_task(h, task_ex_id):
    task_ex = _load_task(h, task_ex_id)
    tx = h.lock_wf(task_ex.workflow_execution_id)
    if tx.wf_ex.state == states.PAUSED:
        return
    _reopen_workflow(h, tx)
    task_ex.error_handled = False
    h.complete_task(tx, task_ex, states.SKIPPED, 'Task was skipped.',
                    run_policies=False)
    h.after_task_event(tx)


# --- actions through the API -------------------------------------------------------

def _ae_dict(row=None, **values):
    fields = ('id', 'name', 'workflow_name', 'workflow_namespace',
              'task_execution_id', 'state', 'state_info', 'tags',
              'description', 'project_id', 'accepted', 'input', 'output',
              'created_at', 'updated_at')
    if row is not None:
        return {f: getattr(row, f) for f in fields}
    d = {f: None for f in fields}
    d.update(values)
    return d


def start_action(engine, name, action_input, namespace, params, project_id):
    from mistral_clone.db import api as db_api
    run_sync = params.get('run_sync')
    save_result = params.get('save_result')
    timeout = params.get('timeout')
    target = params.get('target')

    def prepare(h):
        resolver = action_glue.Resolver(h.s, project_id)
        try:
            desc = resolver(name, namespace, None)
        except exc.ActionNotFoundError:
            # Run-action names no namespace in this message (tasks do).
            raise exc.InvalidActionException(
                'Failed to find action [action_name=%s]' % name)
        except exc.MistralCloneError as e:
            raise exc.InvalidActionException(str(e))
        desc.check_parameters(action_input)
        # [engine] execution_field_size_limit_kb holds for run-action too,
        # stored or not.
        handler.check_size('input', action_input)
        runnable = desc.prepare(action_input, None)
        return desc, runnable

    with db_api.session() as s:
        class _H:
            pass
        holder = _H()
        holder.s = s
        desc, runnable = prepare(holder)
    is_sync = runnable['is_sync']
    recorded_input = desc.input_with_defaults(action_input)
    if run_sync and not is_sync:
        raise exc.InputException(
            'Action does not support synchronous execution.')
    if is_sync and (run_sync or run_sync is None) and not save_result:
        result = action_glue.run_inline(runnable, timeout)
        state, value = _result_state(result)
        if state != states.CANCELLED:
            value = desc.post_process(value, state == states.ERROR)
        return _ae_dict(name=desc.name, workflow_namespace=namespace,
                        state=state, input=recorded_input,
                        output={'result': value})

    def create(h):
        action_ex = models.ActionExecution(
            id=models.new_id(), name=desc.name, workflow_name=None,
            workflow_namespace=namespace, task_execution_id=None,
            state=states.RUNNING, input=recorded_input, accepted=False,
            is_sync=is_sync, description='',
            runtime_context={'index': 0, 'safe_rerun': False,
                             'namespace': namespace},
            project_id=project_id)
        h.s.add(action_ex)
        h.s.flush()
        if run_sync and save_result:
            result = action_glue.run_inline(runnable, timeout)
            h.on_action_complete(action_ex, result)
        else:
            r = dict(runnable)
            r.update({'action_ex_id': action_ex.id, 'task_ex_id': None,
                      'wf_ex_id': None, 'workflow_name': None,
                      'timeout': timeout, 'safe_rerun': False,
                      'target': target})
            h.outbox.actions.append(r)
        h.s.flush()
        return models.snapshot(action_ex)
    return engine._run(create, project_id=project_id, answer_first=True)


def _result_state(result):
    if result.get('cancel'):
        return states.CANCELLED, None
    if result.get('error') is not None:
        return states.ERROR, result['error']
    return states.SUCCESS, result.get('data')



def complete_action(engine, action_ex_id, state, output):
    if state not in ACTION_RESULT_STATES:
        raise exc.InvalidResultException(
            'Error. Expected one of %s, actual: %s' % (
                ACTION_RESULT_STATES, state))
    if state in ('PAUSED', 'RUNNING'):
        return update_action_state(engine, action_ex_id, state)
    if state == 'SUCCESS':
        result = {'data': output}
    elif state == 'ERROR':
        result = {'error': output if output else 'Unknown error'}
    else:
        result = {'cancel': True}

    def do(h):
        action_ex = h.s.get(models.ActionExecution, action_ex_id)
        if action_ex is None:
            raise exc.DBEntityNotFoundError(
                'ActionExecution not found [id=%s]' % action_ex_id)
        h.on_action_complete(action_ex, result)
        return _ae_dict(action_ex)
    return engine._run(do)


def update_action_state(engine, action_ex_id, state):
    def do(h):
        action_ex = h.s.get(models.ActionExecution, action_ex_id)
        if action_ex is None:
            raise exc.DBEntityNotFoundError(
                'ActionExecution not found [id=%s]' % action_ex_id)
        if state == states.PAUSED and action_ex.is_sync:
            raise exc.InvalidStateTransitionException(
                'Transition to the PAUSED state is only supported for '
                'asynchronous action execution.')
        if not states.is_valid_transition(action_ex.state, state):
            raise exc.InvalidStateTransitionException(
                'Invalid state transition from %s to %s.' % (
                    action_ex.state, state))
        action_ex.state = state
        if action_ex.task_execution_id:
            task_ex = h.s.get(models.TaskExecution,
                              action_ex.task_execution_id)
            tx = h.lock_wf(task_ex.workflow_execution_id)
            if state == states.PAUSED:
                task_ex.state = states.PAUSED
                if tx.wf_ex.state == states.RUNNING:
                    h.pause_workflow(tx)
            elif state == states.RUNNING and task_ex.state == states.PAUSED:
                task_ex.state = states.RUNNING
                if tx.wf_ex.state == states.PAUSED and not any(
                        t.state == states.PAUSED for t in tx.tasks):
                    h.resume_workflow(tx)
        return _ae_dict(action_ex)
    return engine._run(do)
