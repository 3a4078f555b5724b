"""/v2/workflows: workflow definitions (YAML in, JSON out)."""

import pecan
from pecan import rest
from wsme import types as wtypes

from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.api.controllers.v2 import members
from mistral_clone.api.controllers.v2 import validation
from mistral_clone.db import api as db_api
from mistral_clone.services import workflows as service
from mistral_clone.services import writes

R = res.WORKFLOW


def write_params():
    """namespace and scope of a YAML-bodied request."""
    get = pecan.request.GET
    return {'namespace': get.get('namespace', ''), 'scope': get.get('scope')}


def validate_requested():
    """Whether to validate this upload: ``[api] validation_mode`` and, in
    ``enabled`` mode, ``?skip_validation`` (its presence, whatever its
    value, as on the reference)."""
    return writes.should_validate('skip_validation' in pecan.request.GET)


class WorkflowsController(rest.RestController):
    members = members.MembersController('workflow')
    validate = validation.ValidateController(service.validate_workflows)

    @expose.wsexpose(None, wtypes.text, wtypes.text, wtypes.text)
    def get_one(self, identifier, namespace='', fields=''):
        policy.enforce('workflows:get')
        fields = collection.single_fields(R, fields)
        with db_api.session() as s:
            row = service.find_workflow(s, identifier, namespace)
            if fields:
                # Derived fields vanish from a projected single GET.
                fields = [f for f in fields if f not in res.WORKFLOW_DERIVED]
            return R.render(row, fields or None)

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, types.uuid_filter,
                     wtypes.text, wtypes.text, bool, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', name=None, input=None,
                definition=None, tags=None, scope=None, project_id=None,
                created_at=None, updated_at=None, all_projects=False,
                namespace=None):
        params = collection.ListParams(R, limit, sort_keys, sort_dirs,
                                       fields)
        if params.fields and 'input' in params.fields and \
                'interface' not in params.fields:
            # Like the reference: input comes with the interface.
            params.fields.insert(params.fields.index('input') + 1,
                                 'interface')
        return collection.get_collection(
            R, params, marker=marker, all_projects=all_projects,
            filters=[('name', name), ('input', input),
                     ('definition', definition), ('tags', tags),
                     ('scope', scope), ('project_id', project_id),
                     ('created_at', created_at), ('updated_at', updated_at),
                     ('namespace', namespace)])

    @expose.textexpose(status=201)
    def post(self, **kw):
        policy.enforce('workflows:create')
        params = write_params()
        policy.enforce_scope('workflows', params['scope'])
        text = expose.request_text()
        rows = service.create_workflows(
            text, validate=validate_requested(), **params)
        return expose.Reply(
            {'workflows': [res.WORKFLOW_WRITE.render(
                r, res.WORKFLOW_POST_FIELDS) for r in rows]},
            201, expose.JSON_UTF8)

    @expose.textexpose()
    def put(self, identifier=None, **kw):
        policy.enforce('workflows:update')
        params = write_params()
        policy.enforce_scope('workflows', params['scope'])
        text = expose.request_text()
        rows = service.update_workflows(text, identifier=identifier,
                                        validate=validate_requested(),
                                        **params)
        items = [res.WORKFLOW_WRITE.render(r) for r in rows]
        if identifier is not None:
            return items[0]
        return {'workflows': items}

    @expose.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, identifier, namespace=''):
        policy.enforce('workflows:delete')
        service.delete_workflow(identifier, namespace)
