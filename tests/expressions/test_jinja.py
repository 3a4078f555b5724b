import unittest

from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from tests.expressions import base

DATA = {'n': None, 'd': {'k': [1, 2]}, 'b': True, 's': 'str', 'l': [1, 2, 1],
        'x': 1}


class JinjaTest(base.ExprTestCase):

    def ev(self, s, data=None):
        return expr.evaluate(s, expr.ContextView(DATA if data is None
                                                 else data))

    def test_whole_native(self):
        self.assertEqual(3, self.ev('{{ 1 + 2 }}'))
        self.assertIsNone(self.ev('{{ _.n }}'))
        self.assertEqual({'k': [1, 2]}, self.ev('{{ _.d }}'))
        self.assertEqual([1, 2], self.ev('{{ (1, 2) }}'))
        self.assertEqual([1, 2], self.ev('{{ _.l | unique }}'))
        # Generators are materialised.
        self.assertEqual(['1', '2', '1'], self.ev("{{ _.l | map('string') }}"))
        self.assertEqual(1, self.ev('{{_.x}}'))

    def test_whole_result_shares_plain_values(self):
        # As YAQL's results (tests/expressions/test_shared_results.py):
        # plain values are handed out as they are, not copied (evaluated
        # values are never changed in place).
        self.assertIs(DATA['d'], self.ev('{{ _.d }}'))
        recs = [{'id': i, 'tags': ['a']} for i in range(5)]
        got = self.ev("{{ _.recs | sort(attribute='id', reverse=true) }}",
                      {'recs': recs})
        self.assertEqual(recs[::-1], got)
        for g, r in zip(got, recs[::-1]):
            self.assertIs(r, g)
        # Anything else is converted into plain data.
        got = self.ev('{{ {"t": (1, 2)} }}')
        self.assertEqual({'t': [1, 2]}, got)
        self.assertIs(list, type(got['t']))

    def test_template_rendering(self):
        self.assertEqual('yes str',
                         self.ev('{% if _.b %}yes{% endif %} {{ _.s }}'))
        self.assertEqual('None and True 1.5',
                         self.ev('{{ _.n }} and {{ _.b }} {{ 1.5 }}'))
        self.assertEqual("x {'k': [1, 2]}", self.ev('x {{ _.d }}'))
        self.assertEqual(' 3', self.ev(' {{ 1 + 2 }}'))
        # Jinja claims the string; '<% %>' stays literal.
        self.assertEqual('1 <% 2 %>', self.ev('{{ 1 }} <% 2 %>'))

    def test_trim_blocks(self):
        self.assertEqual('a\nb\n', self.ev(
            '{% for i in ["a", "b"] %}\n    {{ i }}\n{% endfor %}'.replace(
                '    ', '')))
        self.assertEqual('1\n', self.ev('   {% if true %}\n{{ 1 }}\n'
                                         '{% endif %}'))

    def test_access_forms(self):
        self.assertEqual(1, self.ev("{{ _['x'] }}"))
        self.assertEqual(5, self.ev("{{ _.get('zz', 5) }}"))
        self.assertEqual(3, self.ev('{{ _.l | length }}'))
        self.assertEqual(4, self.ev('{{ _.l | sum }}'))
        self.assertEqual('STR', self.ev('{{ _.s | upper }}'))
        self.assertEqual('[1, 2, 1]', self.ev('{{ _.l | tojson }}'))
        self.assertEqual('d', self.ev("{{ _.nope | default('d') }}"))
        self.assertIs(False, self.ev('{{ _.nope is defined }}'))
        self.assertIs(True, self.ev('{{ _.n is none }}'))
        self.assertEqual('str1', self.ev('{{ _.s ~ _.x }}'))

    def test_undefined_is_error(self):
        e = self.assertEvalError(
            exc.JinjaEvaluationException, '{{ _.nope }}',
            expr.ContextView(DATA),
            'Can not evaluate Jinja expression [expression={{ _.nope }}, '
            'error=')
        self.assertIn("has no attribute 'nope'", str(e))
        self.assertIn('ContextView object', str(e))
        self.assertEvalError(
            exc.JinjaEvaluationException, 'a {{ _.nope }} b',
            expr.ContextView(DATA),
            'Can not evaluate Jinja expression [expression=a {{ _.nope }} b,'
            ' error=')
        self.assertEvalError(
            exc.JinjaEvaluationException, "{{ _['nope'] }}",
            expr.ContextView(DATA), 'Can not evaluate Jinja expression')

    def test_block_without_print_quirk(self):
        self.assertEvalError(
            exc.JinjaEvaluationException, '{% if true %}yes{% endif %}',
            DATA,
            'Can not evaluate Jinja expression [expression={% if true %}yes'
            '{% endif %}, error=list index out of range]')

    def test_error_does_not_include_context(self):
        data = {'secret': 'TOPSECRET'}
        with self.assertRaises(exc.JinjaEvaluationException) as cm:
            expr.evaluate('{{ _.nope }}', data)
        self.assertNotIn('TOPSECRET', str(cm.exception))

    def test_sandboxed(self):
        self.assertEvalError(
            exc.JinjaEvaluationException,
            '{{ _.s.__class__.__mro__ }}', DATA,
            'Can not evaluate Jinja expression')
        self.assertEvalError(
            exc.JinjaEvaluationException,
            "{{ ''.__class__.__subclasses__() }}", DATA,
            'Can not evaluate Jinja expression')


class WholeResultTest(unittest.TestCase):
    """Only an undefined whole result is turned into text to raise; a list
    or dict result is not (its text was a copy the size of its repr)."""

    def test_items_are_not_turned_into_text(self):
        calls = []

        class Item:
            def __repr__(self):
                calls.append(1)
                return 'Item'

        item = Item()
        got = expr.evaluate('{{ _.x }}', expr.ContextView({'x': [item]}))
        self.assertEqual(1, len(got))
        self.assertEqual([], calls)
