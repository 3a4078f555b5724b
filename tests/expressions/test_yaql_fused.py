"""Differential tests of the fast path's generated item code
(``yaql_itemcode``) and of the queries fused over lists of the input
(``yaql_streams``): per-item lambdas run on the records' plain
dictionaries, ``select``/``where``/``len``/``count``/``orderBy`` over a list
of the input without wrapping its records, ``$.set(k, v)`` per item,
``dict(...)`` results marked plain, sums of numbers under a memory quota.

Each expression is evaluated by the fast path, by yaql's evaluator (ours)
and by plain yaql as Mistral configures it, with the same limits; value
with its exact types and order, or error class and message, must be the
same. Records hold values of every JSON type, miss keys, or are not
dictionaries at all; lists go beyond ``limit_iterators`` and strings beyond
the memory quota, so that limit errors are compared too.
"""

from unittest import mock

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from mistral_clone import expressions as expr
from mistral_clone.expressions import yaql_eval
from mistral_clone.expressions import yaql_streams
from mistral_clone.expressions import yaql_values
from tests.expressions import base
from tests.expressions import differential as diff
from tests.expressions import test_yaql_differential as tyd

_LIMITS = ({}, {'limit_iterators': 4, 'memory_quota': 1500},
           {'limit_iterators': 100, 'memory_quota': 100000})

# -- data ---------------------------------------------------------------------

_leaf = (st.none() | st.booleans() | st.integers(-4, 6) |
         st.sampled_from([0.5, -1.5, 2.0, 10 ** 20, 'x', 'ab', '',
                          'y' * 2000]))
_value = st.recursive(_leaf, lambda c: (
    st.lists(c, max_size=3) |
    st.dictionaries(st.sampled_from(['a', 'id']), c, max_size=2)),
    max_leaves=4)
_record = st.dictionaries(
    st.sampled_from(['id', 'value', 'name', 'tags', 'a']), _value,
    max_size=5)
# Mostly regular records (most queries then yield values), sometimes odd.
_regular = st.fixed_dictionaries({
    'id': st.integers(0, 9), 'value': st.integers(-3, 5) | st.just(1.5),
    'name': st.sampled_from(['x', 'y', 'zz'])}, optional={
    'tags': st.lists(st.sampled_from(['a', 'b']), max_size=2),
    'a': _value})
_item = st.one_of(*([_regular] * 12 + [
    _record, _leaf, st.lists(_leaf, max_size=2)]))
_lists = st.lists(_item, max_size=7)


def _context(recs, nested):
    return tyd._context({'recs': recs, 'd': {'recs': nested, 'a': 1},
                         'l': [3, 1, 2], 'n': None})


_contexts = st.builds(_context, _lists, _lists)

# -- expressions -------------------------------------------------------------

_sources = st.sampled_from(['$.recs'] * 6 + ['$.d.recs'] * 3 + [
    '$.l', '$.d', '$.n', '$.missing', '$.d.a', '$.recs[0]'])
_operand = st.sampled_from(['$.id'] * 4 + ['$.value'] * 3 + [
    '$.name', '$.a', '$', '1', '2', '0', '2.5', "'x'", 'null', 'true',
    '$.tags', '10000000000000000000000'])
_op = st.sampled_from(['+', '-', 'mod', '<', '>', '<=', '>=', '=', '!=',
                       'and', 'or', '*', '/'])
_simple = st.one_of(
    _operand,
    st.tuples(_operand, _op, _operand).map(lambda t: '(%s %s %s)' % t))
_item_expr = st.recursive(_simple, lambda c: st.one_of(
    st.tuples(c, _op, c).map(lambda t: '(%s %s %s)' % t),
    c.map(lambda a: 'not %s' % a),
    st.tuples(c, c).map(lambda t: 'dict(id => %s, v => %s)' % t),
    st.tuples(c, c).map(lambda t: '{a => %s, a => %s}' % t),
    st.tuples(st.sampled_from(['flag', 'id', 'tags']), c).map(
        lambda t: '$.set(%s, %s)' % t),
    c.map(lambda a: '%s.a' % a)), max_leaves=4)
