"""Action executions of tasks: start, results, inline runs.

Starting an item's action resolves it (``action_glue``), applies the
env's ``__actions`` defaults, checks its input, stores the action
execution and prepares the ``contracts.Runnable`` an executor gets (sent
after commit through the Outbox). Trivial built-in actions run right here
instead (:meth:`ActionRuns.drain_inline`), a bounded number per
transaction (``EngineSettings.inline_budget``).

A result (:meth:`ActionRuns.on_complete`) is recorded under the workflow's
lock and, when it belongs to the task's current attempt, hands the item to
its task kind.
"""

import logging

import sqlalchemy as sa
from sqlalchemy import orm

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import action_glue
from mistral_clone.engine import changes
from mistral_clone.engine import states
from mistral_clone.engine.failures import ForcedFailure
from mistral_clone.engine.failures import fmt_error
from mistral_clone.engine.failures import run_task_error
from mistral_clone.engine.workflow_run import attempt_of
from mistral_clone.engine.workflow_run import workbook_of

LOG = logging.getLogger(__name__)


class ActionRuns:

    def __init__(self, t):
        self.t = t
        self.inline = []        # [(action_ex, runnable)] to run here
        self.inline_budget = t.settings.inline_budget
        # ids of actions loaded while their workflow was locked
        self.read_under_lock = set()

    def resolve(self, run, name):
        """The action ``name`` as a task of ``run`` sees it (cached for the
        transaction); ``ActionNotFoundError`` if there is none."""
        return self.t.resolve_action(name, run.wf_ex.workflow_namespace or '',
                                     workbook_of(run.wf_ex.workflow_name))

    # --- start ----------------------------------------------------------------------

    def checked(self, run, task_ex, task_spec, name, task_input):
        """``(action, input)``: the action ``name`` and the item's input
        with the env's ``__actions`` defaults, checked against the action's
        parameters; a forced failure if either does not hold."""
        try:
            desc = self.resolve(run, name)
        except exc.MistralCloneError as e:
            raise ForcedFailure(
                'Failed to run task [error=%s, wf=%s, task=%s]:\n' % (
                    fmt_error(e), run.wf_ex.workflow_name, task_ex.name))
        # Per-action defaults from env.__actions (task input wins).
        defaults = ((run.env or {}).get('__actions') or {}).get(
            task_spec.action if task_spec.action else name)
        if isinstance(defaults, dict) and defaults:
            merged = dict(defaults)
            merged.update(task_input)
            task_input = merged
        try:
            desc.check_parameters(task_input)
        except Exception as e:
            raise run_task_error(run, task_ex, e)
        return desc, task_input

    def start(self, run, task_ex, task_spec, name, task_input, index, view,
              checked=None):
        """Create the action execution of one item and queue its run
        (``checked``: what :meth:`checked` gave, if already known)."""
        t = self.t
        desc, task_input = checked or self.checked(
            run, task_ex, task_spec, name, task_input)
        t.check_size('input', task_input)
        safe_rerun = bool(task_spec.safe_rerun)
        timeout = t.policies.action_timeout(run, task_ex, task_spec, view)
        try:
            target = target_of(run, task_ex, task_spec, task_input)
        except Exception as e:
            raise run_task_error(run, task_ex, e)
        action_input = desc.input_with_defaults(task_input)
        try:
            call = desc.prepare(task_input, view)
        except Exception as e:
            call, error = None, e
        wf_ex = run.wf_ex
        wf_ex_id = wf_ex.id
        wf_name = wf_ex.workflow_name
        task_ex_id = task_ex.id
        action_ex = models.ActionExecution(
            id=models.new_id(),
            name=desc.name,
            workflow_name=wf_name,
            workflow_namespace=wf_ex.workflow_namespace,
            task_execution_id=task_ex_id,
            workflow_execution_id=wf_ex_id,
            input=action_input,
            accepted=False,
            is_sync=call.is_sync if call is not None else True,
            description='',
            runtime_context={'index': index or 0, 'safe_rerun': safe_rerun,
                             'attempt': attempt_of(task_ex)},
            project_id=wf_ex.project_id,
        )
        changes.set_action_state(action_ex, states.RUNNING)
        if call is None:
            msg = 'Failed to instantiate an action [action_desc=%s]' % (
                desc.describe() if hasattr(desc, 'describe') else desc.name)
            changes.set_action_state(action_ex, states.ERROR)
            action_ex.output = {'result': msg}
            action_ex.accepted = True
            t.s.add(action_ex)
            LOG.debug('Action instantiation failed: %s', error)
            t.kind_of(task_spec).item_done(run, task_ex, task_spec,
                                           states.ERROR, msg)
            return
        t.s.add(action_ex)
        runnable = call.runnable(action_ex.id, task_ex_id, wf_ex_id, wf_name,
                                 timeout, safe_rerun, target)
        if call.inline and not target and self.inline_budget > 0:
            self.inline_budget -= 1
            self.inline.append((action_ex, runnable))
        elif t.claimer:
            # Claimed by the in-process executor in the transaction that
            # stores it: as if it had claimed it on receipt (a crash before
            # it runs is then recovered as for any claimed action).
            action_ex.executor_host = t.claimer
            action_ex.last_heartbeat = models.utcnow()
            t.outbox.claimed.append(runnable)
        else:
            t.outbox.stored[action_ex.id] = action_ex
            t.outbox.actions.append(runnable)

    def hand_over(self, count, claimer):
        """Take up to ``count`` of the synchronous actions this transaction
        created for the executors (none with a ``target``) out of the
        outbox, stored claimed by ``claimer``: the executor delivering the
        results that started them runs them (``Engine.on_action_results``,
        ``claimer``) without a claim of its own. Their ``last_heartbeat``
        stays unset until that executor's first heartbeat: an unset one
        tells that executor, should this transaction's answer never reach
        it, which claimed actions it never got (``Executor._sweep``).
        Those runnables."""
        outbox = self.t.outbox
        handed, kept = [], []
        for runnable in outbox.actions:
            row = outbox.stored.get(runnable.action_ex_id)
            if len(handed) < count and row is not None and row.is_sync \
                    and not runnable.target:
                row.executor_host = claimer
                row.last_heartbeat = None
                handed.append(runnable)
            else:
                kept.append(runnable)
        outbox.actions = kept
        return handed

    # --- inline runs ----------------------------------------------------------------

    def drain_inline(self):
        """Run the queued trivial actions and process their results, which
        may queue more (a chain of std.noop runs in one transaction)."""
        while self.inline:
            action_ex, runnable = self.inline.pop(0)
            self.on_complete(action_ex, action_glue.run_here(runnable))
            self.t.release_completed()

    def defer_inline(self):
        """Leave queued trivial actions to a follow-up transaction (the
        caller answers first: a start request returns RUNNING)."""
        self.t.outbox.inline.extend(r for _, r in self.inline)
        self.inline = []

    def run_inline_batch(self, runnables):
        """Follow-up of :meth:`defer_inline`."""
        t = self.t
        for runnable in runnables:
            # The runnable carries the action's input: the stored copy is
            # not read (it may be megabytes).
            action_ex = t.s.get(models.ActionExecution,
                                runnable.action_ex_id,
                                options=_WITHOUT_INPUT)
            if action_ex is None or action_ex.state != states.RUNNING:
                continue
            run = t.lock(action_ex.workflow_execution_id)
            # A whole chain may follow in this transaction: load the task
            # list once instead of querying (and flushing) at every step.
            run.tasks
            self.inline.append((action_ex, runnable))
        self.drain_inline()

    # --- results --------------------------------------------------------------------

    def complete_many(self, items):
        """Record results (``[(action_ex_id, ActionResult)]``); a list of
        what :meth:`on_complete` answered for each (False: unknown or
        already completed).

        Two statements however many results: the workflow executions
        they concern are locked in one (in id order, as every engine
        does), then their actions and their tasks are read in the other,
        under those locks (so :meth:`on_complete` need not read each
        again: it is handed the action's task)."""
        t = self.t
        ids = {'ids': list({i for i, _ in items})}
        t.lock_many(_WORKFLOWS_OF_ACTIONS, ids)
        rows = {}
        tasks = {}
        for action_ex, task_ex in t.s.execute(_ACTIONS_AND_TASKS, ids):
            rows[action_ex.id] = action_ex
            tasks[action_ex.id] = task_ex
        self.read_under_lock.update(
            i for i, a in rows.items()
            if a.task_execution_id and t.has_locked(a.workflow_execution_id))
        answers = [False] * len(items)
        for n, (action_ex_id, result) in enumerate(items):
            action_ex = rows.get(action_ex_id)
            if action_ex is not None:
                answers[n] = self.on_complete(action_ex, result,
                                              tasks[action_ex_id])
        return answers

    def on_complete(self, action_ex, result, task_ex=None):
        """Record an action's ``contracts.ActionResult`` and move its task
        forward; False if the action had completed already. ``task_ex``:
        its task if already read (else it is looked up)."""
        t = self.t
        if states.is_completed(action_ex.state):
            return False
        state, value = result.outcome()
        if action_ex.task_execution_id is None:
            return self._complete_alone(action_ex, state, value)
        run = t.lock(action_ex.workflow_execution_id)
        # Read again under the lock: a concurrent delivery of the same
        # result may have completed it meanwhile. (Not for an action
        # created by this very transaction, e.g. one run inline, nor one
        # read under the lock already: complete_many; on SQLite every read
        # of an engine transaction is, the transaction having taken the
        # database's write lock at its BEGIN IMMEDIATE.) Its input never
        # changes once stored: reading it again would parse another copy
        # of what may be megabytes of data.
        if action_ex.id not in self.read_under_lock and \
                not db_api.is_sqlite() and \
                sa.inspect(action_ex).persistent and \
                action_ex not in t.s.dirty:
            with t.s.no_autoflush:  # one flush per transaction, at commit
                t.s.refresh(action_ex, _refreshed_columns())
            if states.is_completed(action_ex.state):
                return False
        if action_ex.last_heartbeat is None and action_ex.executor_host:
            # Handed to its executor claimed (hand_over) and done before
            # its first heartbeat: the result is one (reports show it).
            action_ex.last_heartbeat = models.utcnow()
        if task_ex is None:
            task_ex = t.get_task_ex(action_ex.task_execution_id)
        if state != states.CANCELLED:
            state, value = self._post_process(run, action_ex, state, value)
        try:
            t.check_size('output', {'result': value})
        except exc.SizeLimitExceededException as e:
            changes.set_action_state(action_ex, states.ERROR)
            action_ex.output = {'result': None}
            action_ex.accepted = True
            if task_ex is not None and not states.is_completed(task_ex.state):
                t.tasks.force_fail(run, task_ex, fmt_error(e))
            return True
        changes.set_action_state(action_ex, state)
        action_ex.output = {'result': value}
        task_state = task_ex.state if task_ex is not None else None
        if task_ex is None or \
                task_state not in (states.RUNNING, states.PAUSED) or \
                (action_ex.runtime_context or {}).get('attempt', 0) != \
                attempt_of(task_ex):
            # A late result (task timed out, cancelled or retried since):
            # recorded, but it does not count as the task's result.
            action_ex.accepted = False
            return True
        action_ex.accepted = True
        task_spec = run.task_spec(task_ex)
        if task_state == states.PAUSED:
            changes.set_task_state(task_ex, states.RUNNING)
        info = None
        if state == states.ERROR:
            info = value if isinstance(value, str) else str(value)
        t.kind_of(task_spec).item_done(run, task_ex, task_spec, state, info)
        t.workflows.after_task_event(run)
        return True

    def _complete_alone(self, action_ex, state, value):
        """The result of an action run through the API (no task)."""
        s = self.t.s
        # Re-read under a row lock: the same result may be delivered twice
        # (executors repeat unanswered calls to another engine).
        if sa.inspect(action_ex).persistent and action_ex not in s.dirty:
            s.refresh(action_ex, with_for_update=not db_api.is_sqlite())
        if states.is_completed(action_ex.state):
            return False
        changes.set_action_state(action_ex, state)
        action_ex.output = {'result': value}
        action_ex.accepted = True
        return True

    def _post_process(self, run, action_ex, state, value):
        """An ad-hoc action's output transformation."""
        try:
            desc = self.resolve(run, action_ex.name)
            return state, desc.post_process(value, state == states.ERROR)
        except exc.MistralCloneError:
            return state, value
        except Exception as e:
            return states.ERROR, fmt_error(e)

    # --- again (crash recovery) -----------------------------------------------------

    def runnable_again(self, run, action_ex):
        """The runnable :meth:`start` sent, rebuilt; None when the action's
        result no longer matters (its task moved on). ``run`` is None for
        an action run through the API."""
        rc = action_ex.runtime_context or {}
        if run is None:
            desc = action_glue.Resolver(self.t.s, action_ex.project_id)(
                action_ex.name, rc.get('namespace') or
                action_ex.workflow_namespace or '', None)
            return desc.prepare(action_ex.input or {}, None).runnable(
                action_ex.id)
        task_ex = self.t.get_task_ex(action_ex.task_execution_id)
        if task_ex is None or run.wf_ex.state not in (
                states.RUNNING, states.PAUSED) or \
                task_ex.state not in (states.RUNNING, states.PAUSED) or \
                rc.get('attempt', 0) != attempt_of(task_ex):
            return None
        task_spec = run.task_spec(task_ex)
        item = self.t.kind_of(task_spec).item_of(run, task_ex, task_spec,
                                                 rc.get('index', 0))
        view = run.view(task_ex, task_ex.in_context, item)
        desc = self.resolve(run, action_ex.name)
        task_input = action_ex.input or {}
        call = desc.prepare(task_input, view)
        target = target_of(run, task_ex, task_spec, task_input)
        return call.runnable(
            action_ex.id, task_ex.id, run.wf_ex.id, run.wf_ex.workflow_name,
            self.t.policies.action_timeout(run, task_ex, task_spec, view),
            bool(task_spec.safe_rerun), target)


