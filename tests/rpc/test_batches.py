"""Actions and results in batches: several actions per message to an
executor (claimed in one transaction), several results per delivery to an
engine (handled in one transaction). SQLite in a temporary file (threads
use their own connections), no broker."""

import os
import shutil
import tempfile
import threading
import time
import unittest

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine.service import Engine
from mistral_clone.executor import service as executor_service
from mistral_clone.executor.service import Executor
from mistral_clone.rpc import contracts
from tests.integration.test_production_recovery import _action


def _row(action_ex_id):
    with db_api.session() as s:
        row = s.get(models.ActionExecution, action_ex_id)
        return row.state, row.output, row.executor_host


def _echo(action_ex_id, output):
    return contracts.Runnable(action='std.echo', input={'output': output},
                              is_sync=True, action_ex_id=action_ex_id)


def _wait(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError('condition not met in %s s' % timeout)
        time.sleep(0.01)


class WireTest(unittest.TestCase):

    def test_runnables_round_trip(self):
        batch = contracts.Runnables((_echo('a', 1), _echo('b', [2])))
        wire = batch.to_wire()
        self.assertEqual([r.to_wire() for r in batch.items], wire)
        self.assertEqual(batch, contracts.Runnables.from_wire(wire))

    def test_action_results_round_trip(self):
        batch = contracts.ActionResults((
            ('a', contracts.ActionResult(data={'x': 1})),
            ('b', contracts.ActionResult(error='boom')),
            ('c', contracts.ActionResult(cancelled=True))))
        wire = batch.to_wire()
        self.assertEqual([['a', {'data': {'x': 1}}], ['b', {'error': 'boom'}],
                          ['c', {'cancel': True}]], wire)
        self.assertEqual(batch, contracts.ActionResults.from_wire(wire))

    def test_decoders(self):
        self.assertEqual(
            {'results': contracts.ActionResults.from_wire},
            contracts.decoders(contracts.EngineApi, 'on_action_results'))
        self.assertEqual(
            {'runnables': contracts.Runnables.from_wire},
            contracts.decoders(contracts.ExecutorApi, 'run_actions'))


class SqliteFileCase(unittest.TestCase):
    """A test on a new SQLite file database holding every table."""

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix='mistral_clone_test_')
        self.addCleanup(shutil.rmtree, tmp, True)
        db_api.setup('sqlite:///%s' % os.path.join(tmp, 'test.sqlite'))
        self.addCleanup(db_api.dispose)
        db_api.create_all_for_tests()


