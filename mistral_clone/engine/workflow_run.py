"""One workflow execution as a transaction sees it.

:class:`WorkflowRun` wraps a (locked) ``WorkflowExecution`` row with what
the rooms need again and again: its parsed spec, its task executions
(loaded once, lazily, and kept up to date with the tasks the transaction
creates), its env, and the expression views of its tasks.
"""

import collections.abc

import sqlalchemy as sa

from mistral_clone import expressions
from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.engine import dataflow
from mistral_clone.engine import states


class WorkflowRun:

    def __init__(self, session, provider, wf_ex, tasks=None):
        self.s = session
        self.provider = provider
        self.wf_ex = wf_ex
        self.spec = lang.get_workflow_spec(wf_ex.spec_text,
                                           name=wf_ex.workflow_name)
        self._tasks = tasks
        self._created = []      # task executions this transaction created
        self._root_env = None
        self._input = None

    # --- task executions -------------------------------------------------------

    @property
    def tasks(self):
        if self._tasks is None:
            # Without flushing first (see _tasks_where): the transaction's
            # changes are flushed once, at commit.
            self._tasks = self._tasks_where(lambda t: True, None)
        return self._tasks

    def next_seq(self):
        seq = (self.wf_ex.task_count or 0) + 1
        self.wf_ex.task_count = seq
        return seq

    def add_task(self, task_ex):
        self._created.append(task_ex)
        if self._tasks is not None:
            self._tasks.append(task_ex)

    def has_active_tasks(self):
        """Cheap check used on every event; the full list is only loaded
        when the workflow may be complete."""
        if self._tasks is not None:
            return any(t.state in states.ACTIVE for t in self._tasks)
        # Usually a task this transaction started is still running (a
        # chain's next task): no need to look further.
        if any(t.state in states.ACTIVE for t in self._created) and \
                not self.s.deleted:
            return True
        return bool(self._tasks_where(
            lambda t: t.state in states.ACTIVE,
            models.TaskExecution.state.in_(states.ACTIVE), limit=1))

    def waiting_joins(self):
        if not self.spec_has_joins:
            return []
        if self._tasks is not None:
            return [t for t in self._tasks
                    if t.state == states.WAITING and t.unique_key]
        return self._tasks_where(
            lambda t: t.state == states.WAITING and bool(t.unique_key),
            sa.and_(models.TaskExecution.state == states.WAITING,
                    models.TaskExecution.unique_key.is_not(None)))

    def task_summaries(self):
        """What the end of a workflow needs to know of every task (id,
        name, state, error_handled, has_next_tasks, seq), in ``seq``
        order: the task executions themselves when the session holds them
        (or the full list is loaded), else rows of those columns only.
        Completion then reads no task's contexts and publishes (JSON) but
        those of the tasks it merges (:meth:`loaded`)."""
        if self._tasks is not None:
            return self._tasks
        return self._tasks_where(lambda t: True, sa.true(),
                                 columns=_SUMMARY)

    def loaded(self, summaries):
        """The task executions of ``summaries`` (see task_summaries), in
        their order; those not in the session are read in one statement."""
        m = models.TaskExecution
        missing = [t.id for t in summaries if not isinstance(t, m)]
        if not missing:
            return list(summaries)
        with self.s.no_autoflush:
            by_id = {t.id: t for t in self.s.execute(
                sa.select(m).where(m.id.in_(missing))).scalars()}
        return [t if isinstance(t, m) else by_id[t.id] for t in summaries
                if isinstance(t, m) or t.id in by_id]

    def _tasks_where(self, test, condition, limit=None, columns=None):
        """This execution's tasks matching ``test`` (in memory) and
        ``condition`` (SQL; None: every task), in ``seq`` order, without flushing the
        session: the tasks the session holds (created or loaded by this
        transaction, possibly changed) are judged in memory, the others
        in the database (as rows of ``columns`` if given). Flushing before
        every such query cost more than the rest of handling an action
        result (several flushes per transaction instead of one at
        commit)."""
        m = models.TaskExecution
        wf_ex_id = self.wf_ex.id
        s = self.s
        deleted = s.deleted
        known = [o for o in list(s.identity_map.values()) + list(s.new)
                 if isinstance(o, m) and o.workflow_execution_id == wf_ex_id]
        found = [t for t in known if t not in deleted and test(t)]
        if limit is not None and len(found) >= limit:
            return found[:limit]
        params = None
        if condition is None:  # all the tasks: a statement built once
            q, params = _ALL_TASKS, {'wf_ex_id': wf_ex_id}
            if known:
                q = _ALL_TASKS_BUT
                params['known'] = [t.id for t in known]
        else:
            q = sa.select(*(columns or (m,))).where(
                m.workflow_execution_id == wf_ex_id, condition)
            if known:
                q = q.where(m.id.not_in([t.id for t in known]))
            q = q.order_by(m.seq)
        if limit is not None:
            q = q.limit(limit - len(found))
        with s.no_autoflush:
            result = s.execute(q, params)
            found.extend(result.all() if columns else result.scalars())
        found.sort(key=lambda t: t.seq or 0)
        return found

    # --- the spec --------------------------------------------------------------

    @property
    def is_direct(self):
        return self.spec.type == 'direct'

    @property
    def spec_has_joins(self):
        return self.spec.has_joins

    def task_spec(self, task_ex):
        return self.spec.tasks[task_ex.name]

    # --- data ------------------------------------------------------------------

    @property
    def env(self):
        """The env of the root execution (sub-workflows share it)."""
        if self._root_env is None:
            params = self.wf_ex.params or {}
            root_id = self.wf_ex.root_execution_id
            if root_id and root_id != self.wf_ex.id:
                root = self.s.get(models.WorkflowExecution, root_id)
                params = (root.params if root is not None else params) or {}
            self._root_env = params.get('env') or {}
        return self._root_env

    def merge_env(self, env):
        params = dict(self.wf_ex.params or {})
        params['env'] = dataflow.deep_merge(params.get('env') or {}, env)
        self.wf_ex.params = params
        self._root_env = None

    @property
    def input(self):
        """The workflow input as the views see it (:class:`LazyInput`)."""
        if self._input is None:
            self._input = LazyInput(self.wf_ex)
        return self._input

    def view(self, task_ex, ctx, extra=None):
        """What a task's expressions see (``extra``: with-items values)."""
        info = None if task_ex is None else {'id': task_ex.id,
                                             'name': task_ex.name}
        return dataflow.task_view(info, self.env, self.wf_ex.context,
                                  self.input, ctx, extra)

    def workflow_view(self, final_ctx=None):
        """What ``vars``, ``output`` and ``output-on-error`` see."""
        return dataflow.workflow_view(self.env, self.wf_ex.context,
                                      self.input, final_ctx)

    def evaluate(self, data, view):
        with expressions.using_data_provider(self.provider):
            return expressions.evaluate_recursively(data, view)

    def evaluator(self, view):
        """``evaluate(data)`` against ``view`` (for the pure decisions)."""
        return lambda data: self.evaluate(data, view)


