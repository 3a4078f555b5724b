"""The binary operators of the YAQL fast path (``yaql_compile``): yaql's
overloads for the plain types, the per-item shortcuts for numbers, and
the Python symbols of the generated item code (``yaql_itemcode``)."""

import operator

from yaql.language import expressions as yexpr

from mistral_clone.expressions import yaql_values as values

Unsupported = values.Unsupported


def _sub(a, b):
    if values.is_number(a) and values.is_number(b):
        return a - b
    raise Unsupported()


def _div(a, b):
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a // b
    if values.is_number(a) and values.is_number(b):
        return a / b
    raise Unsupported()


def _mod(a, b):
    if values.is_number(a) and values.is_number(b):
        return a % b
    raise Unsupported()


_eq = operator.eq
_ne = operator.ne


# Operators whose operands are most often numbers (per-item predicates and
# selectors such as ``$.value > 10``, ``$.id mod 2``): the plain-number
# case inline, everything else through the operator above. Python's
# operator on two ints/floats is exactly what those functions return.
NUMERIC = {
    '#operator_+': operator.add,
    '#operator_-': operator.sub,
    '#operator_mod': operator.mod,
    '#operator_<': operator.lt,
    '#operator_>': operator.gt,
    '#operator_<=': operator.le,
    '#operator_>=': operator.ge,
}
SYMBOLS = {'#operator_+': '+', '#operator_-': '-', '#operator_mod': '%',
           '#operator_<': '<', '#operator_>': '>', '#operator_<=': '<=',
           '#operator_>=': '>='}
EQUALITY = {'*equal': '==', '*not_equal': '!='}
# Operators that always give True or False.
BOOLEAN = frozenset(['*equal', '*not_equal', '#operator_<', '#operator_>',
                     '#operator_<=', '#operator_>='])


def number_constant(node):
    """The int/float value of a constant operand node, else None."""
    if type(node) is yexpr.Constant:
        t = type(node.value)
        if t is int or t is float:
            return node.value
    return None


def with_constant(op, fa, c):
    return lambda x: op(fa(x), c)


def numeric(fast, op, fa, fb, c):
    """``op(fa(x), fb(x))`` with the number case inline; ``c``: the value
    of a constant right operand (then ``fb`` is not called)."""
    if c is not None:
        def with_constant(x):
            a = fa(x)
            t = type(a)
            if t is int or t is float:
                return fast(a, c)
            return op(a, c)
        return with_constant

    def numbers(x):
        a = fa(x)
        b = fb(x)
        ta = type(a)
        tb = type(b)
        if (ta is int or ta is float) and (tb is int or tb is float):
            return fast(a, b)
        return op(a, b)
    return numbers


BINARY = {
    '#operator_+': values.add,
    '#operator_-': _sub,
    '#operator_*': values.multiply,
    '#operator_/': _div,
    '#operator_mod': _mod,
    '*equal': _eq,
    '*not_equal': _ne,
    '#operator_<': values.lt,
    '#operator_>': values.gt,
    '#operator_<=': lambda a, b: values.compare('<=', a, b),
    '#operator_>=': lambda a, b: values.compare('>=', a, b),
    '#operator_in': None,  # compiled specially (two overloads)
}
