"""Real executions through the HTTP API of an embedded server: data flow,
joins under concurrency, control of running work, restarts."""

import json
import time

from tests import base


def wf(text):
    return "version: '2.0'\n" + text


class DataFlowTest(base.ServerTestCase):

    def test_publish_and_output(self):
        self.server.create_workflows(wf("""
df_basic:
  input: [name]
  output:
    greeting: <% $.greeting %>
  tasks:
    say:
      action: std.echo output="Hello, <% $.name %>"
      publish:
        greeting: <% task().result %>
"""))
        ex = self.server.start('df_basic', {'name': 'World'})
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'SUCCESS')
        self.assertEqual(json.loads(ex['output']),
                         {'greeting': 'Hello, World'})

    def test_parallel_branches_join_keeps_every_publish(self):
        n = 40
        branches = ''.join(
            '    b%d:\n      action: std.echo output=%d\n'
            '      publish: {v%d: <%% task().result %%>}\n'
            '      on-success: j\n' % (i, i, i) for i in range(n))
        self.server.create_workflows(wf(
            "df_fan:\n  tasks:\n    s:\n      action: std.noop\n"
            "      on-success: [%s]\n%s"
            "    j:\n      join: all\n      action: std.noop\n"
            "      publish:\n        total: <%% %s %%>\n" % (
                ', '.join('b%d' % i for i in range(n)), branches,
                ' + '.join('$.v%d' % i for i in range(n)))))
        exs = [self.server.start('df_fan') for _ in range(5)]
        for ex in exs:
            ex = self.server.wait(ex['id'], timeout=60)
            self.assertEqual(ex['state'], 'SUCCESS', ex['state_info'])
            out = json.loads(ex['output'])
            self.assertEqual(out['total'], sum(range(n)))
            tasks = self.server.tasks(ex['id'])
            self.assertEqual(len(tasks), n + 2)
            self.assertEqual(sum(1 for t in tasks if t['name'] == 'j'), 1)

    def test_parallel_sleeping_branches_join(self):
        # Real executor round trips completing concurrently.
        n = 12
        branches = ''.join(
            '    b%d:\n      action: std.echo output=%d delay=1\n'
            '      publish: {v%d: <%% task().result %%>}\n'
            '      on-success: j\n' % (i, i, i) for i in range(n))
        self.server.create_workflows(wf(
            "df_fan_async:\n  tasks:\n    s:\n      action: std.noop\n"
            "      on-success: [%s]\n%s"
            "    j:\n      join: all\n      action: std.noop\n"
            "      publish:\n        keys: <%% $.keys().where($.startsWith(v)).len() %%>\n"
            % (', '.join('b%d' % i for i in range(n)), branches)))
        ex = self.server.start('df_fan_async')
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual(ex['state'], 'SUCCESS', ex['state_info'])
        self.assertEqual(json.loads(ex['output'])['keys'], n)

    def test_bad_input_rejected_and_nothing_stored(self):
        self.server.create_workflows(wf("""
df_input:
  input: [a]
  tasks:
    t:
      action: std.noop
"""))
        before = self.server.http.get(self.server.url + '/executions').json()
        r = self.server.http.post(self.server.url + '/executions', json={
            'workflow_name': 'df_input', 'input': {'b': 1}})
        self.assertEqual(r.status_code, 400)
        self.assertIn("missing=['a']", r.json()['faultstring'])
        self.assertIn("unexpected=['b']", r.json()['faultstring'])
        after = self.server.http.get(self.server.url + '/executions').json()
        self.assertEqual(len(before['executions']),
                         len(after['executions']))


