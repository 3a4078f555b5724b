"""``db.workflows.find_workflow``: a project finds its own, public and
accepted shared workflow definitions by id or by name and namespace, and
nothing else; the statements are built once (an engine looks a definition
up at every start of an execution) and give what the statement built for
each call gives."""

import os
import tempfile
import unittest
import uuid

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.db import workflows as db_workflows


def _built_each_time(session, identifier, namespace, project_id):
    """The lookup as it was written before its statements were prebuilt."""
    m = models.WorkflowDefinition
    usable = db_workflows.usable_by(project_id)
    row = None
    if db_workflows._is_uuid(identifier):
        row = db_workflows._first(session, m.id == identifier, usable)
    if row is None:
        row = db_workflows._first(session, m.name == identifier,
                                  m.namespace == namespace, usable)
    return row


class WorkflowLookupTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        db_api.setup('sqlite:///' + os.path.join(tmp.name, 'db'))
        self.addCleanup(db_api.dispose)
        db_api.create_all_for_tests()
        self.ids = {}
        with db_api.transaction() as s:
            for name, project, scope, ns in (
                    ('own', 'p1', 'private', ''),
                    ('own', 'p1', 'private', 'ns1'),
                    ('public', 'p2', 'public', ''),
                    ('shared', 'p2', 'private', ''),
                    ('pending', 'p2', 'private', ''),
                    ('other', 'p2', 'private', '')):
                i = self.ids[(name, ns)] = str(uuid.uuid4())
                s.add(models.WorkflowDefinition(
                    id=i, name=name, namespace=ns, project_id=project,
                    scope=scope, definition=''))
            for name, status in (('shared', 'accepted'),
                                 ('pending', 'pending')):
                s.add(models.ResourceMember(
                    id=str(uuid.uuid4()),
                    resource_id=self.ids[(name, '')],
                    resource_type='workflow', project_id='p2',
                    member_id='p1', status=status))

    def _find(self, identifier, namespace=''):
        with db_api.session() as s:
            try:
                row = db_workflows.find_workflow(s, identifier, namespace,
                                                 'p1')
            except exc.DBEntityNotFoundError:
                row = None
            self.assertEqual(
                row, _built_each_time(s, identifier, namespace, 'p1'))
            return row and row.id

    def test_what_a_project_may_use(self):
        for (name, ns), i in self.ids.items():
            visible = name in ('own', 'public', 'shared')
            self.assertEqual(i if visible else None, self._find(i), name)
            self.assertEqual(i if visible else None, self._find(name, ns),
                             (name, ns))
        self.assertIsNone(self._find('own', 'ns2'))
        self.assertIsNone(self._find(str(uuid.uuid4())))

    def test_not_found_names_what_was_looked_for(self):
        with db_api.session() as s, self.assertRaises(
                exc.DBEntityNotFoundError) as cm:
            db_workflows.find_workflow(s, 'other', '', 'p1')
        self.assertEqual('Workflow not found [workflow_identifier=other, '
                         'namespace=]', str(cm.exception))

    def test_statements_are_built_once(self):
        self.assertIs(db_workflows._usable_statement('name'),
                      db_workflows._usable_statement('name'))
        self.assertIn('resource_members', str(
            db_workflows._usable_statement('id').compile(
                dialect=sa.create_engine('sqlite://').dialect)))


if __name__ == '__main__':
    unittest.main()
