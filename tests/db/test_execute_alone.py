"""``db_api.execute_alone``: one statement committed as it runs. An
executor's claim of the actions it receives is such a statement; on
PostgreSQL it is one round trip (autocommit: no BEGIN, no COMMIT). Runs
against the PostgreSQL the production tests use (skipped without it)."""

import unittest

import sqlalchemy as sa
from sqlalchemy import event

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.executor.service import Executor
from tests.integration import scheduler_fixtures as fx
from tests.integration.test_production_recovery import _action


class ExecuteAloneTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not fx.pg_available():
            raise unittest.SkipTest('PostgreSQL is not available')
        cls.db = fx.PostgresDatabase(prefix='mc_alone').create()

    @classmethod
    def tearDownClass(cls):
        db_api.dispose()
        cls.db.drop()

    def setUp(self):
        db_api.setup(self.db.url)

    def _statements(self):
        """Statements and commits on the execute_alone connections."""
        seen = []
        engine = db_api._get_alone_engine()

        def note(conn, cursor, statement, *args):
            seen.append(statement.split()[0])
        event.listen(engine, 'before_cursor_execute', note)
        event.listen(engine, 'commit', lambda conn: seen.append('COMMIT'))
        self.addCleanup(event.remove, engine, 'before_cursor_execute', note)
        return seen

    def test_a_claim_is_one_statement_in_autocommit(self):
        a, b = _action(), _action()
        taken = _action(executor_host='exec-2')
        executor = Executor(None, host='exec-1', track_actions=True)
        seen = self._statements()
        checkouts = self._checkouts()
        self.assertEqual({a, b}, executor._claim_many([a, b, taken]))
        # Run by the driver on a connection of the autocommit engine:
        # SQLAlchemy runs no statement of its own around it.
        self.assertEqual([], seen)
        self.assertEqual(['alone'], checkouts)
        self.assertFalse(executor._claim(a))  # claimed already
        with db_api.session() as s:
            rows = {i: s.get(models.ActionExecution, i) for i in (a, b, taken)}
            hosts = {i: r.executor_host for i, r in rows.items()}
            stamped = [(r.last_heartbeat is not None, r.updated_at is not None)
                       for r in (rows[a], rows[b])]
        self.assertEqual({a: 'exec-1', b: 'exec-1', taken: 'exec-2'}, hosts)
        self.assertEqual([(True, True)] * 2, stamped)
        with db_api._get_alone_engine().connect() as c:
            self.assertTrue(c.connection.dbapi_connection.autocommit)

    def _checkouts(self):
        seen = []
        for name, engine in (('main', db_api.get_engine()),
                             ('alone', db_api._get_alone_engine())):
            def note(*args, name=name):
                seen.append(name)
            event.listen(engine.pool, 'checkout', note)
            self.addCleanup(event.remove, engine.pool, 'checkout', note)
        return seen

    def test_a_failed_claim_drops_its_connection(self):
        a = _action()
        executor = Executor(None, host='x' * 300, track_actions=True)
        # Longer than the column: the driver's error as SQLAlchemy wraps
        # it (the path through SQLAlchemy raised the same).
        with self.assertRaises(sa.exc.DBAPIError):
            executor._claim(a)
        checkouts = self._checkouts()
        self.assertTrue(Executor(None, host='exec-1',
                                 track_actions=True)._claim(a))
        self.assertEqual(['alone'], checkouts)
        with db_api.session() as s:
            self.assertEqual('exec-1', s.get(models.ActionExecution,
                                             a).executor_host)

    def test_claims_of_many_ids(self):
        ids = [_action() for _ in range(40)]
        executor = Executor(None, host='exec-1', track_actions=True)
        self.assertEqual(set(ids[:3]), executor._claim_many(ids[:3]))
        # More than a statement by the driver names: through SQLAlchemy.
        self.assertEqual(set(ids[3:]), executor._claim_many(ids))

    def test_it_joins_an_open_transaction(self):
        a = _action()
        executor = Executor(None, host='exec-1', track_actions=True)
        with db_api.transaction() as s:
            self.assertEqual({a}, executor._claim_many([a]))
            s.rollback()
        with db_api.session() as s:
            self.assertIsNone(s.get(models.ActionExecution, a).executor_host)


if __name__ == '__main__':
    unittest.main()
