"""Values of the YAQL fast path: yaql's own types, its parameter checks,
operators and output conversion, for the compiled closures of
``yaql_compile``.

The fast path keeps every value in exactly the type yaql would give it
(tuples for lists, ``FrozenDict`` for dictionaries, ``frozenset``, lazy
iterators where yaql returns iterators), so a yaql function and its
fast-path twin see the same thing. Whenever a value is not one of the
plain types whose yaql behaviour is mirrored here, the helpers raise
:class:`Unsupported`; the caller then evaluates the whole expression with
yaql itself, which produces the exact result or error.
"""

import collections.abc
import itertools
import operator
import sys

from yaql.language import utils as yaql_utils
from yaql.standard_library import queries as yaql_queries

from mistral_clone.expressions import budget
from mistral_clone.expressions import yaql_plain as plain

FrozenDict = yaql_utils.FrozenDict
_Iterator = collections.abc.Iterator
_Set = collections.abc.Set
_getsizeof = sys.getsizeof


# The fast path cannot vouch for this evaluation: use yaql.
Unsupported = plain.Unsupported


def frozen(d, _new=FrozenDict.__new__, _type=FrozenDict):
    """A FrozenDict over the plain dict ``d`` (no copy)."""
    fd = _new(_type)
    fd._d = d
    fd._hash = None
    return fd


def frozen_plain(d, plain, _new=FrozenDict.__new__, _type=FrozenDict):
    """``frozen(d)``; ``plain``: ``d``'s keys and values are all scalars
    (then its output conversion is ``dict(d)``, see _finalize_each)."""
    fd = _new(_type)
    fd._d = d
    fd._hash = None
    if plain:
        fd._plain = True
    return fd


# -- yaql's parameter types, for the plain Python types (exact checks) -------

NUMBER_TYPES = (int, float)


def is_number(v):
    t = type(v)
    return t is int or t is float


def is_mapping(v):
    t = type(v)
    if t is LazyFrozenDict or t is FrozenDict or t is dict:
        return True
    return isinstance(v, FrozenDict)


def is_sequence(v):
    t = type(v)
    return t is tuple or t is list


def is_set(v):
    return isinstance(v, (frozenset, set, collections.abc.KeysView,
                          collections.abc.ItemsView))


def is_iterator(v):
    return isinstance(v, _Iterator)


def is_iterable(v):
    """yaqltypes.Iterable() for the types the fast path knows."""
    t = type(v)
    if t is tuple or t is list or t is frozenset or t is set:
        return True
    return isinstance(v, (_Iterator, collections.abc.KeysView,
                          collections.abc.ValuesView,
                          collections.abc.ItemsView,
                          yaql_queries.OrderingIterable))


class Limits(object):
    """yaql's limits as the fast path must honour them."""

    __slots__ = ('iterators', 'quota', 'str_bound')

    def __init__(self, iterators=-1, quota=-1):
        self.iterators = iterators
        self.quota = quota
        # Strings up to this length are within the quota whatever their
        # characters (sys.getsizeof: at most 80 bytes + 4 a character).
        self.str_bound = (quota - 80) // 4

    def check_size(self, value):
        # utils.limit_memory_usage: yaql fails above the quota; the fast
        # path steps aside and lets yaql decide. (Quotas below
        # MIN_FAST_QUOTA never get here: a FrozenDict or float is smaller.)
        t = type(value)
        if t is float or t is bool or value is None or t is LazyFrozenDict \
                or t is FrozenDict or (t is int and value.bit_length() < 64) \
                or (t is str and len(value) <= self.str_bound):
            return value
        if _getsizeof(value, 0) > self.quota:
            raise Unsupported()
        return value

    def iterable(self, v):
        """The value of an Iterable() parameter (limit_iterable)."""
        if type(v) is Bounded:
            return v
        if not is_iterable(v):
            raise Unsupported()
        limit = self.iterators
        if limit < 0:
            return v
        if isinstance(v, (tuple, list, frozenset, set, collections.abc.Set,
                          collections.abc.ValuesView)):
            if len(v) > limit:
                raise Unsupported()
            return v
        return _limited(v, limit)


