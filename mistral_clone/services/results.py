"""Task results, shared by the engine (``task().result``) and the API."""

import sqlalchemy as sa

from mistral_clone.db import models


def _index_of(runtime_context):
    return (runtime_context or {}).get('index', 0) or 0


def is_with_items(task_ex):
    return 'with_items' in (task_ex.runtime_context or {})


def task_result(session, task_ex):
    """Results of accepted child executions sorted by index (dsl.md §15):
    one value for a plain task with one accepted execution, a list for
    with-items tasks and every other case."""
    if task_ex.type == 'WORKFLOW':
        rows = session.execute(
            sa.select(models.WorkflowExecution.output,
                      models.WorkflowExecution.params)
            .where(models.WorkflowExecution.task_execution_id == task_ex.id,
                   models.WorkflowExecution.accepted.is_(True))
        ).all()
        items = sorted(((_index_of(p), o) for o, p in rows),
                       key=lambda x: x[0])
        results = [o for _, o in items]
    else:
        rows = session.execute(
            sa.select(models.ActionExecution.output,
                      models.ActionExecution.runtime_context)
            .where(models.ActionExecution.task_execution_id == task_ex.id,
                   models.ActionExecution.accepted.is_(True))
        ).all()
        items = sorted(((_index_of(rc), o) for o, rc in rows),
                       key=lambda x: x[0])
        results = [(o or {}).get('result') for _, o in items]
    if is_with_items(task_ex):
        return results
    if len(results) == 1:
        return results[0]
    return results
