"""The streams of plain TCP API connections (api/socket_io.py) and the
answers cheroot sends through them."""

import socket
import threading
import time
import unittest

import requests

from mistral_clone.api import serving
from mistral_clone.api import socket_io
from tests.api import test_serving


def _pair(timeout=5):
    a, b = socket.socketpair()
    for s in (a, b):
        s.settimeout(timeout)
    return a, b


class _PairTest(unittest.TestCase):
    """``self.near`` and ``self.far``: a connected pair of sockets."""

    def setUp(self):
        self.near, self.far = _pair()
        self.addCleanup(self.near.close)
        self.addCleanup(self.far.close)


class SocketReaderTest(_PairTest):

    def setUp(self):
        super().setUp()
        self.reader = socket_io.SocketReader(self.near)

    def test_lines_and_what_stays_buffered(self):
        self.far.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2')
        self.assertEqual(b'GET / HTTP/1.1\r\n', self.reader.readline())
        self.assertTrue(self.reader.has_data())
        self.assertEqual(b'Host: x\r\n', self.reader.readline(256))
        self.assertEqual(b'\r\n', self.reader.readline())
        self.assertEqual(b'GET', self.reader.readline(3))
        self.assertEqual(b' /2', self.reader.read1(100))
        self.assertFalse(self.reader.has_data())
        self.assertEqual(len(b'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2'),
                         self.reader.bytes_read)

    def test_a_line_arriving_in_pieces(self):
        def send():
            for piece in (b'abc', b'def', b'\nrest'):
                time.sleep(0.05)
                self.far.sendall(piece)
        threading.Thread(target=send).start()
        self.assertEqual(b'abcdef\n', self.reader.readline())
        self.assertEqual(b'rest', self.reader.read(4))

    def test_read_exact_lengths_and_the_end_of_the_stream(self):
        body = bytes(range(256)) * 4000  # more than one read's worth
        threading.Thread(target=lambda: (self.far.sendall(body + b'tail'),
                                         self.far.shutdown(
                                             socket.SHUT_WR))).start()
        self.assertEqual(body, self.reader.read(len(body)))
        self.assertEqual(b'tail', self.reader.read(100))
        self.assertEqual(b'', self.reader.readline())
        self.assertEqual(b'', self.reader.read1(10))

    def test_the_socket_timeout_still_applies(self):
        self.near.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            self.reader.readline()


class SocketWriterTest(_PairTest):

    def setUp(self):
        super().setUp()
        self.writer = socket_io.SocketWriter(self.near)

    def _received(self, size):
        got = []
        while size > 0:
            data = self.far.recv(min(size, 65536))
            if not data:
                break
            got.append(data)
            size -= len(data)
        return b''.join(got)

    def test_held_head_goes_out_with_the_body(self):
        self.writer.holding = True
        self.writer.write(b'HEAD\r\n')
        self.writer.holding = False
        self.far.setblocking(False)
        with self.assertRaises(BlockingIOError):
            self.far.recv(10)  # nothing sent yet
        self.far.settimeout(5)
        self.writer.write(b'body')
        self.assertEqual(b'HEAD\r\nbody', self._received(10))
        self.writer.holding = True
        self.writer.write(b'again')
        self.writer.holding = False
        self.writer.flush()
        self.assertEqual(b'again', self._received(5))
        self.assertEqual(15, self.writer.bytes_written)

    def test_more_than_the_socket_buffer_takes(self):
        head = b'H' * 100
        body = bytes(range(256)) * 40000  # ~10 MB
        received = []
        reader = threading.Thread(
            target=lambda: received.append(
                self._received(len(head) + len(body))))
        reader.start()
        self.writer.holding = True
        self.writer.write(head)
        self.writer.holding = False
        self.writer.write(body)
        reader.join(30)
        self.assertEqual(head + body, received[0])


def _app(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/echo':
        body = environ['wsgi.input'].read()
        start_response('200 OK', [('Content-Length', str(len(body)))])
        return [body]
    if path == '/empty':
        start_response('204 No Content', [])
        return []
    if path == '/chunks':  # no length: cheroot chunks the answer
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'one', b'two']
    start_response('200 OK', [('Content-Length', '2')])
    return [b'ok']


