"""Health checks behind ``GET /healthcheck`` (oslo.middleware plugins).

oslo.middleware's ``healthcheck`` middleware runs the backends named in
``[healthcheck] backends``; ours (entry points ``mistral_clone_database`` and
``mistral_clone_broker`` of ``oslo.middleware.healthcheck``) are on by
default:

- the database answers ``SELECT 1``;
- in production mode (``transport_url`` set), the broker accepts a
  connection (an AMQP login for ``rabbit://``, a TCP connection otherwise)
  on at least one of its hosts.

Any failing backend makes the answer ``503``; ``[healthcheck] detailed``
adds the reasons to the body. Results are kept for a second, so a load
balancer polling often does not open a broker connection per probe.
"""

import socket
import threading
import time

import sqlalchemy as sa

from mistral_clone import lean_imports
lean_imports.oslo_middleware()  # before oslo_middleware's first import
from oslo_middleware.healthcheck import pluginbase  # noqa: E402

CACHE_SECONDS = 1.0


class _CachedCheck(pluginbase.HealthcheckBaseExtension):

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._result = None
        self._at = 0.0

    def healthcheck(self, server_port):
        with self._lock:
            now = time.monotonic()
            if self._result is None or now - self._at > CACHE_SECONDS:
                available, reason = self.check()
                self._result = pluginbase.HealthcheckResult(
                    available=available, reason=reason)
                self._at = now
            return self._result

    def check(self):
        raise NotImplementedError


class DatabaseCheck(_CachedCheck):

    def check(self):
        from mistral_clone.db import api as db_api
        try:
            with db_api.session() as s:
                s.execute(sa.text('SELECT 1'))
        except Exception as e:
            return False, 'database: unreachable (%s)' % type(e).__name__
        return True, 'database: OK (%s)' % db_api.dialect_name()


class BrokerCheck(_CachedCheck):

    def check(self):
        url = self.oslo_conf.transport_url
        if not url:
            return True, 'broker: none (embedded mode)'
        from oslo_config import cfg
        import oslo_messaging
        # A conf of its own: parse() registers oslo.messaging's
        # transport_url, which ours (same name, Mistral's) would clash with.
        parsed = oslo_messaging.TransportURL.parse(cfg.ConfigOpts(), url)
        errors = []
        for host in parsed.hosts:
            where = '%s:%s' % (host.hostname, host.port or 5672)
            try:
                _connect(parsed, host)
                return True, 'broker: OK (%s)' % where
            except Exception as e:
                errors.append('%s %s' % (where, type(e).__name__))
        return False, 'broker: unreachable (%s)' % ', '.join(errors)


def _connect(parsed, host, timeout=2.0):
    if parsed.transport.startswith('rabbit'):
        import kombu
        conn = kombu.Connection(
            hostname=host.hostname, port=host.port or 5672,
            userid=host.username, password=host.password,
            virtual_host=parsed.virtual_host or '/', transport='pyamqp',
            connect_timeout=timeout)
        try:
            conn.connect()
        finally:
            conn.release()
        return
    with socket.create_connection((host.hostname, host.port),
                                  timeout=timeout):
        pass
