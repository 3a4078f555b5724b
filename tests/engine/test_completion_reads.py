"""What the end of a workflow reads of its tasks (``WorkflowRun``
``task_summaries`` and ``loaded``): the tasks the session holds as they are
in memory, the others as rows of a few columns; the task executions whose
contexts are merged are loaded, in ``seq`` order."""

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import states
from mistral_clone.engine.settings import EngineSettings
from mistral_clone.engine.transaction import Transaction
from tests import base

WF = """---
version: '2.0'
summaries_wf:
  output:
    both: <% [$.x, $.y] %>
  tasks:
    a:
      action: std.sleep seconds=0
      publish:
        x: 1
      on-success: b
    b:
      action: std.sleep seconds=0
      publish:
        y: 2
"""


class _RolledBack(Exception):
    pass


class CompletionReadsTest(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(WF)

    def test_summaries_and_loaded_tasks(self):
        ex = self.server.start('summaries_wf')
        done = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', done['state'])
        self.assertEqual({'both': [1, 2]}, self.server.output(ex['id']))
        seen = {}
        try:
            with db_api.transaction() as s:
                t = Transaction(s, EngineSettings(), None)
                run = t.lock(ex['id'])
                rows = run.task_summaries()
                seen['rows'] = [(type(r) is models.TaskExecution, r.name,
                                 r.state, r.has_next_tasks) for r in rows]
                # A task the session holds is judged as it is in memory.
                b = s.get(models.TaskExecution, rows[1].id)
                b.state = states.RUNNING
                mixed = run.task_summaries()
                seen['mixed'] = [(type(r) is models.TaskExecution, r.state)
                                 for r in mixed]
                loaded = run.loaded(mixed)
                seen['loaded'] = [(type(r) is models.TaskExecution, r.name,
                                   r.published) for r in loaded]
                seen['same_b'] = loaded[1] is b
                raise _RolledBack()
        except _RolledBack:
            pass
        self.assertEqual([(False, 'a', 'SUCCESS', True),
                          (False, 'b', 'SUCCESS', False)], seen['rows'])
        self.assertEqual([(False, 'SUCCESS'), (True, 'RUNNING')],
                         seen['mixed'])
        self.assertEqual([(True, 'a', {'x': 1}), (True, 'b', {'y': 2})],
                         seen['loaded'])
        self.assertTrue(seen['same_b'])