# The statements of complete_many, built once (building and keying one
# costs SQLAlchemy more than running it on a few rows): the ids go in as
# an expanding parameter.
_ACTION = models.ActionExecution
_WORKFLOWS_OF_ACTIONS = sa.select(_ACTION.workflow_execution_id).where(
    _ACTION.id.in_(sa.bindparam('ids', expanding=True)),
    _ACTION.task_execution_id.isnot(None))
_ACTIONS_AND_TASKS = sa.select(_ACTION, models.TaskExecution).outerjoin(
    models.TaskExecution,
    models.TaskExecution.id == _ACTION.task_execution_id).where(
        _ACTION.id.in_(sa.bindparam('ids', expanding=True))).options(
            orm.defer(_ACTION.input))


_WITHOUT_INPUT = (orm.defer(_ACTION.input),)


def _refreshed_columns():
    """The columns of an action execution that a concurrent transaction
    may change (all but its input)."""
    global _REFRESHED
    if _REFRESHED is None:
        _REFRESHED = [c.key for c in
                      sa.inspect(models.ActionExecution).column_attrs
                      if c.key != 'input']
    return _REFRESHED


_REFRESHED = None


def target_of(run, task_ex, task_spec, task_input):
    """The executor named by the task's ``target:``: it sees the task's
    context and input, never a with-items item (as on the reference)."""
    if not task_spec.target:
        return None
    return run.evaluate(task_spec.target, expressions.ContextView(
        task_input, run.view(task_ex, task_ex.in_context)))
