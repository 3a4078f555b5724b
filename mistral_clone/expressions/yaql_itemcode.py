"""Generated Python code for the per-item lambdas of the YAQL fast path.

A lambda such as ``$.value > 100`` or ``dict(id => $.id, name => $.name)``
that depends on ``$`` only is compiled (``yaql_compile``) into closures
with an ``item_fn``; most of them also get a *code generator* ``gen``
here. The generators of one lambda are assembled into one Python
expression over ``x``, the **plain dictionary** of a record, standing for
``$`` = the record as yaql sees it (a ``LazyFrozenDict`` over it). The
expression gives exactly what the closures' ``item_fn`` gives for that
record (same value, same type, same memory checks, an exception wherever
``item_fn`` raises one), without wrapping the record and without a
closure call per node:

    $.value > 100   ->  (_t1 > _k9 if (_t2 := type(_t1 := <$.value>)) is
                         int or _t2 is float else _k10(_t1, _k9))

where ``<$.value>`` is ``x['value']`` when it is a scalar, else its yaql
form (as ``LazyFrozenDict.__getitem__`` converts it).

``build`` compiles it into ``raw_fn`` over the items of a plain list of
the input data (``yaql_streams``), which then never wraps the records a
lambda only reads; any other item goes to the closures' ``item_fn``.
"""

from mistral_clone.expressions import yaql_values as values

_Lazy = values.LazyFrozenDict
_Frozen = values.FrozenDict
_to_yaql = values.to_yaql
# check_size lets ints of fewer than 64 bits through without measuring
# (|n| < 2 ** 63).
_INT_BOUND = 1 << 63
# Types check_size always lets through.
_PASS = frozenset([bool, float, type(None), _Frozen, _Lazy])


class Gen(object):
    """Names of the values a generated function refers to, and of its
    temporaries."""

    def __init__(self):
        self.env = {'type': type, 'int': int, 'float': float, 'bool': bool,
                    'str': str, '_Lazy': _Lazy, '_FD': _Frozen,
                    '_to_yaql': _to_yaql, '_B': _INT_BOUND,
                    '_NB': -_INT_BOUND, '_PASS': _PASS,
                    '_S': values.SCALARS}
        self.count = 0

    def name(self, value):
        n = '_k%d' % len(self.env)
        self.env[n] = value
        return n

    def tmp(self):
        self.count += 1
        return '_t%d' % self.count


def mark(f, gen, passes=False):
    """Attach ``gen``; ``passes``: the value always passes yaql's memory
    check (booleans, FrozenDicts), so no check is generated for it."""
    f.gen = gen
    if passes:
        f.passes = True
    return f


def constant(value):
    return lambda g: g.name(value)


def dollar(g):
    # '$' itself escapes (e.g. '$.set(...)', 'where' results): wrapped.
    return '_Lazy(x)'


def dollar_key(key):
    """``$.key``: the plain value, or its yaql form (as
    ``LazyFrozenDict.__getitem__`` converts it)."""
    def gen(g):
        v, t = g.tmp(), g.tmp()
        return ('(%(v)s if (%(t)s := type(%(v)s := x[%(k)s])) is str or '
                '%(t)s is int or %(t)s is float or %(t)s is bool or '
                '%(v)s is None else _to_yaql(%(v)s))'
                % {'v': v, 't': t, 'k': g.name(key)})
    return gen


def call(func, *gens):
    """``func(arg, ...)`` of generated arguments (left to right)."""
    def gen(g):
        return '%s(%s)' % (g.name(func), ', '.join(a(g) for a in gens))
    return gen


def item_call(item_fn):
    """Any node with an ``item_fn``: called on the wrapped record."""
    return lambda g: '%s(_Lazy(x))' % g.name(item_fn)