class Bounded(map):
    """A lazy ``map`` known to be no longer than yaql's iterator limit (a
    query over a list that passed it): not counted again."""

    __slots__ = ()


def _limited(iterable, limit):
    for i, item in enumerate(iterable):
        if i >= limit:
            raise Unsupported()
        yield item


def python_iter(iterable):
    """A Python-level iterator over a C iterator (range, islice...): every
    item runs bytecode, so the CPU watchdog can stop a runaway loop even
    inside C consumers such as ``tuple()`` or ``frozenset()``."""
    for item in iterable:
        yield item


SCALARS = _SCALARS = plain.SCALARS


# -- input conversion (lazy twin of utils.convert_input_data) ----------------

def to_yaql(value):
    """Convert one value the way yaql's convert_input_data does (lazily
    for dictionaries)."""
    t = type(value)
    if t is str or t is int or t is float or t is bool or value is None:
        return value
    if t is dict:
        return LazyFrozenDict(value)
    if t is list or t is tuple:
        if t is tuple and not value:
            return value
        return tuple([item if type(item) in _SCALARS
                      else LazyFrozenDict(item) if type(item) is dict
                      else to_yaql(item) for item in value])
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Mapping):
        if isinstance(value, FrozenDict):
            return value
        return LazyFrozenDict(value)
    if isinstance(value, collections.abc.Sequence):
        return tuple(to_yaql(item) for item in value)
    if isinstance(value, collections.abc.MutableSet):
        return frozenset(to_yaql(item) for item in value)
    if isinstance(value, collections.abc.Iterable):
        return map(to_yaql, value)
    return value


class LazyFrozenDict(FrozenDict):
    """Immutable mapping converting values to yaql form on first access
    (converting a whole workflow context for every expression would cost
    O(size of the context) each time)."""

    _hash = None
    _cache = None

    def __init__(self, source):  # noqa - deliberately not calling super
        self._d = source

    def __getitem__(self, key):
        value = self._d[key]
        t = type(value)
        if t is str or t is int or t is float or t is bool or value is None:
            return value
        # Containers are converted once: the same object on every access,
        # as in yaql's eagerly converted FrozenDict.
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        else:
            try:
                return cache[key]
            except KeyError:
                pass
        value = cache[key] = to_yaql(value)
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        return key in self._d

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return repr(dict(self.items()))


# -- output conversion (twin of the '#finalize' of yaql_eval) ----------------

_LAZY_ONLY = frozenset([LazyFrozenDict])
_DICT_ONLY = frozenset([dict])
_SEQUENCES = frozenset([tuple, list])


class OrderedKeys(tuple):
    """``keys()`` / ``items()`` of a dictionary as an expression result.

    yaql hands dictionary views to Mistral as Python sets, whose order for
    strings changes with every process (hash randomization): the reference
    answers ``dict(a => 1, b => 2).keys()`` with ``[a, b]`` in one run and
    ``[b, a]`` in the next. We keep the dictionary's order (what yaql's own
    documentation shows) and still print like a set when embedded in text.
    """

    __slots__ = ()

    def __repr__(self):
        if not self:
            return 'set()'
        return '{%s}' % ', '.join(repr(v) for v in self)

    __str__ = __repr__


def ordered_keys(items):
    set(items)  # unhashable items fail as they do in a set
    return OrderedKeys(items)


# (yaql_plain: plain values' output conversion, the value itself or a
# copy.)
plain_copy = plain.plain_copy
plain_shared = plain.plain_shared
_shared_dict = plain.shared_dict


def finalize(obj, limits=None, sets=set):
    """utils.convert_output_data with Mistral's options (tuples → lists,
    sets stay sets, iterators materialised), dictionary views ordered, and
    yaql's iterator limit on every collection (``Unsupported`` beyond it).

    ``sets=list`` gives lists for sets and dictionary keys (how a whole
    expression's value is stored).
    """
    limit = limits.iterators if limits is not None else -1
    return _finalize(obj, limit, sets)


