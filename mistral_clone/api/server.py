"""A threaded HTTP/1.1 server for the API, built on the standard library.

``wsgiref`` plus ``socketserver.ThreadingMixIn``: one daemon thread per
connection, keep-alive (every response has a Content-Length, see
:mod:`mistral_clone.api.app`), no access log on stderr. Good enough for the
embedded single-process deployment and for tests; production deployments can
run :mod:`mistral_clone.api.wsgi` under uwsgi/gunicorn instead.
"""

import io
import logging
import socket
import socketserver
import threading
from wsgiref import simple_server

LOG = logging.getLogger(__name__)


class _Handler(simple_server.WSGIRequestHandler):
    protocol_version = 'HTTP/1.1'
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 75

    # Buffer the status line, headers and body into one send: with
    # unbuffered writes Nagle + delayed ACK add ~40 ms per keep-alive request.
    wbufsize = -1

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                       1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        LOG.debug('%s - %s', self.address_string(), format % args)

    def address_string(self):
        return self.client_address[0]

    def handle(self):
        """Serve requests on this connection until it is closed."""
        self.close_connection = True
        try:
            self.handle_one_request()
            while not self.close_connection:
                self.handle_one_request()
        except (ConnectionError, socket.timeout, OSError):
            pass

    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ''
            self.request_version = ''
            self.command = ''
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        handler = _KeepAliveWSGIHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(),
            multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        try:
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return
        # Decide whether the connection stays open (HTTP/1.1 default).
        conn = (self.headers.get('Connection') or '').lower()
        if self.request_version != 'HTTP/1.1' or conn == 'close' or \
                handler.must_close:
            self.close_connection = True
        else:
            self.close_connection = False


class _KeepAliveWSGIHandler(simple_server.ServerHandler):
    """wsgiref's handler, minus 'Connection: close' on HTTP/1.1."""

    http_version = '1.1'
    must_close = False

    def cleanup_headers(self):
        super().cleanup_headers()
        if self.environ.get('mistral_clone.close_connection'):
            self.must_close = True
            self.headers['Connection'] = 'close'

    def log_exception(self, exc_info):
        LOG.error('Unhandled error in the WSGI application',
                  exc_info=exc_info)


class ThreadingWSGIServer(socketserver.ThreadingMixIn,
                          simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self):
        super().server_bind()
        self.setup_environ()
        self.base_environ['SERVER_SOFTWARE'] = 'mistral_api'


class _BodyDrainingApp(object):
    """Reads any request body the application left unread.

    Keeps the connection in a consistent state for keep-alive: the next
    request line must start right after this request's body.
    """

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        raw = environ.get('CONTENT_LENGTH') or ''
        # A malformed length (``-5``) is refused by the application
        # (api/hygiene.py); nothing is read.
        length = int(raw) if raw.isdigit() else 0
        if length > self.limit:
            # Refused by the body-size middleware: do not read it, close.
            environ['mistral_clone.close_connection'] = True
        elif length:
            # Buffer the body up front so the application may read it any
            # way it likes and the socket is positioned at the next request.
            try:
                data = _read_body(environ['wsgi.input'], length)
            except _ShortBody as e:
                environ['mistral_clone.close_connection'] = True
                return e.answer(start_response)
            environ['wsgi.input'] = io.BytesIO(data)
        return self.app(environ, start_response)


class _ShortBody(Exception):
    """The client sent less than its Content-Length announced."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def answer(self, start_response):
        from mistral_clone.api import hygiene
        LOG.info('Refused a request: %s', self.message)
        return hygiene.fault(start_response, self.message, self.status,
                             [('Server', 'mistral_api')])


def _read_body(stream, length):
    """Exactly ``length`` bytes, or :class:`_ShortBody` if the client
    stops sending (end of stream, or no data for the socket timeout)."""
    chunks, got = [], 0
    read = getattr(stream, 'read1', stream.read)
    while got < length:
        try:
            chunk = read(min(length - got, 65536))
        except OSError:  # socket timeout: the client went quiet
            raise _ShortBody(
                '408 Request Timeout',
                'The request body stopped arriving: %d of the %d bytes '
                'announced by Content-Length came.' % (got, length))
        if not chunk:
            raise _ShortBody(
                '400 Bad Request',
                'The request body is shorter than its Content-Length: %d '
                'of %d bytes.' % (got, length))
        chunks.append(chunk)
        got += len(chunk)
    return b''.join(chunks)


def make_server(host, port, app):
    from mistral_clone import config
    limit = config.CONF.api.max_request_body_size
    return simple_server.make_server(
        host, port, _BodyDrainingApp(app, limit),
        server_class=ThreadingWSGIServer,
        handler_class=_Handler)


def serve_forever(server):
    LOG.info('API listening on http://%s:%s', *server.server_address[:2])
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()


def start_in_thread(host='127.0.0.1', port=0, app=None):
    """Start a server in a daemon thread; returns (server, base_url).

    ``port=0`` picks a free port. Stop with ``server.shutdown()``.
    """
    if app is None:
        from mistral_clone.api import app as app_module
        app = app_module.setup_app()
    server = make_server(host, port, app)
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={'poll_interval': 0.2},
                              name='mistral-clone-api', daemon=True)
    thread.start()
    url = 'http://%s:%d' % (host, server.server_address[1])
    return server, url
