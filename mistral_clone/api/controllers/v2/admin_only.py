"""``/code_sources`` and ``/dynamic_actions``: admin-only by policy.

The no-auth context is not an admin, so every call answers 403 like the
reference; with auth, non-admins get the same answer (``code_sources:*`` and
``dynamic_actions:*`` default to ``admin_only``). These APIs are not
implemented: an admin the policy lets through gets 501.

The controllers keep the reference's signatures, so arguments are judged
before the policy exactly as there (``Unknown argument``, a bad ``limit``,
a missing ``identifier``), and each method answers in its own error shape:
writing code sources reads a text body (``{"faultstring"}`` only), the rest
is JSON (``{"faultcode", "faultstring", "debuginfo"}``).
"""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import expose
from mistral_clone.api import types

# marker, limit, sort_keys, sort_dirs, fields, name, tags, scope, created_at,
# updated_at, project_id, all_projects, namespace
_LIST_ARGS = (types.uuid, int, wtypes.text, wtypes.text, wtypes.text,
              wtypes.text, wtypes.text, wtypes.text, wtypes.text,
              wtypes.text, types.uuid_filter, bool, wtypes.text)


class NotImplementedByServer(exc.MistralCloneError):
    http_code = 501


class DynamicAction(wtypes.Base):
    """The body of POST/PUT (WSME names the class in its messages)."""

    id = wtypes.text
    name = wtypes.text
    class_name = wtypes.text
    code_source_id = wtypes.text
    code_source_name = wtypes.text
    namespace = wtypes.text
    scope = wtypes.Enum(str, 'public', 'private')
    project_id = types.ReadOnlyType('project_id')
    created_at = wtypes.text
    updated_at = wtypes.text


def _answer(collection, operation):
    policy.enforce('%s:%s' % (collection, operation))
    raise NotImplementedByServer(
        'The %s API is not implemented by this server.' % collection)


class _AdminOnlyController(rest.RestController):
    collection = None

    @expose.wsexpose(None, wtypes.text, wtypes.text, wtypes.text)
    def get_one(self, identifier, namespace='', fields=''):
        _answer(self.collection, 'get')

    @expose.wsexpose(None, *_LIST_ARGS)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', name=None, tags=None,
                scope=None, created_at=None, updated_at=None,
                project_id=None, all_projects=False, namespace=None):
        _answer(self.collection, 'list')

    @expose.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, identifier, namespace=''):
        _answer(self.collection, 'delete')


class CodeSourcesController(_AdminOnlyController):
    """Code sources are written as text (a Python module in the body)."""

    collection = 'code_sources'

    @expose.textexpose(status=201)
    def post(self, *args, **kw):
        _answer(self.collection, 'create')

    @expose.textexpose()
    def put(self, *args, **kw):
        _answer(self.collection, 'update')


class DynamicActionsController(_AdminOnlyController):
    collection = 'dynamic_actions'

    @expose.wsexpose(None, body=DynamicAction, status_code=201)
    def post(self, dyn_action):
        _answer(self.collection, 'create')

    @expose.wsexpose(None, body=DynamicAction)
    def put(self, dyn_action):
        _answer(self.collection, 'update')
