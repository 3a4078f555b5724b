"""The engine's imperative shell: one transaction per event.

Every event (start, action result, delayed job, pause/resume/...) is handled
inside one database transaction holding the row lock of the workflow
execution it concerns. The shell loads what the pure decision modules
(``direct``, ``reverse``, ``dataflow``, ``policies``) need, applies the
commands they return, and collects *effects* (actions to send to executors,
jobs to run right after commit) that the caller dispatches once the
transaction has committed.
"""

import datetime
import json
import logging

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone import lang
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import commands as cmds
from mistral_clone.engine import dataflow
from mistral_clone.engine import direct
from mistral_clone.engine import policies
from mistral_clone.engine import reverse
from mistral_clone.engine import states
from mistral_clone.engine.provider import EngineDataProvider

LOG = logging.getLogger(__name__)

utcnow = models.utcnow

# Set from [engine] execution_field_size_limit_kb by the service.
FIELD_SIZE_LIMIT_KB = 1024
# Set from [context_versioning] enabled.
CONTEXT_VERSIONING = True
STATE_INFO_LIMIT = 65500
# Trivial built-in actions (std.noop, std.echo without delay, ...) run right
# inside the engine transaction instead of a round trip through an executor:
# same observable result, a fraction of the cost. At most this many per
# transaction (0 disables; [engine] inline_builtin_actions).
INLINE_BUDGET = 200


