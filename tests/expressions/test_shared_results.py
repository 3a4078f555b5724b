"""YAQL results that pass records through unchanged (orderBy, where,
first, the value itself...) are those records, not copies: a chain of
tasks transforming a large list then holds one set of records. (Nothing
changes evaluated values in place. Jinja's whole results are shared the
same way: tests/expressions/test_jinja.py.)"""

import unittest
from unittest import mock

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mistral_clone import expressions
from mistral_clone.expressions import yaql_plain
from mistral_clone.expressions import yaql_values


class SharedResultsTest(unittest.TestCase):

    def setUp(self):
        self.recs = [{'id': i, 'name': 'n%d' % i, 'tags': ['a', str(i)],
                      'sub': {'k': [i, None, True]}} for i in range(50)]
        self.ctx = expressions.ContextView({'recs': self.recs})

    def evaluate(self, text):
        return expressions.evaluate(text, self.ctx)

    def assertSame(self, got, want):
        self.assertEqual(want, got)
        self.assertEqual(len(want), len(got))
        for g, w in zip(got, want):
            self.assertIs(w, g)

    def test_records_passed_through_are_shared(self):
        recs = self.recs
        self.assertSame(self.evaluate('<% $.recs.orderByDescending($.id) %>'),
                        recs[::-1])
        self.assertSame(self.evaluate('<% $.recs.where($.id >= 10) %>'),
                        recs[10:])
        self.assertIs(recs[0], self.evaluate('<% $.recs.first() %>'))
        self.assertSame(self.evaluate('<% $.recs %>'), recs)

    def test_changed_records_are_new(self):
        got = self.evaluate('<% $.recs.select($.set(big, $.id > 5)) %>')
        self.assertEqual(50, len(got))
        self.assertIsNot(self.recs[0], got[0])
        self.assertNotIn('big', self.recs[0])
        got = self.evaluate('<% $.recs.select(dict(id => $.id)) %>')
        self.assertEqual([{'id': i} for i in range(50)], got)

    def test_values_not_plain_are_still_converted(self):
        ctx = expressions.ContextView({'recs': [{'t': (1, 2)}, {1: 'a'}]})
        got = expressions.evaluate('<% $.recs.where(true) %>', ctx)
        self.assertEqual([{'t': [1, 2]}, {1: 'a'}], got)
        self.assertIs(list, type(got[0]['t']))


    def test_set_shares_the_unchanged_values(self):
        # $.set gives a new top-level dict (the key set last when new, in
        # its place when there) over the record's own unchanged values;
        # the same with the server's limits, and across chunks of records.
        recs = [{'id': i, 'name': 'n%d' % i, 'tags': ['a', str(i)],
                 'sub': {'k': [i, None, True]}} for i in range(2500)]
        ctx = expressions.ContextView({'recs': recs})
        for limits in ({}, {'limit_iterators': 100000,
                            'memory_quota': 10000000}):
            expressions.configure(**limits)
            self.addCleanup(expressions.configure)
            got = expressions.evaluate(
                '<% $.recs.select($.set(flag, $.id > 5)) %>', ctx)
            self.assertEqual(len(recs), len(got))
            for r, g in zip(recs, got):
                self.assertIsNot(r, g)
                self.assertEqual(dict(r, flag=r['id'] > 5), g)
                self.assertEqual(list(r) + ['flag'], list(g))
                self.assertIs(r['tags'], g['tags'])
                self.assertIs(r['sub'], g['sub'])
            self.assertNotIn('flag', recs[0])
            got = expressions.evaluate(
                "<% $.recs.select($.set(name, 'x')) %>", ctx)
            self.assertEqual(list(recs[0]), list(got[0]))
            self.assertEqual('x', got[7]['name'])
            self.assertEqual('n7', recs[7]['name'])
            self.assertIs(recs[7]['tags'], got[7]['tags'])

    def test_odd_records_among_plain_ones(self):
        # A record that is not plain data is converted (its tuple becomes
        # a list); the plain ones around it, in its chunk or not, shared.
        recs = [{'id': i, 'tags': ['a']} for i in range(2500)]
        recs[1500] = {'id': 1500, 'tags': ('a',)}
        ctx = expressions.ContextView({'recs': recs})
        for text in ('<% $.recs.where(true) %>',
                     '<% $.recs.select($.set(flag, 1)) %>'):
            got = expressions.evaluate(text, ctx)
            self.assertEqual(['a'], got[1500]['tags'])
            self.assertIs(list, type(got[1500]['tags']))
            for i in (0, 1499, 1501, 2499):
                self.assertIs(recs[i]['tags'], got[i]['tags'])


