"""db/sqlite_bindings.py and its use in db/api.py: a statement that bound a
large value lets go of SQLite's copy once it ran, inside the transaction."""

import os
import sqlite3
import tempfile
import unittest

import sqlalchemy as sa

from mistral_clone.db import api
from mistral_clone.db import sqlite_bindings
from tests.db import sqlite_file

MB = 1 << 20


class ReleaseTest(unittest.TestCase):

    def setUp(self):
        if sqlite_bindings.memory_used() is None:
            self.skipTest('not supported by this Python')

    def _connection(self):
        # A file (an in-memory database's pages are the data) with a small
        # page cache.
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        conn = sqlite3.connect(os.path.join(tmp.name, 'db'),
                               isolation_level=None)
        self.addCleanup(conn.close)
        conn.execute('PRAGMA cache_size=16')
        conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)')
        return conn

    def test_cached_statements_keep_their_bound_values(self):
        # What the module is for: without it, each statement variant
        # holds a copy of the last value it bound.
        conn = self._connection()
        base = sqlite_bindings.memory_used()
        for n in range(3):
            conn.execute('INSERT INTO t (a) VALUES (?) -- %d' % n,
                         ('x' * (2 * MB),))
        self.assertGreater(sqlite_bindings.memory_used() - base, 5 * MB)
        self.assertGreaterEqual(sqlite_bindings.release(conn), 3)
        self.assertLess(sqlite_bindings.memory_used() - base, MB)

    def test_statements_run_again_after_a_release(self):
        conn = self._connection()
        for value in ('a', 'b'):
            conn.execute('INSERT INTO t (a) VALUES (?)', (value,))
            sqlite_bindings.release(conn)
        rows = conn.execute('SELECT a FROM t ORDER BY id').fetchall()
        self.assertEqual([('a',), ('b',)], rows)

    def test_a_busy_statement_keeps_its_values(self):
        conn = self._connection()
        conn.executemany('INSERT INTO t (a) VALUES (?)', [('a',), ('b',)])
        cursor = conn.execute('SELECT a FROM t WHERE a >= ? ORDER BY id',
                              ('a',))
        self.assertEqual(('a',), cursor.fetchone())
        sqlite_bindings.release(conn)
        self.assertEqual([('b',)], cursor.fetchall())

    def test_closed_or_foreign_connections(self):
        conn = self._connection()
        conn.close()
        self.assertIsNone(sqlite_bindings.release(conn))
        self.assertIsNone(sqlite_bindings.release(object()))


class InTransactionTest(unittest.TestCase):
    """db/api.py releases the values right after the statement that bound
    them, not at the end of the transaction."""

    def setUp(self):
        if sqlite_bindings.memory_used() is None:
            self.skipTest('not supported by this Python')
        self.engine = sqlite_file.engine_with_table(self, 'a TEXT, b TEXT')

    def test_several_statements_in_one_transaction(self):
        big = 'x' * (2 * MB)
        with api.transaction() as s:
            base = sqlite_bindings.memory_used()
            for n in range(3):
                s.execute(sa.text('INSERT INTO t (a, b) VALUES (:a, %d)' % n),
                          {'a': big})
            s.execute(sa.text('UPDATE t SET b = :b WHERE id = 1'),
                      {'b': big})
            self.assertLess(sqlite_bindings.memory_used() - base, 2 * MB)
            self.assertEqual(
                [(2 * MB, 2 * MB), (2 * MB, 1)],
                s.execute(sa.text('SELECT length(a), length(b) FROM t '
                                  'ORDER BY id LIMIT 2')).all())
