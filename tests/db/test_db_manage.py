"""The database schema commands (issue 10, item 7): what each does and
says, and the refusal to touch a database that is not ours — through the
migration functions (fast) and through the real commands."""

import io
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import sqlalchemy as sa

from mistral_clone import version
from mistral_clone.db import migration
from mistral_clone.db import models
from tests import paths


def _mistral_like(path):
    with sqlite3.connect(path) as c:
        c.execute('CREATE TABLE alembic_version (version_num VARCHAR(32) '
                  'NOT NULL)')
        c.execute("INSERT INTO alembic_version VALUES ('043')")
        c.execute('CREATE TABLE workflow_executions_v2 (id TEXT)')


class MigrationTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_mig_')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.url = 'sqlite:///%s' % os.path.join(self.tmp, 'db.sqlite')
        self.head = migration.head_revision(self.url)

    def tables(self, url=None):
        engine = sa.create_engine(url or self.url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def test_scripts_are_ours(self):
        location = migration.script_location()
        self.assertTrue(os.path.isfile(os.path.join(location, 'env.py')))
        self.assertIn(self.head, migration.known_revisions(self.url))

    def test_upgrade_downgrade_stamp_history(self):
        self.assertEqual((None, self.head),
                         migration.upgrade('head', self.url))
        self.assertIn('workflow_executions', self.tables())
        self.assertEqual((self.head, self.head),
                         migration.upgrade('head', self.url))
        history = migration.history(self.url)
        self.assertIn(' -> %s (head)' % self.head, history)
        self.assertIn('<base> -> 001', history)
        self.assertEqual((self.head, None),
                         migration.downgrade('base', self.url))
        self.assertEqual({'alembic_version'}, self.tables())
        # Our tables without a version: upgrade refuses, stamp records it.
        engine = sa.create_engine(self.url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
        with self.assertRaises(migration.ForeignDatabase) as cm:
            migration.upgrade('head', self.url)
        self.assertIn('stamp head', str(cm.exception))
        self.assertEqual((None, self.head),
                         migration.stamp('head', self.url))
        self.assertEqual(self.head, migration.current_revision(self.url))

    def test_sql_mode_writes_sql_and_touches_nothing(self):
        out = io.StringIO()
        migration.upgrade('base:head', self.url, sql=True, stdout=out)
        self.assertIn('CREATE TABLE workflow_executions', out.getvalue())
        self.assertEqual(set(), self.tables())

    def test_foreign_databases_are_refused_untouched(self):
        path = os.path.join(self.tmp, 'mistral.sqlite')
        _mistral_like(path)
        url = 'sqlite:///%s' % path
        with open(path, 'rb') as f:
            before = f.read()
        for call in (lambda: migration.upgrade('head', url),
                     lambda: migration.stamp('head', url),
                     lambda: migration.downgrade('base', url)):
            with self.assertRaises(migration.ForeignDatabase) as cm:
                call()
            text = str(cm.exception)
            self.assertIn("(alembic revision '043') is not a mistral_clone "
                          "revision", text)
            self.assertIn('OpenStack Mistral database', text)
            self.assertIn('Nothing was changed', text)
            self.assertIn('mistral-clone-db-manage import-mistral', text)
        with open(path, 'rb') as f:
            self.assertEqual(before, f.read())
        other = 'sqlite:///%s' % os.path.join(self.tmp, 'other.sqlite')
        engine = sa.create_engine(other)
        with engine.begin() as c:
            c.execute(sa.text('CREATE TABLE invoices (id INTEGER)'))
        engine.dispose()
        with self.assertRaises(migration.ForeignDatabase) as cm:
            migration.upgrade('head', other)
        self.assertIn('tables mistral_clone does not know (invoices)',
                      str(cm.exception))
        self.assertEqual({'invoices'}, self.tables(other))


class CommandsTest(unittest.TestCase):
    """The installed commands: arguments, messages, exit codes."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_dbm_')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def _conf(self, db):
        path = os.path.join(self.tmp, os.path.basename(db) + '.conf')
        with open(path, 'w') as f:
            f.write('[database]\nconnection = sqlite:///%s\n' % db)
        return path

    def run_command(self, command, *args, rc=0):
        p = subprocess.run([paths.command(command)] + list(args),
                           cwd=self.tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=120)
        self.assertEqual(rc, p.returncode, p.stdout + p.stderr)
        self.assertNotIn('Traceback', p.stdout + p.stderr)
        return p.stdout, p.stderr

    def test_commands(self):
        out, _ = self.run_command('mistral-clone-db-manage', '--version')
        self.assertEqual(version.VERSION, out.strip())
        conf = self._conf(os.path.join(self.tmp, 'db.sqlite'))
        out, _ = self.run_command('mistral-clone-db-manage', '--config-file',
                                  conf, 'upgrade', 'head')
        self.assertRegex(out, r'db\.sqlite: upgraded from an empty schema '
                              r'to \w+\.')
        out, _ = self.run_command('mistral-clone-db-manage', '--config-file',
                                  conf, 'history')
        self.assertIn('(head)', out)
        path = os.path.join(self.tmp, 'mistral.sqlite')
        _mistral_like(path)
        _, err = self.run_command('mistral-clone-db-manage', '--config-file',
                                  self._conf(path), 'upgrade', 'head', rc=2)
        self.assertIn('Refusing to change', err)
        # The embedded server (which migrates its SQLite file) too.
        out, err = self.run_command('mistral-clone-server', '--config-file',
                                    self._conf(path), rc=2)
        self.assertIn('Refusing to change', out + err)
