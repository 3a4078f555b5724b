"""Joins and with-items in real executions (embedded server, HTTP API)."""

import json

from tests import base


def wf(text):
    return "version: '2.0'\n" + text


class _Runs(base.ServerTestCase):

    def run_to_end(self, name, wf_input=None):
        ex = self.server.start(name, wf_input)
        return self.server.wait(ex['id'], timeout=60)

    def result(self, task_id):
        r = self.server.http.get(self.server.url + '/tasks/%s' % task_id)
        return json.loads(r.json()['result'])

    def states(self, ex_id):
        return {t['name']: t['state'] for t in self.server.tasks(ex_id)}


class JoinTest(_Runs):

    def test_join_all_merges_the_branches(self):
        self.server.create_workflows(wf("""
jn_merge:
  tasks:
    start:
      action: std.noop
      on-success: [a, b]
    a:
      action: std.echo output=1
      publish: {a: <% task().result %>, shared: from_a}
      on-success: j
    b:
      action: std.echo output=2
      publish: {b: <% task().result %>}
      on-success: j
    j:
      join: all
      action: std.echo output=<% $.a + $.b %>
      publish: {sum: <% task().result %>, shared: <% $.shared %>}
"""))
        ex = self.run_to_end('jn_merge')
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual(3, self.server.output(ex['id'])['sum'])
        tasks = self.server.tasks(ex['id'])
        self.assertEqual(1, sum(1 for t in tasks if t['name'] == 'j'))
        j = self.server.task(ex['id'], 'j')
        triggered = json.loads(j['runtime_context'])['triggered_by']
        by_id = {t['id']: t['name'] for t in tasks}
        self.assertEqual({'a', 'b'},
                         {by_id[x['task_id']] for x in triggered})
        self.assertEqual({'on-success'}, {x['event'] for x in triggered})

    def test_join_all_fails_when_a_branch_goes_elsewhere(self):
        self.server.create_workflows(wf("""
jn_blocked:
  tasks:
    start:
      action: std.noop
      on-success: [a, b]
    a:
      action: std.noop
      on-success: j
    b:
      action: std.fail
      on-error: b_handler
      on-success: j
    b_handler:
      action: std.noop
    j:
      join: all
      action: std.noop
"""))
        ex = self.run_to_end('jn_blocked')
        self.assertEqual('ERROR', ex['state'])
        j = self.server.task(ex['id'], 'j')
        self.assertEqual('ERROR', j['state'])
        self.assertEqual("Failed by tasks: ['b']", j['state_info'])
        self.assertEqual('SUCCESS', self.states(ex['id'])['b_handler'])

    def test_numeric_join_starts_with_enough_branches(self):
        self.server.create_workflows(wf("""
jn_two:
  tasks:
    start:
      action: std.noop
      on-success: [a, b, slow]
    a:
      action: std.noop
      on-success: j
    b:
      action: std.noop
      on-success: j
    slow:
      action: std.echo
      input: {output: late, delay: 1}
      on-success: j
    j:
      join: 2
      action: std.noop
      publish: {j_done: true}
"""))
        ex = self.server.start('jn_two')
        j = self.server.wait_task(ex['id'], 'j', 'SUCCESS')
        # it ran on two inbound tasks, without waiting for the slow one
        triggered = json.loads(j['runtime_context'])['triggered_by']
        self.assertEqual(2, len(triggered))
        self.assertIn(self.states(ex['id'])['slow'], ('RUNNING',
                                                      'SUCCESS'))
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'])

    def test_join_waits_while_an_inbound_task_runs(self):
        self.server.create_workflows(wf("""
jn_wait:
  tasks:
    start:
      action: std.noop
      on-success: [fast, slow]
    fast:
      action: std.noop
      on-success: j
    slow:
      action: std.echo
      input: {output: 1, delay: 1}
      on-success: j
    j:
      join: all
      action: std.noop
"""))
        ex = self.server.start('jn_wait')
        j = self.server.wait_task(ex['id'], 'j', 'WAITING')
        self.assertEqual("Blocked by tasks: ['slow']", j['state_info'])
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual('SUCCESS', self.server.task(ex['id'], 'j')['state'])


