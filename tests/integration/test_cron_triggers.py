"""Cron and event trigger behaviours checked against the reference Mistral
23.0.0 (embedded server, SQLite): creation rules and messages, firing with
a seconds pattern, first-time-only triggers, workflow deletion."""

import datetime
import json
import time

from mistral_clone.scheduler import cron
from tests import base

WF = """---
version: '2.0'
ct_wf:
  input:
    - a
    - b: 2
  tasks:
    t1:
      action: std.noop
"""


class Recorder:
    def __init__(self):
        self.calls = []

    def start_workflow(self, **kw):
        self.calls.append(kw)


class CronTriggersTest(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wf = cls.server.create_workflows(WF)[0]

    def post(self, path, body):
        return self.server.http.post(self.server.url + path, json=body)

    def delete(self, path):
        return self.server.http.delete(self.server.url + path)

    def fault(self, r, status, message):
        self.assertEqual(status, r.status_code, r.text)
        self.assertEqual(message, r.json()['faultstring'])

    def test_creation_rules_as_the_reference(self):
        wf = 'ct_wf'
        ok = {'workflow_name': wf, 'workflow_input': {'a': 1}}
        soon = (datetime.datetime.utcnow() + datetime.timedelta(seconds=30)
                ).strftime('%Y-%m-%d %H:%M')
        cases = [
            (dict(ok, name='c', pattern='0 0 31 2 *'), 400,
             'The specified pattern is not valid: 0 0 31 2 *'),  # ref: 500
            (dict(ok, name='c', pattern='61 * * * *'), 400,
             'The specified pattern is not valid: 61 * * * *'),
            (dict(ok, name='c', pattern=''), 400,
             'Pattern or first_execution_time must be specified.'),
            (dict(ok, name='c', first_execution_time=soon), 400,
             'first_execution_time must be at least 1 minute in the '
             'future.'),
            (dict(ok, name='c', first_execution_time='2099-01-01T00:00'),
             400, "time data '2099-01-01T00:00' does not match format "
                  "'%Y-%m-%d %H:%M'"),
            (dict(ok, name='c', first_execution_time='2099-01-01 00:00:00'),
             400, 'unconverted data remains: :00'),
            (dict(ok, name='c', pattern='* * * * *',
                  remaining_executions=-1), 400,
             "Invalid input for field/attribute remaining_executions. "
             "Value: '-1'. Value should be greater or equal to 1"),
            (dict(ok, name='c', pattern='* * * * *', scope='bogus'), 400,
             "Invalid input for field/attribute scope. Value: 'bogus'. "
             "Value should be one of: private, public"),
            ({'name': 'c', 'workflow_id':
              '11111111-1111-1111-1111-111111111111', 'pattern': '@daily'},
             404, 'Workflow not found [workflow_identifier='
                  '11111111-1111-1111-1111-111111111111, namespace=]'),
            ({'name': 'c', 'workflow_name': wf, 'pattern': '@daily'}, 400,
             "Invalid input [name=ct_wf, class=DirectWorkflowSpec, "
             "missing=['a']]"),
        ]
        for body, status, message in cases:
            with self.subTest(body=body):
                self.fault(self.post('/cron_triggers', body), status,
                           message)
        # Seconds (6th field) and year (7th) are croniter's, accepted.
        for name, pattern in (('six', '* * * * * */1'),
                              ('seven', '* * * * * * *')):
            r = self.post('/cron_triggers', dict(ok, name=name,
                                                 pattern=pattern))
            self.assertEqual(201, r.status_code, r.text)
            self.delete('/cron_triggers/%s' % name)
        # Identical count + first time (+ workflow, pattern, input with
        # keys in any order, params) → 409 naming the new trigger.
        same = dict(ok, pattern='0 0 1 1 *', remaining_executions=2,
                    first_execution_time='2099-01-01 00:00',
                    workflow_input={'a': 1, 'b': 3})
        self.assertEqual(201, self.post('/cron_triggers',
                                        dict(same, name='d1')).status_code)
        self.fault(self.post('/cron_triggers', dict(
            same, name='d2', workflow_input={'b': 3, 'a': 1})), 409,
            "Duplicate entry for cron trigger ['name', 'project_id']: d2, "
            "None")
        # Without a count (NULL) there is no clash.
        for name in ('n1', 'n2'):
            self.assertEqual(201, self.post('/cron_triggers', dict(
                same, name=name, remaining_executions=None)).status_code)
        r = self.server.http.delete(self.server.url + '/workflows/ct_wf')
        self.assertEqual(400, r.status_code)
        self.assertIn("Can't delete workflow that has cron triggers "
                      "associated. [workflow_identifier=ct_wf, namespace=]",
                      r.json()['faultstring'])
        for name in ('d1', 'n1', 'n2'):
            self.assertEqual(204, self.delete('/cron_triggers/%s'
                                              % name).status_code)

    def test_seconds_pattern_counts_down_and_is_deleted(self):
        r = self.post('/cron_triggers', {
            'name': 'fast', 'workflow_name': 'ct_wf',
            'workflow_input': {'a': 7}, 'workflow_params': {'env': {'e': 1}},
            'pattern': '* * * * * */1', 'remaining_executions': 3})
        self.assertEqual(201, r.status_code, r.text)
        ct = r.json()
        self.assertEqual(3, ct['remaining_executions'])
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.server.http.get(self.server.url + '/cron_triggers/fast'
                                    ).status_code == 404:
                break
            time.sleep(0.1)
        else:
            self.fail('the trigger was not deleted')
        time.sleep(1.5)
        exs = [e for e in self.server.http.get(
            self.server.url + '/executions').json()['executions']
            if ct['id'] in (e['description'] or '')]
        self.assertEqual(3, len(exs))
        ex = self.server.wait(exs[0]['id'])
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual({'a': 7, 'b': 2}, json.loads(ex['input']))
        self.assertEqual({'env': {'e': 1}, 'namespace': ''},
                         json.loads(ex['params']))
        self.assertEqual({
            'description': "Workflow execution created by cron trigger "
                           "'(%s)'." % ct['id'],
            'triggered_by': {'type': 'cron_trigger', 'id': ct['id']}},
            json.loads(ex['description']))

    def test_first_execution_time_only_runs_once(self):
        r = self.post('/cron_triggers', {
            'name': 'once', 'workflow_name': 'ct_wf',
            'workflow_input': {'a': 1},
            'first_execution_time': '2098-06-01 12:00'})
        ct = r.json()
        self.assertEqual(('0 0 30 2 0', 1, '2098-06-01 12:00:00'),
                         (ct['pattern'], ct['remaining_executions'],
                          ct['next_execution_time']))
        rec = Recorder()
        at = datetime.datetime(2098, 6, 1, 11, 59, 57)
        self.assertEqual(0, cron.process_cron_triggers(rec, now=at))
        at += datetime.timedelta(seconds=1, microseconds=1)
        self.assertEqual(1, cron.process_cron_triggers(rec, now=at))
        for days in (1, 300, 3000):
            self.assertEqual(0, cron.process_cron_triggers(
                rec, now=at + datetime.timedelta(days=days)))
        self.assertEqual(404, self.server.http.get(
            self.server.url + '/cron_triggers/once').status_code)
        self.assertEqual(1, len(rec.calls))


class EventTriggerWireTest(base.ServerTestCase):
    """Event trigger CRUD details checked against the reference."""

    def test_reference_messages(self):
        wf = self.server.create_workflows(WF.replace('ct_wf', 'et_wf'))[0]
        http, url = self.server.http, self.server.url
        base_body = {'workflow_id': wf['id'], 'exchange': 'ex', 'topic': 't',
                     'event': 'e', 'workflow_input': {'a': 1}}
        r = http.post(url + '/event_triggers', json=base_body)
        self.assertEqual(201, r.status_code, r.text)
        et = r.json()
        self.assertEqual('', et['name'])
        r = http.post(url + '/event_triggers', json=dict(base_body, name='x'))
        self.assertEqual(409, r.status_code)
        self.assertEqual(
            "Duplicate entry for EventTrigger ['exchange', 'topic', "
            "'event', 'workflow_id', 'project_id']: ex, t, e, %s, None"
            % wf['id'], r.json()['faultstring'])
        for body, status, message in (
                (dict(base_body, workflow_id='et_wf', event='e2'), 400,
                 'Expected a uuid but received et_wf.'),
                (dict(base_body, event='e3', workflow_id=
                      '11111111-1111-1111-1111-111111111111'), 404,
                 'Workflow not found [workflow_id='
                 '11111111-1111-1111-1111-111111111111]'),
                (dict(base_body, event='e4', scope='bogus'), 400,
                 "Invalid input for field/attribute scope. Value: 'bogus'. "
                 "Value should be one of: private, public")):
            r = http.post(url + '/event_triggers', json=body)
            self.assertEqual((status, message),
                             (r.status_code, r.json()['faultstring']))
        for method in ('GET', 'PUT', 'DELETE'):
            r = http.request(method, url + '/event_triggers/nope',
                             json={'name': 'n'} if method == 'PUT' else None)
            self.assertEqual(400, r.status_code)
            self.assertEqual(
                "Invalid input for field/attribute id. Value: 'nope'. "
                "unable to convert to uuid. Error: Expected a uuid but "
                "received nope.", r.json()['faultstring'])
        r = http.delete(url + '/workflows/et_wf')
        self.assertEqual(
            "Can't delete workflow that has event triggers associated. "
            "[workflow_identifier=et_wf], [event_trigger_id(s)=%s]"
            % et['id'], r.json()['faultstring'])
        http.delete(url + '/event_triggers/%s' % et['id'])
        self.assertEqual(204, http.delete(url + '/workflows/et_wf')
                         .status_code)
