"""Transition clauses of direct workflows: ``on-success``, ``on-error``,
``on-complete``, ``on-skip`` (simple, guarded and advanced forms)."""

from __future__ import annotations

from mistral_clone import exceptions as exc
from mistral_clone.lang import specs
from mistral_clone.lang import types
from mistral_clone.lang.inline import parse_inline_params

_NAME = {'type': 'string', 'pattern': r'^\S+$',
         'description': 'Task name (e.g.: `task1`)'}
_NAME_WITH_PARAMS = {
    'type': 'string', 'pattern': r'^\w+ \w+=(.*)$',
    'description': 'Task name with dict parameter (e.g.: `fail msg="test"`, '
                   '`fail msg=<% task() %>`)'}
_NAME_WITH_FUNC = {
    'type': 'string', 'pattern': r'^\w+\(\w+=(.*)\)$',
    'description': 'Task name with func parameter (e.g.: `fail(msg="test")`, '
                   '`fail(msg=<% task() %>)`)'}

NEXT_TASK_STRING = {'oneOf': [_NAME, _NAME_WITH_PARAMS, _NAME_WITH_FUNC]}

NEXT_TASK_GUARD = {
    'type': 'object', 'minProperties': 1, 'maxProperties': 1,
    'patternProperties': {
        r'^\S+$': types.EXPRESSION,
        r'^\w+ \w+=(.*)$': types.EXPRESSION,
        r'^\w+\(\w+=(.*)\)$': types.EXPRESSION,
    },
    'description': 'All next task variants plus expression (e.g.: `task1: '
                   '<% $.vm_id != null %>`, `fail(msg="test"): <% $.vm_id != '
                   'null %>`).',
}

NEXT_TASK_LIST = {
    'type': 'array', 'items': {'oneOf': [NEXT_TASK_STRING, NEXT_TASK_GUARD]},
    'uniqueItems': True, 'minItems': 1,
}

NEXT_TASKS = {'oneOf': [NEXT_TASK_STRING, NEXT_TASK_GUARD, NEXT_TASK_LIST]}

PUBLISH_SCHEMA = {
    'type': 'object',
    'properties': types.with_meta({
        'branch': types.NONEMPTY_DICT,
        'global': types.NONEMPTY_DICT,
        'atomic': types.NONEMPTY_DICT,
    }),
    'additionalProperties': False,
    'definitions': {},
}

#: One on-* clause.
SCHEMA = {'oneOf': [
    NEXT_TASK_STRING,
    NEXT_TASK_GUARD,
    NEXT_TASK_LIST,
    {'type': 'object', 'minProperties': 1,
     'properties': {'publish': PUBLISH_SCHEMA, 'next': NEXT_TASKS},
     'additionalProperties': False},
], 'properties': dict(types.META_PROPERTIES), 'definitions': {}}


@specs.spec
class Clause(specs.Spec):
    """One transition clause.

    ``entries``: ``(target_name, params_dict, guard_or_None)`` in document
    order; engine commands (fail/succeed/pause/noop) are kept as names with
    their params. ``publish_branch``/``publish_global``/``publish_atomic``:
    the dicts of the advanced ``publish:`` form (or None); ``has_publish``:
    whether that form has a ``publish`` at all.
    """

    entries: list = ()
    publish_branch: dict = None
    publish_global: dict = None
    publish_atomic: dict = None
    has_publish: bool = False


EMPTY = Clause(entries=[])


def _entry(text, guard):
    name, params = parse_inline_params(str(text))
    return (name, params, guard)


def _entries(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [_entry(value, None)]
    if isinstance(value, dict):
        return [_entry(k, g) for k, g in value.items()]
    result = []
    for item in value:
        if isinstance(item, dict):
            result.extend(_entry(k, g) for k, g in item.items())
        else:
            result.append(_entry(item, None))
    return result


def _publish(value, checks):
    """(branch, global, atomic) of an advanced ``publish:``."""
    if checks.enabled and not any(
            k in value for k in ('branch', 'global', 'atomic')):
        raise exc.InvalidModelException(
            "Either 'branch', 'global' or 'atomic' must be specified: ")
    scopes = (value.get('branch'), value.get('global'), value.get('atomic'))
    for scope in scopes:
        checks.values(scope)
    return scopes


def parse(value, checks):
    """Clause of a schema-valid on-* value; checks its expressions.

    A mapping is always the advanced form: only ``publish`` and ``next``
    count (a bare ``{task: <% guard %>}`` therefore yields no transition,
    as on the reference).
    """
    if value is None:
        return EMPTY
    if not isinstance(value, dict):
        entries = _entries(value)
        scopes, has_publish = (None, None, None), False
    else:
        entries = _entries(value.get('next'))
        publish = value.get('publish')
        has_publish = isinstance(publish, dict)
        scopes = _publish(publish, checks) if has_publish else \
            (None, None, None)
    for _, _, guard in entries:
        checks.expression(guard)
    return Clause(entries, *scopes, has_publish)


def inherit(own, default, task_name):
    """The effective clause: the task's own when it has entries, else the
    default's entries (minus transitions to the task itself) with the
    task's own publish."""
    if own.entries or default is None or not default.entries:
        return own
    return Clause([e for e in default.entries if e[0] != task_name],
                  own.publish_branch, own.publish_global, own.publish_atomic,
                  own.has_publish)
