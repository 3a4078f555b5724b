"""The statements an executor runs on ``action_executions`` rows: claim
them, hand them back (unclaim) and refresh their heartbeats
(``executor/service.py`` says when and why)."""

import datetime

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models

_claim_statements = {}


def _claim_statement(returning):
    """The claim: one Core statement, built once (building and keying it
    cost more than running it), run alone (``db_api.execute_alone``: in
    autocommit on PostgreSQL, one round trip). It only matches unclaimed
    RUNNING actions: of two executors given the same action, one claims
    it."""
    stmt = _claim_statements.get(returning)
    if stmt is None:
        stmt = _claim_statements[returning] = _claim_update(
            sa.bindparam('ids', expanding=True), returning)
    return stmt


def _claim_update(ids, returning):
    """The claim's UPDATE of the actions ``ids`` (a bind parameter, or a
    list of them)."""
    m = models.ActionExecution
    stmt = (sa.update(m.__table__)
            .where(m.id.in_(ids), m.state == 'RUNNING',
                   m.executor_host.is_(None))
            .values(executor_host=sa.bindparam('claimer'),
                    last_heartbeat=sa.bindparam('now')))
    if returning:
        stmt = stmt.returning(m.id)
    return stmt


def claim(ids, claimer):
    """The ids of ``ids`` that ``claimer`` claimed (see
    :func:`_claim_statement`)."""
    if not db_api.get_engine().dialect.update_returning:
        return {i for i in ids if claim_one(i, claimer)}
    params = {'ids': list(ids), 'claimer': claimer, 'now': models.utcnow()}
    if _by_driver(len(params['ids'])):
        return set(db_api.retry_on_conflict(_driver_claim)(True, params))
    return set(db_api.retry_on_conflict(db_api.execute_alone)(
        _claim_statement(returning=True), params))


def claim_one(action_ex_id, claimer):
    """True if ``claimer`` claimed the action ``action_ex_id``."""
    params = {'ids': [action_ex_id], 'claimer': claimer,
              'now': models.utcnow()}
    if _by_driver():
        return bool(db_api.retry_on_conflict(_driver_claim)(False, params))
    return bool(db_api.retry_on_conflict(db_api.execute_alone)(
        _claim_statement(returning=False), params))


_driver_statements = {}


# Most ids one claim by the driver names (a message carries at most
# engine.service.ACTIONS_PER_MESSAGE): a statement is kept per count.
DRIVER_MAX_IDS = 32


def _by_driver(count=1):
    """True where ``db_api.execute_alone`` runs the claim in autocommit
    (not on SQLite, not inside a transaction): :func:`_driver_claim` does
    the same with less."""
    return count <= DRIVER_MAX_IDS and not (
        db_api.is_sqlite() or db_api.in_transaction())


def _driver_claim(returning, params):
    """The claim run by the driver on a connection of the autocommit
    engine (``db_api.read_engine``: one round trip, as
    ``db_api.execute_alone`` runs it) without SQLAlchemy's execution
    around it (~200 Python calls, ~0.3 ms of an executor's CPU per
    received message on PostgreSQL); the claimed ids (``returning``) or
    the number of rows claimed. The statement is the one of
    :func:`_claim_statement`, compiled once for the dialect and the number
    of ids (one parameter each). A failure invalidates the connection
    (a broken one is not handed out again, as SQLAlchemy does on a
    disconnect) and raises the driver's error wrapped as SQLAlchemy wraps
    it (``DBAPIError`` and its kinds: conflicts are retried and errors
    read as on the other path): the claim did not happen, or happened for
    a connection that is gone with its answer (as when a claim's round
    trip failed through SQLAlchemy)."""
    engine = db_api.read_engine()
    ids = params['ids']
    key = (engine.dialect.name, returning, len(ids))
    found = _driver_statements.get(key)
    if found is None:
        names = ['id_%d' % i for i in range(len(ids))]
        compiled = _claim_update([sa.bindparam(n) for n in names],
                                 returning).compile(dialect=engine.dialect)
        # Columns SQLAlchemy sets itself (``updated_at``'s onupdate).
        defaults = tuple((c.key, c.onupdate)
                         for c in compiled.update_prefetch)
        found = _driver_statements[key] = (
            compiled.string, dict(compiled.params), names, defaults)
    sql, constants, names, defaults = found
    values = dict(constants, claimer=params['claimer'], now=params['now'])
    values.update(zip(names, ids))
    for name, default in defaults:
        # A callable is wrapped to take the execution context.
        values[name] = default.arg(None) if default.is_callable \
            else default.arg
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(sql, values)
            if returning:
                return [row[0] for row in cursor.fetchall()]
            return cursor.rowcount
        finally:
            cursor.close()
    except engine.dialect.dbapi.Error as e:
        conn.invalidate()
        raise sa.exc.DBAPIError.instance(
            sql, values, e, engine.dialect.dbapi.Error) from e
    except BaseException:
        conn.invalidate()
        raise
    finally:
        conn.close()


def unclaim(claimer, *conditions):
    """Unclaim the RUNNING actions claimed by ``claimer`` that match
    ``conditions`` (they never started), dated a day back so that the next
    recovery check sends them to another executor; how many. Raises what
    the database raised."""
    m = models.ActionExecution
    long_ago = models.utcnow() - datetime.timedelta(days=1)
    with db_api.transaction() as s:
        return s.execute(
            sa.update(m)
            .where(m.state == 'RUNNING', m.executor_host == claimer,
                   *conditions)
            .values(executor_host=None, last_heartbeat=long_ago)
            .execution_options(synchronize_session=False)).rowcount


def beat(claimer, ids):
    """Refresh ``last_heartbeat`` of the RUNNING actions of ``ids`` claimed
    by ``claimer``; how many."""
    m = models.ActionExecution
    now = models.utcnow()
    count = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]

        @db_api.retry_on_conflict
        def beat_chunk():
            held = sa.and_(m.id.in_(chunk), m.state == 'RUNNING',
                           m.executor_host == claimer)
            if db_api.dialect_name() == 'postgresql':
                # Rows an engine has locked are being completed: they
                # need no heartbeat, and waiting for them while the
                # engine waits for rows locked here (an engine stores
                # several results per transaction) is a deadlock.
                held = m.id.in_(sa.select(m.id).where(held)
                                .with_for_update(skip_locked=True))
            with db_api.transaction() as s:
                return s.execute(
                    sa.update(m).where(held)
                    .values(last_heartbeat=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
        count += beat_chunk()
    return count
