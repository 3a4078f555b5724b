"""The API's HTTP server: cheroot, TLS.

The API is served by **cheroot** (the WSGI server of CherryPy: a thread
pool per process, ``[api] api_threads`` threads; HTTP/1.1 keep-alive
connections wait in a selector and hold no thread while idle, except that
the worker that answered one waits up to 5 ms for its next request:
:class:`_CountedConnection`). In
production mode several such processes share one listening socket
(:mod:`mistral_clone.api_workers`).

TLS (``[api] enable_ssl_api``) uses cheroot's built-in adapter with Mistral's
``[ssl] cert_file``, ``key_file``, ``ca_file`` (client certificates
required when set), ``ciphers`` and ``version`` (minimum).
"""

import io
import logging
import os
import select
import socket
import ssl
import threading
import time

from cheroot import makefile as cheroot_makefile
from cheroot import server as cheroot_server
from cheroot import wsgi

from mistral_clone.api import hygiene
from mistral_clone.api import request_head
from mistral_clone.api import socket_io

LOG = logging.getLogger(__name__)

SERVER_NAME = 'mistral_api'

_TLS_VERSIONS = {
    'tlsv1_2': ssl.TLSVersion.TLSv1_2, 'tls1.2': ssl.TLSVersion.TLSv1_2,
    'tlsv1_3': ssl.TLSVersion.TLSv1_3, 'tls1.3': ssl.TLSVersion.TLSv1_3,
}


