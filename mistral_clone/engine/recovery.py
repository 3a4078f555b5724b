"""Crash recovery of actions: Mistral's ``[action_heartbeat]``, and more.

Executors claim the actions they receive and refresh
``action_executions.last_heartbeat`` of the ones they hold (see
``executor/service.py``). Every engine process runs an
:class:`ActionRecovery` loop that, every ``check_interval`` seconds, looks
for RUNNING actions that are stuck:

* **orphaned** — a synchronous action claimed by an executor whose
  heartbeats stopped for ``check_interval * max_missed_heartbeats``
  seconds (the executor was killed, or lost its database): it is re-run if
  its task is ``safe-rerun: true``, otherwise failed with Mistral's
  ``Heartbeat wasn't received.`` and the workflow goes on (retry policy,
  on-error...);
* **orphaned, fast** — a synchronous action whose claimer (executors claim
  under the id of their row in the ``services`` table, see
  ``services/heartbeats.py``) is not alive: its row is gone or missed
  ``DEAD_AFTER`` service heartbeats (``[coordination] heartbeat_interval``,
  15 s by default; a live executor refreshes its row from its own thread
  however long its actions run). Same fix as above, noticed in ~20 s
  instead of minutes, and at once when a process of the same host sees at
  start-up that its predecessor is not running any more;
* **lost** — an action no executor claimed within
  ``first_heartbeat_timeout`` seconds (an engine died between committing and
  sending it, or the broker dropped the message): it never started, so it is
  sent again.

An action an engine stored claimed by the executor that delivered the
results starting it (``ActionRuns.hand_over``) has no ``last_heartbeat``
until that executor's first heartbeat: its ``created_at`` stands for it
here, as if the executor had claimed it on receipt.

The query only proposes candidates; each one is re-checked and fixed in its
own engine transaction under the workflow's row lock
(``Engine.recover_action`` → :func:`recover_action`), so any number of
engines can run the loop.
"""

import datetime
import logging

import sqlalchemy as sa

from mistral_clone import periodic
from mistral_clone import observe
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import states
from mistral_clone.rpc import contracts
from mistral_clone.services import heartbeats

LOG = logging.getLogger(__name__)


CLAIMER_PREFIX = heartbeats.GROUPS['executor'] + ':'


def _claimer_alive(m, alive_since):
    """SQL: the services row of the action's claimer was refreshed since
    ``alive_since``."""
    svc = models.ServiceHeartbeat
    return sa.exists().where(svc.id == m.executor_host,
                             svc.last_heartbeat >= alive_since)


def find_stuck_actions(stale_seconds, undispatched_seconds, limit=0,
                       claimer_dead_seconds=0):
    """Ids of RUNNING actions that look orphaned or lost."""
    m = models.ActionExecution
    now = models.utcnow()
    conditions = []
    beat = sa.func.coalesce(m.last_heartbeat, m.created_at)
    if claimer_dead_seconds > 0:
        alive_since = now - datetime.timedelta(seconds=claimer_dead_seconds)
        conditions.append(sa.and_(
            m.is_sync.is_(True),
            m.executor_host.like(CLAIMER_PREFIX + '%'),
            beat < alive_since,
            ~_claimer_alive(m, alive_since)))
    if stale_seconds > 0:
        stale = now - datetime.timedelta(seconds=stale_seconds)
        conditions.append(sa.and_(m.is_sync.is_(True),
                                  m.executor_host.isnot(None),
                                  beat < stale))
    if undispatched_seconds > 0:
        lost = now - datetime.timedelta(seconds=undispatched_seconds)
        conditions.append(sa.and_(
            m.executor_host.is_(None),
            sa.func.coalesce(m.last_heartbeat, m.created_at) < lost))
    if not conditions:
        return []
    q = (sa.select(m.id).where(m.state == states.RUNNING)
         .where(sa.or_(*conditions)).order_by(m.created_at))
    if limit:
        q = q.limit(limit)
    with db_api.session() as s:
        return list(s.execute(q).scalars())


