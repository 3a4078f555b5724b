"""The job kinds: delayed work stored in the ``scheduled_jobs`` table.

A job row names its kind (``target``) and carries JSON arguments; the
scheduler claims due rows and an engine runs each one in a transaction
(``Engine.run_job``) through :data:`TABLE`, which names every kind and the
room that handles it. The kind strings are stored: never rename one.
"""

import logging

from mistral_clone.db import models
from mistral_clone.engine import recovery
from mistral_clone.engine import states

LOG = logging.getLogger(__name__)

#: A wait-before or retry delay is over: run the task's work.
TASK_CONTINUE = 'task_continue'
#: A wait-after delay is over: complete the task.
TASK_WAIT_AFTER_DONE = 'task_wait_after_done'
#: A task's timeout policy fired.
TASK_TIMEOUT = 'task_timeout'
#: A sub-workflow finished: its parent task goes on (in its own
#: transaction, under the parent workflow's lock).
SUBWORKFLOW_COMPLETED = 'subworkflow_completed'
#: An action whose executor may be gone gets Mistral's verdict (re-sent,
#: re-run under safe-rerun, or failed): written by ``import-mistral`` for
#: the actions that were in flight when Mistral stopped.
RECOVER_ACTION = 'recover_action'
#: A sub-workflow started deep inside one transaction runs its start tasks
#: in a transaction of its own (the engine's call stack stays bounded).
WORKFLOW_CONTINUE = 'workflow_continue'


def _task_continue(t, task_ex_id, retry=False):
    t.policies.delay_over(task_ex_id, retry)


def _task_wait_after_done(t, task_ex_id):
    t.policies.wait_after_over(task_ex_id)


def _task_timeout(t, task_ex_id, timeout):
    t.policies.timed_out(task_ex_id, timeout)


def _subworkflow_completed(t, wf_ex_id):
    t.subworkflows.completed(wf_ex_id)


def _workflow_continue(t, wf_ex_id):
    t.workflows.continue_backlog(wf_ex_id)


def _recover_action(t, action_ex_id, stale_seconds, undispatched_seconds):
    recovery.recover_action(t, action_ex_id, stale_seconds,
                            undispatched_seconds)


TABLE = {
    TASK_CONTINUE: _task_continue,
    TASK_WAIT_AFTER_DONE: _task_wait_after_done,
    TASK_TIMEOUT: _task_timeout,
    SUBWORKFLOW_COMPLETED: _subworkflow_completed,
    RECOVER_ACTION: _recover_action,
    WORKFLOW_CONTINUE: _workflow_continue,
}


GAVE_UP = ('Gave up on %s [job_id=%s] after %d attempts: each engine that '
           'ran it stopped before finishing (killed or crashed). See '
           '[engine] max_work_attempts.')


def exhausted(job, max_attempts):
    """True if the scheduler handed ``job`` over more than
    ``max_attempts`` times (it never finished: its engines died)."""
    return max_attempts > 0 and (job.attempts or 0) > max_attempts


def give_up(t, job):
    """Fail the workflow execution whose work ``job`` was, instead of
    running it once more."""
    msg = GAVE_UP % (job.target, job.id, job.attempts - 1)
    wf_ex_id = job.workflow_execution_id
    if job.target == SUBWORKFLOW_COMPLETED and wf_ex_id:
        wf_ex_id = _parent_of(t, wf_ex_id) or wf_ex_id
    LOG.error('%s [execution_id=%s]', msg, wf_ex_id)
    if wf_ex_id and t.s.get(models.WorkflowExecution, wf_ex_id) is not None:
        t.control.stop(t.lock(wf_ex_id), states.ERROR, msg)
    return False


def _parent_of(t, wf_ex_id):
    """The execution a finished sub-workflow reports to."""
    child = t.s.get(models.WorkflowExecution, wf_ex_id)
    if child is None or not child.task_execution_id:
        return None
    task_ex = t.s.get(models.TaskExecution, child.task_execution_id)
    return task_ex.workflow_execution_id if task_ex is not None else None


def run(t, kind, args):
    """Run a job of ``kind`` in transaction ``t``; False if unknown."""
    handler = TABLE.get(kind)
    if handler is None:
        LOG.error('Unknown job kind %s', kind)
        return False
    handler(t, **(args or {}))
    return True
