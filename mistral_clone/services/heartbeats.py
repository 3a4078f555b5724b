"""Service registry: which services are alive, from heartbeats in the DB.

Every production process registers one row per service it runs in the
``services`` table (``type`` is Mistral's group name: ``api_group``,
``engine_group``, ``executor_group``, ``scheduler_group``), refreshes
``last_heartbeat`` every ``[coordination] heartbeat_interval`` seconds, and
deletes its rows when it stops. Rows whose heartbeat is older than
``DEAD_AFTER`` intervals belong to processes that died without saying so;
every live registry removes them, so ``GET /v2/services`` (which lists the
table) shows live services only.

Processes that serve together as one service (the worker processes of one
API server, gunicorn or uwsgi workers) register with ``shared=True``: one
row per name, kept alive by whichever of them is running.

Joining, leaving and the removal of a dead service are logged at INFO /
WARNING.
"""

import datetime
import logging
import os
import uuid

import sqlalchemy as sa

from mistral_clone import periodic
from mistral_clone.db import api as db_api
from mistral_clone.db import models

LOG = logging.getLogger(__name__)

GROUPS = {
    'api': 'api_group',
    'engine': 'engine_group',
    'executor': 'executor_group',
    'scheduler': 'scheduler_group',
}
# Missed heartbeats after which a service is considered dead.
DEAD_AFTER = 3


class ServiceRegistry:
    """Registers ``{component: name}`` and keeps the rows alive."""

    def __init__(self, services, host, interval=5.0, shared=False):
        self.interval = max(0.1, float(interval))
        self.host = host
        suffix = '' if shared else ':%d:%s' % (os.getpid(),
                                               uuid.uuid4().hex[:8])
        self.rows = {
            '%s:%s%s' % (GROUPS[c], name, suffix): (name, GROUPS[c])
            for c, name in services.items() if c in GROUPS}
        self._loop = periodic.Periodic(self.beat, self.interval,
                                       'service-heartbeats')

    def start(self):
        self.register()
        self._loop.start()

    def stop(self):
        self._loop.stop()
        try:
            self.unregister()
        except Exception:
            LOG.warning('Could not unregister services', exc_info=True)

    def register(self):
        now = models.utcnow()
        with db_api.transaction() as s:
            for row_id, (name, group) in self.rows.items():
                s.merge(models.ServiceHeartbeat(
                    id=row_id, name=name, type=group, host=self.host,
                    started_at=now, last_heartbeat=now))
        LOG.info('Joined: %s', self._names())

    def unregister(self):
        m = models.ServiceHeartbeat
        with db_api.transaction() as s:
            s.execute(sa.delete(m).where(m.id.in_(list(self.rows))))
        LOG.info('Left: %s', self._names())

    def _names(self):
        return ', '.join(sorted('%s %s' % (group, name)
                                for name, group in self.rows.values()))

    @db_api.retry_on_conflict
    def beat(self):
        m = models.ServiceHeartbeat
        now = models.utcnow()
        dead = now - datetime.timedelta(seconds=self.interval * DEAD_AFTER)
        with db_api.transaction() as s:
            found = s.execute(
                sa.update(m).where(m.id.in_(list(self.rows)))
                .values(last_heartbeat=now)
                .execution_options(synchronize_session=False)).rowcount
            gone = [row for row in s.execute(
                sa.select(m.id, m.name, m.type)
                .where(m.last_heartbeat < dead)).all()
                if s.execute(sa.delete(m).where(
                    m.id == row.id, m.last_heartbeat < dead)
                    .execution_options(synchronize_session=False)).rowcount]
        for row in gone:
            LOG.warning('Service %s %s missed %d heartbeats: no longer '
                        'listed', row.type, row.name, DEAD_AFTER)
        if found < len(self.rows):
            # Removed while this process was unreachable: come back.
            self.register()


def live_services():
    """``[(name, type)]`` of the registered services (for tests/tools)."""
    m = models.ServiceHeartbeat
    with db_api.session() as s:
        return [tuple(r) for r in s.execute(
            sa.select(m.name, m.type).order_by(m.type, m.name)).all()]
