"""Task policies as pure decisions (engine/policies.py): no database, no
server. Specs come from the real parser; expressions are evaluated by a
callback the tests control."""

import unittest

from mistral_clone import exceptions as exc
from mistral_clone import lang
from mistral_clone.engine import jobs
from mistral_clone.engine import policies
from mistral_clone.engine import states


def task(text):
    """The policies of task ``t`` of a one-task workflow."""
    spec = lang.parse_workflows(
        "version: '2.0'\nw:\n  tasks:\n    t:\n      action: std.noop\n"
        + ''.join('      %s\n' % line for line in text.strip().splitlines())
    )[0]
    return spec.tasks['t']


def literal(_value):
    raise AssertionError('nothing should be evaluated')


class Values(dict):
    """An ``evaluate`` callback answering from a dict, recording calls."""

    def __init__(self, **answers):
        super().__init__(answers)
        self.asked = []

    def __call__(self, expression):
        self.asked.append(expression)
        for key, value in self.items():
            if key in expression:
                return value
        raise exc.EvaluationException('cannot evaluate %s' % expression)


class BeforeStartTest(unittest.TestCase):

    def test_no_policy_no_decision(self):
        self.assertEqual([], policies.before_start(
            task('').policies, {}, literal))

    def test_pause_before_holds_and_checks_nothing_else(self):
        p = task("pause-before: true\nwait-before: '<% $.bad %>'").policies
        self.assertEqual([policies.Hold()],
                         policies.before_start(p, {}, literal))
        self.assertEqual("Set by 'pause-before' policy",
                         policies.Hold().info)

    def test_pause_before_expression(self):
        p = task("pause-before: <% $.hold %>").policies
        self.assertEqual([policies.Hold()], policies.before_start(
            p, {}, Values(hold=True)))
        self.assertEqual([], policies.before_start(
            p, {}, Values(hold=False)))

    def test_timeout_is_armed_before_the_wait(self):
        p = task("timeout: 7\nwait-before: 2").policies
        decisions = policies.before_start(p, {}, literal)
        self.assertEqual([policies.ArmTimeout(7), policies.WaitBefore(2)],
                         decisions)
        self.assertEqual(jobs.TASK_TIMEOUT, decisions[0].job)
        self.assertEqual(jobs.TASK_CONTINUE, decisions[1].job)
        self.assertEqual("Delayed by 'wait-before' policy [delay=2]",
                         decisions[1].info)

    def test_wait_before_only_once(self):
        p = task("wait-before: 2").policies
        self.assertEqual([], policies.before_start(
            p, {'wait_before_policy': {'skip': True}}, literal))

    def test_zero_disables(self):
        p = task("wait-before: 0\ntimeout: 0").policies
        self.assertEqual([], policies.before_start(p, {}, literal))

    def test_every_value_is_checked_before_the_start(self):
        # retry.delay acts only after completion, but a bad value fails
        # the task before it runs (the reference's hook order).
        p = task("retry:\n  count: 1\n  delay: <% $.d %>").policies
        with self.assertRaises(policies.InvalidPolicyValue) as cm:
            policies.before_start(p, {}, Values(d='1'))
        message = str(cm.exception)
        self.assertTrue(message.startswith(
            "Invalid data type in RetryPolicy: '1' is not of type "
            "'integer'"), message)
        self.assertIn("schema['properties']['delay']", message)

    def test_negative_value_message(self):
        p = task("wait-after: <% $.d %>").policies
        with self.assertRaises(policies.InvalidPolicyValue) as cm:
            policies.before_start(p, {}, Values(d=-3))
        self.assertIn('WaitAfterPolicy: -3 is less than the minimum of 0',
                      str(cm.exception))

    def test_booleans_are_not_integers(self):
        p = task("timeout: <% $.d %>").policies
        with self.assertRaises(policies.InvalidPolicyValue):
            policies.before_start(p, {}, Values(d=True))

    def test_evaluation_errors_propagate(self):
        p = task("wait-before: <% $.missing %>").policies
        with self.assertRaises(exc.EvaluationException):
            policies.before_start(p, {}, Values())


