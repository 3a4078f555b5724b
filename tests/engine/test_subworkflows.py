"""Sub-workflows and pause/resume in real executions (embedded server,
HTTP API): input/output, failures, name lookup (workbook, namespace,
visibility to the project), pause and resume across the tree."""

import json

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from tests import base


def wf(text):
    return "version: '2.0'\n" + text


class _Runs(base.ServerTestCase):

    def run_to_end(self, name, wf_input=None, **extra):
        ex = self.server.start(name, wf_input, **extra)
        return self.server.wait(ex['id'], timeout=60)

    def post_calling_workbook(self, workbook, child):
        """Workbook ``workbook`` whose ``main`` calls its own ``child``."""
        r = self.server.post_text('/workbooks', wf("""
name: %s
workflows:
  %s:
    output: {where: workbook}
    tasks:
      t: {action: std.noop}
  main:
    tasks:
      call:
        workflow: %s
        publish: {where: <%% task().result.where %%>}
""" % (workbook, child, child)))
        self.assertEqual(201, r.status_code, r.text)

    def children(self, task_id):
        r = self.server.http.get(self.server.url + '/executions',
                                 params={'task_execution_id': task_id})
        return r.json()['executions']


class SubWorkflowTest(_Runs):

    def test_input_output_and_undeclared_keys_as_params(self):
        self.server.create_workflows(wf("""
sw_child:
  input: [image, {tag: latest}]
  output:
    artifact: "<% $.image %>:<% $.tag %>"
    env_seen: <% env().get(zone) %>
  tasks:
    t: {action: std.noop}
sw_parent:
  tasks:
    build:
      workflow: sw_child
      input: {image: ubuntu, extra: 1}
      publish: {artifact: <% task().result.artifact %>,
                env_seen: <% task().result.env_seen %>}
"""))
        ex = self.run_to_end('sw_parent', params={'env': {'zone': 'z1'}})
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'artifact': 'ubuntu:latest', 'env_seen': 'z1'},
                         self.server.output(ex['id']))
        build = self.server.task(ex['id'], 'build')
        [child] = self.children(build['id'])
        params = json.loads(child['params'])
        self.assertEqual(1, params['extra'])
        self.assertEqual(ex['id'], params['root_execution_id'])
        self.assertEqual(build['id'], params['task_execution_id'])
        self.assertEqual({'image': 'ubuntu', 'tag': 'latest'},
                         json.loads(child['input']))

    def test_child_failure_is_the_parent_tasks_failure(self):
        self.server.create_workflows(wf("""
sw_failing_child:
  tasks:
    t:
      action: std.fail error_data="broken"
sw_handled:
  tasks:
    call:
      workflow: sw_failing_child
      on-error: handler
    handler:
      action: std.echo output=<% task(call).result.result %>
      publish: {reason: <% task().result %>}
"""))
        ex = self.run_to_end('sw_handled')
        self.assertEqual('SUCCESS', ex['state'])
        call = self.server.task(ex['id'], 'call')
        self.assertEqual('ERROR', call['state'])
        [child] = self.children(call['id'])
        self.assertEqual('ERROR', child['state'])
        self.assertEqual(child['state_info'], call['state_info'])
        self.assertIn('Failure caused by error in tasks: t',
                      self.server.output(ex['id'])['reason'])

    def test_missing_sub_workflow_fails_the_task(self):
        self.server.create_workflows(wf("""
sw_missing:
  tasks:
    call:
      workflow: sw_nowhere
"""))
        ex = self.run_to_end('sw_missing')
        self.assertEqual('ERROR', ex['state'])
        self.assertEqual(
            'Failed to find workflow [name=sw_nowhere] [namespace=]',
            self.server.task(ex['id'], 'call')['state_info'])

    def test_namespace_first_then_default(self):
        self.server.create_workflows(wf("""
sw_ns_child:
  output: {where: default}
  tasks:
    t: {action: std.noop}
sw_ns_only_default:
  output: {where: default}
  tasks:
    t: {action: std.noop}
"""))
        r = self.server.http.post(
            self.server.url + '/workflows?namespace=ns1',
            data=wf("""
sw_ns_child:
  output: {where: ns1}
  tasks:
    t: {action: std.noop}
sw_ns_parent:
  tasks:
    a:
      workflow: sw_ns_child
      publish: {a: <% task().result.where %>}
    b:
      workflow: sw_ns_only_default
      publish: {b: <% task().result.where %>}
""").encode(), headers={'Content-Type': 'text/plain'})
        self.assertEqual(201, r.status_code, r.text)
        ex = self.run_to_end('sw_ns_parent', workflow_namespace='ns1')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'a': 'ns1', 'b': 'default'},
                         self.server.output(ex['id']))

    def test_workbook_local_name_first(self):
        self.server.create_workflows(wf("""
sw_wb_child:
  output: {where: global}
  tasks:
    t: {action: std.noop}
"""))
        self.post_calling_workbook('swwb', 'sw_wb_child')
        ex = self.run_to_end('swwb.main')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'where': 'workbook'}, self.server.output(ex['id']))

    def test_workbook_local_name_before_the_started_namespace(self):
        # Each name (workbook-local first) is tried in the namespace the
        # execution was started with, then in the default one.
        r = self.server.http.post(
            self.server.url + '/workflows', params={'namespace': 'sw_other'},
            data=wf("""
sw_wb_child2:
  output: {where: sw_other}
  tasks:
    t: {action: std.noop}
""").encode(), headers={'Content-Type': 'text/plain'})
        self.assertEqual(201, r.status_code, r.text)
        self.post_calling_workbook('swwb2', 'sw_wb_child2')
        ex = self.run_to_end('swwb2.main', params={'namespace': 'sw_other'})
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'where': 'workbook'}, self.server.output(ex['id']))


