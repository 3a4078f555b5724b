"""PostgreSQL transactions through psycopg2 without a round trip of their
own for ``BEGIN``.

psycopg2 (outside autocommit) sends ``BEGIN ISOLATION LEVEL ...`` alone,
then waits for its answer, before a transaction's first statement: one of
the five round trips of an engine transaction (lock, read, write,
commit), each a wake-up of the server's backend and of our thread on a
busy machine (bench/RESULTS.md, issue 14, pgtrips). :func:`install` puts
the engine's connections in the driver's autocommit mode and sends that
same ``BEGIN`` in the string of the transaction's first statement
(``BEGIN ...;SELECT ...``: the server runs both, the driver answers the
last), and ``COMMIT`` / ``ROLLBACK`` itself. What the server runs is what
it ran before, in the same order and isolation level: only the round
trips differ.

* a statement run while SQLAlchemy holds a transaction open and the
  server has none (``get_transaction_status()`` idle) opens it so; an
  executemany (several rows, the driver's own batches) after a ``BEGIN``
  sent alone;
* commit and rollback send ``COMMIT`` / ``ROLLBACK`` when the server has
  a transaction open (or failed), nothing otherwise (as psycopg2 did); the
  pool's reset of a returned connection is such a rollback;
* a connection SQLAlchemy has out of the driver's autocommit (an
  ``isolation_level`` execution option: SQLAlchemy sets the driver's
  level, then its default again, through ``set_isolation_level``) is left
  to psycopg2's own ``BEGIN`` and commit, as every connection was before;
  a connection in the ``AUTOCOMMIT`` execution option gets no ``BEGIN``.
"""

from sqlalchemy import event


def install(engine, isolation_level):
    """Begin the transactions of ``engine`` (psycopg2) with their first
    statement, at ``isolation_level`` (the engine's, e.g. ``READ
    COMMITTED``)."""
    from psycopg2 import extensions
    idle = extensions.TRANSACTION_STATUS_IDLE
    begin = 'BEGIN ISOLATION LEVEL %s' % isolation_level
    dialect = engine.dialect
    assert engine.pool._dialect is dialect  # the pool's resets come here
    driver_commit, driver_rollback = dialect.do_commit, dialect.do_rollback

    @event.listens_for(engine, 'connect')
    def _autocommit(dbapi_conn, record):
        # After the dialect's own connect handler set the isolation level
        # (which psycopg2 would put in its BEGIN).
        dbapi_conn.autocommit = True

    @event.listens_for(engine, 'before_cursor_execute', retval=True)
    def _begin_with(conn, cursor, statement, parameters, context,
                    executemany):
        dbapi_conn = cursor.connection
        if dbapi_conn.autocommit and \
                dbapi_conn.get_transaction_status() == idle and \
                conn.in_transaction() and \
                conn.get_execution_options().get('isolation_level') != \
                'AUTOCOMMIT':
            if executemany:
                cursor.execute(begin)
            else:
                statement = begin + ';' + statement
        return statement, parameters

    def _end(dbapi_conn, sql, driver_end):
        if not dbapi_conn.autocommit:
            return driver_end(dbapi_conn)
        if dbapi_conn.get_transaction_status() == idle:
            return None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
        return None

    dialect.do_commit = lambda dbapi_conn: _end(dbapi_conn, 'COMMIT',
                                                driver_commit)
    dialect.do_rollback = lambda dbapi_conn: _end(dbapi_conn, 'ROLLBACK',
                                                  driver_rollback)
