"""Actions an engine hands back to the delivering executor already claimed
by it (``on_action_results(..., claimer=...)``): no claim statement of the
executor's own. Their ``last_heartbeat`` stays unset until the executor's
first heartbeat; an executor whose answer may have been lost hands back
the ones it never received, and the recovery check treats the others as
claimed on receipt. SQLite in a temporary file, no broker."""

from unittest import mock

from mistral_clone.engine import recovery
from mistral_clone.engine.service import Engine
from mistral_clone.executor.service import Executor
from mistral_clone.rpc import clients
from mistral_clone.rpc import contracts
from tests.integration.test_production_recovery import _FakeRpcClient
from tests.integration.test_production_recovery import _action
from tests.integration.test_production_recovery import _ago
from tests.integration.test_production_recovery import _get
from tests.rpc.test_batches import SqliteFileCase
from tests.rpc.test_batches import _echo
from tests.rpc.test_batches import _wait
from tests.rpc.test_follow_ups import _Executors

CHAIN = ("version: '2.0'\nwf:\n  tasks:\n    t1:\n"
         "      action: std.sleep seconds=0\n      on-success: t2\n"
         "    t2:\n      action: std.sleep seconds=0\n")


class WireTest(SqliteFileCase):

    def test_claimed_answer_round_trip_and_claimer_sent(self):
        answer = contracts.ResultsAnswer(
            [True], contracts.Runnables((_echo('a', 1),)), claimed=True)
        wire = answer.to_wire()
        self.assertTrue(wire['claimed'])
        self.assertEqual(answer, contracts.ResultsAnswer.from_wire(wire))
        # an answer of an engine that did not claim: no such key
        self.assertNotIn('claimed', contracts.ResultsAnswer([True]).to_wire())
        rpc = _FakeRpcClient(answer=wire)
        client = clients.RemoteEngineClient(None, 'engine', rpc_client=rpc)
        results = contracts.ActionResults(
            (('a', contracts.ActionResult(data=1)),))
        self.assertEqual(answer, client.on_action_results(
            results, take=1, claimer='exec-1'))
        self.assertEqual({'results': results.to_wire(), 'take': 1,
                          'claimer': 'exec-1'}, rpc.sent[0][2])


class EngineTest(SqliteFileCase):

    def test_the_next_action_is_stored_claimed_by_the_deliverer(self):
        from mistral_clone.services import workflows as wf_svc
        executors = _Executors()
        engine = Engine(executor_client=executors, workers=1)
        self.addCleanup(engine.stop)
        wf_svc.create_workflows(CHAIN)
        engine.start_workflow('wf')
        first = executors.sent.pop()
        answer = engine.on_action_results(contracts.ActionResults(
            ((first.action_ex_id, contracts.ActionResult(data=None)),)),
            take=1, claimer='exec-1')
        self.assertTrue(answer.claimed)
        self.assertEqual([True], answer.answers)
        second = answer.actions.items[0]
        row = _get(second.action_ex_id)
        self.assertEqual(('RUNNING', 'exec-1', None),
                         (row.state, row.executor_host, row.last_heartbeat))
        self.assertEqual([], executors.sent)
        # its result, delivered before any heartbeat, stands for one
        engine.on_action_results(contracts.ActionResults(
            ((second.action_ex_id, contracts.ActionResult(data=2)),)),
            take=1, claimer='exec-1')
        row = _get(second.action_ex_id)
        self.assertEqual('SUCCESS', row.state)
        self.assertIsNotNone(row.last_heartbeat)
        # the same result again: nothing more handed back
        answer = engine.on_action_results(contracts.ActionResults(
            ((first.action_ex_id, contracts.ActionResult(data=None)),)),
            take=1, claimer='exec-1')
        self.assertEqual(contracts.ResultsAnswer([False], claimed=True),
                         answer)


class _ClaimingEngine:
    """Answers deliveries as an engine that claimed ``follow_ups`` (one
    list of action ids per delivery) for the deliverer; ``fail`` raises
    after that "commit" instead of answering, ``repeat`` counts a repeat."""

    def __init__(self, follow_ups, fail=False, repeat=False):
        self.follow_ups = list(follow_ups)
        self.fail, self.repeat = fail, repeat
        self.delivered = []
        self.repeats = 0

    def on_action_results(self, results, take=0, claimer=None):
        self.delivered.append(([i for i, _ in results.items], take, claimer))
        actions = self.follow_ups.pop(0) if self.follow_ups else ()
        if self.fail:
            raise RuntimeError('the answer was lost')
        if self.repeat:
            self.repeats += 1
            actions = ()  # the repeat: the results were recorded already
        return contracts.ResultsAnswer(
            [True] * len(results.items),
            contracts.Runnables(tuple(_echo(a, a) for a in actions)),
            claimed=True)


