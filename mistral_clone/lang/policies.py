"""Task policies: ``retry`` and the single-valued ones (``wait-before``,
``wait-after``, ``timeout``, ``pause-before``, ``concurrency``,
``fail-on``), with the task-defaults they inherit."""

from __future__ import annotations

import dataclasses

from mistral_clone.lang import types
from mistral_clone.lang import validation
from mistral_clone.lang.inline import parse_inline_params

RETRY_OBJECT_SCHEMA = {
    'type': 'object',
    'properties': {
        'count': types.EXPRESSION_OR_POSITIVE_INTEGER,
        'break-on': types.EXPRESSION,
        'continue-on': types.EXPRESSION,
        'delay': types.EXPRESSION_OR_POSITIVE_INTEGER,
    },
    'required': ['delay', 'count'],
    'additionalProperties': False,
}

RETRY_SCHEMA = {
    'oneOf': [RETRY_OBJECT_SCHEMA, types.NONEMPTY_STRING],
    'properties': dict(types.META_PROPERTIES),
    'definitions': {},
}

#: The policy properties of task and task-defaults schemas.
PROPERTIES = {
    'retry': RETRY_SCHEMA,
    'wait-before': types.EXPRESSION_OR_POSITIVE_INTEGER,
    'wait-after': types.EXPRESSION_OR_POSITIVE_INTEGER,
    'timeout': types.EXPRESSION_OR_POSITIVE_INTEGER,
    'pause-before': types.EXPRESSION_OR_BOOLEAN,
    'concurrency': types.EXPRESSION_OR_POSITIVE_INTEGER,
    'fail-on': types.EXPRESSION_OR_BOOLEAN,
}

_RETRY = validation.compile_schema(RETRY_SCHEMA)

#: Policies other than retry, as written.
SIMPLE = ('wait-before', 'wait-after', 'timeout', 'pause-before',
          'concurrency', 'fail-on')


@dataclasses.dataclass(frozen=True)
class RetrySpec(object):
    """``retry``: raw values (integers or expression strings). Equal when
    the four values are."""

    count: object
    delay: object
    break_on: object = None
    continue_on: object = None
    raw: object = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True, eq=False)
class PoliciesSpec(object):
    """A task's policies, task-defaults applied ("active" values win)."""

    pause_before: object = None
    wait_before: object = None
    wait_after: object = None
    timeout: object = None
    retry: RetrySpec = None
    concurrency: object = None
    fail_on: object = None


def parse_retry(value, checks, path):
    """RetrySpec of a ``retry`` value (mapping or one-liner) found at
    ``path``, or None."""
    if value is None:
        return None
    data = parse_inline_params(value)[1] if isinstance(value, str) else value
    checks.schema(_RETRY, data, path)
    for key in ('count', 'delay', 'break-on', 'continue-on'):
        checks.expression(data.get(key))
    return RetrySpec(data.get('count'), data.get('delay'),
                     data.get('break-on'), data.get('continue-on'),
                     raw=value)


def check_expressions(data, checks):
    """Syntax of the single-valued policies of a task or task-defaults."""
    for key in SIMPLE:
        checks.expression(data.get(key))


def _number_active(value):
    if isinstance(value, str):
        return True
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and value > 0)


def _inherit(own, default, active):
    """The task's value when active, else the default's, else the task's."""
    if own is not None and active(own):
        return own
    if default is not None:
        return default
    return own


def resolve(raw, retry, defaults):
    """PoliciesSpec of a task: its own values (``raw``, ``retry``) over
    ``defaults`` (a TaskDefaultsSpec or None)."""
    d = defaults
    return PoliciesSpec(
        pause_before=_inherit(raw.get('pause-before'),
                              d and d.pause_before, bool),
        wait_before=_inherit(raw.get('wait-before'), d and d.wait_before,
                             _number_active),
        wait_after=_inherit(raw.get('wait-after'), d and d.wait_after,
                            _number_active),
        timeout=_inherit(raw.get('timeout'), d and d.timeout,
                         _number_active),
        retry=retry if retry is not None else (d and d.retry or None),
        concurrency=_inherit(raw.get('concurrency'), d and d.concurrency,
                             bool),
        fail_on=_inherit(raw.get('fail-on'), d and d.fail_on, bool),
    )
