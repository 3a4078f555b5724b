"""A runaway expression fails its task with a clear state_info, and the
server keeps serving (issue: one expression froze the service)."""

import time

from tests import base

WF = """version: '2.0'
budget_pow:
  tasks:
    t1:
      action: std.noop
      publish:
        big: <% pow(10, 100000000) %>
budget_jinja:
  tasks:
    t1:
      action: std.noop
      publish:
        x: "{% for i in range(99999) %}{% for j in range(99999) %}\
          {% endfor %}{% endfor %}{{ 1 }}"
budget_ok:
  tasks:
    t1:
      action: std.echo output=<% range(0, 1000).len() %>
      publish:
        n: <% task().result %>
  output:
    n: <% $.n %>
"""


class ExpressionBudgetTest(base.ServerTestCase):

    server_overrides = {('expressions', 'max_cpu_seconds'): 1.0}

    def setUp(self):
        super().setUp()
        if not getattr(type(self), '_created', False):
            self.server.create_workflows(WF)
            type(self)._created = True

    def test_huge_integer_fails_the_task(self):
        ex = self.server.wait(self.server.start('budget_pow')['id'],
                              timeout=120)
        self.assertEqual('ERROR', ex['state'])
        self.assertIn('expression=pow(10, 100000000)', ex['state_info'])
        self.assertIn('too large', ex['state_info'])

    def test_nested_jinja_loops_fail_the_task_and_reads_go_on(self):
        ex = self.server.start('budget_jinja')
        # The API keeps answering while the loop runs.
        for _ in range(3):
            r = self.server.http.get(self.server.url + '/workflows')
            self.assertEqual(200, r.status_code)
            time.sleep(0.1)
        ex = self.server.wait(ex['id'], timeout=300)
        self.assertEqual('ERROR', ex['state'])
        self.assertIn('CPU budget of 1 seconds', ex['state_info'])
        self.assertIn('{% for i in range(99999) %}', ex['state_info'])
        # The engine goes on with other work.
        ok = self.server.wait(self.server.start('budget_ok')['id'],
                              timeout=120)
        self.assertEqual('SUCCESS', ok['state'], ok['state_info'])
        self.assertEqual({'n': 1000}, self.server.output(ok['id']))
