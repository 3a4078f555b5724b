"""What every spec module shares: the spec class decorator, sentinels, names.

Spec objects are frozen dataclasses (:func:`spec`): assigning an attribute
raises ``dataclasses.FrozenInstanceError`` (an ``AttributeError``). The
containers they hold (dicts and lists taken from the YAML) are shared by
every user of a cached spec: treat them as read-only.

Each kind of spec lives in its own module next to the JSON schema that
describes it: ``policies``, ``transitions``, ``tasks``, ``workflows``,
``actions``, ``workbooks``.
"""

import dataclasses

import yaml


class _NoDefault(object):
    """Sentinel: a declared input without default (a required input)."""

    __slots__ = ()

    def __repr__(self):
        return 'NO_DEFAULT'

    def __reduce__(self):
        return (_get_no_default, ())

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


NO_DEFAULT = _NoDefault()


def _get_no_default():
    return NO_DEFAULT


ENGINE_COMMANDS = frozenset(('noop', 'fail', 'succeed', 'pause'))

TRANSITION_KINDS = ('on-success', 'on-error', 'on-complete', 'on-skip')

DEFAULT_VERSION = '2.0'


class Spec(object):
    """Base of the spec classes: identity equality and a short repr (a
    workflow's full field list would print every task)."""

    def __repr__(self):
        return '<%s %s>' % (type(self).__name__, getattr(self, 'name', ''))


def spec(cls):
    """Class decorator: an immutable spec with identity equality."""
    return dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)


def merge_dicts(left, right):
    """Deep merge ``right`` into a copy of ``left`` (right wins)."""
    result = dict(left)
    for k, v in right.items():
        if isinstance(v, dict) and isinstance(result.get(k), dict):
            result[k] = merge_dicts(result[k], v)
        else:
            result[k] = v
    return result


def to_list(value):
    """A ``string or list of strings`` value as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def parse_input(items):
    """``[name, {name: default}, ...]`` as ``[(name, default), ...]``
    (``NO_DEFAULT`` for required inputs)."""
    result = []
    for item in items or ():
        if isinstance(item, dict):
            result.extend(item.items())
        else:
            result.append((item, NO_DEFAULT))
    return result


def yaml_dump(data):
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)
