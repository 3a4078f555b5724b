"""What ``execution()`` and ``executions()`` show to expressions in real
executions (embedded server, HTTP API), field by field as on the
reference."""

import json
import re

from tests import base

EXECUTION_FIELDS = ['id', 'name', 'spec', 'input', 'params', 'created_at',
                    'updated_at', 'root_execution_id']
SHORT_TIME = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$')
ISO_TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$')


def wf(text):
    return "version: '2.0'\n" + text


class ExecutionViewTest(base.ServerTestCase):

    def run_to_end(self, name, wf_input=None, **extra):
        ex = self.server.start(name, wf_input, **extra)
        return self.server.wait(ex['id'], timeout=60)

    def published(self, ex_id, task_name):
        return json.loads(self.server.task(ex_id, task_name)['published'])

    def test_exactly_the_reference_fields(self):
        r = self.server.post_text('/workbooks', wf("""
name: evwb
workflows:
  child:
    input: [a]
    output:
      ex: <% execution() %>
    tasks:
      t: {action: std.noop}
  main:
    input: [x, {y: 2}]
    tasks:
      first:
        action: std.noop
        publish:
          ex: <% execution() %>
          jkeys: "{{ execution().keys() | list }}"
          ykeys: <% execution().keys() %>
        on-success: call
      call:
        workflow: child
        input: {a: 1}
        publish:
          child: <% task().result.ex %>
"""))
        self.assertEqual(201, r.status_code, r.text)
        ex = self.run_to_end('evwb.main', {'x': 1},
                             params={'env': {'e': 1}})
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        first = self.published(ex['id'], 'first')
        self.assertEqual(EXECUTION_FIELDS, first['jkeys'])
        self.assertEqual(sorted(EXECUTION_FIELDS), sorted(first['ykeys']))
        view = first['ex']
        self.assertEqual(EXECUTION_FIELDS, list(view))
        self.assertEqual((ex['id'], 'evwb.main', {'x': 1, 'y': 2}),
                         (view['id'], view['name'], view['input']))
        self.assertEqual({'env': {'e': 1}, 'namespace': ''}, view['params'])
        self.assertRegex(view['created_at'], SHORT_TIME)
        self.assertRegex(view['updated_at'], SHORT_TIME)
        self.assertIsNone(view['root_execution_id'])
        # The spec as written, named as in the workbook, each task with
        # its type, name and version.
        spec = view['spec']
        self.assertEqual(['input', 'tasks', 'name', 'version'], list(spec))
        self.assertEqual(('main', '2.0'), (spec['name'], spec['version']))
        self.assertEqual(
            {'action': 'std.noop', 'on-success': 'call', 'type': 'direct',
             'name': 'first', 'version': '2.0',
             'publish': {'ex': '<% execution() %>',
                         'jkeys': '{{ execution().keys() | list }}',
                         'ykeys': '<% execution().keys() %>'}},
            spec['tasks']['first'])
        self.assertEqual(['workflow', 'input', 'publish', 'type', 'name',
                          'version'], list(spec['tasks']['call']))

        child = self.published(ex['id'], 'call')['child']
        self.assertEqual(EXECUTION_FIELDS, list(child))
        self.assertEqual(ex['id'], child['root_execution_id'])
        self.assertEqual('evwb.child', child['name'])
        self.assertEqual('child', child['spec']['name'])
        self.assertEqual({}, child['params']['env'])

    def test_no_state_in_execution(self):
        self.server.create_workflows(wf("""
ev_state:
  tasks:
    t:
      action: std.noop
      publish:
        s: <% execution().state %>
"""))
        ex = self.run_to_end('ev_state')
        self.assertEqual('ERROR', ex['state'])
        t = self.server.task(ex['id'], 't')
        self.assertEqual('ERROR', t['state'])
        self.assertIn("Can not evaluate YAQL expression [expression="
                      "execution().state, error='state']", t['state_info'])

    def test_executions_give_the_whole_record(self):
        self.server.create_workflows(wf("""
ev_child:
  tags: [blue]
  output: {o: 1}
  tasks:
    t: {action: std.noop}
ev_list:
  tasks:
    sub:
      workflow: ev_child
      on-success: look
    look:
      action: std.noop
      publish:
        r: "{{ executions(root_execution_id=execution().id) }}"
"""))
        ex = self.run_to_end('ev_list')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        [record] = self.published(ex['id'], 'look')['r']
        self.assertEqual(
            ['spec', 'accepted', 'input', 'output', 'params', 'context',
             'id', 'name', 'description', 'workflow_name',
             'workflow_namespace', 'workflow_id', 'state', 'state_info',
             'tags', 'project_id', 'created_at', 'updated_at',
             'task_execution_id', 'root_execution_id'], list(record))
        sub = self.server.task(ex['id'], 'sub')
        self.assertEqual(
            ('ev_child', 'SUCCESS', {'o': 1}, ['blue'], sub['id'], ex['id'],
             'sub-workflow execution', True),
            (record['name'], record['state'], record['output'],
             record['tags'], record['task_execution_id'],
             record['root_execution_id'], record['description'],
             record['accepted']))
        self.assertRegex(record['created_at'], ISO_TIME)
        self.assertEqual('direct', record['spec']['tasks']['t']['type'])
