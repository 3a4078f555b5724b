"""Crash-recovery building blocks, without a broker (SQLite in memory):
executor claims and heartbeats, the stuck-action check, the RPC client's
messages and remote error translation."""

import datetime
import threading
import time
import unittest

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import recovery
from mistral_clone.engine.service import Engine
from mistral_clone.executor.service import Executor
from mistral_clone.rpc import clients
from mistral_clone.rpc import contracts


class _Recorder:
    def __init__(self):
        self.sent = []
        self.results = []
        self.done = threading.Event()

    def run_action(self, runnable):
        self.sent.append(runnable)

    def on_action_complete(self, action_ex_id, result):
        self.results.append((action_ex_id, result))
        self.done.set()


def _action(**kw):
    values = dict(id=models.new_id(), name='std.echo', state='RUNNING',
                  input={'output': 'x'}, accepted=False, is_sync=True,
                  runtime_context={'index': 0, 'safe_rerun': False,
                                   'namespace': ''},
                  project_id='<default-project>', task_execution_id=None,
                  created_at=models.utcnow())
    values.update(kw)
    with db_api.transaction() as s:
        s.add(models.ActionExecution(**values))
    return values['id']


def _get(action_ex_id):
    import types
    with db_api.session() as s:
        row = s.get(models.ActionExecution, action_ex_id)
        return types.SimpleNamespace(
            state=row.state, output=row.output,
            executor_host=row.executor_host,
            last_heartbeat=row.last_heartbeat)


def _ago(seconds):
    return models.utcnow() - datetime.timedelta(seconds=seconds)


class RecoveryTest(unittest.TestCase):

    def setUp(self):
        db_api.setup('sqlite://')
        db_api.create_all_for_tests()
        self.rec = _Recorder()
        self.engine = Engine(executor_client=self.rec, workers=2)

    def tearDown(self):
        self.engine.stop()
        db_api.dispose()

    def test_unclaimed_action_is_sent_again_once(self):
        old = _action(created_at=_ago(100))
        fresh = _action()
        check = recovery.ActionRecovery(self.engine, check_interval=1,
                                        max_missed_heartbeats=5,
                                        first_heartbeat_timeout=30,
                                        batch_size=0)
        self.assertEqual({old: 'lost'}, check.run_once())
        self.assertEqual([old], [r.action_ex_id for r in self.rec.sent])
        self.assertEqual('std.echo', self.rec.sent[0].action)
        self.assertEqual({'output': 'x'}, self.rec.sent[0].input)
        # re-sent just now: not again on the next check
        self.assertEqual({}, check.run_once())
        self.assertEqual('RUNNING', _get(fresh).state)

    def test_orphaned_action_fails_with_mistral_message(self):
        dead = _action(executor_host='exec-1', last_heartbeat=_ago(60))
        alive = _action(executor_host='exec-2', last_heartbeat=_ago(1))
        check = recovery.ActionRecovery(self.engine, check_interval=2,
                                        max_missed_heartbeats=5,
                                        first_heartbeat_timeout=30)
        self.assertEqual({dead: 'failed'}, check.run_once())
        row = _get(dead)
        self.assertEqual('ERROR', row.state)
        self.assertEqual({'result': "Heartbeat wasn't received."},
                         row.output)
        self.assertEqual('RUNNING', _get(alive).state)

    def test_orphaned_async_action_is_left_alone(self):
        a = _action(executor_host='exec-1', last_heartbeat=_ago(600),
                    is_sync=False)
        self.assertEqual([], recovery.find_stuck_actions(10, 30))
        self.assertEqual('RUNNING', _get(a).state)

    def test_result_delivered_twice_counts_once(self):
        a = _action(executor_host='exec-1', last_heartbeat=_ago(1))
        self.assertTrue(self.engine.on_action_complete(
            a, contracts.ActionResult(data=1)))
        self.assertFalse(self.engine.on_action_complete(
            a, contracts.ActionResult(data=2)))
        self.assertEqual({'result': 1}, _get(a).output)


class ExecutorClaimTest(unittest.TestCase):

    def setUp(self):
        db_api.setup('sqlite://')
        db_api.create_all_for_tests()
        self.rec = _Recorder()
        self.executor = Executor(self.rec, workers=2, host='exec-1',
                                 track_actions=True)

    def tearDown(self):
        self.executor.stop()
        db_api.dispose()

    def test_duplicate_delivery_runs_once(self):
        a = _action()
        runnable = contracts.Runnable(action='std.echo',
                                      input={'output': 7}, is_sync=True,
                                      action_ex_id=a)
        self.executor.run_action(runnable)
        self.executor.run_action(contracts.Runnable.from_wire(
            runnable.to_wire()))
        self.assertTrue(self.rec.done.wait(10))
        time.sleep(0.2)
        self.assertEqual([(a, contracts.ActionResult(data=7))],
                         self.rec.results)
        self.assertEqual('exec-1', _get(a).executor_host)

    def test_action_not_claimable_is_not_run(self):
        # The database is down (a restart): the action is not run
        # unclaimed — it stays to be sent again, and then runs once.
        self.executor.claim_patience = 0.3
        db_api.setup('sqlite:////nonexistent-dir/none.sqlite')
        self.executor.run_action(contracts.Runnable(
            action='std.echo', input={'output': 7}, is_sync=True,
            action_ex_id='a1'))
        time.sleep(0.3)
        self.assertEqual([], self.rec.results)
        self.assertEqual([], self.executor.held_actions())

    def test_actions_of_a_message_not_claimable_are_not_run(self):
        self.executor.claim_patience = 0.3
        db_api.setup('sqlite:////nonexistent-dir/none.sqlite')
        self.executor.run_actions(contracts.Runnables(tuple(
            contracts.Runnable(action='std.echo', input={'output': i},
                               is_sync=True, action_ex_id='a%d' % i)
            for i in range(3))))
        time.sleep(0.3)
        self.assertEqual([], self.rec.results)
        self.assertEqual([], self.executor.held_actions())

    def test_heartbeats_refresh_held_actions(self):
        a = _action(executor_host='exec-1', last_heartbeat=_ago(100))
        other = _action(executor_host='exec-2', last_heartbeat=_ago(100))
        self.executor._held.update({a, other})
        self.assertEqual(1, self.executor.send_heartbeats())
        self.assertGreater(_get(a).last_heartbeat, _ago(5))
        self.assertLess(_get(other).last_heartbeat, _ago(50))


