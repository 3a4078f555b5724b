"""Runtime-resource operations the API performs directly on the database.

Things that do not involve the engine's decision logic: deleting an
execution tree, updating an execution's description, collecting a report.
"""

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import access

FINISHED = ('SUCCESS', 'ERROR', 'CANCELLED')

WfEx = models.WorkflowExecution
TaskEx = models.TaskExecution
ActEx = models.ActionExecution


def _own(model):
    """Runtime rows are private; admins may reach any by id."""
    return access.runtime_lookup(model)


def _find_runtime(s, model, id_, what):
    row = s.execute(sa.select(model).where(model.id == id_, _own(model))
                    ).scalars().first()
    if row is None:
        raise exc.DBEntityNotFoundError('%s not found [id=%s]' % (what, id_))
    return row


def find_execution(s, id_):
    return _find_runtime(s, WfEx, id_, 'WorkflowExecution')


def find_task(s, id_):
    return _find_runtime(s, TaskEx, id_, 'Task execution')


def find_action_execution(s, id_):
    return _find_runtime(s, ActEx, id_, 'ActionExecution')


def execution_tree_ids(s, root_id, max_depth=-1):
    """Ids of an execution and its sub-workflow executions, root first."""
    ids = [root_id]
    frontier = [root_id]
    depth = 0
    while frontier and (max_depth < 0 or depth < max_depth):
        task_ids = s.execute(sa.select(TaskEx.id).where(
            TaskEx.workflow_execution_id.in_(frontier))).scalars().all()
        if not task_ids:
            break
        frontier = s.execute(
            sa.select(WfEx.id).where(WfEx.task_execution_id.in_(task_ids))
            .order_by(WfEx.created_at, WfEx.id)).scalars().all()
        ids.extend(frontier)
        depth += 1
    return ids


def delete_execution(id_, force=False):
    with db_api.transaction() as s:
        row = find_execution(s, id_)
        if not force and row.state not in FINISHED:
            raise exc.NotAllowedException(
                'Only completed executions can be deleted. Use --force to '
                'override this. Execution %s is in %s state'
                % (row.id, row.state))
        ids = execution_tree_ids(s, row.id)
        task_ids = s.execute(sa.select(TaskEx.id).where(
            TaskEx.workflow_execution_id.in_(ids))).scalars().all()
        s.execute(sa.delete(ActEx).where(sa.or_(
            ActEx.workflow_execution_id.in_(ids),
            ActEx.task_execution_id.in_(task_ids))))
        s.execute(sa.delete(TaskEx).where(
            TaskEx.workflow_execution_id.in_(ids)))
        s.execute(sa.delete(models.ScheduledJob).where(
            models.ScheduledJob.workflow_execution_id.in_(ids)))
        s.execute(sa.delete(WfEx).where(WfEx.id.in_(ids)))


def update_execution_description(id_, description):
    with db_api.transaction() as s:
        row = find_execution(s, id_)
        row.description = description
        row.updated_at = models.utcnow()
        return row
