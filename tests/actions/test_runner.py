"""The executor-side runner: results, exceptions, timeouts, context."""

import threading
import time
import unittest

from mistral_lib import actions as ml_actions
from mistral_lib.actions import context as ml_context

from mistral_clone import actions


class Sleeper(ml_actions.Action):
    def __init__(self, seconds, value='done'):
        super().__init__()
        self.seconds, self.value = seconds, value
        self.finished = threading.Event()

    def run(self, context):
        time.sleep(self.seconds)
        self.finished.set()
        return self.value


class Raiser(ml_actions.Action):
    def __init__(self, error):
        super().__init__()
        self.error = error

    def run(self, context):
        raise self.error

    def __repr__(self):
        return 'Raiser'


class ContextReader(ml_actions.Action):
    def run(self, context):
        return {'wf': context.execution.workflow_execution_id,
                'task': context.execution.task_execution_id,
                'ae': context.execution.action_execution_id,
                'cb': context.execution.callback_url,
                'name': context.execution.workflow_name,
                'project': context.security.project_id,
                'token': context.security.auth_token}


class RunActionTest(unittest.TestCase):
    def test_plain_value_is_wrapped(self):
        res = actions.run_action(Sleeper(0, {'a': 1}))
        self.assertEqual(ml_actions.Result(data={'a': 1}), res)

    def test_result_passes_through(self):
        res = actions.run_action(
            actions.find_system_action('std.fail').instantiate(
                {'error_data': [1]}))
        self.assertEqual([1], res.error)

    def test_exception_text(self):
        ctx = actions.make_action_context(action_execution_id='ae-7')
        res = actions.run_action(Raiser(ValueError('bad thing')), ctx)
        self.assertEqual("The action raised an exception [action=Raiser, "
                         "action_ex_id=ae-7, msg='bad thing']", res.error)
        res = actions.run_action(Raiser(KeyError('k')))
        self.assertEqual("The action raised an exception [action=Raiser, "
                         "action_ex_id=None, msg=''k'']", res.error)

    def test_timeout_returns_when_it_fires(self):
        # The action would run 10 s; the call returns when the 0.1 s
        # timeout fires (generous bound for a loaded machine).
        action = Sleeper(10)
        ctx = actions.make_action_context(action_execution_id='ae-3')
        started = time.monotonic()
        res = actions.run_action(action, ctx, timeout=0.1)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 8)
        self.assertTrue(res.is_error())
        self.assertRegex(res.error,
                         r"^The action raised an exception \[action=<.*"
                         r"Sleeper object at 0x[0-9a-f]+>, action_ex_id=ae-3, "
                         r"msg='Timeout after 0.1 seconds'\]$")
        self.assertFalse(action.finished.is_set())

    def test_timeout_std_sleep_message(self):
        action = actions.find_system_action('std.echo').instantiate(
            {'output': 1, 'delay': 0.3})
        res = actions.run_action(action, timeout=0.05)
        self.assertIn('EchoAction object at', res.error)
        self.assertTrue(res.error.endswith(
            "msg='Timeout after 0.05 seconds']"))

    def test_finishing_in_time(self):
        res = actions.run_action(Sleeper(0.01, 'ok'), timeout=2)
        self.assertEqual('ok', res.data)
        res = actions.run_action(Raiser(RuntimeError('x')), timeout=2)
        self.assertIn("msg='x'", res.error)

    def test_should_report(self):
        sync = Sleeper(0)
        self.assertTrue(actions.should_report(sync, ml_actions.Result(1)))
        async_ = actions.find_system_action('std.async_noop').instantiate({})
        self.assertFalse(actions.should_report(async_, ml_actions.Result()))
        self.assertTrue(actions.should_report(
            async_, ml_actions.Result(error='e')))

    def test_ensure_deliverable(self):
        ok = ml_actions.Result(data={'a': 1})
        action = Raiser(None)
        self.assertIs(ok, actions.ensure_deliverable(ok, action, 'id'))
        bad = actions.ensure_deliverable(ml_actions.Result(data={1, 2}),
                                         action, 'id')
        self.assertTrue(bad.error.startswith(
            'Failed to complete action due to a Mistral exception '
            '[action=Raiser, action_ex_id=id]\n '), bad.error)


class ContextTest(unittest.TestCase):
    def test_make_action_context(self):
        ctx = actions.make_action_context(
            workflow_execution_id='wf', task_execution_id='t',
            action_execution_id='ae', workflow_name='w',
            security={'project_id': 'p', 'auth_token': 'tok', 'junk': 1})
        self.assertIsInstance(ctx, ml_context.ActionContext)
        self.assertEqual(
            {'wf': 'wf', 'task': 't', 'ae': 'ae',
             'cb': '/v2/action_executions/ae', 'name': 'w',
             'project': 'p', 'token': 'tok'},
            actions.run_action(ContextReader(), ctx).data)
        self.assertEqual(0, ctx.execution.with_items_index)

    def test_defaults(self):
        ctx = actions.make_action_context()
        self.assertIsNone(ctx.execution.callback_url)
        self.assertIsNone(ctx.security.auth_token)
        self.assertEqual({'wf': None, 'task': None, 'ae': None, 'cb': None,
                          'name': None, 'project': None, 'token': None},
                         actions.run_action(ContextReader()).data)

    def test_context_serialises_with_mistral_lib(self):
        from mistral_lib import serialization
        ctx = actions.make_action_context(action_execution_id='ae')
        serializer = serialization.get_polymorphic_serializer() \
            if hasattr(serialization, 'get_polymorphic_serializer') else \
            serialization.PolymorphicSerializer()
        data = serializer.serialize(ctx)
        back = serializer.deserialize(data)
        self.assertEqual('ae', back.execution.action_execution_id)
