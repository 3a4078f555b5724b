"""Database engine, sessions and transactions.

One call, :func:`setup`, binds the process to a database URL. All work then
happens inside :func:`transaction` (read-write, retried on deadlocks and
serialization failures) or :func:`session` (read-only use).

SQLite (the embedded default) allows a single writer; within one process we
serialise write transactions with a lock and start them with ``BEGIN
IMMEDIATE`` so concurrent threads never hit "database is locked", and WAL mode
lets readers proceed while a writer works. PostgreSQL and MySQL use row locks
(see :func:`lock_for_update`).
"""

import contextlib
import functools
import logging
import os
import random
import threading
import time

import sqlalchemy as sa
from sqlalchemy import event, exc as sa_exc, orm

from mistral_clone import exceptions as exc
from mistral_clone import glibc
from mistral_clone.db import limits
from mistral_clone.db import models
from mistral_clone.db import packing
from mistral_clone.db import pg_prepared
from mistral_clone.db import pg_transactions
from mistral_clone.db import writer

LOG = logging.getLogger(__name__)

_engine = None
_sessionmaker = None
# Of execute_alone: an engine on the same database whose connections stay
# in autocommit, created at its first use (and its pool settings and
# connect arguments).
_alone_engine = None
_alone_engine_lock = threading.Lock()
_pool_settings = {}
_write_lock = threading.RLock()
_local = threading.local()
# Called (no arguments, exceptions logged) after each outermost
# transaction() ends, once its lock is released: work that must not hold
# the SQLite write lock (see db/tracking.py); in a block of
# hooks_after_block(), when the block ends.
after_transaction_hooks = []


def get_engine():
    if _engine is None:
        raise RuntimeError('Database is not set up; call db.api.setup()')
    return _engine


def dialect_name():
    return get_engine().dialect.name


def is_sqlite():
    return dialect_name() == 'sqlite'


def setup(url, create_tables=False, pool_size=10, max_overflow=20,
          pool_timeout=30, pool_recycle=3600, sqlite_synchronous=True):
    """Create the process-wide engine for ``url``.

    ``create_tables`` runs the alembic migrations up to head (used by the
    embedded server and tests: the SQLite file upgrades itself on start).
    """
    global _engine, _sessionmaker
    if _engine is not None:
        dispose()
    # Error texts never carry bound values (secrets); see db/errors.py.
    kwargs = {'future': True, 'hide_parameters': True}
    _pool_settings.clear()
    _pool_settings.update(pool_size=pool_size, max_overflow=max_overflow,
                          pool_timeout=pool_timeout,
                          pool_recycle=pool_recycle)
    if url.startswith('sqlite'):
        kwargs['connect_args'] = {'check_same_thread': False, 'timeout': 30}
        if url in ('sqlite://', 'sqlite:///:memory:'):
            kwargs['poolclass'] = sa.pool.StaticPool
    else:
        # LIFO: the connections a process keeps busy stay warm (backend
        # caches, statements prepared: db/pg_prepared.py), the rest idle.
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow,
                      pool_timeout=pool_timeout, pool_recycle=pool_recycle,
                      pool_use_lifo=True)
        if url.startswith('mysql'):
            kwargs['isolation_level'] = 'READ COMMITTED'
        elif url.startswith('postgresql'):
            kwargs['isolation_level'] = 'READ COMMITTED'
            if sa.engine.make_url(url).get_driver_name() == 'psycopg2':
                # The UPDATEs of one flush (an engine transaction handling
                # several results updates as many actions, tasks and
                # workflows alike) go in one round trip per table, not
                # one per row. (Rowcounts of such batches are unknown: no
                # code reads them, the ORM's check is skipped; db/writer.py,
                # which writes the execution rows in one statement, counts
                # them itself.)
                kwargs['executemany_mode'] = 'values_plus_batch'
                kwargs['connect_args'] = {'options': _pg_options(url)}
                # the autocommit engine of execute_alone too
                _pool_settings['connect_args'] = kwargs['connect_args']
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == 'sqlite':
        _configure_sqlite(engine, sqlite_synchronous,
                          in_memory=kwargs.get('poolclass') is
                          sa.pool.StaticPool)
    else:
        if engine.dialect.driver == 'psycopg2':
            # BEGIN in the string of a transaction's first statement.
            pg_transactions.install(engine, kwargs['isolation_level'])
        _ping_idle_connections(engine)
    _engine = engine
    _sessionmaker = orm.sessionmaker(bind=engine, expire_on_commit=False,
                                     autoflush=True)
    limits.install(_sessionmaker)
    writer.install(_sessionmaker)
    if create_tables:
        upgrade_to_head(url)
    return engine


