"""/v2/action_executions as the reference answers them (issue 12), through a
real embedded server (API + engine + executor)."""

import json

from tests.api import test_executions


class FieldsTest(test_executions.ExecutionTestCase):
    """``fields=`` on single GETs (issue 12.7)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.server.http.post(cls.server.url + '/action_executions', json={
            'name': 'std.echo', 'input': {'output': 'hi'},
            'params': {'save_result': True}})
        cls.ae_id = r.json()['id']
        cls.server.http.post(cls.server.url + '/workflows', data=(
            "---\nversion: '2.0'\nfields_wf:\n  tasks:\n    t1:\n"
            "      action: std.noop\n"),
            headers={'Content-Type': 'text/plain'})

    def get_fields(self, path, fields):
        r = self.req('GET', '%s?fields=%s' % (path, fields))
        self.assertEqual(200, r.status_code, r.text)
        return r.json()

    def test_action_execution_projection(self):
        path = '/action_executions/%s' % self.ae_id
        got = self.get_fields(path, 'output,state')
        # Declaration order, whatever order was asked for.
        self.assertEqual(['id', 'state', 'output'], list(got))
        self.assertEqual({'result': 'hi'}, json.loads(got['output']))
        # Unknown names, and fields the single view does not show, are
        # ignored.
        self.assertEqual(['id'], list(self.get_fields(path, 'bogus')))
        self.assertEqual(['id'], list(self.get_fields(path,
                                                      'task_name,params')))
        self.assertEqual(['id', 'state'],
                         list(self.get_fields(path, 'state,bogus')))
        # No fields: the whole action execution.
        self.assertIn('input', self.req('GET', path).json())

    def test_task_action_execution_projection(self):
        path = '/tasks/11111111-1111-1111-1111-111111111111/' \
               'action_executions/%s' % self.ae_id
        self.assertEqual({'id': self.ae_id}, self.req('GET', path).json())
        self.assertEqual(['id', 'state', 'output'],
                         list(self.get_fields(path, 'output,state')))

    def test_other_single_gets(self):
        got = self.get_fields('/workflows/fields_wf', 'updated_at,bogus,name')
        self.assertEqual(['id', 'name', 'updated_at'], list(got))
        ex = self.server.start('fields_wf')
        got = self.get_fields('/executions/%s' % ex['id'],
                              'updated_at,state,context')
        self.assertEqual(['id', 'state', 'updated_at'], list(got))
        self.assertFault(self.req('GET', '/executions/%s?fields=bogus' %
                                  ex['id']), 400,
                         "Field 'bogus' does not exist.")

    def test_lists_render_in_declaration_order(self):
        body = self.get_fields('/action_executions', 'updated_at,name,state')
        item = body['action_executions'][0]
        self.assertEqual(['id', 'state', 'name', 'updated_at'], list(item))
        r = self.req('GET', '/action_executions?limit=1&fields=updated_at,'
                            'name')
        # The next link keeps the request's order.
        self.assertIn('fields=id,updated_at,name', r.json()['next'])
        self.assertFault(
            self.req('GET', '/executions/%s/executions?fields=id' %
                     self.ae_id), 400, 'Unknown argument: "fields"')


class RunActionTest(test_executions.ExecutionTestCase):
    """POST /v2/action_executions (run-action)."""

    def run_action(self, body):
        return self.req('POST', '/action_executions', json=body)

    def test_unknown_action(self):
        # Issue 12.8: no namespace part in the run-action message.
        message = 'Failed to find action [action_name=std.nonexistent]'
        for extra in ({}, {'workflow_namespace': 'ns1'},
                      {'params': {'save_result': True}}):
            with self.subTest(extra=extra):
                self.assertFault(self.run_action(dict(
                    name='std.nonexistent', **extra)), 400, message)
        p = self.cli('run-action', 'std.nonexistent', rc=1)
        self.assertIn('ERROR (app) %s\n' % message, p.stderr)

    def test_input_over_the_field_size_limit(self):
        # Issue 12.9: [engine] execution_field_size_limit_kb (1024 by
        # default) holds for run-action, stored or not.
        big = {'output': 'x' * (1100 * 1024)}
        message = ('Field size limit exceeded [class=TaskExecution, '
                   'field=input, size=1100KB, limit=1024KB]')
        before = len(self.req('GET', '/action_executions').json()[
            'action_executions'])
        for params in ({}, {'save_result': True}):
            with self.subTest(params=params):
                self.assertFault(self.run_action({
                    'name': 'std.echo', 'input': big, 'params': params}),
                    400, message)
        self.assertEqual(before, len(self.req('GET', '/action_executions')
                                     .json()['action_executions']))
        # Just under the limit runs.
        r = self.run_action({'name': 'std.echo',
                             'input': {'output': 'x' * (1023 * 1024)}})
        self.assertEqual(201, r.status_code, r.text[:300])
        self.assertEqual('SUCCESS', r.json()['state'])


class UpdateTest(test_executions.ExecutionTestCase):
    """PUT /v2/action_executions/{id} (issue 12.10)."""

    def put(self, ae_id, body):
        return self.req('PUT', '/action_executions/%s' % ae_id, json=body)

    def async_action(self):
        r = self.req('POST', '/action_executions',
                     json={'name': 'std.async_noop'})
        self.assertEqual('RUNNING', r.json()['state'])
        return r.json()['id']

    def test_state_is_checked_before_the_lookup(self):
        expected = ("Error. Expected one of ['SUCCESS', 'ERROR', "
                    "'CANCELLED', 'PAUSED', 'RUNNING'], actual: %s")
        ae_id = self.async_action()
        for target in (ae_id, '1a2b'):
            for body, actual in (({'state': 'BOGUS'}, 'BOGUS'),
                                 ({'state': 'success'}, 'success'),
                                 ({'state': ''}, ''),
                                 ({}, 'Unset')):
                with self.subTest(target=target, body=body):
                    self.assertFault(self.put(target, body), 400,
                                     expected % actual)
        self.assertFault(self.put('1a2b', {'state': 'SUCCESS'}), 404,
                         'ActionExecution not found [id=1a2b]')
        self.assertEqual('RUNNING', self.req(
            'GET', '/action_executions/%s' % ae_id).json()['state'])

    def test_output_is_a_json_object(self):
        ae_id = self.async_action()
        self.assertFault(self.put(ae_id, {'state': 'SUCCESS',
                                          'output': '[1]'}), 400,
                         'JsonType field value must be a dictionary '
                         '[actual=[1]]')
        body = {'state': 'SUCCESS', 'output': 'done'}
        self.assertFault(self.put(ae_id, body), 400,
                         "Invalid input for field/attribute action_ex. "
                         "Value: '%r'. Expecting value: line 1 column 1 "
                         "(char 0)" % body)
        r = self.put(ae_id, {'state': 'SUCCESS', 'output': '{"a": 1}'})
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual({'result': {'a': 1}}, json.loads(r.json()['output']))

    def test_a_completed_action_keeps_its_first_result(self):
        ae_id = self.async_action()
        r = self.put(ae_id, {'state': 'SUCCESS', 'output': '{"a": 1}'})
        self.assertEqual(200, r.status_code, r.text)
        for body in ({'state': 'ERROR', 'output': '{"e": 2}'},
                     {'state': 'SUCCESS', 'output': '{"a": 3}'},
                     {'state': 'CANCELLED'}):
            with self.subTest(body=body):
                self.assertFault(self.put(ae_id, body), 400,
                                 'Action %s is already completed '
                                 '[state=SUCCESS]' % ae_id)
        got = self.req('GET', '/action_executions/%s' % ae_id).json()
        self.assertEqual('SUCCESS', got['state'])
        self.assertEqual({'result': {'a': 1}}, json.loads(got['output']))


class AdHocInputTest(test_executions.ExecutionTestCase):
    """An ad-hoc action execution records its input with the action's
    declared defaults, run directly or from a task (issue 12.11)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for path, text in (
                ('/actions', "---\nversion: '2.0'\ndflt_echo:\n"
                             "  base: std.echo\n  base-input:\n"
                             "    output: <% $.a %>-<% $.b %>\n"
                             "  input:\n    - a\n    - b: 2\n"),
                ('/workflows', "---\nversion: '2.0'\ndflt_wf:\n  tasks:\n"
                               "    t1:\n      action: dflt_echo\n"
                               "      input:\n        a: xyz\n")):
            r = cls.server.http.post(cls.server.url + path, data=text,
                                     headers={'Content-Type': 'text/plain'})
            assert r.status_code == 201, r.text

    def test_run_action(self):
        for params in ({}, {'save_result': True}):
            with self.subTest(params=params):
                r = self.req('POST', '/action_executions', json={
                    'name': 'dflt_echo', 'input': {'a': 'xyz'},
                    'params': params})
                self.assertEqual(201, r.status_code, r.text)
                self.assertEqual({'a': 'xyz', 'b': 2},
                                 json.loads(r.json()['input']))
        r = self.req('POST', '/action_executions', json={
            'name': 'dflt_echo', 'input': {'a': 'xyz', 'b': 5}})
        self.assertEqual({'a': 'xyz', 'b': 5}, json.loads(r.json()['input']))
        self.assertEqual({'result': 'xyz-5'}, json.loads(r.json()['output']))

    def test_task_action(self):
        ex = self.server.wait(self.server.start('dflt_wf')['id'])
        self.assertEqual('SUCCESS', ex['state'])
        task = self.server.task(ex['id'], 't1')
        aes = self.req('GET', '/tasks/%s/action_executions' % task['id'])
        [ae] = aes.json()['action_executions']
        self.assertEqual({'a': 'xyz', 'b': 2}, json.loads(ae['input']))
