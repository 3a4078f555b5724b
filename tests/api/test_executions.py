"""/v2/executions and their sub-resources, as the reference answers them
(issue 12), through a real embedded server (API + engine + executor)."""

import json
import uuid

from tests import base

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
