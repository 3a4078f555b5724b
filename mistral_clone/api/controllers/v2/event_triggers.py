"""/v2/event_triggers: workflow starts on oslo.messaging notifications."""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.db import api as db_api
from mistral_clone.services import event_triggers as service

R = res.EVENT_TRIGGER


class EventTriggersController(rest.RestController):

    @expose.wsexpose(None, types.uuid, wtypes.text)
    def get_one(self, id, fields=''):
        policy.enforce('event_triggers:get')
        fields = collection.single_fields(R, fields)
        with db_api.session() as s:
            return R.render(service.find_event_trigger(s, id),
                            fields or None)

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, bool, wtypes.text, types.uuid_filter,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, types.uuid_filter,
                     wtypes.text, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', all_projects=False, name=None,
                workflow_id=None, workflow_input=None, workflow_params=None,
                exchange=None, topic=None, event=None, scope=None,
                project_id=None, created_at=None, updated_at=None):
        return collection.list_response(
            R, marker, limit, sort_keys, sort_dirs, fields,
            all_projects=all_projects,
            filters=[('name', name), ('workflow_id', workflow_id),
                     ('workflow_input', workflow_input),
                     ('workflow_params', workflow_params),
                     ('exchange', exchange), ('topic', topic),
                     ('event', event), ('scope', scope),
                     ('project_id', project_id),
                     ('created_at', created_at), ('updated_at', updated_at)])

    @expose.wsexpose(None, body=res.EventTriggerBody, status_code=201)
    def post(self, event_trigger):
        policy.enforce('event_triggers:create')
        policy.enforce_scope('event_triggers', event_trigger.scope)
        return R.render(service.create_event_trigger(
            res.body_dict(event_trigger)))

    @expose.wsexpose(None, types.uuid, body=res.EventTriggerBody)
    def put(self, id, event_trigger):
        policy.enforce('event_triggers:update')
        policy.enforce_scope('event_triggers', event_trigger.scope)
        return R.render(service.update_event_trigger(
            id, res.body_dict(event_trigger)))

    @expose.wsexpose(None, types.uuid, status_code=204)
    def delete(self, id):
        policy.enforce('event_triggers:delete')
        service.delete_event_trigger(id)
