"""``GET /executions/{id}/report``: the execution tree with statistics."""

import sqlalchemy as sa

from mistral_clone.api.resources import fmt_date
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import resources as runtime

_COUNTED = {'RUNNING': 'running_tasks_count', 'SUCCESS': 'success_tasks_count',
            'ERROR': 'error_tasks_count', 'IDLE': 'idle_tasks_count',
            'PAUSED': 'paused_tasks_count'}


def _base(row):
    return {'id': row.id, 'name': row.name, 'created_at':
            fmt_date(row.created_at), 'updated_at': fmt_date(row.updated_at),
            'state': row.state, 'state_info': row.state_info}


def build(execution_id, errors_only=False, max_depth=-1,
          statistics_only=False):
    stats = {'total_tasks_count': 0, 'running_tasks_count': 0,
             'success_tasks_count': 0, 'error_tasks_count': 0,
             'idle_tasks_count': 0, 'paused_tasks_count': 0,
             'estimated_time': 0}
    with db_api.session() as s:
        root = runtime.find_execution(s, execution_id)

        def wf_entry(wf, depth):
            entry = {'id': wf.id, 'name': wf.workflow_name,
                     'created_at': fmt_date(wf.created_at),
                     'updated_at': fmt_date(wf.updated_at),
                     'state': wf.state, 'state_info': wf.state_info,
                     'task_executions': []}
            tasks = s.execute(sa.select(models.TaskExecution).where(
                models.TaskExecution.workflow_execution_id == wf.id
            ).order_by(models.TaskExecution.created_at,
                       models.TaskExecution.seq)).scalars().all()
            for t in tasks:
                # Statistics count the tasks the report shows: with
                # errors_only, those on error paths only.
                if errors_only and t.state != 'ERROR':
                    continue
                stats['total_tasks_count'] += 1
                key = _COUNTED.get(t.state)
                if key:
                    stats[key] += 1
                actions = s.execute(sa.select(models.ActionExecution).where(
                    models.ActionExecution.task_execution_id == t.id
                ).order_by(models.ActionExecution.created_at)).scalars()
                subs = s.execute(sa.select(models.WorkflowExecution).where(
                    models.WorkflowExecution.task_execution_id == t.id
                ).order_by(models.WorkflowExecution.created_at)).scalars()
                # The reference's attribute order: the entry's own fields
                # first, then the ones every entry has (JSON and XML).
                te = {'action_executions': [
                    dict({'accepted': a.accepted,
                          'last_heartbeat': fmt_date(a.last_heartbeat)},
                         **_base(a)) for a in actions],
                    'workflow_executions': [
                        wf_entry(sub, depth + 1) for sub in subs
                        if max_depth < 0 or depth < max_depth]}
                te.update(_base(t))
                entry['task_executions'].append(te)
            return entry

        tree = wf_entry(root, 0)
    body = {'statistics': stats}
    if not statistics_only:
        body['root_workflow_execution'] = tree
    return body
