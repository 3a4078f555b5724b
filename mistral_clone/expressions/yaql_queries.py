"""Fast-path twins of yaql's queries (select, where, orderBy, distinct,
first, sum ...): same laziness (iterators where yaql returns iterators),
same results and types; ``Unsupported`` for arguments they do not mirror.
"""

import functools
import itertools

from yaql.standard_library import queries as yaql_queries

from mistral_clone.expressions import yaql_values as values
from mistral_clone.expressions.yaql_registry import extension
from mistral_clone.expressions.yaql_registry import function
from mistral_clone.expressions.yaql_registry import int_arg as _int_arg
from mistral_clone.expressions.yaql_registry import method
from mistral_clone.expressions.yaql_registry import str_arg as _str_arg

Unsupported = values.Unsupported
_B = 1 << 63


@method('select map', 1, 1, lambdas=(0,))
def _select(limits, coll, selector):
    return map(selector, limits.iterable(coll))


@method('where filter', 1, 1, lambdas=(0,))
def _where(limits, coll, predicate):
    return filter(predicate, limits.iterable(coll))


@method('first', 0, 1)
def _first(limits, coll, *default):
    for item in limits.iterable(coll):
        return item
    if default:
        return default[0]
    raise Unsupported()


@method('last', 0, 1)
def _last(limits, coll, *default):
    coll = limits.iterable(coll)
    if type(coll) is tuple or type(coll) is list:
        if coll:
            return coll[-1]
    else:
        found = False
        for item in coll:
            found, last = True, item
        if found:
            return last
    if default:
        return default[0]
    raise Unsupported()


@extension('any', 0, 1, lambdas=(0,))
def _any(limits, coll, predicate=None):
    for item in limits.iterable(coll):
        if predicate is None or predicate(item):
            return True
    return False


@extension('all', 0, 1, lambdas=(0,))
def _all(limits, coll, predicate=bool):
    for item in limits.iterable(coll):
        if not predicate(item):
            return False
    return True


def _reduce(limits, coll, step, initial):
    it = iter(limits.iterable(coll))
    if initial:
        acc = initial[0]
    else:
        for acc in it:
            break
        else:
            raise Unsupported()  # yaql: reduce() of empty sequence
    if limits.quota > 0:
        check = limits.check_size
        if step is values.add:
            # Numbers added inline; a sum yaql's memory check always lets
            # through (a float, an int of fewer than 64 bits) unchecked.
            for item in it:
                ta, tb = type(acc), type(item)
                if (ta is int or ta is float) and (tb is int or tb is float):
                    acc = acc + item
                    if type(acc) is int and not -_B < acc < _B:
                        check(acc)
                else:
                    acc = check(step(acc, item))
            return acc
        for item in it:
            acc = check(step(acc, item))
        return acc
    if step is values.add:
        # Numbers added in place; anything else goes through add().
        for item in it:
            ta, tb = type(acc), type(item)
            if (ta is int or ta is float) and (tb is int or tb is float):
                acc = acc + item
            else:
                acc = step(acc, item)
        return acc
    for item in it:
        acc = step(acc, item)
    return acc


@method('sum', 0, 1)
def _sum(limits, coll, *initial):
    return _reduce(limits, coll, values.add, initial)


@method('max', 0, 1)
def _max(limits, coll, *initial):
    return _reduce(limits, coll, _max2, initial)


@method('min', 0, 1)
def _min(limits, coll, *initial):
    return _reduce(limits, coll, _min2, initial)


def _max2(a, b):
    return b if values.gt(b, a) else a


def _min2(a, b):
    return a if values.gt(b, a) else b


@function('max', 2, 2)
def _max_f(limits, a, b):
    return _max2(a, b)


@function('min', 2, 2)
def _min_f(limits, a, b):
    return _min2(a, b)


@extension('len', 0, 0)
def _len(limits, v):
    t = type(v)
    if t is str or t is tuple or t is list or values.is_mapping(v):
        return len(v)
    if values.is_set(v):
        return len(v)
    if values.is_iterator(v):
        if limits.iterators >= 0:
            v = limits.iterable(v)
        n = 0
        for _ in v:
            n += 1
        return n
    raise Unsupported()


@method('count', 0, 0)
def _count(limits, coll):
    n = 0
    for _ in limits.iterable(coll):
        n += 1
    return n


