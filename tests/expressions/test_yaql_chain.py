"""``yaql_chain``: ``$``/``$.a.b`` over plain data without yaql.

Whenever it answers (anything but ``NO_FAST``), the value must be yaql's
(same value, types and order as yaql's own evaluator gives) and share
the data's dicts and lists exactly where ``yaql_eval``'s fast path
(``_limited``: yaql's input and output conversions) shares them.
"""

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mistral_clone import expressions as expr
from mistral_clone.expressions import yaql_chain
from mistral_clone.expressions import yaql_eval
from tests.expressions import base
from tests.expressions import differential as diff

LIMITS = ({}, {'limit_iterators': 4, 'memory_quota': 1500},
          {'limit_iterators': 5, 'memory_quota': -1},
          {'limit_iterators': -1, 'memory_quota': 2000},
          {'limit_iterators': 100, 'memory_quota': 100000},
          {'limit_iterators': 100, 'memory_quota': 500},
          {'limit_iterators': 100000, 'memory_quota': 10000000})

DATA = {'l': [3, 1, 2], 'long': list(range(12)), 'n': None, 'x': 3,
        'b': True, 'f': 1.5,
        'd': {'k': [1, 2], 'e': {}, 'big': 'z' * 3000,
              'deep': {'s': {1, 2}, 't': (1, 'a')}},
        's': 'x' * 3000, 'recs': [{'id': 1, 'v': [1, 2]}],
        'many': {str(i): i for i in range(6)},
        'manyrecs': [{'id': i, 'v': {'w': [i]}} for i in range(10)],
        'mixed': [1, {'a': 1}, [2, {'b': [3]}], 'x', None] * 3,
        'odd': [{'a': (1, 2)}, {1: 'int key'}], 'oddd': {'a': (1, 2)},
        'intkey': {1: 'a'},
        'nested': [[1, [2, [3, 4, 5, 6, 7]]]], 'empty': [], 'emptyd': {},
        # Over a quota of 2000 bytes as a tuple (yaql's converted value).
        'biglist': list(range(300))}

TEXTS = ['$', '$.l', '$.long', '$.n', '$.x', '$.b', '$.f', '$.d', '$.d.k',
         '$.d.e', '$.d.big', '$.d.deep', '$.d.deep.s', '$.d.deep.t', '$.s',
         '$.recs', '$.many', '$.manyrecs', '$.mixed', '$.odd', '$.oddd',
         '$.intkey', '$.nested', '$.empty', '$.emptyd', '$.missing',
         '$.d.missing', '$.l.k', '$.x.y', '$.biglist']

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text('ab', max_size=3),
    lambda children: (st.lists(children, max_size=10) |
                      st.dictionaries(st.sampled_from(['a', 'b', 'k']),
                                      children, max_size=3)),
    max_leaves=30)


def _containers(value, source, path=()):
    """(path, kind, whether it is the data's own object) for every dict
    and list of ``value`` (``source``: the data at the same place)."""
    found = []
    if isinstance(value, (dict, list)):
        found.append((path, type(value).__name__, value is source))
        if isinstance(value, dict):
            for k, v in value.items():
                inner = source.get(k) if isinstance(source, dict) else None
                found.extend(_containers(v, inner, path + (k,)))
        else:
            for i, v in enumerate(value):
                inner = source[i] if isinstance(source, (list, tuple)) and \
                    i < len(source) else None
                found.extend(_containers(v, inner, path + (i,)))
    return found


class YaqlChainTest(base.ExprTestCase):

    def assertAsYaql(self, text, data):
        for sets in (list, set):
            value = yaql_chain.evaluate(text, data, sets)
            if value is yaql_chain.NO_FAST:
                continue
            self.assertEqual(
                diff.outcome(yaql_eval.evaluate_inner, text, data,
                             sets=sets, fast=False),
                ('value', diff.describe(value)), text)
            names = yaql_chain.chain(text)
            source = yaql_chain.lookup(names, data)
            s = expr._config.settings
            if s.limit_iterators >= 0 or s.memory_quota > 0:
                before = yaql_eval._limited(source, sets)
                self.assertEqual(_containers(before, source),
                                 _containers(value, source), text)

    def test_as_yaql_under_every_limit(self):
        answered = set()
        for limits in LIMITS:
            expr.configure(**limits)
            for data in (expr.ContextView(dict(DATA)), dict(DATA)):
                for text in TEXTS:
                    self.assertAsYaql(text, data)
                    if yaql_chain.evaluate(text, data, list) is not \
                            yaql_chain.NO_FAST:
                        answered.add(text)
        # Plain values are answered here (not left to yaql_eval)...
        for text in ('$.l', '$.long', '$.d.k', '$.recs', '$.many',
                     '$.manyrecs', '$.mixed', '$.nested', '$.x',
                     '$.biglist'):
            self.assertIn(text, answered)
        # ...the others are not.
        for text in ('$.d.deep.s', '$.missing', '$.l.k', '$'):
            self.assertNotIn(text, answered)

    @settings(max_examples=150, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(_json, st.sampled_from(LIMITS))
    def test_generated(self, value, limits):
        expr.configure(**limits)
        self.assertAsYaql('$.v', {'v': value})
        self.assertAsYaql('$.v.a', {'v': value})

    def test_not_chains(self):
        for text in ('$.x + 1', '$.and', '$.__env', ' $.x', '$x', '$.a[0]',
                     '$.true', ''):
            self.assertIs(yaql_chain.NO_FAST,
                          yaql_chain.evaluate(text, {'x': 1}, list))
        self.assertIs(yaql_chain.NO_FAST,
                      yaql_chain.evaluate('$.x', None, list))
        self.assertTrue(yaql_chain.is_chain(' \t$.a.b\n'))
        self.assertFalse(yaql_chain.is_chain('$.a.and'))

    def test_expressions_use_it(self):
        # expressions.evaluate answers plain chains without yaql_eval, and
        # gives the rest to it.
        from unittest import mock
        expr.configure(limit_iterators=100000, memory_quota=10000000)
        ctx = expr.ContextView({'items': [1, {'a': [2]}], 'x': 'v'})
        with mock.patch.object(expr, '_yaql',
                               side_effect=AssertionError('yaql_eval')):
            self.assertEqual([1, {'a': [2]}],
                             expr.evaluate('<% $.items %>', ctx))
            self.assertEqual('v-[1, {\'a\': [2]}]',
                             expr.evaluate('<% $.x %>-<% $.items %>', ctx))
            expr.validate('<% $.items %> <% $ %>')
        self.assertEqual(2, expr.evaluate('<% len($.items) %>', ctx))
        self.assertEqual({'items': [1, {'a': [2]}], 'x': 'v'},
                         expr.evaluate('<% $ %>', ctx))
