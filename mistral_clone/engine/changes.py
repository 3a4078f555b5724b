"""The one place where execution states change.

Every change of the ``state`` of a workflow, task or action execution —
creation included — goes through one of the three functions below, so what
must happen on each change (logs, traces, metrics) is added here once.
They only record the change; which changes are allowed is decided by the
engine's rooms (the table of ``states.py`` documents them).
"""

#: ``state_info`` argument default: leave it as it is.
KEEP = object()


def set_workflow_state(wf_ex, state, state_info=KEEP):
    wf_ex.state = state
    if state_info is not KEEP:
        wf_ex.state_info = state_info


def set_task_state(task_ex, state, state_info=KEEP):
    task_ex.state = state
    if state_info is not KEEP:
        task_ex.state_info = state_info


def set_action_state(action_ex, state):
    action_ex.state = state