# PostgreSQL settings of our sessions, given when they start (no round
# trip). random_page_cost: the planner's cost of reading a page at random
# (4 by default, for spinning disks) made nearly that of a sequential
# read, as for a database in memory or on SSD: on tables still small or
# never analysed (a new database) the planner otherwise scanned whole
# tables rather than use the primary key to find the few rows an engine
# transaction reads and updates (bench/RESULTS.md, issue 14, pgtrips).
# A database's own setting is overridden; an ``options`` of the URL
# comes after ours (and wins).
PG_OPTIONS = '-c random_page_cost=1.1'


def _pg_options(url):
    given = sa.engine.make_url(url).query.get('options')
    if isinstance(given, tuple):
        given = ' '.join(given)
    return PG_OPTIONS + (' ' + given if given else '')


# Bytes of a bound string above which a SQLite connection is not reused
# and the freed heap is given back to the system after the transaction
# (bench/: the ~1 MB scenarios bind JSON texts of ~0.3-1 MB).
LARGE_BOUND_VALUE = 256 << 10


def _load_malloc_trim():
    trim = glibc.function('malloc_trim')
    if trim is None:
        return None
    import ctypes
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return trim


# glibc's malloc_trim, or None: called through :func:`release_freed_memory`.
_malloc_trim = _load_malloc_trim()
# Set when a connection that bound a large value went back to the pool.
_trim_pending = False


def release_freed_memory():
    """Give the heap freed by a transaction that bound large values back
    to the system (glibc keeps it otherwise: fragmented arenas, and each
    big transaction raised the base of the next). Cheap when nothing is
    pending; True when malloc_trim ran."""
    global _trim_pending
    if not _trim_pending:
        return False
    _trim_pending = False
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


def _configure_sqlite(engine, synchronous, in_memory=False):
    # Here, not at the top: a process on PostgreSQL or MySQL never loads
    # the sqlite3 module and its library (~0.8-1.7 MB of every production
    # process, issue 14).
    from mistral_clone.db import sqlite_bindings

    @event.listens_for(engine, 'connect')
    def _on_connect(dbapi_conn, _record):
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE
        # below is the only BEGIN.
        dbapi_conn.isolation_level = None
        packing.register(dbapi_conn)
        cur = dbapi_conn.cursor()
        cur.execute('PRAGMA foreign_keys=ON')
        cur.execute('PRAGMA busy_timeout=30000')
        try:
            cur.execute('PRAGMA journal_mode=WAL')
            cur.execute('PRAGMA synchronous=%s'
                        % ('NORMAL' if synchronous else 'OFF'))
        except Exception:  # in-memory databases have no WAL
            pass
        cur.close()

    # pysqlite keeps the values last bound to each of its cached statements
    # (up to 128 per connection) until that statement runs again: after
    # transactions writing JSON values of several MB, the connections held
    # those copies for good (bench/: ~290 MB more RSS after the 10 MB
    # scenario). A connection that bound such a value is closed when it
    # returns to the pool; the pool opens a new one when needed (not for
    # an in-memory database: its one connection is the database). The
    # transaction then ends with release_freed_memory(). Within the
    # transaction, the statements let go of such values as soon as they
    # ran (sqlite_bindings.py): a chain of inline tasks binds its JSON
    # texts through several statements, whose copies were all alive at
    # once until the end.
    @event.listens_for(engine, 'before_cursor_execute')
    def _note_large_values(conn, cursor, statement, parameters, context,
                           executemany):
        # A batch of "INSERT ... VALUES (...), (...)" (SQLAlchemy's
        # insertmanyvalues) comes as one flat tuple with executemany set.
        rows = parameters if executemany else (parameters,)
        for row in rows:
            if isinstance(row, dict):
                values = row.values()
            elif isinstance(row, (list, tuple)):
                values = row
            else:
                values = (row,)
            for value in values:
                # bytes: a JSON text packed for SQLite (db/packing.py), at
                # least LARGE_BOUND_VALUE characters before compression.
                if type(value) is bytes or (
                        type(value) is str and len(value) > LARGE_BOUND_VALUE):
                    conn.info['large_values'] = True
                    conn.info['release_bindings'] = True
                    return

    @event.listens_for(engine, 'after_cursor_execute')
    def _release_large_values(conn, cursor, statement, parameters, context,
                              executemany):
        if conn.info.get('release_bindings'):
            conn.info['release_bindings'] = False
            sqlite_bindings.release(conn.connection.dbapi_connection)

    @event.listens_for(engine.pool, 'checkin')
    def _close_if_large_values(dbapi_conn, record):
        global _trim_pending
        if dbapi_conn is not None and record.info.pop('large_values', False):
            if not in_memory:
                record.invalidate()
            _trim_pending = True

    @event.listens_for(engine, 'begin')
    def _on_begin(conn):
        mode = getattr(_local, 'sqlite_begin', 'DEFERRED')
        conn.exec_driver_sql('BEGIN %s' % mode)