# Mostly well-typed lambdas over the regular records, and wild ones.
_num = st.recursive(
    st.sampled_from(['$.id', '$.id', '$.value', '1', '2', '0', '2.5']),
    lambda c: st.tuples(c, st.sampled_from(['+', '-', 'mod', '*']), c).map(
        lambda t: '(%s %s %s)' % t), max_leaves=3)
_cmp = st.tuples(_num, st.sampled_from(['<', '>', '<=', '>=', '=', '!=']),
                 _num).map(lambda t: '(%s %s %s)' % t)
_pred = st.one_of(
    _cmp, _cmp, _cmp.map(lambda a: 'not %s' % a),
    st.tuples(_cmp, st.sampled_from(['and', 'or']), _cmp).map(
        lambda t: '(%s %s %s)' % t),
    st.sampled_from(["$.name = 'x'", '$.name > y']), _item_expr)
_sel = st.recursive(
    _num | st.sampled_from(['$.name', '$', '$.tags', '$.a', '$.id > 2']),
    lambda c: st.one_of(
        st.tuples(c, c).map(lambda t: 'dict(id => %s, v => %s)' % t),
        st.tuples(st.sampled_from(['flag', 'id', 'tags']), c).map(
            lambda t: '$.set(%s, %s)' % t)), max_leaves=3) | _item_expr
_steps = st.lists(st.one_of(
    _pred.map(lambda p: 'where(%s)' % p),
    _sel.map(lambda p: 'orderBy(%s)' % p),
    _num.map(lambda p: 'orderBy(%s)' % p),
    _num.map(lambda p: 'orderByDescending(%s)' % p)), max_size=2)
_terminal = st.one_of(
    _sel.map(lambda f: 'select(%s)' % f),
    _pred.map(lambda f: 'where(%s)' % f),
    st.sampled_from(['len()', 'count()', 'select($.value).sum()',
                     'select($.id).distinct().len()',
                     'select($.name).first(null)']),
    _num.map(lambda f: 'select(%s).sum()' % f))
_queries = st.tuples(_sources, _steps, _terminal).map(
    lambda t: '.'.join([t[0]] + t[1] + [t[2]]))

_SETTINGS = settings(max_examples=tyd._EXAMPLES, deadline=None,
                     derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))

_PLAIN = {}


def _plain(limits):
    key = tuple(sorted(limits.items()))
    if key not in _PLAIN:
        _PLAIN[key] = diff.PlainYaql(**limits)
    return _PLAIN[key]


