"""CPU per ``Engine.start_workflow`` of the engine alone, on PostgreSQL.

One ``Engine`` in this process (executors over RPC, as in production:
``send_after_answer``; the executor client only collects what it is sent)
on a throwaway PostgreSQL database. Each round stores a new workflow of
``--tasks`` chained ``std.sleep seconds=0`` tasks (a new text: its spec is
not cached yet, as in each run of the production bench), then starts it
once (**cold**: the first start of a new workflow in this engine) and
``--starts`` times more (**warm**). Per start: CPU time of the calling
thread (``time.thread_time``) and of the process (the sender thread's
dispatch included), SQL statements (SQLAlchemy ``before_cursor_execute``)
and, with ``--calls``, Python function calls (cProfile of one more round,
not timed; a figure the machine's load does not move). The actions the
starts sent are checked (one per start) and dropped. ``--profile OUT``
writes that profile (warm starts only); ``--profile-cold OUT`` one of the
cold starts of ``--rounds`` more workflows.

    python bench/start_pg.py [--starts 50] [--rounds 3] [--tasks 20]
        [--calls] [--profile OUT.prof] [--db startcpu_start_pg]

The database (on 127.0.0.1:5432, user postgres, trust) is created and
dropped by the script.
"""

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
import uuid

import engine_pg  # this folder: the engine alone on PostgreSQL

_workflow = engine_pg._workflow


class Collector:
    """Stands in for the executor client: counts what the engine sends."""

    def __init__(self):
        self.sent = 0
        self._lock = threading.Lock()

    def run_action(self, runnable):
        with self._lock:
            self.sent += 1

    def run_actions(self, runnables):
        with self._lock:
            self.sent += len(runnables.items)

    def run_claimed(self, runnables):
        with self._lock:
            self.sent += len(runnables)


class Statements:
    def __init__(self, engine):
        from sqlalchemy import event
        self.count = 0
        self._engine = engine
        event.listen(engine, 'before_cursor_execute', self._seen)

    def _seen(self, *args):
        self.count += 1

    def close(self):
        from sqlalchemy import event
        event.remove(self._engine, 'before_cursor_execute', self._seen)


def _settle(engine):
    """Wait for the sender threads and the worker pool to be idle."""
    engine._pool.submit(lambda: None).result()
    deadline = time.monotonic() + 10
    while engine._sends and time.monotonic() < deadline:
        time.sleep(0.005)


def _start(engine, name, prof=None):
    """One start: (thread CPU s, process CPU s, statements)."""
    from mistral_clone.db import api as db_api
    stmts = Statements(db_api.get_engine())
    p0, t0 = time.process_time(), time.thread_time()
    if prof:
        prof.enable()
    # An id chosen by the caller, as the engine's RPC client does (its
    # calls are repeatable).
    engine.start_workflow(name, execution_id=str(uuid.uuid4()))
    if prof:
        prof.disable()
    t1 = time.thread_time()
    _settle(engine)
    p1 = time.process_time()
    stmts.close()
    return t1 - t0, p1 - p0, stmts.count


def _new_workflow(tasks, seq):
    from mistral_clone.services import workflows
    name = 'start_pg_%d_%d' % (seq, int(time.time() * 1000) % 10**6)
    workflows.create_workflows(_workflow(name, tasks))
    return name


def _ms(x):
    return '%.3f' % (x * 1000)


def _calls(profile_file, starts):
    return pstats.Stats(profile_file).total_calls / starts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--starts', type=int, default=50)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--tasks', type=int, default=20)
    parser.add_argument('--calls', action='store_true')
    parser.add_argument('--profile', help='cProfile of warm starts')
    parser.add_argument('--profile-cold', help='cProfile of cold starts')
    parser.add_argument('--db', default='startcpu_start_pg')
    args = parser.parse_args()
    with engine_pg.throwaway_database(args.db, 'start_pg'):
        from mistral_clone.engine.service import Engine
        collector = Collector()
        engine = Engine(executor_client=collector, send_after_answer=True)
        seq = [0]

        def workflow():
            seq[0] += 1
            return _new_workflow(args.tasks, seq[0])

        for _ in range(5):  # warm-up: imports, first statements
            _start(engine, workflow())
        cold, warm = [], []
        for r in range(args.rounds):
            name = workflow()
            # A full collection (due after the definition's creation) is
            # not the start's cost.
            gc.collect()
            cold.append(_start(engine, name))
            figures = [_start(engine, name) for _ in range(args.starts)]
            warm.append(tuple(statistics.median(f[i] for f in figures)
                              for i in range(3)))
            print('round %d: cold start %s ms thread CPU, %s ms process CPU,'
                  ' %d statements; warm (median of %d) %s ms, %s ms, %d '
                  'statements' % (r + 1, _ms(cold[-1][0]), _ms(cold[-1][1]),
                                  cold[-1][2], args.starts, _ms(warm[-1][0]),
                                  _ms(warm[-1][1]), warm[-1][2]))
        print('cold start: thread CPU ms median %s best %s; process %s; '
              'statements %d' % (
                  _ms(statistics.median(c[0] for c in cold)),
                  _ms(min(c[0] for c in cold)),
                  _ms(statistics.median(c[1] for c in cold)), cold[-1][2]))
        print('warm start: thread CPU ms median %s best %s; process %s; '
              'statements %d' % (
                  _ms(statistics.median(w[0] for w in warm)),
                  _ms(min(w[0] for w in warm)),
                  _ms(statistics.median(w[1] for w in warm)), warm[-1][2]))
        if args.calls or args.profile:
            name = workflow()
            _start(engine, name)
            prof = cProfile.Profile(time.thread_time)
            for _ in range(args.starts):
                _start(engine, name, prof)
            out = args.profile or os.path.join(tempfile.gettempdir(),
                                              'start_pg_warm.prof')
            prof.dump_stats(out)
            print('warm start: %.0f Python function calls' % _calls(
                out, args.starts))
        if args.calls or args.profile_cold:
            prof = cProfile.Profile(time.thread_time)
            n = args.rounds
            for _ in range(n):
                _start(engine, workflow(), prof)
            out = args.profile_cold or os.path.join(
                tempfile.gettempdir(), 'start_pg_cold.prof')
            prof.dump_stats(out)
            print('cold start: %.0f Python function calls' % _calls(out, n))
        expected = 5 + (args.starts + 1) * args.rounds + (
            (args.starts + 1) if (args.calls or args.profile) else 0) + (
            args.rounds if (args.calls or args.profile_cold) else 0)
        if collector.sent != expected:
            raise SystemExit('%d actions sent for %d starts'
                             % (collector.sent, expected))
        engine.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
