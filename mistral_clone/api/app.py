"""The WSGI application of the API tier.

``setup_app()`` builds the Pecan application around the root controller and
wraps it, from the outside in, with:

1. :class:`ServerHeaderMiddleware` — every response carries
   ``Server: mistral_api`` and a ``Content-Length``;
2. :class:`BodySizeLimitMiddleware` — oversized bodies are refused with a
   clear 413 before anything reads them;
3. keystonemiddleware ``auth_token`` when ``[pecan] auth_enable`` is set
   (the hook point: :func:`_wrap_auth`);
4. Pecan itself, with :class:`ContextHook` building the request context.
"""

import functools
import json
import logging

import pecan
from pecan import hooks

from mistral_clone import config
from mistral_clone.api import context

LOG = logging.getLogger(__name__)

SERVER_NAME = 'mistral_api'


class ContextHook(hooks.PecanHook):
    """Sets the request context (project, admin flag) for the handlers."""

    def __init__(self, auth_enabled):
        self.auth_enabled = auth_enabled

    def before(self, state):
        req = state.request
        context.set_ctx(context.from_environ(req.environ, req.host_url,
                                             self.auth_enabled))

    def after(self, state):
        context.set_ctx(None)


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


def _wrap_auth(app, conf):
    """Put keystonemiddleware in front of the app (``[pecan] auth_enable``).

    Auth is delivered in a later issue; this is the single place it plugs in.
    """
    from keystonemiddleware import auth_token
    return auth_token.AuthProtocol(app, {})


def _cache_pecan_argspecs():
    """Memoise pecan's argspec lookups (~25% of a small request's time).

    Pecan re-inspects controller signatures on every request; controllers
    are long-lived objects whose signatures never change.
    """
    import pecan.core
    import pecan.rest
    import pecan.routing
    import pecan.util
    if getattr(pecan.util.getargspec, '_mc_cached', False):
        return
    original = pecan.util.getargspec

    @functools.lru_cache(maxsize=4096)
    def _cached(method):
        return original(method)

    def getargspec(method):
        try:
            return _cached(method)
        except TypeError:  # unhashable callable
            return original(method)
    getargspec._mc_cached = True
    for module in (pecan.util, pecan.core, pecan.rest, pecan.routing):
        module.getargspec = getargspec


def setup_app(conf=None):
    conf = conf or config.CONF
    from mistral_clone.api.controllers import root
    auth_enabled = conf.pecan.auth_enable
    _cache_pecan_argspecs()
    app = pecan.make_app(
        root.RootController(),
        hooks=[ContextHook(auth_enabled)],
        debug=False,
        force_canonical=False,
        guess_content_type_from_ext=False,
        logging={},
    )
    if auth_enabled:
        app = _wrap_auth(app, conf)
    app = BodySizeLimitMiddleware(app, conf.api.max_request_body_size)
    return ServerHeaderMiddleware(app)
