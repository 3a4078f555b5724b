"""Task rerun and skip (lifecycle.md §5): a failed task runs again, or is
marked SKIPPED and its workflow goes on; its workflow (and the workflows
above it) re-open from ERROR or CANCELLED."""

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.engine import changes
from mistral_clone.engine import states


def rerun_task(t, task_ex_id, reset=True, env=None):
    """Run a failed task again; without ``reset`` a with-items task runs
    only the items that did not succeed."""
    task_ex = t.load(models.TaskExecution, task_ex_id, 'Task execution')
    run = t.lock(task_ex.workflow_execution_id)
    if run.wf_ex.state == states.PAUSED:
        return
    if task_ex.state == states.SUCCESS:
        raise exc.WorkflowException(
            'Rerunning succeeded tasks is not supported.')
    if env:
        run.merge_env(env)
    _reopen(t, run)
    task_spec = run.task_spec(task_ex)
    old_rc = task_ex.runtime_context or {}
    task_ex.runtime_context = {}
    if old_rc.get('triggered_by'):
        task_ex.runtime_context['triggered_by'] = old_rc['triggered_by']
    ed = task_ex.engine_data or {}
    task_ex.engine_data = {'rerun_no': ed.get('rerun_no', 0) + 1}
    changes.set_task_state(task_ex, states.RUNNING, None)
    task_ex.started_at = models.utcnow()
    task_ex.finished_at = None
    task_ex.processed = False
    task_ex.error_handled = False
    task_ex.next_tasks = []
    task_ex.has_next_tasks = False
    t.tasks.unaccept_children(task_ex, only_failed=not reset)
    indexes = t.kind_of(task_spec).rerun_indexes(task_ex, old_rc, reset)
    t.tasks.start(run, task_ex, task_spec, indexes=indexes)
    t.workflows.after_task_event(run)


def skip_task(t, task_ex_id):
    task_ex = t.load(models.TaskExecution, task_ex_id, 'Task execution')
    run = t.lock(task_ex.workflow_execution_id)
    if run.wf_ex.state == states.PAUSED:
        return
    _reopen(t, run)
    task_ex.error_handled = False
    t.tasks.complete(run, task_ex, states.SKIPPED, 'Task was skipped.',
                     run_policies=False)
    t.workflows.after_task_event(run)


def _reopen(t, run):
    """ERROR/CANCELLED → RUNNING for a workflow and all its ancestors (a
    loop: trees of any depth)."""
    while True:
        wf_ex = run.wf_ex
        if wf_ex.state != states.RUNNING:
            changes.set_workflow_state(wf_ex, states.RUNNING, None)
            wf_ex.output = {}
        parent_task_id = wf_ex.task_execution_id
        if not parent_task_id:
            return
        wf_ex.accepted = False
        parent_task = t.s.get(models.TaskExecution, parent_task_id)
        if parent_task is None:
            return
        run = t.lock(parent_task.workflow_execution_id)
        if parent_task.state != states.RUNNING:
            changes.set_task_state(parent_task, states.RUNNING, None)
            parent_task.finished_at = None
            parent_task.processed = False
