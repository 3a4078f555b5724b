from mistral_clone import exceptions as exc
from mistral_clone import expressions as expr
from tests.expressions import base

MIX = ("The line already contains an expression of type 'jinja'. Mixing "
       "expression types in a single line is not allowed.")


class RecognitionTest(base.ExprTestCase):

    def test_is_expression(self):
        for s in ['<% $.x %>', '<%$.x%>', 'a <% 1 %> b', '{{ _.x }}',
                  '{{_.x}}', '{% if true %}x{% endif %}', 'x {{ 1 }} <% 2 %>']:
            self.assertTrue(expr.is_expression(s), s)
        for s in ['plain', '', '<% $.x\n %>', '{{ _.x ', '{{ a\n }}',
                  '<% x', '% > <', None, 1, ['<% 1 %>'], {'a': '<% 1 %>'}]:
            self.assertFalse(expr.is_expression(s), repr(s))

    def test_find_expressions(self):
        self.assertEqual([('yaql', '$.x'), ('yaql', '1')],
                         expr.find_expressions('<% $.x %> and <%1%>'))
        self.assertEqual([('jinja', '_.x'), ('jinja', 'if y')],
                         expr.find_expressions('{{ _.x }}{% if y %}'))
        self.assertEqual([], expr.find_expressions('nothing'))
        self.assertEqual([], expr.find_expressions(5))

    def test_anchored(self):
        self.assertTrue(expr.is_anchored_expression('<% 1 %>'))
        self.assertTrue(expr.is_anchored_expression('<% 1 %>  '))
        self.assertTrue(expr.is_anchored_expression('{{ 1 }} x'))
        self.assertFalse(expr.is_anchored_expression('x <% 1 %>'))


class ValidationTest(base.ExprTestCase):

    def assertInvalid(self, cls, s, message):
        with self.assertRaises(cls) as cm:
            expr.validate(s)
        self.assertEqual(message, str(cm.exception))

    def test_valid_strings(self):
        for s in ['<% $.x %>', 'a <% $.x + 1 %> <% $.y %>', '{{ _.x }}',
                  '{% if _.b %}y{% endif %} {{ _.s }}', 'plain', '',
                  '{{ _.x ', '<% $.x\n %>', 42, None, ['<% 1 + %>']]:
            expr.validate(s)

    def test_yaql_grammar(self):
        for s in ['<% 1 + %>', '<% $.x %> <% %>', '<%%>',
                  '<% 1 + %> <% 2 + %>']:
            self.assertInvalid(exc.YaqlGrammarException, s,
                               'Parse error: unexpected end of statement')
        self.assertInvalid(exc.YaqlGrammarException, '<% [1] | json_dump %>',
                           "Lexical error: illegal character '|' at "
                           "position 5")

    def test_jinja_grammar(self):
        self.assertInvalid(exc.JinjaGrammarException, '{{ 1 + }}',
                           "Syntax error 'unexpected 'end of print "
                           "statement''.")
        self.assertInvalid(exc.JinjaGrammarException, '{{}}',
                           "Syntax error 'Expected an expression, got 'end "
                           "of print statement''.")
        self.assertInvalid(
            exc.JinjaGrammarException, '{% if true %}x',
            "Syntax error 'Unexpected end of template. Jinja was looking for "
            "the following tags: 'elif' or 'else' or 'endif'. The innermost "
            "block that needs to be closed is 'if'.'.")

    def test_mixing(self):
        self.assertInvalid(exc.ExpressionGrammarException,
                           'x {{ 1 }} <% 2 %>', MIX)
        self.assertInvalid(exc.ExpressionGrammarException,
                           '{{ 1 }} <% 1 + %>', MIX)
        # Jinja syntax is checked first.
        self.assertInvalid(exc.JinjaGrammarException, '{{ 1 + }} <% 2 %>',
                           "Syntax error 'unexpected 'end of print "
                           "statement''.")

    def test_disabled_language(self):
        expr.configure(allowed_languages=['jinja'])
        self.assertInvalid(
            exc.ExpressionGrammarException, '<% 1 %>',
            "The 'yaql' expression language is disabled by the operator.")
        expr.validate('{{ 1 }}')
        self.assertEvalError(
            exc.EvaluationException, '<% 1 %>', {'a': 1},
            "The 'yaql' expression language is disabled by the operator.")
        expr.configure(allowed_languages='yaql')
        self.assertInvalid(
            exc.ExpressionGrammarException, '{{ 1 }}',
            "The 'jinja' expression language is disabled by the operator.")
        self.assertEqual(2, expr.evaluate('<% 1 + 1 %>', {'a': 1}))
        self.assertEqual('x', expr.evaluate('x', {'a': 1}))

    def test_validate_recursively(self):
        expr.validate_recursively({'<% 1 + %>': ['<% 1 %>', {'a': 'x'}]})
        with self.assertRaises(exc.YaqlGrammarException):
            expr.validate_recursively({'a': ['ok', {'b': '<% 1 + %>'}]})
        with self.assertRaises(exc.JinjaGrammarException):
            expr.validate_recursively(['{{ 1 + }}'])
        expr.validate_recursively(None)
        expr.validate_recursively(5)
