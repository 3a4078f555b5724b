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

Each process's rows carry its *identity* (:func:`process_identity`:
``pid:space:random``, where ``space`` names the pid namespace of this boot).
Executors claim actions under the id of their service row, so an engine
sees at once whose claims lost their process (``engine/recovery.py``): a
claimer whose row is gone or missed ``DEAD_AFTER`` heartbeats is dead. And
a process starting on the same host and pid space removes the rows of
processes that are not running any more (killed with -9, crashed) right
away, without waiting for their heartbeats to age: a restarted embedded
server recovers the work of its predecessor immediately.

Joining, leaving and the removal of a dead service are logged at INFO /
WARNING.
"""

import datetime
import hashlib
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


def _pid_space():
    """A short name of this boot's pid namespace ('' where unknown): two
    processes with the same one can tell whether a pid is running."""
    try:
        with open('/proc/sys/kernel/random/boot_id') as f:
            boot = f.read().strip()
        ns = os.readlink('/proc/self/ns/pid')
    except OSError:
        return ''
    return hashlib.sha1(('%s %s' % (boot, ns)).encode()).hexdigest()[:8]


def process_identity():
    """``pid:space:random``: names one run of one process (a new one for
    each ``launch``, so two launches in one process never share rows)."""
    return '%d:%s:%s' % (os.getpid(), _pid_space() or '-',
                         uuid.uuid4().hex[:8])


def row_id(component, name, identity):
    """The services row of ``component`` (``executor``...) ``name`` run by
    the process ``identity``; executors claim actions under it."""
    return '%s:%s:%s' % (GROUPS[component], name, identity)


def name_of(row_id_):
    """The service name in a row id (``executor_group:exec-1:pid:space:r``
    → ``exec-1``); anything else unchanged (an older claim names the
    executor only)."""
    if not row_id_:
        return row_id_
    parts = row_id_.rsplit(':', 3)
    head = parts[0].split(':', 1)
    if len(parts) == 4 and len(head) == 2 and head[0] in GROUPS.values():
        return head[1]
    return row_id_


def _pid_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited already
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return True


def is_gone(row_id_, space=None):
    """True if the row names a process of this pid space that is no longer
    running (never guesses for other hosts or namespaces)."""
    space = _pid_space() if space is None else space
    parts = row_id_.rsplit(':', 3)
    if not space or len(parts) != 4 or parts[2] != space:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    return pid != os.getpid() and not _pid_running(pid)


class ServiceRegistry:
    """Registers ``{component: name}`` and keeps the rows alive."""

    def __init__(self, services, host, interval=5.0, shared=False,
                 identity=None):
        self.interval = max(0.1, float(interval))
        self.host = host
        self.identity = None if shared else (identity or process_identity())
        self.rows = {
            (row_id(c, name, self.identity) if self.identity else
             '%s:%s' % (GROUPS[c], name)): (name, GROUPS[c])
            for c, name in services.items() if c in GROUPS}
        self._loop = periodic.Periodic(self.beat, self.interval,
                                       'service-heartbeats')

    def start(self):
        self.remove_gone()
        self.register()
        self._loop.start()

    def remove_gone(self):
        """Remove the rows of this host's processes that are not running
        any more; their ids."""
        m = models.ServiceHeartbeat
        space = _pid_space()
        if not space:
            return []
        with db_api.transaction() as s:
            gone = [row for row in s.execute(
                sa.select(m.id, m.name, m.type).where(m.host == self.host))
                .all() if is_gone(row.id, space)]
            if gone:
                s.execute(sa.delete(m).where(m.id.in_([r.id for r in gone]))
                          .execution_options(synchronize_session=False))
        for row in gone:
            LOG.warning('Service %s %s (%s) is not running any more: no '
                        'longer listed; its work is recovered', row.type,
                        row.name, row.id)
        return [row.id for row in gone]

    def stop(self):
        self._loop.stop()
        try:
            self.unregister()
        except Exception:
            LOG.warning('Could not unregister services', exc_info=True)

    def register(self):
        for attempt in range(3):
            now = models.utcnow()
            try:
                with db_api.transaction() as s:
                    for row_id, (name, group) in self.rows.items():
                        s.merge(models.ServiceHeartbeat(
                            id=row_id, name=name, type=group,
                            host=self.host, started_at=now,
                            last_heartbeat=now))
                break
            except sa.exc.IntegrityError:
                # A shared row (API worker processes) inserted by another
                # process between our read and our insert: merge again,
                # which now updates it.
                if attempt == 2:
                    raise
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


def dead_after_seconds(interval):
    """Seconds without a heartbeat after which a service is dead."""
    return max(0.1, float(interval)) * DEAD_AFTER


def live_services():
    """``[(name, type)]`` of the registered services (for tests/tools)."""
    m = models.ServiceHeartbeat
    with db_api.session() as s:
        return [tuple(r) for r in s.execute(
            sa.select(m.name, m.type).order_by(m.type, m.name)).all()]
