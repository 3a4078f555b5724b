"""The per-request security context the API hands to services.

With ``[pecan] auth_enable = False`` every request acts for the fixed project
``<default-project>`` and is not an admin (this is what Mistral does, and why
``all_projects``, ``/code_sources`` and ``/dynamic_actions`` answer 403).
With auth enabled, the headers keystonemiddleware's ``auth_token`` sets after
validating the token (``X-Project-Id``, ``X-User-Id``, ``X-Roles``, ...) fill
the same object; the API sets ``is_admin`` from the ``context_is_admin``
policy rule (the ``admin`` role by default): policy depends on the context,
never the other way round.

The context lives outside ``api/`` so services and the engine side may read
it without importing the HTTP tier. It never enters the database: executions
carry only the ``project_id`` (``state_info``, ``params`` and logs never see
the token).
"""

import threading

DEFAULT_PROJECT_ID = '<default-project>'

_local = threading.local()


class RequestContext(object):
    __slots__ = ('project_id', 'user_id', 'is_admin', 'auth_token',
                 'roles', 'host_url', 'project_name', 'user_name',
                 'user_domain_id', 'project_domain_id', 'auth_enabled')

    def __init__(self, project_id=DEFAULT_PROJECT_ID, user_id=None,
                 is_admin=False, auth_token=None, roles=(), host_url='',
                 project_name=None, user_name=None, user_domain_id=None,
                 project_domain_id=None, auth_enabled=False):
        self.project_id = project_id
        self.user_id = user_id
        self.is_admin = is_admin
        self.auth_token = auth_token
        self.roles = list(roles)
        self.host_url = host_url
        self.project_name = project_name
        self.user_name = user_name
        self.user_domain_id = user_domain_id
        self.project_domain_id = project_domain_id
        self.auth_enabled = auth_enabled

    def to_policy_values(self):
        """Credentials oslo.policy checks run against."""
        return {
            'user_id': self.user_id,
            'project_id': self.project_id,
            'roles': list(self.roles),
            'is_admin': self.is_admin,
            'user_domain_id': self.user_domain_id,
            'project_domain_id': self.project_domain_id,
            'system_scope': None,
            'domain_id': None,
        }

    def to_dict(self):
        """A loggable view: the token is never part of it."""
        return {
            'project_id': self.project_id, 'user_id': self.user_id,
            'is_admin': self.is_admin, 'roles': list(self.roles),
            'auth_token': '***' if self.auth_token else None,
        }

    def __repr__(self):
        return 'RequestContext(%s)' % ', '.join(
            '%s=%r' % kv for kv in sorted(self.to_dict().items()))


def _roles(environ):
    return [r.strip() for r in
            environ.get('HTTP_X_ROLES', '').split(',') if r.strip()]


def from_environ(environ, host_url, auth_enabled):
    """Build the context of one request from its WSGI environ."""
    if not auth_enabled:
        return RequestContext(host_url=host_url)
    roles = _roles(environ)
    ctx = RequestContext(
        project_id=environ.get('HTTP_X_PROJECT_ID') or
        environ.get('HTTP_X_TENANT_ID'),
        user_id=environ.get('HTTP_X_USER_ID'),
        auth_token=environ.get('HTTP_X_AUTH_TOKEN'),
        roles=roles,
        host_url=host_url,
        project_name=environ.get('HTTP_X_PROJECT_NAME'),
        user_name=environ.get('HTTP_X_USER_NAME'),
        user_domain_id=environ.get('HTTP_X_USER_DOMAIN_ID'),
        project_domain_id=environ.get('HTTP_X_PROJECT_DOMAIN_ID'),
        auth_enabled=True)
    return ctx


def set_ctx(ctx):
    _local.ctx = ctx


def ctx():
    """The context of the current request (a default one outside requests)."""
    c = getattr(_local, 'ctx', None)
    if c is None:
        c = RequestContext()
    return c
