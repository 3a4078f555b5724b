"""/v2/workbooks: workbook definitions (YAML in, JSON out)."""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.api.controllers.v2 import validation
from mistral_clone.api.controllers.v2.workflows import validate_requested
from mistral_clone.api.controllers.v2.workflows import write_params
from mistral_clone.db import api as db_api
from mistral_clone.services import workbooks as service

R = res.WORKBOOK


class WorkbooksController(rest.RestController):
    validate = validation.ValidateController(service.validate_workbook)

    @expose.wsexpose(None, wtypes.text, wtypes.text, wtypes.text)
    def get_one(self, name, namespace='', fields=''):
        policy.enforce('workbooks:get')
        fields = collection.validate_fields(R, fields)
        with db_api.session() as s:
            return R.render(service.find_workbook(s, name, namespace),
                            fields or None)

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', name=None, definition=None,
                tags=None, scope=None, created_at=None, updated_at=None,
                namespace=None):
        return collection.list_response(
            R, marker, limit, sort_keys, sort_dirs, fields,
            filters=[('name', name), ('definition', definition),
                     ('tags', tags), ('scope', scope),
                     ('created_at', created_at), ('updated_at', updated_at),
                     ('namespace', namespace)])

    @expose.textexpose(status=201)
    def post(self, **kw):
        policy.enforce('workbooks:create')
        params = write_params()
        policy.enforce_scope('workbooks', params['scope'])
        row = service.create_workbook(expose.request_text(),
                                      validate=validate_requested(), **params)
        return expose.Reply(R.render(row, res.WORKBOOK_POST_FIELDS), 201,
                            expose.JSON_UTF8)

    @expose.textexpose()
    def put(self, **kw):
        policy.enforce('workbooks:update')
        params = write_params()
        policy.enforce_scope('workbooks', params['scope'])
        row = service.update_workbook(expose.request_text(),
                                      validate=validate_requested(), **params)
        return R.render(row)

    @expose.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, name, namespace=''):
        policy.enforce('workbooks:delete')
        service.delete_workbook(name, namespace)
