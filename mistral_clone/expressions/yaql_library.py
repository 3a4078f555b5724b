"""Fast-path twins of the yaql functions Mistral workflows use, beyond the
queries (``yaql_queries``): collections, strings, math, types, branching,
and Mistral's own functions. Each returns exactly what yaql's function
returns for the same arguments (value and type) and raises
``Unsupported`` for arguments it does not mirror. Semantics follow yaql's
standard library; see ``yaql_registry`` for how entries compile.
"""

import itertools

from mistral_clone.expressions import budget
from mistral_clone.expressions import functions as mistral_functions
from mistral_clone.expressions import yaql_compile
from mistral_clone.expressions import yaql_queries  # noqa - registers
from mistral_clone.expressions import yaql_values as values
from mistral_clone.expressions.yaql_registry import FUNCTIONS
from mistral_clone.expressions.yaql_registry import METHODS
from mistral_clone.expressions.yaql_registry import function
from mistral_clone.expressions.yaql_registry import int_arg as _int_arg
from mistral_clone.expressions.yaql_registry import method
from mistral_clone.expressions.yaql_registry import positional as _positional
from mistral_clone.expressions.yaql_registry import str_arg as _str_arg

Unsupported = values.Unsupported
_DATA = '$#mistral_data'

__all__ = ['FUNCTIONS', 'METHODS', 'install_mistral_functions']


# -- collections -------------------------------------------------------------

def _dict_compiler(c, arg_nodes):
    if not arg_nodes:
        return lambda scope: values.frozen({})
    pairs = c.mapping_rules(arg_nodes)
    if pairs is None:
        return None
    return c.build_dict(pairs, [a.source for a in arg_nodes])


FUNCTIONS['dict'] = _dict_compiler


def _flatten_iterators(args):
    for t in args:
        if values.is_iterator(t):
            yield from _flatten_iterators(t)
        else:
            yield t


@function('list', 0, 32)
def _list(limits, *args):
    return tuple(limits.iterable(_flatten_iterators(args)))


@function('set', 0, 32)
def _set(limits, *args):
    return frozenset(limits.iterable(_flatten_iterators(args)))


def _mapping(d):
    if not values.is_mapping(d):
        raise Unsupported()
    return d


def _dict_copy(d):
    """dict(d.items()) of a mapping (values as yaql sees them)."""
    if type(d) is values.LazyFrozenDict:
        scalars = values.SCALARS
        return {k: v if type(v) in scalars else d[k]
                for k, v in d._d.items()}
    if type(d) is values.FrozenDict:
        return dict(d._d)
    return dict(d.items())


@method('get', 1, 2)
def _get(limits, d, key, default=None):
    return _mapping(d).get(key, default)


@method('keys', 0, 0)
def _keys(limits, d):
    return _mapping(d).keys()


@method('values', 0, 0)
def _values(limits, d):
    return _mapping(d).values()


@method('items', 0, 0)
def _items(limits, d):
    return _mapping(d).items()


@method('containsKey', 1, 1)
def _contains_key(limits, d, key):
    return key in _mapping(d)


@method('containsValue', 1, 1)
def _contains_value(limits, d, value):
    return value in _mapping(d).values()


@method('delete', 0, 32)
def _delete(limits, d, *keys):
    copy = dict(_mapping(d))
    for key in keys:
        copy.pop(key, None)
    return copy


def _updated(d, items):
    """dict.set(): a new dictionary, ``items`` (pairs) set on ``d``."""
    d = _mapping(d)
    if type(d) is values.LazyFrozenDict:
        # Stays lazy: the source's raw values are not converted (and
        # converted back for the output) just to be copied.
        raw = dict(d._d)
        cache = dict(d._cache) if d._cache else None
        scalars = values.SCALARS
        for k, v in items:
            raw[k] = v
            if type(v) not in scalars:
                if cache is None:
                    cache = {}
                cache[k] = v
            elif cache:
                cache.pop(k, None)
        new = values.LazyFrozenDict(raw)
        new._cache = cache
        return new
    new = _dict_copy(d)
    new.update(items)
    return values.frozen(new)


def _set_compiler(c, arg_nodes):
    if arg_nodes and all(type(a).__name__ == 'MappingRuleExpression'
                         for a in arg_nodes):
        pairs = c.mapping_rules(arg_nodes)

        def set_pairs(scope, d):
            return _updated(d, [(k(scope), v(scope)) for k, v in pairs])
        return set_pairs
    nodes = _positional(arg_nodes, 1, 2)
    if nodes is None:
        return None
    fs = [c.compile(n) for n in nodes]
    if len(fs) == 2:
        key, value = fs

        def set_one(scope, d):
            return _updated(d, ((key(scope), value(scope)),))
        # Per item (yaql_compile._dot): a LazyFrozenDict or FrozenDict,
        # which yaql's memory check always lets through.
        set_one.item_set = (key, value, _updated)
        return set_one
    (replacements,) = fs

    def set_many(scope, d):
        return _updated(d, _mapping(replacements(scope)).items())
    return set_many


METHODS['set'] = _set_compiler


# -- strings -----------------------------------------------------------------

