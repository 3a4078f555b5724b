"""How the engine tells failures: forced failures and their messages.

A *forced failure* (dsl.md §5.10 B) fails a task and its whole workflow at
once: a task's input, action name or policy value cannot be evaluated, its
action cannot be found, a publish breaks... The rooms raise
:class:`ForcedFailure` with the reference's message; the task room catches
it where the task is started or completed.
"""

STATE_INFO_LIMIT = 65500


class ForcedFailure(Exception):
    """Fail the task and its whole workflow at once."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def fmt_error(e):
    return getattr(e, 'message', None) or str(e)


def traceback_hint(e):
    return '%s: %s' % (type(e).__name__, fmt_error(e))


def cut(text, limit=STATE_INFO_LIMIT):
    """``state_info`` as stored: at most ``limit`` characters."""
    if text is None:
        return None
    text = str(text)
    if len(text) > limit:
        return text[:limit - 3] + '...'
    return text


def run_task_error(run, task_ex, e, hint=True):
    """The task could not be started (input, action, policy value...)."""
    message = 'Failed to run task [error=%s, wf=%s, task=%s]' % (
        fmt_error(e), run.wf_ex.workflow_name, task_ex.name)
    if hint:
        message += ':\n%s' % traceback_hint(e)
    return ForcedFailure(message)


def completion_error(run, task_ex, e):
    """The task's result could not be handled (publish, transitions)."""
    spec = run.spec.tasks[task_ex.name]
    return ForcedFailure(
        'Failed to handle action completion [error=%s, wf=%s, task=%s, '
        'action=%s]:\n%s' % (
            fmt_error(e), run.wf_ex.workflow_name, task_ex.name,
            spec.workflow or spec.action or 'std.noop', traceback_hint(e)))
