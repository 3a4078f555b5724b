"""The thread pool our RPC servers hand their messages to.

oslo.messaging's ``threading`` executor is ``futurist.ThreadPoolExecutor``,
which starts a new thread at each submission until it has ``max_workers``,
whether or not a thread it already has is waiting for work. An engine
serving a burst of results on 2 cores ran at most ~5 handlers at once
(database connections checked out) yet ended with all 30 of its handler
threads, each having touched the stacks of a transaction (issue 14: VmHWM
per process). :class:`LazyThreadPool` starts one only when every thread it
has is busy, as the standard library's ``ThreadPoolExecutor`` does: the
same handlers, the same maximum, the threads a load needs.
"""

import threading

import futurist


class LazyThreadPool(futurist.ThreadPoolExecutor):
    """``futurist.ThreadPoolExecutor`` starting a thread only when the work
    submitted and not finished (this submission included) outnumbers its
    threads. Counting is conservative: a work item counts until its future's
    callbacks ran, so a thread just finishing one may make the pool start
    another, never leave a submission waiting while a thread could start."""

    def __init__(self, *args, **kwargs):
        super(LazyThreadPool, self).__init__(*args, **kwargs)
        self._outstanding = 0
        self._count_lock = threading.Lock()

    def submit(self, fn, *args, **kwargs):
        with self._count_lock:
            self._outstanding += 1
        try:
            future = super(LazyThreadPool, self).submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future):
        with self._count_lock:
            self._outstanding -= 1

    def _maybe_spin_up(self):
        # futurist calls this (under its lock) before queueing the work.
        if self._outstanding > len(self._workers):
            return super(LazyThreadPool, self)._maybe_spin_up()
        return False


def use_lazy_pool(server):
    """Make ``server`` (an oslo.messaging server, not started) run its
    handlers on a :class:`LazyThreadPool` when it would use futurist's
    pool; any other executor is left as it is."""
    if getattr(server, '_executor_cls', None) is futurist.ThreadPoolExecutor:
        server._executor_cls = LazyThreadPool
    return server
