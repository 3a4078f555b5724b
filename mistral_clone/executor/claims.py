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
        m = models.ActionExecution
        stmt = (sa.update(m.__table__)
                .where(m.id.in_(sa.bindparam('ids', expanding=True)),
                       m.state == 'RUNNING', m.executor_host.is_(None))
                .values(executor_host=sa.bindparam('claimer'),
                        last_heartbeat=sa.bindparam('now')))
        if returning:
            stmt = stmt.returning(m.id)
        stmt = _claim_statements[returning] = stmt
    return stmt


def claim(ids, claimer):
    """The ids of ``ids`` that ``claimer`` claimed (see
    :func:`_claim_statement`)."""
    if not db_api.get_engine().dialect.update_returning:
        return {i for i in ids if claim_one(i, claimer)}
    return set(db_api.retry_on_conflict(db_api.execute_alone)(
        _claim_statement(returning=True),
        {'ids': list(ids), 'claimer': claimer, 'now': models.utcnow()}))


def claim_one(action_ex_id, claimer):
    """True if ``claimer`` claimed the action ``action_ex_id``."""
    return bool(db_api.retry_on_conflict(db_api.execute_alone)(
        _claim_statement(returning=False),
        {'ids': [action_ex_id], 'claimer': claimer,
         'now': models.utcnow()}))


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