class StartedNamespaceTest(_Runs):
    """Sub-workflows are looked up in the namespace the root execution was
    started with (passed down in every child's ``params``), then in the
    default one — not where the parent's own definition was found."""

    def post_in(self, namespace, text):
        r = self.server.http.post(
            self.server.url + '/workflows', params={'namespace': namespace},
            data=wf(text).encode(), headers={'Content-Type': 'text/plain'})
        self.assertEqual(201, r.status_code, r.text)
        return r.json()['workflows']

    def only_child(self, ex_id, task_name):
        [child] = self.children(self.server.task(ex_id, task_name)['id'])
        return child

    def test_nested_tree_uses_the_namespace_it_was_started_with(self):
        low = """
sn_low:
  output: {where: <% execution().params.namespace %>}
  tasks:
    t: {action: std.noop}
"""
        self.post_in('', low)
        self.post_in('sn_abc', low)
        self.post_in('', """
sn_mid:
  tasks:
    call:
      workflow: sn_low
""")
        top = """
sn_top:
  tasks:
    call:
      workflow: sn_mid
"""
        self.post_in('', top)
        self.post_in('sn_abc', top)
        ex = self.run_to_end('sn_top', workflow_namespace='sn_abc')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'namespace': 'sn_abc', 'env': {}},
                         json.loads(ex['params']))
        call = self.server.task(ex['id'], 'call')
        mid = self.only_child(ex['id'], 'call')
        # Found in the default namespace (not in sn_abc) ...
        self.assertEqual('', mid['workflow_namespace'])
        # ... but the namespace the tree was started with goes down.
        params = json.loads(mid['params'])
        self.assertEqual(['root_execution_id', 'task_execution_id', 'index',
                          'namespace', 'env'], list(params))
        self.assertEqual({'root_execution_id': ex['id'],
                          'task_execution_id': call['id'], 'index': 0,
                          'namespace': 'sn_abc', 'env': {}}, params)
        self.assertEqual('', self.server.task(mid['id'],
                                              'call')['workflow_namespace'])
        low_ex = self.only_child(mid['id'], 'call')
        self.assertEqual('sn_abc', low_ex['workflow_namespace'])
        self.assertEqual('sn_abc', json.loads(low_ex['params'])['namespace'])
        self.assertEqual({'where': 'sn_abc'},
                         self.server.output(low_ex['id']))

    def test_namespace_given_in_params_only(self):
        # The workflow itself is looked up with workflow_namespace (here
        # the default one); params.namespace is where children are found.
        self.post_in('sn_xyz', """
sn_p_child:
  tasks:
    t: {action: std.noop}
""")
        [top] = self.post_in('', """
sn_p_top:
  tasks:
    call:
      workflow: sn_p_child
""")
        ex = self.run_to_end('sn_p_top', params={'namespace': 'sn_xyz'})
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual('', ex['workflow_namespace'])
        child = self.only_child(ex['id'], 'call')
        self.assertEqual('sn_xyz', child['workflow_namespace'])
        # Started by id in another namespace: that one is not searched.
        ex = self.run_to_end(None, params={'namespace': 'sn_nowhere'},
                             workflow_id=top['id'])
        self.assertEqual('ERROR', ex['state'])
        self.assertEqual(
            'Failed to find workflow [name=sn_p_child] '
            '[namespace=sn_nowhere]',
            self.server.task(ex['id'], 'call')['state_info'])

    def test_params_of_items_notify_and_undeclared_input(self):
        self.server.create_workflows(wf("""
sn_item_child:
  input: [a]
  output: {env_seen: <% env() %>}
  tasks:
    t: {action: std.noop}
sn_items:
  tasks:
    items:
      with-items: i in [10, 20]
      workflow: sn_item_child
      input: {a: <% $.i %>}
    extra:
      workflow: sn_item_child
      input: {a: 1, env: {y: 2}, index: 7, zz: 5}
      publish: {env_seen: <% task().result.env_seen %>}
"""))
        notify = [{'type': 'webhook', 'url': 'http://127.0.0.1:9/none',
                   'events': ['WORKFLOW_CANCELLED']}]
        ex = self.run_to_end('sn_items', params={'env': {'x': 1},
                                                 'notify': notify})
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        items = self.server.task(ex['id'], 'items')
        children = self.children(items['id'])
        by_index = {}
        for child in children:
            params = json.loads(child['params'])
            self.assertEqual(['root_execution_id', 'task_execution_id',
                              'index', 'namespace', 'notify', 'env'],
                             list(params))
            self.assertEqual(items['id'], params['task_execution_id'])
            self.assertEqual({}, params['env'])
            self.assertEqual(notify, params['notify'])
            by_index[params['index']] = json.loads(child['input'])['a']
        self.assertEqual({0: 10, 1: 20}, by_index)
        # An undeclared input key may replace env (the child's env() is
        # still the root's), others follow; index stays the engine's.
        child = self.only_child(ex['id'], 'extra')
        params = json.loads(child['params'])
        self.assertEqual(['root_execution_id', 'task_execution_id', 'index',
                          'namespace', 'notify', 'env', 'zz'], list(params))
        self.assertEqual((0, {'y': 2}, 5),
                         (params['index'], params['env'], params['zz']))
        self.assertEqual({'env_seen': {'x': 1}},
                         self.server.output(ex['id']))


