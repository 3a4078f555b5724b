"""RPC clients of the engine and executor services.

Two transports, one interface:

* **in-process** (embedded default, no ``transport_url``): calls go straight
  to the service objects living in this process;
* **oslo.messaging** (production): ``call`` for requests that need an answer
  (the API starting a workflow), ``cast`` for fire-and-forget work (actions
  to executors, jobs to engines). Exceptions from ``mistral_clone.exceptions``
  cross the wire and are re-raised with their type and message.
"""

import logging

LOG = logging.getLogger(__name__)

_engine_client = None
_executor_client = None

ENGINE_METHODS = (
    'start_workflow', 'pause_workflow', 'resume_workflow', 'stop_workflow',
    'update_workflow_env', 'rerun_task', 'skip_task', 'start_action',
    'complete_action', 'update_action_state', 'on_action_complete',
    'run_job',
)
# Methods whose answer nobody waits for.
ENGINE_CASTS = ('run_job',)


def set_engine_client(client):
    global _engine_client
    _engine_client = client


def set_executor_client(client):
    global _executor_client
    _executor_client = client


def get_engine_client():
    if _engine_client is None:
        raise RuntimeError('No engine client configured')
    return _engine_client


def get_executor_client():
    if _executor_client is None:
        raise RuntimeError('No executor client configured')
    return _executor_client


def reset():
    set_engine_client(None)
    set_executor_client(None)


class LocalEngineClient:
    """Direct calls into an Engine living in this process."""

    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        if name in ENGINE_METHODS:
            return getattr(self._engine, name)
        raise AttributeError(name)


class LocalExecutorClient:
    def __init__(self, executor):
        self._executor = executor

    def run_action(self, runnable):
        self._executor.run_action(runnable)


class RemoteEngineClient:
    """oslo.messaging client of the engine topic."""

    def __init__(self, transport, topic, timeout=60):
        import oslo_messaging as messaging
        self._client = messaging.get_rpc_client(
            transport, messaging.Target(topic=topic, version='1.0'),
            timeout=timeout)

    def __getattr__(self, name):
        if name not in ENGINE_METHODS:
            raise AttributeError(name)
        client = self._client

        def invoke(*args, **kwargs):
            if args:
                raise TypeError('RPC methods take keyword arguments only')
            if name in ENGINE_CASTS:
                client.cast({}, name, **kwargs)
                return None
            return client.call({}, name, **kwargs)
        return invoke

    # Positional-argument convenience used by in-process callers.
    def on_action_complete(self, action_ex_id, result):
        return self._client.call({}, 'on_action_complete',
                                 action_ex_id=action_ex_id, result=result)

    def run_job(self, job_id):
        self._client.cast({}, 'run_job', job_id=job_id)


class RemoteExecutorClient:
    """Casts actions to the executor topic (optionally to one named
    executor, for ``target:``)."""

    def __init__(self, transport, topic):
        import oslo_messaging as messaging
        self._messaging = messaging
        self._topic = topic
        self._client = messaging.get_rpc_client(
            transport, messaging.Target(topic=topic, version='1.0'))

    def run_action(self, runnable):
        target = runnable.get('target')
        client = self._client
        if target:
            client = client.prepare(server=target)
        client.cast({}, 'run_action', runnable=runnable)
