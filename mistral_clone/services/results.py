"""Task results, shared by the engine (``task().result``) and the API."""

import sqlalchemy as sa

from mistral_clone.db import models


def _index_of(runtime_context):
    return (runtime_context or {}).get('index', 0) or 0


def _itself(output):
    return output


def _action_result(output):
    return (output or {}).get('result')


def is_with_items(task_ex):
    return 'with_items' in (task_ex.runtime_context or {})


def task_result(session, task_ex):
    """Results of accepted child executions sorted by index (dsl.md §15):
    one value for a plain task with one accepted execution, a list for
    with-items tasks and every other case."""
    # (child model, column holding the item index, the child's result)
    if task_ex.type == 'WORKFLOW':
        m = models.WorkflowExecution
        index_column, result_of = m.params, _itself
    else:
        m = models.ActionExecution
        index_column, result_of = m.runtime_context, _action_result
    rows = session.execute(
        sa.select(m.id, index_column)
        .where(m.task_execution_id == task_ex.id, m.accepted.is_(True))
    ).all()
    outputs = _outputs(session, m, [row_id for row_id, _ in rows])
    results = [result_of(outputs[row_id]) for row_id in (
        row_id for _, row_id in sorted(
            ((_index_of(i), row_id) for row_id, i in rows),
            key=lambda x: x[0]))]
    if is_with_items(task_ex):
        return results
    if len(results) == 1:
        return results[0]
    return results


def _outputs(session, model, ids):
    """``{id: output}`` of rows of ``model``: the value a row of the
    session already holds when reading it back from the database would
    give an equal value (an inline action's result, just stored), else
    the stored one. A result of several megabytes is then not parsed
    into one more copy for every ``task().result``."""
    found = {}
    missing = []
    identity_map = session.identity_map
    key_of = sa.inspect(model).identity_key_from_primary_key
    for row_id in ids:
        row = identity_map.get(key_of([row_id]))
        if row is not None and 'output' in row.__dict__ and \
                is_json_stable(row.__dict__['output']):
            found[row_id] = row.__dict__['output']
        else:
            missing.append(row_id)
    if missing:
        found.update(session.execute(
            sa.select(model.id, model.output).where(model.id.in_(missing))
        ).all())
    return found


_STABLE_SCALARS = frozenset((str, int, float, bool, type(None)))


def is_json_stable(value):
    """True if ``value`` reads back equal, with the same types, after being
    stored as JSON: only dicts with string keys, lists, strings, numbers,
    booleans and None (no tuples, sets, other keys or objects)."""
    scalars = _STABLE_SCALARS
    stack = [value]
    pop = stack.pop
    push = stack.append
    while stack:
        v = pop()
        t = type(v)
        if t in scalars:
            continue
        if t is dict:
            for k, x in v.items():
                if type(k) is not str:
                    return False
                if type(x) not in scalars:
                    push(x)
        elif t is list:
            for x in v:
                if type(x) not in scalars:
                    push(x)
        else:
            return False
    return True
