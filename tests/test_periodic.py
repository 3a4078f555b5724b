"""The one periodic-task helper (mistral_clone/periodic.py)."""

import threading
import unittest

from mistral_clone import periodic


class PeriodicTest(unittest.TestCase):

    def test_runs_until_stopped(self):
        calls = []
        three = threading.Event()

        def fn():
            calls.append(1)
            if len(calls) == 3:
                three.set()
        loop = periodic.Periodic(fn, 0.01, 'test-loop').start()
        self.assertTrue(three.wait(30))
        loop.stop()
        self.assertTrue(loop.stopped)
        done = len(calls)
        loop.stop()  # twice is harmless
        self.assertEqual(done, len(calls))

    def test_failures_are_logged_and_the_loop_goes_on(self):
        second = threading.Event()
        calls = []

        def fn():
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError('boom')
            second.set()
        with self.assertLogs('mistral_clone.periodic', 'ERROR') as logs:
            loop = periodic.Periodic(fn, 0.01, 'failing').start()
            self.assertTrue(second.wait(30))
            loop.stop()
        self.assertIn('Periodic task failing failed', logs.output[0])

    def test_wake_runs_at_once(self):
        ran = threading.Event()
        loop = periodic.Periodic(ran.set, 3600, 'sleepy').start()
        self.assertFalse(ran.wait(0.05))
        loop.wake()
        self.assertTrue(ran.wait(30))
        loop.stop()

    def test_run_first_and_returned_due_time(self):
        # fn asks to be called again in 0 s although the interval is long
        calls = []
        again = threading.Event()

        def fn():
            calls.append(1)
            if len(calls) == 2:
                again.set()
            return 0.0
        loop = periodic.Periodic(fn, 3600, 'eager', run_first=True).start()
        self.assertTrue(again.wait(30))
        loop.stop()

    def test_jitter_bounds(self):
        loop = periodic.Periodic(lambda: None, 10, 'j', jitter=0.25,
                                 random_extra=1)
        for _ in range(100):
            self.assertTrue(7.5 <= loop._next_wait() <= 13.5)


class ExecutorHeartbeatLoopTest(unittest.TestCase):
    """The executor's heartbeat loop waits its interval between calls,
    also when no action is held (send_heartbeats returns a count, 0 then,
    which Periodic once read as "call again at once": a spinning thread)."""

    def test_idle_heartbeats_do_not_spin(self):
        import time
        from mistral_clone.executor import service
        ex = service.Executor(engine_client=None, track_actions=True,
                              heartbeat_interval=0.2)
        calls = []
        ex.held_actions = lambda: calls.append(1) or []
        self.addCleanup(ex._heartbeats.stop)
        self.addCleanup(ex.stop)
        time.sleep(1.0)
        # ~5 calls at 0.2 s; a spinning loop makes thousands.
        self.assertLess(len(calls), 30)