class FusedDifferentialTest(base.ExprTestCase):

    def setUp(self):
        super().setUp()
        token = expr.set_data_provider(base.FakeProvider())
        self.addCleanup(expr.reset_data_provider, token)

    def assertSame(self, text, context, limits, build_after=(0, 10 ** 9)):
        """``build_after``: yaql_streams.BUILD_AFTER values to compare
        (0: the generated code at once; 10 ** 9: the closures only)."""
        expr.configure(**limits)
        slow = diff.ours(text, context, fast=False)
        for n in build_after:
            yaql_eval._program.cache_clear()
            with mock.patch.object(yaql_streams, 'BUILD_AFTER', n):
                fast = diff.ours(text, context, fast=True)
            self.assertEqual(slow, fast, 'fast path differs for %r with %r '
                             '(BUILD_AFTER %d)' % (text, limits, n))
        plain = _plain(limits).outcome(text, context)
        ours = diff.ours(text, context, fast=False, sets=set)
        self.assertEqual(diff.keys_as_sets(plain), diff.keys_as_sets(ours),
                         'our yaql differs from plain yaql for %r with %r'
                         % (text, limits))
        return fast

    @_SETTINGS
    @given(_queries, _contexts, st.sampled_from(_LIMITS))
    def test_generated_queries(self, text, context, limits):
        self.assertSame(text, context, limits)

    def test_known_queries(self):
        recs = [{'id': i, 'value': v, 'name': n, 'tags': t}
                for i, (v, n, t) in enumerate([
                    (3, 'a', ['x']), (2.5, 'b', []), (-1, 'c', [{'a': 1}]),
                    (True, 'd', None), (None, 'e', 'x'), ('7', 'f', [1]),
                    (0, 'y' * 2000, []), (10 ** 30, 'g', [[1]])])]
        recs.append({'id': 99})
        recs.append(5)
        recs.append(['a'])
        texts = [
            '$.recs.select(dict(id => $.id, name => $.name))',
            '$.recs.select(dict(id => $.id, t => $.tags))',
            '$.recs.select({id => $.id, id => $.value})',
            '$.recs.where($.value > 1).select($.name)',
            '$.recs.where($.id mod 2 = 0).len()',
            '$.recs.where($.id mod 2 = 0).count()',
            '$.recs.where($.id < 3).select($.value).sum()',
            '$.recs.where($.id < 3).select($.id).sum()',
            '$.recs.select($.id).sum()',
            '$.recs.select($.set(flag, true))',
            '$.recs.select($.set(tags, [1, 2]))',
            '$.recs.select($.set(id, $.id + 1))',
            '$.recs.where($.id < 6).orderByDescending($.value).select($.id)',
            '$.recs.where($.id < 3).orderBy($.name).select($.id)',
            '$.recs.where($.id < 8).orderBy($.id mod 3).select($.id)',
            '$.recs.select($.group).distinct().len()',
            '$.recs.where($.id < 2)', '$.recs.len()', '$.recs.count()',
            '$.recs.select($)', '$.recs.select($.tags)',
            '$.recs.select(not $.value)', '$.recs.select($.value and 1)',
            '$.recs.select($.name + $.name)', '$.d.recs.select($.id)',
            '$.d.a.select($)', '$.d.select($)', '$.missing.select($)',
            '$.recs.select($.id * 2)', '$.recs.select($.value / 2)',
        ]
        for limits in _LIMITS + ({'limit_iterators': 11},
                                 {'limit_iterators': 10},
                                 {'memory_quota': 1100}):
            for n in (len(recs), 3, 0):
                context = _context(recs[:n], recs[:2])
                for text in texts:
                    self.assertSame(text, context, limits)
            context = _context([{'id': i} for i in range(300)], [])
            for text in ('$.recs.select($.id).sum()', '$.recs.len()',
                         '$.recs.where($.id > 5).len()'):
                self.assertSame(text, context, limits)

    def test_generated_after_enough_items(self):
        # With the default BUILD_AFTER, the lambdas run as closures over
        # a few items and as generated code once enough have gone by: the
        # same values before and after.
        expr.configure(limit_iterators=100000, memory_quota=10000000)
        recs = [{'id': i, 'name': 'n%d' % i, 'value': i % 7}
                for i in range(300)]
        ctx = _context(recs, [])
        text = ('$.recs.where($.value > 2)'
                '.select(dict(id => $.id, v => $.name))')
        first = diff.ours(text, ctx, fast=True)
        built = []
        build = yaql_streams.itemcode.build
        with mock.patch.object(yaql_streams.itemcode, 'build',
                               side_effect=lambda f: built.append(f) or
                               build(f)):
            for _ in range(5):
                self.assertEqual(first, diff.ours(text, ctx, fast=True))
        self.assertEqual(2, len(built))
        self.assertEqual(diff.ours(text, ctx, fast=False), first)

    def test_fused_values(self):
        # The fused paths give these values themselves (yaql's evaluator,
        # the fallback, is not called), with the server's default limits.
        expr.configure(limit_iterators=100000, memory_quota=10000000)
        recs = [{'id': i, 'name': 'n%d' % i, 'value': i % 4, 'tags': ['t']}
                for i in range(6)]
        ctx = _context(recs, [])
        for text, expected in [
                ('$.recs.where($.value > 1).select($.name)',
                 ['n2', 'n3']),
                ('$.recs.orderByDescending($.value).select($.id)',
                 [3, 2, 1, 5, 0, 4]),
                ('$.recs.where($.id mod 2 = 0).len()', 3),
                ('$.recs.select($.value).sum()', 7),
                ('$.recs.select($.set(flag, true)).first()',
                 {'id': 0, 'name': 'n0', 'value': 0, 'tags': ['t'],
                  'flag': True})]:
            for n in (0, 10 ** 9):
                yaql_eval._program.cache_clear()
                with mock.patch.object(yaql_eval, '_run_yaql',
                                       side_effect=AssertionError('yaql')), \
                        mock.patch.object(yaql_streams, 'BUILD_AFTER', n):
                    self.assertEqual(('value', diff.describe(expected)),
                                     diff.ours(text, ctx, fast=True), text)
            self.assertSame(text, ctx, {'limit_iterators': 100000,
                                        'memory_quota': 10000000})


