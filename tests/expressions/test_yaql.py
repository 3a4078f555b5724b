import json

from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from tests.expressions import base

DATA = {
    'd': {'a': 1, 'b': None},
    'l': [3, 1, 2, 1],
    's': 'Hello World',
    'n': None,
    'x': 1,
    'dk': {'k': [1, 2]},
    'f': 1.5,
    't': True,
}


class YaqlWholeVsEmbeddedTest(base.ExprTestCase):

    def ev(self, s, data=DATA):
        return expr.evaluate(s, data)

    def test_whole_native(self):
        self.assertEqual({'k': [1, 2]}, self.ev('<% $.dk %>'))
        self.assertEqual([3, 1, 2, 1], self.ev('<% $.l %>'))
        self.assertIsNone(self.ev('<% $.n %>'))
        self.assertIs(True, self.ev('<% $.t %>'))
        self.assertEqual(2, self.ev('<%$.x + 1%>'))
        self.assertEqual(1.5, self.ev('<% $.f %>'))

    def test_embedded_str(self):
        self.assertEqual("x {'k': [1, 2]} y", self.ev('x <% $.dk %> y'))
        self.assertEqual(" {'k': [1, 2]}", self.ev(' <% $.dk %>'))
        self.assertEqual("{'k': [1, 2]} ", self.ev('<% $.dk %> '))
        self.assertEqual('None True 1.5', self.ev(
            '<% $.n %> <% $.t %> <% $.f %>'))
        self.assertEqual('12', self.ev('<% 1 %><% 2 %>'))

    def test_embedded_sequential_replace(self):
        # Observed: occurrences are replaced one after another in the whole
        # string, so a value holding another occurrence's text is replaced.
        data = {'a': '<% $.b %>', 'b': 'B'}
        self.assertEqual('B B', self.ev('<% $.a %> <% $.b %>', data))
        # A single whole expression is not re-evaluated.
        self.assertEqual('<% $.b %>', self.ev('<% $.a %>', data))

    def test_delimiter_stripping(self):
        data = {'a': '<% $.b %>', 'b': 'B'}
        # Characters '<', '%', '>' are stripped from both ends.
        self.assertEqual('<% $.b %>', self.ev('<%$.a>%>', data))

    def test_not_expressions(self):
        self.assertEqual('<% $.x\n %>', self.ev('<% $.x\n %>'))
        self.assertEqual('plain', self.ev('plain'))
        self.assertEqual(5, self.ev(5))
        self.assertEqual([1], self.ev([1]))

    def test_missing_key_error(self):
        e = self.assertEvalError(
            exc.YaqlEvaluationException, '<% $.nope %>', DATA,
            "Can not evaluate YAQL expression [expression=$.nope, "
            "error='nope']")
        self.assertEqual("Can not evaluate YAQL expression "
                         "[expression=$.nope, error='nope']", str(e))
        self.assertEvalError(
            exc.YaqlEvaluationException, 'a <% $.d.zz %>', DATA,
            "Can not evaluate YAQL expression [expression=$.d.zz, "
            "error='zz']")

    def test_error_does_not_include_context(self):
        data = {'secret': 'TOPSECRET', 'x': 1}
        with self.assertRaises(exc.YaqlEvaluationException) as cm:
            expr.evaluate('<% $.x.foo() %>', data)
        self.assertNotIn('TOPSECRET', str(cm.exception))

    def test_context_view_as_root(self):
        view = expr.ContextView({'x': 1}, {'x': 2, 'y': 3})
        self.assertEqual(1, expr.evaluate('<% $.x %>', view))
        self.assertEqual(4, expr.evaluate('<% $.x + $.y %>', view))
        self.assertEqual({'x': 1, 'y': 3}, expr.evaluate('<% $ %>', view))
        self.assertTrue(expr.evaluate('<% isDict($) %>', view))
        self.assertEqual(['x', 'y'],
                         sorted(expr.evaluate('<% $.keys() %>', view)))
        self.assertEqual(7, expr.evaluate('<% $.get(zz, 7) %>', view))

    def test_fast_path_matches_yaql(self):
        # Chains resolved without yaql must give exactly yaql's results.
        data = {'a': {'b': {'c': [1, (2, 3)], 'e': {1, 2}}},
                'l': [{'k': 1}, {'k': 2}]}
        self.assertEqual([1, [2, 3]], expr.evaluate('<% $.a.b.c %>', data))
        self.assertEqual([1, 2], sorted(expr.evaluate('<% $.a.b.e %>',
                                                      data)))
        # List in the chain: yaql's collection attribution.
        self.assertEqual([1, 2], expr.evaluate('<% $.l.k %>', data))
        # Same value through the generic path.
        self.assertEqual(expr.evaluate('<% $.a.b.c %>', data),
                         expr.evaluate('<% $.a.b.c.select($) %>', data))
        # Results are fresh copies.
        out = expr.evaluate('<% $.a %>', data)
        out['b']['c'].append(9)
        self.assertEqual([1, (2, 3)], data['a']['b']['c'])

    def test_results_json_serialisable(self):
        for s in ['<% $.l.toSet() %>', '<% $.d.keys() %>',
                  '<% dict(a => set(1, 2)) %>', '<% [set(1)] %>',
                  '<% $.l.enumerate() %>']:
            json.dumps(expr.evaluate(s, DATA))
        self.assertEqual([1, 2, 3],
                         sorted(expr.evaluate('<% $.l.toSet() %>', DATA)))