class ServedTest(unittest.TestCase):
    """Answers through a real server over plain TCP."""

    def setUp(self):
        srv = test_serving.serve(self, _app)
        self.port = srv.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port

    def test_bodies_both_ways_on_one_connection(self):
        big = b'x' * (3 * 1024 * 1024 + 7)
        with requests.Session() as s:
            for body in (b'', b'small', big):
                r = s.post(self.url + '/echo', data=body, timeout=30)
                self.assertEqual(200, r.status_code)
                self.assertEqual(body, r.content)
            r = s.get(self.url + '/empty', timeout=30)
            self.assertEqual((204, b''), (r.status_code, r.content))
            r = s.get(self.url + '/chunks', timeout=30)
            self.assertEqual('chunked', r.headers['Transfer-Encoding'])
            self.assertEqual(b'onetwo', r.content)
            r = s.head(self.url + '/', timeout=30)
            self.assertEqual(('2', b''),
                             (r.headers['Content-Length'], r.content))

    def test_pipelined_requests_are_answered_in_order(self):
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=10) as c:
            c.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
                      b'POST /echo HTTP/1.1\r\nHost: x\r\n'
                      b'Content-Length: 5\r\n\r\nhello'
                      b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close'
                      b'\r\n\r\n')
            got = b''
            while True:
                data = c.recv(65536)
                if not data:
                    break
                got += data
        self.assertEqual(3, got.count(b'HTTP/1.1 200 OK\r\n'))
        first, second, third = got.split(b'HTTP/1.1 200 OK\r\n')[1:]
        self.assertTrue(first.endswith(b'\r\n\r\nok'))
        self.assertTrue(second.endswith(b'\r\n\r\nhello'))
        self.assertIn(b'Connection: close', third)

    def test_a_client_gone_before_its_answer(self):
        for _ in range(3):
            c = socket.create_connection(('127.0.0.1', self.port),
                                         timeout=10)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b'\x01\x00\x00\x00\x00\x00\x00\x00')
            c.sendall(b'POST /echo HTTP/1.1\r\nContent-Length: 3000000'
                      b'\r\n\r\n' + b'x' * 3000000)
            c.close()  # a reset: the answer finds no one
        r = requests.get(self.url + '/', timeout=30)
        self.assertEqual(b'ok', r.content)

    def test_malformed_request_line_gets_cheroots_400(self):
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=10) as c:
            c.sendall(b'GET /\n\r\n')
            got = c.recv(65536)
        self.assertTrue(got.startswith(b'HTTP/1.1 400 Bad Request\r\n'), got)
        self.assertIn(b'HTTP requires CRLF terminators', got)


class _Server(object):
    protocol = 'HTTP/1.1'
    max_request_header_size = 0
    max_request_body_size = 0
    ssl_adapter = None

    def __init__(self):
        self.stats = {'Enabled': False}


class _Conn(object):
    def __init__(self, sock):
        self.rfile = socket_io.SocketReader(sock)
        self.wfile = socket_io.SocketWriter(sock)


def _parsed(head, fast):
    """The request's attributes after parsing ``head`` by our path
    (``fast``) or cheroot's own."""
    from cheroot import server as cheroot_server
    near, far = _pair()
    try:
        far.sendall(head)
        far.shutdown(socket.SHUT_WR)
        conn = _Conn(near)
        req = serving._Request(_Server(), conn)
        if fast:
            req.parse_request()
        else:
            cheroot_server.HTTPRequest.parse_request(req)
        far.settimeout(0.2)
        try:
            answer = far.recv(65536)
        except socket.timeout:
            answer = b''
        names = ('ready', 'started_request', 'method', 'uri', 'path', 'qs',
                 'authority', 'scheme', 'request_protocol',
                 'response_protocol', 'inheaders', 'close_connection',
                 'chunked_read')
        return ({n: getattr(req, n, None) for n in names}, answer,
                conn.rfile.read1(1000), conn.rfile.bytes_read)
    finally:
        near.close()
        far.close()


