"""Pooled connections of a server database are pinged before use only
after sitting idle (db/api.py _ping_idle_connections): a ping per
transaction was two round trips more with psycopg2. Checked on SQLite
files, whose dialect pings the same way."""

import os
import shutil
import tempfile
import unittest
from unittest import mock

import sqlalchemy as sa

from mistral_clone.db import api as db_api


class PoolPingTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix='mistral_clone_test_')
        self.addCleanup(shutil.rmtree, tmp, True)
        self.engine = sa.create_engine(
            'sqlite:///%s' % os.path.join(tmp, 'pings.sqlite'),
            poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=0)
        self.addCleanup(self.engine.dispose)
        db_api._ping_idle_connections(self.engine)
        self.pings = []
        self.alive = True

        def ping(dbapi_conn):
            self.pings.append(dbapi_conn)
            return self.alive
        patcher = mock.patch.object(self.engine.dialect, 'do_ping', ping)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _use(self):
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
            return conn.connection.dbapi_connection

    def _age(self, seconds):
        """Make the pooled connection idle for ``seconds`` more."""
        record = self.engine.pool._pool.queue[0]
        record.info['idle_since'] -= seconds

    def test_a_connection_used_just_before_is_not_pinged(self):
        first = self._use()
        for _ in range(5):
            self.assertIs(first, self._use())
        self.assertEqual([], self.pings)

    def test_an_idle_connection_is_pinged_and_kept_when_alive(self):
        first = self._use()
        self._age(db_api.PING_AFTER_IDLE_SECONDS + 1)
        self.assertIs(first, self._use())
        self.assertEqual([first], self.pings)
        self.assertIs(first, self._use())  # just used: no ping
        self.assertEqual(1, len(self.pings))

    def test_a_dead_idle_connection_is_replaced(self):
        first = self._use()
        self._age(db_api.PING_AFTER_IDLE_SECONDS + 1)
        self.alive = False
        second = self._use()
        self.assertIsNot(first, second)
        self.assertEqual([first], self.pings)  # the new one is not pinged