class SharedSubWorkflowTest(_Runs):
    """A workflow of another project, shared with ours through a member
    entry: usable (as a sub-workflow too) once the membership is
    accepted, invisible before."""

    OTHER = 'other-project'
    ME = '<default-project>'   # the project of every request, auth off

    def shared_workflow(self, name, status):
        text = wf("""
%s:
  output: {owner: other}
  tasks:
    t: {action: std.noop}
""" % name)
        wf_id = models.new_id()
        with db_api.transaction() as s:
            s.add(models.WorkflowDefinition(
                id=wf_id, name=name, namespace='', definition=text,
                scope='private', project_id=self.OTHER, tags=[],
                created_at=models.utcnow()))
            s.add(models.ResourceMember(
                resource_id=wf_id, resource_type='workflow',
                project_id=self.OTHER, member_id=self.ME, status=status,
                created_at=models.utcnow()))
        return wf_id

    def parent_of(self, child):
        name = 'sw_uses_%s' % child
        self.server.create_workflows(wf("""
%s:
  tasks:
    call:
      workflow: %s
      publish: {owner: <%% task().result.owner %%>}
""" % (name, child)))
        return name

    def test_accepted_share_is_usable_as_a_sub_workflow(self):
        wf_id = self.shared_workflow('sw_shared_accepted', 'accepted')
        ex = self.run_to_end(self.parent_of('sw_shared_accepted'))
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'owner': 'other'}, self.server.output(ex['id']))
        # the same rule for the API lookup and a direct start
        r = self.server.http.get(self.server.url + '/workflows/%s' % wf_id)
        self.assertEqual(200, r.status_code)
        started = self.server.start(None, workflow_id=wf_id)
        self.assertEqual('SUCCESS',
                         self.server.wait(started['id'])['state'])

    def test_pending_share_is_not_usable(self):
        wf_id = self.shared_workflow('sw_shared_pending', 'pending')
        ex = self.run_to_end(self.parent_of('sw_shared_pending'))
        self.assertEqual('ERROR', ex['state'])
        self.assertEqual(
            'Failed to find workflow [name=sw_shared_pending] '
            '[namespace=]', self.server.task(ex['id'], 'call')['state_info'])
        r = self.server.http.get(self.server.url + '/workflows/%s' % wf_id)
        self.assertEqual(404, r.status_code)
        r = self.server.http.post(self.server.url + '/executions',
                                  json={'workflow_id': wf_id})
        self.assertEqual(404, r.status_code)