# Seconds a pooled connection may have been idle and still be used without
# a ping first (see _ping_idle_connections).
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine):
    """Ping a connection before use when it sat in the pool for more than
    ``PING_AFTER_IDLE_SECONDS``; a dead one is replaced (the database or a
    proxy restarted, a firewall dropped it). SQLAlchemy's ``pool_pre_ping``
    pings before *every* use: with psycopg2 that was two round trips more
    per transaction (``SELECT 1`` and the ``SET`` that leaves autocommit:
    two of the five statements of an executor's claim), for connections
    used a few milliseconds before. A connection that
    dies within the second after its last use fails its next
    transaction, as one that dies during a transaction always did: the
    services repeat such work (``db.errors.is_unavailable``), and the
    pool then replaces all the connections older than the failure."""

    @event.listens_for(engine, 'connect')
    def _on_connect(dbapi_conn, record):
        record.info['idle_since'] = time.monotonic()

    @event.listens_for(engine.pool, 'checkin')
    def _on_checkin(dbapi_conn, record):
        record.info['idle_since'] = time.monotonic()

    @event.listens_for(engine.pool, 'checkout')
    def _on_checkout(dbapi_conn, record, proxy):
        since = record.info.get('idle_since')
        if since is not None and \
                time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            LOG.debug('A pooled connection failed its ping: %s', e)
            alive = False
        if not alive:
            # The pool discards it and checks out another (a new one).
            raise sa_exc.DisconnectionError('stale pooled connection')


def _after_fork_in_child():
    """A forked process (gunicorn/uwsgi workers, our API workers) must not
    use the connections it inherited: they belong to the parent, and two
    processes talking over one socket corrupt each other's answers. Drop
    the pool without closing those sockets (closing would tell the server
    the parent's session ended); the child opens its own connections."""
    global _write_lock
    _write_lock = threading.RLock()
    if _engine is not None:
        _engine.dispose(close=False)
    if _alone_engine is not None:
        _alone_engine.dispose(close=False)


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def dispose():
    global _engine, _sessionmaker, _alone_engine
    if _engine is not None:
        _engine.dispose()
    if _alone_engine is not None:
        _alone_engine.dispose()
    _engine = None
    _sessionmaker = None
    _alone_engine = None


def upgrade_to_head(url=None):
    """Run our alembic migrations up to head (refuses a database that is
    not ours: ``migration.ForeignDatabase``)."""
    from mistral_clone.db import migration
    url = url or get_engine().url.render_as_string(hide_password=False)
    before, after = migration.upgrade('head', url)
    if before != after:
        LOG.info('Database schema upgraded from %s to %s',
                 before or 'nothing', after)


# --- transactions ------------------------------------------------------------

