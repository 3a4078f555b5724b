"""/v2/executions and their sub-resources, as the reference answers them
(issue 12), through a real embedded server (API + engine + executor)."""

import json
import uuid

from tests import base
from tests.api import base as api_base

SLOW = """---
version: '2.0'
%s:
  tasks:
    t1:
      action: std.async_noop
"""

FAULT_KEYS = {'faultcode', 'faultstring', 'debuginfo'}


class ExecutionTestCase(base.ServerTestCase):

    def req(self, method, path, **kw):
        return self.server.http.request(method, self.server.url + path, **kw)

    def assertFault(self, r, status, message):
        self.assertEqual(status, r.status_code, r.text)
        body = r.json()
        self.assertEqual(FAULT_KEYS, set(body))
        self.assertEqual(message, body['faultstring'])

    def cli(self, *args, rc=0):
        p = api_base.mistral_cli(self.server.url, *args)
        self.assertEqual(rc, p.returncode, p.stdout + p.stderr)
        return p

    def slow_execution(self, **extra):
        name = 'slow_%s' % uuid.uuid4().hex[:8]
        self.server.create_workflows(SLOW % name)
        ex = self.server.start(name, **extra)
        self.addCleanup(self.req, 'PUT', '/executions/%s' % ex['id'],
                        json={'state': 'CANCELLED'})
        return ex


class ExecutionUpdateTest(ExecutionTestCase):
    """PUT /v2/executions/{id}: lookup first, then the body's rules."""

    NOT_PROVIDED = ('The property state, description, or env is not '
                    'provided for update.')
    ALLOWED = ("Allowed states are: 'RUNNING, PAUSED, SUCCESS, ERROR, "
               "CANCELLED")

    def put(self, ex_id, body):
        return self.req('PUT', '/executions/%s' % ex_id, json=body)

    def test_unknown_execution_is_404_whatever_the_body(self):
        for body in ({'state': 'STOPPED'}, {}, {'state': 'IDLE'},
                     {'description': 'x', 'state': 'PAUSED'},
                     {'params': {'env': {'a': 1}}, 'state': 'PAUSED'}):
            with self.subTest(body=body):
                self.assertFault(self.put('1a2b3c', body), 404,
                                 'WorkflowExecution not found [id=1a2b3c]')
        # The body is parsed before anything else.
        self.assertFault(self.put('1a2b3c', {'bogus': 1}), 400,
                         'Unknown attribute for argument wf_ex: bogus')

    def test_validation_order_and_texts(self):
        ex = self.slow_execution()
        cases = [
            ({}, self.NOT_PROVIDED),
            ({'description': ''}, self.NOT_PROVIDED),
            ({'params': {'env': {}}}, self.NOT_PROVIDED),
            ({'description': 'x', 'state': 'PAUSED'},
             'The property description must be updated separately from '
             'state.'),
            ({'params': {'env': {'a': 1}}, 'state': 'PAUSED'},
             'The property env can only be updated when workflow execution '
             'is not running or on resume from pause.'),
            ({'params': {'env': {'a': 1}}, 'state': 'IDLE'},
             'The property env can only be updated when workflow execution '
             'is not running or on resume from pause.'),
            ({'state': 'IDLE'}, 'Cannot change state to IDLE. ' +
             self.ALLOWED),
            ({'bogus': 1}, 'Unknown attribute for argument wf_ex: bogus'),
        ]
        for body, message in cases:
            with self.subTest(body=body):
                self.assertFault(self.put(ex['id'], body), 400, message)
        self.assertEqual('RUNNING', self.server.get_ex(ex['id'])['state'])

    def test_empty_description_counts_as_absent(self):
        ex = self.slow_execution(description='kept')
        r = self.put(ex['id'], {'description': '', 'state': 'PAUSED'})
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual('PAUSED', r.json()['state'])
        self.assertEqual('kept', r.json()['description'])

    def test_description_and_env_together(self):
        ex = self.slow_execution(params={'env': {'x': 0}})
        # Running: the env is refused and the description stays.
        r = self.put(ex['id'], {'description': 'new',
                                'params': {'env': {'a': 1}}})
        self.assertFault(r, 403, 'Updating env to workflow execution is '
                                 'only permitted if it is in IDLE, PAUSED, '
                                 'or ERROR state.')
        self.assertEqual('', self.server.get_ex(ex['id'])['description'])
        self.assertEqual(200, self.put(ex['id'],
                                       {'state': 'PAUSED'}).status_code)
        r = self.put(ex['id'], {'description': 'new',
                                'params': {'env': {'a': 1}}})
        self.assertEqual(200, r.status_code, r.text)
        body = r.json()
        self.assertEqual('new', body['description'])
        self.assertEqual({'x': 0, 'a': 1}, json.loads(body['params'])['env'])
        self.assertNotIn('input', body)
        # A description alone answers without params.
        r = self.put(ex['id'], {'description': 'again'})
        self.assertEqual(200, r.status_code, r.text)
        self.assertNotIn('params', r.json())