class AfterCompleteTest(unittest.TestCase):

    def test_wait_after_once(self):
        p = task("wait-after: 3").policies
        d = policies.wait_after(p, {}, literal)
        self.assertEqual(policies.WaitAfter(3), d)
        self.assertEqual(jobs.TASK_WAIT_AFTER_DONE, d.job)
        self.assertEqual("Delayed by 'wait-after' policy [delay=3]", d.info)
        self.assertIsNone(policies.wait_after(
            p, {'wait_after_policy': {'skip': True}}, literal))
        self.assertIsNone(policies.wait_after(task('').policies, {},
                                              literal))

    def test_fail_on_only_turns_a_success(self):
        p = task("fail-on: <% $.bad %>").policies
        self.assertTrue(policies.fail_on(p, states.SUCCESS, Values(bad=1)))
        self.assertFalse(policies.fail_on(p, states.SUCCESS,
                                          Values(bad=0)))
        self.assertFalse(policies.fail_on(p, states.ERROR, literal))
        self.assertFalse(policies.fail_on(task('').policies,
                                          states.SUCCESS, literal))

    def test_retry_counts_attempts(self):
        p = task("retry:\n  count: 2\n  delay: 5").policies
        self.assertEqual(policies.Retry(1, 5), policies.retry(
            p, states.ERROR, {}, literal, literal))
        self.assertEqual(policies.Retry(2, 5), policies.retry(
            p, states.ERROR, {'retry_task_policy': {'retry_no': 1}},
            literal, literal))
        # count: 2 allows three attempts in all
        self.assertIsNone(policies.retry(
            p, states.ERROR, {'retry_task_policy': {'retry_no': 2}},
            literal, literal))
        self.assertEqual("Delayed by 'retry' policy [delay=5]",
                         policies.Retry(1, 5).info)

    def test_retry_guards_see_the_outbound_context(self):
        p = task("retry:\n  count: 3\n  delay: 0\n"
                 "  break-on: <% $.fatal %>").policies
        inbound, outbound = Values(), Values(fatal=True)
        self.assertIsNone(policies.retry(p, states.ERROR, {}, inbound,
                                         outbound))
        self.assertEqual([], inbound.asked)
        self.assertEqual(['<% $.fatal %>'], outbound.asked)

    def test_continue_on_retries_a_success(self):
        p = task("retry:\n  count: 3\n  delay: 1\n"
                 "  continue-on: <% $.again %>").policies
        self.assertEqual(policies.Retry(1, 1), policies.retry(
            p, states.SUCCESS, {}, literal, Values(again=True)))
        self.assertIsNone(policies.retry(
            p, states.SUCCESS, {}, literal, Values(again=False)))

    def test_no_retry_policy(self):
        self.assertIsNone(policies.retry(task('').policies, states.ERROR,
                                         {}, literal, literal))


class ValuesTest(unittest.TestCase):

    def test_concurrency(self):
        self.assertEqual(0, policies.concurrency(task('').policies,
                                                 literal))
        self.assertEqual(4, policies.concurrency(
            task("concurrency: <% $.n %>").policies, Values(n=4)))

    def test_action_timeout(self):
        self.assertIsNone(policies.action_timeout(task('').policies,
                                                  literal))
        self.assertIsNone(policies.action_timeout(
            task("timeout: 0").policies, literal))
        self.assertEqual(9, policies.action_timeout(
            task("timeout: 9").policies, literal))

    def test_keep_result(self):
        self.assertTrue(policies.keep_result(task('')))
        self.assertFalse(policies.keep_result(task('keep-result: false')))
        # never evaluated: a non-empty expression counts as true
        self.assertTrue(policies.keep_result(
            task('keep-result: <% false %>')))


class JobTableTest(unittest.TestCase):

    def test_every_delay_names_a_known_job(self):
        for decision in (policies.ArmTimeout(1), policies.WaitBefore(1),
                         policies.WaitAfter(1), policies.Retry(1, 1)):
            self.assertIn(decision.job, jobs.TABLE)

    def test_job_runs_its_room(self):
        calls = []

        class Policies:
            def delay_over(self, task_ex_id, retry):
                calls.append(('delay_over', task_ex_id, retry))

        class T:
            policies = Policies()
        self.assertTrue(jobs.run(T(), jobs.TASK_CONTINUE,
                                 {'task_ex_id': 'x', 'retry': True}))
        self.assertTrue(jobs.run(T(), jobs.TASK_CONTINUE,
                                 {'task_ex_id': 'y'}))
        self.assertEqual([('delay_over', 'x', True),
                          ('delay_over', 'y', False)], calls)

    def test_unknown_kind_is_refused(self):
        with self.assertLogs('mistral_clone.engine.jobs', 'ERROR'):
            self.assertFalse(jobs.run(object(), 'frobnicate', {}))
