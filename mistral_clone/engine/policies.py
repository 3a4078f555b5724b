"""Task policies: pause-before, wait-before, wait-after, timeout, retry,
fail-on, concurrency, keep-result (dsl.md §9).

The decisions (should we retry? how long to wait?) are small pure functions;
the hooks apply them through the handler and schedule delayed work as rows of
the ``scheduled_jobs`` table, so delays survive restarts.
"""

from mistral_clone import exceptions as exc
from mistral_clone.engine import states

_POLICY_CLASS = {
    'wait_before': 'WaitBeforePolicy',
    'wait_after': 'WaitAfterPolicy',
    'timeout': 'TimeoutPolicy',
    'retry': 'RetryPolicy',
    'concurrency': 'ConcurrencyPolicy',
}


def _int_value(h, tx, task_ex, view, raw, policy, field=None):
    """Evaluate a policy value and check it is an integer >= 0."""
    from mistral_clone.engine.handler import ForcedFailure
    value = raw
    try:
        if isinstance(raw, str):
            value = tx.evaluate(raw, view)
    except exc.EvaluationException as e:
        raise h._run_task_error(tx, task_ex, e)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ForcedFailure(
            'Failed to run task [error=%s, wf=%s, task=%s]' % (
                _type_error(policy, field, value), tx.wf_ex.workflow_name,
                task_ex.name))
    return value


# The property each policy validates (as the reference's messages name it).
_POLICY_PROPERTY = {'wait_before': 'delay', 'wait_after': 'delay',
                    'timeout': 'delay', 'concurrency': 'concurrency'}


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


def _truthy(h, tx, task_ex, view, raw):
    if isinstance(raw, str):
        try:
            return bool(tx.evaluate(raw, view))
        except exc.EvaluationException as e:
            raise h._run_task_error(tx, task_ex, e)
    return bool(raw)


def _rc(task_ex):
    return dict(task_ex.runtime_context or {})


def before_start(h, tx, task_ex, task_spec):
    """Before-start hooks in the fixed order; True if the task was held."""
    p = task_spec.policies
    view = tx.view(task_ex, task_ex.in_context)
    rc = _rc(task_ex)
    if p.pause_before is not None and _truthy(h, tx, task_ex, view,
                                              p.pause_before):
        task_ex.state = states.IDLE
        task_ex.state_info = "Set by 'pause-before' policy"
        if tx.wf_ex.state == states.RUNNING:
            h.pause_workflow(tx, None)
        return True
    wait_before = 0
    if p.wait_before is not None:
        wait_before = _int_value(h, tx, task_ex, view, p.wait_before,
                                 'wait_before')
    if p.wait_after is not None:
        _int_value(h, tx, task_ex, view, p.wait_after, 'wait_after')
    if p.retry is not None:
        _int_value(h, tx, task_ex, view, p.retry.count, 'retry', 'count')
        _int_value(h, tx, task_ex, view, p.retry.delay, 'retry', 'delay')
    timeout = 0
    if p.timeout is not None:
        timeout = _int_value(h, tx, task_ex, view, p.timeout, 'timeout')
    if p.concurrency is not None:
        _int_value(h, tx, task_ex, view, p.concurrency, 'concurrency')
    if timeout > 0:
        h.schedule_job('task_timeout', {'task_ex_id': task_ex.id,
                                        'timeout': timeout},
                       delay=timeout, wf_ex_id=tx.wf_ex.id)
    if wait_before > 0 and not (rc.get('wait_before_policy') or {}).get(
            'skip'):
        rc['wait_before_policy'] = {'skip': True}
        task_ex.runtime_context = rc
        task_ex.state = states.RUNNING_DELAYED
        task_ex.state_info = ("Delayed by 'wait-before' policy [delay=%s]"
                              % wait_before)
        if task_ex.started_at is None:
            from mistral_clone.db.models import utcnow
            task_ex.started_at = utcnow()
        h.schedule_job('task_continue', {'task_ex_id': task_ex.id},
                       delay=wait_before, wf_ex_id=tx.wf_ex.id)
        return True
    return False


def after_complete(h, tx, task_ex, task_spec):
    """After-completion hooks; True if the task was delayed (wait-after,
    retry) and must not fire its transitions yet."""
    p = task_spec.policies
    state = task_ex.state
    view = tx.view(task_ex, task_ex.in_context)
    rc = _rc(task_ex)
    if p.wait_after is not None:
        delay = _int_value(h, tx, task_ex, view, p.wait_after, 'wait_after')
        wa = rc.get('wait_after_policy') or {}
        if delay > 0 and not wa.get('skip'):
            rc['wait_after_policy'] = {'skip': True}
            task_ex.runtime_context = rc
            ed = dict(task_ex.engine_data or {})
            ed['completed_state'] = [state, task_ex.state_info]
            task_ex.engine_data = ed
            task_ex.state = states.RUNNING_DELAYED
            task_ex.state_info = ("Delayed by 'wait-after' policy [delay=%s]"
                                  % delay)
            h.schedule_job('task_wait_after_done',
                           {'task_ex_id': task_ex.id}, delay=delay,
                           wf_ex_id=tx.wf_ex.id)
            return True
    if p.fail_on is not None and state == states.SUCCESS:
        if _truthy(h, tx, task_ex, view, p.fail_on):
            task_ex.state = state = states.ERROR
            task_ex.state_info = "Failed by 'fail-on' policy"
    if p.retry is not None:
        r = p.retry
        out_view = tx.view(task_ex, task_ex.in_context,
                           h.outbound(task_ex))
        count = _int_value(h, tx, task_ex, view, r.count, 'retry', 'count')
        delay = _int_value(h, tx, task_ex, view, r.delay, 'retry', 'delay')
        retry_no = (rc.get('retry_task_policy') or {}).get('retry_no', 0)
        break_on = None if r.break_on is None else _truthy(
            h, tx, task_ex, out_view, r.break_on)
        continue_on = None if r.continue_on is None else _truthy(
            h, tx, task_ex, out_view, r.continue_on)
        if should_retry(state, retry_no, count, break_on, continue_on):
            h.unaccept_task_children(task_ex)
            rc['retry_task_policy'] = {'retry_no': retry_no + 1}
            rc.pop('wait_after_policy', None)
            task_ex.runtime_context = rc
            task_ex.state = states.RUNNING_DELAYED
            task_ex.state_info = "Delayed by 'retry' policy [delay=%s]" % (
                delay)
            h.schedule_job('task_continue', {'task_ex_id': task_ex.id,
                                             'retry': True},
                           delay=delay, wf_ex_id=tx.wf_ex.id)
            return True
    return False


def should_retry(state, retry_no, count, break_on, continue_on):
    """The retry decision of dsl.md §9.5 (pure)."""
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


def concurrency(h, tx, task_ex, task_spec, view):
    raw = task_spec.policies.concurrency
    if raw is None:
        return 0
    return _int_value(h, tx, task_ex, view, raw, 'concurrency')


def action_timeout(h, tx, task_ex, task_spec, view):
    raw = task_spec.policies.timeout
    if raw is None:
        return None
    value = _int_value(h, tx, task_ex, view, raw, 'timeout')
    return value or None


def keep_result(task_spec):
    value = task_spec.keep_result
    if value is None:
        return True
    if isinstance(value, str):
        # The reference never evaluates it: a non-empty expression is true.
        return bool(value)
    return bool(value)