def _is_retryable(error):
    orig = getattr(error, 'orig', None)
    text = str(orig or error).lower()
    code = getattr(orig, 'pgcode', None)
    # SESSION_SHARED: retried with plain statements (db/pg_prepared.py)
    if code in ('40001', '40P01') or code in pg_prepared.SESSION_SHARED:
        return True
    args = getattr(orig, 'args', ())
    if args and args[0] in (1213, 1205):  # MySQL deadlock / lock wait
        return True
    return ('deadlock' in text or 'database is locked' in text or
            'could not serialize' in text)


@contextlib.contextmanager
def transaction():
    """A read-write transaction, committed on success.

    Nested use re-uses the outer session (one transaction).
    """
    current = getattr(_local, 'session', None)
    if current is not None:
        yield current
        return
    sqlite = is_sqlite()
    if sqlite:
        _write_lock.acquire()
        _local.sqlite_begin = 'IMMEDIATE'
    s = None
    # Everything after the acquisition inside the try: a failure there
    # (the database disposed of meanwhile: no sessionmaker) must not keep
    # the write lock (every later transaction of the process waited for
    # it: a thread of a stopped engine did so in the tests).
    try:
        s = _sessionmaker()
        _local.session = s
        with s.begin():
            yield s
    finally:
        _local.session = None
        if s is not None:
            s.close()
        if sqlite:
            _local.sqlite_begin = 'DEFERRED'
            _write_lock.release()
        release_freed_memory()
        if getattr(_local, 'hooks_later', False):
            _local.hooks_due = True
        else:
            _run_after_transaction_hooks()


def _run_after_transaction_hooks():
    for hook in after_transaction_hooks:
        try:
            hook()
        except Exception:
            LOG.exception('After-transaction hook %s failed', hook)


@contextlib.contextmanager
def hooks_after_block():
    """The after-transaction hooks of the transactions this thread runs
    in the block run once, when it ends. An engine's RPC handler runs in
    such a block (``rpc.servers.make_server``, ``around``): the state
    changes of a transaction are reported (trace lines, metrics: ~1 ms for
    a delivery of 10 results) after the caller's answer has left, not
    before it (bench/RESULTS.md, issue 14, prodchain 2026-12-01)."""
    if getattr(_local, 'hooks_later', False):
        yield  # nested: the outermost block runs them
        return
    _local.hooks_later = True
    _local.hooks_due = False
    try:
        yield
    finally:
        _local.hooks_later = False
        if _local.hooks_due:
            _local.hooks_due = False
            _run_after_transaction_hooks()


def execute_alone(statement, params=None):
    """Run one Core ``statement`` as a transaction of its own; its
    ``RETURNING`` values (first column) if it returns rows, else its
    rowcount.

    On PostgreSQL and MySQL it runs on a connection in autocommit (an engine
    of its own on the same database, whose connections never leave
    autocommit): the database commits the statement as it runs, one round
    trip, and no session, ORM transaction or after-transaction hook is
    involved. An executor's claim of the actions it receives is such a
    statement, once per message (bench/RESULTS.md, "prodchain"): through
    :func:`transaction` it cost ~1-2 ms of the executor's CPU and a second
    round trip (the COMMIT). On SQLite (one writer at a time) it runs in
    :func:`transaction`."""
    if is_sqlite() or in_transaction():
        with transaction() as s:
            return _results(s.connection().execute(statement, params))
    with _get_alone_engine().connect() as c:
        return _results(c.execute(statement, params))


def _results(result):
    if result.returns_rows:
        return result.scalars().all()
    return result.rowcount


def _get_alone_engine():
    global _alone_engine
    engine = _alone_engine
    if engine is None:
        with _alone_engine_lock:
            if _alone_engine is None:
                main = get_engine()
                _alone_engine = sa.create_engine(
                    main.url, future=True, hide_parameters=True,
                    isolation_level='AUTOCOMMIT', **_pool_settings)
                _ping_idle_connections(_alone_engine)
            engine = _alone_engine
    return engine


def read_engine():
    """The engine :func:`read_rows` reads through: the main engine on
    SQLite, the autocommit engine of :func:`execute_alone` elsewhere."""
    return get_engine() if is_sqlite() else _get_alone_engine()


