"""RPC clients of the engine and executor services.

Both services implement the interfaces of :mod:`mistral_clone.rpc.contracts`
(``EngineApi``, ``ExecutorApi``). Two transports, one interface:

* **in-process** (embedded default, no ``transport_url``): the client *is*
  the service object living in this process;
* **oslo.messaging** (production): :class:`RemoteEngineClient` and
  :class:`RemoteExecutorClient` implement the same interfaces over RPC:
  ``call`` for requests that need an answer (the API starting a workflow,
  an executor reporting a result), ``cast`` for fire-and-forget work
  (actions to executors, jobs to engines). Exceptions from
  ``mistral_clone.exceptions`` cross the wire and are re-raised with their
  type and message (:func:`translate_remote_error`).

Calls that are safe to repeat are retried against the topic (so another
engine answers) when no engine replied in time: an engine may have died
after receiving the message, and oslo.messaging acknowledges messages on
receipt. ``start_workflow`` is made repeatable by choosing the execution id
here, ``on_action_complete`` is idempotent in the engine.
"""

import logging
import random
import time
import uuid

from mistral_clone.rpc import contracts

LOG = logging.getLogger(__name__)

_engine_client = None
_executor_client = None


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


# --- oslo.messaging --------------------------------------------------------------

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


def _rpc_client(transport, topic, timeout=None):
    import oslo_messaging as messaging
    return messaging.get_rpc_client(
        transport, messaging.Target(topic=topic, version='1.0'),
        timeout=timeout)


class RemoteEngineClient(contracts.EngineApi):
    """The engine topic over oslo.messaging. RPC messages carry keyword
    arguments only, in their wire form."""

    def __init__(self, transport, topic, timeout=None, retry_for=600,
                 rpc_client=None):
        import oslo_messaging as messaging
        self._messaging = messaging
        self._client = rpc_client or _rpc_client(transport, topic, timeout)
        # Total seconds repeatable calls are retried for.
        self.retry_for = retry_for
        # Repeated calls so far (an executor checks it: the answer of a
        # delivery repeated may have been lost, see Executor._deliver).
        self.repeats = 0

    # --- the interface ------------------------------------------------------------

    def start_workflow(self, workflow_identifier, namespace='', input=None,
                       description='', params=None, execution_id=None,
                       source_execution_id=None, project_id=None):
        # Choosing the id here makes the call repeatable.
        return self._call_repeated(
            'start_workflow', workflow_identifier=workflow_identifier,
            namespace=namespace, input=input, description=description,
            params=params, execution_id=execution_id or str(uuid.uuid4()),
            source_execution_id=source_execution_id, project_id=project_id)

    def pause_workflow(self, wf_ex_id, msg=None):
        return self._call('pause_workflow', wf_ex_id=wf_ex_id, msg=msg)

    def resume_workflow(self, wf_ex_id, env=None):
        return self._call('resume_workflow', wf_ex_id=wf_ex_id, env=env)

    def stop_workflow(self, wf_ex_id, state, msg=None):
        if state != 'SUCCESS':
            # Whichever engine is evaluating an expression for it lets go
            # of its row lock now (see Engine.abort_evaluations).
            self.abort_evaluations(wf_ex_id)
        return self._call('stop_workflow', wf_ex_id=wf_ex_id, state=state,
                          msg=msg)

    def abort_evaluations(self, wf_ex_id):
        try:
            self._client.prepare(fanout=True).cast(
                {}, 'abort_evaluations', wf_ex_id=wf_ex_id)
        except Exception:
            LOG.warning('Could not ask the engines to abort evaluations of '
                        'execution %s', wf_ex_id, exc_info=True)

    def update_workflow_env(self, wf_ex_id, env):
        return self._call('update_workflow_env', wf_ex_id=wf_ex_id, env=env)

    def rerun_task(self, task_ex_id, reset=True, env=None):
        return self._call('rerun_task', task_ex_id=task_ex_id, reset=reset,
                          env=env)

    def skip_task(self, task_ex_id):
        return self._call('skip_task', task_ex_id=task_ex_id)

    def start_action(self, action_name, action_input=None, namespace='',
                     description='', params=None, project_id=None):
        return self._call('start_action', action_name=action_name,
                          action_input=action_input, namespace=namespace,
                          description=description, params=params,
                          project_id=project_id)

    def complete_action(self, action_ex_id, state, output):
        return self._call('complete_action', action_ex_id=action_ex_id,
                          state=state, output=output)

    def update_action_state(self, action_ex_id, state):
        return self._call('update_action_state', action_ex_id=action_ex_id,
                          state=state)

    def on_action_complete(self, action_ex_id, result):
        # Delivery is idempotent: repeated also while the engine cannot
        # reach the database (restarting), or the result would be lost and
        # its action judged orphaned.
        return self._call_repeated('on_action_complete',
                                   action_ex_id=action_ex_id,
                                   result=result.to_wire(),
                                   _while_db_down=True)

    def on_action_results(self, results, take=0, claimer=None):
        # Repeated while the database is down, as single results are.
        kwargs = {'take': take} if take else {}
        if claimer:
            kwargs['claimer'] = claimer
        answer = self._call_repeated('on_action_results',
                                     results=results.to_wire(),
                                     _while_db_down=True, **kwargs)
        return contracts.ResultsAnswer.from_wire(answer) if take else answer

    def run_job(self, job_id):
        self._client.cast({}, 'run_job', job_id=job_id)

    def recover_action(self, action_ex_id, stale_seconds,
                       undispatched_seconds, claimer_dead_seconds=0):
        return self._call('recover_action', action_ex_id=action_ex_id,
                          stale_seconds=stale_seconds,
                          undispatched_seconds=undispatched_seconds,
                          claimer_dead_seconds=claimer_dead_seconds)

    # --- plumbing -------------------------------------------------------------------

    def _call(self, name, **kwargs):
        try:
            return self._client.call({}, name, **kwargs)
        except self._messaging.RemoteError as e:
            raise translate_remote_error(e)

    def _call_repeated(self, name, _while_db_down=False, **kwargs):
        """``_call``, repeated (reaching any engine) while none answers
        (``_while_db_down``: and while the engine answers that its database
        is unavailable)."""
        deadline = time.monotonic() + self.retry_for
        delay = 0.2
        while True:
            try:
                return self._call(name, **kwargs)
            except (self._messaging.MessagingTimeout,
                    self._messaging.MessageDeliveryFailure) as e:
                if time.monotonic() > deadline:
                    raise
                LOG.warning('No engine answered %s (%s); retrying', name,
                            type(e).__name__)
            except Exception as e:
                from mistral_clone.db import errors as db_errors
                if not (_while_db_down and db_errors.is_unavailable(e)) or \
                        time.monotonic() > deadline:
                    raise
                LOG.warning('The engine could not reach the database for %s;'
                            ' retrying', name)
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 5.0)
            self.repeats += 1


class RemoteExecutorClient(contracts.ExecutorApi):
    """Casts actions to the executor topic (to one named executor for
    ``target:`` — executor RPC servers are named by ``[executor] host``)."""

    def __init__(self, transport, topic, rpc_client=None):
        self._client = rpc_client or _rpc_client(transport, topic)

    def run_action(self, runnable):
        client = self._client
        if runnable.target:
            client = client.prepare(server=runnable.target)
        client.cast({}, 'run_action', runnable=runnable.to_wire())

    def run_actions(self, runnables):
        self._client.cast({}, 'run_actions', runnables=runnables.to_wire())