def _too_long(obj, limit):
    if 0 <= limit < len(obj):
        raise Unsupported()


def _finalize(obj, limit, sets):
    t = type(obj)
    if t is str or t is int or t is float or t is bool or obj is None:
        return obj
    if t is FrozenDict:
        d = obj._d
        _too_long(d, limit)
        result = {}
        for k, v in d.items():
            if type(v) not in _SCALARS:
                v = _finalize(v, limit, sets)
            if type(k) not in _SCALARS:
                k = _finalize(k, limit, sets)
            result[k] = v
        return result
    if t is tuple or t is list:
        _too_long(obj, limit)
        return _finalize_items(obj, limit, sets)
    if t is LazyFrozenDict and not obj._cache:
        try:
            return plain_shared(obj._d, limit)
        except Unsupported:
            pass
        try:
            return plain_copy(obj._d, limit)
        except Unsupported:
            pass
    if t is dict:
        # A plain value a function gave (``task().result``): shared as
        # the same value wrapped lazily would be.
        try:
            return plain_shared(obj, limit)
        except Unsupported:
            pass
    if isinstance(obj, collections.abc.Mapping):
        _too_long(obj, limit)
        return {_finalize(k, limit, sets): _finalize(v, limit, sets)
                for k, v in obj.items()}
    if isinstance(obj, collections.abc.KeysView):
        _too_long(obj, limit)
        keys = ordered_keys([_finalize(v, limit, sets) for v in obj])
        return keys if sets is set else list(keys)
    if isinstance(obj, _Set):
        _too_long(obj, limit)
        result = {_finalize(v, limit, sets) for v in obj}
        return result if sets is set else list(result)
    if isinstance(obj, str):
        return obj
    if isinstance(obj, collections.abc.Iterable):
        if limit >= 0 and t is not Bounded:
            obj = _limited(obj, limit)
        return _finalize_items(obj, limit, sets)
    return obj


# Items converted one chunk at a time (see _finalize_items).
_CHUNK = 1024
# Shorter tuples and lists: item by item at once.
_SMALL = 8
_cache_of = operator.attrgetter('_cache')
_d_of = operator.attrgetter('_d')
_islice = itertools.islice


def _finalize_items(items, limit, sets):
    """[_finalize(v) for v in items], a chunk at a time: a chunk of
    scalars as it is; a chunk of unconverted LazyFrozenDicts over plain
    dicts (records passed through or ``$.set`` on them), or of plain
    dicts, as those dicts, checked all at once (yaql_plain.all_plain);
    else item by item."""
    if type(items) in _SEQUENCES and len(items) < _SMALL:
        return _finalize_each(items, limit, sets, [])
    result = []
    it = iter(items)
    for first in it:
        t = type(first)
        if t is not LazyFrozenDict and t is not dict and \
                t not in _SCALARS:
            # Other items (dict(...) results...) one at a time, as they
            # come (not held a chunk at a time).
            return _finalize_each(itertools.chain((first,), it), limit,
                                  sets, result)
        chunk = [first]
        try:
            chunk.extend(_islice(it, _CHUNK - 1))
        except Exception:
            # The items before the failing one first (an Unsupported among
            # them comes first), as one item at a time.
            _finalize_each(chunk, limit, sets, result)
            raise
        kinds = set(map(type, chunk))
        if kinds <= _SCALARS:
            result.extend(chunk)
        elif kinds == _LAZY_ONLY and not any(map(_cache_of, chunk)):
            dicts = list(map(_d_of, chunk))
            if set(map(type, dicts)) == _DICT_ONLY and \
                    plain.all_plain(dicts, limit):
                result.extend(dicts)
            else:
                _finalize_each(chunk, limit, sets, result)
        elif kinds == _DICT_ONLY and plain.all_plain(chunk, limit):
            # Plain records a function gave (``task().result.where(...)``)
            result.extend(chunk)
        else:
            _finalize_each(chunk, limit, sets, result)
        if len(chunk) < _CHUNK:
            break
    return result


