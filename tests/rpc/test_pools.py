import threading
import time
import unittest

import futurist

from mistral_clone.rpc import pools


class LazyThreadPoolTest(unittest.TestCase):

    def setUp(self):
        self.pool = pools.LazyThreadPool(max_workers=4)
        self.addCleanup(self.pool.shutdown)

    def settled(self):
        # A future's result is out before its callbacks (our count) ran.
        deadline = time.monotonic() + 10
        while self.pool._outstanding and time.monotonic() < deadline:
            time.sleep(0.001)
        return self.pool._outstanding

    def test_one_thread_for_work_done_one_at_a_time(self):
        for i in range(20):
            self.assertEqual(i, self.pool.submit(lambda x: x, i).result(5))
            self.assertEqual(0, self.settled())
        # futurist's own pool has 4 threads by now.
        self.assertEqual(1, self.pool.num_workers)

    def test_threads_up_to_the_maximum_while_all_are_busy(self):
        release = threading.Event()
        futures = [self.pool.submit(release.wait, 10) for _ in range(6)]
        self.assertEqual(4, self.pool.num_workers)
        release.set()
        self.assertEqual([True] * 6, [f.result(10) for f in futures])
        self.assertEqual(4, self.pool.num_workers)

    def test_a_thread_for_each_busy_one(self):
        release = threading.Event()
        first = self.pool.submit(release.wait, 10)
        second = self.pool.submit(release.wait, 10)
        self.assertEqual(2, self.pool.num_workers)
        release.set()
        self.assertTrue(first.result(10) and second.result(10))

    def test_failures_and_rejections_are_counted_out(self):
        def boom():
            raise ValueError('x')
        self.assertRaises(ValueError, self.pool.submit(boom).result, 5)
        self.assertEqual(0, self.settled())
        self.pool.shutdown()
        self.assertRaises(RuntimeError, self.pool.submit, boom)
        self.assertEqual(0, self.pool._outstanding)


class UseLazyPoolTest(unittest.TestCase):

    def test_an_rpc_server_gets_the_lazy_pool(self):
        import oslo_messaging as messaging
        from oslo_config import cfg
        conf = cfg.ConfigOpts()
        transport = messaging.get_rpc_transport(conf, url='fake:')
        self.addCleanup(transport.cleanup)
        server = messaging.get_rpc_server(
            transport, messaging.Target(topic='t', server='s'), [],
            executor='threading')
        self.assertIs(futurist.ThreadPoolExecutor, server._executor_cls)
        self.assertIs(server, pools.use_lazy_pool(server))
        self.assertIs(pools.LazyThreadPool, server._executor_cls)

    def test_another_executor_is_left_alone(self):
        class Server(object):
            _executor_cls = object
        self.assertIs(object, pools.use_lazy_pool(Server())._executor_cls)
