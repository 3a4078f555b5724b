"""The operator-facing WSGI middleware of the API, configured by Mistral's
options (oslo.middleware where it has one).

:func:`wrap` puts, from the outside in:

1. ``oslo_middleware.RequestId`` — every response carries
   ``x-openstack-request-id`` (also on 401s, preflights and health checks);
2. :class:`AccessLog` — one INFO line per request (method, path, status,
   length, duration; oslo.log's context prefix adds the request id, user
   and project) and the request-duration metric; every line logged while
   the request runs carries its request id;
3. ``oslo_middleware.CORS`` (``[cors]``) — answers browser preflights
   (``OPTIONS``) before authentication;
4. ``oslo_middleware.HTTPProxyToWSGI`` (``[oslo_middleware]
   enable_proxy_headers_parsing``) — behind a TLS-terminating proxy,
   ``X-Forwarded-Proto``/``-Host`` (or ``Forwarded``) become the request's
   scheme and host, so ``next`` links and ``Location`` say ``https://``;
5. :class:`PublicEndpoints` — ``/healthcheck`` (oslo.middleware
   healthcheck, ``[healthcheck]``) and ``/metrics`` (Prometheus), both
   unauthenticated, then the application (body-size limit, Keystone, Pecan).
"""

import logging
import time

from oslo_context import context as oslo_context
from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id

from mistral_clone import context
from mistral_clone import observe

LOG = logging.getLogger('mistral_clone.api.access')

# Path segments kept as they are in the route label of the metrics; any
# other segment (an id or a name) becomes "{id}", so the number of routes
# stays bounded whatever clients ask for.
_ROUTE_WORDS = frozenset([
    'v2', 'workflows', 'workbooks', 'actions', 'executions', 'tasks',
    'action_executions', 'environments', 'cron_triggers', 'event_triggers',
    'members', 'services', 'validate', 'code_sources', 'dynamic_actions',
    'report', 'info', 'healthcheck', 'metrics', 'console', 'openapi.json',
])
_MAX_ROUTE_SEGMENTS = 6


def route_of(path):
    """``/v2/executions/3f.../tasks`` -> ``/v2/executions/{id}/tasks``."""
    segments = [s for s in path.split('/') if s]
    if len(segments) > _MAX_ROUTE_SEGMENTS:
        return 'other'
    return '/' + '/'.join(s if s in _ROUTE_WORDS else '{id}'
                          for s in segments)


class AccessLog(object):
    """One log line and one metric sample per request."""

    def __init__(self, app, auth_enabled):
        self.app = app
        self.auth_enabled = auth_enabled

    def __call__(self, environ, start_response):
        started = time.monotonic()
        # Thread-local for oslo.log: every line logged while the request
        # runs shows its request id (and this one the user and project).
        log_ctx = oslo_context.RequestContext(
            request_id=environ.get(request_id.ENV_REQUEST_ID),
            overwrite=True)
        seen = {}

        def _start(status, headers, exc_info=None):
            seen['status'] = status
            seen['headers'] = headers
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, _start)
        except Exception:
            seen.setdefault('status', '500 Internal Server Error')
            raise
        finally:
            self._record(environ, seen, time.monotonic() - started, log_ctx)
        return body

    def _identify(self, environ, log_ctx):
        if not self.auth_enabled:
            log_ctx.project_id = context.DEFAULT_PROJECT_ID
        elif environ.get('HTTP_X_IDENTITY_STATUS') == 'Confirmed':
            log_ctx.project_id = environ.get('HTTP_X_PROJECT_ID')
            log_ctx.user_id = environ.get('HTTP_X_USER_ID')

    def _record(self, environ, seen, seconds, log_ctx):
        status = seen.get('status', '500')
        try:
            code = int(status[:3])
        except ValueError:
            code = 500
        method = environ.get('REQUEST_METHOD', '-')
        path = environ.get('PATH_INFO', '') or '/'
        observe.api_request(method, route_of(path), code, seconds)
        if not LOG.isEnabledFor(logging.INFO):
            return
        length = '-'
        for name, value in seen.get('headers') or ():
            if name.lower() == 'content-length':
                length = value
        query = environ.get('QUERY_STRING')
        self._identify(environ, log_ctx)
        LOG.info('%s "%s %s%s" status: %d len: %s time: %.4f',
                 environ.get('REMOTE_ADDR', '-'), method, path,
                 '?' + query if query else '', code, length, seconds)


class PublicEndpoints(object):
    """``/healthcheck`` and ``/metrics``: answered without authentication."""

    def __init__(self, app, conf):
        self.app = app
        self.healthcheck = None
        if conf.healthcheck.enabled:
            from oslo_middleware import healthcheck
            self.healthcheck = healthcheck.Healthcheck(app, conf)
        self.metrics = conf.metrics.enabled

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO')
        if path == '/healthcheck' and self.healthcheck is not None:
            return self.healthcheck(environ, start_response)
        if path == '/metrics' and self.metrics and \
                environ.get('REQUEST_METHOD') in ('GET', 'HEAD'):
            content_type, body = observe.exposition(
                environ.get('HTTP_ACCEPT'))
            start_response('200 OK', [('Content-Type', content_type),
                                      ('Content-Length', str(len(body)))])
            return [body]
        return self.app(environ, start_response)


def wrap(app, conf, auth_enabled):
    """The application wrapped in the operator middleware (see above)."""
    app = PublicEndpoints(app, conf)
    app = http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
    app = cors.CORS(app, conf)
    app = AccessLog(app, auth_enabled)
    return request_id.RequestId(app, conf)
