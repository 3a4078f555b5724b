"""/v2/tasks: task executions (read, re-run, skip) and their children."""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import engine_glue
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.db import api as db_api
from mistral_clone.services import resources as runtime

R = res.TASK


def task_fields(row):
    fields = list(res.TASK_GET_FIELDS)
    if row.published_global:
        fields.insert(fields.index('published') + 1, 'published_global')
    return fields


def _render_task(id_):
    with db_api.session() as s:
        row = runtime.find_task(s, id_)
        return R.render(row, task_fields(row))


def list_tasks(marker, limit, sort_keys, sort_dirs, fields, filters,
               extra_where=()):
    return collection.list_response(R, marker, limit, sort_keys, sort_dirs,
                                    fields, filters=filters,
                                    extra_where=extra_where)


# Argument types of the task lists: marker, limit, sort_keys, sort_dirs,
# fields, name, workflow_name, workflow_id | workflow_execution_id | tags,
# state, state_info, result, published, processed, created_at, updated_at,
# reset, env. Ids of rows are uuids, as on the reference.
_BEFORE_WF_EX = (types.uuid, int, wtypes.text, wtypes.text, wtypes.text,
                 wtypes.text, wtypes.text, types.uuid_filter)
_AFTER_WF_EX = (wtypes.text,) * 10
_LIST_ARGS = _BEFORE_WF_EX + (types.uuid_filter,) + _AFTER_WF_EX


def _filters(name, workflow_name, workflow_id, workflow_execution_id, tags,
             state, state_info, result, published, processed, created_at,
             updated_at, reset, env):
    if result is not None or reset is not None or env is not None:
        raise exc.InvalidQueryError(
            'Filtering tasks by result, reset or env is not supported.')
    return [('name', name), ('workflow_name', workflow_name),
            ('workflow_id', workflow_id),
            ('workflow_execution_id', workflow_execution_id),
            ('tags', tags), ('state', state), ('state_info', state_info),
            ('published', published), ('processed', processed),
            ('created_at', created_at), ('updated_at', updated_at)]


class TaskActionExecutionsController(rest.RestController):
    """/tasks/{id}/action_executions[/{aid}]."""

    @expose.wsexpose(None, types.uuid, types.uuid, int, wtypes.text,
                     wtypes.text, wtypes.text)
    def get_all(self, task_execution_id, marker=None, limit=None,
                sort_keys='created_at', sort_dirs='asc', fields=''):
        return collection.list_response(
            res.ACTION_EXECUTION, marker, limit, sort_keys, sort_dirs,
            fields, filters=[('task_execution_id', task_execution_id)])

    @expose.wsexpose(None, wtypes.text, wtypes.text, wtypes.text)
    def get_one(self, task_execution_id, action_ex_id, fields=''):
        policy.enforce('action_executions:get')
        # Like the reference: no check that the action belongs to the task,
        # and only the id unless `fields` asks for more.
        from mistral_clone.api.controllers.v2 import action_executions
        with db_api.session() as s:
            row = runtime.find_action_execution(s, action_ex_id)
            return res.ACTION_EXECUTION.render(
                row, action_executions.projected_fields(fields, ('id',)))


def _sub_executions(task_execution_id, marker, limit, sort_keys, sort_dirs,
                    fields):
    return collection.list_response(
        res.EXECUTION, marker, limit, sort_keys, sort_dirs, fields,
        filters=[('task_execution_id', task_execution_id)],
        render_fields=res.EXECUTION_LIST_FIELDS)


class TaskWorkflowExecutionsController(rest.RestController):
    """/tasks/{id}/workflow_executions: no check that the task exists."""

    @expose.wsexpose(None, types.uuid, types.uuid, int, wtypes.text,
                     wtypes.text, wtypes.text)
    def get_all(self, task_execution_id, marker=None, limit=None,
                sort_keys='created_at', sort_dirs='asc', fields=''):
        return _sub_executions(task_execution_id, marker, limit, sort_keys,
                               sort_dirs, fields)