class YaqlCheatSheetTest(base.ExprTestCase):
    """Rows of expressions.md section 9 (observed on the reference)."""

    CASES = [
        ('$.d.get(zz, 5)', 5),
        ('$.d.get(b, 5)', None),
        ('$.d.values()', [1, None]),
        ('$.d.a', 1), ("$.d['a']", 1), ('$.l[0]', 3), ('$.l[-1]', 1),
        ('len($.l)', 4), ('$.l.len()', 4), ('$.l.count()', 4),
        ('$.l.where($ > 1)', [3, 2]), ('$.l.select($ * 10)', [30, 10, 20, 10]),
        ('$.l.first()', 3), ('$.l.last()', 1),
        ('$.l.where($ = 100).first(null)', None),
        ('$.l.distinct()', [3, 1, 2]), ('$.l.orderBy($)', [1, 1, 2, 3]),
        ('$.l.sum()', 7), ('$.l.max()', 3),
        ('$.l.skip(1).take(2)', [1, 2]), ('$.l.any($ > 2)', True),
        ('$.l.all($ > 0)', True),
        ('$.l.enumerate()', [[0, 3], [1, 1], [2, 2], [3, 1]]),
        ('$.l.zip([1,2,3,4])', [[3, 1], [1, 2], [2, 3], [1, 4]]),
        ('$.l.groupBy($)', [[3, [3]], [1, [1, 1]], [2, [2]]]),
        ('[[1,2],[3]].flatten()', [1, 2, 3]), ('range(3)', [0, 1, 2]),
        ('list(1, 2)', [1, 2]),
        ('3 in $.l', True), ('$.l.contains(7)', False), ('$.l.indexOf(2)', 2),
        ('dict(a => 1, b => 2)', {'a': 1, 'b': 2}),
        ('{a => 1}.set(b, 2)', {'a': 1, 'b': 2}),
        ('$.d.delete(a)', {'b': None}),
        ('{a=>1}.mergeWith({b=>2})', {'a': 1, 'b': 2}),
        ('$.s.toUpper()', 'HELLO WORLD'), ('$.s.toLower()', 'hello world'),
        ("' a '.trim()", 'a'), ("$.s.split(' ')", ['Hello', 'World']),
        ("$.s.replace('l','L')", 'HeLLo WorLd'),
        ('$.s.substring(0,5)', 'Hello'), ("$.s.startsWith('He')", True),
        ('$.s.len()', 11),
        ("'-'.join(['a','b'])", 'a-b'),
        ("$.l.select(str($)).join(',')", '3,1,2,1'),
        ("concat('a','b')", 'ab'), ("'a' * 3", 'aaa'),
        ("$.s.matches('W.r')", True),
        ("regex('(\\\\w+) (\\\\w+)').search($.s)", 'Hello World'),
        ("str(5) + 'x'", '5x'), ("int('5') + 1", 6), ("float('1.5')", 1.5),
        ('int(true)', 1), ('bool(0)', False),
        ('7 / 2', 3), ('7 mod 2', 1),
        ('$.n = null', True), ('$.n != null and $.n > 1', False),
        ("$.d.b or 'dflt'", 'dflt'),
        ('let(x => 2) -> $x * 3', 6),
        ("switch($.n = null => 'none', true => 'some')", 'none'),
        ('isString($.s)', True), ('isList($.l)', True), ('isDict($.d)', True),
    ]

    def test_cheat_sheet(self):
        for inner, expected in self.CASES:
            with self.subTest(expression=inner):
                self.assertEqual(expected,
                                 expr.evaluate('<% ' + inner + ' %>', DATA))

    def test_sets_and_misc(self):
        self.assertEqual(['a', 'b'],
                         sorted(expr.evaluate('<% $.d.keys() %>', DATA)))
        self.assertEqual([1, 2, 3],
                         sorted(expr.evaluate('<% $.l.toSet() %>', DATA)))
        self.assertGreater(expr.evaluate('<% now().year %>', DATA), 2000)

    def test_gotchas(self):
        self.assertEvalError(exc.YaqlEvaluationException,
                             '<% $.d.items() %>', DATA,
                             'Can not evaluate YAQL expression '
                             '[expression=$.d.items(), error=')
        self.assertEvalError(exc.YaqlEvaluationException,
                             '<% [].first() %>', DATA,
                             'Can not evaluate YAQL expression')
