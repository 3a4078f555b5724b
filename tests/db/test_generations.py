"""The generation counter of workflow lists (alembic revision 003,
db/generations.py): every write of a workflow definition or of a
membership bumps it in its own transaction, whatever writes it (the ORM,
SQLAlchemy Core, plain SQL on a connection of its own), on SQLite and, when
it is available, on PostgreSQL; a database without the counter's row is
never cached."""

import datetime
import os
import shutil
import tempfile
import unittest
import unittest.mock
import uuid

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import generations
from mistral_clone.db import migration
from mistral_clone.db import models
from mistral_clone.db import wal_watch
from tests.integration import scheduler_fixtures as fx

WF = models.WorkflowDefinition
NAME = generations.WORKFLOW_DEFINITIONS


class _WritePaths(object):
    """The tests, for a database at head in ``self.url``."""

    def read(self):
        value = generations.read(NAME)
        self.assertIsNotNone(value)
        return value

    def assertBumped(self, write):
        before = self.read()
        write()
        self.assertGreater(self.read(), before)

    def _row(self, **kw):
        values = dict(id=str(uuid.uuid4()), name='wf_' + uuid.uuid4().hex,
                      namespace='', definition='x', scope='private',
                      project_id='p', created_at=datetime.datetime.now())
        values.update(kw)
        return values

    def test_orm_insert_update_delete(self):
        row = self._row()

        def insert():
            with db_api.transaction() as s:
                s.add(WF(**row))
        self.assertBumped(insert)

        def update():
            with db_api.transaction() as s:
                s.get(WF, row['id']).definition = 'y'
        self.assertBumped(update)

        def delete():
            with db_api.transaction() as s:
                s.delete(s.get(WF, row['id']))
        self.assertBumped(delete)

    def test_core_statements(self):
        rows = [self._row(), self._row()]
        ids = [r['id'] for r in rows]

        def insert():
            with db_api.transaction() as s:
                s.execute(sa.insert(WF), rows)
        self.assertBumped(insert)

        def update():
            with db_api.transaction() as s:
                s.execute(sa.update(WF).where(WF.id.in_(ids))
                          .values(scope='public'))
        self.assertBumped(update)

        def delete():
            with db_api.transaction() as s:
                s.execute(sa.delete(WF).where(WF.id.in_(ids)))
        self.assertBumped(delete)

    def test_plain_sql_on_a_connection_of_its_own(self):
        # Another process or host: a connection outside our pool.
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        row = self._row()
        try:
            def insert():
                with engine.begin() as c:
                    c.execute(sa.text(
                        'INSERT INTO workflow_definitions (id, name, '
                        'namespace, definition, scope, project_id, '
                        'created_at) VALUES (:id, :name, :namespace, '
                        ':definition, :scope, :project_id, :created_at)'),
                        row)
            self.assertBumped(insert)

            def update():
                with engine.begin() as c:
                    c.execute(sa.text("UPDATE workflow_definitions SET "
                                      "name = 'renamed' WHERE id = :id"),
                              {'id': row['id']})
            self.assertBumped(update)

            def delete():
                with engine.begin() as c:
                    c.execute(sa.text('DELETE FROM workflow_definitions '
                                      'WHERE id = :id'), {'id': row['id']})
            self.assertBumped(delete)

            # A write rolled back bumps nothing.
            before = self.read()
            with engine.connect() as c:
                with c.begin() as t:
                    c.execute(sa.text('DELETE FROM workflow_definitions'))
                    t.rollback()
            self.assertEqual(before, self.read())
        finally:
            engine.dispose()

    def test_memberships(self):
        member = dict(id=str(uuid.uuid4()), resource_id=str(uuid.uuid4()),
                      resource_type='workflow', project_id='p',
                      member_id='q', status='pending',
                      created_at=datetime.datetime.now())

        def insert():
            with db_api.transaction() as s:
                s.add(models.ResourceMember(**member))
        self.assertBumped(insert)

        def accept():
            with db_api.transaction() as s:
                s.get(models.ResourceMember,
                      member['id']).status = 'accepted'
        self.assertBumped(accept)

        def delete():
            with db_api.transaction() as s:
                s.execute(sa.delete(models.ResourceMember).where(
                    models.ResourceMember.id == member['id']))
        self.assertBumped(delete)

    def test_no_counter_inside_a_transaction(self):
        with db_api.transaction():
            self.assertIsNone(generations.read(NAME))
        self.assertIsNone(generations.read('no such counter'))

    def test_other_writes_leave_it(self):
        before = self.read()
        with db_api.transaction() as s:
            s.add(models.Environment(name='env_' + uuid.uuid4().hex,
                                     project_id='p', scope='private',
                                     created_at=datetime.datetime.now()))
        self.assertEqual(before, self.read())


class SqliteGenerationsTest(_WritePaths, unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_generations_')
        self.url = 'sqlite:///%s' % os.path.join(self.tmp, 'db.sqlite')
        db_api.setup(self.url, create_tables=True)

    def tearDown(self):
        db_api.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_downgrade_and_upgrade_again(self):
        db_api.dispose()
        migration.downgrade('002', self.url)
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as c:
                self.assertEqual([], c.execute(sa.text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "OR name = 'generations'")).all())
        finally:
            engine.dispose()
        db_api.setup(self.url, create_tables=True)
        self.test_orm_insert_update_delete()


