"""Logging of the service processes: oslo.log with Mistral's options.

``[DEFAULT] debug``, ``log_file``, ``log_dir``, ``use_syslog``,
``syslog_log_facility``, ``use_journal``, ``use_json``, ``use_stderr``,
``default_log_levels``, ``log_config_append``, ``watch_log_file``,
``logging_context_format_string``, ... all behave as in any OpenStack
service (they are oslo.log's). Our defaults add to oslo.log's
``default_log_levels`` the libraries whose DEBUG output is noise for an
operator (``config.DEFAULT_LOG_LEVELS``): SQL echo (``sqlalchemy``) and
migrations (``alembic``) stay at WARNING even with ``debug = True``.

Every handler's formatter is wrapped by :mod:`mistral_clone.masking`, so no
password, token or URL credential reaches a log line at any level.

What is logged at INFO: the start banner (:func:`banner`), one line per API
request (``api/middleware.py``), the workflow trace (``observe.py``), cron
firings, services joining and leaving, recoveries and the shutdown.
"""

import logging
import os
import socket

from oslo_log import log as oslo_logging

from mistral_clone import masking
from mistral_clone import version

LOG = logging.getLogger('mistral_clone')

DOMAIN = 'mistral_clone'


def setup(conf):
    """Configure the root logger from ``conf`` (after parsing it)."""
    oslo_logging.setup(conf, DOMAIN, version=version.VERSION)
    masking.install()
    logging.captureWarnings(True)


def banner(conf, components):
    """The start-up lines: version, services, database, transport, files."""
    mode = 'production' if conf.transport_url else 'embedded'
    LOG.info('mistral_clone %s starting (%s mode, pid %d, host %s): %s',
             version.VERSION, mode, os.getpid(),
             conf.host or socket.gethostname(), ', '.join(components))
    LOG.info('Database: %s', masking.mask_url(conf.database.connection))
    LOG.info('Transport: %s', masking.mask_url(conf.transport_url)
             if conf.transport_url else 'in-process (no broker)')
    LOG.info('Configuration files: %s',
             ', '.join(conf.config_file) if conf.config_file else 'none')
    if conf.debug:
        # oslo.config's own dump of every option, secrets masked.
        conf.log_opt_values(LOG, logging.DEBUG)
