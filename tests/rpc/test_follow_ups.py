"""Actions handed back with an engine's answer to an executor's delivery
(``take``): the executor that delivered a chain's result runs its next
action, without a message to the executors' topic. SQLite in a temporary
file, no broker."""

import threading
import unittest

from mistral_clone.engine import service as engine_service
from mistral_clone.engine.service import Engine
from mistral_clone.executor.service import Executor
from mistral_clone.rpc import clients
from mistral_clone.rpc import contracts
from mistral_clone.rpc import servers
from tests.integration.test_production_recovery import _FakeRpcClient
from tests.integration.test_production_recovery import _action
from tests.rpc.test_batches import SqliteFileCase
from tests.rpc.test_batches import _echo
from tests.rpc.test_batches import _row
from tests.rpc.test_batches import _wait


class _Executors(contracts.ExecutorApi):
    """Records what would go to the executors' topic."""

    def __init__(self):
        self.sent = []

    def run_action(self, runnable):
        self.sent.append(runnable)

    def run_actions(self, runnables):
        self.sent.extend(runnables.items)


class _HandingEngine:
    """Answers deliveries with ``take``: hands back the runnables queued in
    ``follow_ups`` (one list per delivery)."""

    def __init__(self, follow_ups):
        self.follow_ups = list(follow_ups)
        self.delivered = []

    def on_action_results(self, results, take=0, claimer=None):
        # An engine that does not claim what it hands back (answers
        # without ``claimed``): the executor claims it.
        self.delivered.append(([i for i, _ in results.items], take))
        actions = self.follow_ups.pop(0) if self.follow_ups else ()
        return contracts.ResultsAnswer([True] * len(results.items),
                                       contracts.Runnables(tuple(actions)))


class WireTest(unittest.TestCase):

    def test_results_answer_round_trip(self):
        answer = contracts.ResultsAnswer(
            [True, False], contracts.Runnables((_echo('a', 1),)))
        wire = answer.to_wire()
        self.assertEqual({'answers': [True, False],
                          'actions': [_echo('a', 1).to_wire()]}, wire)
        self.assertEqual(answer, contracts.ResultsAnswer.from_wire(wire))

    def test_endpoint_answers_in_wire_form_and_client_decodes(self):
        answer = contracts.ResultsAnswer([True],
                                         contracts.Runnables((_echo('b', 2),)))

        class Engine:
            def on_action_results(self, results, take=0):
                self.got = (results, take)
                return answer
        engine = Engine()
        endpoint = servers._endpoint(engine, contracts.EngineApi)
        results = contracts.ActionResults(
            (('a', contracts.ActionResult(data=1)),))
        wire = endpoint.on_action_results({}, results=results.to_wire(),
                                          take=1)
        self.assertEqual(answer.to_wire(), wire)
        self.assertEqual((results, 1), engine.got)
        rpc = _FakeRpcClient(answer=wire)
        client = clients.RemoteEngineClient(None, 'engine', rpc_client=rpc)
        self.assertEqual(answer, client.on_action_results(results, take=1))
        self.assertEqual(('call', 'on_action_results',
                          {'results': results.to_wire(), 'take': 1}),
                         rpc.sent[0])
        # without take: the call and its answer as they always were
        rpc = _FakeRpcClient(answer=[True])
        client = clients.RemoteEngineClient(None, 'engine', rpc_client=rpc)
        self.assertEqual([True], client.on_action_results(results))
        self.assertEqual({'results': results.to_wire()}, rpc.sent[0][2])

    def test_only_untargeted_actions_are_taken(self):
        outbox = type('Outbox', (), {})()
        targeted = contracts.Runnable('std.echo', {}, True, 't',
                                      target='exec-9')
        outbox.actions = [targeted, _echo('a', 1), _echo('b', 2),
                          _echo('c', 3)]
        taken = engine_service._take_actions(outbox, 2)
        self.assertEqual(['a', 'b'], [r.action_ex_id for r in taken])
        self.assertEqual(['t', 'c'],
                         [r.action_ex_id for r in outbox.actions])