class LazyInput(collections.abc.Mapping):
    """A workflow execution's input, read from its row at each lookup.

    A transaction may let go of the row's parsed input once it is stored
    (``Transaction.release_completed``: a chain of tasks over a large
    input held it to the end, beside every version of the data the
    tasks made); the next lookup of one of its keys loads it again. Its
    keys (the input never changes once stored) are kept: the lookups of
    keys it does not have (most, as the branch context comes first) need
    no load."""

    __slots__ = ('_wf_ex', '_keys')

    def __init__(self, wf_ex):
        self._wf_ex = wf_ex
        self._keys = None

    def _data(self):
        return self._wf_ex.input or {}

    def _key_list(self):
        if self._keys is None:
            self._keys = tuple(self._data())
        return self._keys

    def __getitem__(self, key):
        return self._data()[key]

    def __contains__(self, key):
        return key in self._key_list()

    def get(self, key, default=None):
        if key not in self._key_list():
            return default
        return self._data().get(key, default)

    def __iter__(self):
        return iter(self._key_list())

    def __len__(self):
        return len(self._key_list())

    def __repr__(self):
        return repr(self._data())


_T = models.TaskExecution
# The task list of :meth:`WorkflowRun.tasks` (all but the ``known`` ones),
# built once: building and keying it cost about as much as running it.
_ALL_TASKS = sa.select(_T).where(
    _T.workflow_execution_id == sa.bindparam('wf_ex_id')).order_by(_T.seq)
_ALL_TASKS_BUT = sa.select(_T).where(
    _T.workflow_execution_id == sa.bindparam('wf_ex_id'),
    _T.id.not_in(sa.bindparam('known', expanding=True))).order_by(_T.seq)
_SUMMARY = (_T.id, _T.name, _T.state, _T.error_handled, _T.has_next_tasks,
            _T.seq)


def outbound(task_ex):
    """A task's outbound context: its inbound one plus what it published."""
    return dataflow.outbound_context(task_ex.in_context, task_ex.published)


def attempt_of(task_ex):
    """Which run of the task an action/sub-workflow belongs to: results of
    earlier runs (before a retry or a rerun) are ignored."""
    rc = task_ex.runtime_context or {}
    return (rc.get('retry_task_policy') or {}).get('retry_no', 0) + \
        (task_ex.engine_data or {}).get('rerun_no', 0)


def workbook_of(workflow_name):
    """``wb`` of a workbook workflow ``wb.name``, else None."""
    if workflow_name and '.' in workflow_name:
        return workflow_name.rsplit('.', 1)[0]
    return None
