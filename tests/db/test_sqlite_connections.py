"""db/api.py: SQLite connections that bound large values are not reused
(pysqlite keeps the last values bound to its cached statements)."""

import unittest

import sqlalchemy as sa

from mistral_clone.db import api
from tests.db import sqlite_file


class LargeValuesTest(unittest.TestCase):

    def setUp(self):
        self.engine = sqlite_file.engine_with_table(self, 'a TEXT')

    def _write(self, value):
        """The DBAPI connection a transaction writing ``value`` used."""
        with self.engine.begin() as conn:
            conn.execute(sa.text('INSERT INTO t (a) VALUES (:a)'),
                         {'a': value})
            return conn.connection.dbapi_connection

    def test_small_values_keep_the_connection(self):
        first = self._write('x')
        self.assertIs(first, self._write('y' * 1000))
        self.assertIs(first, self._write('z'))

    def test_large_value_closes_the_connection_after_use(self):
        first = self._write('x')
        self.assertIs(first, self._write('y' * (api.LARGE_BOUND_VALUE + 1)))
        second = self._write('z')
        self.assertIsNot(first, second)
        self.assertIs(second, self._write('z'))
        with self.engine.connect() as conn:
            self.assertEqual(4, conn.execute(sa.text(
                'SELECT count(*) FROM t')).scalar())

    def test_large_value_in_executemany(self):
        first = self._write('x')
        with self.engine.begin() as conn:
            conn.execute(sa.text('INSERT INTO t (a) VALUES (:a)'),
                         [{'a': 'b'},
                          {'a': 'c' * (api.LARGE_BOUND_VALUE + 1)}])
        self.assertIsNot(first, self._write('z'))

    def test_insertmanyvalues_batch(self):
        # An ORM flush of several rows is one "INSERT ... VALUES (...),
        # (...)" whose parameters come as one flat tuple (ints included).
        table = sa.Table('m', sa.MetaData(),
                         sa.Column('id', sa.Integer, primary_key=True),
                         sa.Column('n', sa.Integer), sa.Column('a', sa.Text))
        table.create(self.engine)
        first = self._write('x')
        with self.engine.begin() as conn:
            conn.execute(table.insert().returning(table.c.id),
                         [{'n': 1, 'a': 'b'}, {'n': 2, 'a': 'c'}])
        self.assertIs(first, self._write('y'))
        with self.engine.begin() as conn:
            conn.execute(table.insert().returning(table.c.id),
                         [{'n': 3, 'a': 'b'},
                          {'n': 4, 'a': 'c' * (api.LARGE_BOUND_VALUE + 1)}])
        self.assertIsNot(first, self._write('z'))


class ReleaseFreedMemoryTest(unittest.TestCase):
    """A transaction that bound a large value ends with malloc_trim (the
    seam ``api._malloc_trim``), after the write lock is released; others
    do not call it."""

    def setUp(self):
        self.engine = sqlite_file.engine_with_table(self, 'a TEXT')
        self.calls = []
        orig = api._malloc_trim
        self.addCleanup(setattr, api, '_malloc_trim', orig)
        api._malloc_trim = lambda pad: self.calls.append(
            (pad, api.in_transaction()))
        api._trim_pending = False

    def _transaction(self, value):
        with api.transaction() as s:
            s.execute(sa.text('INSERT INTO t (a) VALUES (:a)'), {'a': value})

    def test_small_values_do_not_trim(self):
        self._transaction('x' * 1000)
        self.assertEqual([], self.calls)

    def test_large_value_trims_once_after_the_transaction(self):
        self._transaction('y' * (api.LARGE_BOUND_VALUE + 1))
        self.assertEqual([(0, False)], self.calls)
        self._transaction('z')
        self.assertEqual([(0, False)], self.calls)

    def test_without_glibc_nothing_is_called(self):
        api._malloc_trim = None
        self._transaction('y' * (api.LARGE_BOUND_VALUE + 1))
        self.assertFalse(api._trim_pending)
        self.assertFalse(api.release_freed_memory())

    def test_malloc_trim_is_found_on_glibc(self):
        trim = api._load_malloc_trim()
        if trim is None:
            self.skipTest('not glibc')
        self.assertIsInstance(trim(0), int)


class InMemoryDatabaseTest(unittest.TestCase):
    """An in-memory database's one connection is the database: a large
    value does not close it (its rows stayed lost), only trims."""

    def test_large_value_keeps_the_data(self):
        engine = api.setup('sqlite://')
        self.addCleanup(api.dispose)
        calls = []
        orig = api._malloc_trim
        self.addCleanup(setattr, api, '_malloc_trim', orig)
        api._malloc_trim = calls.append
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE t (id INTEGER PRIMARY KEY, '
                                 'a TEXT)')
        with api.transaction() as s:
            s.execute(sa.text('INSERT INTO t (a) VALUES (:a)'),
                      {'a': 'y' * (api.LARGE_BOUND_VALUE + 1)})
        self.assertEqual([0], calls)
        with engine.connect() as conn:
            self.assertEqual(1, conn.exec_driver_sql(
                'SELECT count(*) FROM t').scalar())


class WriteLockTest(unittest.TestCase):
    """A transaction that fails before it begins (the database disposed
    of meanwhile, as when a stopped engine's thread starts one) lets go
    of the SQLite write lock: no later transaction waits for it."""

    def setUp(self):
        api.setup('sqlite://')
        self.addCleanup(api.dispose)

    def test_lock_released_when_no_session_can_be_made(self):
        import threading
        from unittest import mock

        with mock.patch.object(api, '_sessionmaker',
                               side_effect=RuntimeError('disposed')):
            with self.assertRaises(RuntimeError):
                with api.transaction():
                    pass
        got = []
        t = threading.Thread(target=lambda: got.append(
            api._write_lock.acquire(timeout=10) and
            api._write_lock.release() is None))
        t.start()
        t.join()
        self.assertEqual([True], got)
        with api.transaction() as s:
            self.assertEqual(1, s.execute(sa.text('SELECT 1')).scalar())
