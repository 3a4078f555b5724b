"""db/pg_transactions.py: on PostgreSQL through psycopg2, a transaction's
BEGIN goes in the string of its first statement; the transactions are the
same (one transaction per SQLAlchemy transaction, its isolation level,
commit, rollback, a failed statement, the pool's reset). On a local
server (127.0.0.1:5432, user postgres) in a database dropped afterwards.
"""

import unittest
import uuid

import sqlalchemy as sa

from mistral_clone.db import pg_transactions


def _reason():
    from tests.integration import production_env
    reason = production_env.ensure_postgresql()
    if reason is None:
        import importlib.util
        if importlib.util.find_spec('psycopg2') is None:
            reason = 'no psycopg2'
    return reason


_REASON = _reason()


def throwaway_engine(test, prefix, **kwargs):
    """An engine of one connection (and ``kwargs``) on a PostgreSQL
    database of its own named ``prefix`` and a random suffix, with
    pg_transactions installed as db.api installs it; the database is
    dropped and the engine disposed of at the test's end."""
    from tests.integration import production_env
    db = '%s_%s' % (prefix, uuid.uuid4().hex[:10])
    url = production_env.create_database('postgresql', db)
    test.addCleanup(production_env.drop_database, 'postgresql', db)
    engine = sa.create_engine(url, isolation_level='READ COMMITTED',
                              pool_size=1, max_overflow=0, **kwargs)
    test.addCleanup(engine.dispose)
    pg_transactions.install(engine, 'READ COMMITTED')
    return engine


@unittest.skipIf(_REASON, _REASON)
class PgTransactionsTest(unittest.TestCase):

    def setUp(self):
        self.engine = throwaway_engine(self, 'mc_pgtx')
        with self.engine.begin() as c:
            c.exec_driver_sql('CREATE TABLE t (id integer PRIMARY KEY)')
        self.sent = []
        sa.event.listen(self.engine, 'after_cursor_execute', self._note)

    def _note(self, conn, cursor, statement, *args):
        self.sent.append(statement)

    def _ids(self):
        with self.engine.connect() as c:
            return [r[0] for r in c.exec_driver_sql(
                'SELECT id FROM t ORDER BY id')]

    def _status(self, conn):
        return conn.connection.dbapi_connection.get_transaction_status()

    def test_begin_rides_with_the_first_statement(self):
        with self.engine.begin() as c:
            first = c.exec_driver_sql('SELECT txid_current()').scalar()
            level = c.exec_driver_sql('SHOW transaction_isolation').scalar()
            self.assertEqual(first, c.exec_driver_sql(
                'SELECT txid_current()').scalar())
        self.assertEqual('read committed', level)
        self.assertEqual('BEGIN ISOLATION LEVEL READ COMMITTED;'
                         'SELECT txid_current()', self.sent[0])
        self.assertFalse(any(s.startswith('BEGIN') for s in self.sent[1:]))
        with self.engine.begin() as c:
            self.assertNotEqual(first, c.exec_driver_sql(
                'SELECT txid_current()').scalar())

    def test_commit_and_rollback(self):
        with self.engine.begin() as c:
            c.exec_driver_sql('INSERT INTO t VALUES (1)')
        with self.engine.connect() as c:
            c.exec_driver_sql('INSERT INTO t VALUES (2)')
            c.rollback()
            self.assertEqual(0, self._status(c))   # idle: sent
        with self.engine.connect() as c:
            # several rows: the driver's own batch, after a BEGIN alone
            c.exec_driver_sql('INSERT INTO t VALUES (%s)', [(3,), (4,)])
            c.rollback()
        self.assertEqual([1], self._ids())

    def test_a_failed_statement_then_rollback(self):
        with self.engine.connect() as c:
            c.exec_driver_sql('INSERT INTO t VALUES (5)')
            self.assertRaises(sa.exc.IntegrityError, c.exec_driver_sql,
                              'INSERT INTO t VALUES (5)')
            c.rollback()
        with self.engine.begin() as c:   # the pooled connection is usable
            c.exec_driver_sql('INSERT INTO t VALUES (6)')
        self.assertEqual([6], self._ids())

    def test_the_pool_rolls_back_what_was_left_open(self):
        c = self.engine.connect()
        c.exec_driver_sql('INSERT INTO t VALUES (7)')
        dbapi_conn = c.connection.dbapi_connection
        c.close()                         # no commit: the pool's reset
        self.assertEqual(0, dbapi_conn.get_transaction_status())
        self.assertEqual([], self._ids())

    def test_autocommit_execution_option(self):
        with self.engine.connect() as c:
            c = c.execution_options(isolation_level='AUTOCOMMIT')
            c.exec_driver_sql('INSERT INTO t VALUES (8)')
            self.assertEqual(0, self._status(c))
            c.rollback()
        self.assertEqual([8], self._ids())
        self.assertFalse(any(s.startswith('BEGIN') for s in self.sent[:1]))
        with self.engine.begin() as c:   # back in a transaction of ours
            c.exec_driver_sql('INSERT INTO t VALUES (9)')
            self.assertNotEqual(0, self._status(c))
        self.assertEqual([8, 9], self._ids())


class PgOptionsTest(unittest.TestCase):
    """db/api.py: the settings our PostgreSQL sessions start with; a
    URL's own ``options`` after them."""

    def test_options(self):
        from mistral_clone.db import api as db_api
        self.assertEqual(db_api.PG_OPTIONS, db_api._pg_options(
            'postgresql+psycopg2://u@h/db'))
        self.assertEqual(db_api.PG_OPTIONS + ' -c work_mem=8MB',
                         db_api._pg_options('postgresql+psycopg2://u@h/db'
                                            '?options=-c%20work_mem%3D8MB'))
        self.assertIn('random_page_cost=1.1', db_api.PG_OPTIONS)
