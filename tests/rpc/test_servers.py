import types
import unittest
from unittest import mock

from mistral_clone.rpc import servers


class FakeServer(object):
    pool_size = 'not started'

    def start(self, override_pool_size=None):
        self.pool_size = override_pool_size


class StartServerTest(unittest.TestCase):

    def start(self, max_threads, configured):
        server = FakeServer()
        mconf = types.SimpleNamespace(executor_thread_pool_size=configured)
        with mock.patch.object(servers, 'messaging_conf',
                               return_value=mconf):
            servers.start_server(server, conf=None, max_threads=max_threads)
        return server.pool_size

    def test_capped_by_max_threads(self):
        # An executor's handlers only claim and queue for its workers.
        self.assertEqual(16, self.start(16, 64))

    def test_a_smaller_configured_pool_stays(self):
        self.assertEqual(8, self.start(16, 8))

    def test_without_cap_the_configured_pool(self):
        # None: oslo.messaging reads executor_thread_pool_size itself.
        self.assertIsNone(self.start(None, 64))


class EngineRpcThreadsTest(unittest.TestCase):

    def threads(self, pool_size, overflow):
        from mistral_clone import launcher
        conf = types.SimpleNamespace(database=types.SimpleNamespace(
            max_pool_size=pool_size, max_overflow=overflow))
        return launcher.engine_rpc_threads(conf)

    def test_as_many_as_database_connections(self):
        self.assertEqual(30, self.threads(10, 20))
        self.assertEqual(5, self.threads(5, 0))

    def test_no_cap_for_an_unlimited_overflow(self):
        self.assertIsNone(self.threads(10, -1))


class HandleAroundTest(unittest.TestCase):
    """``make_server(around=...)``: each message is handled and answered
    inside the block (an engine reports its state changes on the way
    out, after the caller has its answer)."""

    def test_the_answer_leaves_before_the_block_ends(self):
        import contextlib
        import threading

        import oslo_messaging as messaging

        from mistral_clone.rpc import contracts

        answered = threading.Event()
        seen = []

        @contextlib.contextmanager
        def around():
            seen.append('enter')
            yield
            # The caller's call returned already (it sets the event).
            seen.append(answered.wait(10))

        class Service(object):
            def run_job(self, job_id):
                seen.append(job_id)

        # A ConfigOpts of its own, with the options oslo.messaging reads
        # from it (as the services' own, servers.messaging_conf).
        with mock.patch.object(servers, '_messaging_conf', None):
            mconf = servers.messaging_conf(types.SimpleNamespace())
        transport = messaging.get_rpc_transport(mconf, url='fake:/')
        self.addCleanup(transport.cleanup)
        server = servers.make_server(transport, 'topic-around', 'one',
                                     Service(), contracts.EngineApi,
                                     around=around)
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        client = messaging.get_rpc_client(
            transport, messaging.Target(topic='topic-around', version='1.0'),
            timeout=10)
        self.assertIsNone(client.call({}, 'run_job', job_id='j1'))
        answered.set()
        for _ in range(200):
            if len(seen) == 3:
                break
            threading.Event().wait(0.05)
        self.assertEqual(['enter', 'j1', True], seen)
