"""db/workflows.py: the lookups through statements built once find what
the statements built per call found (own, public and accepted shared
definitions; not another project's private one, nor one shared but not
accepted), by id and by name, for sub-workflows too."""

import os
import shutil
import tempfile
import unittest

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.db import workflows


def _definition(name, project, scope='private', namespace=''):
    return models.WorkflowDefinition(
        id=models.new_id(), name=name, namespace=namespace,
        definition='---\nversion: "2.0"\n%s:\n  tasks: {}\n' % name,
        tags=[], scope=scope, project_id=project,
        created_at=models.utcnow())


class WorkflowLookupTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_lookup_')
        db_api.setup('sqlite:///%s' % os.path.join(self.tmp, 'db.sqlite'),
                     create_tables=True)
        self.rows = {}
        with db_api.transaction() as s:
            for key, name, project, scope, ns in (
                    ('own', 'wf_own', 'p1', 'private', ''),
                    ('own_ns', 'wf_own', 'p1', 'private', 'ns1'),
                    ('public', 'wf_public', 'p2', 'public', ''),
                    ('shared', 'wf_shared', 'p2', 'private', ''),
                    ('pending', 'wf_pending', 'p2', 'private', ''),
                    ('other', 'wf_other', 'p2', 'private', '')):
                row = _definition(name, project, scope, ns)
                s.add(row)
                self.rows[key] = row.id
            for key, status in (('shared', 'accepted'),
                                ('pending', 'pending')):
                s.add(models.ResourceMember(
                    id=models.new_id(), resource_id=self.rows[key],
                    resource_type='workflow', project_id='p2',
                    member_id='p1', status=status,
                    created_at=models.utcnow()))

    def tearDown(self):
        db_api.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _find(self, identifier, namespace='', project='p1'):
        with db_api.session() as s:
            try:
                return workflows.find_workflow(s, identifier, namespace,
                                               project).id
            except exc.DBEntityNotFoundError:
                return None

    def test_by_name(self):
        self.assertEqual(self.rows['own'], self._find('wf_own'))
        self.assertEqual(self.rows['own_ns'], self._find('wf_own', 'ns1'))
        self.assertEqual(self.rows['public'], self._find('wf_public'))
        self.assertEqual(self.rows['shared'], self._find('wf_shared'))
        self.assertIsNone(self._find('wf_pending'))
        self.assertIsNone(self._find('wf_other'))
        self.assertIsNone(self._find('wf_own', 'ns2'))
        self.assertIsNone(self._find('wf_own', project='p3'))
        self.assertEqual(self.rows['other'],
                         self._find('wf_other', project='p2'))

    def test_by_id(self):
        for key in ('own', 'own_ns', 'public', 'shared'):
            # An id finds its definition whatever the namespace asked.
            self.assertEqual(self.rows[key], self._find(self.rows[key]))
        for key in ('pending', 'other'):
            self.assertIsNone(self._find(self.rows[key]))

    def test_no_project(self):
        # None is "IS NULL" in the statements built per call: no row.
        self.assertIsNone(self._find('wf_own', project=None))
        self.assertEqual(self.rows['public'],
                         self._find('wf_public', project=None))

    def test_subworkflow(self):
        with db_api.session() as s:
            found = workflows.find_subworkflow(s, 'wf_own', 'ns1', 'parent',
                                               'p1')
            self.assertEqual(self.rows['own_ns'], found.id)
            found = workflows.find_subworkflow(s, 'wf_own', 'ns2', 'parent',
                                               'p1')
            self.assertEqual(self.rows['own'], found.id)
            self.assertIsNone(workflows.find_subworkflow(
                s, 'wf_pending', '', 'parent', 'p1'))
            self.assertEqual(self.rows['shared'], workflows.find_subworkflow(
                s, 'wf_shared', '', 'parent', 'p1').id)

    def _for_start(self, identifier, execution_id=None, namespace='',
                   project='p1'):
        with db_api.session() as s:
            try:
                row, existing = workflows.find_for_start(
                    s, identifier, namespace, project, execution_id)
            except exc.DBEntityNotFoundError:
                return None
            return (row.id if row is not None else None), existing

    def test_for_start_finds_what_find_workflow_finds(self):
        for identifier, ns, project in (
                ('wf_own', '', 'p1'), ('wf_own', 'ns1', 'p1'),
                ('wf_public', '', 'p1'), ('wf_shared', '', 'p1'),
                ('wf_pending', '', 'p1'), ('wf_other', '', 'p1'),
                ('wf_own', 'ns2', 'p1'), ('wf_own', '', 'p3'),
                ('wf_other', '', 'p2'), ('wf_own', '', None),
                ('wf_public', '', None)) + tuple(
                    (self.rows[k], '', 'p1') for k in self.rows):
            expected = self._find(identifier, ns, project)
            found = self._for_start(identifier, models.new_id(), ns, project)
            self.assertEqual(
                None if expected is None else (expected, False), found,
                (identifier, ns, project))
        with db_api.session() as s:
            row, _ = workflows.find_for_start(s, 'wf_own', '', 'p1')
            self.assertEqual(('wf_own', '', []),
                             (row.name, row.namespace, row.tags))
            self.assertIn('wf_own:', row.definition)

    def test_for_start_of_a_stored_execution(self):
        ex_id = models.new_id()
        with db_api.transaction() as s:
            s.add(models.WorkflowExecution(
                id=ex_id, workflow_name='wf_own', state='RUNNING',
                project_id='p1', created_at=models.utcnow()))
        self.assertEqual((self.rows['own'], True),
                         self._for_start('wf_own', ex_id))
        # Repeated after its definition went (or by a project that cannot
        # see it): the execution is still the answer, not a 404.
        self.assertEqual((None, True), self._for_start('wf_gone', ex_id))
        self.assertEqual((None, True),
                         self._for_start('wf_own', ex_id, project=None))
        self.assertIsNone(self._for_start('wf_gone', models.new_id()))
        self.assertIsNone(self._for_start('wf_gone'))
