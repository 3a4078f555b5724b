"""Where our yaql differs from plain yaql, on purpose, in both evaluation
paths (the fast path in ``yaql_library``/``yaql_values`` does the same):

* **Budgets**: ``*``, ``+``, ``pow`` and ``shiftBitsLeft`` refuse results
  too large to build (``budget``) before Python computes them: a single
  ``pow(10, 100000000)`` would otherwise hold the CPU for minutes in one
  C call that nothing can interrupt.
* **limit_iterators** also bounds ``len()`` of an iterator:
  ``range(0, 100000000).len()`` counts every item in plain yaql, whatever
  the limit.
* **Dictionary keys keep their order**: ``dict(a => 1, b => 2).keys()`` is
  ``[a, b]``. Plain yaql returns a Python set, whose order changes with
  every process (see ``yaql_values.OrderedKeys``).

Each override is a copy of yaql's own function definition (same name, same
parameter types, so overload resolution is unchanged) with a guarded
payload, registered in our root context where it takes precedence.
"""

import collections.abc

from yaql.language import specs
from yaql.language import utils
from yaql.language import yaqltypes
from yaql.standard_library import collections as std_collections
from yaql.standard_library import math as std_math
from yaql.standard_library import queries as std_queries
from yaql.standard_library import strings as std_strings

from mistral_clone.expressions import budget
from mistral_clone.expressions import yaql_values


def _multiplication(left, right):
    budget.check_mul(left, right)
    return std_math.multiplication(left, right)


def _string_by_int(left, right, engine):
    utils.limit_memory_usage(engine, (-right + 1, ''), (right, left))
    budget.check_repeat(left, right)
    return std_strings.string_by_int(left, right, engine)


def _int_by_string(left, right, engine):
    utils.limit_memory_usage(engine, (-left + 1, ''), (left, right))
    budget.check_repeat(right, left)
    return std_strings.int_by_string(left, right, engine)


def _list_by_int(left, right, engine):
    utils.limit_memory_usage(engine, (-right + 1, []), (right, left))
    budget.check_repeat(left, right)
    return std_collections.list_by_int(left, right, engine)


def _int_by_list(left, right, engine):
    utils.limit_memory_usage(engine, (-left + 1, []), (left, right))
    budget.check_repeat(right, left)
    return std_collections.int_by_list(left, right, engine)


def _concat(*args):
    if len(args) == 2:
        budget.check_concat(args[0], args[1])
    return std_strings.concat(*args)


def _combine_lists(left, right, engine):
    if isinstance(left, tuple) and isinstance(right, tuple):
        utils.limit_memory_usage(engine, (1, left), (1, right))
        budget.check_concat(left, right)
    return std_collections.combine_lists(left, right, engine)


def _pow(a, b, c=None):
    budget.check_pow(a, b, c)
    return std_math.pow_(a, b, c)


def _shift_bits_left(value, bits_number):
    budget.check_shift_left(value, bits_number)
    return std_math.shift_bits_left(value, bits_number)


def _count(collection, engine):
    count = 0
    for _ in utils.limit_iterable(collection, engine):
        count += 1
    return count


_GUARDED = [
    ('#operator_*', std_math.multiplication, _multiplication),
    ('#operator_*', std_strings.string_by_int, _string_by_int),
    ('#operator_*', std_strings.int_by_string, _int_by_string),
    ('#operator_*', std_collections.list_by_int, _list_by_int),
    ('#operator_*', std_collections.int_by_list, _int_by_list),
    ('#operator_+', std_strings.concat, _concat),
    ('#operator_+', std_collections.combine_lists, _combine_lists),
    ('pow', std_math.pow_, _pow),
    ('shiftBitsLeft', std_math.shift_bits_left, _shift_bits_left),
    ('len', std_queries.count_, _count),
]


def _convert(obj, limit_func, engine, rec):
    if isinstance(obj, collections.abc.KeysView):
        return yaql_values.ordered_keys(
            [rec(t, limit_func, engine, rec) for t in limit_func(obj)])
    return utils.convert_output_data(obj, limit_func, engine, rec)


@specs.inject('limiter', yaqltypes.Delegate('#iter'))
@specs.inject('engine', yaqltypes.Engine())
@specs.name('#finalize')
def _finalize(obj, limiter, engine):
    return _convert(obj, limiter, engine, _convert)


def _definition(context, name, payload):
    for level in context.collect_functions(name):
        for fd in level:
            if fd.payload is payload:
                return fd
    raise LookupError('yaql has no %s implemented by %s'
                      % (name, payload.__name__))


def install(root):
    """Register the overrides in ``root`` (a child of yaql's context)."""
    for name, original, guarded in _GUARDED:
        fd = _definition(root, name, original).clone()
        fd.payload = guarded
        if original is std_queries.count_:
            fd.set_parameter('engine', yaqltypes.Engine())
        root.register_function(fd)
    root.register_function(_finalize)
