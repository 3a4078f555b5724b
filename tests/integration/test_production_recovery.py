"""Crash-recovery building blocks, without a broker (SQLite in memory):
executor claims and heartbeats, the stuck-action check, the RPC client's
messages and remote error translation."""

import datetime
import threading
import time
import unittest

import sqlalchemy as sa

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

    def _service(self, row_id, age):
        with db_api.transaction() as s:
            s.add(models.ServiceHeartbeat(
                id=row_id, name='exec', type='executor_group', host='h',
                started_at=_ago(600), last_heartbeat=_ago(age)))

    def test_action_of_a_dead_claimer_is_failed_fast(self):
        # Executors claim under their services row; its heartbeats stopped
        # 20 s ago (the action's own heartbeat is recent: Mistral's check
        # alone would wait minutes).
        dead_row = 'executor_group:exec:1:ab:cd'
        live_row = 'executor_group:exec:2:ab:ef'
        self._service(dead_row, 40)
        self._service(live_row, 1)
        dead = _action(executor_host=dead_row, last_heartbeat=_ago(40))
        gone = _action(executor_host='executor_group:exec:3:ab:00',
                       last_heartbeat=_ago(40))
        # a database outage aged the row, the action's heartbeat is fresh
        outage = _action(executor_host='executor_group:exec:4:ab:00',
                         last_heartbeat=_ago(2))
        # slow but live: its action heartbeats are old, its process beats
        slow = _action(executor_host=live_row, last_heartbeat=_ago(50))
        legacy = _action(executor_host='exec-1', last_heartbeat=_ago(2))
        check = recovery.ActionRecovery(self.engine, check_interval=20,
                                        max_missed_heartbeats=15,
                                        first_heartbeat_timeout=60,
                                        service_heartbeat_interval=5)
        self.assertEqual(35, check.claimer_dead_seconds)
        self.assertEqual({dead: 'failed', gone: 'failed'}, check.run_once())
        self.assertEqual({'result': "Heartbeat wasn't received."},
                         _get(dead).output)
        for a in (slow, legacy, outage):
            self.assertEqual('RUNNING', _get(a).state)
        # without the fast rule (Mistral's check only) nothing is found
        self.assertEqual([], recovery.find_stuck_actions(300, 60))

    def test_safe_rerun_action_of_a_dead_claimer_is_sent_again(self):
        dead_row = 'executor_group:exec:1:ab:cd'
        a = _action(executor_host=dead_row, last_heartbeat=_ago(60),
                    runtime_context={'index': 0, 'safe_rerun': True,
                                     'namespace': ''})
        check = recovery.ActionRecovery(self.engine, check_interval=20,
                                        service_heartbeat_interval=5)
        self.assertEqual({a: 'rerun'}, check.run_once())
        self.assertEqual([a], [r.action_ex_id for r in self.rec.sent])
        self.assertIsNone(_get(a).executor_host)

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


class RegistryTest(unittest.TestCase):

    def setUp(self):
        db_api.setup('sqlite://')
        db_api.create_all_for_tests()

    def tearDown(self):
        db_api.dispose()

    def test_rows_of_processes_gone_from_this_host_are_removed(self):
        import os
        import subprocess
        import sys
        from mistral_clone.services import heartbeats
        space = heartbeats._pid_space()
        if not space:
            self.skipTest('no /proc: pid namespaces unknown')
        child = subprocess.Popen([sys.executable, '-c', 'pass'])
        child.wait()
        rows = {
            'gone': 'executor_group:h:%d:%s:aa' % (child.pid, space),
            'alive': 'executor_group:h:%d:%s:bb' % (os.getppid(), space),
            'elsewhere': 'executor_group:h:%d:%s:cc' % (child.pid, 'ffff'),
            'shared': 'api_group:h',
        }
        with db_api.transaction() as s:
            for row_id in rows.values():
                s.add(models.ServiceHeartbeat(
                    id=row_id, name='h', type='executor_group', host='h',
                    started_at=_ago(5), last_heartbeat=_ago(1)))
        registry = heartbeats.ServiceRegistry({'executor': 'h'}, 'h')
        self.assertTrue(registry.identity.startswith('%d:%s:' % (
            os.getpid(), space)))
        registry.start()
        try:
            with db_api.session() as s:
                left = set(s.execute(
                    sa.select(models.ServiceHeartbeat.id)).scalars())
        finally:
            registry.stop()
        self.assertNotIn(rows['gone'], left)
        for key in ('alive', 'elsewhere', 'shared'):
            self.assertIn(rows[key], left)
        self.assertIn(heartbeats.row_id('executor', 'h', registry.identity),
                      left)


class ExecutorDrainTest(unittest.TestCase):
    """Stopping an executor lets running actions finish and report, and
    hands back the ones that had not started."""

    def setUp(self):
        db_api.setup('sqlite://')
        db_api.create_all_for_tests()
        self.rec = _Recorder()
        self.executor = Executor(self.rec, workers=1, host='exec-1',
                                 track_actions=True, claimer='c-1')

    def tearDown(self):
        db_api.dispose()

    def _sleep(self):
        a = _action(name='std.sleep', input={'seconds': 1})
        self.executor.run_action(contracts.Runnable(
            action='std.sleep', input={'seconds': 1}, is_sync=True,
            action_ex_id=a))
        return a

    def test_stop_drains_running_and_hands_back_queued(self):
        running, queued = self._sleep(), self._sleep()
        time.sleep(0.2)
        started = time.monotonic()
        self.executor.stop(timeout=30)
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual([running], [a for a, _ in self.rec.results])
        self.assertEqual('c-1', _get(running).executor_host)
        row = _get(queued)
        self.assertEqual('RUNNING', row.state)
        self.assertIsNone(row.executor_host)
        # the next check of any engine sends it again
        self.assertEqual([queued], recovery.find_stuck_actions(0, 60))
        # a stopping executor takes nothing new (left for the engines)
        late = _action()
        self.executor.run_action(contracts.Runnable(
            action='std.echo', input={'output': 1}, is_sync=True,
            action_ex_id=late))
        self.assertIsNone(_get(late).executor_host)

    def test_stop_gives_up_after_the_timeout(self):
        self._sleep()
        time.sleep(0.2)
        started = time.monotonic()
        self.executor.stop(timeout=0.1)
        self.assertLess(time.monotonic() - started, 0.9)
        self.assertEqual([], self.rec.results)


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

    def prepare(self, server=None, fanout=False):
        self.sent.append(('prepare', server, {'fanout': True} if fanout
                          else {}))
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
        # every engine lets go of the execution's lock first
        self.assertEqual(('prepare', None, {'fanout': True}), rpc.sent.pop(0))
        self.assertEqual(('cast', 'abort_evaluations', {'wf_ex_id': 'x'}),
                         rpc.sent.pop(0))
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
        self.assertRaises(messaging.RemoteError, client.pause_workflow, 'x',
                          'm')
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
