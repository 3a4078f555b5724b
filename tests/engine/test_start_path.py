"""Engine.start_workflow: one statement finds the definition and whether
the execution was started already (a caller repeating its start, as the
RPC client does with the id it chose): a repeated start answers the
execution stored, whatever became of its definition since, and starts
nothing more. SQLite file, no broker."""

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine.service import Engine
from mistral_clone.services import workflows as wf_svc
from tests.rpc.test_batches import SqliteFileCase
from tests.rpc.test_follow_ups import _Executors

WF = ("version: '2.0'\nwf:\n  tags: [t1]\n  tasks:\n    t1:\n"
      "      action: std.sleep seconds=0\n")


def _counts():
    with db_api.session() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(m))
                     .scalar() for m in (models.WorkflowExecution,
                                         models.TaskExecution,
                                         models.ActionExecution))


class StartPathTest(SqliteFileCase):

    def setUp(self):
        super().setUp()
        self.sent = _Executors()
        self.engine = Engine(executor_client=self.sent, workers=1)
        self.addCleanup(self.engine.stop)
        wf_svc.create_workflows(WF)

    def test_a_repeated_start_answers_the_stored_execution(self):
        ex_id = models.new_id()
        first = self.engine.start_workflow('wf', execution_id=ex_id,
                                           description='d')
        self.assertEqual((ex_id, 'RUNNING', 'wf', ['t1'], 'd'), (
            first['id'], first['state'], first['workflow_name'],
            first['tags'], first['description']))
        self.assertEqual((1, 1, 1), _counts())
        self.assertEqual(1, len(self.sent.sent))
        again = self.engine.start_workflow('wf', execution_id=ex_id)
        self.assertEqual(first['id'], again['id'])
        self.assertEqual(first['created_at'], again['created_at'])
        # Its definition deleted since: still the stored execution.
        with db_api.transaction() as s:
            s.execute(sa.delete(models.WorkflowDefinition))
        again = self.engine.start_workflow('wf', execution_id=ex_id)
        self.assertEqual(first['id'], again['id'])
        self.assertEqual((1, 1, 1), _counts())
        self.assertEqual(1, len(self.sent.sent))
        with self.assertRaises(exc.DBEntityNotFoundError):
            self.engine.start_workflow('wf', execution_id=models.new_id())

    def test_by_id_and_without_an_execution_id(self):
        with db_api.session() as s:
            wf_id = s.execute(sa.select(models.WorkflowDefinition.id)
                              ).scalar()
        ex = self.engine.start_workflow(wf_id)
        self.assertEqual((wf_id, 'wf', ''), (
            ex['workflow_id'], ex['workflow_name'],
            ex['workflow_namespace']))
        self.assertEqual({'namespace': '', 'env': {}}, ex['params'])
        with self.assertRaises(exc.DBEntityNotFoundError):
            self.engine.start_workflow('nope')
        self.assertEqual((1, 1, 1), _counts())