def numeric(symbol, op, a, b, const):
    """The ``_numeric`` closure of yaql_compile: numbers inline, else
    ``op``; ``const``: a constant right operand (number)."""
    def gen(g):
        x1, t1 = g.tmp(), g.tmp()
        left = '(%s := %s)' % (x1, a(g))
        if const is not None:
            k = g.name(const)
            return ('(%(x)s %(s)s %(k)s if (%(t)s := type%(l)s) is int or '
                    '%(t)s is float else %(op)s(%(x)s, %(k)s))'
                    % {'x': x1, 's': symbol, 'k': k, 't': t1, 'l': left,
                       'op': g.name(op)})
        x2, t2 = g.tmp(), g.tmp()
        return ('(%(x)s %(s)s %(y)s if ((%(t)s := type%(l)s) is int or '
                '%(t)s is float) & ((%(u)s := type(%(y)s := %(r)s)) is int '
                'or %(u)s is float) else %(op)s(%(x)s, %(y)s))'
                % {'x': x1, 'y': x2, 's': symbol, 't': t1, 'u': t2,
                   'l': left, 'r': b(g), 'op': g.name(op)})
    return gen


def operator(symbol, a, b):
    """``a SYMBOL b`` with Python's operator (==, !=, and, or)."""
    return lambda g: '(%s %s %s)' % (a(g), symbol, b(g))


def negation(a):
    return lambda g: '(not %s)' % a(g)


def with_constant(op, a, const):
    return lambda g: '%s(%s, %s)' % (g.name(op), a(g), g.name(const))


def frozen_dict(keys, gens):
    """``dict(k1 => v1, ...)`` with constant string keys; marked plain
    (``values.frozen_plain``) when all values are scalars."""
    def gen(g):
        fd = g.name(values.frozen_plain)
        temps = [g.tmp() for _ in gens]
        return '%s({%s}, %s)' % (fd, ', '.join(
            '%s: (%s := %s)' % (g.name(k), t, v(g))
            for k, t, v in zip(keys, temps, gens)), ' and '.join(
                'type(%s) in _S' % t for t in temps))
    return gen


def checked(inner, limits):
    """yaql's memory check of a node's value (``limits.check_size``),
    inline for the values it always lets through."""
    def gen(g):
        r, t = g.tmp(), g.tmp()
        return ('(%(r)s if (%(t)s := type(%(r)s := %(e)s)) is int and '
                '_NB < %(r)s < _B or %(t)s is str and len(%(r)s) <= %(s)s '
                'or %(t)s in _PASS else %(c)s(%(r)s))'
                % {'r': r, 't': t, 'e': inner(g), 's': g.name(
                    limits.str_bound), 'c': g.name(limits.check_size)})
    return gen


def set_key(key_gen, value_gen):
    """``$.set(key, value)`` on the record: ``_updated`` of a fresh
    LazyFrozenDict, without wrapping the record first."""
    return lambda g: '%s(x, %s, %s)' % (
        g.name(_set_raw), key_gen(g), value_gen(g))


def _set_raw(x, key, value):
    # x: the plain dictionary under a LazyFrozenDict without converted
    # values (yaql_library._updated on such a dictionary).
    raw = dict(x)
    raw[key] = value
    new = _Lazy(raw)
    if type(value) not in values.SCALARS:
        new._cache = {key: value}
    return new


def build(f):
    """``raw_fn(x)`` for the compiled lambda body ``f`` (which has
    ``item_fn`` and ``gen``): ``f.item_fn(to_yaql(x))`` for an item ``x``
    of a plain list, with the generated expression for dictionaries."""
    gen = f.gen
    g = Gen()
    expression = gen(g)
    env = g.env
    env['_slow'] = f.item_fn
    source = ('def raw_fn(x):\n'
              '    if type(x) is not dict:\n'
              '        return _slow(_to_yaql(x))\n'
              '    return %s\n' % expression)
    exec(compile(source, '<yaql item lambda>', 'exec'), env)
    raw_fn = env['raw_fn']
    raw_fn.source = source
    return raw_fn