def _finalize_each(items, limit, sets, result):
    """``result`` + [_finalize(v) for v in items], without a call per
    plain item."""
    append = result.append
    scalars = _SCALARS.issuperset
    for v in items:
        t = type(v)
        if t in _SCALARS:
            append(v)
        elif t is FrozenDict and not 0 <= limit < len(v._d):
            d = v._d
            if '_plain' in v.__dict__ or scalars(map(type, d.values())) \
                    and scalars(map(type, d)):
                append(dict(d))
            else:
                append(_finalize(v, limit, sets))
        elif t is LazyFrozenDict and not v._cache and type(v._d) is dict:
            # (_finalize's case of such a dictionary, without two calls.)
            try:
                append(_shared_dict(v._d, limit))
            except Unsupported:
                append(_finalize(v, limit, sets))
        else:
            append(_finalize(v, limit, sets))
    return result


# -- operators, as yaql's overloads resolve them for plain types -------------

def add(a, b):
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a + b
    if ta is str and tb is str:
        budget.check_concat(a, b)
        return a + b
    if ta is tuple and tb is tuple:
        budget.check_concat(a, b)
        return a + b
    if is_mapping(a) and is_mapping(b):
        d = dict(a)
        d.update(b)
        return frozen(d)
    if ta is frozenset and tb is frozenset:
        return a.union(b)
    if is_iterable(a) and is_iterable(b):
        return itertools.chain(a, b)
    raise Unsupported()


def multiply(a, b, limits=None):
    ta, tb = type(a), type(b)
    if limits is not None and limits.quota > 0 and (ta is int or tb is int):
        # list_by_int / string_by_int estimate the result before building it
        seq, n = (b, a) if ta is int else (a, b)
        if type(seq) in (str, tuple, list) and type(n) is int:
            empty = '' if type(seq) is str else []
            if ((-n + 1) * _getsizeof(empty, 0) + n * _getsizeof(seq, 0) >
                    limits.quota):
                raise Unsupported()
    if (ta is int or ta is float) and (tb is int or tb is float):
        budget.check_mul(a, b)
        return a * b
    if ta is int and (tb is str or tb is tuple or tb is list):
        budget.check_repeat(b, a)
        return b * a
    if tb is int and (ta is str or ta is tuple or ta is list):
        budget.check_repeat(a, b)
        return a * b
    raise Unsupported()


def _null_cmp(op, a, b):
    # common.py: null is below everything else; null vs null is equal.
    if a is None and b is None:
        return op in ('<=', '>=')
    if a is None:
        return op in ('<', '<=')
    return op in ('>', '>=')


def compare(op, a, b):
    ta, tb = type(a), type(b)
    if not ((ta is tb and (ta is str or ta is int or ta is float)) or
            ((ta is int or ta is float) and (tb is int or tb is float))):
        if a is None or b is None:
            return _null_cmp(op, a, b)
        raise Unsupported()
    if op == '<':
        return a < b
    if op == '>':
        return a > b
    if op == '<=':
        return a <= b
    return a >= b


def lt(a, b):
    return compare('<', a, b)


def gt(a, b):
    return compare('>', a, b)


def contains(collection, value, limits):
    """``value in collection`` (the collections overload of 'in')."""
    return value in limits.iterable(collection)


def yaql_str(value):
    """strings.str_ (also what join() applies to every item)."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    return str(value)


def sort_key_kind(keys):
    """'plain' when Python's own ordering of ``keys`` is yaql's (all numbers
    or all strings), else 'yaql' (compare pair by pair like yaql)."""
    kinds = set()
    for k in keys:
        t = type(k)
        if t is int or t is float:
            kinds.add('n')
        elif t is str:
            kinds.add('s')
        else:
            return 'yaql'
    return 'plain' if len(kinds) <= 1 else 'yaql'


def three_way(a, b):
    if lt(a, b):
        return -1
    if gt(a, b):
        return 1
    return 0
