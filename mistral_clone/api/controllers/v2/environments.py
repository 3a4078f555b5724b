"""/v2/environments: named variable sets for executions."""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.db import api as db_api
from mistral_clone.services import environments as service

R = res.ENVIRONMENT
# POST answers only what was set (+ these).
_POST_ALWAYS = ('id', 'scope', 'project_id', 'created_at')


class EnvironmentsController(rest.RestController):

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, name, fields=''):
        policy.enforce('environments:get')
        fields = collection.validate_fields(R, fields)
        with db_api.session() as s:
            return R.render(service.find_environment(s, name),
                            fields or None)

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', name=None, description=None,
                variables=None, scope=None, created_at=None,
                updated_at=None):
        return collection.list_response(
            R, marker, limit, sort_keys, sort_dirs, fields,
            filters=[('name', name), ('description', description),
                     ('variables', variables), ('scope', scope),
                     ('created_at', created_at), ('updated_at', updated_at)])

    @expose.wsexpose(None, body=res.EnvironmentBody, status_code=201)
    def post(self, env):
        policy.enforce('environments:create')
        values = res.body_dict(env)
        policy.enforce_scope('environments', values.get('scope'))
        row = service.create_environment(values)
        shown = [f for f in R.field_names
                 if f in _POST_ALWAYS or f in values]
        return R.render(row, shown)

    @expose.wsexpose(None, body=res.EnvironmentBody)
    def put(self, env):
        policy.enforce('environments:update')
        values = res.body_dict(env)
        policy.enforce_scope('environments', values.get('scope'))
        row = service.update_environment(values)
        return R.render(row)

    @expose.wsexpose(None, wtypes.text, status_code=204)
    def delete(self, name):
        policy.enforce('environments:delete')
        service.delete_environment(name)