def read_rows(sql, params):
    """Rows (tuples) of one SELECT run by the driver on a pooled
    connection, outside any transaction (the statement reads a consistent
    snapshot by itself): on SQLite a connection of the main engine, which
    pysqlite leaves in autocommit (no ``BEGIN``); elsewhere one of the
    autocommit engine of :func:`execute_alone`, so the SELECT is the one
    round trip (through the main engine, psycopg2 sent ``BEGIN`` before it
    and the pool a ``ROLLBACK`` after it). None when that failed: the
    caller then runs it through SQLAlchemy, which raises its usual,
    translated errors. See ``query._driver_select``."""
    try:
        conn = read_engine().raw_connection()
    except Exception:
        return None
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()
    except Exception:
        LOG.debug('Driver-level read failed; SQLAlchemy runs it',
                  exc_info=True)
        return None
    finally:
        conn.close()


@contextlib.contextmanager
def session():
    """A session for reads (no commit). Joins an open transaction."""
    current = getattr(_local, 'session', None)
    if current is not None:
        yield current
        return
    s = _sessionmaker()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


def in_transaction():
    return getattr(_local, 'session', None) is not None


def current_session():
    """The session of this thread's open transaction, or None."""
    return getattr(_local, 'session', None)


def retry_on_conflict(fn):
    """Re-run ``fn`` (which opens its own transaction) on deadlocks."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        attempts = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except (sa_exc.OperationalError, sa_exc.DBAPIError,
                    exc.DBDeadlockRetry) as e:
                if in_transaction():
                    raise
                attempts += 1
                if attempts > 20 or not (isinstance(e, exc.DBDeadlockRetry)
                                         or _is_retryable(e)):
                    raise
                LOG.debug('Retrying %s after %s', fn.__name__, e)
                time.sleep(random.uniform(0.005, 0.05) * attempts)
    return wrapper


def lock_for_update(s, model, id_, deferred=()):
    """Load a row with a row lock (no-op lock on SQLite: writes are serial).
    Pending changes are not flushed first: they cannot change which row
    an id names (and an engine transaction handling several events would
    flush once per event). ``deferred``: names of columns not loaded (read
    at their first access)."""
    key = (model, tuple(deferred), is_sqlite())
    q = _lock_statements.get(key)
    if q is None:
        q = sa.select(model).where(model.id == sa.bindparam('lock_id'))
        if deferred:
            q = q.options(*[orm.defer(getattr(model, c)) for c in deferred])
        if not key[2]:
            q = q.with_for_update()
        if len(_lock_statements) >= 32:  # callers' own deferred columns
            _lock_statements.clear()
        _lock_statements[key] = q
    with s.no_autoflush:
        return s.execute(q, {'lock_id': id_}).scalars().first()


# (model, deferred columns, on SQLite) -> the statement of lock_for_update,
# built once: every engine transaction locks an execution, and building
# the statement (and keying a fresh tree) cost about as much as running it.
_lock_statements = {}


def lock_all_for_update(s, model, ids, params=None):
    """The rows whose ids ``ids`` (a subquery, with its ``params``)
    selects, locked in id order (one order for every process: no deadlock
    between two of them), in one statement; as :func:`lock_for_update`,
    nothing is flushed first. The statement is built once per ``ids``
    object (the engine passes the same subquery at every delivery:
    building and keying the statement cost more than running it)."""
    key = (model, ids, is_sqlite())
    q = _lock_all_statements.get(key)
    if q is None:
        q = sa.select(model).where(model.id.in_(ids)).order_by(model.id)
        if not key[2]:
            q = q.with_for_update()
        if len(_lock_all_statements) >= 32:  # callers building their own
            _lock_all_statements.clear()
        _lock_all_statements[key] = q
    with s.no_autoflush:
        return s.execute(q, params).scalars().all()


# (model, ids subquery, on SQLite) -> the statement of lock_all_for_update
_lock_all_statements = {}


def create_all_for_tests():
    """Create tables directly from the models (unit tests only)."""
    models.Base.metadata.create_all(get_engine())
