"""Executor side: build the ActionContext and run an action object.

``run_action`` never raises for action failures: everything becomes a
``Result`` with the reference's error texts. A timeout returns as soon as it
fires; the worker thread (which cannot be killed) is left to finish on its
own as a daemon thread and its late result is dropped.
"""

import json
import threading

from mistral_lib import actions as ml_actions
from mistral_lib.actions import context as ml_context

from mistral_clone.actions import base

_SECURITY_FIELDS = ('auth_uri', 'auth_cacert', 'insecure', 'service_catalog',
                    'region_name', 'is_trust_scoped', 'redelivered',
                    'expires_at', 'trust_id', 'is_target', 'project_id',
                    'project_name', 'user_name', 'auth_token')


def callback_url_for(action_execution_id):
    """The (relative) URL a 3rd party PUTs an async result to."""
    return '/v2/action_executions/%s' % action_execution_id


def make_action_context(workflow_execution_id=None, task_execution_id=None,
                        action_execution_id=None, workflow_name=None,
                        callback_url=None, with_items_index=0,
                        task_rerun_no=0, task_rerun_id=None,
                        workflow_propagated_headers=None, security=None):
    """A mistral-lib ``ActionContext`` with execution and security parts.

    ``security`` may be a dict of SecurityContext fields (unknown keys are
    ignored), a SecurityContext, or None.
    """
    if callback_url is None and action_execution_id:
        callback_url = callback_url_for(action_execution_id)
    execution = ml_context.ExecutionContext(
        workflow_execution_id=workflow_execution_id,
        task_execution_id=task_execution_id,
        action_execution_id=action_execution_id,
        workflow_name=workflow_name,
        callback_url=callback_url,
        with_items_index=with_items_index,
        task_rerun_no=task_rerun_no,
        task_rerun_id=task_rerun_id,
        workflow_propagated_headers=workflow_propagated_headers,
    )
    if security is None or isinstance(security, dict):
        values = {k: v for k, v in (security or {}).items()
                  if k in _SECURITY_FIELDS}
        security = ml_context.SecurityContext(**values)
    return ml_context.ActionContext(security_ctx=security,
                                    execution_ctx=execution)


def _action_ex_id(context):
    execution = getattr(context, 'execution', None)
    return getattr(execution, 'action_execution_id', None)


def exception_result(action, action_ex_id, error_text):
    return ml_actions.Result(error=(
        "The action raised an exception [action=%s, action_ex_id=%s, "
        "msg='%s']" % (_safe_repr(action), action_ex_id, error_text)))


def _safe_repr(action):
    try:
        return repr(action)
    except Exception:
        return object.__repr__(action)


def _exception_text(e):
    message = getattr(e, 'message', None)
    return message if isinstance(message, str) else str(e)


class _Call(object):
    def __init__(self, action, context):
        self.action = action
        self.context = context
        self.value = None
        self.error = None
        self.done = threading.Event()

    def __call__(self):
        try:
            self.value = self.action.run(self.context)
        except BaseException as e:  # reported, never re-raised
            self.error = e
        finally:
            self.done.set()


def run_action(action, context=None, timeout=None):
    """Run ``action.run(context)`` and return a ``Result``.

    ``timeout`` (seconds, None/0 = no limit) runs the action in a thread and
    reports ``Timeout after N seconds`` once it expires.
    """
    if context is None:
        context = make_action_context()
    action_ex_id = _action_ex_id(context)
    call = _Call(action, context)

    if not timeout:
        call()
    else:
        worker = threading.Thread(target=call, daemon=True,
                                  name='action-%s' % (action_ex_id or ''))
        worker.start()
        if not call.done.wait(timeout):
            return exception_result(
                action, action_ex_id, 'Timeout after %s seconds' % timeout)

    if call.error is not None:
        return exception_result(action, action_ex_id,
                                _exception_text(call.error))
    return base.as_result(call.value)


def should_report(action, result):
    """Sync actions always report; async ones only an immediate error."""
    return bool(action.is_sync()) or result.is_error()


def ensure_deliverable(result, action, action_ex_id):
    """Replace a result the engine cannot store by the reference's error."""
    try:
        json.dumps(result.data if result.is_success() else result.error)
        return result
    except (TypeError, ValueError, UnicodeError) as e:
        return ml_actions.Result(error=(
            'Failed to complete action due to a Mistral exception '
            '[action=%s, action_ex_id=%s]\n %s'
            % (_safe_repr(action), action_ex_id, e)))
