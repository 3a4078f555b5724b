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


def serve(test, app=_app, conf=_Conf, sock=None):
    """A server of ``app`` in a daemon thread, ready, shut down when
    ``test`` ends."""
    srv = serving.CherootServer('127.0.0.1', 0, app, conf, sock=sock)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    test.addCleanup(srv.shutdown)
    deadline = time.monotonic() + 10
    while not srv.server.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    return srv


class SharedSocketTest(unittest.TestCase):

    def _serve(self, sock):
        return serve(self, sock=sock)

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


class ConnectionSharesTest(unittest.TestCase):
    """API workers balance their accepts by the connections they hold."""

    def test_a_worker_holding_more_waits(self):
        shares = serving.ConnectionShares(3)
        shares.attach(1)
        self.assertFalse(shares.should_wait())
        shares.changed(1)
        self.assertTrue(shares.should_wait())
        shares.counts[0] = shares.counts[2] = 1
        self.assertFalse(shares.should_wait())
        shares.counts[0] = 5
        shares.changed(1)
        self.assertTrue(shares.should_wait())  # worker 2 holds fewer
        shares.attach(1)  # a restarted worker starts afresh
        self.assertEqual(0, shares.counts[1])

    def test_connections_counted_while_open_and_still_accepted(self):
        shares = serving.ConnectionShares(2)
        self.addCleanup(setattr, serving, '_shares', None)
        serving.balance_connections(shares, 0)
        sock = serving.listen('127.0.0.1', 0)
        srv = serve(self, sock=sock)
        url = 'http://127.0.0.1:%d/' % srv.server_address[1]
        sessions = [requests.Session() for _ in range(3)]
        for s in sessions:  # worker 1 holds none: each accept waits, then
            self.assertEqual(b'ok', s.get(url, timeout=10).content)
        self.assertEqual(3, shares.counts[0])
        for s in sessions:
            s.close()
        deadline = time.monotonic() + 10
        while shares.counts[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(0, shares.counts[0])
        serving.balance_connections(shares, 5)  # beyond the slots: ignored
        self.assertEqual(0, shares.index)


class LingerTest(unittest.TestCase):
    """A worker serves the next requests of the keep-alive connection it
    just answered itself (serving._CountedConnection.communicate)."""

    def _serve(self, threads):
        class conf:
            class api:
                api_threads = threads
                enable_ssl_api = False
        seen = []

        def app(environ, start_response):
            seen.append(threading.get_ident())
            body = environ['PATH_INFO'].encode()
            start_response('200 OK', [('Content-Length', str(len(body)))])
            return [body]
        srv = serve(self, app, conf)
        handed_back = []
        put_conn = srv.server.put_conn
        srv.server.put_conn = lambda conn: (handed_back.append(conn),
                                            put_conn(conn))
        return srv, seen, handed_back

    def _requests(self, srv, n):
        import http.client
        c = http.client.HTTPConnection(*srv.server_address, timeout=30)
        try:
            for i in range(n):
                c.request('GET', '/r%d' % i)
                self.assertEqual(b'/r%d' % i, c.getresponse().read())
        finally:
            c.close()

    def test_one_worker_serves_a_client_in_a_hurry(self):
        srv, seen, handed_back = self._serve(4)
        self._requests(srv, 20)
        self.assertEqual(20, len(seen))
        # Fewer hand-backs to the selector than requests (a slow machine
        # may let the linger time pass now and then).
        self.assertLess(len(handed_back), 10)

    def test_no_linger_without_another_idle_worker(self):
        srv, seen, handed_back = self._serve(1)
        self._requests(srv, 5)
        self.assertEqual(5, len(seen))
        self.assertGreaterEqual(len(handed_back), 4)