class FollowUpsTest(SqliteFileCase):

    def test_engine_hands_back_the_next_action(self):
        from mistral_clone.services import workflows as wf_svc
        executors = _Executors()
        engine = Engine(executor_client=executors, workers=1)
        self.addCleanup(engine.stop)
        wf_svc.create_workflows(
            "version: '2.0'\nwf:\n  tasks:\n    t1:\n"
            "      action: std.sleep seconds=0\n      on-success: t2\n"
            "    t2:\n      action: std.sleep seconds=0\n")
        engine.start_workflow('wf')
        first = executors.sent.pop()
        answer = engine.on_action_results(contracts.ActionResults(
            ((first.action_ex_id, contracts.ActionResult(data=None)),)),
            take=1)
        self.assertEqual([True], answer.answers)
        self.assertEqual(1, len(answer.actions.items))
        second = answer.actions.items[0]
        self.assertEqual(('std.sleep', {'seconds': 0}),
                         (second.action, second.input))
        self.assertEqual([], executors.sent)
        # the same result again: answered False, nothing more handed back
        answer = engine.on_action_results(contracts.ActionResults(
            ((first.action_ex_id, contracts.ActionResult(data=None)),)),
            take=1)
        self.assertEqual(contracts.ResultsAnswer([False]), answer)
        # without take, the next action goes to the executors
        self.assertEqual([True], engine.on_action_results(
            contracts.ActionResults(
                ((second.action_ex_id, contracts.ActionResult(data=1)),))))
        self.assertEqual([], executors.sent)  # t2 was the last task

    def test_the_answer_does_not_wait_for_the_sends(self):
        # Engines of the production mode (send_after_answer): a start's
        # answer leaves before the message taking its first action to the
        # executors (it waited for that publisher-confirmed message); the
        # message still leaves, after the commit, and a stopping engine
        # lets it leave first.
        from mistral_clone.services import workflows as wf_svc
        release = threading.Event()

        class SlowExecutors(_Executors):
            def run_action(self, runnable):
                release.wait(10)
                super().run_action(runnable)
        executors = SlowExecutors()
        engine = Engine(executor_client=executors, workers=1,
                        send_after_answer=True)
        self.addCleanup(engine.stop)
        wf_svc.create_workflows(
            "version: '2.0'\nwf:\n  tasks:\n    t1:\n"
            "      action: std.sleep seconds=0\n")
        ex = engine.start_workflow('wf')
        self.assertEqual('RUNNING', ex['state'])
        self.assertEqual([], executors.sent)  # still being sent
        ex2 = engine.start_workflow('wf')
        threading.Timer(0.2, release.set).start()
        engine.stop()  # waits for both sends
        self.assertEqual(
            {ex['id'], ex2['id']},
            {r.wf_ex_id for r in executors.sent})

    def test_executor_claims_and_runs_what_its_delivery_took(self):
        a, b = _action(), _action()
        engine = _HandingEngine([[_echo(b, 'B')]])
        executors = _Executors()
        executor = Executor(engine, workers=2, host='exec-1',
                            track_actions=True, executors=executors)
        self.addCleanup(executor.stop)
        executor.run_actions(contracts.Runnables((_echo(a, 'A'),)))
        _wait(lambda: len(engine.delivered) == 2)
        self.assertEqual([([a], 1), ([b], 1)], engine.delivered)
        self.assertEqual(('RUNNING', None, 'exec-1'), _row(b))
        self.assertEqual([], executors.sent)
        _wait(lambda: not executor.held_actions())

    def test_an_engine_without_take_gets_plain_deliveries(self):
        import oslo_messaging as messaging

        class OldEngine:
            def __init__(self):
                self.calls = []

            def on_action_results(self, results, **kwargs):
                self.calls.append(sorted(kwargs))
                if kwargs:
                    raise messaging.RemoteError(
                        'TypeError', "unexpected keyword argument 'take'")
                return [True] * len(results.items)

            def on_action_complete(self, action_ex_id, result):
                self.calls.append([])
                return True
        engine = OldEngine()
        executor = Executor(engine, workers=2, host='exec-1',
                            executors=_Executors())
        self.addCleanup(executor.stop)
        executor.run_action(_echo('a', 1))
        _wait(lambda: len(engine.calls) == 2)
        executor.run_action(_echo('b', 2))
        _wait(lambda: len(engine.calls) == 3)
        self.assertEqual([['take'], [], []], engine.calls)

    def test_a_stopping_executor_sends_taken_actions_on(self):
        b = _action()
        engine = _HandingEngine([[_echo(b, 'B')]])
        executors = _Executors()
        executor = Executor(engine, workers=2, host='exec-1',
                            track_actions=True, executors=executors)
        executor.stop()
        executor._deliver_taking([('a', contracts.ActionResult(data=1))])
        self.assertEqual([b], [r.action_ex_id for r in executors.sent])
        self.assertEqual(('RUNNING', None, None), _row(b))


if __name__ == '__main__':
    unittest.main()