class PauseResumeTest(_Runs):

    def test_pause_and_resume_run_down_the_tree(self):
        self.server.create_workflows(wf("""
pr_slow_child:
  tasks:
    t1:
      action: std.echo
      input: {output: 1, delay: 1}
      on-success: t2
    t2:
      action: std.noop
pr_tree:
  tasks:
    call:
      workflow: pr_slow_child
      on-success: after
    after:
      action: std.noop
"""))
        ex = self.server.start('pr_tree')
        call = self.server.wait_task(ex['id'], 'call', 'RUNNING')
        r = self.server.put('/executions/%s' % ex['id'], {'state': 'PAUSED'})
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual('PAUSED', r.json()['state'])
        [child] = self.children(call['id'])
        self.assertEqual('PAUSED', child['state'])
        self.assertEqual('PAUSED', self.server.task(ex['id'],
                                                    'call')['state'])
        # the running action finishes, but nothing moves on while paused
        t1 = self.server.wait_task(child['id'], 't1', 'SUCCESS')
        self.assertEqual(['t1'], [t['name'] for t in
                                  self.server.tasks(child['id'])])
        self.assertFalse(t1['processed'])
        self.assertEqual('PAUSED', self.server.get_ex(ex['id'])['state'])
        r = self.server.put('/executions/%s' % ex['id'],
                            {'state': 'RUNNING'})
        self.assertEqual(200, r.status_code, r.text)
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual('SUCCESS', self.server.get_ex(child['id'])['state'])
        self.assertEqual({'call': 'SUCCESS', 'after': 'SUCCESS'},
                         {t['name']: t['state']
                          for t in self.server.tasks(ex['id'])})

    def test_a_child_pausing_itself_pauses_its_parent(self):
        self.server.create_workflows(wf("""
pr_self_pausing:
  tasks:
    t1:
      action: std.noop
      on-success: [pause, t2]
    t2:
      action: std.noop
pr_parent_of_pausing:
  tasks:
    call:
      workflow: pr_self_pausing
"""))
        ex = self.server.start('pr_parent_of_pausing')
        ex = self.server.wait(ex['id'], states=('PAUSED',))
        call = self.server.task(ex['id'], 'call')
        self.assertEqual('PAUSED', call['state'])
        [child] = self.children(call['id'])
        self.assertEqual('PAUSED', child['state'])
        # t2 was held back by the pause (the backlog)
        self.assertEqual(['t1'], [t['name'] for t in
                                  self.server.tasks(child['id'])])
        r = self.server.put('/executions/%s' % child['id'],
                            {'state': 'RUNNING'})
        self.assertEqual(200, r.status_code, r.text)
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual({'t1', 't2'}, {t['name'] for t in
                                        self.server.tasks(child['id'])})

    def test_pause_of_a_finished_execution_is_refused(self):
        self.server.create_workflows(wf("""
pr_done:
  tasks:
    t: {action: std.noop}
"""))
        ex = self.run_to_end('pr_done')
        r = self.server.put('/executions/%s' % ex['id'], {'state': 'PAUSED'})
        self.assertEqual(400, r.status_code, r.text)
        self.assertIn("Can't change workflow execution state from SUCCESS "
                      "to PAUSED", r.json()['faultstring'])