class ExecutorTest(SqliteFileCase):

    def executor(self, engine):
        executors = _Executors()
        executor = Executor(engine, workers=2, host='exec-1',
                            track_actions=True, executors=executors)
        self.addCleanup(executor.stop)
        return executor, executors

    def test_runs_handed_actions_without_claiming_them(self):
        b = _action(executor_host='exec-1', last_heartbeat=None)
        engine = _ClaimingEngine([[b]])
        executor, executors = self.executor(engine)
        with mock.patch.object(executor, '_claim_many',
                               side_effect=AssertionError('claimed')):
            executor._deliver_taking([('a', contracts.ActionResult(data=1))])
            _wait(lambda: len(engine.delivered) == 2)
        self.assertEqual([(['a'], 1, 'exec-1'), ([b], 1, 'exec-1')],
                         engine.delivered)
        self.assertEqual([], executors.sent)
        _wait(lambda: not executor.held_actions())
        self.assertEqual(set(), executor._handed)  # its result recorded

    def _lost(self, **how):
        # Claimed for exec-1 by an engine: one never received, one
        # received (held); one claimed by exec-1 itself (a heartbeat).
        lost = _action(executor_host='exec-1', last_heartbeat=None)
        received = _action(executor_host='exec-1', last_heartbeat=None)
        own = _action(executor_host='exec-1', last_heartbeat=_ago(1))
        executor, _ = self.executor(_ClaimingEngine([[lost]], **how))
        with executor._held_lock:
            executor._held.add(received)
        try:
            executor._deliver_taking([('a', contracts.ActionResult(data=1))])
        except RuntimeError:
            pass
        self.assertEqual((None, 'RUNNING'),
                         (_get(lost).executor_host, _get(lost).state))
        # dated long ago: the next recovery check sends it again
        self.assertLess(_get(lost).last_heartbeat, _ago(3600))
        self.assertEqual('exec-1', _get(received).executor_host)
        self.assertEqual('exec-1', _get(own).executor_host)
        self.assertFalse(executor._sweep_due)

    def test_a_failed_delivery_hands_back_what_never_arrived(self):
        self._lost(fail=True)

    def test_a_repeated_delivery_hands_back_what_never_arrived(self):
        self._lost(repeat=True)

    def test_a_stopping_executor_hands_them_back_and_sends_them_on(self):
        b = _action(executor_host='exec-1', last_heartbeat=None)
        executor, executors = self.executor(_ClaimingEngine([[b]]))
        executor.stop()
        executor._deliver_taking([('a', contracts.ActionResult(data=1))])
        self.assertEqual([b], [r.action_ex_id for r in executors.sent])
        self.assertIsNone(_get(b).executor_host)

    def test_an_engine_without_claimer_gets_take_only(self):
        import oslo_messaging as messaging
        from tests.rpc.test_follow_ups import _HandingEngine
        b = _action()

        class Engine(_HandingEngine):
            def on_action_results(self, results, take=0, **kwargs):
                if kwargs:
                    raise messaging.RemoteError(
                        'TypeError', "unexpected keyword argument 'claimer'")
                return super().on_action_results(results, take)
        engine = Engine([[_echo(b, 'B')]])
        executor, _ = self.executor(engine)
        executor._deliver_taking([('a', contracts.ActionResult(data=1))])
        _wait(lambda: len(engine.delivered) == 2)
        self.assertEqual([(['a'], 1), ([b], 1)], engine.delivered)
        self.assertEqual('exec-1', _get(b).executor_host)  # claimed itself
        self.assertFalse(executor._engines_claim)


class RecoveryTest(SqliteFileCase):
    """A handed action not heart-beaten yet counts from its creation."""

    def test_found_by_creation_when_stale_or_its_claimer_dead(self):
        stale = _action(executor_host='exec-1', last_heartbeat=None,
                        created_at=_ago(400))
        fresh = _action(executor_host='exec-1', last_heartbeat=None)
        gone = _action(executor_host=recovery.CLAIMER_PREFIX + 'x:1',
                       last_heartbeat=None, created_at=_ago(60))
        new = _action(executor_host=recovery.CLAIMER_PREFIX + 'x:2',
                      last_heartbeat=None)
        self.assertEqual({stale, gone}, set(recovery.find_stuck_actions(
            300, 60, claimer_dead_seconds=35)))
        del fresh, new
        engine = Engine(executor_client=_Executors(), workers=1)
        self.addCleanup(engine.stop)
        self.assertEqual('failed', engine.recover_action(stale, 300, 60, 35))
        self.assertEqual('failed', engine.recover_action(gone, 300, 60, 35))