class ForcedFailure(Exception):
    """Fail the task and its whole workflow at once (dsl.md §5.10 B)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_size(field, value):
    if FIELD_SIZE_LIMIT_KB < 0 or value is None:
        return
    size = len(json.dumps(value, default=str)) + 49
    size_kb = size // 1024
    if size_kb > FIELD_SIZE_LIMIT_KB:
        raise exc.SizeLimitExceededException(field, size_kb,
                                             FIELD_SIZE_LIMIT_KB)


def cut(text, limit=STATE_INFO_LIMIT):
    if text is None:
        return None
    text = str(text)
    if len(text) > limit:
        return text[:limit - 3] + '...'
    return text


def _fmt_error(e):
    return getattr(e, 'message', None) or str(e)


class Outbox:
    """Effects to dispatch after the transaction commits."""

    def __init__(self):
        self.actions = []       # dicts describing actions to run
        self.inline = []        # trivial actions to run in a follow-up
        self.jobs_now = []      # scheduled job ids to run immediately
        self.wake_scheduler = False

    def extend(self, other):
        self.actions.extend(other.actions)
        self.inline.extend(other.inline)
        self.jobs_now.extend(other.jobs_now)
        self.wake_scheduler = self.wake_scheduler or other.wake_scheduler


class WorkflowTx:
    """One workflow execution inside an engine transaction."""

    def __init__(self, handler, wf_ex):
        self.h = handler
        self.s = handler.s
        self.wf_ex = wf_ex
        self.spec = lang.get_workflow_spec(wf_ex.spec_text,
                                           name=wf_ex.workflow_name)
        self._tasks = None
        self._root_env = None

    # --- loading -------------------------------------------------------------

    @property
    def tasks(self):
        if self._tasks is None:
            self._tasks = list(self.s.execute(
                sa.select(models.TaskExecution)
                .where(models.TaskExecution.workflow_execution_id ==
                       self.wf_ex.id)
                .order_by(models.TaskExecution.seq)).scalars())
        return self._tasks

    def next_seq(self):
        self.wf_ex.task_count = (self.wf_ex.task_count or 0) + 1
        return self.wf_ex.task_count

    def add_task(self, task_ex):
        if self._tasks is not None:
            self._tasks.append(task_ex)

    def has_active_tasks(self):
        """Cheap check used on every event; the full list is only loaded
        when the workflow may be complete."""
        if self._tasks is not None:
            return any(t.state in states.ACTIVE for t in self._tasks)
        return self.s.execute(
            sa.select(models.TaskExecution.id)
            .where(models.TaskExecution.workflow_execution_id ==
                   self.wf_ex.id,
                   models.TaskExecution.state.in_(states.ACTIVE))
            .limit(1)).first() is not None

    def waiting_joins(self):
        if not self.spec_has_joins:
            return []
        if self._tasks is not None:
            return [t for t in self._tasks
                    if t.state == states.WAITING and t.unique_key]
        return list(self.s.execute(
            sa.select(models.TaskExecution)
            .where(models.TaskExecution.workflow_execution_id ==
                   self.wf_ex.id,
                   models.TaskExecution.state == states.WAITING,
                   models.TaskExecution.unique_key.is_not(None))
            .order_by(models.TaskExecution.seq)).scalars())

    @property
    def spec_has_joins(self):
        return self.is_direct and any(
            t.join for t in self.spec.tasks.values())

    @property
    def env(self):
        if self._root_env is None:
            params = self.wf_ex.params or {}
            root_id = self.wf_ex.root_execution_id
            if root_id and root_id != self.wf_ex.id:
                root = self.s.get(models.WorkflowExecution, root_id)
                params = (root.params if root is not None else params) or {}
            self._root_env = params.get('env') or {}
        return self._root_env

    @property
    def is_direct(self):
        return self.spec.type == 'direct'

    def task_info(self, task_ex):
        return {'id': task_ex.id, 'name': task_ex.name}

    def view(self, task_ex, ctx, extra=None):
        return dataflow.task_view(
            self.task_info(task_ex) if task_ex is not None else None,
            self.env, self.wf_ex.context, self.wf_ex.input, ctx, extra)

    def evaluate(self, data, view):
        with expressions.using_data_provider(self.h.provider):
            return expressions.evaluate_recursively(data, view)


class Handler:
    """Applies engine decisions within one session/transaction."""

    def __init__(self, session, action_resolver, project_id=None):
        self.s = session
        self.outbox = Outbox()
        self.resolve_action = action_resolver
        self.provider = EngineDataProvider(session, self)
        self._wftx = {}
        self._new_tasks = {}
        self._locked = set()
        self.project_id = project_id
        self.inline = []
        self.inline_budget = INLINE_BUDGET
        # with-items collections evaluated in this transaction, by task id
        self._items_cache = {}

    def get_task_ex(self, task_ex_id):
        """A task execution by id; also finds the ones this transaction
        created and has not flushed yet (``Session.get`` would flush)."""
        task_ex = self._new_tasks.get(task_ex_id)
        if task_ex is None:
            task_ex = self.s.get(models.TaskExecution, task_ex_id)
        return task_ex

    def wftx(self, wf_ex):
        tx = self._wftx.get(wf_ex.id)
        if tx is None:
            tx = WorkflowTx(self, wf_ex)
            self._wftx[wf_ex.id] = tx
        return tx

    def lock_wf(self, wf_ex_id):
        if wf_ex_id in self._locked:
            return self._wftx[wf_ex_id]  # already locked by this transaction
        wf_ex = db_api.lock_for_update(self.s, models.WorkflowExecution,
                                       wf_ex_id)
        if wf_ex is None:
            raise exc.DBEntityNotFoundError(
                'WorkflowExecution not found [id=%s]' % wf_ex_id)
        self._locked.add(wf_ex_id)
        return self.wftx(wf_ex)

    # =====================================================================
    # Workflow start
    # =====================================================================

    def create_workflow_execution(self, wf_def_row, spec_text, wf_input,
                                  description, params, wf_ex_id=None,
                                  parent_task=None, project_id=None):
        """Validate input, create the execution and run its start tasks."""
        spec = lang.get_workflow_spec(
            spec_text, name=wf_def_row.name if wf_def_row is not None
            else None)
        wf_input = validate_input(spec, wf_input or {})
        params = dict(params or {})
        if spec.type == 'reverse':
            task_name = params.get('task_name')
            if not task_name or task_name not in spec.tasks:
                shown = dict(spec.raw)
                shown['tasks'] = {n: t.raw for n, t in spec.tasks.items()}
                raise exc.WorkflowException(
                    'Invalid task name [wf_spec=ReverseWorkflowSpec %s, '
                    'task_name=%s]' % (shown, task_name))
        check_size('input', wf_input)
        check_size('params', params)
        now = utcnow()
        wf_ex = models.WorkflowExecution(
            id=wf_ex_id or models.new_id(),
            workflow_name=wf_def_row.name if wf_def_row is not None
            else spec.name,
            workflow_id=wf_def_row.id if wf_def_row is not None else None,
            workflow_namespace=params.get('namespace', ''),
            description=description or '',
            tags=(wf_def_row.tags if wf_def_row is not None else None) or [],
            state=states.RUNNING,
            input=wf_input,
            output={},
            params=params,
            spec_text=spec_text,
            project_id=project_id or self.project_id or '<default-project>',
            accepted=False,
            version=0,
            created_at=now,
            updated_at=now,
        )
        if parent_task is not None:
            wf_ex.task_execution_id = parent_task.id
            wf_ex.root_execution_id = params.get('root_execution_id')
        wf_ex.context = {'__execution': {'id': wf_ex.id}}
        wf_ex.runtime_context = {}
        self.s.add(wf_ex)
        self.s.flush()
        self._locked.add(wf_ex.id)  # created by this transaction
        tx = self.wftx(wf_ex)
        tx._tasks = []
        # Workflow vars, evaluated in order against env + context + input.
        if spec.vars:
            # All vars see the same view (one cannot use another); an error
            # rejects the start (HTTP 400, nothing stored).
            ctx = dict(wf_ex.context)
            ctx.update(tx.evaluate(spec.vars, dataflow.workflow_view(
                tx.env, ctx, wf_input)))
            wf_ex.context = ctx
            wf_ex.runtime_context = {'var_names': list(spec.vars)}
        if tx.is_direct:
            start = direct.start_commands(spec)
        else:
            start = [cmds.RunTask(n, {}) for n in reverse.ready_tasks(
                spec, params['task_name'], [])]
        self.dispatch(tx, start)
        self.check_completion(tx)
        return wf_ex

    # =====================================================================
    # Command dispatch
    # =====================================================================

    def dispatch(self, tx, commands):
        if tx.wf_ex.state in states.TERMINAL:
            return
        now, backlog = cmds.rearrange(commands)
        for i, c in enumerate(now):
            state = tx.wf_ex.state
            # Like the reference, tasks of one batch still start after a
            # sibling's forced failure ended the workflow; engine commands
            # and the rest of a batch after them do not.
            if state in states.TERMINAL and not (
                    state == states.ERROR and isinstance(c, cmds.RunTask)):
                return
            if state == states.PAUSED:
                self._add_backlog(tx, now[i:] + backlog)
                return
            if isinstance(c, cmds.RunTask):
                self.run_task_command(tx, c)
            elif c.name == 'fail':
                self.fail_workflow(tx, c.msg)
            elif c.name == 'succeed':
                self.succeed_workflow(tx, c.msg)
            elif c.name == 'pause':
                self.pause_workflow(tx, c.msg)
                self._add_backlog(tx, backlog)
                return

    def _add_backlog(self, tx, commands):
        commands = [c for c in commands
                    if not (isinstance(c, cmds.EngineCommand) and
                            c.name == 'pause')]
        if not commands:
            return
        rc = dict(tx.wf_ex.runtime_context or {})
        rc['backlog'] = list(rc.get('backlog') or []) + [
            c.to_dict() for c in commands]
        tx.wf_ex.runtime_context = rc

    def run_task_command(self, tx, c):
        task_spec = tx.spec.tasks.get(c.name)
        if task_spec is None:
            raise exc.WorkflowException('Task %s not found in workflow %s'
                                        % (c.name, tx.spec.name))
        if tx.is_direct and task_spec.join:
            self._run_join(tx, task_spec, c)
            return
        task_ex = self._new_task_ex(tx, task_spec, states.IDLE,
                                    c.in_context, c.triggered_by)
        self.start_task(tx, task_ex, task_spec)

    def _new_task_ex(self, tx, task_spec, state, in_context, triggered_by,
                     unique_key=None):
        rc = {}
        if triggered_by:
            rc['triggered_by'] = triggered_by
        task_ex = models.TaskExecution(
            id=models.new_id(),
            name=task_spec.name,
            workflow_execution_id=tx.wf_ex.id,
            workflow_name=tx.wf_ex.workflow_name,
            workflow_namespace=tx.wf_ex.workflow_namespace,
            workflow_id=tx.wf_ex.workflow_id,
            type=task_spec.type,
            tags=list(task_spec.tags or []),
            state=state,
            in_context=in_context or {},
            runtime_context=rc,
            next_tasks=[],
            has_next_tasks=False,
            error_handled=False,
            processed=False,
            unique_key=unique_key,
            project_id=tx.wf_ex.project_id,
            seq=tx.next_seq(),
            created_at=utcnow(),
        )
        task_ex.updated_at = task_ex.created_at
        self.s.add(task_ex)
        self._new_tasks[task_ex.id] = task_ex
        tx.add_task(task_ex)
        return task_ex

    # --- joins ---------------------------------------------------------------

    def _run_join(self, tx, task_spec, c):
        key = 'join-task-%s-%s' % (tx.wf_ex.id, task_spec.name)
        task_ex = None
        for t in tx.tasks:  # joins need the full list anyway
            if t.unique_key == key:
                task_ex = t
                break
        if task_ex is None:
            task_ex = self._new_task_ex(tx, task_spec, states.WAITING, {},
                                        None, unique_key=key)
        elif task_spec.join != 'all' and states.is_completed(task_ex.state):
            # Reference quirk kept on purpose (dsl.md §5.7): an inbound task
            # completing after a partial join ran puts the same join
            # execution back to WAITING; it runs again and re-fires its
            # transitions.
            task_ex.state = states.WAITING
            task_ex.state_info = None
            task_ex.processed = False
            task_ex.finished_at = None
            task_ex.next_tasks = []
            task_ex.has_next_tasks = False
        if task_ex.state == states.WAITING:
            self.refresh_join(tx, task_ex, task_spec)

    def refresh_join(self, tx, task_ex, task_spec):
        logical, sources, info = direct.join_state(tx.spec, task_spec,
                                                   tx.tasks)
        if logical == states.WAITING:
            task_ex.state_info = info
            return
        task_ex.in_context = dataflow.merge_contexts(
            [self.outbound(t) for t in sources], CONTEXT_VERSIONING)
        rc = dict(task_ex.runtime_context or {})
        rc['triggered_by'] = [{'task_id': t.id, 'event': self._event_of(
            t, task_spec.name)} for t in sources]
        task_ex.runtime_context = rc
        if logical == states.RUNNING:
            task_ex.state_info = None
            self.start_task(tx, task_ex, task_spec)
        else:
            task_ex.state = states.RUNNING
            task_ex.started_at = utcnow()
            self.complete_task(tx, task_ex, states.ERROR, info)

    @staticmethod
    def _event_of(src, name):
        for n, ev in src.next_tasks or []:
            if n == name:
                return ev
        return None

    def refresh_waiting_joins(self, tx):
        for t in tx.waiting_joins():
            if t.state == states.WAITING and \
                    tx.wf_ex.state == states.RUNNING:
                spec = tx.spec.tasks[t.name]
                if spec.join:
                    self.refresh_join(tx, t, spec)

    # =====================================================================
    # Starting a task
    # =====================================================================

    def start_task(self, tx, task_ex, task_spec, run_policies=True):
        """Run before-start policies, then the task's action(s)."""
        try:
            if run_policies:
                delayed = policies.before_start(self, tx, task_ex, task_spec)
                if delayed:
                    return
            if task_ex.state not in (states.RUNNING,):
                if task_ex.started_at is None or task_ex.state in (
                        states.IDLE, states.WAITING):
                    task_ex.started_at = task_ex.started_at or utcnow()
                task_ex.state = states.RUNNING
            self.schedule_task_work(tx, task_ex, task_spec)
        except ForcedFailure as f:
            self.force_fail(tx, task_ex, f.message)

    def _run_task_error(self, tx, task_ex, e):
        return ForcedFailure(
            'Failed to run task [error=%s, wf=%s, task=%s]:\n%s' % (
                _fmt_error(e), tx.wf_ex.workflow_name, task_ex.name,
                _traceback_hint(e)))

    def schedule_task_work(self, tx, task_ex, task_spec, indexes=None):
        """Create the action/sub-workflow executions of a started task."""
        view = tx.view(task_ex, task_ex.in_context)
        if task_spec.with_items:
            try:
                items = self._with_items_values(tx, task_ex, task_spec, view)
            except ForcedFailure:
                raise
            except Exception as e:
                raise self._run_task_error(tx, task_ex, e)
            count = len(items)
            rc = dict(task_ex.runtime_context or {})
            concurrency = policies.concurrency(self, tx, task_ex, task_spec,
                                               view)
            rc['with_items'] = {'count': count,
                                'capacity': concurrency or None}
            if concurrency:
                rc['concurrency'] = concurrency
            task_ex.runtime_context = rc
            if indexes is None:
                indexes = list(range(count))
            ed = dict(task_ex.engine_data or {})
            ed['items'] = {'pending': list(indexes), 'running': 0,
                           'capacity': concurrency or count}
            task_ex.engine_data = ed
            if not indexes:
                self.complete_task(tx, task_ex, states.SUCCESS, None)
                return
            self._start_pending_items(tx, task_ex, task_spec, items)
        else:
            self._run_item(tx, task_ex, task_spec, None, None)

    def _with_items_values(self, tx, task_ex, task_spec, view):
        values = {}
        length = None
        for var, collection in task_spec.with_items:
            if isinstance(collection, str):
                with expressions.using_data_provider(self.provider):
                    value = expressions.evaluate(collection, view)
            else:
                value = collection
            if isinstance(value, dict) or not hasattr(value, '__iter__'):
                raise exc.InputException(
                    'Wrong input format for: %s. Iterable type is expected '
                    'for each value.' % {var: value})
            value = list(value)
            values[var] = value
            if length is None:
                length = len(value)
            elif len(value) != length:
                raise exc.InputException(
                    'Wrong input format for: %s. All arrays must have the '
                    'same length.' % values)
        length = length or 0
        return [{var: values[var][i] for var in values}
                for i in range(length)]

    def _start_pending_items(self, tx, task_ex, task_spec, items=None):
        ed = dict(task_ex.engine_data)
        wi = dict(ed['items'])
        capacity = wi['capacity']
        pending = list(wi.get('pending') or [])
        if items is None and pending:
            items = self._items_cache.get(task_ex.id)
            if items is None:
                view = tx.view(task_ex, task_ex.in_context)
                items = self._with_items_values(tx, task_ex, task_spec, view)
        self._items_cache[task_ex.id] = items
        to_start = []
        while pending and wi.get('running', 0) < capacity:
            to_start.append(pending.pop(0))
            wi['running'] = wi.get('running', 0) + 1
        wi['pending'] = pending
        ed['items'] = wi
        task_ex.engine_data = ed
        for index in to_start:
            self._run_item(tx, task_ex, task_spec, index, items[index])
            if task_ex.state != states.RUNNING:
                return

    def _run_item(self, tx, task_ex, task_spec, index, item):
        """Start one action or sub-workflow for the task (item of with-items
        when ``index`` is not None)."""
        view = tx.view(task_ex, task_ex.in_context, item)
        try:
            task_input = self._task_input(tx, task_spec, view)
            if task_spec.workflow:
                name = task_spec.workflow
                if expressions.is_expression(name):
                    name = tx.evaluate(name, view)
            else:
                name = task_spec.action or 'std.noop'
                if task_spec.action_is_expression or \
                        expressions.is_expression(name):
                    name = tx.evaluate(name, view) or 'std.noop'
        except ForcedFailure:
            raise
        except Exception as e:
            raise self._run_task_error(tx, task_ex, e)
        if task_spec.workflow:
            self._start_subworkflow(tx, task_ex, task_spec, name, task_input,
                                    index)
        else:
            self._start_action(tx, task_ex, task_spec, name, task_input,
                               index, view)

    def _task_input(self, tx, task_spec, view):
        raw = task_spec.input
        if isinstance(raw, str):
            value = tx.evaluate(raw, view)
            if not isinstance(value, dict):
                raise exc.InputException(
                    'Wrong dynamic input for task: %s. Dict type is expected.'
                    ' Actual type: %s, Actual value: %s' % (
                        task_spec.name, type(value).__name__, value))
            data = dict(task_spec.inline_params or {})
            data.update(value)
            return data
        data = dict(task_spec.inline_params or {})
        data.update(raw or {})
        return tx.evaluate(data, view) if data else {}

    # --- actions -------------------------------------------------------------

    def _start_action(self, tx, task_ex, task_spec, name, task_input, index,
                      view):
        namespace = tx.wf_ex.workflow_namespace or ''
        try:
            desc = self.resolve_action(
                name, namespace, _workbook_of(tx.wf_ex.workflow_name))
        except exc.MistralCloneError as e:
            raise ForcedFailure(
                'Failed to run task [error=%s, wf=%s, task=%s]:\n' % (
                    _fmt_error(e), tx.wf_ex.workflow_name, task_ex.name))
        # Per-action defaults from env.__actions (task input wins).
        defaults = ((tx.env or {}).get('__actions') or {}).get(
            task_spec.action if task_spec.action else name)
        if isinstance(defaults, dict) and defaults:
            merged = dict(defaults)
            merged.update(task_input)
            task_input = merged
        try:
            desc.check_parameters(task_input)
        except Exception as e:
            raise self._run_task_error(tx, task_ex, e)
        check_size('input', task_input)
        safe_rerun = bool(task_spec.safe_rerun)
        timeout = policies.action_timeout(self, tx, task_ex, task_spec, view)
        target = None
        if task_spec.target:
            try:
                target = tx.evaluate(task_spec.target, expressions.ContextView(
                    task_input, view))
            except Exception as e:
                raise self._run_task_error(tx, task_ex, e)
        wf_ctx = view
        action_ex = models.ActionExecution(
            id=models.new_id(),
            name=desc.name,
            workflow_name=tx.wf_ex.workflow_name,
            workflow_namespace=tx.wf_ex.workflow_namespace,
            task_execution_id=task_ex.id,
            workflow_execution_id=tx.wf_ex.id,
            state=states.RUNNING,
            input=desc.input_with_defaults(task_input),
            accepted=False,
            is_sync=True,
            description='',
            runtime_context={'index': index or 0, 'safe_rerun': safe_rerun,
                             'attempt': attempt_of(task_ex)},
            project_id=tx.wf_ex.project_id,
        )
        try:
            runnable = desc.prepare(task_input, wf_ctx)
        except Exception as e:
            action_ex.state = states.ERROR
            msg = 'Failed to instantiate an action [action_desc=%s]' % (
                desc.describe() if hasattr(desc, 'describe') else desc.name)
            action_ex.output = {'result': msg}
            action_ex.accepted = True
            self.s.add(action_ex)
            LOG.debug('Action instantiation failed: %s', e)
            self._on_item_done(tx, task_ex, task_spec, states.ERROR, msg)
            return
        action_ex.is_sync = runnable['is_sync']
        self.s.add(action_ex)
        runnable.update({
            'action_ex_id': action_ex.id,
            'task_ex_id': task_ex.id,
            'wf_ex_id': tx.wf_ex.id,
            'workflow_name': tx.wf_ex.workflow_name,
            'timeout': timeout,
            'safe_rerun': safe_rerun,
            'target': target,
        })
        if runnable.get('inline') and not target and self.inline_budget > 0:
            self.inline_budget -= 1
            self.inline.append((action_ex, runnable))
        else:
            self.outbox.actions.append(runnable)

    def drain_inline(self):
        """Run the queued trivial actions and process their results, which
        may queue more (a chain of std.noop runs in one transaction)."""
        from mistral_clone.engine import action_glue
        while self.inline:
            action_ex, runnable = self.inline.pop(0)
            result = action_glue.run_inline(runnable)
            self.on_action_complete(action_ex, result)

    def defer_inline(self):
        """Leave queued trivial actions to a follow-up transaction (the
        caller answers first: a start request returns RUNNING)."""
        self.outbox.inline.extend(r for _, r in self.inline)
        self.inline = []

    def run_inline_batch(self, runnables):
        """Follow-up of :meth:`defer_inline`."""
        for runnable in runnables:
            action_ex = self.s.get(models.ActionExecution,
                                   runnable['action_ex_id'])
            if action_ex is None or action_ex.state != states.RUNNING:
                continue
            tx = self.lock_wf(action_ex.workflow_execution_id)
            # A whole chain may follow in this transaction: load the task
            # list once instead of querying (and flushing) at every step.
            tx.tasks
            self.inline.append((action_ex, runnable))
        self.drain_inline()

    # --- sub-workflows ---------------------------------------------------------

    def _start_subworkflow(self, tx, task_ex, task_spec, name, task_input,
                           index):
        wf_def = find_workflow_for_subworkflow(
            self.s, name, tx.wf_ex.workflow_namespace or '',
            tx.wf_ex.workflow_name, tx.wf_ex.project_id)
        if wf_def is None:
            self._on_item_done(
                tx, task_ex, task_spec, states.ERROR,
                'Failed to find workflow [name=%s] [namespace=%s]' % (
                    name, tx.wf_ex.workflow_namespace or ''))
            return
        child_spec = lang.get_workflow_spec(wf_def.definition,
                                             name=wf_def.name)
        declared = {n for n, _ in child_spec.input}
        child_input = {}
        params = {}
        for k, v in (task_input or {}).items():
            if k in declared:
                child_input[k] = v
            else:
                params[k] = v
        root_id = tx.wf_ex.root_execution_id or tx.wf_ex.id
        params.update({
            'root_execution_id': root_id,
            'task_execution_id': task_ex.id,
            'index': index or 0,
            'namespace': wf_def.namespace,
        })
        notify = (tx.wf_ex.params or {}).get('notify')
        if notify:
            params['notify'] = notify
        try:
            child = self.create_workflow_execution(
                wf_def, wf_def.definition, child_input,
                'sub-workflow execution', params, parent_task=task_ex,
                project_id=tx.wf_ex.project_id)
        except (exc.InputException, exc.WorkflowException,
                exc.SizeLimitExceededException) as e:
            self._on_item_done(tx, task_ex, task_spec, states.ERROR,
                               _fmt_error(e))
            return
        child.root_execution_id = root_id
        child.accepted = False
        rc = dict(child.runtime_context or {})
        rc['attempt'] = attempt_of(task_ex)
        child.runtime_context = rc

    # =====================================================================
    # Results
    # =====================================================================

    def on_action_complete(self, action_ex, result):
        """Record an action's result and move its task forward.

        ``result`` is ``{'data': ..., 'error': ..., 'cancel': bool}``.
        """
        if states.is_completed(action_ex.state):
            return False
        if result.get('cancel'):
            state, value = states.CANCELLED, None
        elif result.get('error') is not None:
            state, value = states.ERROR, result['error']
        else:
            state, value = states.SUCCESS, result.get('data')
        if action_ex.task_execution_id is None:
            # Re-read under a row lock: the same result may be delivered
            # twice (executors repeat unanswered calls to another engine).
            if sa.inspect(action_ex).persistent and \
                    action_ex not in self.s.dirty:
                self.s.refresh(action_ex,
                               with_for_update=not db_api.is_sqlite())
            if states.is_completed(action_ex.state):
                return False
            action_ex.state = state
            action_ex.output = {'result': value}
            action_ex.accepted = True
            return True
        tx = self.lock_wf(action_ex.workflow_execution_id)
        # Read before the lock: a concurrent delivery of the same result may
        # have completed it meanwhile. (Not for an action created by this
        # very transaction, e.g. one run inline.)
        if sa.inspect(action_ex).persistent and \
                action_ex not in self.s.dirty:
            self.s.refresh(action_ex)
        if states.is_completed(action_ex.state):
            return False
        task_ex = self.get_task_ex(action_ex.task_execution_id)
        # Ad-hoc output transformation.
        if state != states.CANCELLED:
            try:
                desc = self.resolve_action(
                    action_ex.name, tx.wf_ex.workflow_namespace or '',
                    _workbook_of(tx.wf_ex.workflow_name))
                value = desc.post_process(value, state == states.ERROR)
            except exc.MistralCloneError:
                pass
            except Exception as e:
                state, value = states.ERROR, _fmt_error(e)
        try:
            check_size('output', {'result': value})
        except exc.SizeLimitExceededException as e:
            action_ex.state = states.ERROR
            action_ex.output = {'result': None}
            action_ex.accepted = True
            if task_ex is not None and not states.is_completed(task_ex.state):
                self.force_fail(tx, task_ex, _fmt_error(e))
            return True
        action_ex.state = state
        action_ex.output = {'result': value}
        if task_ex is None or \
                task_ex.state not in (states.RUNNING, states.PAUSED) or \
                (action_ex.runtime_context or {}).get('attempt', 0) != \
                attempt_of(task_ex):
            # A late result (task timed out, cancelled or retried since):
            # recorded, but it does not count as the task's result.
            action_ex.accepted = False
            return True
        action_ex.accepted = True
        task_spec = tx.spec.tasks[task_ex.name]
        if task_ex.state == states.PAUSED:
            task_ex.state = states.RUNNING
        info = None
        if state == states.ERROR:
            info = value if isinstance(value, str) else str(value)
        self._on_item_done(tx, task_ex, task_spec, state, info)
        self.after_task_event(tx)
        return True

    def _on_item_done(self, tx, task_ex, task_spec, state, state_info):
        """One action/sub-workflow of the task finished."""
        if not task_spec.with_items:
            self.complete_task(tx, task_ex, state, state_info)
            return
        ed = dict(task_ex.engine_data or {})
        wi = dict(ed.get('items') or {})
        wi['running'] = max(0, wi.get('running', 1) - 1)
        if state == states.CANCELLED:
            wi['cancelled'] = True
        elif state == states.ERROR:
            wi['failed'] = True
        ed['items'] = wi
        task_ex.engine_data = ed
        if wi.get('cancelled'):
            self.complete_task(tx, task_ex, states.CANCELLED,
                               'One or more actions was cancelled.')
            return
        if wi.get('pending'):
            self._start_pending_items(tx, task_ex, task_spec)
            return
        if wi.get('running', 0) > 0:
            return
        if wi.get('failed'):
            self.complete_task(tx, task_ex, states.ERROR,
                               'One or more actions had failed.')
        else:
            self.complete_task(tx, task_ex, states.SUCCESS, None)

    def on_subworkflow_complete(self, child):
        if not child.task_execution_id:
            return
        task_ex = self.get_task_ex(child.task_execution_id)
        if task_ex is None:
            return
        tx = self.lock_wf(task_ex.workflow_execution_id)
        if task_ex.state not in (states.RUNNING, states.PAUSED):
            return
        if child.accepted or (child.runtime_context or {}).get(
                'attempt', 0) != attempt_of(task_ex):
            return
        child.accepted = True
        task_spec = tx.spec.tasks[task_ex.name]
        if child.state == states.SUCCESS:
            state, info = states.SUCCESS, None
        elif child.state == states.CANCELLED:
            state = states.CANCELLED
            info = child.state_info or (
                'Cancelled subworkflow [execution_id=%s]' % child.id)
        else:
            state = states.ERROR
            info = child.state_info or (
                'Failed subworkflow [execution_id=%s]' % child.id)
        if task_ex.state == states.PAUSED:
            task_ex.state = states.RUNNING
        self._on_item_done(tx, task_ex, task_spec, state, info)
        self.after_task_event(tx)

    # =====================================================================
    # Task completion
    # =====================================================================

    def outbound(self, task_ex):
        return dataflow.outbound_context(task_ex.in_context,
                                         task_ex.published)

    def complete_task(self, tx, task_ex, state, state_info, run_policies=True):
        try:
            self._complete_task(tx, task_ex, state, state_info, run_policies)
        except ForcedFailure as f:
            self.force_fail(tx, task_ex, f.message)

    def _complete_task(self, tx, task_ex, state, state_info, run_policies):
        task_spec = tx.spec.tasks[task_ex.name]
        task_ex.state = state
        task_ex.state_info = cut(state_info)
        self._publish(tx, task_ex, task_spec, state)
        if run_policies and state in (states.SUCCESS, states.ERROR):
            if policies.after_complete(self, tx, task_ex, task_spec):
                return  # delayed (wait-after / retry)
        self.finish_task(tx, task_ex, task_spec)

    def _publish(self, tx, task_ex, task_spec, state):
        if state not in (states.SUCCESS, states.ERROR, states.SKIPPED):
            return
        branch, glob = task_spec.publish_for(state)
        if not branch and not glob:
            if branch is not None:
                task_ex.published = {}
            return
        view = tx.view(task_ex, task_ex.in_context)
        try:
            if branch is not None:
                published = tx.evaluate(branch, view)
                check_size('published', published)
                task_ex.published = published
            if glob:
                values = tx.evaluate(glob, view)
                ctx = dict(tx.wf_ex.context or {})
                ctx.update(values)
                tx.wf_ex.context = ctx
                task_ex.published_global = values
        except (exc.EvaluationException, exc.SizeLimitExceededException) as e:
            raise self._completion_error(tx, task_ex, e)

    def _completion_error(self, tx, task_ex, e):
        return ForcedFailure(
            'Failed to handle action completion [error=%s, wf=%s, task=%s, '
            'action=%s]:\n%s' % (
                _fmt_error(e), tx.wf_ex.workflow_name, task_ex.name,
                self._action_name_of(tx, task_ex), _traceback_hint(e)))

    def _action_name_of(self, tx, task_ex):
        spec = tx.spec.tasks[task_ex.name]
        return spec.workflow or spec.action or 'std.noop'

    def finish_task(self, tx, task_ex, task_spec):
        """The task is final: mark it, apply keep-result, fire transitions."""
        task_ex.finished_at = utcnow()
        if not policies.keep_result(task_spec):
            self.s.execute(
                sa.update(models.ActionExecution)
                .where(models.ActionExecution.task_execution_id == task_ex.id)
                .values(output={}))
        if tx.wf_ex.state == states.PAUSED:
            task_ex.processed = False
            return
        if tx.wf_ex.state != states.RUNNING:
            task_ex.processed = True
            return
        self.process_transitions(tx, task_ex, task_spec)

    def process_transitions(self, tx, task_ex, task_spec):
        task_ex.processed = True
        if not tx.is_direct:
            target = (tx.wf_ex.params or {}).get('task_name')
            ready = reverse.ready_tasks(tx.spec, target, tx.tasks)
            commands = []
            for name in ready:
                sources = reverse.required_sources(tx.spec, name, tx.tasks)
                ctx = dataflow.merge_contexts(
                    [self.outbound(t) for t in sources], CONTEXT_VERSIONING)
                commands.append(cmds.RunTask(name, ctx))
            if commands:
                task_ex.next_tasks = [[c.name, None] for c in commands]
                task_ex.has_next_tasks = True
            self.dispatch(tx, commands)
            return
        out_ctx = self.outbound(task_ex)
        view = tx.view(task_ex, out_ctx)

        def evaluate(expression):
            return tx.evaluate(expression, view)

        def evaluate_params(params):
            return tx.evaluate(params, view)

        try:
            fired = direct.fired_transitions(task_spec, task_ex.state,
                                             evaluate)
            commands, next_tasks, handled = direct.next_commands(
                task_ex, fired, out_ctx, evaluate_params)
        except exc.EvaluationException as e:
            raise self._completion_error(tx, task_ex, e)
        task_ex.next_tasks = next_tasks
        task_ex.has_next_tasks = bool(next_tasks)
        if task_ex.state == states.ERROR:
            task_ex.error_handled = handled
        self.dispatch(tx, commands)

    def after_task_event(self, tx):
        """After a task changed: re-evaluate waiting joins, check the end."""
        if tx.wf_ex.state == states.RUNNING:
            self.refresh_waiting_joins(tx)
        self.check_completion(tx)

    # =====================================================================
    # Workflow completion and state changes
    # =====================================================================

    def check_completion(self, tx):
        wf_ex = tx.wf_ex
        if wf_ex.state != states.RUNNING:
            return
        if (wf_ex.runtime_context or {}).get('backlog'):
            return
        if tx.has_active_tasks():
            return
        final = direct.completion_state(tx.tasks)
        if final is None:
            return
        if final == states.SUCCESS:
            self.succeed_workflow(tx, None, check_output=True)
        elif final == states.CANCELLED:
            names = sorted({t.name for t in tx.tasks
                            if t.state == states.CANCELLED})
            msg = 'Cancelled tasks: %s' % ', '.join(names)
            self._set_final(tx, states.CANCELLED, msg, {'result': msg})
        else:
            self.fail_workflow(tx, self.failure_message(tx))

    def final_context(self, tx):
        if tx.is_direct:
            sources = direct.final_context_sources(tx.tasks)
            ctx = dataflow.merge_contexts(
                [self.outbound(t) for t in sources], CONTEXT_VERSIONING)
        else:
            target = (tx.wf_ex.params or {}).get('task_name')
            ctx = {}
            for t in tx.tasks:
                if t.name == target:
                    ctx = self.outbound(t)
        return dataflow.strip_internal(ctx)

    def succeed_workflow(self, tx, msg, check_output=True):
        final_ctx = self.final_context(tx)
        output = None
        if tx.spec.output:
            view = dataflow.workflow_view(tx.env, tx.wf_ex.context,
                                          tx.wf_ex.input, final_ctx)
            try:
                output = tx.evaluate(tx.spec.output, view)
                check_size('output', output)
            except (exc.EvaluationException,
                    exc.SizeLimitExceededException) as e:
                self.fail_workflow(
                    tx, 'Failed to check and complete [wf_ex_id=%s, '
                    'wf_name=%s]: %s' % (tx.wf_ex.id, tx.wf_ex.workflow_name,
                                         _fmt_error(e)))
                return
        if not output:
            output = final_ctx
        self._set_final(tx, states.SUCCESS, msg, output)

    def fail_workflow(self, tx, msg):
        final_ctx = self.final_context(tx)
        msg = cut(msg)
        on_error = final_ctx
        if tx.spec.output_on_error:
            view = dataflow.workflow_view(tx.env, tx.wf_ex.context,
                                          tx.wf_ex.input, final_ctx)
            try:
                on_error = tx.evaluate(tx.spec.output_on_error, view)
            except exc.EvaluationException as e:
                msg = ("Failed to evaluate expression in output-on-error! "
                       "(output-on-error: '%s', exception: '%s' Cause: '%s'"
                       % (tx.spec.output_on_error, _fmt_error(e), msg))
                on_error = {}
        output = {'result': msg}
        if isinstance(on_error, dict):
            output = dataflow.deep_merge(output, on_error)
        self._set_final(tx, states.ERROR, msg, output)

    def _set_final(self, tx, state, msg, output):
        wf_ex = tx.wf_ex
        wf_ex.state = state
        wf_ex.state_info = cut(msg)
        wf_ex.output = output
        rc = dict(wf_ex.runtime_context or {})
        rc.pop('backlog', None)
        wf_ex.runtime_context = rc
        if wf_ex.task_execution_id:
            self.schedule_job('subworkflow_completed',
                              {'wf_ex_id': wf_ex.id}, run_now=True,
                              wf_ex_id=wf_ex.id)

    def failure_message(self, tx):
        errors = sorted(
            (t for t in tx.tasks if t.state == states.ERROR and
             not t.error_handled), key=lambda t: t.name)
        listed = [t for t in errors if not self._has_on_error(tx, t.name)]
        blocks = []
        for t in errors:
            lines = ['  %s [task_ex_id=%s] -> %s' % (
                t.name, t.id, t.state_info)]
            for idx, ae in enumerate(self.s.execute(
                    sa.select(models.ActionExecution)
                    .where(models.ActionExecution.task_execution_id == t.id,
                           models.ActionExecution.state == states.ERROR)
                    .order_by(models.ActionExecution.created_at)).scalars()):
                lines.append('    [action_ex_id=%s, idx=%s]: %s' % (
                    ae.id, idx, (ae.output or {}).get('result')))
            for idx, we in enumerate(self.s.execute(
                    sa.select(models.WorkflowExecution)
                    .where(models.WorkflowExecution.task_execution_id == t.id,
                           models.WorkflowExecution.state == states.ERROR)
                    .order_by(models.WorkflowExecution.created_at))
                    .scalars()):
                lines.append('    [wf_ex_id=%s, idx=%s]: %s' % (
                    we.id, idx, (we.output or {}).get('result')))
            blocks.append('\n'.join(lines) + '\n')
        return 'Failure caused by error in tasks: %s\n\n%s' % (
            ', '.join(t.name for t in listed), '\n'.join(blocks))

    def _has_on_error(self, tx, task_name):
        spec = tx.spec.tasks[task_name]
        clause = spec.transitions('on-error') if tx.is_direct else None
        return bool(clause and clause.entries)

    def force_fail(self, tx, task_ex, message):
        """Forced failure: the task and its workflow fail at once."""
        task_ex.state = states.ERROR
        task_ex.state_info = cut(message)
        task_ex.finished_at = utcnow()
        task_ex.processed = True
        if tx.wf_ex.state in (states.RUNNING, states.PAUSED, states.ERROR):
            self.fail_workflow(tx, message)

    # --- pause / resume / stop ----------------------------------------------

    def pause_workflow(self, tx, msg=None):
        wf_ex = tx.wf_ex
        if wf_ex.state == states.PAUSED:
            return
        if wf_ex.state != states.RUNNING:
            raise exc.WorkflowException(
                "Can't change workflow execution state from %s to PAUSED. "
                "[workflow=%s, execution_id=%s]" % (
                    wf_ex.state, wf_ex.workflow_name, wf_ex.id))
        for child, task_ex in self._active_children(tx):
            ctx = self.wftx(child)
            if child.state == states.RUNNING:
                self.pause_workflow(ctx, msg)
                task_ex.state = states.PAUSED
        wf_ex.state = states.PAUSED
        wf_ex.state_info = msg
        self._notify_parent_paused(tx)

    def _parent_task(self, tx, state):
        """``(task, locked parent workflow)`` that started this
        sub-workflow, if that task is in ``state``; else ``(None, None)``."""
        parent_task_id = tx.wf_ex.task_execution_id
        task_ex = self.get_task_ex(parent_task_id) if parent_task_id \
            else None
        if task_ex is None or task_ex.state != state:
            return None, None
        return task_ex, self.lock_wf(task_ex.workflow_execution_id)

    def _notify_parent_paused(self, tx):
        task_ex, ptx = self._parent_task(tx, states.RUNNING)
        if task_ex is None:
            return
        task_ex.state = states.PAUSED
        if ptx.wf_ex.state == states.RUNNING:
            ptx.wf_ex.state = states.PAUSED
            self._notify_parent_paused(ptx)

    def _active_children(self, tx):
        task_ids = [t.id for t in tx.tasks
                    if t.type == 'WORKFLOW' and not states.is_completed(
                        t.state)]
        if not task_ids:
            return []
        by_id = {t.id: t for t in tx.tasks}
        children = self.s.execute(
            sa.select(models.WorkflowExecution)
            .where(models.WorkflowExecution.task_execution_id.in_(task_ids))
        ).scalars().all()
        return [(c, by_id[c.task_execution_id]) for c in children
                if not states.is_terminal(c.state)]

    def resume_workflow(self, tx, env=None):
        wf_ex = tx.wf_ex
        if wf_ex.state not in (states.PAUSED, states.IDLE):
            return False
        if env:
            self.merge_env(tx, env)
        for child, task_ex in self._active_children(tx):
            if child.state == states.PAUSED:
                self.resume_workflow(self.wftx(child))
            if task_ex.state == states.PAUSED:
                task_ex.state = states.RUNNING
        wf_ex.state = states.RUNNING
        wf_ex.state_info = None
        self._resume_parent(tx)
        # Tasks that completed while paused fire their transitions now.
        for t in list(tx.tasks):
            if states.is_completed(t.state) and not t.processed:
                if wf_ex.state != states.RUNNING:
                    break
                spec = tx.spec.tasks[t.name]
                try:
                    self.process_transitions(tx, t, spec)
                except ForcedFailure as f:
                    self.force_fail(tx, t, f.message)
        rc = dict(wf_ex.runtime_context or {})
        backlog = rc.pop('backlog', None) or []
        wf_ex.runtime_context = rc
        if backlog and wf_ex.state == states.RUNNING:
            self.dispatch(tx, [cmds.from_dict(d) for d in backlog])
        # Tasks held by pause-before start now (without re-running the
        # before-start policies).
        for t in list(tx.tasks):
            if wf_ex.state != states.RUNNING:
                break
            if t.state == states.IDLE:
                self.start_task(tx, t, tx.spec.tasks[t.name],
                                run_policies=False)
        self.after_task_event(tx)
        return True

    def _resume_parent(self, tx):
        task_ex, ptx = self._parent_task(tx, states.PAUSED)
        if task_ex is None:
            return
        task_ex.state = states.RUNNING
        if ptx.wf_ex.state == states.PAUSED and not any(
                t.state == states.PAUSED for t in ptx.tasks):
            ptx.wf_ex.state = states.RUNNING
            ptx.wf_ex.state_info = None
            self._resume_parent(ptx)

    def stop_workflow(self, tx, state, msg=None):
        wf_ex = tx.wf_ex
        if states.is_terminal(wf_ex.state):
            return
        if state == states.SUCCESS:
            if wf_ex.state == states.PAUSED:
                raise exc.WorkflowException(
                    "Can't change workflow execution state from PAUSED to "
                    "SUCCESS. [workflow=%s, execution_id=%s]" % (
                        wf_ex.workflow_name, wf_ex.id))
            self.succeed_workflow(tx, msg)
        elif state == states.ERROR:
            if wf_ex.state != states.RUNNING:
                return
            self.fail_workflow(tx, msg)
        elif state == states.CANCELLED:
            self._set_final(tx, states.CANCELLED, msg, {'result': msg})
            for child, task_ex in self._active_children(tx):
                self.stop_workflow(self.wftx(child), states.CANCELLED, msg)
                task_ex.state = states.CANCELLED
                task_ex.state_info = msg
                task_ex.finished_at = utcnow()
                task_ex.processed = True
                child.accepted = True

    def merge_env(self, tx, env):
        params = dict(tx.wf_ex.params or {})
        params['env'] = dataflow.deep_merge(params.get('env') or {}, env)
        tx.wf_ex.params = params
        tx._root_env = None

    def unaccept_task_children(self, task_ex, only_failed=False):
        """Earlier attempts' results stop counting (retry, rerun)."""
        for model in (models.ActionExecution, models.WorkflowExecution):
            q = sa.update(model).where(
                model.task_execution_id == task_ex.id)
            if only_failed:
                q = q.where(model.state.in_((states.ERROR,
                                             states.CANCELLED)))
            self.s.execute(q.values(accepted=False))

    # --- delayed work ---------------------------------------------------------

    def task_continue(self, task_ex_id, retry=False):
        """A wait-before or retry delay is over: run the task's work."""
        task_ex = self.get_task_ex(task_ex_id)
        if task_ex is None:
            return
        tx = self.lock_wf(task_ex.workflow_execution_id)
        if task_ex.state not in (states.RUNNING_DELAYED, states.WAITING):
            return
        if tx.wf_ex.state == states.PAUSED:
            self.schedule_job('task_continue', {'task_ex_id': task_ex_id,
                                                'retry': retry},
                              delay=1, wf_ex_id=tx.wf_ex.id)
            return
        if tx.wf_ex.state != states.RUNNING:
            return
        task_spec = tx.spec.tasks[task_ex.name]
        task_ex.state = states.RUNNING
        task_ex.state_info = None
        if retry:
            task_ex.published = None
        try:
            self.schedule_task_work(tx, task_ex, task_spec)
        except ForcedFailure as f:
            self.force_fail(tx, task_ex, f.message)
        self.after_task_event(tx)

    def task_wait_after_done(self, task_ex_id):
        task_ex = self.get_task_ex(task_ex_id)
        if task_ex is None:
            return
        tx = self.lock_wf(task_ex.workflow_execution_id)
        if task_ex.state != states.RUNNING_DELAYED or \
                states.is_terminal(tx.wf_ex.state):
            return
        ed = dict(task_ex.engine_data or {})
        state, info = ed.pop('completed_state', [states.SUCCESS, None])
        task_ex.engine_data = ed
        self.complete_task(tx, task_ex, state, info)
        self.after_task_event(tx)

    def task_timeout(self, task_ex_id, timeout):
        task_ex = self.get_task_ex(task_ex_id)
        if task_ex is None:
            return
        tx = self.lock_wf(task_ex.workflow_execution_id)
        if states.is_terminal(tx.wf_ex.state):
            return
        rc = task_ex.runtime_context or {}
        if task_ex.state == states.RUNNING_DELAYED and not (
                rc.get('wait_before_policy') and
                not rc.get('retry_task_policy')):
            return
        if task_ex.state not in (states.RUNNING, states.RUNNING_DELAYED,
                                 states.PAUSED):
            return
        if rc.get('retry_task_policy'):
            return  # not re-armed for retries
        task_ex.state = states.RUNNING
        self.complete_task(tx, task_ex, states.ERROR,
                           'Task timed out [timeout(s)=%s].' % timeout)
        self.after_task_event(tx)

    def subworkflow_completed(self, wf_ex_id):
        child = self.s.get(models.WorkflowExecution, wf_ex_id)
        if child is not None:
            self.on_subworkflow_complete(child)

    # =====================================================================
    # Scheduled jobs
    # =====================================================================

    def schedule_job(self, target, args, delay=0.0, run_now=False,
                     wf_ex_id=None, key=None):
        job = models.ScheduledJob(
            id=models.new_id(),
            target=target,
            args=args,
            key=key,
            workflow_execution_id=wf_ex_id,
            # Jobs dispatched right after commit get a grace period before
            # the scheduler would pick them up (it only does if this
            # process died before running them).
            run_after=utcnow() + datetime.timedelta(
                seconds=(5.0 if run_now else delay)),
        )
        self.s.add(job)
        if run_now:
            self.outbox.jobs_now.append(job.id)
        else:
            self.outbox.wake_scheduler = True
        return job

    # =====================================================================
    # Crash recovery (engine/recovery.py): lost and orphaned actions
    # =====================================================================

    HEARTBEAT_ERROR = "Heartbeat wasn't received."

    def recover_action(self, action_ex_id, stale_seconds,
                       undispatched_seconds):
        """Fix one RUNNING action if, under the workflow lock, it is still
        stuck: never claimed by an executor for ``undispatched_seconds``
        (its dispatch was lost: send it again — it never started), or
        claimed by an executor that stopped heart-beating for
        ``stale_seconds`` (re-run it if the task is ``safe-rerun``, else
        fail it with Mistral's message). Returns what was done or None."""
        action_ex = self.s.get(models.ActionExecution, action_ex_id)
        if action_ex is None or action_ex.state != states.RUNNING:
            return None
        tx = None
        if action_ex.task_execution_id:
            tx = self.lock_wf(action_ex.workflow_execution_id)
            self.s.refresh(action_ex)
        else:
            self.s.refresh(action_ex, with_for_update=not db_api.is_sqlite())
        if action_ex.state != states.RUNNING:
            return None
        now = utcnow()
        if action_ex.executor_host is None:
            since = action_ex.last_heartbeat or action_ex.created_at
            if undispatched_seconds <= 0 or since > now - datetime.timedelta(
                    seconds=undispatched_seconds):
                return None
            return self._resend_action(tx, action_ex, 'lost')
        if not action_ex.is_sync or stale_seconds <= 0:
            return None
        if action_ex.last_heartbeat is not None and \
                action_ex.last_heartbeat > now - datetime.timedelta(
                    seconds=stale_seconds):
            return None
        if (action_ex.runtime_context or {}).get('safe_rerun'):
            return self._resend_action(tx, action_ex, 'rerun')
        LOG.warning('Action %s (%s) lost its executor %s: failing it',
                    action_ex.id, action_ex.name, action_ex.executor_host)
        self.on_action_complete(action_ex, {'error': self.HEARTBEAT_ERROR})
        return 'failed'

    def _resend_action(self, tx, action_ex, why):
        """Queue ``action_ex`` for the executors again (after commit)."""
        try:
            runnable = self._runnable_again(tx, action_ex)
        except Exception as e:
            LOG.warning('Cannot re-send action %s: %s', action_ex.id, e)
            runnable = None
        if runnable is None:
            self.on_action_complete(action_ex,
                                    {'error': self.HEARTBEAT_ERROR})
            return 'failed'
        LOG.warning('Re-sending action %s (%s) to the executors (%s)',
                    action_ex.id, action_ex.name,
                    'dispatch lost' if why == 'lost'
                    else 'safe-rerun after executor loss')
        action_ex.executor_host = None
        action_ex.last_heartbeat = utcnow()
        self.outbox.actions.append(runnable)
        return why

    def _runnable_again(self, tx, action_ex):
        """Rebuild the runnable ``_start_action`` sent, or None when the
        action's result no longer matters (its task moved on)."""
        from mistral_clone.engine import action_glue
        rc = action_ex.runtime_context or {}
        if tx is None:  # run through the API (POST /action_executions)
            desc = action_glue.Resolver(self.s, action_ex.project_id)(
                action_ex.name, rc.get('namespace') or
                action_ex.workflow_namespace or '', None)
            runnable = desc.prepare(action_ex.input or {}, None)
            runnable.update({'action_ex_id': action_ex.id,
                             'task_ex_id': None, 'wf_ex_id': None,
                             'workflow_name': None, 'timeout': None,
                             'safe_rerun': False, 'target': None})
            return runnable
        task_ex = self.get_task_ex(action_ex.task_execution_id)
        if task_ex is None or tx.wf_ex.state not in (
                states.RUNNING, states.PAUSED) or \
                task_ex.state not in (states.RUNNING, states.PAUSED) or \
                rc.get('attempt', 0) != attempt_of(task_ex):
            return None
        task_spec = tx.spec.tasks[task_ex.name]
        index = rc.get('index', 0)
        item = None
        if task_spec.with_items:
            items = self._with_items_values(
                tx, task_ex, task_spec, tx.view(task_ex, task_ex.in_context))
            item = items[index]
        view = tx.view(task_ex, task_ex.in_context, item)
        desc = self.resolve_action(action_ex.name,
                                   tx.wf_ex.workflow_namespace or '',
                                   _workbook_of(tx.wf_ex.workflow_name))
        task_input = action_ex.input or {}
        runnable = desc.prepare(task_input, view)
        target = None
        if task_spec.target:
            target = tx.evaluate(task_spec.target, expressions.ContextView(
                task_input, view))
        runnable.update({
            'action_ex_id': action_ex.id,
            'task_ex_id': task_ex.id,
            'wf_ex_id': tx.wf_ex.id,
            'workflow_name': tx.wf_ex.workflow_name,
            'timeout': policies.action_timeout(self, tx, task_ex, task_spec,
                                               view),
            'safe_rerun': bool(task_spec.safe_rerun),
            'target': target,
        })
        runnable.pop('inline', None)
        return runnable

    def record_action_heartbeats(self, action_ex_ids, host=None):
        """Heartbeats reported over RPC (executors without DB access)."""
        m = models.ActionExecution
        q = sa.update(m).where(m.id.in_(list(action_ex_ids)),
                               m.state == states.RUNNING)
        values = {'last_heartbeat': utcnow()}
        if host:
            q = q.where(sa.or_(m.executor_host.is_(None),
                               m.executor_host == host))
            values['executor_host'] = host
        return self.s.execute(q.values(**values).execution_options(
            synchronize_session=False)).rowcount


