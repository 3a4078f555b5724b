"""What an engine transaction costs per action result, in statements: a
batch of results locks its workflow executions in one statement and reads
its actions once, under those locks, whatever its size — the statements
of a batch do not grow with the number of results (the production chain
through executors, issue 14: every statement is a round trip to
PostgreSQL)."""

import threading
import time

import sqlalchemy as sa
from sqlalchemy import event

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.rpc import clients
from mistral_clone.rpc import contracts
from tests import base

WF = """---
version: '2.0'
rs_chain:
  tasks:
    a:
      action: std.async_noop
      on-success: b
    b:
      action: std.async_noop
"""


class ResultStatementsTest(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(WF)

    def _running_actions(self, n):
        """Ids of the RUNNING actions of task a of n new executions."""
        ex_ids = [self.server.start('rs_chain')['id'] for _ in range(n)]
        M = models.ActionExecution
        for _ in range(300):
            with db_api.session() as s:
                ids = s.execute(sa.select(M.id).where(
                    M.workflow_execution_id.in_(ex_ids),
                    M.state == 'RUNNING')).scalars().all()
            if len(ids) == n:
                return ids
            time.sleep(0.05)
        self.fail('the actions did not start')

    def _statements(self, action_ex_ids):
        """The statements this thread issued to deliver the results of
        ``action_ex_ids`` in one batch (answers checked)."""
        seen = []
        me = threading.get_ident()

        def note(conn, cursor, statement, params, context, executemany):
            if threading.get_ident() == me:
                seen.append(' '.join(statement.split()))
        engine = db_api.get_engine()
        event.listen(engine, 'before_cursor_execute', note)
        try:
            results = contracts.ActionResults(tuple(
                (i, contracts.ActionResult(data=None))
                for i in action_ex_ids))
            answers = clients.get_engine_client().on_action_results(results)
        finally:
            event.remove(engine, 'before_cursor_execute', note)
        self.assertEqual([True] * len(action_ex_ids), list(answers))
        return seen

    def test_statements_do_not_grow_with_the_batch(self):
        few = self._statements(self._running_actions(2))
        many = self._statements(self._running_actions(6))

        def selects(statements, table):
            return [s for s in statements
                    if s.startswith('SELECT %s.' % table)]
        for statements in (few, many):
            # One lock statement for all the workflows, one read of the
            # actions (under the locks: none read again one by one).
            self.assertEqual(1, len(selects(statements,
                                            'workflow_executions')),
                             statements)
            self.assertEqual(1, len(selects(statements, 'action_executions')),
                             statements)
        self.assertLessEqual(len(many), len(few), (few, many))
