"""Decisions for direct workflows (pure).

Everything here is a function of the workflow spec, snapshots of task
executions (objects with ``name, state, next_tasks, error_handled, id``) and,
where guards must be evaluated, a callback. No database, no RPC.
"""

from mistral_clone.engine import commands as cmds
from mistral_clone.engine import states

TRANSITION_KINDS = ('on-success', 'on-error', 'on-complete', 'on-skip')


def start_commands(wf_spec):
    return [cmds.RunTask(name, {}) for name in wf_spec.start_task_names()]


def _clause_entries(task_spec, kind, evaluate):
    """Entries of one clause whose guard holds: [(name, params, kind)]."""
    clause = task_spec.transitions(kind)
    if clause is None:
        return []
    fired = []
    for name, params, guard in clause.entries:
        if guard is not None and not evaluate(guard):
            continue
        fired.append((name, params, kind))
    return fired


def fired_transitions(task_spec, state, evaluate):
    """Transitions that fire for a task completed in ``state`` (§5.2).

    ``evaluate(expression)`` evaluates a guard against the task's outbound
    view. Returns ``[(name, params, event)]`` in dispatch order.
    """
    fired = []
    if state == states.ERROR:
        fired += _clause_entries(task_spec, 'on-error', evaluate)
    if state == states.SKIPPED:
        skip = _clause_entries(task_spec, 'on-skip', evaluate)
        if skip:
            fired += skip
        else:
            fired += [(n, p, 'on-success') for n, p, _ in
                      _clause_entries(task_spec, 'on-success', evaluate)]
    if state == states.SUCCESS:
        fired += _clause_entries(task_spec, 'on-success', evaluate)
    if state in (states.SUCCESS, states.ERROR):
        fired += _clause_entries(task_spec, 'on-complete', evaluate)
    return fired


def next_commands(task_ex, fired, out_context, evaluate_params):
    """Turn fired transitions into commands and bookkeeping.

    Returns ``(commands, next_tasks, error_handled)``.
    """
    commands = []
    next_tasks = []
    error_handled = False
    for name, params, event in fired:
        if event == 'on-error':
            error_handled = True
        if name in cmds.ENGINE_COMMANDS:
            msg = None
            if params and 'msg' in params:
                msg = evaluate_params(params)['msg']
            commands.append(cmds.EngineCommand(name, msg, task_ex.name))
        else:
            next_tasks.append([name, event])
            commands.append(cmds.RunTask(
                name, out_context,
                [{'task_id': task_ex.id, 'event': event}]))
    return commands, next_tasks, error_handled


# --- joins ---------------------------------------------------------------------

def _latest_by_name(task_exs):
    latest = {}
    for t in task_exs:
        latest[t.name] = t   # DB order: later rows win
    return latest


def _names_in_next(task_ex):
    return {n for n, _ in (task_ex.next_tasks or [])}


def _route_possible(wf_spec, name, latest, visited):
    """Can task ``name`` (which has no execution) still be triggered?"""
    if name in visited:
        return False
    visited.add(name)
    for src in wf_spec.inbound_task_names(name):
        ex = latest.get(src)
        if ex is None:
            if _route_possible(wf_spec, src, latest, visited):
                return True
            continue
        if not states.is_completed(ex.state) or not ex.processed:
            return True
        if name in _names_in_next(ex):
            return True
    return False


def join_state(wf_spec, task_spec, task_exs):
    """Logical state of a join task (§5.7).

    Returns ``(state, triggering_executions, state_info)`` with state one of
    RUNNING (start it), WAITING or ERROR.
    """
    latest = _latest_by_name(task_exs)
    inbound = wf_spec.inbound_task_names(task_spec.name)
    running, waiting, failed = [], [], []
    for src in inbound:
        ex = latest.get(src)
        if ex is None:
            if _route_possible(wf_spec, src, latest, set()):
                waiting.append(src)
            else:
                failed.append(src)
            continue
        if not states.is_completed(ex.state) or not ex.processed:
            waiting.append(src)
        elif task_spec.name in _names_in_next(ex):
            running.append(ex)
        else:
            failed.append(src)
    join = task_spec.join
    total = len(inbound)
    needed = total if join == 'all' else int(join)
    if len(running) >= needed:
        return states.RUNNING, running, None
    if len(failed) > total - needed:
        return states.ERROR, running, 'Failed by tasks: %s' % sorted(failed)
    return states.WAITING, running, 'Blocked by tasks: %s' % sorted(
        waiting + failed)


# --- completion ------------------------------------------------------------------

def completion_state(task_exs):
    """None while anything runs; else the workflow's final state (§5.8)."""
    cancelled = []
    unhandled = False
    for t in task_exs:
        if t.state in states.ACTIVE:
            return None
        if t.state == states.CANCELLED:
            cancelled.append(t.name)
        elif t.state == states.ERROR and not t.error_handled:
            unhandled = True
    if cancelled:
        return states.CANCELLED
    if unhandled:
        return states.ERROR
    return states.SUCCESS


def final_context_sources(task_exs):
    """Completed task executions with no next tasks, in DB order (§7.6)."""
    return [t for t in task_exs
            if states.is_completed(t.state) and not t.has_next_tasks]
