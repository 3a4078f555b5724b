"""Event triggers end to end: a real notification published over RabbitMQ
(fresh vhost) with ``oslo_messaging.Notifier`` starts the workflow of the
matching triggers; triggers created or deleted after start-up are picked
up."""

import json
import time
import unittest

from oslo_config import cfg
import oslo_messaging as messaging
from oslo_messaging import transport as om_transport

from mistral_clone import config
from tests import base
from tests.integration import scheduler_fixtures as fx

WF = """---
version: '2.0'
ev_wf:
  input:
    - a
    - b: 2
  tasks:
    t1:
      action: std.echo output=<% $.a %>
"""


@unittest.skipUnless(fx.rabbit_available(), 'RabbitMQ is not reachable')
class EventTriggersTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.vhost = fx.RabbitVhost().create()
        # Everything in this process, but talking over RabbitMQ.
        config.CONF.set_override('transport_url', cls.vhost.url)
        try:
            cls.server = base.EmbeddedServer()
        except Exception:
            config.CONF.clear_override('transport_url')
            cls.vhost.delete()
            raise
        cls.wf = cls.server.create_workflows(WF)[0]
        task = [t for t in cls.server.launched.scheduler.periodic_tasks
                if t.__name__ == 'event_engine'][0]
        fx.wait_for(lambda: task.state['engine'], 10,
                    message='the event engine to start')
        cls.engine = task.state['engine']
        cls.engine.refresh_interval = 0.5
        cls.engine.refresh_now()
        cls.transports = {}

    @classmethod
    def tearDownClass(cls):
        try:
            for transport in cls.transports.values():
                transport.cleanup()
            cls.server.stop()
        finally:
            config.CONF.clear_override('transport_url')
            cls.vhost.delete()

    def post(self, path, body):
        return self.server.http.post(self.server.url + path, json=body)

    def create_trigger(self, **body):
        r = self.post('/event_triggers', dict(workflow_id=self.wf['id'],
                                              **body))
        self.assertEqual(201, r.status_code, r.text)
        return r.json()

    def wait_listening(self, exchange, topic, present=True):
        self.engine.refresh_now()
        fx.wait_for(lambda: ((exchange, topic) in self.engine.listening)
                    == present, 10, message='listener on %s/%s' % (
                        exchange, topic))

    def publish(self, exchange, topic, event_type, payload, ctxt=None):
        # The exchange of a publisher is its transport's control_exchange:
        # one publisher configuration per exchange, as in real services.
        if exchange not in self.transports:
            conf = cfg.ConfigOpts()
            conf([])
            conf.register_opts(om_transport._transport_opts)
            conf.set_override('control_exchange', exchange)
            self.transports[exchange] = messaging.get_notification_transport(
                conf, url=self.vhost.url)
        notifier = messaging.Notifier(self.transports[exchange],
                                      'compute.host1',
                                      driver='messaging', topics=[topic])
        notifier.info(ctxt or {'project_id': 'p1', 'user_id': 'u1'},
                      event_type, payload)

    def executions(self, trigger_id):
        exs = self.server.http.get(self.server.url + '/executions').json()[
            'executions']
        return [e for e in exs if json.loads(e['description'] or '{}').get(
            'triggered_by', {}).get('id') == trigger_id]

    def test_notification_starts_workflow(self):
        trigger = self.create_trigger(
            name='on_create', exchange='nova_ex', topic='notif',
            event='compute.instance.create.end',
            workflow_input={'a': 'hi'},
            workflow_params={'env': {'k': 'v'}})
        other = self.create_trigger(
            name='on_delete', exchange='nova_ex', topic='notif',
            event='compute.instance.delete.end',
            workflow_input={'a': 'other'})
        self.wait_listening('nova_ex', 'notif')
        self.publish('nova_ex', 'notif', 'compute.instance.create.end',
                     {'instance_id': 'i-1'})
        ex = fx.wait_for(lambda: self.executions(trigger['id']), 15,
                         message='the triggered execution')[0]
        ex = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', ex['state'])
        self.assertEqual({'a': 'hi', 'b': 2}, json.loads(ex['input']))
        params = json.loads(ex['params'])
        self.assertEqual({'k': 'v'}, params['env'])
        event_params = params['event_params']
        self.assertEqual({'service', 'project_id', 'user_id', 'timestamp'},
                         set(event_params))
        self.assertEqual('compute.host1', event_params['service'])
        self.assertTrue(event_params['timestamp'])
        self.assertEqual({
            'description': "Workflow execution created by event trigger "
                           "'(%s)'." % trigger['id'],
            'triggered_by': {'type': 'event_trigger', 'id': trigger['id'],
                             'name': 'on_create'}},
            json.loads(ex['description']))
        # Another event type on the same topic: only its own trigger.
        time.sleep(0.5)
        self.assertEqual([], self.executions(other['id']))
        self.assertEqual(1, len(self.executions(trigger['id'])))
        for t in (trigger, other):
            self.server.http.delete(self.server.url + '/event_triggers/%s'
                                    % t['id'])
        self.wait_listening('nova_ex', 'notif', present=False)

    def test_triggers_added_and_deleted_after_start(self):
        first = self.create_trigger(
            name='late', exchange='heat_ex', topic='events',
            event='stack.update', workflow_input={'a': 'late'})
        self.wait_listening('heat_ex', 'events')
        self.publish('heat_ex', 'events', 'stack.update', {})
        fx.wait_for(lambda: self.executions(first['id']), 15,
                    message='the execution of the new trigger')
        # Deleted: a later notification starts nothing.
        r = self.server.http.delete(self.server.url + '/event_triggers/%s'
                                    % first['id'])
        self.assertEqual(204, r.status_code)
        second = self.create_trigger(
            name='still', exchange='heat_ex', topic='events',
            event='stack.delete', workflow_input={'a': 'still'})
        self.publish('heat_ex', 'events', 'stack.update', {})
        self.publish('heat_ex', 'events', 'stack.delete', {})
        fx.wait_for(lambda: self.executions(second['id']), 15,
                    message='the execution of the second trigger')
        self.assertEqual(1, len(self.executions(first['id'])))
        self.server.http.delete(self.server.url + '/event_triggers/%s'
                                % second['id'])