class WithItemsTest(_Runs):

    def test_results_in_item_order_with_two_collections(self):
        self.server.create_workflows(wf("""
wi_zip:
  input: [names, sizes]
  tasks:
    t:
      with-items:
        - n in <% $.names %>
        - s in <% $.sizes %>
      action: std.echo
      input:
        output: "<% $.n %>-<% $.s %>"
        delay: <% 0.05 * (3 - $.s) %>
      publish: {all: <% task().result %>}
"""))
        ex = self.run_to_end('wi_zip', {'names': ['a', 'b', 'c'],
                                        'sizes': [0, 1, 2]})
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual(['a-0', 'b-1', 'c-2'],
                         self.server.output(ex['id'])['all'])
        t = self.server.task(ex['id'], 't')
        rc = json.loads(t['runtime_context'])
        self.assertEqual({'count': 3, 'capacity': None}, rc['with_items'])

    def test_empty_collection_succeeds_at_once(self):
        self.server.create_workflows(wf("""
wi_empty:
  tasks:
    t:
      with-items: i in <% [] %>
      action: std.echo output=<% $.i %>
      publish: {r: <% task().result %>}
"""))
        ex = self.run_to_end('wi_empty')
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual({'r': []}, self.server.output(ex['id']))

    def test_item_input_error_is_a_forced_failure(self):
        self.server.create_workflows(wf("""
wi_one_fails:
  tasks:
    t:
      with-items: i in <% [1, 0, 2] %>
      action: std.echo
      input:
        output: <% 10 / $.i %>
"""))
        ex = self.run_to_end('wi_one_fails')
        self.assertEqual('ERROR', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual('ERROR', t['state'])
        self.assertIn('Failed to run task', t['state_info'])

    def test_failing_action_item(self):
        self.server.create_workflows(wf("""
wi_item_action_fails:
  tasks:
    t:
      with-items: i in <% [1, 2, 3] %>
      action: std.fail
      on-error: handler
    handler:
      action: std.noop
"""))
        ex = self.run_to_end('wi_item_action_fails')
        self.assertEqual('SUCCESS', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual('ERROR', t['state'])
        self.assertEqual('One or more actions had failed.', t['state_info'])
        r = self.server.http.get(self.server.url + '/action_executions',
                                 params={'task_execution_id': t['id']})
        self.assertEqual(3, len(r.json()['action_executions']))

    def test_collections_of_different_lengths_fail(self):
        self.server.create_workflows(wf("""
wi_lengths:
  tasks:
    t:
      with-items:
        - a in <% [1, 2] %>
        - b in <% [1] %>
      action: std.noop
"""))
        ex = self.run_to_end('wi_lengths')
        self.assertEqual('ERROR', ex['state'])
        self.assertIn('All arrays must have the same length.',
                      self.server.task(ex['id'], 't')['state_info'])

    def test_published_value_wins_over_the_item_variable(self):
        self.server.create_workflows(wf("""
wi_shadow:
  tasks:
    first:
      action: std.noop
      publish: {x: published}
      on-success: t
    t:
      with-items: x in <% [1, 2] %>
      action: std.echo output=<% $.x %>
      publish: {seen: <% task().result %>}
"""))
        ex = self.run_to_end('wi_shadow')
        self.assertEqual(['published', 'published'],
                         self.server.output(ex['id'])['seen'])

    def test_with_items_of_sub_workflows(self):
        self.server.create_workflows(wf("""
wi_child:
  input: [v]
  output: {double: <% $.v * 2 %>}
  tasks:
    t: {action: std.noop}
wi_parent:
  tasks:
    t:
      with-items: v in <% [1, 2, 3] %>
      workflow: wi_child v=<% $.v %>
      publish: {doubles: <% task().result.select($.double) %>}
"""))
        ex = self.run_to_end('wi_parent')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual([2, 4, 6], self.server.output(ex['id'])['doubles'])
        t = self.server.task(ex['id'], 't')
        r = self.server.http.get(self.server.url + '/executions',
                                 params={'task_execution_id': t['id']})
        children = r.json()['executions']
        self.assertEqual([0, 1, 2], sorted(
            json.loads(c['params'])['index'] for c in children))


class WithItemsNamesTest(_Runs):
    """The action or sub-workflow name and ``target`` of a with-items task
    are evaluated in the task's context without the item; failing there,
    or naming nothing, is the task's own error (``on-error`` applies) and
    no item starts."""

    def action_executions(self, task_id):
        r = self.server.http.get(self.server.url + '/action_executions',
                                 params={'task_execution_id': task_id})
        return r.json()['action_executions']

    def assert_handled(self, ex, state_info):
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'t': 'ERROR', 'handler': 'SUCCESS'},
                         self.states(ex['id']))
        t = self.server.task(ex['id'], 't')
        self.assertEqual(state_info, t['state_info'])
        self.assertEqual([], self.action_executions(t['id']))

    def test_action_name_does_not_see_the_item(self):
        self.server.create_workflows(wf("""
wn_item_action:
  tasks:
    t:
      with-items: act in <% ['std.echo', 'std.noop'] %>
      action: <% $.act %>
      input: {output: x}
      on-error: handler
    handler:
      action: std.noop
"""))
        self.assert_handled(
            self.run_to_end('wn_item_action'),
            "Can not evaluate YAQL expression [expression=$.act, "
            "error='act']")

    def test_action_name_from_the_context_is_used_for_every_item(self):
        self.server.create_workflows(wf("""
wn_ctx_action:
  input: [{act: std.echo}]
  tasks:
    t:
      with-items: i in [1, 2]
      action: <% $.act %>
      input: {output: <% $.i %>}
      publish: {r: <% task().result %>}
"""))
        ex = self.run_to_end('wn_ctx_action')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'r': [1, 2]}, self.server.output(ex['id']))

    def test_workflow_name_does_not_see_the_item(self):
        self.server.create_workflows(wf("""
wn_child:
  tasks:
    t: {action: std.noop}
wn_item_workflow:
  tasks:
    t:
      with-items: w in <% ['wn_child'] %>
      workflow: <% $.w %>
      on-error: handler
    handler:
      action: std.noop
"""))
        ex = self.run_to_end('wn_item_workflow')
        self.assert_handled(
            ex, "Can not evaluate YAQL expression [expression=$.w, "
                "error='w']")
        t = self.server.task(ex['id'], 't')
        r = self.server.http.get(self.server.url + '/executions',
                                 params={'task_execution_id': t['id']})
        self.assertEqual([], r.json()['executions'])

    def test_target_sees_the_input_not_the_item(self):
        self.server.create_workflows(wf("""
wn_target_item:
  tasks:
    t:
      with-items: i in [1, 2]
      action: std.echo output=1
      target: "{{ _.i }}"
      on-error: handler
    handler:
      action: std.noop
wn_target_input:
  tasks:
    t:
      with-items: i in [1, 2]
      action: std.echo
      input: {output: <% $.i %>}
      target: <% str(1 / ($.output - 2)) %>
      on-error: handler
    handler:
      action: std.noop
"""))
        ex = self.run_to_end('wn_target_item')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        t = self.server.task(ex['id'], 't')
        self.assertIn("Can not evaluate Jinja expression [expression="
                      "{{ _.i }}", t['state_info'])
        self.assertEqual([], self.action_executions(t['id']))
        # Item 1 passes, item 2 fails: neither runs.
        self.assert_handled(
            self.run_to_end('wn_target_input'),
            'Can not evaluate YAQL expression [expression=str(1 / '
            '($.output - 2)), error=integer division or modulo by zero]')

    def test_unknown_action_or_workflow_is_the_tasks_error(self):
        self.server.create_workflows(wf("""
wn_no_action:
  tasks:
    t:
      with-items: i in [1, 2]
      action: std.nonexistent
      on-error: handler
    handler:
      action: std.noop
wn_no_workflow:
  tasks:
    t:
      with-items: i in [1, 2]
      workflow: wn_nonexistent
      on-error: handler
    handler:
      action: std.noop
"""))
        self.assert_handled(
            self.run_to_end('wn_no_action'),
            'Failed to find action [action_name=std.nonexistent, '
            'namespace=]')
        self.assert_handled(
            self.run_to_end('wn_no_workflow'),
            'Failed to find workflow [name=wn_nonexistent] [namespace=]')

    def test_inputs_first_and_a_misfit_input_still_fail_the_workflow(self):
        self.server.create_workflows(wf("""
wn_input_first:
  tasks:
    t:
      with-items: i in [1, 0]
      action: <% $.nope %>
      input: {x: <% 1 / $.i %>}
      on-error: handler
    handler:
      action: std.noop
wn_misfit:
  tasks:
    t:
      with-items: i in [1, 2]
      action: std.echo
      input: <% switch($.i = 1 => {bad => 1}, true => {output => 2}) %>
      target: <% str(1 / ($.get(output, 1) - 2)) %>
      on-error: handler
    handler:
      action: std.noop
"""))
        for name, error in (
                ('wn_input_first', 'Can not evaluate YAQL expression '
                                   '[expression=1 / $.i'),
                ('wn_misfit', 'Invalid input [name=std.echo')):
            ex = self.run_to_end(name)
            self.assertEqual('ERROR', ex['state'])
            self.assertEqual({'t': 'ERROR'}, self.states(ex['id']))
            t = self.server.task(ex['id'], 't')
            self.assertTrue(t['state_info'].startswith(
                'Failed to run task [error=' + error), t['state_info'])
