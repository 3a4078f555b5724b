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
* **lost** — an action no executor claimed within
  ``first_heartbeat_timeout`` seconds (an engine died between committing and
  sending it, or the broker dropped the message): it never started, so it is
  sent again.

The query only proposes candidates; each one is re-checked and fixed in its
own engine transaction under the workflow's row lock
(``Engine.recover_action``), so any number of engines can run the loop.
"""

import datetime
import logging
import random
import threading

import sqlalchemy as sa

from mistral_clone import observe
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import states

LOG = logging.getLogger(__name__)


def find_stuck_actions(stale_seconds, undispatched_seconds, limit=0):
    """Ids of RUNNING actions that look orphaned or lost."""
    m = models.ActionExecution
    now = models.utcnow()
    conditions = []
    if stale_seconds > 0:
        stale = now - datetime.timedelta(seconds=stale_seconds)
        conditions.append(sa.and_(m.is_sync.is_(True),
                                  m.executor_host.isnot(None),
                                  m.last_heartbeat < stale))
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
                 first_heartbeat_timeout=60, batch_size=10):
        self.engine = engine
        self.check_interval = check_interval
        self.stale_seconds = check_interval * max_missed_heartbeats
        self.undispatched_seconds = first_heartbeat_timeout
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._thread = None

    @classmethod
    def from_conf(cls, engine, conf):
        hb = conf.action_heartbeat
        return cls(engine, check_interval=hb.check_interval,
                   max_missed_heartbeats=hb.max_missed_heartbeats,
                   first_heartbeat_timeout=hb.first_heartbeat_timeout,
                   batch_size=hb.batch_size)

    @property
    def enabled(self):
        return self.check_interval > 0 and (
            self.stale_seconds > 0 or self.undispatched_seconds > 0)

    def start(self):
        if not self.enabled:
            return
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name='action-recovery')
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self):
        # Spread the engines' checks over the interval.
        while not self._stop.wait(self.check_interval *
                                  random.uniform(0.75, 1.25)):
            try:
                self.run_once()
            except Exception:
                LOG.exception('Action heartbeat check failed')

    def run_once(self):
        """Check once; ``{action id: what was done}`` for fixed actions."""
        done = {}
        for action_ex_id in find_stuck_actions(
                self.stale_seconds, self.undispatched_seconds,
                self.batch_size):
            if self._stop.is_set():
                break
            try:
                what = self.engine.recover_action(
                    action_ex_id=action_ex_id,
                    stale_seconds=self.stale_seconds,
                    undispatched_seconds=self.undispatched_seconds)
            except Exception:
                LOG.exception('Could not recover action %s', action_ex_id)
                continue
            if what:
                done[action_ex_id] = what
                observe.recovered(what, action_ex_id)
        return done
