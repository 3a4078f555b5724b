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
