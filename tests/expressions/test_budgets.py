"""Bounded expressions: CPU and size budgets of every YAQL/Jinja evaluation.

No wall-clock bound is asserted (the machine may be loaded); a runaway
evaluation is run in a helper thread so that a broken budget fails the test
instead of hanging the suite.
"""

import threading
import time

from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from mistral_clone.expressions import budget
from tests.expressions import base

NESTED_JINJA = ('{% for i in range(99999) %}{% for j in range(99999) %}'
                '{% endfor %}{% endfor %}{{ 1 }}')
FLATTEN = 'range(0,100000).select(range(0,100000)).flatten().len()'


class BudgetTestCase(base.ExprTestCase):

    def evaluate_bounded(self, text, context=None, give_up=300):
        """expr.evaluate in a thread; the test fails if it never ends."""
        box = {}

        def run():
            try:
                box['value'] = expr.evaluate(text, context or {'a': 1})
            except BaseException as e:  # noqa - reported below
                box['error'] = e

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(give_up)
        self.assertFalse(thread.is_alive(),
                         'evaluation of %r was never stopped' % text)
        return box

    def assertStopped(self, cls, text, context=None, contains=()):
        box = self.evaluate_bounded(text, context)
        self.assertNotIn('value', box, text)
        self.assertIsInstance(box['error'], cls)
        message = str(box['error'])
        for part in contains:
            self.assertIn(part, message)
        return message


class CpuBudgetTest(BudgetTestCase):

    def setUp(self):
        super().setUp()
        expr.configure(max_cpu_seconds=0.5)

    def test_nested_jinja_loops_are_stopped(self):
        self.assertStopped(exc.JinjaEvaluationException, NESTED_JINJA,
                           contains=('CPU budget of 0.5 seconds',
                                     '[expression=%s]' % NESTED_JINJA))

    def test_yaql_flatten_is_stopped(self):
        self.assertStopped(
            exc.YaqlEvaluationException, '<% ' + FLATTEN + ' %>',
            contains=('CPU budget', '[expression=%s]' % FLATTEN))

    def test_yaql_infinite_sequence_is_stopped(self):
        self.assertStopped(exc.YaqlEvaluationException,
                           '<% sequence().len() %>',
                           contains=('max_cpu_seconds',))

    def test_embedded_expression_is_stopped(self):
        self.assertStopped(exc.YaqlEvaluationException,
                           'count: <% range(0, 1000000000).len() %>',
                           contains=('CPU budget',))

    def test_next_evaluations_are_unaffected(self):
        self.assertStopped(exc.YaqlEvaluationException,
                           '<% sequence().len() %>')
        # No stray asynchronous exception afterwards: plenty of bytecode.
        deadline = time.monotonic() + 1.0
        n = 0
        while time.monotonic() < deadline:
            self.assertEqual(3, expr.evaluate('<% $.a + 2 %>', {'a': 1}))
            n += 1
        self.assertGreater(n, 0)

    def test_normal_evaluations_pass(self):
        ctx = {'l': list(range(2000))}
        self.assertEqual(sum(range(2000)) * 2,
                         expr.evaluate('<% $.l.select($ * 2).sum() %>', ctx))
        self.assertEqual('1', expr.evaluate(
            '{% for i in range(100) %}{% endfor %}{{ 1 }}', ctx))

    def test_zero_disables_the_budget(self):
        expr.configure(max_cpu_seconds=0)
        self.assertEqual(0, budget.limits.max_cpu_seconds)
        self.assertEqual(300000, expr.evaluate(
            '<% range(0, 300000).len() %>', {'a': 1}))


class SizeBudgetTest(BudgetTestCase):

    def test_pow_is_refused_before_computing(self):
        message = self.assertStopped(
            exc.YaqlEvaluationException, '<% pow(10, 100000000) %>',
            contains=('[expression=pow(10, 100000000), error=Expression '
                      'result is too large',))
        self.assertIn('bits', message)

    def test_huge_integers_are_refused_everywhere(self):
        for text in ['<% pow(10, 100000000) %>',
                     '<% shiftBitsLeft(1, 10000000000) %>',
                     '<% pow(7, 2000000) * pow(7, 2000000) %>',
                     '<% range(1, 30).aggregate($1 * $1, 7) %>',
                     '{{ 10 ** 100000000 }}',
                     '{{ 7 ** 200000 * 7 ** 200000 }}']:
            self.assertStopped(exc.EvaluationException, text,
                               contains=('too large',))

    def test_repetition_is_refused_before_building(self):
        expr.configure(max_value_size=1000)
        for text in ["<% 'ab' * 501 %>", "<% 501 * 'ab' %>",
                     '<% [1, 2] * 63 %>', '<% 63 * [1, 2] %>',
                     "{{ 'ab' * 501 }}", '{{ [1, 2] * 63 }}']:
            self.assertStopped(exc.EvaluationException, text,
                               contains=('too large', 'size budget'))
        self.assertEqual('ab' * 500, expr.evaluate("<% 'ab' * 500 %>", {}))
        self.assertEqual('ab' * 500, expr.evaluate("{{ 'ab' * 500 }}", {}))

    def test_doubling_concatenation_is_refused(self):
        expr.configure(max_value_size=10000)
        self.assertStopped(exc.YaqlEvaluationException,
                           "<% range(0, 20).aggregate($1 + $1, 'ab') %>",
                           contains=('too large',))
        self.assertStopped(exc.YaqlEvaluationException,
                           '<% range(0, 20).aggregate($1 + $1, [1]) %>',
                           contains=('too large',))

    def test_default_budget_allows_normal_values(self):
        self.assertEqual(2 ** 1000, expr.evaluate('<% pow(2, 1000) %>', {}))
        self.assertEqual(10000, len(expr.evaluate("<% 'a' * 10000 %>", {})))


class IteratorLimitTest(BudgetTestCase):

    def setUp(self):
        super().setUp()
        expr.configure(limit_iterators=1000)

    def test_len_of_a_long_range_is_stopped(self):
        self.assertStopped(exc.YaqlEvaluationException,
                           '<% range(0, 100000000).len() %>',
                           contains=('Collection length exceeds 1000',))

    def test_flatten_len_is_stopped(self):
        self.assertStopped(exc.YaqlEvaluationException,
                           '<% ' + FLATTEN + ' %>',
                           contains=('Collection length exceeds 1000',))

    def test_short_ranges_still_count(self):
        self.assertEqual(1000, expr.evaluate('<% range(0, 1000).len() %>',
                                             {}))
