"""Task policies as pure decisions (dsl.md §9): pause-before, wait-before,
wait-after, timeout, retry, fail-on, concurrency, keep-result.

Like ``direct.py``, everything here is a function of the task's spec, its
runtime bookkeeping (``runtime_context``) and, where a value may be an
expression, an ``evaluate(value)`` callback. Each hook returns *decisions*
— hold the task, delay it, arm a timeout, retry it — that the engine's
shell (``task_policies.py``) applies, in order, inside its transaction. No
database, no engine object.

A value that is not a non-negative integer raises
:class:`InvalidPolicyValue` with the reference's message; an expression
that cannot be evaluated raises ``EvaluationException``. Both fail the task
(and its workflow) at once.
"""

import dataclasses

from mistral_clone.engine import jobs
from mistral_clone.engine import states


# --- decisions ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Hold:
    """pause-before: the task stays IDLE and its workflow pauses."""
    info = "Set by 'pause-before' policy"


@dataclasses.dataclass(frozen=True)
class ArmTimeout:
    """timeout: fail the task if it is still running in ``seconds``."""
    seconds: int
    job = jobs.TASK_TIMEOUT


@dataclasses.dataclass(frozen=True)
class WaitBefore:
    """wait-before: the task waits (DELAYED) before it runs."""
    seconds: int
    job = jobs.TASK_CONTINUE

    @property
    def info(self):
        return "Delayed by 'wait-before' policy [delay=%s]" % self.seconds


@dataclasses.dataclass(frozen=True)
class WaitAfter:
    """wait-after: the completed task waits (DELAYED) before it counts."""
    seconds: int
    job = jobs.TASK_WAIT_AFTER_DONE

    @property
    def info(self):
        return "Delayed by 'wait-after' policy [delay=%s]" % self.seconds


@dataclasses.dataclass(frozen=True)
class Retry:
    """retry: run the task again (attempt ``retry_no``) after ``seconds``."""
    retry_no: int
    seconds: int
    job = jobs.TASK_CONTINUE

    @property
    def info(self):
        return "Delayed by 'retry' policy [delay=%s]" % self.seconds


FAIL_ON_INFO = "Failed by 'fail-on' policy"


class InvalidPolicyValue(Exception):
    """A policy value is not an integer >= 0 (the reference's message)."""


# --- values -----------------------------------------------------------------------

_POLICY_CLASS = {
    'wait_before': 'WaitBeforePolicy',
    'wait_after': 'WaitAfterPolicy',
    'timeout': 'TimeoutPolicy',
    'retry': 'RetryPolicy',
    'concurrency': 'ConcurrencyPolicy',
}

# The property each policy validates (as the reference's messages name it).
_POLICY_PROPERTY = {'wait_before': 'delay', 'wait_after': 'delay',
                    'timeout': 'delay', 'concurrency': 'concurrency'}


def _value(raw, evaluate):
    return evaluate(raw) if isinstance(raw, str) else raw


def _int_value(raw, evaluate, policy, field=None):
    """A policy value as an integer >= 0 (None counts as 0)."""
    value = _value(raw, evaluate)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidPolicyValue(_type_error(policy, field, value))
    return value


def _type_error(policy, field, value):
    """The reference's (jsonschema-shaped) message for a bad policy value."""
    prop = field or _POLICY_PROPERTY.get(policy, policy)
    if isinstance(value, int) and not isinstance(value, bool):
        reason, check = '%r is less than the minimum of 0' % value, 'minimum'
    else:
        reason, check = "%r is not of type 'integer'" % value, 'type'
    return ("Invalid data type in %s: %s\n\n"
            "Failed validating '%s' in schema['properties']['%s']:\n"
            "    {'type': 'integer', 'minimum': 0}\n\n"
            "On instance['%s']:\n    %r. Value(s) can be shown after YAQL "
            "evaluating. If you use YAQL here, please correct it." % (
                _POLICY_CLASS.get(policy, policy), reason, check, prop, prop,
                value))


