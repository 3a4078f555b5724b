"""The HTTP server's listening socket, shared by the API's worker
processes."""

import threading
import time
import unittest

import requests

from mistral_clone.api import serving


class _Conf:
    class api:
        api_threads = 2
        enable_ssl_api = False


def _app(environ, start_response):
    start_response('200 OK', [('Content-Length', '2')])
    return [b'ok']


class SharedSocketTest(unittest.TestCase):

    def _serve(self, sock):
        srv = serving.CherootServer('127.0.0.1', 0, _app, _Conf, sock=sock)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.shutdown)
        deadline = time.monotonic() + 10
        while not srv.server.ready and time.monotonic() < deadline:
            time.sleep(0.01)
        return srv

    def test_a_server_that_loses_the_accept_race_does_not_block(self):
        sock = serving.listen('127.0.0.1', 0)
        first, second = self._serve(sock), self._serve(sock)
        # A blocking accept() with no connection waiting kept a worker
        # from serving its keep-alive connections for up to a second.
        for srv in (first, second):
            self.assertEqual(0.0, srv.server.socket.gettimeout())
            self.assertIsNone(
                srv.server._connections._from_server_socket(
                    srv.server.socket))
        port = sock.getsockname()[1]
        with requests.Session() as s:
            for _ in range(3):
                r = s.get('http://127.0.0.1:%d/' % port, timeout=30)
                self.assertEqual(b'ok', r.content)
