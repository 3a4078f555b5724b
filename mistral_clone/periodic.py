"""One helper for every periodic loop of the services.

The scheduler, the event engine, the service heartbeats, the engines'
action-recovery check and the executors' action heartbeats all run a
function every few seconds in a daemon thread, log its failures and go on,
and stop on request. :class:`Periodic` is that loop, written once.

Why not oslo.service's ``FixedIntervalLoopingCall``: its default backend
runs on eventlet green threads, which never get scheduled in our plain
threaded processes; its threading backend is a process-wide switch
(``init_backend``) we would force on every library in the process; and
neither can be *woken* early, which the scheduler needs (a job due in 50 ms
must not wait for the next poll) and the event engine uses (re-read the
triggers now).
"""

import logging
import random
import threading

LOG = logging.getLogger(__name__)


class Periodic:
    """Call ``fn()`` every ``interval`` seconds in a daemon thread.

    * ``jitter`` spreads the calls of several processes: each wait is
      ``interval * uniform(1 - jitter, 1 + jitter)``;
    * ``random_extra`` adds ``uniform(0, random_extra)`` seconds to each wait;
    * ``run_first``: call once at start instead of waiting first;
    * ``returns_due``: ``fn`` returns a number of seconds (or None), and
      the next call comes no later than that (the scheduler's next due
      job). Without it what ``fn`` returns is ignored: a function that
      returns a count (the executors' heartbeats: rows refreshed) must not
      be read as "call me again in 0 s", which made an idle executor call
      it in a busy loop;
    * :meth:`wake` makes the next call happen now.
    """

    def __init__(self, fn, interval, name, jitter=0.0, random_extra=0.0,
                 run_first=False, returns_due=False):
        self.fn = fn
        self.interval = interval
        self.name = name
        self.jitter = jitter
        self.random_extra = random_extra
        self.run_first = run_first
        self.returns_due = returns_due
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None

    @property
    def stopped(self):
        return self._stop.is_set()

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=self.name)
        self._thread.start()
        return self

    def wake(self):
        self._wake.set()

    def stop(self, timeout=5):
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=timeout)

    def _next_wait(self):
        wait = self.interval
        if self.jitter:
            wait *= random.uniform(1 - self.jitter, 1 + self.jitter)
        if self.random_extra:
            wait += random.uniform(0, self.random_extra)
        return wait

    def _loop(self):
        wait = 0.0 if self.run_first else self._next_wait()
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            if self._stop.is_set():
                return
            due = None
            try:
                due = self.fn()
            except Exception:
                LOG.exception('Periodic task %s failed', self.name)
            wait = self._next_wait()
            if self.returns_due and isinstance(due, (int, float)) and \
                    not isinstance(due, bool):
                wait = max(0.0, min(wait, due))