# =========================================================================
# Helpers used by the handler and the engine service
# =========================================================================

def attempt_of(task_ex):
    """Which run of the task an action/sub-workflow belongs to: results of
    earlier runs (before a retry or a rerun) are ignored."""
    rc = task_ex.runtime_context or {}
    return (rc.get('retry_task_policy') or {}).get('retry_no', 0) + \
        (task_ex.engine_data or {}).get('rerun_no', 0)


def _traceback_hint(e):
    return '%s: %s' % (type(e).__name__, _fmt_error(e))


def _workbook_of(workflow_name):
    if workflow_name and '.' in workflow_name:
        return workflow_name.rsplit('.', 1)[0]
    return None


def validate_input(spec, given):
    """Check given input against the declared input; fill defaults."""
    declared = [n for n, _ in spec.input]
    missing = [n for n, d in spec.input
               if d is lang.NO_DEFAULT and n not in given]
    unexpected = [k for k in given if k not in declared]
    if missing or unexpected:
        cls = 'ReverseWorkflowSpec' if spec.type == 'reverse' else \
            'DirectWorkflowSpec'
        parts = ['name=%s' % spec.name, 'class=%s' % cls]
        if missing:
            parts.append('missing=%s' % missing)
        if unexpected:
            parts.append('unexpected=%s' % unexpected)
        raise exc.InputException('Invalid input [%s]' % ', '.join(parts))
    result = {}
    for name, default in spec.input:
        if name in given:
            result[name] = given[name]
        else:
            result[name] = default
    return result


def find_workflow_for_subworkflow(session, name, namespace, parent_name,
                                  project_id):
    """Workbook-local name first, then the parent's namespace, then ''."""
    candidates = []
    wb = _workbook_of(parent_name)
    if wb:
        candidates.append(('%s.%s' % (wb, name), namespace))
    candidates.append((name, namespace))
    if namespace:
        candidates.append((name, ''))
    for n, ns in candidates:
        row = session.execute(
            sa.select(models.WorkflowDefinition)
            .where(models.WorkflowDefinition.name == n,
                   models.WorkflowDefinition.namespace == ns)
            .where(sa.or_(models.WorkflowDefinition.project_id == project_id,
                          models.WorkflowDefinition.scope == 'public'))
        ).scalars().first()
        if row is not None:
            return row
    return None
