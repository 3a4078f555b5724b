"""The event engine: event triggers fired by oslo.messaging notifications
(lifecycle.md §9).

It runs inside the scheduler service, and only when ``[DEFAULT]
transport_url`` is set (the embedded mode has no broker to listen to). One
notification listener per distinct (exchange, topic) of the stored event
triggers, each in its own pool ``<listener_pool_name>.<exchange>.<topic>``;
a background thread re-reads the triggers every
``refresh_interval`` seconds, starting listeners for new pairs and stopping
those no trigger uses any more. Listeners of several schedulers share
their pool's queue, so each notification is delivered to one of them only
(and the pool's own queue leaves other consumers of the topic alone).

A notification whose ``event_type`` equals a trigger's ``event`` starts the
trigger's workflow, once per matching trigger. The triggers are looked up
in the database when the notification arrives (never from a cache), so a
trigger deleted a moment ago does not fire.
"""

import fnmatch
import json
import logging
import threading

import sqlalchemy as sa

from mistral_clone import periodic
from mistral_clone.db import api as db_api
from mistral_clone.db import models

LOG = logging.getLogger(__name__)

DEFAULT_PROPERTIES = {
    'service': '<% $.publisher %>',
    'project_id': '<% $.context.project_id %>',
    'user_id': '<% $.context.user_id %>',
    'timestamp': '<% $.timestamp %>',
}

PRIORITIES = ('audit', 'critical', 'debug', 'info', 'error', 'sample',
              'warn')


# --- pure parts ------------------------------------------------------------------

def load_event_definitions(path):
    """``[{event_types: [glob, ...], properties: {...}}, ...]`` from YAML."""
    if not path:
        return []
    import yaml
    with open(path) as f:
        data = yaml.safe_load(f) or []
    if not isinstance(data, list):
        raise ValueError('%s: a list of event definitions is expected'
                         % path)
    for item in data:
        types = item.get('event_types')
        if isinstance(types, str):
            item['event_types'] = [types]
    return data


def event_params(definitions, notification):
    """Convert a notification: the last definition whose ``event_types``
    glob matches wins; the default properties otherwise."""
    from mistral_clone import expressions
    properties = DEFAULT_PROPERTIES
    for definition in definitions:
        if any(fnmatch.fnmatch(notification['event_type'], glob)
               for glob in definition.get('event_types') or ()):
            properties = definition.get('properties') or {}
    out = {}
    for key, expression in properties.items():
        # A property the notification cannot give is null, not an error.
        try:
            out[key] = expressions.evaluate_recursively(expression,
                                                        notification)
        except Exception as e:
            LOG.debug('Event property %s: %s', key, e)
            out[key] = None
    return out


def description(trigger):
    return json.dumps({
        'description': "Workflow execution created by event trigger "
                       "'(%s)'." % trigger.id,
        'triggered_by': {'type': 'event_trigger', 'id': trigger.id,
                         'name': trigger.name},
    })


# --- the engine ------------------------------------------------------------------