class TaskExecutionsController(rest.RestController):
    """/tasks/{id}/executions: 404 for an unknown task, as the reference."""

    @expose.wsexpose(None, types.uuid, types.uuid, int, wtypes.text,
                     wtypes.text, wtypes.text)
    def get_all(self, id, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields=''):
        with db_api.session() as s:
            runtime.find_task(s, id)
        return _sub_executions(id, marker, limit, sort_keys, sort_dirs,
                               fields)


class TasksController(rest.RestController):
    action_executions = TaskActionExecutionsController()
    executions = TaskExecutionsController()
    workflow_executions = TaskWorkflowExecutionsController()

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, id, fields=''):
        policy.enforce('tasks:get')
        fields = collection.validate_fields(R, fields)
        with db_api.session() as s:
            row = runtime.find_task(s, id)
            return R.render(row, fields or task_fields(row))

    @expose.wsexpose(None, *_LIST_ARGS)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', name=None, workflow_name=None,
                workflow_id=None, workflow_execution_id=None, tags=None,
                state=None, state_info=None, result=None, published=None,
                processed=None, created_at=None, updated_at=None,
                reset=None, env=None):
        return list_tasks(marker, limit, sort_keys, sort_dirs, fields,
                          _filters(name, workflow_name, workflow_id,
                                   workflow_execution_id, tags, state,
                                   state_info, result, published, processed,
                                   created_at, updated_at, reset, env))

    @expose.wsexpose(None, wtypes.text, body=res.TaskBody)
    def put(self, id, task):
        policy.enforce('tasks:update')
        v = res.body_dict(task)
        with db_api.session() as s:
            row = runtime.find_task(s, id)
            task_name, wf_name, state = row.name, row.workflow_name, \
                row.state
            runtime_ctx = row.runtime_context or {}
        if 'name' in v and v['name'] != task_name:
            raise exc.WorkflowException('Task name does not match.')
        if 'workflow_name' in v and v['workflow_name'] != wf_name:
            raise exc.WorkflowException('Workflow name does not match.')
        target = v.get('state')
        if target not in ('RUNNING', 'SKIPPED'):
            raise exc.WorkflowException(
                'Invalid task state. Only updating task to RUNNING or '
                'SKIPPED is supported.')
        if state != 'ERROR':
            raise exc.WorkflowException(
                'The current task execution must be in ERROR for rerun. '
                'Only updating task to rerun is supported.')
        client = engine_glue.engine()
        if target == 'SKIPPED':
            client.skip_task(id)
            return _render_task(id)
        if 'reset' not in v:
            raise exc.WorkflowException(
                'Reset field is mandatory to rerun task.')
        reset = v['reset']
        if not reset and 'with_items' not in runtime_ctx and \
                'with_items_index' not in runtime_ctx:
            raise exc.WorkflowException(
                'Only with-items task has the option to not reset.')
        # The response shows the task as it was (still ERROR).
        before = _render_task(id)
        client.rerun_task(id, reset=reset, env=v.get('env'))
        return before


class ExecutionTasksController(rest.RestController):
    """/executions/{id}/tasks."""

    @expose.wsexpose(None, types.uuid, *(_BEFORE_WF_EX + _AFTER_WF_EX))
    def get_all(self, workflow_execution_id, marker=None, limit=None,
                sort_keys='created_at', sort_dirs='asc', fields='',
                name=None, workflow_name=None, workflow_id=None, tags=None,
                state=None, state_info=None, result=None, published=None,
                processed=None, created_at=None, updated_at=None,
                reset=None, env=None):
        with db_api.session() as s:
            runtime.find_execution(s, workflow_execution_id)
        return list_tasks(marker, limit, sort_keys, sort_dirs, fields,
                          _filters(name, workflow_name, workflow_id,
                                   workflow_execution_id, tags, state,
                                   state_info, result, published, processed,
                                   created_at, updated_at, reset, env))
