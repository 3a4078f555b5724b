"""Every execution state change goes through engine/changes.py.

The three functions there are where logs, traces and metrics of state
changes hook in; this test records their calls while real executions run
(retries, with-items, sub-workflows, pause/resume, cancel, API actions)
and checks that every state stored in the database was set through them.
"""

import collections

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import changes
from tests import base


class StateChangesTest(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recorded = collections.defaultdict(list)
        cls.originals = {}
        for kind in ('workflow', 'task', 'action'):
            name = 'set_%s_state' % kind
            original = getattr(changes, name)
            cls.originals[name] = original
            setattr(changes, name, cls._recorder(kind, original))

    @classmethod
    def _recorder(cls, kind, original):
        def record(row, state, *args, **kwargs):
            cls.recorded[(kind, row.id)].append(state)
            return original(row, state, *args, **kwargs)
        return record

    @classmethod
    def tearDownClass(cls):
        for name, original in cls.originals.items():
            setattr(changes, name, original)
        super().tearDownClass()

    def test_stored_states_were_set_through_changes(self):
        self.server.create_workflows("""version: '2.0'
sc_child:
  tasks:
    t:
      with-items: i in <% [1, 2] %>
      action: std.echo output=<% $.i %>
      retry: {count: 1, delay: 0, continue-on: <% false %>}
sc_main:
  tasks:
    a:
      action: std.fail
      retry: {count: 1, delay: 0}
      on-error: b
    b:
      workflow: sc_child
      on-success: c
    c:
      action: std.noop
      pause-before: true
sc_cancelled:
  tasks:
    t:
      action: std.async_noop
""")
        ex = self.server.start('sc_main')
        self.server.wait(ex['id'], states=('PAUSED',))
        self.server.put('/executions/%s' % ex['id'], {'state': 'RUNNING'})
        self.assertEqual('SUCCESS', self.server.wait(ex['id'])['state'])
        other = self.server.start('sc_cancelled')
        self.server.wait_task(other['id'], 't', 'RUNNING')
        self.server.put('/executions/%s' % other['id'],
                        {'state': 'CANCELLED'})
        self.server.wait(other['id'])
        r = self.server.http.post(self.server.url + '/action_executions',
                                  json={'name': 'std.async_noop'})
        self.assertEqual(201, r.status_code, r.text)
        self.server.put('/action_executions/%s' % r.json()['id'],
                        {'state': 'SUCCESS', 'output': 'ok'})

        stored = {}
        with db_api.session() as s:
            for kind, model in (('workflow', models.WorkflowExecution),
                                ('task', models.TaskExecution),
                                ('action', models.ActionExecution)):
                for row_id, state in s.execute(
                        sa.select(model.id, model.state)):
                    stored[(kind, row_id)] = state
        self.assertGreater(len(stored), 10)
        for key, state in stored.items():
            self.assertIn(key, self.recorded, 'never set: %s' % (key,))
            self.assertEqual(state, self.recorded[key][-1], key)
        # a retried task went through its delay
        retried = [states for (kind, _), states in self.recorded.items()
                   if kind == 'task' and 'DELAYED' in states]
        self.assertTrue(retried)
