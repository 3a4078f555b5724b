"""The WSGI application of the API tier.

``setup_app()`` builds the Pecan application around the root controller and
wraps it, from the outside in, with:

1. :class:`ServerHeaderMiddleware` — every response carries
   ``Server: mistral_api`` and a ``Content-Length``;
2. the operator middleware of :mod:`mistral_clone.api.middleware`: request
   ids, the access log and metrics, CORS, proxy headers, ``/healthcheck``
   and ``/metrics``;
3. :class:`BodySizeLimitMiddleware` — oversized bodies are refused with a
   clear 413 before anything reads them;
4. the web console's static files under ``/ui/`` (public, outside auth);
5. keystonemiddleware ``auth_token`` when ``[pecan] auth_enable`` is set
   (the hook point: :func:`_wrap_auth`);
6. :class:`~mistral_clone.api.hygiene.RequestHygiene` — malformed lengths,
   URLs and JSON bodies get a clear 400 before anything parses them;
7. Pecan itself, with :class:`ContextHook` building the request context.
"""

import json
import logging

from oslo_config import cfg

from mistral_clone.api import lean_pecan

# The first import of pecan in an API process (see lean_pecan).
pecan = lean_pecan.import_pecan()
from pecan import hooks  # noqa: E402

from mistral_clone import config
from mistral_clone import context
from mistral_clone.api import fast_lists
from mistral_clone.api import hygiene
from mistral_clone.api import pecan_argspecs
from mistral_clone.console import app as console_app
from mistral_clone.api import xml_render
from mistral_clone import masking
from mistral_clone import policy

LOG = logging.getLogger(__name__)

SERVER_NAME = 'mistral_api'


class ContextHook(hooks.PecanHook):
    """Sets the request context (project, admin flag) for the handlers."""

    def __init__(self, auth_enabled):
        self.auth_enabled = auth_enabled

    def before(self, state):
        req = state.request
        ctx = request_context(req.environ, req.host_url, self.auth_enabled)
        context.set_ctx(ctx)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug('%s %s%s [context=%s] body=%s', req.method, req.path,
                      '?' + req.query_string if req.query_string else '',
                      ctx, masked_body(req))

    def after(self, state):
        context.set_ctx(None)


def request_context(environ, host_url, auth_enabled):
    """The context of one request; with authentication on, ``is_admin``
    follows the ``context_is_admin`` policy rule."""
    ctx = context.from_environ(environ, host_url, auth_enabled)
    if auth_enabled:
        ctx.is_admin = policy.check_is_admin(ctx)
    return ctx


def masked_body(req, limit=4096):
    """The request body for a log line, passwords and tokens masked."""
    if not req.content_length:
        return ''
    try:
        text = req.body[:limit].decode('utf-8', 'replace')
    except Exception:  # pragma: no cover - unreadable body
        return '<unreadable>'
    return masking.mask(text)


class BodySizeLimitMiddleware(object):
    """Refuse request bodies above ``[api] max_request_body_size`` bytes."""

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        length = environ.get('CONTENT_LENGTH')
        if length:
            try:
                size = int(length)
            except ValueError:
                return _plain_error(start_response, '400 Bad Request',
                                    'Invalid Content-Length header.')
            if size > self.limit:
                # Drain nothing: the connection is closed after the answer.
                environ['mistral_clone.close_connection'] = True
                return _plain_error(
                    start_response, '413 Request Entity Too Large',
                    'Request is too large: the body has %d bytes, the limit '
                    'is %d bytes ([api] max_request_body_size).'
                    % (size, self.limit))
        elif environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
            return _plain_error(
                start_response, '411 Length Required',
                'Chunked request bodies are not supported; send a '
                'Content-Length.')
        return self.app(environ, start_response)


def _plain_error(start_response, status, message):
    body = json.dumps({'faultstring': message}).encode('ascii')
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(body))),
                            ('Server', SERVER_NAME)])
    return [body]


