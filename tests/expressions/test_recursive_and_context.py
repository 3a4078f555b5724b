from unittest import mock

from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from tests.expressions import base


class EvaluateRecursivelyTest(base.ExprTestCase):

    def test_values_evaluated_keys_not(self):
        data = {'<% $.s %>': '<% $.s %>',
                'l': ['<% $.n %>', 'x {{ _.s }}', 5, None, True,
                      {'k': '<% $.n + 1 %>'}],
                'plain': 'text'}
        ctx = {'s': 'S', 'n': 1}
        self.assertEqual(
            {'<% $.s %>': 'S', 'l': [1, 'x S', 5, None, True, {'k': 2}],
             'plain': 'text'},
            expr.evaluate_recursively(data, ctx))

    def test_deep_copy(self):
        inner = {'a': [1, 2]}
        data = {'x': inner, 'y': '<% $.v %>'}
        out = expr.evaluate_recursively(data, {'v': 1})
        self.assertEqual({'x': {'a': [1, 2]}, 'y': 1}, out)
        self.assertIsNot(inner, out['x'])
        self.assertIsNot(inner['a'], out['x']['a'])
        self.assertEqual('<% $.v %>', data['y'])

    def test_empty_context_evaluates_nothing(self):
        data = {'a': '<% 1 + 1 %>', 'b': ['{{ 1 }}']}
        for ctx in ({}, None, expr.ContextView({}, {})):
            out = expr.evaluate_recursively(data, ctx)
            self.assertEqual(data, out)
            self.assertIsNot(data, out)
            self.assertIsNot(data['b'], out['b'])

    def test_scalars_and_strings(self):
        self.assertEqual(3, expr.evaluate_recursively('<% 1 + 2 %>',
                                                      {'a': 1}))
        self.assertEqual(4, expr.evaluate_recursively(4, {'a': 1}))
        self.assertEqual([3], expr.evaluate_recursively(['<% 1 + 2 %>'],
                                                        {'a': 1}))

    def test_errors_propagate(self):
        with self.assertRaises(exc.YaqlEvaluationException):
            expr.evaluate_recursively({'a': ['<% $.nope %>']}, {'x': 1})

    def test_attribute_error_leaves_string(self):
        with mock.patch.object(expr, 'evaluate',
                               side_effect=AttributeError('boom')):
            self.assertEqual({'a': '<% $.x %>'},
                             expr.evaluate_recursively({'a': '<% $.x %>'},
                                                       {'x': 1}))

    def test_result_not_rescanned(self):
        self.assertEqual({'a': '<% $.b %>'}, expr.evaluate_recursively(
            {'a': '<% $.raw %>'}, {'raw': '<% $.b %>', 'b': 1}))


class ContextViewTest(base.ExprTestCase):

    def setUp(self):
        super().setUp()
        self.view = expr.ContextView({'a': 1, 'x': 'top'},
                                     {'x': 'mid', 'b': None},
                                     {'x': 'low', 'c': 3})

    def test_precedence_and_mapping_protocol(self):
        v = self.view
        self.assertEqual('top', v['x'])
        self.assertIsNone(v['b'])
        self.assertEqual(3, v['c'])
        self.assertIn('b', v)
        self.assertNotIn('zz', v)
        self.assertEqual(4, len(v))
        self.assertEqual(['a', 'x', 'b', 'c'], list(v))
        self.assertEqual(7, v.get('zz', 7))
        self.assertIsNone(v.get('b', 7))
        self.assertEqual({'a': 1, 'x': 'top', 'b': None, 'c': 3},
                         dict(v.items()))
        self.assertEqual({'a': 1, 'x': 'top', 'b': None, 'c': 3},
                         v.as_dict())
        self.assertEqual(v.as_dict(), v)
        with self.assertRaises(KeyError):
            v['zz']
        self.assertTrue(v)
        self.assertFalse(expr.ContextView({}, {}))
        self.assertFalse(expr.ContextView())

    def test_read_only(self):
        with self.assertRaises(TypeError):
            self.view['a'] = 2

    def test_nested_view(self):
        v = expr.ContextView({'a': 1}, expr.ContextView({'a': 2, 'b': 2}))
        self.assertEqual({'a': 1, 'b': 2}, v.as_dict())
        self.assertEqual(2, expr.evaluate('<% $.b %>', v))

    def test_in_expressions(self):
        v = self.view
        self.assertEqual('top', expr.evaluate('<% $.x %>', v))
        self.assertEqual('top', expr.evaluate('{{ _.x }}', v))
        self.assertEqual('top', expr.evaluate("{{ _['x'] }}", v))
        self.assertEqual(3, expr.evaluate('<% $.c %>', v))
        self.assertIsNone(expr.evaluate('<% $.get(b, 5) %>', v))
        self.assertEqual(5, expr.evaluate('<% $.get(zz, 5) %>', v))
        self.assertEqual(v.as_dict(), expr.evaluate('{{ _ }}', v))

    def test_special_keys_in_yaql_context(self):
        v = expr.ContextView({'__execution': {'id': 'e1'}, '__env': {'a': 1}},
                             {'x': 1})
        self.assertEqual('e1', expr.evaluate('<% $__execution.id %>', v))
        self.assertEqual({'a': 1}, expr.evaluate('<% $__env %>', v))
        self.assertIsNone(expr.evaluate('<% $__task_execution %>', v))
        self.assertEqual({'id': 'e1'},
                         expr.evaluate('{{ _.__execution }}', v))
        with self.assertRaises(exc.YaqlEvaluationException):
            expr.evaluate('<% $.__execution %>', v)  # lexical error
