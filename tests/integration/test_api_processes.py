"""The API in several processes over PostgreSQL and RabbitMQ (issue 10
item 4, issue 13 item 6): our own server with ``[api] api_workers = 2``,
and gunicorn ``--preload`` with 2 workers forking from a process that
already set the application up. Every request of a concurrent mix of reads
and writes must succeed — a database connection or thread shared across a
fork shows up here as errors ("PGRES_TUPLES_OK and no message from the
libpq", 500s) — the processes share one ``api_group`` row in /v2/services,
and /metrics adds up all workers.
"""

import concurrent.futures
import os
import signal
import subprocess
import time
import unittest
import uuid

import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests import paths
from tests.integration import production_env as pe

WF = "---\nversion: '2.0'\n%s:\n  tasks:\n    t:\n      action: std.noop\n"


children = pe.children


def _request_count(metrics_text, method, route):
    total = 0
    for family in text_string_to_metric_families(metrics_text):
        for s in family.samples:
            if s.name == 'mistral_api_request_duration_seconds_count' and \
                    s.labels.get('method') == method and \
                    s.labels.get('route') == route:
                total += s.value
    return total


class ApiProcessesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.environ.get('MC_PRODUCTION_TESTS', '1') == '0':
            raise unittest.SkipTest('MC_PRODUCTION_TESTS=0')
        reason = pe.unavailable_reason('postgresql')
        if reason:
            raise unittest.SkipTest(reason)
        cls.d = pe.Deployment('postgresql', options={
            ('coordination', 'heartbeat_interval'): 1})
        try:
            cls.d.create()
        except Exception:
            cls.d.destroy()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.destroy(keep_tmp=bool(os.environ.get('MC_KEEP_LOGS')))

    def hammer(self, root, requests_per_thread=25, threads=8):
        """A concurrent mix of reads and writes; [(what, status)] of every
        request that did not succeed, and the number of list requests."""
        v2 = root + '/v2'

        def work(n):
            session = requests.Session()
            failures, lists = [], 0
            for i in range(requests_per_thread):
                kind = i % 4
                try:
                    if kind == 0:
                        r = session.post(v2 + '/workflows', data=WF % (
                            'fork_%s' % uuid.uuid4().hex[:10]),
                            headers={'Content-Type': 'text/plain'},
                            timeout=60)
                    elif kind == 1:
                        r = session.get(v2 + '/workflows', timeout=60)
                        lists += 1
                    elif kind == 2:
                        r = session.get(v2 + '/services', timeout=60)
                    else:
                        r = session.get(root + '/healthcheck', timeout=60)
                    if r.status_code >= 300:
                        failures.append((kind, r.status_code, r.text[:200]))
                except requests.RequestException as e:
                    failures.append((kind, 'error', str(e)[:200]))
            return failures, lists

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(work, range(threads)))
        return ([f for failures, _ in results for f in failures],
                sum(lists for _, lists in results))

    def api_rows(self, root):
        services = requests.get(root + '/v2/services', timeout=30).json()[
            'services']
        return [s for s in services if s['type'] == 'api_group']

    def wait_for(self, predicate, timeout, message):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        self.fail(message)

    def test_our_server_with_two_worker_processes(self):
        d = self.d
        d.add('api', 'api', {('api', 'api_workers'): 2})
        proc = d.start('api')
        try:
            d.wait_api()
            root = d.url[:-len('/v2')]
            workers = self.wait_for(lambda: len(children(proc.pid)) == 2
                                    and children(proc.pid), 60,
                                    'two worker processes')
            failures, lists = self.hammer(root)
            self.assertEqual([], failures)
            self.assertEqual([{'name': 'api', 'type': 'api_group'}],
                             self.api_rows(root))
            # Any worker answers /metrics for all of them.
            counted = _request_count(requests.get(root + '/metrics').text,
                                     'GET', '/v2/workflows')
            self.assertGreaterEqual(counted, lists)
            # A worker that dies is replaced; service goes on.
            os.kill(workers[0], signal.SIGKILL)
            self.wait_for(lambda: len(children(proc.pid)) == 2 and
                          workers[0] not in children(proc.pid), 60,
                          'a new worker process')
            failures, _ = self.hammer(root, requests_per_thread=5)
            self.assertEqual([], failures)
            remaining = children(proc.pid)
        finally:
            d.kill('api', signal.SIGTERM)
        self.assertEqual(0, proc.popen.returncode, d.tail('api'))
        for pid in remaining:
            self.assertFalse(os.path.exists('/proc/%d/stat' % pid) and
                             'Z' not in open('/proc/%d/stat' % pid).read()
                             .rsplit(')', 1)[1].split()[0],
                             'worker %d outlived its master' % pid)
        log = d.tail('api', 400)
        self.assertIn('with 2 worker processes', log)
        self.assertNotIn('Traceback', log)

    def test_gunicorn_preload_two_workers(self):
        d = self.d
        port = pe.free_port()
        # gunicorn's output and the application's log (no log_file in the
        # deployment's configuration: standard output).
        out = open(os.path.join(d.tmp, 'gunicorn.out'), 'wb')
        self.addCleanup(out.close)
        env = dict(os.environ, MISTRAL_CLONE_CONFIG=d.conf_path)
        proc = subprocess.Popen(
            [paths.command('gunicorn'), '--preload', '-w', '2', '-k',
             'gthread', '--threads', '4', '-b', '127.0.0.1:%d' % port,
             '--graceful-timeout', '10', 'mistral_clone.api.wsgi:application'],
            cwd=d.tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = 'http://127.0.0.1:%d' % port
        try:
            def up():
                try:
                    return requests.get(root + '/v2/workflows',
                                        timeout=5).ok
                except requests.RequestException:
                    self.assertIsNone(proc.poll(), 'gunicorn exited')
                    return False
            self.wait_for(up, 120, 'gunicorn to serve')
            failures, _ = self.hammer(root)
            self.assertEqual([], failures)
            self.assertEqual(1, len(self.api_rows(root)))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        # The stopped server left its row as it exited (not only once its
        # heartbeats aged out).
        self.assertEqual(0, proc.returncode)
        self.assertEqual([], self.rows_in_database())

    def rows_in_database(self):
        engine = sa.create_engine(self.d.db_url)
        try:
            with engine.connect() as c:
                return c.execute(sa.text(
                    "SELECT name FROM services WHERE type = 'api_group'")
                ).scalars().all()
        finally:
            engine.dispose()