class UuidParametersTest(ExecutionTestCase):
    """Ids of rows in paths and list filters are uuids (issue 12.6)."""

    U = '11111111-1111-1111-1111-111111111111'

    def bad_uuid(self, name, raw, value=None):
        return ("Invalid input for field/attribute %s. Value: '%s'. unable "
                "to convert to uuid. Error: Expected a uuid but received %s."
                % (name, raw, raw if value is None else value))

    def test_parent_ids_in_paths(self):
        cases = [('/executions/notauuid/tasks', 'workflow_execution_id'),
                 ('/executions/notauuid/executions', 'id'),
                 ('/executions/notauuid/report', 'workflow_execution_id'),
                 ('/tasks/notauuid/action_executions', 'task_execution_id'),
                 ('/tasks/notauuid/executions', 'id'),
                 ('/tasks/notauuid/workflow_executions',
                  'task_execution_id')]
        for path, name in cases:
            with self.subTest(path=path):
                self.assertFault(self.req('GET', path), 400,
                                 self.bad_uuid(name, 'notauuid'))
        # The id is checked before the other parameters.
        self.assertFault(
            self.req('GET', '/executions/notauuid/executions?max_depth=x'),
            400, self.bad_uuid('id', 'notauuid'))
        # Single rows keep their plain 404.
        self.assertFault(self.req('GET', '/executions/notauuid'), 404,
                         'WorkflowExecution not found [id=notauuid]')

    def test_unknown_parents(self):
        self.assertFault(self.req('GET', '/tasks/%s/executions' % self.U),
                         404, 'Task execution not found [id=%s]' % self.U)
        r = self.req('GET', '/tasks/%s/workflow_executions' % self.U)
        self.assertEqual({'executions': []}, r.json())
        # An operator prefix names the same row.
        self.assertFault(self.req('GET', '/executions/eq:%s/tasks' % self.U),
                         404, 'WorkflowExecution not found [id=%s]' % self.U)

    def test_uuid_filters(self):
        cases = [('/executions?task_execution_id=notauuid',
                  'task_execution_id', 'notauuid', None),
                 ('/executions?root_execution_id=', 'root_execution_id', '',
                  None),
                 ('/executions?workflow_id=eq:x', 'workflow_id', 'eq:x', 'x'),
                 ('/executions?workflow_id=in:%s' % self.U, 'workflow_id',
                  'in:%s' % self.U, "['%s']" % self.U),
                 ('/executions?project_id=x', 'project_id', 'x', None),
                 ('/tasks?workflow_execution_id=notauuid',
                  'workflow_execution_id', 'notauuid', None),
                 ('/tasks?workflow_id=x', 'workflow_id', 'x', None),
                 ('/action_executions?task_execution_id=x',
                  'task_execution_id', 'x', None),
                 ('/workflows?project_id=x', 'project_id', 'x', None),
                 ('/cron_triggers?workflow_id=x', 'workflow_id', 'x', None),
                 ('/event_triggers?project_id=x', 'project_id', 'x', None)]
        for path, name, raw, value in cases:
            with self.subTest(path=path):
                self.assertFault(self.req('GET', path), 400,
                                 self.bad_uuid(name, raw, value))
        self.assertFault(self.req('GET', '/workbooks?project_id=x'), 400,
                         'Unknown argument: "project_id"')

    def test_uuid_filters_keep_their_operator(self):
        ex = self.slow_execution()
        wf_id = ex['workflow_id']
        r = self.req('GET', '/executions?workflow_id=eq:%s' % wf_id)
        self.assertEqual([ex['id']], [e['id'] for e in r.json()['executions']])
        r = self.req('GET', '/executions?workflow_id=neq:%s' % wf_id)
        self.assertNotIn(ex['id'], [e['id'] for e in r.json()['executions']])
        r = self.req('GET', '/executions/%s/tasks' % ex['id'])
        self.assertEqual(['t1'], [t['name'] for t in r.json()['tasks']])


