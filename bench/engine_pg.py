"""CPU per transition of the engine alone, on PostgreSQL (no RPC).

One ``Engine`` in this process on a throwaway PostgreSQL database: a
workflow of ``--tasks`` chained ``std.sleep seconds=0`` tasks, ``--chains``
executions started, then the actions the engine sends out are answered
(``ActionResult(data=None)``) and fed back through
``Engine.on_action_results(results, take=N)`` ``--per-delivery`` at a time,
as an executor delivers them; the actions handed back join the queue.
Figures cover the feeding phase only (the executions were started and
their first actions sent before): process CPU time (``time.process_time``)
and SQL statements (SQLAlchemy ``before_cursor_execute``) per transition
(one result recorded and the next task started), best and median of
``--rounds`` rounds. State changes are tracked as in an engine process
(``db.tracking``; the trace logger is left at WARNING). ``--profile FILE``
writes a cProfile (thread CPU time) of one more round, not counted, and
prints its Python function calls per transition (a figure that does not
depend on the machine's load).

    python bench/engine_pg.py [--chains 20] [--tasks 20] [--per-delivery 9]
        [--rounds 3] [--db engcpu_engine_pg] [--profile OUT.prof]

The database (on 127.0.0.1:5432, user postgres, trust) is created and
dropped by the script.
"""

import argparse
import cProfile
import collections
import statistics
import subprocess
import sys
import time

PSQL = ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-q', '-v',
        'ON_ERROR_STOP=1', '-c']


def _workflow(name, tasks):
    lines = ["---", "version: '2.0'", name + ":", "  tasks:"]
    for i in range(tasks):
        lines.append("    t%d:" % i)
        lines.append("      action: std.sleep seconds=0")
        if i + 1 < tasks:
            lines.append("      on-success: t%d" % (i + 1))
    return '\n'.join(lines) + '\n'


class Collector:
    """Stands in for the executor client: keeps what the engine sends."""

    def __init__(self):
        self.queue = collections.deque()

    def run_action(self, runnable):
        self.queue.append(runnable)

    def run_actions(self, runnables):
        self.queue.extend(runnables.items)

    def run_claimed(self, runnables):
        self.queue.extend(runnables)


def _round(engine, collector, name, chains, per_delivery, profile=None):
    from mistral_clone.db import api as db_api
    from mistral_clone.rpc import contracts
    from sqlalchemy import event

    ids = [engine.start_workflow(name)['id'] for _ in range(chains)]
    engine._pool.submit(lambda: None).result()  # deferred work done
    time.sleep(0.2)
    statements = [0]

    def count(*args):
        statements[0] += 1
    event.listen(db_api.get_engine(), 'before_cursor_execute', count)
    transitions = deliveries = 0
    ok = contracts.ActionResult(data=None)
    prof = cProfile.Profile(time.thread_time) if profile else None
    cpu0 = time.process_time()
    if prof:
        prof.enable()
    while collector.queue:
        batch = [collector.queue.popleft()
                 for _ in range(min(per_delivery, len(collector.queue)))]
        results = contracts.ActionResults(tuple(
            (r.action_ex_id, ok) for r in batch))
        answer = engine.on_action_results(results, take=len(batch))
        collector.queue.extend(answer.actions.items)
        transitions += len(batch)
        deliveries += 1
    if prof:
        prof.disable()
        prof.dump_stats(profile)
        import pstats
        calls = pstats.Stats(profile).total_calls
        print('profiled round: %.0f Python function calls per transition'
              % (calls / transitions))
    cpu = time.process_time() - cpu0
    event.remove(db_api.get_engine(), 'before_cursor_execute', count)
    from mistral_clone.db import models
    with db_api.session() as s:
        states = collections.Counter(
            s.get(models.WorkflowExecution, i).state for i in ids)
    if states != {'SUCCESS': chains}:
        raise SystemExit('executions not all SUCCESS: %s' % dict(states))
    return cpu, statements[0], transitions, deliveries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--chains', type=int, default=20)
    parser.add_argument('--tasks', type=int, default=20)
    parser.add_argument('--per-delivery', type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument('--db', default='engcpu_engine_pg')
    parser.add_argument('--profile', help='cProfile of the last round')
    args = parser.parse_args()
    if 'engine_pg' not in args.db:
        raise SystemExit('--db must contain "engine_pg" (it is dropped)')
    subprocess.run(PSQL + ['DROP DATABASE IF EXISTS %s WITH (FORCE)' % args.db],
                   check=True)
    subprocess.run(PSQL + ['CREATE DATABASE %s' % args.db], check=True)
    try:
        from mistral_clone.db import api as db_api
        from mistral_clone.db import tracking
        from mistral_clone.engine.service import Engine
        from mistral_clone.services import workflows
        db_api.setup('postgresql+psycopg2://postgres@127.0.0.1:5432/%s'
                     % args.db, create_tables=True)
        tracking.install()  # state changes traced, as in an engine
        name = 'engine_pg_chain'
        workflows.create_workflows(_workflow(name, args.tasks))
        collector = Collector()
        engine = Engine(executor_client=collector)
        _round(engine, collector, name, 2, args.per_delivery)  # warm-up
        figures = []
        for i in range(args.rounds + bool(args.profile)):
            last = i == args.rounds
            cpu, stmts, transitions, deliveries = _round(
                engine, collector, name, args.chains, args.per_delivery,
                profile=args.profile if last else None)
            if last and args.profile:
                print('round %d: profiled (%.3f s CPU), not counted'
                      % (i + 1, cpu))
                continue
            figures.append((cpu * 1000 / transitions, stmts / transitions))
            print('round %d: %d transitions in %d deliveries, %.3f s CPU, '
                  '%.3f ms CPU/transition, %.2f statements/transition'
                  % (i + 1, transitions, deliveries, cpu,
                     figures[-1][0], figures[-1][1]))
        ms = [f[0] for f in figures]
        print('CPU ms/transition: best %.3f median %.3f; statements/'
              'transition %.2f' % (min(ms), statistics.median(ms),
                                   figures[-1][1]))
        engine.stop()
        db_api.dispose()
    finally:
        subprocess.run(PSQL + ['DROP DATABASE IF EXISTS %s WITH (FORCE)'
                               % args.db])
    return 0


if __name__ == '__main__':
    sys.exit(main())