_key = st.sampled_from(['a', 'b', 'id', 1, 2.5, None, True, ('t',),
                        frozenset([1])])


class _Str(str):
    pass


_leaf = st.sampled_from([None, True, False, 0, 7, 2.5, 'x', '', _Str('s'),
                         (), (1,), frozenset([1]), b'b', 10 ** 30])
_value = st.recursive(_leaf, lambda c: (
    st.lists(c, max_size=3) | st.dictionaries(_key, c, max_size=3) |
    st.tuples(c)), max_leaves=8)


class AllPlainTest(unittest.TestCase):
    """yaql_plain.all_plain: one answer for many records, the one
    shared_dict gives record by record."""

    @settings(max_examples=300, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.dictionaries(_key, _value, max_size=4), max_size=5),
           st.sampled_from([-1, 0, 1, 2, 3, 100]))
    def test_same_answer_as_record_by_record(self, dicts, limit):
        def one(d):
            try:
                return yaql_plain.shared_dict(d, limit) is d
            except yaql_plain.Unsupported:
                return False
        self.assertEqual(all(map(one, dicts)),
                         yaql_plain.all_plain(dicts, limit), (dicts, limit))

    def test_deep_records_go_record_by_record(self):
        deep = [1]
        for _ in range(yaql_plain.MAX_DEPTH + 2):
            deep = [deep]
        self.assertFalse(yaql_plain.all_plain([{'d': deep}], -1))
        recs = [{'id': i, 'd': deep} for i in range(20)]
        ctx = expressions.ContextView({'recs': recs})
        got = expressions.evaluate('<% $.recs.where(true) %>', ctx)
        self.assertEqual(recs, got)
        self.assertIs(recs[3], got[3])

    def test_equal_keys_checked_once(self):
        # A str-subclass key equal to a plain key of another record is not
        # seen (keys are checked once per distinct value): its record is
        # shared as it is, which is also what converting it would give
        # (the same keys, equal values, as the second evaluation shows).
        recs = [{'a': [1]}, {_Str('a'): [2]}]
        self.assertTrue(yaql_plain.all_plain(recs, -1))
        ctx = expressions.ContextView({'recs': recs * 10})
        with mock.patch.object(yaql_values, '_CHUNK', 1):
            one_by_one = expressions.evaluate('<% $.recs.where(true) %>',
                                              ctx)
        got = expressions.evaluate('<% $.recs.where(true) %>', ctx)
        self.assertEqual(one_by_one, got)
        self.assertEqual([[type(k) for k in d] for d in one_by_one],
                         [[type(k) for k in d] for d in got])


class _Provider(expressions.DataProvider):

    def __init__(self, result):
        self.result = result

    def task(self, context, task_name=None):
        return {'name': task_name, 'result': self.result}


class FunctionResultsTest(unittest.TestCase):
    """Plain records a function gives (``task().result``: the action's
    output the engine holds) pass through a query as themselves too."""

    def evaluate(self, text, result):
        with expressions.using_data_provider(_Provider(result)):
            return expressions.evaluate(text, expressions.ContextView({}))

    def test_plain_records_are_shared(self):
        recs = [{'id': i, 'tags': ['a', str(i)], 'sub': {'k': [i, None]}}
                for i in range(3000)]  # more than one chunk
        for text, want in (
                ('<% task(t).result.where($.id >= 10) %>', recs[10:]),
                ('<% task(t).result %>', recs),
                ('<% task(t).result.orderBy(-$.id) %>', recs[::-1])):
            got = self.evaluate(text, recs)
            self.assertEqual(want, got)
            self.assertEqual([id(r) for r in want], [id(r) for r in got])
        self.assertIs(recs[3], self.evaluate(
            '<% task(t).result.where($.id = 3).first() %>', recs))

    def test_records_not_plain_are_converted(self):
        recs = [{'id': 1, 't': (1, 2)}, {'id': 2, 'n': {3: 'x'}}]
        got = self.evaluate('<% task(t).result.where(true) %>', recs)
        self.assertEqual([{'id': 1, 't': [1, 2]}, {'id': 2, 'n': {3: 'x'}}],
                         got)
        self.assertIs(list, type(got[0]['t']))
        self.assertIsNot(recs[0], got[0])
