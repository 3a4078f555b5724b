"""/v2/action_executions: run actions directly, read and complete them."""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import engine_glue
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import resources as runtime

R = res.ACTION_EXECUTION
STATES = ('SUCCESS', 'ERROR', 'CANCELLED', 'PAUSED', 'RUNNING')


def _render_by_id(id_, fields=res.AE_GET_FIELDS):
    with db_api.session() as s:
        return R.render(runtime.find_action_execution(s, id_), fields)


def projected_fields(fields, default=res.AE_GET_FIELDS):
    """The fields a single action execution GET shows for ``fields=``:
    ``id`` and those of its full representation that were asked for;
    unknown names are ignored, as on the reference."""
    return collection.single_fields(R, fields, res.AE_GET_FIELDS) or default


def render_unsaved(values):
    """A synchronous run that was not stored (id null, WIRE.md §8)."""
    out = {}
    for name in res.AE_GET_FIELDS:
        value = values.get(name)
        if name in ('input', 'output'):
            value = res.json_text(value, '{}' if name == 'input' else None)
        elif name in ('created_at', 'updated_at'):
            value = res.fmt_date(value)
        elif name == 'workflow_namespace' and value is None:
            value = ''
        out[name] = value
    return out


class ActionExecutionsController(rest.RestController):

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, id, fields=''):
        policy.enforce('action_executions:get')
        return _render_by_id(id, projected_fields(fields))

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text,
                     types.uuid_filter, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, bool)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', created_at=None, name=None,
                tags=None, updated_at=None, workflow_name=None,
                task_name=None, task_execution_id=None, state=None,
                state_info=None, accepted=None, input=None, output=None,
                params=None, description=None, include_output=False):
        if task_name is not None or params is not None:
            raise exc.InvalidQueryError(
                'Filtering action executions by task_name or params is not '
                'supported.')
        return collection.list_response(
            R, marker, limit, sort_keys, sort_dirs, fields,
            render_fields=res.AE_GET_FIELDS if include_output else None,
            filters=[('created_at', created_at), ('name', name),
                     ('tags', tags), ('updated_at', updated_at),
                     ('workflow_name', workflow_name),
                     ('task_execution_id', task_execution_id),
                     ('state', state), ('state_info', state_info),
                     ('accepted', accepted), ('input', input),
                     ('output', output), ('description', description)])

    @expose.wsexpose(None, body=res.ActionExecutionBody, status_code=201)
    def post(self, action_ex):
        policy.enforce('action_executions:create')
        v = res.body_dict(action_ex)
        name = v.get('name')
        if not name:
            raise exc.InputException(
                'Please provide at least action name to run action.')
        result = engine_glue.engine().start_action(
            name, v.get('input') or {},
            namespace=v.get('workflow_namespace') or '',
            description=v.get('description') or '',
            params=v.get('params') or {},
            project_id=context.ctx().project_id)
        if result.get('id'):
            # As the engine committed it: the executor may already have
            # finished it since.
            return R.render(models.from_snapshot(models.ActionExecution,
                                                 result), res.AE_GET_FIELDS)
        return render_unsaved(result)

    @expose.wsexpose(None, wtypes.text, body=res.ActionExecutionBody)
    def put(self, id, action_ex):
        policy.enforce('action_executions:update')
        v = res.body_dict(action_ex)
        # The state is part of the body's contract (checked before the
        # lookup, as on the reference), "Unset" when missing.
        state = v.get('state')
        if state not in STATES:
            raise exc.InputException(
                'Error. Expected one of %s, actual: %s'
                % (list(STATES), 'Unset' if state is None else state))
        with db_api.session() as s:
            runtime.find_action_execution(s, id)
        client = engine_glue.engine()
        if state in ('PAUSED', 'RUNNING'):
            client.update_action_state(id, state)
        else:
            output = v.get('output')
            if state == 'ERROR' and output is None:
                output = 'Unknown error'
            client.complete_action(id, state, output)
        return _render_by_id(id)

    @expose.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, id):
        policy.enforce('action_executions:delete')
        if not config.CONF.api.allow_action_execution_deletion:
            raise exc.NotAllowedException(
                'Action execution deletion is not allowed.')
        with db_api.transaction() as s:
            row = runtime.find_action_execution(s, id)
            if row.state not in ('SUCCESS', 'ERROR', 'CANCELLED'):
                raise exc.NotAllowedException(
                    'Only completed action executions can be deleted.')
            s.delete(row)
