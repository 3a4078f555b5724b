"""The API in worker processes: ``mistral-clone-server --server api`` in
production mode.

The master process binds the listening socket (so a taken port fails at
once, with a clear message), then **cotyledon** forks ``[api]
api_workers`` workers, restarts any that dies, and on SIGTERM stops them
all. Each worker creates everything it uses *after* the fork — database
engine, oslo.messaging transport, the heartbeat thread of ``/v2/services``
(one shared ``api_group`` row), the application — so no connection, thread
or lock is ever shared between processes, and serves the inherited socket
with cheroot (:mod:`mistral_clone.api.serving`). Metrics use
prometheus_client's multiprocess mode: the master points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before anything imports
prometheus_client, and ``/metrics`` answered by any worker adds up all.

It stands above the launcher (each worker launches the API component), so
the launcher and the HTTP server below it import nothing from here.
"""

import gc
import logging
import os
import shutil
import sys
import tempfile

import cotyledon

from mistral_clone import launcher
from mistral_clone.api import serving

LOG = logging.getLogger(__name__)


def worker_count(conf, components):
    """API processes to fork: > 1 only for a production process that runs
    the API alone (the embedded mode is one process by design: its SQLite
    writes are serialised by an in-process lock)."""
    if set(components) != {'api'} or not conf.transport_url:
        return 1
    return conf.api.api_workers or os.cpu_count() or 1


def use_multiprocess_metrics():
    """Give the workers a fresh prometheus_client multiprocess directory
    (unless the operator set ``PROMETHEUS_MULTIPROC_DIR``); returns the
    directory this process must remove at exit, or None."""
    if 'prometheus_client' in sys.modules:
        raise RuntimeError('prometheus_client was imported before the '
                           'multiprocess directory was set')
    if os.environ.get('PROMETHEUS_MULTIPROC_DIR'):
        return None
    path = tempfile.mkdtemp(prefix='mistral_clone_metrics_')
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = path
    return path


def run_workers(conf, workers):
    """Serve the API in ``workers`` processes until SIGTERM/SIGINT."""
    metrics_dir = use_multiprocess_metrics()
    try:
        sock = serving.listen(conf.api.host, conf.api.port)
    except OSError as e:
        raise SystemExit(str(e))
    scheme = 'https' if conf.api.enable_ssl_api else 'http'
    if conf.api.enable_ssl_api:
        serving.ssl_adapter(conf)  # wrong TLS settings stop the master, not workers
    LOG.info('API listening on %s://%s:%d/v2 with %d worker processes',
             scheme, conf.api.host, sock.getsockname()[1], workers)
    shares = serving.ConnectionShares(workers)
    manager = cotyledon.ServiceManager()
    manager.add(ApiWorker, workers=workers, args=(conf, sock, shares))
    try:
        manager.run()
    finally:
        sock.close()
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        LOG.info('API stopped')


class ApiWorker(cotyledon.Service):
    """One API process: sets everything up after the fork, serves the
    inherited socket with cheroot."""

    name = 'api'

    def __init__(self, worker_id, conf, sock, shares=None):
        super().__init__(worker_id)
        self.conf = conf
        self.sock = sock
        self.shares = shares
        self.launched = None

    def run(self):
        if self.shares is not None:
            # New connections go to the worker holding the fewest.
            serving.balance_connections(self.shares, self.worker_id)
        launcher.setup_database(self.conf, upgrade=False)
        self.launched = launcher.launch(('api',), self.conf,
                                        api_socket=self.sock,
                                        start_api_thread=False)
        gc.collect()  # start-up objects out of the collector's sight
        gc.freeze()
        LOG.info('API worker %d (pid %d) serving', self.worker_id,
                 os.getpid())
        self.launched.api_server.serve_forever()

    def terminate(self):
        if self.launched is not None:
            self.launched.stop()
