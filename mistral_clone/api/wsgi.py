"""WSGI entry point for uwsgi/gunicorn: ``mistral_clone.api.wsgi:application``.

The configuration file comes from ``MISTRAL_CLONE_CONFIG`` (default: oslo's
standard search for ``mistral_clone.conf``); logging follows it (oslo.log).
The database named by ``[database] connection`` is set up (not migrated:
run ``mistral-clone-db-manage upgrade head`` first). With ``transport_url``
set the application talks to the engines over oslo.messaging and the API
shows up in ``GET /v2/services``.

Fork safety: WSGI servers import this module once and fork workers from it
(gunicorn ``--preload``, uwsgi without ``lazy-apps``), or import it in each
worker. :class:`Application` builds its resources (database engine,
transport, heartbeat thread, the Pecan application) in the process that
imported it and builds them *again* in any process forked from there, on
that process's first request: no pooled connection, broker connection or
thread is ever used by two processes (the database pool inherited through
a fork is also dropped by ``db/api.py`` at fork time). The processes of
one server share one ``api_group`` row in ``/v2/services``; each process
leaves it when it exits (the last one out removes it), so a stopped server
is not listed until its heartbeats age out.

For metrics across workers, start the server with ``PROMETHEUS_MULTIPROC_DIR``
pointing at an empty directory (see README).
"""

import atexit
import os
import threading

from mistral_clone import config
from mistral_clone import launcher
from mistral_clone import log


class Application(object):

    def __init__(self):
        conf_file = os.environ.get('MISTRAL_CLONE_CONFIG')
        config.parse_args([], default_config_files=[conf_file]
                          if conf_file else None)
        self.conf = config.CONF
        log.setup(self.conf)
        log.banner(self.conf, ['api'])
        self._lock = threading.Lock()
        self._pid = None
        self._app = None
        self._registry = None
        atexit.register(self._leave)
        self._build()

    def _build(self):
        """Everything this process uses, created in this process."""
        conf = self.conf
        launcher.setup_database(conf, upgrade=False)
        launcher.apply_config(conf)
        if conf.transport_url:
            # Production: the engines are reached over oslo.messaging.
            launcher.setup_remote_clients(conf)
            # A registry inherited through a fork has no thread here: only
            # this process's own one is kept and stopped at exit.
            self._registry = launcher.start_registry(('api',), conf,
                                                     shared=True)
        from mistral_clone.api import app as api_app
        self._app = api_app.setup_app(conf)
        self._pid = os.getpid()

    def __call__(self, environ, start_response):
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    # A worker forked from the process that imported us.
                    self._build()
        return self._app(environ, start_response)

    def _leave(self):
        """At exit: stop this process's heartbeats and leave the shared
        row (another process still serving registers it again at its next
        heartbeat)."""
        registry, self._registry = self._registry, None
        if registry is not None and self._pid == os.getpid():
            registry.stop()


application = Application()