class ServerHeaderMiddleware(object):
    """Add ``Server`` and ``Content-Length`` headers to every response."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        captured = {}

        def _start(status, headers, exc_info=None):
            captured['status'] = status
            captured['headers'] = headers
            captured['exc_info'] = exc_info
            return lambda data: None  # write() is not used by Pecan

        chunks = self.app(environ, _start)
        try:
            body = b''.join(chunks)
        finally:
            close = getattr(chunks, 'close', None)
            if close is not None:
                close()
        headers = [(k, v) for k, v in captured['headers']
                   if k.lower() not in ('server', 'content-length')]
        status = captured['status']
        if status.startswith('204') or status.startswith('304'):
            headers = [(k, v) for k, v in headers
                       if k.lower() != 'content-type']
            body = b''
        headers.append(('Content-Length', str(len(body))))
        headers.append(('Server', SERVER_NAME))
        start_response(status, headers, captured['exc_info'])
        if environ.get('REQUEST_METHOD') == 'HEAD':
            return [b'']
        return [body]


# Paths answered without a token: the version documents (as on the
# reference), the OpenAPI document and its docs page with their assets.
PUBLIC_PATHS = frozenset(['/', '/v2', '/v2/', '/v2/openapi.json',
                          '/v2/docs'])
PUBLIC_PREFIXES = ('/v2/docs/',)


class AuthGate(object):
    """Reject requests keystonemiddleware could not authenticate.

    ``auth_token`` runs with ``delay_auth_decision``: it validates whatever
    token comes and marks the request ``X-Identity-Status: Confirmed`` or
    ``Invalid`` (missing, expired, revoked or forged token). This gate lets
    the public version documents through and answers 401 for everything
    else that is not confirmed, with Mistral's JSON fault body and the
    ``WWW-Authenticate`` header clients use to find Keystone.
    """

    def __init__(self, app, www_authenticate_uri=None):
        self.app = app
        self.www_authenticate_uri = www_authenticate_uri

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or \
                environ.get('HTTP_X_IDENTITY_STATUS') == 'Confirmed':
            return self.app(environ, start_response)
        if environ.get('HTTP_X_AUTH_TOKEN'):
            message = ('Failed to validate access token: the token is '
                       'invalid, expired or revoked.')
        else:
            message = 'Authentication required: no X-Auth-Token was sent.'
        body = json.dumps({'faultcode': 'Client', 'faultstring': message,
                           'debuginfo': None}).encode('ascii')
        headers = [('Content-Type', 'application/json'),
                   ('Content-Length', str(len(body)))]
        if self.www_authenticate_uri:
            headers.append(('WWW-Authenticate',
                            'Keystone uri="%s"' % self.www_authenticate_uri))
        start_response('401 Unauthorized', headers)
        return [body]


def _wrap_auth(app, conf):
    """Put keystonemiddleware in front of the app (``[pecan] auth_enable``).

    ``auth_token`` reads ``[keystone_authtoken]`` from our own oslo.config
    object (``oslo_config_config``), so one config file configures both.
    """
    from keystonemiddleware import auth_token
    policy.get_enforcer(conf)
    gate = AuthGate(app)
    protocol = auth_token.AuthProtocol(
        gate, {'oslo_config_config': conf, 'delay_auth_decision': True})
    # auth_token registered [keystone_authtoken] on ``conf`` by now.
    try:
        gate.www_authenticate_uri = (
            conf.keystone_authtoken.www_authenticate_uri or
            conf.keystone_authtoken.auth_uri)
    except (cfg.NoSuchOptError, AttributeError):
        pass
    return protocol


class ReleaseRequestCycles(object):
    """Drops the environ's keys that refer back to it once pecan made its
    response: ``pecan.locals`` (pecan's request and response; the request
    holds the environ) and ``webob._parsed_query_vars`` (webob's parsed
    query string, which holds it too).

    Each made a reference cycle per request, so each request's objects
    (its response body and request body among them) waited for the cycle
    collector: through the bench's list traffic an API worker held ~2 MB
    of them at a time. Only pecan's debug middleware reads
    ``pecan.locals`` (not used: ``debug=False``); webob parses the query
    string again if something asks after this."""

    KEYS = ('pecan.locals', 'webob._parsed_query_vars')

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        finally:
            for key in self.KEYS:
                environ.pop(key, None)


def setup_app(conf=None):
    conf = conf or config.CONF
    config.register_api_opts(conf)
    from mistral_clone.api.controllers import root
    auth_enabled = conf.pecan.auth_enable
    pecan_argspecs.install()
    root_controller = root.RootController()
    app = pecan.make_app(
        root_controller,
        hooks=[ContextHook(auth_enabled), xml_render.RefuseXmlBodiesHook()],
        debug=False,
        force_canonical=False,
        guess_content_type_from_ext=False,
        logging={},
        wrap_app=ReleaseRequestCycles,
    )
    # Plain list GETs without pecan's and WSME's machinery (the same
    # handlers, the same answers: api/fast_lists.py).
    app = fast_lists.FastLists(
        app, root_controller,
        lambda environ, host_url: request_context(environ, host_url,
                                                  auth_enabled), LOG)
    # Malformed URLs, lengths and JSON bodies: a clear 400 (api/hygiene.py).
    app = hygiene.RequestHygiene(app)
    if auth_enabled:
        app = _wrap_auth(app, conf)
    # The web console's static files, public (outside the auth gate).
    app = console_app.mount(app)
    app = BodySizeLimitMiddleware(app, conf.api.max_request_body_size)
    from mistral_clone.api import middleware
    app = middleware.wrap(app, conf, auth_enabled)
    return ServerHeaderMiddleware(app)
