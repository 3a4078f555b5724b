"""WSGI entry point for uwsgi/gunicorn: ``mistral_clone.api.wsgi:application``.

The configuration file comes from ``MISTRAL_CLONE_CONFIG`` (default: oslo's
standard search for ``mistral_clone.conf``); the database named by
``[database] connection`` is set up (not migrated: run
``mistral-clone-db-manage upgrade head`` first). With ``transport_url`` set
the application talks to the engines over oslo.messaging.
"""

import os
import socket

from mistral_clone import config
from mistral_clone.api import app as api_app
from mistral_clone.db import api as db_api


def init_application():
    conf_file = os.environ.get('MISTRAL_CLONE_CONFIG')
    config.parse_args([], default_config_files=[conf_file]
                      if conf_file else None)
    conf = config.CONF
    db_api.setup(conf.database.connection,
                 pool_size=conf.database.max_pool_size,
                 max_overflow=conf.database.max_overflow,
                 pool_timeout=conf.database.pool_timeout,
                 pool_recycle=conf.database.connection_recycle_time,
                 sqlite_synchronous=conf.database.sqlite_synchronous)
    if conf.transport_url:
        # Production: the engines are reached over oslo.messaging, and the
        # process shows up in GET /v2/services.
        from mistral_clone import launcher
        launcher.apply_config(conf)
        launcher.setup_remote_clients(conf)
        launcher._start_registry(('api',), conf, launcher.Launched(),
                                 conf.host or socket.gethostname())
    return api_app.setup_app(conf)


application = init_application()
