"""The API's HTTP server in one process (embedded mode, tests, tools).

Every mode serves the API with cheroot (``api/serving.py``). The embedded
mode used to have a hand-written keep-alive server on ``wsgiref``; measured
on the 2-core machine (2026-11-30, server CPU per request with the client
in another process, three rounds each, ``GET /v2/workflows`` of 50
workflows and ``POST /v2/executions``), the two cost the same within the
noise of a loaded machine — stdlib 3.0-4.0 ms / 6.5-6.9 ms, cheroot
2.8-4.6 ms / 6.2-7.9 ms per GET / POST — because the application's work
dominates. Keeping our own HTTP code would buy nothing, so the well-kept
library serves everywhere (it also brings TLS, a bounded thread pool and
keep-alive connections that hold no thread while idle).
"""

import logging
import threading

from mistral_clone.api import serving

LOG = logging.getLogger(__name__)


def make_server(host, port, app, conf=None, timeout=30):
    """A bound (not yet serving) server; ``port=0`` picks a free port;
    ``timeout``: seconds a connection may stay silent."""
    from mistral_clone import config
    return serving.CherootServer(host, port, app, conf or config.CONF,
                                 timeout=timeout)


def serve_forever(server):
    LOG.info('API listening on %s://%s:%s', server.scheme,
             *server.server_address[:2])
    try:
        server.serve_forever()
    finally:
        server.shutdown()


def start_in_thread(host='127.0.0.1', port=0, app=None, timeout=30):
    """Start a server in a daemon thread; returns (server, base_url).

    ``port=0`` picks a free port. Stop with ``server.shutdown()``.
    """
    if app is None:
        from mistral_clone.api import app as app_module
        app = app_module.setup_app()
    server = make_server(host, port, app, timeout=timeout)
    thread = threading.Thread(target=server.serve_forever,
                              name='mistral-clone-api', daemon=True)
    thread.start()
    url = '%s://%s:%d' % (server.scheme, host, server.server_address[1])
    return server, url