def ssl_adapter(conf):
    """cheroot's TLS adapter from ``[api] enable_ssl_api`` / ``[ssl]``, or
    None for plain HTTP."""
    if not conf.api.enable_ssl_api:
        return None
    from cheroot.ssl import builtin
    cert, key = conf.ssl.cert_file, conf.ssl.key_file
    if not cert or not key:
        raise SystemExit('[api] enable_ssl_api = True needs [ssl] cert_file '
                         'and [ssl] key_file.')
    for path in (cert, key, conf.ssl.ca_file):
        if path and not os.path.isfile(path):
            raise SystemExit('TLS file not found: %s' % path)
    adapter = builtin.BuiltinSSLAdapter(cert, key, ciphers=conf.ssl.ciphers)
    context = adapter.context
    if conf.ssl.ca_file:
        context.load_verify_locations(conf.ssl.ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    if conf.ssl.version:
        try:
            context.minimum_version = _TLS_VERSIONS[conf.ssl.version.lower()]
        except KeyError:
            raise SystemExit('[ssl] version must be one of TLSv1_2, TLSv1_3')
    return adapter


CLOSE_CONNECTION = hygiene.CLOSE_CONNECTION


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, closing the connection after a response
    when the request asked for it (:data:`CLOSE_CONNECTION`).

    Its environ and response headers are made as cheroot makes them, in
    fewer calls (api/request_head.py): with a trivial application, cheroot's
    ``get_environ`` and ``start_response`` took over half of the gateway's
    CPU (``bench/http_cpu.py`` under cProfile; issue 14)."""

    def get_environ(self):
        env = request_head.environ(self)
        if env is None:
            return super().get_environ()
        return env

    def start_response(self, status, headers, exc_info=None):
        if self.env.get(CLOSE_CONNECTION):
            self.req.close_connection = True
        return request_head.start_response(self, status, headers, exc_info)


class _WholeBody(object):
    """Reads a request's body before the application runs.

    A body shorter than its ``Content-Length`` gets a clear 400 when the
    client stops sending, a 408 when nothing more arrives within the socket
    timeout, instead of a 500 from whatever part of the application read
    it first; the application then reads from memory.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        raw = environ.get('CONTENT_LENGTH') or ''
        # A malformed length (``-5``) is refused by the application
        # (api/hygiene.py), which closes the connection; nothing is read.
        length = int(raw) if raw.isdigit() else 0
        if length:
            try:
                data = _read_body(environ['wsgi.input'], length)
            except _ShortBody as e:
                environ[CLOSE_CONNECTION] = True
                return e.answer(environ, start_response)
            environ['wsgi.input'] = io.BytesIO(data)
            # The buffer holds the bytes from here on: the application
            # may let go of them before it answers (api/expose.py).
            del data
        return self.app(environ, start_response)


class _ShortBody(Exception):
    """The client sent less than its Content-Length announced."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def answer(self, environ, start_response):
        LOG.info('Refused %s %s: %s', environ.get('REQUEST_METHOD'),
                 environ.get('PATH_INFO'), self.message)
        return hygiene.fault(start_response, self.message, self.status,
                             [('Server', SERVER_NAME)])


def _read_body(stream, length):
    """Exactly ``length`` bytes, or :class:`_ShortBody` if the client
    stops sending (end of stream, or no data for the socket timeout)."""
    # Written into one buffer (not joined from a list of chunks: two
    # copies of a large body at once); getvalue() hands that buffer over.
    body, got = io.BytesIO(), 0
    read = _arrived_reader(stream)
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
        body.write(chunk)
        got += len(chunk)
    return body.getvalue()


def _arrived_reader(stream):
    """``read(n)`` that returns what has arrived (up to ``n`` bytes) instead
    of waiting for all ``n``, so a body that stops arriving is counted
    exactly: cheroot's ``KnownLengthRFile`` over its buffered socket
    reader (``read1``); any other stream reads as it does."""
    raw = getattr(stream, 'rfile', None)
    if not hasattr(raw, 'read1') or not hasattr(stream, 'remaining'):
        return stream.read

    def read(n):
        data = raw.read1(min(n, stream.remaining))
        stream.remaining -= len(data)
        return data
    return read


class ConnectionShares(object):
    """How many connections each API worker process holds open, in memory
    shared by all of them (made by the master before it forks).

    The workers accept from one listening socket: each new connection
    wakes them all, and whichever calls ``accept()`` first gets it, so a
    few long-lived keep-alive clients may all end up on one worker while
    the others idle (8 benchmark clients: 6 on one worker, 2 on the other).
    A worker that holds more connections than the least busy one waits
    :data:`BALANCE_WAIT` seconds before it accepts, giving the others the
    connection first; if none takes it, it accepts it all the same.
    """

    BALANCE_WAIT = 0.002

    def __init__(self, workers):
        # Here: only a production API master makes one (the module is
        # imported by every API process, the embedded one included).
        from multiprocessing import sharedctypes
        self.counts = sharedctypes.RawArray('i', workers)
        self.index = None

    def attach(self, index):
        """This process is worker ``index`` (0-based), starting afresh."""
        self.index = index
        self.counts[index] = 0

    def changed(self, delta):
        self.counts[self.index] += delta

    def should_wait(self):
        counts = self.counts
        mine = counts[self.index]
        return any(counts[i] < mine for i in range(len(counts))
                   if i != self.index)


# This process's worker slot (set by api_workers before the server starts).
_shares = None


def balance_connections(shares, index):
    """Count this worker's connections in ``shares`` slot ``index`` and
    balance its accepts (a worker beyond the slots does not take part)."""
    global _shares
    if 0 <= index < len(shares.counts):
        shares.attach(index)
        _shares = shares


# A worker that answered a keep-alive request waits up to LINGER seconds
# for the connection's next request and serves it itself, at most
# LINGER_REQUESTS times in a row (see _CountedConnection.communicate).
LINGER = 0.005
LINGER_REQUESTS = 100


def _plain_streams(sock, mode='r', bufsize=None):
    """The streams of a plain TCP connection (api/socket_io.py)."""
    if 'r' in mode:
        return socket_io.SocketReader(sock)
    return socket_io.SocketWriter(sock)


class _Request(cheroot_server.HTTPRequest):
    """cheroot's request; on a plain TCP connection a common request head
    is read in one piece (api/request_head.py) and the response's header
    block goes out with its first body chunk, in one system call
    (:class:`~mistral_clone.api.socket_io.SocketWriter`)."""

    def parse_request(self):
        if type(self.conn.rfile) is not socket_io.SocketReader:
            return super().parse_request()
        headers = request_head.take(self)
        if headers is None:
            return super().parse_request()

        def read_headers(rfile, hdict):
            hdict.update(headers)
            return hdict
        # cheroot's own checks of the headers (length, keep-alive,
        # transfer coding, 100-continue) run on them as read.
        self.header_reader = read_headers
        if self.read_request_headers():
            self.ready = True

    def send_headers(self):
        wfile = self.conn.wfile
        if type(wfile) is not socket_io.SocketWriter:
            return super().send_headers()
        wfile.holding = True
        try:
            super().send_headers()
        finally:
            wfile.holding = False

    def respond(self):
        try:
            super().respond()
        finally:
            wfile = self.conn.wfile
            if type(wfile) is socket_io.SocketWriter:
                wfile.flush()


class _CountedConnection(cheroot_server.HTTPConnection):
    """cheroot's connection, counted in this worker's share while open.

    cheroot hands a keep-alive connection back to its selector thread after
    every response; when the next request arrives, that thread wakes up,
    unregisters the socket and queues the connection for a worker, which
    wakes up in turn: two thread switches and ~0.1 ms of the GIL per request
    for a client that sends request after request (issue 14). Instead the
    worker that answered waits, without the GIL, up to :data:`LINGER` for
    the next request on that socket and serves it at once, as long as
    another worker is idle (a new connection or another client's request is
    not kept waiting for a lingering one) and the connection is plain TCP
    (a TLS socket may hold decrypted bytes ``select`` does not see). The
    requests and answers are the same; only which thread serves them and
    when changes.
    """

    RequestHandlerClass = _Request

    def __init__(self, server, sock, makefile=cheroot_makefile.MakeFile):
        # A plain TCP socket (cheroot's own MakeFile, not TLS's): our
        # leaner streams (api/socket_io.py).
        if makefile is cheroot_makefile.MakeFile and \
                type(sock) is socket.socket:
            makefile = _plain_streams
        super().__init__(server, sock, makefile)
        self._share = _shares
        if self._share is not None:
            self._share.changed(1)

    def communicate(self):
        keep_open = super().communicate()
        served = 1
        while keep_open and served < LINGER_REQUESTS and \
                self._next_request_arrives():
            keep_open = super().communicate()
            served += 1
        return keep_open

    def _next_request_arrives(self):
        if self.rfile.has_data():
            return True
        server = self.server
        if not server.ready or server.ssl_adapter is not None or \
                server.requests.idle <= 0:
            return False
        try:
            readable, _, _ = select.select([self.socket], [], [], LINGER)
        except (OSError, ValueError):  # closed meanwhile
            return False
        return bool(readable)

    def close(self):
        share, self._share = self._share, None
        if share is not None:
            share.changed(-1)
        super().close()


class _Cheroot(wsgi.Server):
    """cheroot, logging through ``logging``, serving a socket we bound
    (possibly in a parent process)."""

    listening_socket = None
    # Idle keep-alive connections wait in cheroot's selector and cost a file
    # descriptor, no thread; cheroot's default of 10 made the 11th client's
    # connections close after every response (a new TCP connection per
    # request for busy API clients, and flaky keep-alive in the tests).
    keep_alive_conn_limit = 1000

    ConnectionClass = _CountedConnection

    def __init__(self, bind_addr, wsgi_app, **kwargs):
        super().__init__(bind_addr, _WholeBody(wsgi_app), **kwargs)
        self.gateway = _Gateway

    def prepare(self):
        super().prepare()
        shares = _shares
        if shares is None:
            return
        manager = self._connections
        accept = manager._from_server_socket

        def balanced_accept(server_socket):
            if shares.should_wait():
                time.sleep(shares.BALANCE_WAIT)
            return accept(server_socket)
        manager._from_server_socket = balanced_accept

    def bind(self, family, type, proto=0):  # noqa: A002 - cheroot's name
        sock = self.listening_socket
        if self.ssl_adapter is not None:
            sock = self.ssl_adapter.bind(sock)
        self.socket = sock
        self.bind_addr = self.resolve_real_bind_addr(sock)
        return sock

    def error_log(self, msg='', level=logging.INFO, traceback=False):
        LOG.log(level if level >= logging.WARNING else logging.DEBUG,
                '%s', msg, exc_info=traceback)


class CherootServer(object):
    """cheroot with the interface the launcher drives: the socket is bound
    on creation (``server_address`` is known at once, ``port=0`` picks a
    free port); ``serve_forever`` starts cheroot's threads in the calling
    thread (so a server run by a daemon thread has daemon threads only) and
    blocks until ``shutdown``."""

    def __init__(self, host, port, app, conf, sock=None, timeout=30):
        """``timeout``: seconds a connection may stay silent (idle
        keep-alive, or a body that stopped arriving)."""
        server = _Cheroot((host, port), app, numthreads=conf.api.api_threads,
                          server_name=SERVER_NAME, request_queue_size=128,
                          timeout=timeout, shutdown_timeout=10)
        server.ssl_adapter = ssl_adapter(conf)
        server.listening_socket = sock if sock is not None else listen(
            host, port)
        self.server = server
        self.server_address = server.listening_socket.getsockname()[:2]
        self.scheme = 'https' if server.ssl_adapter is not None else 'http'
        self._lock = threading.Lock()
        self._stopped = False

    def serve_forever(self, poll_interval=None):
        with self._lock:
            if self._stopped:
                return
            self.server.prepare()
            # cheroot gives the listening socket a 1 s timeout (for
            # Windows' KeyboardInterrupt). The API's worker processes share
            # that socket: all wake up for a new connection, one accepts,
            # and the others sat in accept() for that second, their own
            # keep-alive clients unserved (1.0 s stalls with 2 workers and 4
            # concurrent clients; none with one worker). Non-blocking, a
            # lost race returns at once (cheroot ignores EAGAIN).
            self.server.socket.setblocking(False)
        self.server.serve()

    def shutdown(self):
        with self._lock:
            self._stopped = True
            if self.server.ready:
                self.server.stop()
            elif self.server.listening_socket is not None:
                self.server.listening_socket.close()

    def server_close(self):
        """Nothing left: ``shutdown`` closed the socket."""


def listen(host, port, backlog=128):
    """A listening TCP socket (shared by the workers of a master)."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as e:
        sock.close()
        raise OSError(e.errno, 'Cannot listen on %s:%s: %s'
                      % (host, port, e.strerror))
    return sock