class ControlTest(base.ServerTestCase):

    def test_pause_resume_cancel(self):
        self.server.create_workflows(wf("""
ct_slow:
  tasks:
    a:
      action: std.sleep seconds=1
      on-success: b
    b:
      action: std.noop
"""))
        ex = self.server.start('ct_slow')
        r = self.server.put('/executions/%s' % ex['id'], {'state': 'PAUSED'})
        self.assertEqual(r.json()['state'], 'PAUSED')
        self.server.wait_task(ex['id'], 'a', 'SUCCESS')
        time.sleep(0.2)
        # a finished while paused; b must not have started.
        names = [t['name'] for t in self.server.tasks(ex['id'])]
        self.assertEqual(names, ['a'])
        r = self.server.put('/executions/%s' % ex['id'], {'state': 'RUNNING'})
        self.assertEqual(r.json()['state'], 'RUNNING')
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'SUCCESS')
        r = self.server.put('/executions/%s' % ex['id'], {'state': 'PAUSED'})
        self.assertEqual(r.status_code, 400)
        self.assertIn("Can't change workflow execution state from SUCCESS "
                      "to PAUSED", r.json()['faultstring'])

    def test_cancel_propagates_to_subworkflow(self):
        self.server.create_workflows(wf("""
ct_child:
  tasks:
    c:
      action: std.sleep seconds=5
ct_parent:
  tasks:
    p:
      workflow: ct_child
"""))
        ex = self.server.start('ct_parent')
        self.server.wait_task(ex['id'], 'p', 'RUNNING')
        time.sleep(0.2)
        r = self.server.put('/executions/%s' % ex['id'],
                            {'state': 'CANCELLED', 'state_info': 'stop'})
        self.assertEqual(r.json()['state'], 'CANCELLED')
        subs = self.server.http.get(
            self.server.url + '/executions/%s/executions' % ex['id']).json()
        states = {e['workflow_name']: e['state'] for e in subs['executions']}
        self.assertEqual(states, {'ct_parent': 'CANCELLED',
                                  'ct_child': 'CANCELLED'})
        self.assertEqual(self.server.task(ex['id'], 'p')['state'],
                         'CANCELLED')

    def test_rerun_and_skip(self):
        self.server.create_workflows(wf("""
ct_rerun:
  input: [{fail: true}]
  tasks:
    a:
      action: std.echo output=1
      fail-on: <% env().get(fail, true) %>
      on-success: b
    b:
      action: std.noop
"""))
        ex = self.server.start('ct_rerun')
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'ERROR')
        a = self.server.task(ex['id'], 'a')
        r = self.server.put('/tasks/%s' % a['id'], {'state': 'RUNNING'})
        self.assertEqual(r.status_code, 400)
        self.assertEqual(r.json()['faultstring'],
                         'Reset field is mandatory to rerun task.')
        r = self.server.put('/tasks/%s' % a['id'],
                            {'state': 'RUNNING', 'reset': True,
                             'env': {'fail': False}})
        self.assertEqual(r.status_code, 200, r.text)
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'SUCCESS', ex['state_info'])
        self.assertEqual(sorted(t['name'] for t in self.server.tasks(
            ex['id'])), ['a', 'b'])

        ex2 = self.server.start('ct_rerun')
        ex2 = self.server.wait(ex2['id'])
        a = self.server.task(ex2['id'], 'a')
        r = self.server.put('/tasks/%s' % a['id'], {'state': 'SKIPPED'})
        self.assertEqual(r.status_code, 200, r.text)
        ex2 = self.server.wait(ex2['id'])
        self.assertEqual(ex2['state'], 'SUCCESS')
        self.assertEqual(self.server.task(ex2['id'], 'a')['state'],
                         'SKIPPED')

    def test_with_items_rerun_only_failed_items(self):
        self.server.create_workflows(wf("""
ct_wi_rerun:
  tasks:
    a:
      with-items: x in [1, 2, 3]
      action: std.echo output=<% $.x %>
      fail-on: <% env().get(bad, true) and 2 in task().result %>
"""))
        ex = self.server.start('ct_wi_rerun')
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'ERROR')
        a = self.server.task(ex['id'], 'a')
        r = self.server.put('/tasks/%s' % a['id'], {
            'state': 'RUNNING', 'reset': False, 'env': {'bad': False}})
        self.assertEqual(r.status_code, 200, r.text)
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'SUCCESS', ex['state_info'])
        aes = self.server.http.get(self.server.url + '/tasks/%s/action_'
                                   'executions' % a['id']).json()
        # reset=false keeps the three accepted results: no item re-ran.
        self.assertEqual(len(aes['action_executions']), 3)

    def test_async_action_completed_through_api(self):
        self.server.create_workflows(wf("""
ct_async:
  tasks:
    a:
      action: std.async_noop
      publish: {got: <% task().result %>}
"""))
        ex = self.server.start('ct_async')
        a = self.server.wait_task(ex['id'], 'a', 'RUNNING')
        aes = self.server.http.get(self.server.url + '/tasks/%s/action_'
                                   'executions' % a['id']).json()
        aid = aes['action_executions'][0]['id']
        r = self.server.put('/action_executions/%s' % aid,
                            {'state': 'SUCCESS', 'output': {'x': 1}})
        self.assertEqual(r.status_code, 200, r.text)
        ex = self.server.wait(ex['id'])
        self.assertEqual(json.loads(ex['output']), {'got': {'x': 1}})

    def test_retry_then_handler(self):
        self.server.create_workflows(wf("""
ct_retry:
  tasks:
    a:
      action: std.fail
      retry: {count: 2, delay: 0}
      on-error: h
    h:
      action: std.noop
"""))
        ex = self.server.start('ct_retry')
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'SUCCESS')
        a = self.server.task(ex['id'], 'a')
        aes = self.server.http.get(self.server.url + '/tasks/%s/action_'
                                   'executions' % a['id']).json()
        self.assertEqual(len(aes['action_executions']), 3)


