"""Task policies in real executions (embedded server, HTTP API): retry,
wait-before, wait-after, timeout, pause-before, concurrency, fail-on,
keep-result, bad policy values."""

import json

from tests import base


def wf(text):
    return "version: '2.0'\n" + text


class PolicyRunTest(base.ServerTestCase):

    def actions(self, task_id):
        r = self.server.http.get(self.server.url + '/action_executions',
                                 params={'task_execution_id': task_id})
        return r.json()['action_executions']

    def result(self, task_id):
        r = self.server.http.get(self.server.url + '/tasks/%s' % task_id)
        return json.loads(r.json()['result'])

    def run_to_end(self, name, wf_input=None):
        ex = self.server.start(name, wf_input)
        return self.server.wait(ex['id'], timeout=60)

    def test_retry_until_count_exhausted(self):
        self.server.create_workflows(wf("""
pr_retry_count:
  tasks:
    t:
      action: std.fail error_data=<% $.get(attempt, 'x') %>
      retry: {count: 2, delay: 0}
      publish-on-error:
        last: <% task().result %>
"""))
        ex = self.run_to_end('pr_retry_count')
        self.assertEqual('ERROR', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual('ERROR', t['state'])
        rc = json.loads(t['runtime_context'])
        # count: 2 → three attempts in all
        self.assertEqual(2, rc['retry_task_policy']['retry_no'])
        attempts = self.actions(t['id'])
        self.assertEqual(3, len(attempts))
        # only the last attempt's result counts
        self.assertEqual([False, False, True],
                         [a['accepted'] for a in sorted(
                             attempts, key=lambda a: a['created_at'])])

    def test_retry_continue_on_repeats_a_success(self):
        self.server.create_workflows(wf("""
pr_retry_continue:
  tasks:
    t:
      action: std.echo output=1
      retry:
        count: 2
        delay: 0
        continue-on: <% task().result = 1 %>
"""))
        ex = self.run_to_end('pr_retry_continue')
        self.assertEqual('SUCCESS', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual(3, len(self.actions(t['id'])))

    def test_retry_break_on_stops_at_once(self):
        self.server.create_workflows(wf("""
pr_retry_break:
  tasks:
    t:
      action: std.fail
      retry:
        count: 5
        delay: 0
        break-on: <% true %>
"""))
        ex = self.run_to_end('pr_retry_break')
        self.assertEqual('ERROR', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual(1, len(self.actions(t['id'])))

    def test_wait_before_delays_the_task(self):
        self.server.create_workflows(wf("""
pr_wait_before:
  tasks:
    t:
      action: std.echo output="done"
      wait-before: 1
"""))
        ex = self.server.start('pr_wait_before')
        t = self.server.wait_task(ex['id'], 't', 'DELAYED')
        self.assertEqual("Delayed by 'wait-before' policy [delay=1]",
                         t['state_info'])
        self.assertEqual([], self.actions(t['id']))
        ex = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual({'wait_before_policy': {'skip': True}},
                         json.loads(t['runtime_context']))
        self.assertEqual(1, len(self.actions(t['id'])))

    def test_wait_after_holds_the_transitions(self):
        self.server.create_workflows(wf("""
pr_wait_after:
  tasks:
    t:
      action: std.echo output="done"
      wait-after: 1
      publish: {r: <% task().result %>}
      on-success: next
    next:
      action: std.echo output=<% $.r %>
"""))
        ex = self.server.start('pr_wait_after')
        t = self.server.wait_task(ex['id'], 't', 'DELAYED')
        self.assertEqual("Delayed by 'wait-after' policy [delay=1]",
                         t['state_info'])
        # its action is done, its transitions wait
        self.assertEqual(['SUCCESS'], [a['state'] for a in
                                       self.actions(t['id'])])
        self.assertEqual(['t'], [x['name'] for x in
                                 self.server.tasks(ex['id'])])
        ex = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual('SUCCESS', self.server.task(ex['id'],
                                                     'next')['state'])

    def test_timeout_fails_the_task_and_on_error_runs(self):
        self.server.create_workflows(wf("""
pr_timeout:
  tasks:
    t:
      action: std.async_noop
      timeout: 1
      on-error: handler
    handler:
      action: std.noop
"""))
        ex = self.run_to_end('pr_timeout')
        self.assertEqual('SUCCESS', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual('ERROR', t['state'])
        self.assertEqual('Task timed out [timeout(s)=1].', t['state_info'])
        self.assertEqual('SUCCESS', self.server.task(ex['id'],
                                                     'handler')['state'])

    def test_pause_before_pauses_until_resumed(self):
        self.server.create_workflows(wf("""
pr_pause_before:
  tasks:
    a:
      action: std.noop
      on-success: b
    b:
      action: std.echo output="b"
      pause-before: true
"""))
        ex = self.server.start('pr_pause_before')
        ex = self.server.wait(ex['id'], states=('PAUSED',))
        b = self.server.task(ex['id'], 'b')
        self.assertEqual('IDLE', b['state'])
        self.assertEqual("Set by 'pause-before' policy", b['state_info'])
        r = self.server.put('/executions/%s' % ex['id'],
                            {'state': 'RUNNING'})
        self.assertEqual(200, r.status_code, r.text)
        ex = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', ex['state'])
        # resumed without pausing again
        self.assertEqual('SUCCESS', self.server.task(ex['id'],
                                                     'b')['state'])

    def test_concurrency_bounds_running_items(self):
        self.server.create_workflows(wf("""
pr_concurrency:
  tasks:
    t:
      with-items: i in <% range(0, 6) %>
      concurrency: 2
      action: std.echo
      input: {output: <% $.i %>, delay: 0.2}
"""))
        ex = self.server.start('pr_concurrency')
        t = self.server.wait_task(ex['id'], 't', 'RUNNING')
        most = 0
        while self.server.get_ex(ex['id'])['state'] == 'RUNNING':
            running = [a for a in self.actions(t['id'])
                       if a['state'] == 'RUNNING']
            most = max(most, len(running))
        self.assertLessEqual(most, 2)
        ex = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', ex['state'])
        t = self.server.task(ex['id'], 't')
        rc = json.loads(t['runtime_context'])
        self.assertEqual({'count': 6, 'capacity': 2}, rc['with_items'])
        self.assertEqual(2, rc['concurrency'])
        self.assertEqual(list(range(6)), self.result(t['id']))

    def test_fail_on_turns_a_success_into_an_error(self):
        self.server.create_workflows(wf("""
pr_fail_on:
  tasks:
    t:
      action: std.echo output=7
      fail-on: <% task().result = 7 %>
      publish: {seen: <% task().result %>}
      on-error: handler
    handler:
      action: std.echo output=<% $.seen %>
      publish: {handled: <% task().result %>}
"""))
        ex = self.run_to_end('pr_fail_on')
        self.assertEqual('SUCCESS', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual('ERROR', t['state'])
        self.assertEqual("Failed by 'fail-on' policy", t['state_info'])
        # the success publish happened
        self.assertEqual({'seen': 7}, json.loads(t['published']))
        self.assertEqual(7, self.server.output(ex['id'])['handled'])

    def test_bad_policy_value_fails_the_workflow(self):
        self.server.create_workflows(wf("""
pr_bad_value:
  tasks:
    t:
      action: std.noop
      wait-before: <% 'soon' %>
"""))
        ex = self.run_to_end('pr_bad_value')
        self.assertEqual('ERROR', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertTrue(t['state_info'].startswith(
            "Failed to run task [error=Invalid data type in "
            "WaitBeforePolicy: 'soon' is not of type 'integer'"),
            t['state_info'])
        self.assertIn('wf=pr_bad_value, task=t]', t['state_info'])
        self.assertEqual([], self.actions(t['id']))

    def test_keep_result_false_drops_action_outputs(self):
        self.server.create_workflows(wf("""
pr_keep_result:
  tasks:
    t:
      action: std.echo output="big"
      keep-result: false
      publish: {p: <% task().result %>}
"""))
        ex = self.run_to_end('pr_keep_result')
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual({'p': 'big'}, self.server.output(ex['id']))
        t = self.server.task(ex['id'], 't')
        r = self.server.http.get(self.server.url + '/action_executions/%s'
                                 % self.actions(t['id'])[0]['id'])
        self.assertEqual({}, json.loads(r.json()['output']))