class ModelsOnlyTest(unittest.TestCase):
    """Tables made from the models (no migration): no counter row, so
    nothing is cached."""

    def test_no_row_no_counter(self):
        db_api.setup('sqlite://')
        try:
            db_api.create_all_for_tests()
            self.assertIsNone(generations.read(NAME))
        finally:
            db_api.dispose()


class PostgresGenerationsTest(_WritePaths, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not fx.pg_available():
            raise unittest.SkipTest('PostgreSQL is not available')
        cls.db = fx.PostgresDatabase(prefix='mc_generations').create()
        cls.url = cls.db.url

    @classmethod
    def tearDownClass(cls):
        db_api.dispose()
        cls.db.drop()

    def setUp(self):
        db_api.setup(self.url)

    def tearDown(self):
        db_api.dispose()


class MysqlNoCounterTest(unittest.TestCase):
    """MySQL/MariaDB: no triggers, no counter row, so lists are never
    cached there; the revision upgrades and downgrades."""

    def test_no_counter(self):
        from tests.integration import production_env as pe
        if pe.unavailable_reason('mysql'):
            raise unittest.SkipTest('MariaDB is not available')
        name = 'mc_generations_%s' % uuid.uuid4().hex[:10]
        url = pe.create_database('mysql', name)
        try:
            db_api.setup(url, create_tables=True)
            with db_api.transaction() as s:
                s.add(WF(id=str(uuid.uuid4()), name='wf', namespace='',
                         scope='private', project_id='p',
                         created_at=datetime.datetime.now()))
            self.assertIsNone(generations.read(NAME))
            db_api.dispose()
            migration.downgrade('002', url)
        finally:
            db_api.dispose()
            pe.drop_database('mysql', name)


class ReaderConnectionsTest(unittest.TestCase):
    """The counter is read on connections of its own, kept between reads
    (prepared once on PostgreSQL) and closed with the engine's pool."""

    def _check(self, url, prepared):
        db_api.setup(url, create_tables=True)
        try:
            first = generations.read(NAME)
            self.assertIsNotNone(first)
            self.assertEqual(first, generations.read(NAME))
            idle = list(generations._readers._idle)
            self.assertEqual(1, len(idle))
            self.assertEqual(prepared, idle[0][1])
            # A write through the pool is seen by the kept connection.
            with db_api.transaction() as s:
                s.add(WF(id=str(uuid.uuid4()), name='wf', namespace='',
                         definition='x', scope='private', project_id='p',
                         created_at=datetime.datetime.now()))
            self.assertGreater(generations.read(NAME), first)
            self.assertEqual(idle, generations._readers._idle)
        finally:
            db_api.dispose()
        self.assertEqual([], generations._readers._idle)

    def test_sqlite(self):
        tmp = tempfile.mkdtemp(prefix='mc_generations_')
        try:
            self._check('sqlite:///%s' % os.path.join(tmp, 'db.sqlite'),
                        False)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_postgresql(self):
        if not fx.pg_available():
            raise unittest.SkipTest('PostgreSQL is not available')
        db = fx.PostgresDatabase(prefix='mc_generations').create()
        try:
            self._check(db.url, True)
        finally:
            db.drop()

    def test_in_memory_sqlite_reads_through_its_pool(self):
        db_api.setup('sqlite://')
        try:
            generations.read(NAME)
            self.assertEqual([], generations._readers._idle)
        finally:
            db_api.dispose()


class WalWatchTest(unittest.TestCase):
    """On a SQLite file database the counter is read again only after a
    transaction committed, whoever committed it (db/wal_watch.py)."""

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix='mc_generations_')
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        self.path = os.path.join(tmp, 'db.sqlite')
        db_api.setup('sqlite:///%s' % self.path, create_tables=True)
        self.addCleanup(db_api.dispose)
        self.selects = []
        real = generations._readers.read

        def counted(*args):
            self.selects.append(args)
            return real(*args)
        patcher = unittest.mock.patch.object(generations._readers, 'read',
                                             counted)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_read_again_only_after_a_commit(self):
        first = generations.read(NAME)
        self.assertIsNotNone(generations._readers.watch(db_api.get_engine()))
        for _ in range(3):
            self.assertEqual(first, generations.read(NAME))
        self.assertEqual(1, len(self.selects))
        # Another process's write (here: a plain sqlite3 connection).
        import sqlite3
        conn = sqlite3.connect(self.path)
        try:
            with conn:
                conn.execute(
                    "INSERT INTO workflow_definitions (id, name, namespace, "
                    "definition, scope, project_id, created_at) VALUES "
                    "('x', 'wf_x', '', 'x', 'private', 'p', "
                    "'2026-01-01 00:00:00')")
        finally:
            conn.close()
        second = generations.read(NAME)
        self.assertGreater(second, first)
        self.assertEqual(2, len(self.selects))
        # A write of another table commits too: read again, same value.
        with db_api.transaction() as s:
            s.execute(sa.text('CREATE TABLE scratch (x)'))
        self.assertEqual(second, generations.read(NAME))
        self.assertEqual(second, generations.read(NAME))
        self.assertEqual(3, len(self.selects))

    def test_closed_with_the_pool(self):
        generations.read(NAME)
        watch = generations._readers.watch(db_api.get_engine())
        db_api.dispose()
        self.assertIsNone(watch.state())
        self.assertIsNone(generations._readers._watch)

    def test_not_in_wal_mode(self):
        import sqlite3
        path = self.path + '.rollback'
        conn = sqlite3.connect(path)
        conn.execute('CREATE TABLE t (x)')
        conn.close()
        self.assertIsNone(wal_watch.open_watch(path))
