"""The per-request security context the API hands to services.

With ``[pecan] auth_enable = False`` every request acts for the fixed project
``<default-project>`` and is not an admin (this is what Mistral does, and why
``all_projects``, ``/code_sources`` and ``/dynamic_actions`` answer 403).
With auth enabled, keystonemiddleware's headers fill the same object.
"""

import threading

DEFAULT_PROJECT_ID = '<default-project>'

_local = threading.local()


class RequestContext(object):
    __slots__ = ('project_id', 'user_id', 'is_admin', 'auth_token',
                 'roles', 'host_url')

    def __init__(self, project_id=DEFAULT_PROJECT_ID, user_id=None,
                 is_admin=False, auth_token=None, roles=(), host_url=''):
        self.project_id = project_id
        self.user_id = user_id
        self.is_admin = is_admin
        self.auth_token = auth_token
        self.roles = list(roles)
        self.host_url = host_url


def from_environ(environ, host_url, auth_enabled):
    """Build the context of one request from its WSGI environ."""
    if not auth_enabled:
        return RequestContext(host_url=host_url)
    roles = [r.strip() for r in
             environ.get('HTTP_X_ROLES', '').split(',') if r.strip()]
    return RequestContext(
        project_id=environ.get('HTTP_X_PROJECT_ID') or
        environ.get('HTTP_X_TENANT_ID'),
        user_id=environ.get('HTTP_X_USER_ID'),
        is_admin='admin' in roles,
        auth_token=environ.get('HTTP_X_AUTH_TOKEN'),
        roles=roles,
        host_url=host_url)


def set_ctx(ctx):
    _local.ctx = ctx


def ctx():
    """The context of the current request (a default one outside requests)."""
    c = getattr(_local, 'ctx', None)
    if c is None:
        c = RequestContext()
    return c
