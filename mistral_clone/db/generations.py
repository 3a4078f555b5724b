"""Generation counters: has anything a cached list shows changed?

The ``generations`` table (alembic revision 003) holds one counter per
cached list. Database triggers bump it in the same transaction as every
write of the tables the list is read from (``workflow_definitions``:
``workflow_definitions`` and ``resource_members``), whichever process or
host writes, whatever code path: a reader that sees value *g* sees every
row change committed with or before *g*.

So a cache that reads the counter *before* it reads the rows, and keeps
what it read under that value, never answers from an entry older than the
database it just looked at: an entry made from rows newer than *g* is
kept under *g* and only misses (the counter has moved on by then).

:func:`read` is one primary-key SELECT through the driver, outside any
session or transaction, on a connection of :class:`_Readers` (or, where
those cannot be had, a pooled one: ``db_api.read_rows``). It returns None
(do not cache) when there is no counter row (a database created from the
models rather than the migrations, or MySQL, where no triggers are made),
inside a transaction (its own uncommitted changes are not counted) or when
the read failed. On a SQLite file database (WAL mode) the SELECT runs only
when a transaction committed since the last one: :mod:`mistral_clone.db.
wal_watch` tells, from the shared wal-index, without SQL.
"""

import logging
import os
import threading

import sqlalchemy as sa
from sqlalchemy import pool as sa_pool

from mistral_clone.db import api as db_api
from mistral_clone.db import wal_watch

LOG = logging.getLogger(__name__)

WORKFLOW_DEFINITIONS = 'workflow_definitions'

_SQL = {
    'sqlite': 'SELECT value FROM generations WHERE name = ?',
    'postgresql': 'SELECT value FROM generations WHERE name = %s',
}

# On PostgreSQL each reader connection prepares the SELECT once: the
# backend then neither parses nor plans it per request (issue 14).
_PG_PREPARE = ('PREPARE mc_generation (text) AS '
               'SELECT value FROM generations WHERE name = $1')
_PG_EXECUTE = 'EXECUTE mc_generation (%s)'


