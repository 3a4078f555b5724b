"""The typed contracts of rpc/contracts.py: wire forms, and who uses them."""

import subprocess
import sys
import unittest

from mistral_lib import actions as ml_actions

from mistral_clone.rpc import clients
from mistral_clone.rpc import contracts


class WireTest(unittest.TestCase):

    def test_runnable_round_trip(self):
        r = contracts.Runnable('std.echo', {'output': [1, {'a': None}]},
                               True, 'ae', 'te', 'we', 'wb.wf', 30, True,
                               'exec-1')
        wire = r.to_wire()
        self.assertEqual({'action', 'input', 'is_sync', 'action_ex_id',
                          'task_ex_id', 'wf_ex_id', 'workflow_name',
                          'timeout', 'safe_rerun', 'target'}, set(wire))
        self.assertEqual(r, contracts.Runnable.from_wire(wire))

    def test_runnable_ignores_unknown_keys(self):
        # a newer engine may send more
        r = contracts.Runnable.from_wire({'action': 'std.noop', 'input': {},
                                          'is_sync': True, 'extra': 1})
        self.assertEqual('std.noop', r.action)
        self.assertIsNone(r.action_ex_id)

    def test_action_result_forms(self):
        for result, wire, outcome in (
                (contracts.ActionResult(data={'x': 1}), {'data': {'x': 1}},
                 ('SUCCESS', {'x': 1})),
                (contracts.ActionResult(data=None), {'data': None},
                 ('SUCCESS', None)),
                (contracts.ActionResult(error='boom'), {'error': 'boom'},
                 ('ERROR', 'boom')),
                (contracts.ActionResult(cancelled=True), {'cancel': True},
                 ('CANCELLED', None))):
            self.assertEqual(wire, result.to_wire())
            self.assertEqual(result, contracts.ActionResult.from_wire(wire))
            self.assertEqual(outcome, result.outcome())

    def test_from_mistral_lib_result(self):
        self.assertEqual(contracts.ActionResult(data=3),
                         contracts.ActionResult.from_lib(
                             ml_actions.Result(data=3)))
        self.assertEqual(contracts.ActionResult(error='e'),
                         contracts.ActionResult.from_lib(
                             ml_actions.Result(error='e')))
        self.assertEqual(contracts.ActionResult(cancelled=True),
                         contracts.ActionResult.from_lib(
                             ml_actions.Result(cancel=True)))

    def test_decoders_come_from_the_interface(self):
        self.assertEqual(
            {'result': contracts.ActionResult.from_wire},
            contracts.decoders(contracts.EngineApi, 'on_action_complete'))
        self.assertEqual(
            {'runnable': contracts.Runnable.from_wire},
            contracts.decoders(contracts.ExecutorApi, 'run_action'))
        self.assertEqual({}, contracts.decoders(contracts.EngineApi,
                                                'start_workflow'))


class ImplementationsTest(unittest.TestCase):

    def test_every_side_implements_the_whole_interface(self):
        from mistral_clone.engine.service import Engine
        from mistral_clone.executor.service import Executor
        # abstract methods left out would make these raise TypeError
        engine = Engine(workers=1)
        engine.stop()
        Executor(engine, workers=1).stop()
        clients.RemoteEngineClient(None, 'engine', rpc_client=object())
        clients.RemoteExecutorClient(None, 'executor', rpc_client=object())

    def test_executor_does_not_import_the_engine(self):
        out = subprocess.run(
            [sys.executable, '-c',
             'import sys, mistral_clone.executor.service; '
             'print(sorted(m for m in sys.modules '
             'if m.startswith("mistral_clone.engine")))'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
            universal_newlines=True)
        self.assertEqual('[]', out.stdout.strip(), out.stderr)
