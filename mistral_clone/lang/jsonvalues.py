"""Values as JSON schema (the ``jsonschema`` library) sees them: its
integer and number types and its equality, for the compiled checks of
:mod:`mistral_clone.lang.fastcheck`."""

from collections.abc import Mapping
from collections.abc import Sequence
import numbers


def is_integer(x):
    if type(x) is int:
        return True
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def is_number(x):
    cls = type(x)
    if cls is int or cls is float:
        return True
    if cls is str:
        return False
    return not isinstance(x, bool) and isinstance(x, numbers.Number)


# jsonschema's equality: True is not 1, sequences and mappings compare
# item by item with the same rule.
_TRUE = object()
_FALSE = object()


def _unbool(x):
    if x is True:
        return _TRUE
    if x is False:
        return _FALSE
    return x


def equal(one, two):
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(
            equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and equal(value, two[key])
            for key, value in one.items())
    return _unbool(one) == _unbool(two)


def unique(items):
    """``uniqueItems`` as jsonschema decides it: sorted neighbours compared
    when the items sort, every pair otherwise."""
    if len(items) < 2:
        return True
    if all(type(i) is str for i in items):
        # equal() of strings is ==.
        return len(set(items)) == len(items)
    try:
        ordered = sorted(_unbool(i) for i in items)
        return not any(equal(a, b) for a, b in zip(ordered, ordered[1:]))
    except (NotImplementedError, TypeError):
        seen = []
        for item in items:
            item = _unbool(item)
            if any(equal(other, item) for other in seen):
                return False
            seen.append(item)
        return True
