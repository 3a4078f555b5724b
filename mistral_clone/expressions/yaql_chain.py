"""``$`` and ``$.a.b`` chains over plain data, without importing yaql.

Most expressions of real workflows are such chains (``<% $.items %>``,
``<% $.i %>``). ``yaql_eval`` answers them without parsing, but importing
it imports yaql (~2.8 MB of a process's memory: the package runs every
module of its standard library, and ``dateutil``). Here the chains whose
value is plain data (scalars, dicts with scalar keys, lists) are answered
with yaql's exact value, as ``yaql_eval._fast`` gives it, and their syntax
check needs no parser either; for anything else :func:`fast` says
``NO_FAST`` and the caller asks ``yaql_eval``, which decides as before.
An engine running workflows whose expressions are all such chains never
imports yaql; neither does an API process validating them.
"""

import collections.abc
import functools
import re
import sys

from mistral_clone.expressions import _config
from mistral_clone.expressions import yaql_plain as plain

# The value cannot be vouched for here: yaql_eval decides.
NO_FAST = object()
# Below this yaql memory quota (bytes) even yaql's bookkeeping of lambda
# arguments counts; leave such settings to yaql alone.
MIN_FAST_QUOTA = 1024
CACHE_SIZE = 4096

_CHAIN_RE = re.compile(r'^\$((?:\.(?!__)[A-Za-z_][A-Za-z0-9_]*)*)$')
_NOT_NAMES = frozenset(['and', 'or', 'not', 'in', 'mod', 'is', 'true',
                        'false', 'null', 'like', 'as'])
_SCALARS = plain.SCALARS
_Unsupported = plain.Unsupported


@functools.lru_cache(maxsize=CACHE_SIZE)
def chain(text):
    """The names of the chain ``text`` (``()`` for ``$``), or None when it
    is not one (keywords and operators are not names)."""
    m = _CHAIN_RE.match(text)
    if m is None:
        return None
    names = tuple(m.group(1).split('.')[1:])
    if any(n in _NOT_NAMES for n in names):
        return None
    return names


def is_chain(text):
    """True when ``text`` (an inner expression, yaql's ignored whitespace
    around it) is a chain: valid YAQL, no parser needed."""
    return chain(text.strip(' \t\r\n')) is not None


def lookup(names, data):
    """The value ``names`` lead to from ``data`` through mappings, or
    ``NO_FAST`` where yaql has to say what happens."""
    value = data
    for name in names:
        if not isinstance(value, collections.abc.Mapping):
            return NO_FAST
        try:
            value = value[name]
        except (KeyError, TypeError):
            return NO_FAST
    return value


def evaluate(text, data, sets):
    """The value of the inner expression ``text`` when it is a chain this
    module answers, else ``NO_FAST``."""
    names = chain(text)
    if names is None or data is None:
        return NO_FAST
    return fast(names, data, sets)


def fast(names, data, sets):
    """yaql's value of the chain ``names`` over ``data`` (``sets``: as
    ``yaql_eval.evaluate_inner``'s, unused for plain data), or
    ``NO_FAST``."""
    value = lookup(names, data)
    if value is NO_FAST:
        return value
    s = _config.settings
    if s.limit_iterators >= 0 or s.memory_quota > 0:
        if value is None or isinstance(value, (int, float)):
            return value
        if isinstance(value, str) and (
                s.memory_quota <= 0 or
                sys.getsizeof(value, 0) <= s.memory_quota):
            return value
        return _limited(value, s.limit_iterators, s.memory_quota)
    for convert in (plain.plain_shared, plain.plain_copy):
        try:
            return convert(value)
        except _Unsupported:
            pass
    return NO_FAST


def _limited(value, limit, quota):
    """What ``yaql_eval._limited`` gives for a plain dict or list (yaql's
    input conversion, its memory check of the converted value, the output
    conversion with the iterator limit), else ``NO_FAST``.

    A dict is converted to a ``LazyFrozenDict`` (always within the quota),
    whose output conversion is the dict itself when ``plain_shared`` takes
    it, else ``plain_copy``'s copy. A list is converted to a tuple (whose
    size the quota bounds), whose output conversion is a new list: scalars
    as they are, dicts shared (``shared_dict``), lists converted the same
    way."""
    if 0 < quota < MIN_FAST_QUOTA:
        return NO_FAST
    t = type(value)
    try:
        if t is dict:
            try:
                return plain.plain_shared(value, limit)
            except _Unsupported:
                return plain.plain_copy(value, limit)
        if t is list:
            if quota > 0 and sys.getsizeof(tuple(value), 0) > quota:
                return NO_FAST
            return _new_list(value, limit)
    except _Unsupported:
        pass
    return NO_FAST


def _new_list(items, limit):
    if 0 <= limit < len(items):
        raise _Unsupported()
    result = []
    append = result.append
    for v in items:
        t = type(v)
        if t in _SCALARS:
            append(v)
        elif t is dict:
            append(plain.shared_dict(v, limit))
        elif t is list:
            append(_new_list(v, limit))
        else:
            raise _Unsupported()
    return result
