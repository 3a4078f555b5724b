"""RPC clients of the engine and executor services.

Two transports, one interface:

* **in-process** (embedded default, no ``transport_url``): calls go straight
  to the service objects living in this process;
* **oslo.messaging** (production): ``call`` for requests that need an answer
  (the API starting a workflow, an executor reporting a result), ``cast``
  for fire-and-forget work (actions to executors, jobs to engines).
  Exceptions from ``mistral_clone.exceptions`` cross the wire and are
  re-raised with their type and message (:func:`translate_remote_error`).

Calls that are safe to repeat are retried against the topic (so another
engine answers) when no engine replied in time: an engine may have died
after receiving the message, and oslo.messaging acknowledges messages on
receipt. ``start_workflow`` is made repeatable by choosing the execution id
here, ``on_action_complete`` is idempotent in the engine.
"""

import inspect
import logging
import random
import time
import uuid

LOG = logging.getLogger(__name__)

_engine_client = None
_executor_client = None

ENGINE_METHODS = (
    'start_workflow', 'pause_workflow', 'resume_workflow', 'stop_workflow',
    'update_workflow_env', 'rerun_task', 'skip_task', 'start_action',
    'complete_action', 'update_action_state', 'on_action_complete',
    'run_job',
    # crash recovery (engine/recovery.py)
    'report_running_actions', 'recover_action',
)
# Methods whose answer nobody waits for.
ENGINE_CASTS = ('run_job', 'report_running_actions')
# Methods repeated (against any engine) when no answer arrived in time.
ENGINE_RETRIED_CALLS = ('start_workflow', 'on_action_complete')

EXECUTOR_METHODS = ('run_action',)


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


# --- oslo.messaging --------------------------------------------------------------

_signatures = {}


def _bind(name, args, kwargs):
    """Positional + keyword arguments → keyword arguments of Engine.name
    (RPC messages carry keyword arguments only)."""
    if not args and name not in ('start_workflow',):
        return dict(kwargs)
    sig = _signatures.get(name)
    if sig is None:
        from mistral_clone.engine.service import Engine
        sig = _signatures[name] = inspect.signature(getattr(Engine, name))
    bound = sig.bind(None, *args, **kwargs)
    result = {}
    for pname, value in list(bound.arguments.items())[1:]:
        if sig.parameters[pname].kind is inspect.Parameter.VAR_KEYWORD:
            result.update(value)
        else:
            result[pname] = value
    return result


def translate_remote_error(e):
    """An oslo.messaging RemoteError naming one of our exceptions → that
    exception (the ones whose constructor oslo could not call itself)."""
    import oslo_messaging as messaging
    from mistral_clone import exceptions as exc
    if isinstance(e, messaging.RemoteError):
        cls = getattr(exc, e.exc_type or '', None)
        if isinstance(cls, type) and issubclass(cls, exc.MistralCloneError):
            new = cls.__new__(cls)
            message = (e.value or '').split('\nTraceback', 1)[0]
            new.message = message
            Exception.__init__(new, message)
            return new
    return e


class RemoteEngineClient:
    """oslo.messaging client of the engine topic."""

    def __init__(self, transport, topic, timeout=None, retry_for=600):
        import oslo_messaging as messaging
        self._messaging = messaging
        self._client = messaging.get_rpc_client(
            transport, messaging.Target(topic=topic, version='1.0'),
            timeout=timeout)
        # Total seconds repeatable calls are retried for.
        self.retry_for = retry_for

    def __getattr__(self, name):
        if name not in ENGINE_METHODS:
            raise AttributeError(name)

        def invoke(*args, **kwargs):
            return self._invoke(name, _bind(name, args, kwargs))
        invoke.__name__ = name
        return invoke

    def _invoke(self, name, kwargs):
        if name in ENGINE_CASTS:
            self._client.cast({}, name, **kwargs)
            return None
        if name not in ENGINE_RETRIED_CALLS:
            return self._call(name, kwargs)
        if name == 'start_workflow' and not kwargs.get('execution_id'):
            kwargs['execution_id'] = str(uuid.uuid4())
        deadline = time.monotonic() + self.retry_for
        delay = 0.2
        while True:
            try:
                return self._call(name, kwargs)
            except (self._messaging.MessagingTimeout,
                    self._messaging.MessageDeliveryFailure) as e:
                if time.monotonic() > deadline:
                    raise
                LOG.warning('No engine answered %s (%s); retrying', name,
                            type(e).__name__)
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 5.0)

    def _call(self, name, kwargs):
        try:
            return self._client.call({}, name, **kwargs)
        except self._messaging.RemoteError as e:
            raise translate_remote_error(e)

    # Convenience spellings used by in-process callers.
    def on_action_complete(self, action_ex_id, result):
        return self._invoke('on_action_complete',
                            {'action_ex_id': action_ex_id,
                             'result': result})

    def run_job(self, job_id):
        self._client.cast({}, 'run_job', job_id=job_id)


class RemoteExecutorClient:
    """Casts actions to the executor topic (to one named executor for
    ``target:`` — executor RPC servers are named by ``[executor] host``)."""

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
