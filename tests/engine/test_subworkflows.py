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
        r = self.server.post_text('/workbooks', wf("""
name: swwb
workflows:
  sw_wb_child:
    output: {where: workbook}
    tasks:
      t: {action: std.noop}
  main:
    tasks:
      call:
        workflow: sw_wb_child
        publish: {where: <% task().result.where %>}
"""))
        self.assertEqual(201, r.status_code, r.text)
        ex = self.run_to_end('swwb.main')
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'where': 'workbook'}, self.server.output(ex['id']))


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