class _Str(str):
    """A str subclass (not plain data)."""


class SetAndChunksDifferentialTest(FusedDifferentialTest):
    """``$.set`` on the records of a list, and results converted a chunk of
    records at a time (``yaql_values._finalize_items``, checked at once by
    ``yaql_plain.all_plain``): chunks of 3 here, so that small lists cross
    chunk boundaries, with odd records before, among and after plain ones.
    """

    def setUp(self):
        super().setUp()
        for name, n in (('_CHUNK', 3), ('_SMALL', 0)):
            patcher = mock.patch.object(yaql_values, name, n)
            patcher.start()
            self.addCleanup(patcher.stop)

    # (Inherited, run again through chunks of 3.)
    test_generated_queries = FusedDifferentialTest.test_generated_queries
    test_known_queries = FusedDifferentialTest.test_known_queries

    def test_set_and_passed_through(self):
        def rec(i):
            return {'id': i, 'name': 'n%d' % i, 'tags': ['a', str(i)],
                    'sub': {'k': [i, None, True], 'e': {}}}
        plain = [rec(i) for i in range(7)]
        odd = [
            {'id': 7, 't': (1, 2)}, {'id': 8, 's': {1, 2}},
            {'id': 9, 'u': _Str('x')}, {'id': 10, 1: 'int key'},
            {'id': 11, None: 'null key', 2.5: [True]}, 5, None, ['a', 1],
            {'id': 12, 'deep': [[[[[[[[[[1]]]]]]]]]]},
            {'id': 13, 'tags': list(range(120))},
            {'id': 14, 'tags': 'y' * 2000}, {'id': 0, 'x': {'y': (3,)}}]
        texts = [
            '$.recs.select($.set(flag, true))',
            '$.recs.select($.set(name, upper))',
            '$.recs.select($.set(id, $.id + 1))',
            '$.recs.select($.set(tags, [1, 2]))',
            '$.recs.select($.set(flag, $.tags))',
            '$.recs.select($.set(flag, $.sub))',
            '$.recs.select($.set(sub, {a => $.tags}))',
            '$.recs.select($.set(1, x))', '$.recs.select($.set(null, x))',
            '$.recs.select($.set(true, x))', '$.recs.select($.set(2.5, x))',
            '$.recs.select($.set([1], x))',
            '$.recs.select($.set(flag, 1 / ($.id - 3)))',
            '$.recs.select($.set(flag, true)).select($.set(f2, $.flag))',
            '$.recs.where($.id > 1)', '$.recs.orderBy($.id)', '$.recs',
            '$.recs.select($)', '$.recs.select($.tags)',
            '$.recs.select($.id)', '$.recs.select($.set(flag, true))[1]',
        ]
        lists = [plain, odd, plain[:4] + odd + plain[4:], odd[::-1] + plain,
                 [plain[0]] * 2 + [odd[9]] + plain]
        for limits in _LIMITS + ({'limit_iterators': 5},):
            for recs in lists:
                context = _context(recs, recs[:2])
                for text in texts:
                    self.assertSame(text, context, limits)