class ActionRecovery:
    """Periodic check, in a daemon thread of an engine process."""

    def __init__(self, engine, check_interval=20, max_missed_heartbeats=15,
                 first_heartbeat_timeout=60, batch_size=10,
                 service_heartbeat_interval=0):
        self.engine = engine
        self.check_interval = check_interval
        self.stale_seconds = check_interval * max_missed_heartbeats
        self.undispatched_seconds = first_heartbeat_timeout
        self.batch_size = batch_size
        # Dead claimers are looked for as often as services heart-beat.
        # Plus one action-heartbeat interval: the action's own heartbeats
        # must have stopped too (a database outage ages every services row
        # at once; a live executor's action heartbeats resume with it).
        self.claimer_dead_seconds = (
            heartbeats.dead_after_seconds(service_heartbeat_interval) +
            check_interval if service_heartbeat_interval > 0 else 0)
        interval = check_interval
        if service_heartbeat_interval > 0:
            interval = min(interval, service_heartbeat_interval)
        # Jitter spreads the engines' checks over the interval; the first
        # check runs at start (the work of a dead predecessor).
        self._loop = periodic.Periodic(self.run_once, interval,
                                       'action-recovery', jitter=0.25,
                                       run_first=True)

    @classmethod
    def from_conf(cls, engine, conf):
        hb = conf.action_heartbeat
        return cls(engine, check_interval=hb.check_interval,
                   max_missed_heartbeats=hb.max_missed_heartbeats,
                   first_heartbeat_timeout=hb.first_heartbeat_timeout,
                   batch_size=hb.batch_size,
                   service_heartbeat_interval=(
                       conf.coordination.heartbeat_interval))

    @property
    def enabled(self):
        return self.check_interval > 0 and (
            self.stale_seconds > 0 or self.undispatched_seconds > 0)

    def start(self):
        if self.enabled:
            self._loop.start()

    def stop(self):
        self._loop.stop()

    def run_once(self):
        """Check once; ``{action id: what was done}`` for fixed actions."""
        done = {}
        for action_ex_id in find_stuck_actions(
                self.stale_seconds, self.undispatched_seconds,
                self.batch_size, self.claimer_dead_seconds):
            if self._loop.stopped:
                break
            try:
                what = self.engine.recover_action(
                    action_ex_id=action_ex_id,
                    stale_seconds=self.stale_seconds,
                    undispatched_seconds=self.undispatched_seconds,
                    claimer_dead_seconds=self.claimer_dead_seconds)
            except Exception:
                LOG.exception('Could not recover action %s', action_ex_id)
                continue
            if what:
                done[action_ex_id] = what
                observe.recovered(what, action_ex_id)
        return done


# --- one action, in an engine transaction ---------------------------------------

HEARTBEAT_ERROR = "Heartbeat wasn't received."


def recover_action(t, action_ex_id, stale_seconds, undispatched_seconds,
                   claimer_dead_seconds=0):
    """Fix one RUNNING action if, under the workflow lock, it is still
    stuck: never claimed by an executor for ``undispatched_seconds`` (its
    dispatch was lost: send it again — it never started), or claimed by an
    executor that stopped heart-beating for ``stale_seconds`` or whose
    services row is dead for ``claimer_dead_seconds`` (re-run it if the
    task is ``safe-rerun``, else fail it with Mistral's message).
    Returns what was done (``lost``, ``rerun``, ``failed``) or None."""
    action_ex = t.s.get(models.ActionExecution, action_ex_id)
    if action_ex is None or action_ex.state != states.RUNNING:
        return None
    run = None
    if action_ex.task_execution_id:
        run = t.lock(action_ex.workflow_execution_id)
        t.s.refresh(action_ex)
    else:
        t.s.refresh(action_ex, with_for_update=not db_api.is_sqlite())
    if action_ex.state != states.RUNNING:
        return None
    now = models.utcnow()
    if action_ex.executor_host is None:
        since = action_ex.last_heartbeat or action_ex.created_at
        if undispatched_seconds <= 0 or since > now - datetime.timedelta(
                seconds=undispatched_seconds):
            return None
        return _resend(t, run, action_ex, 'lost')
    if not action_ex.is_sync:
        return None
    if not _heartbeats_stopped(action_ex, now, stale_seconds) and \
            not _claimer_dead(t.s, action_ex, now, claimer_dead_seconds):
        return None
    if (action_ex.runtime_context or {}).get('safe_rerun'):
        return _resend(t, run, action_ex, 'rerun')
    LOG.warning('Action %s (%s) lost its executor %s: failing it',
                action_ex.id, action_ex.name, action_ex.executor_host)
    return _fail(t, action_ex)


def _last_beat(action_ex):
    """Its last heartbeat; an action claimed for its executor by an engine
    (ActionRuns.hand_over) and not heart-beaten yet: its creation."""
    return action_ex.last_heartbeat or action_ex.created_at


def _heartbeats_stopped(action_ex, now, stale_seconds):
    beat = _last_beat(action_ex)
    return stale_seconds > 0 and (
        beat is None or beat <= now - datetime.timedelta(
            seconds=stale_seconds))


def _claimer_dead(s, action_ex, now, claimer_dead_seconds):
    if claimer_dead_seconds <= 0 or \
            not action_ex.executor_host.startswith(CLAIMER_PREFIX):
        return False
    since = now - datetime.timedelta(seconds=claimer_dead_seconds)
    beat = _last_beat(action_ex)
    if beat is not None and beat >= since:
        return False
    row = s.get(models.ServiceHeartbeat, action_ex.executor_host)
    return row is None or row.last_heartbeat < since


def _fail(t, action_ex):
    t.actions.on_complete(action_ex,
                          contracts.ActionResult(error=HEARTBEAT_ERROR))
    return 'failed'


def _resend(t, run, action_ex, why):
    """Queue ``action_ex`` for the executors again (after commit)."""
    try:
        runnable = t.actions.runnable_again(run, action_ex)
    except Exception as e:
        LOG.warning('Cannot re-send action %s: %s', action_ex.id, e)
        runnable = None
    if runnable is None:
        return _fail(t, action_ex)
    LOG.warning('Re-sending action %s (%s) to the executors (%s)',
                action_ex.id, action_ex.name,
                'dispatch lost' if why == 'lost'
                else 'safe-rerun after executor loss')
    action_ex.executor_host = None
    action_ex.last_heartbeat = models.utcnow()
    t.outbox.actions.append(runnable)
    return why