class EventEngine:

    def __init__(self, conf, engine_client, refresh_interval=2.0,
                 transport=None):
        self.conf = conf
        self.engine_client = engine_client
        self.refresh_interval = refresh_interval
        self.pool = conf.event_engine.listener_pool_name
        self.auth_enabled = conf.pecan.auth_enable
        self.definitions = load_event_definitions(
            conf.event_engine.event_definitions_cfg_file)
        self._transport = transport
        self._listeners = {}          # (exchange, topic) -> listener
        self._lock = threading.Lock()
        self._loop = periodic.Periodic(self.refresh, refresh_interval,
                                       'event-engine', run_first=True)

    # lifecycle

    def start(self):
        self._loop.start()

    def stop(self):
        self._loop.stop(timeout=10)
        with self._lock:
            listeners, self._listeners = self._listeners, {}
        for listener in listeners.values():
            self._stop_listener(listener)

    def refresh_now(self):
        """Re-read the triggers at once (e.g. right after a change)."""
        self._loop.wake()

    @property
    def listening(self):
        with self._lock:
            return set(self._listeners)

    def refresh(self):
        with db_api.session() as s:
            wanted = set(s.execute(sa.select(
                models.EventTrigger.exchange,
                models.EventTrigger.topic).distinct()).all())
        wanted = {tuple(pair) for pair in wanted}
        with self._lock:
            current = set(self._listeners)
        for key in sorted(current - wanted):
            with self._lock:
                listener = self._listeners.pop(key, None)
            if listener is not None:
                LOG.info('Event engine stops listening on %s/%s', *key)
                self._stop_listener(listener)
        for key in sorted(wanted - current):
            if self._loop.stopped:
                return
            listener = self._start_listener(*key)
            with self._lock:
                self._listeners[key] = listener

    # oslo.messaging

    def _get_transport(self):
        if self._transport is None:
            import oslo_messaging as messaging
            from mistral_clone.rpc import servers
            # oslo.messaging's options clash with ours on our ConfigOpts:
            # it gets its own, over the same files (as the RPC transport).
            self._transport = messaging.get_notification_transport(
                servers.messaging_conf(self.conf),
                url=self.conf.transport_url)
        return self._transport

    def _start_listener(self, exchange, topic):
        import oslo_messaging as messaging
        LOG.info('Event engine listens on %s/%s', exchange, topic)
        # The rabbit driver names a pool's queue after the pool alone: one
        # pool per (exchange, topic), or the listeners of different pairs
        # would share a queue and take each other's notifications.
        pool = '%s.%s.%s' % (self.pool, exchange, topic)
        listener = messaging.get_notification_listener(
            self._get_transport(),
            [messaging.Target(exchange=exchange, topic=topic)],
            [_Endpoint(self, exchange, topic)],
            executor='threading', pool=pool)
        listener.start()
        return listener

    @staticmethod
    def _stop_listener(listener):
        try:
            listener.stop()
            listener.wait()
        except Exception:
            LOG.debug('Notification listener stop failed', exc_info=True)

    # notifications

    def on_notification(self, exchange, topic, ctxt, publisher_id,
                        event_type, payload, metadata):
        """Start the workflow of every matching trigger; count started."""
        ctxt = dict(ctxt or {})
        for key in ('project_id', 'user_id'):
            ctxt.setdefault(key, None)
        notification = {
            'event_type': event_type,
            'payload': payload,
            'publisher': publisher_id,
            'timestamp': (metadata or {}).get('timestamp'),
            'message_id': (metadata or {}).get('message_id'),
            'context': ctxt,
        }
        triggers = self._matching_triggers(exchange, topic, event_type,
                                           ctxt)
        if not triggers:
            return 0
        params_of_event = event_params(self.definitions, notification)
        started = 0
        for trigger in triggers:
            params = dict(trigger.workflow_params or {})
            params['event_params'] = params_of_event
            try:
                self.engine_client.start_workflow(
                    workflow_identifier=trigger.workflow_id,
                    input=trigger.workflow_input or {},
                    params=params,
                    description=description(trigger),
                    project_id=trigger.project_id)
                started += 1
            except Exception:
                LOG.exception('Event trigger %s failed to start its '
                              'workflow', trigger.id)
        return started

    def _matching_triggers(self, exchange, topic, event_type, ctxt):
        M = models.EventTrigger
        q = (sa.select(M).where(M.exchange == exchange, M.topic == topic,
                                M.event == event_type)
             .order_by(M.created_at))
        if self.auth_enabled:
            project = ctxt.get('project_id') or ctxt.get('project') or \
                ctxt.get('tenant')
            q = q.where(sa.or_(M.project_id == project,
                               M.scope == 'public'))
        with db_api.session() as s:
            rows = s.execute(q).scalars().all()
            for row in rows:
                s.expunge(row)
        return rows


class _Endpoint:
    """Receives every priority of one (exchange, topic)."""

    def __init__(self, engine, exchange, topic):
        self._engine = engine
        self._exchange = exchange
        self._topic = topic
        for priority in PRIORITIES:
            setattr(self, priority, self._handle)

    def _handle(self, ctxt, publisher_id, event_type, payload, metadata):
        try:
            self._engine.on_notification(self._exchange, self._topic, ctxt,
                                         publisher_id, event_type, payload,
                                         metadata)
        except Exception:
            LOG.exception('Notification %s could not be processed',
                          event_type)
        # Handled either way: a poisonous message must not loop forever.
        return None


def make_periodic(conf, engine_client, refresh_interval=2.0):
    """A scheduler periodic task that starts the event engine on its first
    call (the engine then runs in its own threads: listener start-up and
    broker outages must not hold up delayed jobs) and stops it with the
    scheduler (``stop`` attribute)."""
    state = {'engine': None, 'stopped': False}
    lock = threading.Lock()

    def periodic():
        with lock:
            if state['engine'] is not None or state['stopped']:
                return
            engine = EventEngine(conf, engine_client,
                                 refresh_interval=refresh_interval)
            state['engine'] = engine
        engine.start()
        with lock:
            late = state['stopped']
        if late:  # stopped while starting: do not leave it running
            engine.stop()

    def stop():
        with lock:
            state['stopped'] = True
            engine, state['engine'] = state['engine'], None
        if engine is not None:
            engine.stop()

    periodic.__name__ = 'event_engine'
    periodic.stop = stop
    periodic.state = state
    return periodic
