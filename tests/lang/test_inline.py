import unittest

from mistral_clone.lang import parse_inline_params as p


class InlineParamsTest(unittest.TestCase):

    def test_no_space_is_name_only(self):
        self.assertEqual(('std.noop', {}), p('std.noop'))
        self.assertEqual(('count=3', {}), p('count=3'))

    def test_quoted_strings_stay_strings(self):
        self.assertEqual(('std.echo', {'output': 'Hello', 'n': '10'}),
                         p('std.echo output="Hello" n="10"'))
        self.assertEqual({'output': 'a b'}, p("std.echo output='a b'")[1])

    def test_json_values(self):
        name, params = p('x a=1 b=true c=false d=null e=[1, "a b"]')
        self.assertEqual('x', name)
        self.assertEqual({'a': 1, 'b': True, 'c': False, 'd': None,
                          'e': [1, 'a b']}, params)

    def test_bare_words_and_unsupported_values_dropped(self):
        self.assertEqual(('std.echo', {}), p('std.echo output=abc'))
        self.assertEqual({}, p('x n=-1')[1])
        self.assertEqual({}, p('x d={"a": 1}')[1])
        self.assertEqual({}, p('std.http url=http://example.org/')[1])

    def test_float_truncated(self):
        self.assertEqual({'delay': 1}, p('x delay=1.5')[1])

    def test_doubled_quote(self):
        self.assertEqual({'q': 'it'}, p("x q='it''s'")[1])

    def test_expressions_kept(self):
        self.assertEqual({'output': '<% $.a + 1 %>', 'j': '{{ _.x }}'},
                         p('std.echo output=<% $.a + 1 %> j={{ _.x }}')[1])
        self.assertEqual({'output': 'Hello, <% $.name %>'},
                         p('std.echo output="Hello, <% $.name %>"')[1])

    def test_expression_name(self):
        self.assertEqual(('<% $.action %>', {'x': 1}),
                         p('<% $.action %> x=1'))

    def test_later_duplicate_wins(self):
        self.assertEqual({'a': 2}, p('x a=1 a=2')[1])

    def test_function_form(self):
        self.assertEqual(('fail', {'msg': 'x y'}), p('fail(msg="x y")'))

    def test_retry_one_liner(self):
        self.assertEqual(
            {'count': 5, 'delay': 10, 'break-on': '<% $.x > 1 %>'},
            p('count=5 delay=10 break-on=<% $.x > 1 %>')[1])

    def test_list_is_greedy(self):
        # '[...]' runs to the last ']' of the string.
        self.assertEqual({'a': '[1] b=[2]'}, p('x a=[1] b=[2]')[1])
