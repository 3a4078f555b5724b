"""``/<resource>/{id}/members``: resource sharing.

Sharing needs authentication (project identities); with ``[pecan]
auth_enable = False`` every call answers the reference's 400 text error.
"""

from pecan import rest

from mistral_clone import config
from mistral_clone import exceptions as exc
from mistral_clone.api import expose

AUTH_REQUIRED = ('Resource sharing feature can only be supported with '
                 'authentication enabled.')


def _require_auth():
    if not config.CONF.pecan.auth_enable:
        raise exc.WorkflowException(AUTH_REQUIRED)
    raise exc.NotAllowedException(
        'Resource sharing is not implemented yet.')


class MembersController(rest.RestController):

    def __init__(self, resource_type):
        super().__init__()
        self.resource_type = resource_type

    @expose.textexpose()
    def get_one(self, resource_id, member_id, **kw):
        _require_auth()

    @expose.textexpose()
    def get_all(self, resource_id, **kw):
        _require_auth()

    @expose.textexpose(status=201)
    def post(self, resource_id, **kw):
        _require_auth()

    @expose.textexpose()
    def put(self, resource_id, member_id, **kw):
        _require_auth()

    @expose.textexpose(status=204)
    def delete(self, resource_id, member_id, **kw):
        _require_auth()
