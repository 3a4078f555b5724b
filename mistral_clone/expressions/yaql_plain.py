"""Plain data in YAQL results: its output conversion without yaql's
(``plain_copy``: the equal copy yaql's would give; ``plain_shared``: the
value itself where that copy would be equal and of the same types).

A lazily wrapped plain value that an expression gives back unchanged (a
record that orderBy, where, first... passed through, or a new top-level
dict made by ``$.set`` over a record's values) is its own output
conversion: the same dicts and lists, not a copy. (Values are never
changed in place; copies of every record for every task of a chain made
the data-heavy workflows hold several copies of the same list.) Plain:
dicts with scalar keys, lists, and scalars (``SCALARS``), nested
(``yaql_values._finalize`` converts anything else).

``all_plain`` checks the dictionaries of many records at once, level by
level with C iterators (``map``, ``chain``, ``compress``): all keys of
the level, all values, then the dicts and lists among them form the next
level. Checking one record at a time cost a few Python calls and a loop
over its values per record, more than the query itself for
``$.recs.select($.set(flag, true))``.
"""

import itertools
import operator

SCALARS = frozenset([str, int, float, bool, type(None)])
_all_scalar = SCALARS.issuperset
_CONTAINERS = frozenset([dict, list])
_chain = itertools.chain.from_iterable
_compress = itertools.compress
_repeat = itertools.repeat
_is = operator.is_
_values = dict.values

# Levels of nesting all_plain checks (deeper: False, the caller then goes
# record by record).
MAX_DEPTH = 32


class Unsupported(Exception):
    """The fast path cannot vouch for this evaluation: use yaql."""


def plain_shared(value, limit=-1):
    """``value`` itself where plain_copy would give an equal copy of the
    same types: dicts with scalar keys, lists and scalars (``Unsupported``
    for anything else, tuples included, or a collection over ``limit``)."""
    t = type(value)
    if t in SCALARS:
        return value
    if t is dict:
        return shared_dict(value, limit)
    if t is list:
        return _shared_list(value, limit)
    raise Unsupported()


def shared_dict(d, limit):
    if 0 <= limit < len(d) or not _all_scalar(map(type, d)):
        raise Unsupported()
    for v in d.values():
        t = type(v)
        if t in SCALARS:
            continue
        if t is dict:
            shared_dict(v, limit)
        elif t is list:
            _shared_list(v, limit)
        else:
            raise Unsupported()
    return d


def _shared_list(items, limit):
    if 0 <= limit < len(items):
        raise Unsupported()
    if _all_scalar(map(type, items)):
        return items
    for v in items:
        t = type(v)
        if t in SCALARS:
            continue
        if t is dict:
            shared_dict(v, limit)
        elif t is list:
            _shared_list(v, limit)
        else:
            raise Unsupported()
    return items


def plain_copy(value, limit=-1):
    """convert_output_data(convert_input_data(value)) for plain data, or
    ``Unsupported`` when ``value`` holds anything else (or, with ``limit``
    >= 0, a collection longer than that)."""
    t = type(value)
    if t is str or t is int or t is float or t is bool or value is None:
        return value
    if t is dict:
        return _copy_dict(value, limit)
    if t is list or t is tuple:
        return _copy_list(value, limit)
    raise Unsupported()


# plain_copy's two containers, without a call per scalar (most of the
# values of JSON documents): the copy of every expression result that
# passes through them dominated evaluations over large lists.

def _copy_dict(d, limit):
    if 0 <= limit < len(d):
        raise Unsupported()
    if not _all_scalar(map(type, d)):
        return _copy_items(d, limit)
    # A C copy, then only the containers copied one by one.
    result = dict(d)
    for k, v in d.items():
        t = type(v)
        if t in SCALARS:
            continue
        if t is list and _all_scalar(map(type, v)) and \
                not 0 <= limit < len(v):
            result[k] = v[:]
        elif t is dict:
            result[k] = _copy_dict(v, limit)
        elif t is list or t is tuple:
            result[k] = _copy_list(v, limit)
        else:
            raise Unsupported()
    return result


def _copy_items(d, limit):
    result = {}
    for k, v in d.items():
        if type(k) is not str:
            k = plain_copy(k, limit)
        t = type(v)
        if t is str or t is int or t is float or t is bool or v is None:
            result[k] = v
        elif t is dict:
            result[k] = _copy_dict(v, limit)
        elif t is list or t is tuple:
            result[k] = _copy_list(v, limit)
        else:
            raise Unsupported()
    return result


def _copy_list(items, limit):
    if 0 <= limit < len(items):
        raise Unsupported()
    if _all_scalar(map(type, items)):
        return list(items)
    result = []
    append = result.append
    for v in items:
        t = type(v)
        if t is str or t is int or t is float or t is bool or v is None:
            append(v)
        elif t is dict:
            append(_copy_dict(v, limit))
        elif t is list or t is tuple:
            append(_copy_list(v, limit))
        else:
            raise Unsupported()
    return result


def _longest(collections):
    return max(map(len, collections)) if collections else 0


def all_plain(dicts, limit):
    """True when ``shared_dict(d, limit)`` returns ``d`` for every dict of
    ``dicts`` (a list of dicts of exactly that type; ``limit``: -1, or
    the most items a dict or list may have); False when it raises
    ``Unsupported`` for one of them, or the dicts nest deeper than
    ``MAX_DEPTH``."""
    lists = ()
    for _ in range(MAX_DEPTH):
        if 0 <= limit < max(_longest(dicts), _longest(lists)):
            return False
        # (Equal keys once: a key hidden by an equal one of a scalar type
        # is a number or a str subclass, its own output conversion too.)
        if dicts and not _all_scalar(map(type, set(_chain(dicts)))):
            return False
        items = list(_chain(map(_values, dicts)))
        if lists:
            items.extend(_chain(lists))
        types = list(map(type, items))
        kinds = set(types)
        if kinds <= SCALARS:
            return True
        kinds -= SCALARS
        if not kinds <= _CONTAINERS:
            return False
        dicts = list(_compress(items, map(_is, _repeat(dict), types))) \
            if dict in kinds else ()
        lists = list(_compress(items, map(_is, _repeat(list), types))) \
            if list in kinds else ()
    return False