REPORT_WFS = """---
version: '2.0'
rp_child:
  tasks:
    c1:
      action: std.noop
rp_parent:
  tasks:
    p1:
      workflow: rp_child
rp_fchild:
  tasks:
    c1:
      action: std.noop
      on-success: c2
    c2:
      action: std.fail
rp_fparent:
  tasks:
    p0:
      action: std.noop
      on-success: p1
    p1:
      workflow: rp_fchild
    p2:
      action: std.noop
"""


class ReportTest(ExecutionTestCase):
    """GET /executions/{id}/report and ``mistral execution-get-report``:
    statistics count the tasks the report shows (issue 12.15)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(REPORT_WFS)
        cls.ok = cls.server.wait(cls.server.start('rp_parent')['id'])
        cls.failed = cls.server.wait(cls.server.start('rp_fparent')['id'])

    def stats(self, ex_id, query=''):
        r = self.req('GET', '/executions/%s/report?%s' % (ex_id, query))
        self.assertEqual(200, r.status_code, r.text)
        st = r.json()['statistics']
        return (st['total_tasks_count'], st['success_tasks_count'],
                st['error_tasks_count'])

    def test_statistics_follow_errors_only(self):
        self.assertEqual('SUCCESS', self.ok['state'])
        self.assertEqual('ERROR', self.failed['state'])
        self.assertEqual((2, 2, 0), self.stats(self.ok['id']))
        self.assertEqual((0, 0, 0), self.stats(self.ok['id'],
                                               'errors_only=true'))
        self.assertEqual((5, 3, 2), self.stats(self.failed['id']))
        self.assertEqual((2, 0, 2), self.stats(self.failed['id'],
                                               'errors_only=true'))
        self.assertEqual((2, 0, 2), self.stats(
            self.failed['id'], 'errors_only=true&statistics_only=true'))
        self.assertEqual((1, 0, 1), self.stats(
            self.failed['id'], 'errors_only=true&max_depth=0'))
        self.assertEqual((3, 2, 1), self.stats(self.failed['id'],
                                               'max_depth=0'))

    def test_cli(self):
        out = self.cli('execution-get-report', self.ok['id']).stdout
        self.assertIn('Number of tasks in SUCCESS state: 0\n', out)
        out = self.cli('execution-get-report', '--no-errors-only',
                       self.ok['id']).stdout
        self.assertIn('Number of tasks in SUCCESS state: 2\n', out)
        out = self.cli('execution-get-report', self.failed['id']).stdout
        self.assertIn('Number of tasks in SUCCESS state: 0\n', out)
        self.assertIn('Number of tasks in ERROR state: 2\n', out)
        self.assertIn("task 'c2' [ERROR]", out)
        self.assertNotIn("task 'p0'", out)
