"""Cancel and force-fail answer promptly while an engine evaluates a long
expression for the execution: the evaluation is aborted and its
transaction (which holds the execution's row lock) rolls back, instead of
the request waiting for the whole CPU budget and the evaluation's failure
winning (the execution then ended in ERROR, not CANCELLED)."""

import time

from tests import base

WF = """---
version: '2.0'
busy_wf:
  tasks:
    t:
      action: std.noop
      publish:
        x: "{% for i in range(99999) %}{% for j in range(99999) %}\\
          {% endfor %}{% endfor %}{{ 1 }}"
"""


class StopWhileEvaluatingTest(base.ServerTestCase):

    # Far longer than the request may take, even on a loaded machine.
    server_overrides = {('expressions', 'max_cpu_seconds'): 120.0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(WF)

    def _stop_busy(self, state):
        ex = self.server.start('busy_wf')
        time.sleep(1.0)  # the publish is being evaluated
        started = time.monotonic()
        r = self.server.http.put(
            self.server.url + '/executions/%s' % ex['id'],
            json={'state': state}, timeout=300)
        took = time.monotonic() - started
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual(state, r.json()['state'])
        self.assertLess(took, 30)
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual(state, ex['state'])
        return ex

    def test_cancel_answers_promptly(self):
        self._stop_busy('CANCELLED')

    def test_force_fail_answers_promptly(self):
        self._stop_busy('ERROR')

    def test_other_executions_are_not_disturbed(self):
        self.server.create_workflows("""---
version: '2.0'
calm_wf:
  tasks:
    t:
      action: std.noop
      publish: {x: <% 1 + 1 %>}
  output: {x: <% $.x %>}
""")
        calm = self.server.start('calm_wf')
        self._stop_busy('CANCELLED')
        calm = self.server.wait(calm['id'], timeout=60)
        self.assertEqual('SUCCESS', calm['state'])