class BatchesTest(SqliteFileCase):

    def setUp(self):
        super().setUp()
        self.engine = Engine(workers=1)

    def tearDown(self):
        self.engine.stop()

    def test_engine_takes_several_results_once_each(self):
        a, b = _action(), _action()
        answers = self.engine.on_action_results(contracts.ActionResults((
            (a, contracts.ActionResult(data=1)),
            (b, contracts.ActionResult(error='no')),
            (a, contracts.ActionResult(data=2)),
            ('no-such-action', contracts.ActionResult(data=3)))))
        self.assertEqual([True, True, False, False], answers)
        self.assertEqual(('SUCCESS', {'result': 1}), _row(a)[:2])
        self.assertEqual(('ERROR', {'result': 'no'}), _row(b)[:2])

    def test_results_are_not_answered_for_while_the_database_is_down(self):
        # The executor's client repeats a delivery the engine refuses with
        # DatabaseUnavailable; an answer (even False) would lose the
        # results, and their actions would be failed as orphaned.
        from mistral_clone.db import errors as db_errors
        a, b = _action(), _action()
        url = str(db_api.get_engine().url)
        db_api.setup('sqlite:////nonexistent-dir/none.sqlite')
        batch = contracts.ActionResults((
            (a, contracts.ActionResult(data=1)),
            (b, contracts.ActionResult(data=2))))
        with self.assertRaises(Exception) as raised:
            self.engine.on_action_results(batch)
        self.assertIsInstance(db_errors.translate(raised.exception),
                              db_errors.DatabaseUnavailable)
        db_api.setup(url)
        self.assertEqual('RUNNING', _row(a)[0])
        self.assertEqual([True, True], self.engine.on_action_results(batch))
        self.assertEqual(('SUCCESS', {'result': 2}), _row(b)[:2])

    def test_executor_claims_a_batch_and_runs_only_what_it_claimed(self):
        executor = Executor(self.engine, workers=4, host='exec-1',
                            track_actions=True)
        self.addCleanup(executor.stop)
        a, b = _action(), _action()
        taken = _action(executor_host='exec-2')
        done = _action(state='SUCCESS', output={'result': 'old'})
        executor.run_actions(contracts.Runnables((
            _echo(a, 'A'), _echo(b, 'B'), _echo(taken, 'T'),
            _echo(done, 'D'))))
        _wait(lambda: _row(a)[0] == 'SUCCESS' and _row(b)[0] == 'SUCCESS')
        self.assertEqual(('SUCCESS', {'result': 'A'}, 'exec-1'), _row(a))
        self.assertEqual(('SUCCESS', {'result': 'B'}, 'exec-1'), _row(b))
        time.sleep(0.2)
        self.assertEqual(('RUNNING', None, 'exec-2'), _row(taken))
        self.assertEqual(('SUCCESS', {'result': 'old'}, None), _row(done))
        _wait(lambda: not executor.held_actions())

    def test_a_batch_is_claimed_with_one_statement(self):
        from sqlalchemy import event
        executor = Executor(_SlowEngine(), workers=4, host='exec-1',
                            track_actions=True)
        executor.engine_client.release.set()
        self.addCleanup(executor.stop)
        ids = [_action() for _ in range(3)]
        seen = []
        me = threading.get_ident()

        def note(conn, cursor, statement, params, context, executemany):
            if threading.get_ident() == me:
                seen.append(statement.split()[0])
        engine = db_api.get_engine()
        event.listen(engine, 'before_cursor_execute', note)
        try:
            executor.run_actions(contracts.Runnables(
                tuple(_echo(i, i) for i in ids)))
        finally:
            event.remove(engine, 'before_cursor_execute', note)
        self.assertEqual(['UPDATE'], [s for s in seen if s != 'BEGIN'])
        self.assertEqual({'exec-1'}, {_row(i)[2] for i in ids})
        _wait(lambda: not executor.held_actions())

    def test_in_process_executor_gets_actions_already_claimed(self):
        from mistral_clone.services import workflows as wf_svc
        executor = Executor(self.engine, workers=2, host='exec-1',
                            track_actions=True)
        self.addCleanup(executor.stop)
        self.engine.use_in_process_executor(executor)
        claims = []
        executor._claim = executor._claim_many = claims.append
        wf_svc.create_workflows(
            "version: '2.0'\nwf:\n  tasks:\n    t1:\n"
            "      action: std.sleep seconds=0\n      on-success: t2\n"
            "    t2:\n      action: std.sleep seconds=0\n")
        ex = self.engine.start_workflow('wf')
        ex_id = ex['id'] if isinstance(ex, dict) else ex.id

        def rows():
            with db_api.session() as s:
                wf_ex = s.get(models.WorkflowExecution, ex_id)
                return wf_ex.state, [
                    (a.state, a.executor_host, a.last_heartbeat is not None)
                    for a in s.query(models.ActionExecution).filter_by(
                        workflow_execution_id=ex_id)]
        _wait(lambda: rows()[0] == 'SUCCESS')
        self.assertEqual([('SUCCESS', 'exec-1', True)] * 2, rows()[1])
        self.assertEqual([], claims)
        _wait(lambda: not executor.held_actions())

    def test_a_stopping_executor_hands_claimed_actions_back(self):
        executor = Executor(self.engine, workers=2, host='exec-1',
                            track_actions=True)
        executor.stop()
        a = _action(executor_host='exec-1', last_heartbeat=models.utcnow())
        executor.run_claimed([_echo(a, 'A')])
        self.assertEqual(('RUNNING', None, None), _row(a))

    def test_results_finished_during_a_delivery_go_together(self):
        engine = _SlowEngine()
        executor = Executor(engine, workers=4)
        self.addCleanup(executor.stop)
        executor.run_action(_echo('first', 0))
        self.assertTrue(engine.entered.wait(10))
        executor.run_actions(contracts.Runnables(
            tuple(_echo('n%d' % i, i) for i in range(3))))
        _wait(lambda: len(executor._results) == 3)
        engine.release.set()
        _wait(lambda: len(engine.calls) == 2)
        self.assertEqual(('one', ['first']), engine.calls[0])
        self.assertEqual('batch', engine.calls[1][0])
        self.assertEqual(['n0', 'n1', 'n2'], sorted(engine.calls[1][1]))

    def test_deliveries_are_bounded(self):
        engine = _SlowEngine()
        executor = Executor(engine, workers=8)
        self.addCleanup(executor.stop)
        executor.run_action(_echo('first', 0))
        self.assertTrue(engine.entered.wait(10))
        n = executor_service.MAX_RESULTS_PER_DELIVERY + 1
        executor.run_actions(contracts.Runnables(
            tuple(_echo('n%d' % i, i) for i in range(n))))
        _wait(lambda: len(executor._results) == n)
        engine.release.set()
        _wait(lambda: len(engine.calls) == 3)
        self.assertEqual([1, n - 1, 1],
                         [len(ids) for _, ids in engine.calls])

    def _gated(self, executor, gates):
        """``executor.execute`` waits for ``gates[action_ex_id]``."""
        execute = executor.execute

        def gated(runnable):
            gates[runnable.action_ex_id].wait(10)
            return execute(runnable)
        executor.execute = gated

    def test_actions_finishing_together_leave_together(self):
        # Without a delivery under way, the first result used to leave
        # alone and the others waited for its whole round trip.
        self._patch_gather(quiet=10, most=10)
        engine = _SlowEngine()
        engine.release.set()
        executor = Executor(engine, workers=4)
        self.addCleanup(executor.stop)
        gate = threading.Event()
        ids = ['n%d' % i for i in range(3)]
        self._gated(executor, dict.fromkeys(ids, gate))
        executor.run_actions(contracts.Runnables(
            tuple(_echo(i, 0) for i in ids)))
        gate.set()
        _wait(lambda: sum(len(c[1]) for c in engine.calls) == 3)
        self.assertEqual([('batch', ids)],
                         [(k, sorted(c)) for k, c in engine.calls])

    def test_a_result_does_not_wait_for_a_long_action(self):
        self._patch_gather(quiet=0.05, most=10)
        engine = _SlowEngine()
        engine.release.set()
        executor = Executor(engine, workers=4)
        self.addCleanup(executor.stop)
        quick, slow = threading.Event(), threading.Event()
        self.addCleanup(slow.set)
        self._gated(executor, {'quick': quick, 'slow': slow})
        executor.run_actions(contracts.Runnables(
            (_echo('slow', 1), _echo('quick', 2))))
        quick.set()
        _wait(lambda: engine.calls)
        self.assertEqual([('one', ['quick'])], engine.calls)
        slow.set()
        _wait(lambda: len(engine.calls) == 2)
        self.assertEqual(('one', ['slow']), engine.calls[1])

    def _patch_gather(self, quiet, most):
        for name, value in (('GATHER_QUIET_SECONDS', quiet),
                            ('GATHER_MAX_SECONDS', most)):
            self.addCleanup(setattr, executor_service, name,
                            getattr(executor_service, name))
            setattr(executor_service, name, value)


class _SlowEngine:
    """Records deliveries; the first one waits for ``release``."""

    def __init__(self):
        self.calls = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def _deliver(self, kind, ids):
        self.calls.append((kind, ids))
        self.entered.set()
        self.release.wait(10)

    def on_action_complete(self, action_ex_id, result):
        self._deliver('one', [action_ex_id])
        return True

    def on_action_results(self, results):
        self._deliver('batch', [i for i, _ in results.items])
        return [True] * len(results.items)
