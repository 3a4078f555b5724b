"""CPU per request of the API's HTTP layer alone (cheroot as api/serving.py
sets it up: its connection, request, gateway and our streams), no
application work.

One keep-alive TCP connection over loopback; a client thread sends
``GET /v2/workflows?limit=50`` (the head ``http.client`` sends) and reads
each answer, a 20 KB body; the server side runs cheroot's ``communicate``
for each request in the main thread, whose CPU time (user and system: the
loopback's TCP work is counted there) is the figure. Best of three rounds.

    python bench/http_cpu.py [--requests 5000]

Compare trees with ``PYTHONPATH=<other tree> python bench/http_cpu.py``.
"""

import argparse
import socket
import threading
import time

BODY = b'x' * 20457
HEAD = (b'GET /v2/workflows?limit=50 HTTP/1.1\r\nHost: 127.0.0.1:8989\r\n'
        b'Accept-Encoding: identity\r\n\r\n')


def _app(environ, start_response):
    start_response('200 OK', [
        ('Content-Type', 'application/json'),
        ('Content-Length', str(len(BODY))),
        ('x-openstack-request-id',
         'req-0b52cbd2-0e3f-4b8f-a2b5-0c2b6d6f4e1a'),
        ('Server', 'mistral_api')])
    return [BODY]


def _client(sock, requests):
    for _ in range(requests):
        sock.sendall(HEAD)
        need, got = None, b''
        while need is None or len(got) < need:
            data = sock.recv(65536)
            if not data:
                return
            got += data
            if need is None:
                end = got.find(b'\r\n\r\n')
                if end >= 0:
                    need = end + 4 + len(BODY)


class _KeepAlive(object):
    can_add_keepalive_connection = True


def _round(server, requests):
    from cheroot import server as cheroot_server
    from mistral_clone.api import serving
    listener = serving.listen('127.0.0.1', 0)
    client = socket.create_connection(listener.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock, _ = listener.accept()
    listener.close()
    sock.settimeout(30)
    thread = threading.Thread(target=_client, args=(client, requests))
    thread.start()
    conn = serving._CountedConnection(server, sock)
    started = time.thread_time()
    for _ in range(requests):
        # cheroot's own loop step (no linger: one thread serves here).
        if not cheroot_server.HTTPConnection.communicate(conn):
            raise SystemExit('the connection closed')
    used = time.thread_time() - started
    thread.join()
    conn.close()
    client.close()
    return used / requests * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--requests', type=int, default=5000)
    args = parser.parse_args()
    from mistral_clone import config
    from mistral_clone.api import serving
    config.parse_args([])
    config.register_api_opts(config.CONF)
    srv = serving.CherootServer('127.0.0.1', 0, _app, config.CONF)
    server = srv.server
    server.gateway = serving._Gateway
    server.ready = True
    server._connections = _KeepAlive()
    try:
        rounds = [_round(server, args.requests) for _ in range(3)]
    finally:
        server.ready = False
        server.listening_socket.close()
    print('%.1f us CPU/request (rounds: %s)' % (
        min(rounds), ', '.join('%.1f' % r for r in rounds)))


if __name__ == '__main__':
    main()
