"""The operator-facing WSGI middleware of the API, configured by Mistral's
options (oslo.middleware where it has one).

:func:`wrap` puts, from the outside in:

1. :class:`RequestId` — every response carries ``x-openstack-request-id``
   (also on 401s, preflights and health checks), as
   ``oslo_middleware.RequestId`` does, in plain WSGI;
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

oslo.middleware's classes wrap every request and response in WebOb objects
(~30 us each of CPU per request); :class:`RequestId` does the same work on
the plain environ, and CORS and the proxy-header parser are skipped for a
request they would leave as it is (no ``Origin`` and not ``OPTIONS``; no
forwarding header): :class:`Bypass`.
"""

import logging
import re
import time

from oslo_context import context as oslo_context

from mistral_clone import lean_imports
lean_imports.oslo_middleware()  # before oslo_middleware's first import
from oslo_middleware import cors  # noqa: E402
from oslo_middleware import http_proxy_to_wsgi  # noqa: E402
from oslo_middleware import request_id  # noqa: E402

from mistral_clone import context  # noqa: E402
from mistral_clone import observe  # noqa: E402

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


_ROUTES = {}  # path -> route_of(path), for the last _ROUTES_KEPT paths
_ROUTES_KEPT = 1024


def route_of(path):
    """``/v2/executions/3f.../tasks`` -> ``/v2/executions/{id}/tasks``."""
    route = _ROUTES.get(path)
    if route is None:
        route = _route_of(path)
        if len(path) <= 256:
            if len(_ROUTES) >= _ROUTES_KEPT:
                _ROUTES.clear()
            _ROUTES[path] = route
    return route


def _route_of(path):
    segments = [s for s in path.split('/') if s]
    if len(segments) > _MAX_ROUTE_SEGMENTS:
        return 'other'
    return '/' + '/'.join(s if s in _ROUTE_WORDS else '{id}'
                          for s in segments)


class RequestId(object):
    """``oslo_middleware.RequestId`` in plain WSGI: a new request id in
    ``environ['openstack.request_id']`` and the ``x-openstack-request-id``
    response header (unless the application set one); a well-formed
    inbound ``X-Openstack-Request-Id`` becomes the global request id."""

    _ID_FORMAT = re.compile(request_id.ID_FORMAT)

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        inbound = environ.get('HTTP_X_OPENSTACK_REQUEST_ID')
        if inbound and self._ID_FORMAT.match(inbound):
            environ[request_id.GLOBAL_REQ_ID] = inbound
        req_id = oslo_context.generate_request_id()
        environ[request_id.ENV_REQUEST_ID] = req_id

        def _start(status, headers, exc_info=None):
            for name, _value in headers:
                if name.lower() == request_id.HTTP_RESP_HEADER_REQUEST_ID:
                    break
            else:
                headers = list(headers)
                headers.append((request_id.HTTP_RESP_HEADER_REQUEST_ID,
                                req_id))
            return start_response(status, headers, exc_info)

        return self.app(environ, _start)


class Bypass(object):
    """Call ``middleware`` only for the requests ``needed(environ)`` says
    it would act on; send the others straight to ``app``."""

    def __init__(self, app, middleware, needed):
        self.app = app
        self.middleware = middleware
        self.needed = needed

    def __call__(self, environ, start_response):
        if self.needed(environ):
            return self.middleware(environ, start_response)
        return self.app(environ, start_response)


def cors_needed(environ):
    """CORS acts on preflights and on requests with an ``Origin``."""
    return 'HTTP_ORIGIN' in environ or \
        environ.get('REQUEST_METHOD') == 'OPTIONS'


_FORWARDING = ('HTTP_FORWARDED', 'HTTP_X_FORWARDED_PROTO',
               'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_FOR',
               'HTTP_X_FORWARDED_PREFIX')


def proxy_headers_needed(environ):
    """The proxy-header parser only reads these headers."""
    for name in _FORWARDING:
        if name in environ:
            return True
    return False


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
        # The context's logging values, made once: oslo.log's formatter
        # takes a dict given as the record's context as it is, where it
        # asks the thread's context for them twice (same line).
        LOG.info('%s "%s %s%s" status: %d len: %s time: %.4f',
                 environ.get('REMOTE_ADDR', '-'), method, path,
                 '?' + query if query else '', code, length, seconds,
                 extra={'context': log_ctx.get_logging_values()})


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
    app = Bypass(app, http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf),
                 proxy_headers_needed)
    app = Bypass(app, cors.CORS(app, conf), cors_needed)
    app = AccessLog(app, auth_enabled)
    return RequestId(app)