def _truthy(raw, evaluate):
    return bool(_value(raw, evaluate))


# --- hooks ------------------------------------------------------------------------

def before_start(p, runtime_context, evaluate):
    """Decisions before a task runs, in the reference's order: ``[Hold]``;
    or an optional ``ArmTimeout`` followed by an optional ``WaitBefore``.
    Every policy value is checked here, before anything runs."""
    if p.pause_before is not None and _truthy(p.pause_before, evaluate):
        return [Hold()]
    wait_before = 0
    if p.wait_before is not None:
        wait_before = _int_value(p.wait_before, evaluate, 'wait_before')
    if p.wait_after is not None:
        _int_value(p.wait_after, evaluate, 'wait_after')
    if p.retry is not None:
        _int_value(p.retry.count, evaluate, 'retry', 'count')
        _int_value(p.retry.delay, evaluate, 'retry', 'delay')
    timeout = 0
    if p.timeout is not None:
        timeout = _int_value(p.timeout, evaluate, 'timeout')
    if p.concurrency is not None:
        _int_value(p.concurrency, evaluate, 'concurrency')
    decisions = []
    if timeout > 0:
        decisions.append(ArmTimeout(timeout))
    if wait_before > 0 and not (
            runtime_context.get('wait_before_policy') or {}).get('skip'):
        decisions.append(WaitBefore(wait_before))
    return decisions


def wait_after(p, runtime_context, evaluate):
    """``WaitAfter`` once for a task that just completed, else None."""
    if p.wait_after is None:
        return None
    delay = _int_value(p.wait_after, evaluate, 'wait_after')
    if delay > 0 and not (
            runtime_context.get('wait_after_policy') or {}).get('skip'):
        return WaitAfter(delay)
    return None


def fail_on(p, state, evaluate):
    """True when fail-on turns a SUCCESS into an ERROR."""
    return p.fail_on is not None and state == states.SUCCESS and \
        _truthy(p.fail_on, evaluate)


def retry(p, state, runtime_context, evaluate, evaluate_outbound):
    """``Retry`` for a task completed in ``state``, else None.
    ``break-on``/``continue-on`` see the task's outbound context."""
    r = p.retry
    if r is None:
        return None
    count = _int_value(r.count, evaluate, 'retry', 'count')
    delay = _int_value(r.delay, evaluate, 'retry', 'delay')
    retry_no = (runtime_context.get('retry_task_policy') or {}).get(
        'retry_no', 0)
    break_on = None if r.break_on is None else _truthy(r.break_on,
                                                       evaluate_outbound)
    continue_on = None if r.continue_on is None else _truthy(
        r.continue_on, evaluate_outbound)
    if should_retry(state, retry_no, count, break_on, continue_on):
        return Retry(retry_no + 1, delay)
    return None


def should_retry(state, retry_no, count, break_on, continue_on):
    """The retry decision of dsl.md §9.5."""
    if state not in (states.SUCCESS, states.ERROR):
        return False
    if retry_no >= count:
        return False
    if state == states.ERROR and break_on:
        return False
    if state == states.SUCCESS and continue_on is None:
        return False
    if continue_on is not None and not continue_on:
        return False
    return True


def concurrency(p, evaluate):
    """How many items of a with-items task run at once (0: all)."""
    if p.concurrency is None:
        return 0
    return _int_value(p.concurrency, evaluate, 'concurrency')


def action_timeout(p, evaluate):
    """The timeout an executor applies to the task's action, or None."""
    if p.timeout is None:
        return None
    return _int_value(p.timeout, evaluate, 'timeout') or None


def keep_result(task_spec):
    """False when the task's action results are dropped once it is done.
    The reference never evaluates ``keep-result``: a non-empty expression
    is true."""
    value = task_spec.keep_result
    return True if value is None else bool(value)
