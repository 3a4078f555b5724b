"""/v2/environments, /v2/cron_triggers, /v2/event_triggers, and request
validation of the engine-backed endpoints (no engine needed)."""

import json

from tests.api import base
from tests.api.base import unique


class EnvironmentTest(base.ApiTestCase):

    def test_crud(self):
        name = unique('env')
        env = self.assertStatus(self.post_json('/environments', {
            'name': name, 'variables': {'k': 'v'}}), 201)
        self.assertEqual({'id', 'name', 'variables', 'scope', 'project_id',
                          'created_at'}, set(env))
        self.assertEqual({'k': 'v'}, json.loads(env['variables']))
        got = self.assertStatus(self.get('/environments/%s' % name), 200)
        self.assertIsNone(got['updated_at'])
        self.assertIsNone(got['description'])
        upd = self.assertStatus(self.put_json('/environments', {
            'name': name, 'description': 'd2'}), 200)
        self.assertEqual({'k': 'v'}, json.loads(upd['variables']))
        self.assertEqual('d2', upd['description'])
        self.assertIn(name, [e['name'] for e in
                             self.get('/environments').json()[
                                 'environments']])
        self.assertFault(
            self.post_json('/environments', {'name': name}), 409,
            "Duplicate entry for Environment ['name', 'project_id']: "
            "%s, None" % name)
        self.assertStatus(self.delete('/environments/%s' % name), 204)
        self.assertFault(self.get('/environments/%s' % name), 404,
                         'Environment not found [name=%s]' % name)

    def test_bad_bodies(self):
        self.assertFault(self.post_json('/environments', {'name': 'x',
                                                          'bogus': 1}),
                         400, 'Unknown attribute for argument env: bogus')
        self.assertFault(self.post_json('/environments', {
            'name': 'x', 'id': 'y'}), 400, contains='Only: [')
        self.assertFault(self.put_json('/environments', {'description': 'd'}),
                         400, 'Name of the environment is not provided.')
        # Issue 12.12: JSON values must be objects, or JSON text of one.
        for variables, why in (
                ([1], 'the JSON object must be str, bytes or bytearray, '
                      'not list'),
                (5, 'the JSON object must be str, bytes or bytearray, not '
                    'int'),
                (True, 'the JSON object must be str, bytes or bytearray, '
                       'not bool'),
                ('x', 'Expecting value: line 1 column 1 (char 0)'),
                ('', 'Expecting value: line 1 column 1 (char 0)')):
            with self.subTest(variables=variables):
                self.assertFault(self.post_json('/environments', {
                    'name': 'x', 'variables': variables}), 400,
                    "Invalid input for field/attribute env. Value: '%r'. %s"
                    % ({'name': 'x', 'variables': variables}, why))
        self.assertFault(self.post_json('/environments', {
            'name': 'x', 'variables': '[1]'}), 400,
            'JsonType field value must be a dictionary [actual=[1]]')
        self.assertFault(self.get('/environments/x'), 404,
                         'Environment not found [name=x]')

    def test_pyclient(self):
        c = self.client()
        name = unique('pye')
        env = c.environments.create(name=name, variables={'a': 1})
        self.assertEqual({'a': 1}, env.variables)
        self.assertEqual('dd', c.environments.update(
            name=name, description='dd').description)
        c.environments.delete(name)


class CronTriggerTest(base.ApiTestCase):

    def setUp(self):
        self.wf_name, self.wf = self.mk_wf(extra='  input:\n    - a: 1\n')

    def test_crud(self):
        name = unique('ct')
        ct = self.assertStatus(self.post_json('/cron_triggers', {
            'name': name, 'workflow_name': self.wf_name,
            'pattern': '0 0 1 1 *', 'workflow_input': {'a': 2},
            'remaining_executions': 3}), 201)
        self.assertEqual('{"a": 2}', ct['workflow_input'])
        self.assertEqual('{}', ct['workflow_params'])
        self.assertTrue(ct['next_execution_time'].endswith(
            '-01-01 00:00:00'))
        self.assertNotIn('updated_at', ct)
        self.assertEqual(ct['id'], self.get('/cron_triggers/%s' % name)
                         .json()['id'])
        self.assertEqual(name, self.get('/cron_triggers/%s' % ct['id'])
                         .json()['name'])
        body = self.get('/cron_triggers?fields=name,pattern&name=%s'
                        % name).json()
        self.assertEqual([{'id': ct['id'], 'name': name,
                           'pattern': '0 0 1 1 *'}], body['cron_triggers'])
        self.assertFault(
            self.post_json('/cron_triggers', {
                'name': name, 'workflow_name': self.wf_name,
                'pattern': '0 0 1 1 *'}), 409,
            "Duplicate entry for cron trigger ['name', 'project_id']: "
            "%s, None" % name)
        self.assertStatus(self.delete('/cron_triggers/%s' % name), 204)
        self.assertFault(self.get('/cron_triggers/%s' % name), 404,
                         'Cron trigger not found [identifier=%s]' % name)

    def test_first_execution_time_only(self):
        ct = self.assertStatus(self.post_json('/cron_triggers', {
            'name': unique('ct'), 'workflow_id': self.wf['id'],
            'first_execution_time': '2099-01-01 00:00'}), 201)
        self.assertEqual('0 0 30 2 0', ct['pattern'])
        self.assertEqual(1, ct['remaining_executions'])
        self.assertEqual('2099-01-01 00:00:00', ct['next_execution_time'])
        self.delete('/cron_triggers/%s' % ct['id'])

    def test_errors(self):
        wf = self.wf_name
        cases = [
            ({'workflow_name': wf, 'pattern': '* * * * *'},
             'Name of the cron trigger is not provided.'),
            ({'name': 'c', 'workflow_name': wf},
             'Pattern or first_execution_time must be specified.'),
            ({'name': 'c', 'workflow_name': wf, 'pattern': '* * *'},
             'The specified pattern is not valid: * * *'),
            ({'name': 'c', 'workflow_name': wf,
              'first_execution_time': '2000-01-01 00:00'},
             'first_execution_time must be at least 1 minute in the '
             'future.'),
            ({'name': 'c', 'workflow_name': wf,
              'first_execution_time': '2099-01-01 00:00',
              'remaining_executions': 2},
             'Pattern must be provided if count is superior to 1.'),
            ({'name': 'c', 'workflow_name': wf, 'pattern': '* * * * *',
              'remaining_executions': 0},
             "Invalid input for field/attribute remaining_executions. "
             "Value: '0'. Value should be greater or equal to 1"),
            ({'name': 'c', 'workflow_name': wf, 'pattern': '* * * * *',
              'workflow_input': {'zz': 1}},
             'Invalid input [name=%s, class=DirectWorkflowSpec, '
             "unexpected=['zz']]" % wf),
            ({'name': 'c', 'workflow_name': 'nope', 'pattern': '* * * * *'},
             'Workflow not found [workflow_identifier=nope, namespace=]'),
        ]
        for body, msg in cases:
            with self.subTest(body=body):
                r = self.post_json('/cron_triggers', body)
                self.assertFault(r, 404 if 'not found' in msg else 400, msg)
        self.assertEqual([], self.get('/cron_triggers?name=c').json()[
            'cron_triggers'])