class RestartTest(base.ServerTestCase):
    """Delayed work and paused executions survive a restart."""

    def restart(self):
        tmp = self.server.tmp
        self.server.stop(keep_files=True)
        type(self).server = base.EmbeddedServer(tmp=tmp)
        self.server.own_tmp = True

    def test_wait_before_across_restart(self):
        self.server.create_workflows(wf("""
rs_wait:
  tasks:
    a:
      action: std.noop
      wait-before: 1
      on-success: b
    b:
      action: std.noop
"""))
        ex = self.server.start('rs_wait')
        self.server.wait_task(ex['id'], 'a', 'DELAYED')
        self.restart()
        ex = self.server.wait(ex['id'], timeout=20)
        self.assertEqual(ex['state'], 'SUCCESS')

    def test_retry_delay_across_restart(self):
        self.server.create_workflows(wf("""
rs_retry:
  tasks:
    a:
      action: std.fail
      retry: {count: 1, delay: 1}
      on-error: h
    h:
      action: std.noop
"""))
        ex = self.server.start('rs_retry')
        self.server.wait_task(ex['id'], 'a', 'DELAYED')
        self.restart()
        ex = self.server.wait(ex['id'], timeout=20)
        self.assertEqual(ex['state'], 'SUCCESS')
        a = self.server.task(ex['id'], 'a')
        aes = self.server.http.get(self.server.url + '/tasks/%s/action_'
                                   'executions' % a['id']).json()
        self.assertEqual(len(aes['action_executions']), 2)

    def test_paused_execution_resumes_after_restart(self):
        self.server.create_workflows(wf("""
rs_pause:
  tasks:
    a:
      action: std.noop
      on-success: [pause, b]
    b:
      action: std.echo output="after"
      publish: {b: <% task().result %>}
"""))
        ex = self.server.start('rs_pause')
        ex = self.server.wait(ex['id'], states=('PAUSED',))
        self.restart()
        self.server.put('/executions/%s' % ex['id'], {'state': 'RUNNING'})
        ex = self.server.wait(ex['id'])
        self.assertEqual(ex['state'], 'SUCCESS')
        self.assertEqual(json.loads(ex['output']), {'b': 'after'})

    def test_async_action_completed_after_restart(self):
        self.server.create_workflows(wf("""
rs_async:
  tasks:
    a:
      action: std.async_noop
      publish: {got: <% task().result %>}
"""))
        ex = self.server.start('rs_async')
        a = self.server.wait_task(ex['id'], 'a', 'RUNNING')
        aid = self.server.http.get(
            self.server.url + '/tasks/%s/action_executions' % a['id']
        ).json()['action_executions'][0]['id']
        self.restart()
        # The output is a JSON object, as on the reference.
        r = self.server.put('/action_executions/%s' % aid,
                            {'state': 'SUCCESS', 'output': {'n': 7}})
        self.assertEqual(r.status_code, 200, r.text)
        ex = self.server.wait(ex['id'])
        self.assertEqual(json.loads(ex['output']), {'got': {'n': 7}})
