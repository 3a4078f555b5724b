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
        sa.select(m.output, index_column)
        .where(m.task_execution_id == task_ex.id, m.accepted.is_(True))
    ).all()
    results = [result_of(o) for _, o in sorted(
        ((_index_of(i), o) for o, i in rows), key=lambda x: x[0])]
    if is_with_items(task_ex):
        return results
    if len(results) == 1:
        return results[0]
    return results