class EventTriggerTest(base.ApiTestCase):

    def test_crud(self):
        wf_name, wf = self.mk_wf(extra='  input: [a]\n')
        et = self.assertStatus(self.post_json('/event_triggers', {
            'name': 'n', 'workflow_id': wf['id'], 'exchange': 'nova',
            'topic': 'notifications', 'event': unique('ev'),
            'workflow_input': {'a': 1}}), 201)
        self.assertEqual('{"a": 1}', et['workflow_input'])
        self.assertIsNone(et['updated_at'])
        self.assertEqual(et, self.get('/event_triggers/%s' % et['id'])
                         .json())
        upd = self.assertStatus(self.put_json(
            '/event_triggers/%s' % et['id'], {'name': 'renamed'}), 200)
        self.assertEqual('renamed', upd['name'])
        self.assertFault(
            self.put_json('/event_triggers/%s' % et['id'], {'topic': 'x'}),
            400, "Can not update fields ['exchange', 'topic', 'event'] of "
                 "event trigger.")
        self.assertStatus(self.delete('/event_triggers/%s' % et['id']), 204)
        self.assertFault(
            self.get('/event_triggers/%s' % et['id']), 404,
            'Event trigger not found [id=%s].' % et['id'])

    def test_missing_params(self):
        self.assertFault(self.post_json('/event_triggers', {'name': 'x'}),
                         400, contains='must be provided for creating event '
                                       'trigger.')


class EngineEndpointsInputTest(base.ApiTestCase):
    """Bad input is refused before any engine call."""

    def test_execution_bodies(self):
        self.assertFault(self.post_json('/executions', [1, 2]), 400,
                         contains='a JSON object is expected')
        self.assertFault(self.post_json('/executions', {'bogus_field': 1}),
                         400, 'Unknown attribute for argument wf_ex: '
                              'bogus_field')
        self.assertFault(self.post_json('/executions', {
            'workflow_name': 'x', 'input': '[1, 2]'}), 400,
            'JsonType field value must be a dictionary [actual=[1, 2]]')
        self.assertFault(self.post_json('/executions', {
            'workflow_name': 'x', 'input': 'notjson'}), 400,
            contains='Invalid input for field/attribute wf_ex.')
        self.assertFault(self.post_json('/executions', {}), 400)

    def test_unknown_ids(self):
        uid = '11111111-1111-1111-1111-111111111111'
        self.assertFault(self.get('/executions/%s' % uid), 404,
                         'WorkflowExecution not found [id=%s]' % uid)
        self.assertFault(self.get('/executions/notauuid'), 404,
                         'WorkflowExecution not found [id=notauuid]')
        self.assertFault(self.get('/tasks/%s' % uid), 404,
                         'Task execution not found [id=%s]' % uid)
        self.assertFault(self.get('/action_executions/%s' % uid), 404,
                         'ActionExecution not found [id=%s]' % uid)
        # The execution is looked up before the body is judged.
        self.assertFault(self.put_json('/executions/%s' % uid, {}), 404,
                         'WorkflowExecution not found [id=%s]' % uid)
        self.assertFault(self.delete('/action_executions/%s' % uid), 403,
                         'Action execution deletion is not allowed.')
        self.assertFault(self.get('/executions/%s/executions' % uid), 404)

    def test_lists(self):
        for col in ('executions', 'tasks', 'action_executions'):
            with self.subTest(col=col):
                body = self.assertStatus(self.get('/%s' % col), 200)
                self.assertEqual([], body[col])
        self.assertFault(self.get('/executions?nulls=bogus'), 400)
        self.assertFault(self.get('/executions?fields=bogus'), 400,
                         contains='Some fields do not exist  [bogus]')
        self.assertFault(self.get('/executions/x?fields=bogus'), 400,
                         "Field 'bogus' does not exist.")
