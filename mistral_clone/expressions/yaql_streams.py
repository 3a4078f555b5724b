"""Queries over a list of the input data, without wrapping its records.

``$.recs.where($.value > 100).select($.name)`` in the compiled closures of
``yaql_compile`` converts the list to a tuple of ``LazyFrozenDict``
records first (as yaql's input conversion does), although the lambdas only
read keys of them. Here such a query is fused: when the receiver of
``select``/``where``/``len``/``count``/``orderBy`` is a path of keys
(``$.a.b``) reaching a plain list, possibly filtered by ``where`` and
sorted by ``orderBy``/``orderByDescending``, the lambdas run on the plain
items (``yaql_itemcode``'s ``raw_fn``) and only what escapes into the
result is converted (``where``'s items, ``select``'s values are yaql values
already). A lambda's code is generated once it has run over
``BUILD_AFTER`` items (compiling it costs more than small lists gain);
until then its closures run on each item wrapped as yaql would.

Exactness: every fused closure falls back to the unfused one (the compiled
closure of the same node) when the path does not lead to a plain list, or
when yaql's limits would stop at the list itself (longer than
``limit_iterators``, or its tuple over the memory quota: the unfused
closure then steps aside for yaql). Within a list that passed those
checks, the iterator limit cannot be reached by the lazy results built on
it (no longer than the list); they are marked ``Bounded`` so the consumers
do not count their items again.
"""

import collections.abc
import sys

from yaql.language import expressions as yexpr

from mistral_clone.expressions import yaql_compile
from mistral_clone.expressions import yaql_itemcode as itemcode
from mistral_clone.expressions import yaql_queries
from mistral_clone.expressions import yaql_registry
from mistral_clone.expressions import yaql_values as values

_Lazy = values.LazyFrozenDict
_to_yaql = values.to_yaql
_Bounded = values.Bounded
_Mapping = collections.abc.Mapping
_MISSING = object()
# sys.getsizeof of a tuple of n items: _TUPLE_BASE + n * _TUPLE_ITEM.
_TUPLE_BASE = sys.getsizeof((), 0)
_TUPLE_ITEM = sys.getsizeof((None,), 0) - _TUPLE_BASE

# The methods fused (both names of each), and orderBy's direction.
_SELECT = frozenset(['select', 'map'])
_WHERE = frozenset(['where', 'filter'])
_ORDER = {'orderBy': True, 'orderByDescending': False}
_COUNT = frozenset(['len', 'count'])


def fuse(c, left_node, right_node, unfused):
    """A fused closure for ``left_node.right_node(...)`` or None;
    ``unfused``: the compiled closure of the whole node."""
    name = right_node.name
    if name not in _SELECT and name not in _WHERE and \
            name not in _COUNT:
        return None
    source = stream(c, left_node)
    if source is None:
        return None
    if name in _COUNT:
        if right_node.args:
            return None

        def count(scope):
            found = source(scope)
            if found is None:
                return unfused(scope)
            items = found[0]
            if type(items) is list:
                return len(items)
            n = 0
            for _ in items:
                n += 1
            return n
        return count
    lam = _raw_lambda(c, right_node)
    if lam is None:
        return None
    if name in _SELECT:
        def select(scope):
            found = source(scope)
            if found is None:
                return unfused(scope)
            items, n = found
            return _Bounded(lam.fn(n), items)
        return select

    def where(scope):
        found = source(scope)
        if found is None:
            return unfused(scope)
        items, n = found
        return _Bounded(_to_yaql, filter(lam.fn(n), items))
    return where


def stream(c, node):
    """``s(scope)``: ``(items, n)``, an iterable of the plain items the
    value of ``node`` is made of (a list of the input data of ``n`` items,
    filtered or sorted), or None at run time (use the unfused closure);
    None: not such a node."""
    path = _data_path(node)
    if path is not None:
        return _source(c.limits, path)
    if type(node) is not yexpr.BinaryOperator or \
            node.name != '#operator_.' or \
            not yaql_compile.is_plain_function(node.args[1]):
        return None
    call = node.args[1]
    name = call.name
    if name not in _WHERE and name not in _ORDER:
        return None
    inner = stream(c, node.args[0])
    if inner is None:
        return None
    lam = _raw_lambda(c, call)
    if lam is None:
        return None
    if name in _WHERE:
        def where(scope):
            found = inner(scope)
            if found is None:
                return None
            items, n = found
            return filter(lam.fn(n), items), n
        return where
    ascending = _ORDER[name]

    def order(scope):
        found = inner(scope)
        if found is None:
            return None
        items, n = found
        fn = lam.fn(n)
        items = list(items)
        return yaql_queries.sort_items(items, [fn(x) for x in items],
                                       ascending), n
    return order


# Items a lambda runs over (in all evaluations) before its generated code
# is compiled (~0.4 ms each, worth it over about as many records); before,
# the records are wrapped for the lambda's closures one at a time.
BUILD_AFTER = 1000


class _RawLambda(object):
    """The ``raw_fn`` of one lambda, generated once it has run over
    ``BUILD_AFTER`` items (closures over the wrapped item until then)."""

    __slots__ = ('f', 'slow', 'fast', 'seen')

    def __init__(self, f):
        self.f = f
        item_fn = f.item_fn
        self.slow = lambda x: item_fn(_to_yaql(x))
        self.fast = None
        self.seen = 0

    def fn(self, n):
        fast = self.fast
        if fast is not None:
            return fast
        self.seen += n
        if self.seen < BUILD_AFTER:
            return self.slow
        # (Two threads may both build it: the same function twice.)
        fast = self.fast = itemcode.build(self.f)
        return fast


def _raw_lambda(c, call):
    """The lambda (``_RawLambda``) of the one argument of ``call``, or
    None when it does not depend on ``$`` only or has no generated code."""
    nodes = yaql_registry.positional(call.args, 1, 1)
    if nodes is None:
        return None
    f = c.compile(nodes[0])
    if getattr(f, 'item_fn', None) is None or \
            getattr(f, 'gen', None) is None:
        return None
    return _RawLambda(f)


def _data_path(node):
    """['a', 'b'] for the node ``$.a.b``, else None."""
    keys = []
    while type(node) is yexpr.BinaryOperator and node.name == '#operator_.':
        key = yaql_compile.keyword_of(node.args[1])
        if key is None:
            return None
        keys.append(key)
        node = node.args[0]
    if keys and type(node) is yexpr.GetContextValue and \
            yaql_compile.normalize_name(node.path.value) == '$1':
        keys.reverse()
        return keys
    return None


def _source(limits, keys):
    first, rest = keys[0], keys[1:]
    iterators = limits.iterators
    quota = limits.quota

    def source(scope):
        d = scope[0]['$1']
        if type(d) is not _Lazy:
            return None
        d = d._d
        try:
            value = d[first]
        except Exception:
            return None
        for key in rest:
            if type(value) is not dict:
                return None
            value = value.get(key, _MISSING)
        if type(value) is not list:
            return None
        n = len(value)
        if 0 <= iterators < n or (
                quota > 0 and _TUPLE_BASE + n * _TUPLE_ITEM > quota):
            return None
        return value, n
    return source