class _Readers(object):
    """Driver connections of their own for the counter's read, taken out
    of the engine's pool (``detach``) once and kept, at most
    :data:`KEEP` idle.

    Read once per list request, the counter cost more in the pool's
    checkout and check-in (events, reset, queue) than in the SELECT
    itself. The connections are those :func:`db_api.read_rows` reads
    through (autocommit, no ``BEGIN``), so every read sees what is
    committed when it runs, as before. Only from a ``QueuePool`` (a file
    SQLite database, a server): an in-memory SQLite database lives in its
    one connection, which must stay in its pool.
    """

    KEEP = 8

    def __init__(self):
        self._lock = threading.Lock()
        self._engine = None
        self._idle = []      # (driver connection, prepared on PostgreSQL)
        self._inherited = []  # a parent process's: never used nor closed
        self._pid = os.getpid()
        # The engine's database's WAL watch (db/wal_watch.py), or None;
        # _watched: the engine it was looked for (once per engine).
        self._watch = None
        self._watched = None

    def watch(self, engine):
        """The :class:`~mistral_clone.db.wal_watch.WalWatch` of a SQLite
        file database in WAL mode, or None."""
        if engine is self._watched:
            return self._watch
        with self._lock:
            if engine is self._watched:
                return self._watch
            path = engine.url.database
            watch = None
            if engine.dialect.name == 'sqlite' and path and \
                    path != ':memory:' and not engine.url.query and \
                    isinstance(engine.pool, sa_pool.QueuePool):
                self._listen(engine)
                try:
                    # The pool's connections put the database in WAL mode
                    # when they connect (db/api.py): one has, first.
                    engine.raw_connection().close()
                except Exception:
                    LOG.debug('No connection for the WAL watch',
                              exc_info=True)
                else:
                    watch = wal_watch.open_watch(path)
            self._close_watch()
            self._watch, self._watched = watch, engine
            return watch

    def _listen(self, engine):
        if not sa.event.contains(engine, 'engine_disposed', self._disposed):
            sa.event.listen(engine, 'engine_disposed', self._disposed)

    def _close_watch(self):
        """Under the lock: let the current watch go (a parent's is kept,
        unclosed: its connection is not ours to close)."""
        watch, self._watch, self._watched = self._watch, None, None
        if watch is None:
            return
        if self._pid != os.getpid():
            self._inherited.append(watch)
        else:
            watch.close()

    def read(self, engine, dialect, sql, params):
        """The rows, or None when the caller should read through the
        pool."""
        item = self._take(engine, dialect)
        if item is None:
            return None
        conn, prepared = item
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(_PG_EXECUTE if prepared else sql, params)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except Exception:
            LOG.debug('Generation read failed; the pool reads it',
                      exc_info=True)
            rows = None
        if getattr(conn, 'closed', 0):  # psycopg2: the connection broke
            self._close(conn)
        else:
            self._give_back(engine, item)
        return rows

    def _take(self, engine, dialect):
        with self._lock:
            if engine is self._engine:
                if self._idle:
                    return self._idle.pop()
            else:
                stale, self._idle = self._idle, []
                self._engine = engine
                for conn, _ in stale:
                    self._close(conn)
        if not isinstance(engine.pool, sa_pool.QueuePool):
            return None
        self._listen(engine)
        try:
            fairy = engine.raw_connection()
            fairy.detach()
            conn = fairy.dbapi_connection
        except Exception:
            LOG.debug('No generation reader connection', exc_info=True)
            return None
        prepared = False
        if dialect == 'postgresql':
            try:
                cursor = conn.cursor()
                try:
                    cursor.execute(_PG_PREPARE)
                    prepared = True
                finally:
                    cursor.close()
            except Exception:  # no table (a database from the models)
                LOG.debug('Generation read not prepared', exc_info=True)
        return conn, prepared

    def _give_back(self, engine, item):
        with self._lock:
            if engine is self._engine and len(self._idle) < self.KEEP:
                self._idle.append(item)
                return
        self._close(item[0])

    @staticmethod
    def _close(conn):
        try:
            conn.close()
        except Exception:  # already broken
            pass

    def _disposed(self, engine):
        """``db_api.dispose()``: close them with the pool's (a database
        about to be dropped has no session left open); in a forked child
        (``dispose(close=False)``), leave the parent's alone."""
        with self._lock:
            if engine is self._watched:
                self._close_watch()
            if engine is not self._engine:
                return
            idle, self._idle = self._idle, []
            self._engine = None
        if self._pid != os.getpid():
            self._inherited.extend(idle)
            return
        for conn, _ in idle:
            self._close(conn)

    def after_fork(self):
        """In a child: the parent's connections are not ours to use nor
        to close (closing would end the parent's sessions)."""
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._inherited.extend(self._idle)
        self._idle = []
        self._engine = None
        if self._watch is not None:
            self._inherited.append(self._watch)
        self._watch = self._watched = None


_readers = _Readers()

if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_readers.after_fork)


def read(name):
    """The counter ``name``, or None: see the module docstring."""
    if db_api.in_transaction():
        return None
    try:
        engine = db_api.read_engine()
    except RuntimeError:  # no database set up
        return None
    dialect = engine.dialect.name
    sql = _SQL.get(dialect)
    if sql is None:
        return None

    def select():
        rows = _readers.read(engine, dialect, sql, (name,))
        if rows is None:
            rows = db_api.read_rows(sql, (name,))
        if not rows:
            return None
        return rows[0][0]
    watch = _readers.watch(engine)
    if watch is not None:
        # SQLite in WAL mode: read again only when a transaction
        # committed since the last read (db/wal_watch.py).
        return watch.read_through(name, select)
    return select()
