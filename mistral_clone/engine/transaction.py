"""The engine's imperative shell: one transaction per event.

Every event (start, action result, delayed job, pause/resume/...) is handled
inside one database transaction holding the row lock of the workflow
execution it concerns. A :class:`Transaction` owns what the event's
handling shares: the session, the row locks taken, the workflow executions
loaded (:class:`~workflow_run.WorkflowRun`), the task executions it created,
and the :class:`Outbox` of effects (actions to send to executors, jobs to run
right after commit) that the engine service dispatches once the
transaction has committed.

The work itself lives in rooms, one per concern, each reached through the
transaction:

=================  ===========================================================
``workflows``      a workflow's life: start, dispatch of commands, completion
``control``        pause, resume and stop, up and down sub-workflow trees
``tasks``          a task's life: start, completion, publish, transitions
``joins``          join tasks: waiting for their inbound tasks
``policies``       applying the pure decisions of ``policies.py``
``single``         the plain task kind: one action or sub-workflow
``with_items``     the with-items task kind: one per item, concurrency
``actions``        action executions: start, results, inline runs
``subworkflows``   sub-workflow executions: start, completion
=================  ===========================================================

Rooms call each other through the transaction (``self.t.tasks.complete``):
they import only the pure decision modules and the modules below them, so
there is no import loop however the work recurses.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import action_runs
from mistral_clone.engine import joins
from mistral_clone.engine import states
from mistral_clone.engine import subworkflows
from mistral_clone.engine import task_kinds
from mistral_clone.engine import task_policies
from mistral_clone.engine import tasks
from mistral_clone.engine import with_items
from mistral_clone.engine import workflow_control
from mistral_clone.engine import workflows
from mistral_clone.engine.provider import EngineDataProvider
from mistral_clone.engine.workflow_run import WorkflowRun


class Outbox:
    """Effects to dispatch after the transaction commits."""

    def __init__(self):
        self.actions = []       # contracts.Runnable to send to executors
        # action id -> its row, for the actions of ``actions`` this
        # transaction created (ActionRuns.hand_over claims some of them).
        self.stored = {}
        self.handed = []        # taken claimed (Engine._run, ``claimer``)
        # Runnables of actions stored already claimed by the in-process
        # executor (Transaction.claimer): handed to it without a claim.
        self.claimed = []
        self.inline = []        # trivial Runnables to run in a follow-up
        self.jobs_now = []      # scheduled job ids to run immediately
        self.wake_scheduler = False
        # The parsed input of each workflow execution this transaction
        # created (id -> value), for the follow-up transaction of its
        # inline actions (Transaction.lock).
        self.inputs = {}


class Transaction:
    """One engine transaction (see the module docstring)."""

    def __init__(self, session, settings, action_resolver, project_id=None,
                 claimer=None, known_inputs=None):
        self.s = session
        self.settings = settings
        self.resolve_action = action_resolver
        self.project_id = project_id
        # The claim name of the executor living in this process (embedded
        # mode): actions are stored already claimed by it, so that it needs
        # no claim transaction of its own (executor/service.py).
        self.claimer = claimer
        self.outbox = Outbox()
        # Parsed inputs of executions the transaction before this one
        # created (Outbox.inputs): taken, not parsed again from the row.
        self._known_inputs = known_inputs if known_inputs is not None else {}
        self.provider = EngineDataProvider(session, self)
        self._runs = {}
        self._new_tasks = {}
        self._locked = set()
        self._held_kb = 0
        # Sub-workflow starts nested in one another (subworkflows.py).
        self.nesting = 0
        # the rooms
        self.workflows = workflows.Workflows(self)
        self.control = workflow_control.WorkflowControl(self)
        self.tasks = tasks.Tasks(self)
        self.joins = joins.Joins(self)
        self.policies = task_policies.TaskPolicies(self)
        self.single = task_kinds.SingleRun(self)
        self.with_items = with_items.WithItems(self)
        self.actions = action_runs.ActionRuns(self)
        self.subworkflows = subworkflows.SubWorkflows(self)

    _ROOMS = ('workflows', 'control', 'tasks', 'joins', 'policies', 'single',
              'with_items', 'actions', 'subworkflows', 'provider')

    def close(self):
        """Let go of the rooms and the runs: each refers back to this
        transaction, so a finished one (its session's objects with it) was
        freed only by the cyclic garbage collector, which seldom ran a full
        collection: ~7,000 objects (~2 MB) of finished transactions were
        alive at any time in a busy engine (issue 14, bench/RESULTS.md:
        production peak RSS). Called once the transaction has ended;
        ``holds`` still answers (False) for a late abort."""
        for name in self._ROOMS:
            setattr(self, name, None)
        self._runs = {}
        self._new_tasks = {}

    # --- workflow executions ----------------------------------------------------

    def run_of(self, wf_ex):
        """The :class:`WorkflowRun` of ``wf_ex`` (one per transaction)."""
        run = self._runs.get(wf_ex.id)
        if run is None:
            run = WorkflowRun(self.s, self.provider, wf_ex)
            self._runs[wf_ex.id] = run
        return run

    def lock(self, wf_ex_id):
        """Lock a workflow execution's row (once per transaction); its run."""
        if wf_ex_id in self._locked:
            return self._runs[wf_ex_id]
        # An input the transaction that created the execution parsed is
        # taken as it is (an input never changes once stored, and values
        # are never changed in place): its row's text is not parsed again.
        # For a large input that was a second copy (~4x its JSON text)
        # alive beside the first while the API still rendered the start's
        # answer (bench/RESULTS.md, issue 15). Taken once: a retry of this
        # transaction reads the row.
        known = self._known_inputs.pop(wf_ex_id, None)
        wf_ex = _found(db_api.lock_for_update(
            self.s, models.WorkflowExecution, wf_ex_id,
            deferred=('input',) if known is not None else ()),
            'WorkflowExecution', wf_ex_id)
        if known is not None and 'input' not in wf_ex.__dict__:
            orm.attributes.set_committed_value(wf_ex, 'input', known)
        self._locked.add(wf_ex_id)
        return self.run_of(wf_ex)

    def lock_many(self, wf_ex_ids, params=None):
        """Lock the workflow executions whose ids ``wf_ex_ids`` (a
        subquery, with its ``params``) selects, in one statement; ids not
        found are not locked (:meth:`lock` then says so)."""
        for wf_ex in db_api.lock_all_for_update(
                self.s, models.WorkflowExecution, wf_ex_ids, params):
            if wf_ex.id not in self._locked:
                self._locked.add(wf_ex.id)
                self.run_of(wf_ex)

    def has_locked(self, wf_ex_id):
        return wf_ex_id in self._locked

    def holds(self, wf_ex_id):
        """True if this transaction locked ``wf_ex_id`` or an execution of
        its tree."""
        return any(
            i == wf_ex_id or self._runs[i].wf_ex.root_execution_id == wf_ex_id
            for i in list(self._locked) if i in self._runs)

    def adopt(self, wf_ex):
        """A workflow execution this transaction created (hence holds, and
        whose task list is empty)."""
        self._locked.add(wf_ex.id)
        run = self._runs[wf_ex.id] = WorkflowRun(self.s, self.provider,
                                                 wf_ex, tasks=[])
        return run

    # --- task executions --------------------------------------------------------

    def load(self, model, row_id, what):
        """A row by id; ``DBEntityNotFoundError`` (404) naming ``what``."""
        return _found(self.s.get(model, row_id), what, row_id)

    def get_task_ex(self, task_ex_id):
        """A task execution by id; also finds the ones this transaction
        created and has not flushed yet (``Session.get`` would flush)."""
        task_ex = self._new_tasks.get(task_ex_id)
        if task_ex is None:
            task_ex = self.s.get(models.TaskExecution, task_ex_id)
        return task_ex

    def add_task(self, run, task_ex):
        self.s.add(task_ex)
        self._new_tasks[task_ex.id] = task_ex
        run.add_task(task_ex)

    def kind_of(self, task_spec):
        """The room that runs a task of this spec: with-items or single."""
        return self.with_items if task_spec.with_items else self.single

    # --- limits -----------------------------------------------------------------

    def check_size(self, field, value):
        """Refuse a value over ``[engine] execution_field_size_limit_kb``."""
        self._held_kb += self.settings.check_size(field, value)

    def release_completed(self):
        """Let go of the data of completed tasks and actions once this
        transaction has handled more than ``RELEASE_AFTER_KB`` of it.

        A chain of inline actions runs many tasks in one transaction, and
        every row object keeps its inputs, outputs, contexts and publishes
        until commit: with large data, every version of a list a chain
        transforms was alive at once (the 10 MB scenario of bench/ peaked
        at ~45x the payload). The rows are flushed, then those attributes
        expired: the next read (rare: joins, the final context) loads them
        again from the database.
        """
        if self._held_kb < RELEASE_AFTER_KB:
            return
        self._held_kb = 0
        self.s.flush()
        for obj in list(self.s.identity_map.values()):
            attrs = _RELEASED.get(type(obj))
            if attrs and states.is_completed(obj.state):
                self.s.expire(obj, attrs)
        # The workflow inputs too (stored, never changed): the views read
        # them through WorkflowRun.input, which loads one again if a task
        # looks a key of it up.
        for run in self._runs.values():
            if _stored_unchanged(run.wf_ex, 'input'):
                self.s.expire(run.wf_ex, ['input'])

    # --- scheduled jobs ---------------------------------------------------------

    def schedule_job(self, kind, args, delay=0.0, run_now=False,
                     wf_ex_id=None, key=None):
        """Store a job of ``kind`` (``jobs.py``) due in ``delay`` seconds;
        ``run_now``: dispatched right after commit."""
        job = models.ScheduledJob(
            id=models.new_id(),
            target=kind,
            args=args,
            key=key,
            workflow_execution_id=wf_ex_id,
            # Jobs dispatched right after commit get a grace period before
            # the scheduler would pick them up (it only does if this
            # process died before running them).
            run_after=models.utcnow() + datetime.timedelta(
                seconds=(5.0 if run_now else delay)),
        )
        self.s.add(job)
        if run_now:
            self.outbox.jobs_now.append(job.id)
        else:
            self.outbox.wake_scheduler = True
        return job


# See Transaction.release_completed.
RELEASE_AFTER_KB = 4096
_RELEASED = {
    models.TaskExecution: ['in_context', 'published', 'published_global'],
    models.ActionExecution: ['input', 'output'],
}


def _stored_unchanged(row, attr):
    """True when ``row`` is stored and holds ``attr`` loaded, unchanged
    (expiring it loses nothing)."""
    if attr not in row.__dict__:
        return False
    state = sa.inspect(row)
    return state.persistent and \
        not state.attrs[attr].history.has_changes()


def _found(row, what, row_id):
    if row is None:
        raise exc.DBEntityNotFoundError('%s not found [id=%s]' % (what,
                                                                 row_id))
    return row