class RequestHeadTest(unittest.TestCase):
    """A request head read in one piece (api/request_head.py) gives what
    cheroot's own reading gives; anything else is read by cheroot."""

    HEADS = [
        b'GET /v2/workflows?limit=50 HTTP/1.1\r\nHost: x:1\r\n'
        b'Accept-Encoding: identity\r\n\r\nrest',
        b'POST /v2/executions HTTP/1.1\r\nhost: x\r\ncontent-LENGTH:  12 '
        b'\r\nConnection: close\r\n\r\n{"a": "bc"}\n',
        b'PUT /v2/x?q=%20a&b=c HTTP/1.1\r\nX-Weird : v\t\r\n\r\n',
        b'DELETE /v2/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n',
        b'HEAD / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n',
        b'GET /a HTTP/1.1\r\nContent-Length: x\r\n\r\n',  # cheroot's 400
        b'GET /a HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n\r\n',  # repeated
        b'GET /a HTTP/1.1\r\nX-A: a\r\n  folded\r\n\r\n',
        b'GET /a%2Fb%20c HTTP/1.1\r\n\r\n',
        b'GET /a#frag HTTP/1.1\r\n\r\n',
        b'GET //host/a HTTP/1.1\r\n\r\n',
        b'GET http://host/a HTTP/1.1\r\n\r\n',
        b'OPTIONS * HTTP/1.1\r\n\r\n',
        b'get /a HTTP/1.1\r\n\r\n',
        b'GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n',
        b'GET /a HTTP/2.0\r\n\r\n',
        b'GET /a  HTTP/1.1\r\n\r\n',
        b'GET /\xc3\xa9 HTTP/1.1\r\n\r\n',
        b'GET /a HTTP/1.1\r\nNo colon\r\n\r\n',
        b'GET /a HTTP/1.1\r\nX: a\nY: b\r\n\r\n',
        b'\r\nGET /a HTTP/1.1\r\n\r\n',
        b'GET /a HTTP/1.1\r\nHost: x\r\n',  # incomplete head
    ]

    def test_same_as_cheroot(self):
        for head in self.HEADS:
            with self.subTest(head=head):
                self.assertEqual(_parsed(head, False), _parsed(head, True))

    def test_common_heads_take_the_short_way(self):
        from mistral_clone.api import request_head
        for head in self.HEADS[:6]:
            self.assertIsNotNone(request_head.parse(head[:head.index(
                b'\r\n\r\n') + 4]))
        for head in self.HEADS[6:-1]:
            end = head.find(b'\r\n\r\n') + 4
            self.assertIsNone(request_head.parse(head[:end]), head)


class GatewayTest(unittest.TestCase):
    """The gateway's environ and response headers are cheroot's."""

    def _gateway(self, head, ssl_env=None):
        near, far = _pair()
        self.addCleanup(near.close)
        self.addCleanup(far.close)
        far.sendall(head)
        server = _Server()
        server.bind_addr = ('127.0.0.1', 8989)
        server.server_name = 'mistral_api'
        server.software = 'Cheroot/x'
        conn = _Conn(near)
        conn.remote_addr, conn.remote_port = '127.0.0.1', 4242
        conn.ssl_env = ssl_env or {}
        req = serving._Request(server, conn)
        req.parse_request()
        self.assertTrue(req.ready)
        return serving._Gateway(req)

    def test_environ(self):
        from cheroot import wsgi
        for head, ssl_env in [
                (b'GET /v2/x?a=1 HTTP/1.1\r\nHost: h\r\nX-Auth-Token: t\r\n'
                 b'\r\n', None),
                (b'POST /v2/x HTTP/1.1\r\nContent-Type: application/json'
                 b'\r\nContent-Length: 2\r\nAccept: a\r\nAccept: b\r\n\r\n{}',
                 {'HTTPS': 'on', 'SSL_PROTOCOL': 'TLSv1.3'})]:
            gateway = self._gateway(head, ssl_env)
            self.assertEqual(wsgi.Gateway_10.get_environ(gateway),
                             gateway.env)

    def test_start_response(self):
        from cheroot import wsgi
        headers = [('Content-Type', 'application/json'),
                   ('Content-Length', '12'), ('X-Name', 'caf\xe9')]
        ours = self._gateway(b'GET / HTTP/1.1\r\n\r\n')
        theirs = self._gateway(b'GET / HTTP/1.1\r\n\r\n')
        self.assertEqual(ours.write, ours.start_response('200 OK', headers))
        wsgi.Gateway.start_response(theirs, '200 OK', headers)
        for name in ('status', 'outheaders'):
            self.assertEqual(getattr(theirs.req, name),
                             getattr(ours.req, name))
        self.assertEqual(12, ours.remaining_bytes_out)
        with self.assertRaises(RuntimeError):
            ours.start_response('200 OK', headers)
        for bad in ([(b'X', 'v')], [('X', 1)]):
            with self.assertRaises(TypeError):
                self._gateway(b'GET / HTTP/1.1\r\n\r\n').start_response(
                    '200 OK', bad)
