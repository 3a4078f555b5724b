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
        loop = periodic.Periodic(fn, 3600, 'eager', run_first=True,
                                 returns_due=True).start()
        self.assertTrue(again.wait(30))
        loop.stop()

    def _waits(self, fn, **kwargs):
        """The timeouts the loop waits for around three calls of fn."""
        loop = periodic.Periodic(fn, 20, 'counted', **kwargs)
        waits = []

        class Wake(object):
            def wait(self, timeout):
                waits.append(timeout)
                if len(waits) > 3:
                    loop._stop.set()

            def clear(self):
                pass

            def set(self):
                pass
        loop._wake = Wake()
        loop._loop()  # in this thread: returns once stopped
        return waits

    def test_a_returned_number_is_no_due_time_unless_asked(self):
        # The executors' heartbeats return how many rows they refreshed
        # (0 when idle): read as "again in 0 s", that made a busy loop.
        self.assertEqual([20, 20, 20, 20], self._waits(lambda: 0))
        self.assertEqual([20, 20, 20, 20], self._waits(lambda: 3))
        self.assertEqual([0.0, 0, 0, 0],
                         self._waits(lambda: 0, run_first=True,
                                     returns_due=True))
        self.assertEqual([20, 5, 5, 5],
                         self._waits(lambda: 5, returns_due=True))

    def test_executor_heartbeats_wait_the_interval(self):
        from mistral_clone.executor import service
        ex = service.Executor(None, workers=1, track_actions=True,
                              heartbeat_interval=3600)
        try:
            loop = ex._heartbeats
            self.assertFalse(loop.returns_due)
            self.assertEqual(0, ex.send_heartbeats())  # holds nothing
        finally:
            ex.stop()

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
