"""import-mistral from a Mistral database built from recorded rows (SQLite).

The source holds what Mistral 23.0.0 stored for: workflows in two
namespaces, a workbook, ad-hoc actions, environments, cron and event
triggers, a member, and executions that succeeded, failed, used with-items,
sub-workflows, joins and retries, were PAUSED (before a task, by the user,
a sub-workflow tree, a DELAYED task) or still RUNNING when Mistral was
stopped (an asynchronous action, a long synchronous action, a with-items
task half way).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import sqlalchemy as sa

from mistral_clone.db import models
from mistral_clone.db.mistral_import import history
from tests import base as server_base
from tests.db.mistral_import import base

COUNTS = {  # in the recorded source
    'workflows': 22, 'workbooks': 1, 'ad-hoc actions': 4,
    'environments': 2, 'cron triggers': 2, 'event triggers': 1,
    'resource members': 1, 'workflow executions': 26,
    'action executions run alone': 2}
COPIED = dict(COUNTS, **{'ad-hoc actions': 3,  # std.wait_ssh is built in
                         'task executions': 39, 'action executions': 40})


def ex_id(name):
    """Id of the root execution of ``name`` (the unfinished one, if
    any)."""
    rows = [r for r in base.source_rows('workflow_executions_v2')
            if r['workflow_name'] == name and not r['task_execution_id']]
    rows.sort(key=lambda r: r['state'] in history.TERMINAL)
    return rows[0]['id']


class ImportTestCase(base.AnswersMixin):

    source_kind = 'sqlite'

    def setUp(self):
        super().setUp()
        self.dbs = base.Databases()
        self.addCleanup(self.dbs.cleanup)
        self.source = getattr(self.dbs, self.source_kind)('mistral')
        base.build_source(self.source)
        self.target = self.dbs.sqlite('ours')

    def counts(self, report, what='copied'):
        return {label: getattr(t, what)
                for label, t in report.counts().items()}

    def check_import_and_answers(self):
        """Import (RUNNING ones PAUSED); our GETs answer as Mistral did."""
        report, text = base.run_import(self.source, self.target,
                                       running='pause')
        self.assertTrue(report.ok, text)
        self.assertEqual(COPIED, self.counts(report))
        api = base.ApiOnly(self.target)
        try:
            self.assertGreater(self.assert_answers_match(api), 200)
        finally:
            api.stop()

    def check_source_is_read_only(self, error, message):
        """The source session refuses writes (``error`` saying
        ``message``)."""
        from mistral_clone.db.mistral_import import source
        src = source.Source(self.source)
        try:
            with self.assertRaises(error) as e:
                src.conn.execute(sa.text('DELETE FROM workbooks_v2'))
            self.assertIn(message, str(e.exception))
        finally:
            src.close()
        self.assertEqual(1, base.table_rows(self.source, 'workbooks_v2'))


class TestImport(ImportTestCase):

    def test_dry_run_counts_and_writes_nothing(self):
        report, text = base.run_import(self.source, self.target,
                                       dry_run=True)
        self.assertEqual(COPIED, self.counts(report))
        self.assertEqual(COUNTS, {k: v for k, v in self.counts(
            report, 'source').items() if k in COUNTS})
        # Executions still running in Mistral block a real run.
        self.assertIn('3 execution(s) are not finished in Mistral '
                      '(3 RUNNING)', text)
        self.assertIn('Skipped 1 ad-hoc actions (built in here): '
                      'std.wait_ssh', text)
        self.assertIsNone(base.table_rows(self.target, 'workflow_executions'))

    def test_refuses_running_executions_and_writes_nothing(self):
        p = db_manage(self.target, 'import-mistral', self.source,
                      '--no-progress')
        self.assertEqual(2, p.returncode, p.stdout + p.stderr)
        self.assertIn('3 execution(s) are not finished in Mistral',
                      p.stderr)
        self.assertIn('--running pause', p.stderr)
        self.assertIsNone(base.table_rows(self.target, 'workflow_executions'))
        p = db_manage(self.target, 'import-mistral', self.source,
                      '--no-progress', '--running', 'pause')
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        self.assertIn('workflow executions', p.stdout)
        self.assertEqual(26, base.table_rows(self.target,
                                             'workflow_executions'))

    def test_import_then_again_copies_nothing(self):
        report, _ = base.run_import(self.source, self.target,
                                    running='pause')
        self.assertTrue(report.ok)
        self.assertEqual(COPIED, self.counts(report))
        self.assertEqual(26, base.table_rows(self.target,
                                             'workflow_executions'))
        again, text = base.run_import(self.source, self.target)
        self.assertTrue(again.ok, text)
        self.assertEqual({k: 0 for k in COUNTS}, self.counts(again))
        self.assertEqual(COUNTS, {k: v for k, v in self.counts(
            again, 'same').items() if k != 'ad-hoc actions'} | {
                'ad-hoc actions': 4})
        self.assertEqual(26, base.table_rows(self.target,
                                             'workflow_executions'))

    def test_differing_rows_here_are_kept_and_reported(self):
        base.run_import(self.source, self.target, running='pause')
        engine = sa.create_engine(self.target)
        env = models.Environment.__table__
        wf = models.WorkflowDefinition.__table__
        with engine.begin() as conn:
            conn.execute(env.update().where(env.c.name == 'env1').values(
                description='changed here'))
            conn.execute(wf.delete().where(wf.c.name == 'joins'))
            conn.execute(wf.insert().values(
                id='5e3c0a1e-0000-4000-8000-000000000001', name='joins',
                namespace='', definition='mine', scope='private',
                project_id='<default-project>', created_at=models.utcnow()))
        engine.dispose()
        report, text = base.run_import(self.source, self.target)
        self.assertFalse(report.ok)
        self.assertEqual(1, report.counts()['environments'].conflicts)
        self.assertEqual(1, report.counts()['workflows'].conflicts)
        self.assertIn('environment env1 (id ', text)
        self.assertIn('differs here in description, updated_at; ours is '
                      'kept', text)
        self.assertIn('the name is taken here by id '
                      '5e3c0a1e-0000-4000-8000-000000000001', text)
        engine = sa.create_engine(self.target)
        with engine.connect() as conn:
            self.assertEqual('changed here', conn.execute(
                sa.select(env.c.description).where(env.c.name == 'env1')
            ).scalar())
            self.assertEqual(['mine'], [r[0] for r in conn.execute(
                sa.select(wf.c.definition).where(wf.c.name == 'joins'))])
        engine.dispose()

    def test_the_source_is_only_read(self):
        path = self.source[len('sqlite:///'):]
        before = _digest(path)
        base.run_import(self.source, self.target, running='pause')
        self.assertEqual(before, _digest(path))
        self.check_source_is_read_only(sa.exc.OperationalError, 'readonly')

    def test_not_a_mistral_database(self):
        other = self.dbs.sqlite('empty')
        sqlite3.connect(other[len('sqlite:///'):]).execute(
            'CREATE TABLE t (a)')
        with self.assertRaises(base.runner.Refused) as e:
            base.run_import(other, self.target)
        self.assertIn('not a Mistral database', str(e.exception))
        with self.assertRaises(base.runner.Refused):
            base.run_import(self.source, self.source)
        missing = 'sqlite:///%s' % os.path.join(self.dbs.tmp, 'no', 'x.db')
        with self.assertRaises(base.runner.Refused) as e:
            base.run_import(missing, self.target)
        self.assertIn('Cannot open the source database', str(e.exception))
        with self.assertRaises(base.runner.Refused) as e:
            base.run_import('not a url', self.target)
        self.assertIn('Not a database URL', str(e.exception))

    def test_running_executions_imported_as_failed(self):
        report, _ = base.run_import(self.source, self.target,
                                    running='fail')
        self.assertTrue(report.ok)
        api = base.ApiOnly(self.target)
        self.addCleanup(api.stop)
        _, ex = api.get('/executions/%s' % ex_id('long_sync'))
        self.assertEqual('ERROR', ex['state'])
        info = history.FAILED_INFO % 'RUNNING'
        self.assertEqual(info, ex['state_info'])
        _, tasks = api.get('/executions/%s/tasks' % ex['id'])
        self.assertEqual([('long', 'ERROR', info)], [
            (t['name'], t['state'], t['state_info'])
            for t in tasks['tasks']])

    def test_api_answers_as_mistral_did(self):
        self.check_import_and_answers()


def _digest(path):
    import hashlib
    with open(path, 'rb') as f:
        return hashlib.md5(f.read()).hexdigest(), os.path.getsize(path)


def db_manage(target_url, *args):
    """``mistral-clone-db-manage`` with our database at ``target_url``."""
    conf_file = os.path.join(os.path.dirname(
        target_url[len('sqlite:///'):]), 'ours.conf')
    with open(conf_file, 'w') as f:
        f.write('[database]\nconnection = %s\n' % target_url)
    return subprocess.run(
        [sys.executable, '-m', 'mistral_clone.cmd.db_manage',
         '--config-file', conf_file] + list(args),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=300)


class TestResumeHere(ImportTestCase):
    """After the import our engine carries on where Mistral stopped."""

    def setUp(self):
        super().setUp()
        base.run_import(self.source, self.target, running='pause')
        tmp = os.path.join(self.dbs.tmp, 'server')
        os.mkdir(tmp)
        shutil.copy(self.target[len('sqlite:///'):],
                    os.path.join(tmp, 'test.sqlite'))
        self.server = server_base.EmbeddedServer(tmp=tmp)
        self.addCleanup(self.server.stop)

    def resume(self, name):
        r = self.server.put('/executions/%s' % ex_id(name),
                            {'state': 'RUNNING'})
        self.assertEqual(200, r.status_code, r.text)
        return self.server.wait(ex_id(name), timeout=60)

    def test_paused_executions_run_to_completion(self):
        ex = self.resume('pause_before')
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual({'s1': 7, 's2': '7 then 2'}, json.loads(
            ex['output']))
        # Paused by the user: the action finished meanwhile.
        self.assertEqual({'woke': 'woke'}, json.loads(
            self.resume('sleeper')['output']))
        # A parent and its paused sub-workflow.
        ex = self.resume('tree')
        self.assertEqual(({'from_child': 'child done',
                           'last': 'child done!'}), json.loads(ex['output']))
        # A task waiting (wait-before) when Mistral stopped: the wait
        # starts again here... and is over at once for the job we made.
        self.assertEqual({'later': 'later'}, json.loads(
            self.resume('delayed')['output']))

    def test_running_ones_resume_with_mistral_verdicts(self):
        # The asynchronous action still waits for its result.
        r = self.server.put('/executions/%s' % ex_id('async_wait'),
                            {'state': 'RUNNING'})
        self.assertEqual(200, r.status_code, r.text)
        task = self.server.tasks(ex_id('async_wait'))[0]
        actions = self.server.http.get(
            self.server.url + '/tasks/%s/action_executions' % task['id']
        ).json()['action_executions']
        r = self.server.put('/action_executions/%s' % actions[0]['id'],
                            {'state': 'SUCCESS', 'output': {'done': 1}})
        self.assertEqual(200, r.status_code, r.text)
        ex = self.server.wait(ex_id('async_wait'))
        self.assertEqual(('SUCCESS', {'got': {'done': 1}}),
                         (ex['state'], json.loads(ex['output'])))
        # A synchronous action lost with Mistral's executor fails as
        # Mistral fails it; the remaining with-items items run here.
        ex = self.resume('slow_items')
        self.assertEqual('ERROR', ex['state'])
        task = self.server.tasks(ex['id'])[0]
        self.assertEqual([None, None, None, "Heartbeat wasn't received.",
                          None, None], json.loads(self.server.http.get(
                              self.server.url + '/tasks/%s' % task['id'])
                              .json()['result']))
        ex = self.resume('long_sync')
        self.assertIn("long [task_ex_id=", ex['state_info'])
        self.assertIn("Heartbeat wasn't received.", ex['state_info'])

    def test_imported_definitions_run_here(self):
        ex = self.server.start('hello', workflow_namespace='ns2')
        self.assertEqual({'r': 'ns2-ns2'}, self.server.output(
            self.server.wait(ex['id'])['id']))
        ex = self.server.wait(self.server.start('book.main')['id'])
        self.assertEqual('SUCCESS', ex['state'])
        ex = self.server.start('with_env', params={'env': 'env1'})
        self.assertEqual({'from_env': 'hi from env'},
                         self.server.output(self.server.wait(ex['id'])['id']))
        # Workflow vars stay out of published_global (here as there).
        ex = self.server.wait(self.server.start(
            'hello', wf_input={'name': 'here'})['id'])
        self.assertEqual('{}', ex['published_global'])
