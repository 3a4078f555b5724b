"""State changes of executions, seen where they are stored.

Every change of the ``state`` column of a workflow, task or action execution
goes through the ORM, whichever module of the engine makes it. SQLAlchemy's
attribute events (``set`` on the ``state`` attributes) note each change in
the session of the running transaction; the session's ``after_commit`` event
queues them, and once the transaction is over (``db_api`` releases the
SQLite write lock first) they go to :mod:`mistral_clone.observe` (workflow
trace and metrics). Whichever thread reports first reports every change
queued so far, in queue order: on SQLite that is the commit order (each
transaction queues its changes under the write lock), so a transaction's
successor never shows its changes first, even if its thread reached the
report first. So the trace shows exactly what was committed — a transaction
that rolls back (a deadlock retried, a validation error) leaves no line, and
an object that went through several states in one transaction (a task
created, run inline and finished) shows as one change, from the state
before the transaction to the state committed — and the engine needs no
logging calls of its own.

:class:`BacklogCollector` adds, at scrape time, the backlog of delayed jobs
read from the database.
"""

import collections
import logging
import threading

import sqlalchemy as sa
from sqlalchemy import event, orm

from mistral_clone import observe
from mistral_clone.db import api as db_api
from mistral_clone.db import models

LOG = logging.getLogger(__name__)

_KEY = 'mistral_clone.state_changes'
_installed = []
# Committed changes not reported yet, in the order their commits returned
# (on SQLite appended under the write lock: the commit order).
_pending = collections.deque()
_report_lock = threading.Lock()


def _noter(kind):
    # Listened to raw, with retval and include_key (install): SQLAlchemy
    # then calls it as it is, not through a wrapper of its own per change.
    def on_set(state, value, oldvalue, _initiator, **_kw):
        if value == oldvalue:
            return value
        session = db_api.current_session()
        if session is None:
            return value
        if not isinstance(oldvalue, str):  # NO_VALUE / NEVER_SET: created
            oldvalue = None
        target = state.obj()
        changes = session.info.setdefault(_KEY, {})
        key = id(target)
        noted = changes.get(key)
        if noted is None:
            changes[key] = [kind, target, oldvalue, value]
        else:
            noted[3] = value  # same transaction: keep the first old state
        return value
    return on_set


def _emit(kind, obj, old, new):
    if kind == 'workflow':
        id_, name, info, parent_task_id = models.loaded_values(
            obj, _WORKFLOW_READ)
        observe.workflow_state_changed(id_, name, old, new, info,
                                       parent_task_id)
    elif kind == 'task':
        id_, name, wf_ex_id, wf_name, info = models.loaded_values(
            obj, _TASK_READ)
        observe.task_state_changed(id_, name, wf_ex_id, wf_name, old, new,
                                   info)
    else:
        id_, name, task_ex_id, created_at = models.loaded_values(
            obj, _ACTION_READ)
        duration = None
        # (a duration is reported for a final state only)
        if created_at is not None and new in observe.FINAL_STATES:
            duration = (models.utcnow() - created_at).total_seconds()
        observe.action_state_changed(
            id_, name, task_ex_id, old, new, duration,
            obj.state_info if new == 'ERROR' else None)


# What _emit reads of each kind of row, in its order.
_WORKFLOW_READ = ('id', 'workflow_name', 'state_info', 'task_execution_id')
_TASK_READ = ('id', 'name', 'workflow_execution_id', 'workflow_name',
              'state_info')
_ACTION_READ = ('id', 'name', 'task_execution_id', 'created_at')


def _after_commit(session):
    changes = session.info.pop(_KEY, None)
    if changes:
        # One extend of a list: atomic, the changes of a transaction stay
        # together.
        _pending.extend([c for c in changes.values() if c[2] != c[3]])


def _report():
    """After the transaction (``db_api.after_transaction_hooks``)."""
    if not _pending:
        return
    with _report_lock:
        while _pending:
            change = _pending.popleft()
            try:
                _emit(*change)
            except Exception:  # observing must never break the engine
                LOG.debug('Could not report a state change', exc_info=True)


def _after_rollback(session):
    session.info.pop(_KEY, None)


def install():
    """Listen to state changes (once per process)."""
    if _installed:
        return
    for kind, model in (('workflow', models.WorkflowExecution),
                        ('task', models.TaskExecution),
                        ('action', models.ActionExecution)):
        event.listen(model.state, 'set', _noter(kind), raw=True,
                     retval=True, include_key=True)
    event.listen(orm.Session, 'after_commit', _after_commit)
    event.listen(orm.Session, 'after_soft_rollback',
                 lambda session, _tx: _after_rollback(session))
    db_api.after_transaction_hooks.append(_report)
    observe.add_scrape_collector(BacklogCollector())
    _installed.append(True)


class BacklogCollector(object):
    """``mistral_scheduled_jobs_due`` and ``..._oldest_due_seconds``: the
    delayed jobs whose time has come and that no scheduler took yet (a
    growing backlog means too few schedulers or engines)."""

    def describe(self):
        return []

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        try:
            due, oldest = self._read()
        except Exception:
            LOG.debug('Could not read the jobs backlog', exc_info=True)
            return
        yield GaugeMetricFamily(
            'mistral_scheduled_jobs_due',
            'Delayed jobs due and not claimed by a scheduler.', value=due)
        yield GaugeMetricFamily(
            'mistral_scheduled_jobs_oldest_due_seconds',
            'Seconds the oldest unclaimed due job has been waiting.',
            value=oldest)

    @staticmethod
    def _read():
        M = models.ScheduledJob
        now = models.utcnow()
        with db_api.session() as s:
            count, oldest = s.execute(
                sa.select(sa.func.count(), sa.func.min(M.run_after))
                .where(M.run_after <= now, M.captured_at.is_(None))).one()
        lag = (now - oldest).total_seconds() if oldest is not None else 0.0
        return count, max(0.0, lag)