class _Ordering(yaql_queries.OrderingIterable):
    """queries.OrderingIterable sorted with Python's own ordering where it
    equals yaql's (keys all numbers or all strings), else pair by pair with
    yaql's comparison rules."""

    def __init__(self, collection):
        super().__init__(collection, values.lt, values.gt)

    def do_sort(self):
        items = list(self.collection)
        for selector, ascending in reversed(self.order):
            items = sort_items(items, [selector(item) for item in items],
                               ascending)
        self.sorted = items


def sort_items(items, keys, ascending):
    """``items`` (a list) in the order of their ``keys`` (stable)."""
    if values.sort_key_kind(keys) == 'plain':
        order = sorted(range(len(items)), key=keys.__getitem__,
                       reverse=not ascending)
    else:
        def cmp(i, j):
            r = values.three_way(keys[i], keys[j])
            return r if ascending else -r
        order = sorted(range(len(items)), key=functools.cmp_to_key(cmp))
    return [items[i] for i in order]


def _ordered(limits, coll, selector, ascending):
    result = _Ordering(limits.iterable(coll))
    result.append_field(selector, ascending)
    return result


@method('orderBy', 1, 1, lambdas=(0,))
def _order_by(limits, coll, selector):
    return _ordered(limits, coll, selector, True)


@method('orderByDescending', 1, 1, lambdas=(0,))
def _order_by_desc(limits, coll, selector):
    return _ordered(limits, coll, selector, False)


def _then(coll, selector, ascending):
    if type(coll) is not _Ordering:
        raise Unsupported()
    coll.append_field(selector, ascending)
    return coll


@method('thenBy', 1, 1, lambdas=(0,))
def _then_by(limits, coll, selector):
    return _then(coll, selector, True)


@method('thenByDescending', 1, 1, lambdas=(0,))
def _then_by_desc(limits, coll, selector):
    return _then(coll, selector, False)


@extension('distinct', 0, 1, lambdas=(0,))
def _distinct(limits, coll, key_selector=None):
    coll = limits.iterable(coll)
    check = limits.check_size if limits.quota > 0 else None

    def gen():
        seen = set()
        for item in coll:
            key = item if key_selector is None else key_selector(item)
            if key not in seen:
                seen.add(key)
                if check is not None:
                    check(seen)
                yield item
    return gen()


@method('skip', 1, 1)
def _skip(limits, coll, count):
    return itertools.islice(limits.iterable(coll), _int_arg(count), None)


@method('take limit', 1, 1)
def _take(limits, coll, count):
    return itertools.islice(limits.iterable(coll), _int_arg(count))


@method('selectMany', 1, 1, lambdas=(0,))
def _select_many(limits, coll, selector):
    coll = limits.iterable(coll)

    def gen():
        for item in coll:
            inner = selector(item)
            if values.is_iterable(inner):
                yield from inner
            elif isinstance(inner, str) or values.is_mapping(inner) or \
                    not hasattr(inner, '__iter__'):
                yield inner
            else:
                raise Unsupported()
    return gen()


def _flatten_gen(coll, limits):
    for item in coll:
        if values.is_iterable(item):
            yield from _flatten_gen(limits.iterable(item), limits)
        elif isinstance(item, str) or values.is_mapping(item) or \
                not hasattr(item, '__iter__'):
            yield item
        else:
            raise Unsupported()


@method('flatten', 0, 0)
def _flatten(limits, coll):
    return _flatten_gen(limits.iterable(coll), limits)


@method('toList', 0, 0)
def _to_list(limits, coll):
    coll = limits.iterable(coll)
    if type(coll) is tuple:
        return coll
    return tuple(coll)


@method('toSet', 0, 0)
def _to_set(limits, coll):
    return frozenset(limits.iterable(coll))


@method('contains', 1, 1)
def _contains(limits, coll, value):
    return values.contains(coll, value, limits)


@extension('append', 0, 8)
def _append(limits, coll, *args):
    coll = limits.iterable(coll)

    def gen():
        yield from coll
        yield from args
    return gen()


@method('indexOf', 1, 1)
def _index_of(limits, recv, item):
    if type(recv) is str:
        return recv.find(_str_arg(item), 0)
    for i, t in enumerate(limits.iterable(recv)):
        if t == item:
            return i
    return -1


@method('join', 1, 1)
def _join(limits, recv, other):
    if type(other) is str and type(recv) is not str:
        sequence, separator = recv, other
    elif type(recv) is str and type(other) is not str:
        sequence, separator = other, recv
    else:
        raise Unsupported()
    return separator.join(map(values.yaql_str, limits.iterable(sequence)))


@function('range', 1, 3)
def _range(limits, *args):
    for a in args:
        _int_arg(a)
    return values.python_iter(range(*args))