def _string_method(names, low, high, impl_name=None):
    def register(impl):
        def checked(limits, s, *args):
            return impl(_str_arg(s), *args)
        method(names, low, high)(checked)
        return impl
    return register


@_string_method('toUpper', 0, 0)
def _to_upper(s):
    return s.upper()


@_string_method('toLower', 0, 0)
def _to_lower(s):
    return s.lower()


def _opt_str(v):
    if v is not None and type(v) is not str:
        raise Unsupported()
    return v


@_string_method('trim', 0, 1)
def _trim(s, chars=None):
    return s.strip(_opt_str(chars))


@_string_method('trimLeft', 0, 1)
def _trim_left(s, chars=None):
    return s.lstrip(_opt_str(chars))


@_string_method('trimRight', 0, 1)
def _trim_right(s, chars=None):
    return s.rstrip(_opt_str(chars))


@_string_method('split', 0, 2)
def _split(s, separator=None, max_splits=-1):
    return s.split(_opt_str(separator), _int_arg(max_splits))


@_string_method('replace', 2, 3)
def _replace(s, old, new, count=-1):
    return s.replace(_str_arg(old), _str_arg(new), _int_arg(count))


@_string_method('startsWith', 1, 8)
def _starts_with(s, *prefixes):
    return s.startswith(tuple(_str_arg(p) for p in prefixes))


@_string_method('endsWith', 1, 8)
def _ends_with(s, *suffixes):
    return s.endswith(tuple(_str_arg(p) for p in suffixes))


@_string_method('substring', 1, 2)
def _substring(s, start, length=-1):
    _int_arg(start)
    _int_arg(length)
    if length < 0:
        length = len(s)
    if start < 0:
        start += len(s)
    return s[start:start + length]


@function('concat', 1, 32)
def _concat(limits, *args):
    if all(type(a) is str for a in args):
        return ''.join(args)
    if all(values.is_iterable(a) for a in args):
        return itertools.chain(*[limits.iterable(a) for a in args])
    raise Unsupported()


@function('str', 1, 1)
def _str(limits, value):
    return values.yaql_str(value)


# -- math, types, branching --------------------------------------------------

@function('int', 1, 1)
def _int(limits, value):
    if value is None:
        return 0
    if type(value) in (int, float, str):
        return int(value)
    raise Unsupported()


@function('float', 1, 1)
def _float(limits, value):
    if value is None:
        return 0.0
    if type(value) in (int, float, str):
        return float(value)
    raise Unsupported()


@function('bool', 1, 1)
def _bool(limits, value):
    return bool(value)


@function('abs', 1, 1)
def _abs(limits, value):
    if not values.is_number(value):
        raise Unsupported()
    return abs(value)


@function('pow', 2, 3)
def _pow(limits, a, b, c=None):
    if not (values.is_number(a) and values.is_number(b) and
            (c is None or values.is_number(c))):
        raise Unsupported()
    budget.check_pow(a, b, c)
    return pow(a, b, c)


@function('isString', 1, 1)
def _is_string(limits, v):
    return isinstance(v, str)


@function('isList', 1, 1)
def _is_list(limits, v):
    if type(v) in (tuple, list):
        return True
    if values.is_mapping(v) or values.is_iterable(v) or v is None or \
            type(v) in (str, int, float, bool):
        return False
    raise Unsupported()


@function('isDict', 1, 1)
def _is_dict(limits, v):
    if values.is_mapping(v):
        return True
    if values.is_iterable(v) or v is None or \
            type(v) in (str, int, float, bool):
        return False
    raise Unsupported()


@function('isInteger', 1, 1)
def _is_integer(limits, v):
    return isinstance(v, int) and not isinstance(v, bool)


@function('isNumber', 1, 1)
def _is_number(limits, v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@function('isBoolean', 1, 1)
def _is_boolean(limits, v):
    return isinstance(v, bool)


def _switch_compiler(c, arg_nodes):
    pairs = c.mapping_rules(arg_nodes) if arg_nodes else None
    if pairs is None:
        return None

    def switch(scope):
        for condition, result in pairs:
            if condition(scope):
                return result(scope)
        return None
    return switch


def _coalesce_compiler(c, arg_nodes):
    nodes = _positional(arg_nodes, 0, 64)
    if nodes is None:
        return None
    fs = [c.compile(n) for n in nodes]

    def coalesce(scope):
        for f in fs:
            result = f(scope)
            if result is not None:
                return result
        return None
    return coalesce


FUNCTIONS['switch'] = _switch_compiler
FUNCTIONS['coalesce'] = _coalesce_compiler


# -- Mistral's functions -----------------------------------------------------

def _mistral_compiler(func):
    def compiler(c, arg_nodes):
        nodes = _positional(arg_nodes, 0, 8)
        if nodes is None:
            return None
        fs = [c.compile(n) for n in nodes]

        def call(scope):
            return func(yaql_compile.lookup(scope, _DATA),
                        *[f(scope) for f in fs])
        return call
    return compiler


def install_mistral_functions(funcs):
    """Direct calls of Mistral's functions (builtin and plugins)."""
    for name, func in funcs.items():
        FUNCTIONS[name] = _mistral_compiler(func)


install_mistral_functions(mistral_functions.BUILTIN_FUNCTIONS)
