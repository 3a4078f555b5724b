"""rpc.servers.warm_up over the real RabbitMQ: an engine or executor opens
its sending connection (and an executor its reply queue) when it starts,
not when its first message leaves (the first delivery of a fresh executor
took ~45-60 ms more than the next ones, on the critical path of its work)."""

import types
import unittest

from mistral_clone.rpc import servers
from tests.integration import production_env


class WarmUpTest(unittest.TestCase):

    def setUp(self):
        reason = production_env.rabbitmq_reason()
        if reason:
            self.skipTest(reason)
        conf = types.SimpleNamespace(config_file=[], config_dir=[])
        self.transport = servers.get_transport(
            conf, url='rabbit://guest:guest@127.0.0.1:%d/'
            % production_env.RABBIT_PORT)
        self.addCleanup(self.transport.cleanup)
        self.driver = self.transport._driver

    def warm(self, replies):
        thread = servers.warm_up(self.transport, replies=replies)
        thread.join(60)
        self.assertFalse(thread.is_alive())

    def test_an_executor_opens_a_sending_connection_and_its_reply_queue(self):
        self.assertIsNone(self.driver._reply_q)
        self.warm(replies=True)
        self.assertEqual(1, len(self.driver._connection_pool._items))
        self.assertTrue(self.driver._reply_q.startswith('reply_'))

    def test_an_engine_opens_a_sending_connection_only(self):
        self.warm(replies=False)
        self.assertEqual(1, len(self.driver._connection_pool._items))
        self.assertIsNone(self.driver._reply_q)

    def test_a_transport_without_those_parts_is_left_alone(self):
        self.assertIsNone(servers.warm_up(types.SimpleNamespace(_driver=None)))