class _FakeRpcClient:
    """Records what an oslo.messaging RPC client would send."""

    def __init__(self, answer=None):
        self.sent = []
        self.answer = answer

    def call(self, ctxt, name, **kwargs):
        self.sent.append(('call', name, kwargs))
        return self.answer

    def cast(self, ctxt, name, **kwargs):
        self.sent.append(('cast', name, kwargs))

    def prepare(self, server):
        self.sent.append(('prepare', server, {}))
        return self


class RemoteClientTest(unittest.TestCase):

    def test_messages_carry_keywords_in_wire_form(self):
        rpc = _FakeRpcClient(answer=True)
        client = clients.RemoteEngineClient(None, 'engine', rpc_client=rpc)
        client.stop_workflow('x', 'ERROR', 'm')
        client.start_workflow('wf', namespace='', input={},
                              source_execution_id='s')
        client.on_action_complete('a', contracts.ActionResult(error='e'))
        client.run_job('j')
        self.assertEqual(('call', 'stop_workflow',
                          {'wf_ex_id': 'x', 'state': 'ERROR', 'msg': 'm'}),
                         rpc.sent[0])
        start = rpc.sent[1][2]
        self.assertEqual('wf', start['workflow_identifier'])
        self.assertEqual('s', start['source_execution_id'])
        # the client chooses the id: repeating the call is safe
        self.assertTrue(start['execution_id'])
        self.assertEqual(('call', 'on_action_complete',
                          {'action_ex_id': 'a', 'result': {'error': 'e'}}),
                         rpc.sent[2])
        self.assertEqual(('cast', 'run_job', {'job_id': 'j'}), rpc.sent[3])

    def test_result_delivery_outlasts_a_database_restart(self):
        import oslo_messaging as messaging

        class Restarting(_FakeRpcClient):
            def call(self, ctxt, name, **kwargs):
                self.sent.append(('call', name, kwargs))
                if len(self.sent) < 3:
                    raise messaging.RemoteError(
                        'OperationalError', 'connection refused', '')
                return True
        rpc = Restarting()
        client = clients.RemoteEngineClient(None, 'engine', rpc_client=rpc)
        self.assertTrue(client.on_action_complete(
            'a', contracts.ActionResult(data=1)))
        self.assertEqual(3, len(rpc.sent))
        # other calls answer the error at once (the API says 503)
        rpc = Restarting()
        client = clients.RemoteEngineClient(None, 'engine', rpc_client=rpc)
        self.assertRaises(messaging.RemoteError, client.stop_workflow, 'x',
                          'ERROR', 'm')
        self.assertEqual(1, len(rpc.sent))

    def test_runnable_goes_to_its_target_executor(self):
        rpc = _FakeRpcClient()
        client = clients.RemoteExecutorClient(None, 'executor',
                                              rpc_client=rpc)
        runnable = contracts.Runnable('std.noop', {}, True, 'a',
                                      target='exec-2')
        client.run_action(runnable)
        self.assertEqual(('prepare', 'exec-2', {}), rpc.sent[0])
        self.assertEqual(('cast', 'run_action',
                          {'runnable': runnable.to_wire()}), rpc.sent[1])
        self.assertEqual(runnable, contracts.Runnable.from_wire(
            rpc.sent[1][2]['runnable']))

    def test_endpoint_decodes_contract_arguments(self):
        from mistral_clone.rpc import servers

        class Engine:
            def on_action_complete(self, action_ex_id, result):
                self.got = (action_ex_id, result)
                return True
        engine = Engine()
        endpoint = servers._endpoint(engine, contracts.EngineApi)
        self.assertTrue(endpoint.on_action_complete(
            {}, action_ex_id='a', result={'cancel': True}))
        self.assertEqual(('a', contracts.ActionResult(cancelled=True)),
                         engine.got)
        self.assertEqual(contracts.operations(contracts.EngineApi),
                         sorted(n for n in dir(endpoint)
                                if not n.startswith('_') and n != 'target'))

    def test_remote_error_is_translated(self):
        import oslo_messaging as messaging
        from mistral_clone import exceptions as exc
        e = clients.translate_remote_error(messaging.RemoteError(
            'SizeLimitExceededException', 'Field size limit exceeded',
            'Traceback...'))
        self.assertIsInstance(e, exc.SizeLimitExceededException)
        self.assertEqual('Field size limit exceeded', e.message)
        self.assertEqual(400, e.http_code)
