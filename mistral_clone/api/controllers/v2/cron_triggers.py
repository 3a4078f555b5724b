"""/v2/cron_triggers: periodic workflow starts (no update: delete + create)."""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.db import api as db_api
from mistral_clone.services import cron_triggers as service

R = res.CRON_TRIGGER


class CronTriggersController(rest.RestController):

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, identifier, fields=''):
        policy.enforce('cron_triggers:get')
        fields = collection.single_fields(R, fields)
        with db_api.session() as s:
            return R.render(service.find_cron_trigger(s, identifier),
                            fields or None)

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text,
                     types.uuid_filter, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text,
                     types.uuid_filter, bool)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', name=None, workflow_name=None,
                workflow_id=None, workflow_input=None, workflow_params=None,
                scope=None, pattern=None, remaining_executions=None,
                first_execution_time=None, next_execution_time=None,
                created_at=None, updated_at=None, project_id=None,
                all_projects=False):
        return collection.list_response(
            R, marker, limit, sort_keys, sort_dirs, fields,
            all_projects=all_projects,
            filters=[('name', name), ('workflow_name', workflow_name),
                     ('workflow_id', workflow_id),
                     ('workflow_input', workflow_input),
                     ('workflow_params', workflow_params),
                     ('scope', scope), ('pattern', pattern),
                     ('remaining_executions', remaining_executions),
                     ('first_execution_time', first_execution_time),
                     ('next_execution_time', next_execution_time),
                     ('created_at', created_at), ('updated_at', updated_at),
                     ('project_id', project_id)])

    @expose.wsexpose(None, body=res.CronTriggerBody, status_code=201)
    def post(self, cron_trigger):
        policy.enforce('cron_triggers:create')
        v = res.body_dict(cron_trigger)
        policy.enforce_scope('cron_triggers', v.get('scope'))
        row = service.create_cron_trigger(
            v.get('name'), workflow_name=v.get('workflow_name'),
            workflow_id=v.get('workflow_id'),
            workflow_input=v.get('workflow_input'),
            workflow_params=v.get('workflow_params'),
            pattern=v.get('pattern'),
            first_execution_time=v.get('first_execution_time'),
            remaining_executions=v.get('remaining_executions'),
            scope=v.get('scope'))
        return R.render(row, res.CRON_TRIGGER_POST_FIELDS)

    @expose.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, identifier):
        policy.enforce('cron_triggers:delete')
        service.delete_cron_trigger(identifier)
