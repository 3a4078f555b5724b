import threading
import time

from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from tests.expressions import base


class LimitsTest(base.ExprTestCase):

    def setUp(self):
        super().setUp()
        # Small limits keep the runaway cases fast (yaql's sum() dispatches
        # '+' per element, ~100 us each).
        expr.configure(limit_iterators=200, memory_quota=10000)

    def assertFailsFast(self, cls, s, ctx=None):
        start = time.monotonic()
        with self.assertRaises(cls):
            expr.evaluate(s, {'a': 1} if ctx is None else ctx)
        # Generous (a loaded machine): a runaway would take hours.
        self.assertLess(time.monotonic() - start, 30)

    def test_runaway_yaql(self):
        self.assertFailsFast(exc.YaqlEvaluationException,
                             '<% range(100000000).sum() %>')
        self.assertFailsFast(exc.YaqlEvaluationException,
                             "<% 'a' * 100000000 %>")
        self.assertFailsFast(exc.YaqlEvaluationException,
                             '<% list(range(100000000)) %>')
        self.assertFailsFast(exc.EvaluationException,
                             "x <% 'ab' * 100000000 %>")

    def test_runaway_jinja(self):
        for s in ["{{ 'a' * 100000000 }}", '{{ [1, 2] * 100000000 }}',
                  '{{ 10 ** 100000000 }}', '{{ range(100000000) | sum }}',
                  "x {{ 'a' * 100000000 }}"]:
            self.assertFailsFast(exc.JinjaEvaluationException, s)

    def test_normal_expressions_still_work(self):
        ctx = expr.ContextView({'l': list(range(100)), 'x': 1,
                                's': 'hello', 'd': {'k': [1, 2]}})
        self.assertEqual(9900,
                         expr.evaluate('<% $.l.select($ * 2).sum() %>', ctx))
        self.assertEqual(list(range(100)), expr.evaluate('<% $.l %>', ctx))
        self.assertEqual({'k': [1, 2]}, expr.evaluate('<% $.d %>', ctx))
        self.assertEqual(2, expr.evaluate('<% $.x + 1 %>', ctx))
        self.assertEqual('hello', expr.evaluate('<% $.s %>', ctx))
        self.assertEqual('aaa', expr.evaluate("<% 'a' * 3 %>", ctx))
        self.assertEqual(100, expr.evaluate('{{ _.l | length }}', ctx))
        self.assertEqual('aaa', expr.evaluate("{{ 'a' * 3 }}", ctx))
        self.assertEqual(1024, expr.evaluate('{{ 2 ** 10 }}', ctx))

    def test_limits_apply_to_fast_path(self):
        ctx = {'big': list(range(500)), 's': 'x' * 20000, 'x': 1}
        self.assertEvalError(exc.YaqlEvaluationException, '<% $.big %>', ctx,
                             'Can not evaluate YAQL expression '
                             '[expression=$.big, error=')
        self.assertEvalError(exc.YaqlEvaluationException, '<% $.s %>', ctx,
                             'Can not evaluate YAQL expression '
                             '[expression=$.s, error=')
        self.assertEqual(1, expr.evaluate('<% $.x %>', ctx))
        expr.configure()
        self.assertEqual(list(range(500)), expr.evaluate('<% $.big %>', ctx))

    def test_reconfigure_is_cheap_and_effective(self):
        start = time.monotonic()
        for _ in range(5):
            expr.configure(limit_iterators=-1, memory_quota=-1)
            self.assertEqual(list(range(300)),
                             expr.evaluate('<% list(range(300)) %>', {'a': 1}))
            expr.configure(limit_iterators=200)
            with self.assertRaises(exc.YaqlEvaluationException):
                expr.evaluate('<% list(range(300)) %>', {'a': 1})
        self.assertLess(time.monotonic() - start, 30)  # generous: load


class CachingAndThreadsTest(base.ExprTestCase):

    def test_repeated_evaluation_is_fast(self):
        # Guard against a lost cache, not a benchmark (bench/ measures
        # speed): uncached, 1000 parses take seconds; the bound is generous
        # enough for a loaded machine.
        ctx = {'x': 1}
        expr.evaluate('<% $.x %>', ctx)
        start = time.perf_counter()
        for _ in range(1000):
            expr.evaluate('<% $.x %>', ctx)
        self.assertLess(time.perf_counter() - start, 10)

    def test_threads(self):
        errors = []

        def work(i):
            try:
                for j in range(20):
                    s = '<%% $.x + %d %%>' % (i * 100 + j)
                    self.assertEqual(1 + i * 100 + j,
                                     expr.evaluate(s, {'x': 1}))
                    self.assertEqual(i, expr.evaluate('{{ _.i }}', {'i': i}))
            except Exception as e:  # pragma: no cover
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([], errors)
