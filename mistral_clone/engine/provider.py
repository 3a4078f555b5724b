"""Data behind the DB-backed expression functions: task(), tasks(),
execution(), executions(), global() — read through the engine's session so
they see the transaction's own changes."""

import sqlalchemy as sa

from mistral_clone import expressions
from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.services import results as results_svc


def _fmt(dt):
    return dt.strftime('%Y-%m-%d %H:%M:%S') if dt is not None else None


def _fmt_iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%S.%f') if dt is not None else None


def workflow_spec_view(spec):
    """A workflow spec as the reference's ``execution().spec`` shows it:
    the workflow as written, named as in its definition (``wf`` for the
    workbook workflow ``wb.wf``), each task with its ``type``, ``name``
    and ``version`` (like ``task().spec``)."""
    view = dict(spec.raw)
    view['tasks'] = {name: spec.tasks[name].raw for name in spec.raw['tasks']}
    view['name'] = spec.local_name or spec.name
    return view


def _ctx_get(context, key):
    try:
        return context.get(key)
    except AttributeError:
        return None


class EngineDataProvider(expressions.DataProvider):

    def __init__(self, session, transaction=None):
        self.s = session
        self.t = transaction

    # --- helpers ---------------------------------------------------------------

    def _wf_ex_id(self, context):
        ex = _ctx_get(context, '__execution') or {}
        return ex.get('id')

    def _task_spec_dict(self, task_ex):
        if self.t is not None:
            wf_ex = self.s.get(models.WorkflowExecution,
                               task_ex.workflow_execution_id)
            if wf_ex is not None:
                spec = self.t.run_of(wf_ex).spec.tasks.get(task_ex.name)
                if spec is not None:
                    return spec.raw
        return {}

    def task_dict(self, task_ex):
        return {
            'id': task_ex.id,
            'name': task_ex.name,
            'spec': self._task_spec_dict(task_ex),
            'state': task_ex.state,
            'state_info': task_ex.state_info,
            'result': results_svc.task_result(self.s, task_ex),
            'published': task_ex.published or {},
            'type': task_ex.type,
            'workflow_execution_id': task_ex.workflow_execution_id,
            'created_at': _fmt(task_ex.created_at),
            'updated_at': _fmt(task_ex.updated_at),
        }

    # --- DataProvider ---------------------------------------------------------

    def task(self, context, task_name=None):
        current = _ctx_get(context, '__task_execution') or {}
        if task_name is None or task_name == current.get('name'):
            if not current.get('id'):
                return None
            task_ex = (self.t.get_task_ex(current['id']) if self.t is not None
                       else self.s.get(models.TaskExecution, current['id']))
            return self.task_dict(task_ex) if task_ex is not None else None
        wf_ex_id = self._wf_ex_id(context)
        task_ex = self.s.execute(
            sa.select(models.TaskExecution)
            .where(models.TaskExecution.workflow_execution_id == wf_ex_id,
                   models.TaskExecution.name == task_name)
            .order_by(models.TaskExecution.seq.desc()).limit(1)
        ).scalars().first()
        return self.task_dict(task_ex) if task_ex is not None else None

    def tasks(self, context, workflow_execution_id=None, recursive=False,
              state=None, flat=False):
        q = sa.select(models.TaskExecution)
        if workflow_execution_id:
            ids = [workflow_execution_id]
            if recursive:
                ids = self._descendant_ids(workflow_execution_id)
            q = q.where(models.TaskExecution.workflow_execution_id.in_(ids))
        else:
            wf_ex = self.s.get(models.WorkflowExecution,
                               self._wf_ex_id(context))
            if wf_ex is not None:
                q = q.where(models.TaskExecution.project_id ==
                            wf_ex.project_id)
        if state:
            q = q.where(models.TaskExecution.state == state)
        rows = self.s.execute(q.order_by(models.TaskExecution.created_at,
                                         models.TaskExecution.seq)).scalars()
        result = []
        for t in rows:
            if flat and t.type == 'WORKFLOW':
                child = self.s.execute(
                    sa.select(models.WorkflowExecution.state)
                    .where(models.WorkflowExecution.task_execution_id == t.id)
                ).scalars().first()
                if child == t.state:
                    continue
            result.append(self.task_dict(t))
        return result

    def _descendant_ids(self, root_id):
        ids = [root_id]
        frontier = [root_id]
        while frontier:
            task_ids = self.s.execute(
                sa.select(models.TaskExecution.id)
                .where(models.TaskExecution.workflow_execution_id.in_(
                    frontier))).scalars().all()
            if not task_ids:
                break
            frontier = self.s.execute(
                sa.select(models.WorkflowExecution.id)
                .where(models.WorkflowExecution.task_execution_id.in_(
                    task_ids))).scalars().all()
            ids.extend(frontier)
        return ids

    def _execution_dict(self, wf_ex):
        """``execution()``: exactly the reference's fields."""
        return {
            'id': wf_ex.id,
            'name': wf_ex.workflow_name,
            'spec': self._wf_spec_dict(wf_ex),
            'input': wf_ex.input or {},
            'params': wf_ex.params or {},
            'created_at': _fmt(wf_ex.created_at),
            'updated_at': _fmt(wf_ex.updated_at),
            'root_execution_id': wf_ex.root_execution_id,
        }

    def _execution_record(self, wf_ex):
        """One item of ``executions()``: the reference gives the whole
        execution record there (its Jinja view; in YAQL it is unusable),
        in its order and time format; the engine's private bookkeeping
        (``runtime_context``) is left out."""
        return {
            'spec': self._wf_spec_dict(wf_ex),
            'accepted': bool(wf_ex.accepted),
            'input': wf_ex.input or {},
            'output': wf_ex.output or {},
            'params': wf_ex.params or {},
            'context': wf_ex.context or {},
            'id': wf_ex.id,
            'name': wf_ex.workflow_name,
            'description': wf_ex.description or '',
            'workflow_name': wf_ex.workflow_name,
            'workflow_namespace': wf_ex.workflow_namespace or '',
            'workflow_id': wf_ex.workflow_id,
            'state': wf_ex.state,
            'state_info': wf_ex.state_info,
            'tags': wf_ex.tags or [],
            'project_id': wf_ex.project_id,
            'created_at': _fmt_iso(wf_ex.created_at),
            'updated_at': _fmt_iso(wf_ex.updated_at),
            'task_execution_id': wf_ex.task_execution_id,
            'root_execution_id': wf_ex.root_execution_id,
        }

    def _wf_spec_dict(self, wf_ex):
        if self.t is not None:
            return workflow_spec_view(self.t.run_of(wf_ex).spec)
        if not wf_ex.spec_text:
            return {}
        return workflow_spec_view(lang.get_workflow_spec(
            wf_ex.spec_text, name=wf_ex.workflow_name))

    def execution(self, context):
        wf_ex = self.s.get(models.WorkflowExecution, self._wf_ex_id(context))
        return self._execution_dict(wf_ex) if wf_ex is not None else None

    def executions(self, context, id=None, root_execution_id=None,
                   state=None, from_time=None, to_time=None):
        q = sa.select(models.WorkflowExecution)
        if id:
            q = q.where(models.WorkflowExecution.id == id)
        if root_execution_id:
            q = q.where(models.WorkflowExecution.root_execution_id ==
                        root_execution_id)
        if state:
            q = q.where(models.WorkflowExecution.state == state)
        from mistral_clone.db import query as db_query
        if from_time:
            q = q.where(models.WorkflowExecution.created_at >=
                        db_query.parse_datetime(from_time))
        if to_time:
            q = q.where(models.WorkflowExecution.created_at <
                        db_query.parse_datetime(to_time))
        return [self._execution_record(w) for w in self.s.execute(
            q.order_by(models.WorkflowExecution.created_at)).scalars()]

    def global_var(self, context, name):
        wf_ex = self.s.get(models.WorkflowExecution, self._wf_ex_id(context))
        if wf_ex is None:
            return None
        return (wf_ex.context or {}).get(name)
