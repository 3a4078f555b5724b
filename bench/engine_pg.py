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
``--rounds`` rounds; the CPU time of the PostgreSQL backends serving the
engine's connections (``/proc/PID/schedstat`` of each
``pg_backend_pid()``: PostgreSQL must run on this machine) per
transition; and the database round trips per engine transaction:
statements run (SQLAlchemy's ``before_cursor_execute``), plus the
``BEGIN`` psycopg2 sends alone before a statement when it is not in
autocommit and no transaction is open, plus the ``COMMIT`` or
``ROLLBACK`` that ends a transaction open on the server (SQLAlchemy's
``commit`` and ``rollback`` events; psycopg2 sends nothing for the
others), over the transactions (commits and rollbacks) of the round. State changes are tracked as in an engine process
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
import contextlib
import statistics
import subprocess
import sys
import time

PSQL = ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-q', '-v',
        'ON_ERROR_STOP=1', '-c']


@contextlib.contextmanager
def throwaway_database(db, marker):
    """The database ``db`` on 127.0.0.1:5432 (user postgres, trust), new
    and set up as an engine process's (tables created, state changes
    traced), dropped at the end; its name must contain ``marker`` (the
    database is dropped first)."""
    if marker not in db:
        raise SystemExit('--db must contain "%s" (it is dropped)' % marker)
    subprocess.run(PSQL + ['DROP DATABASE IF EXISTS %s WITH (FORCE)' % db],
                   check=True)
    subprocess.run(PSQL + ['CREATE DATABASE %s' % db], check=True)
    try:
        from mistral_clone.db import api as db_api
        from mistral_clone.db import tracking
        db_api.setup('postgresql+psycopg2://postgres@127.0.0.1:5432/%s'
                     % db, create_tables=True)
        tracking.install()  # state changes traced, as in an engine
        yield
        db_api.dispose()
    finally:
        subprocess.run(PSQL + ['DROP DATABASE IF EXISTS %s WITH (FORCE)'
                               % db])


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


_IDLE = 0  # psycopg2.extensions.TRANSACTION_STATUS_IDLE


class Trips:
    """Counts the database round trips of every engine of the process and
    keeps the backend pid of every connection opened (the ``connect``
    event, before the connection is used)."""

    def __init__(self):
        self.trips = self.transactions = 0
        self.pids = set()

    def install(self):
        import sqlalchemy as sa
        from sqlalchemy import event
        event.listen(sa.pool.Pool, 'connect', self._connected)

    def _connected(self, dbapi_conn, record):
        cursor = dbapi_conn.cursor()
        cursor.execute('SELECT pg_backend_pid()')
        self.pids.add(cursor.fetchone()[0])
        cursor.close()
        dbapi_conn.rollback()

    def _statement(self, conn, cursor, *args):
        self.trips += 1
        driver = cursor.connection
        if not driver.autocommit and \
                driver.get_transaction_status() == _IDLE:
            self.trips += 1  # psycopg2 sends BEGIN first, alone

    def _end(self, conn):
        self.transactions += 1
        driver = conn.connection.dbapi_connection
        if driver.get_transaction_status() != _IDLE:
            self.trips += 1  # COMMIT or ROLLBACK (else nothing is sent)

    _EVENTS = (('before_cursor_execute', '_statement'),
               ('commit', '_end'), ('rollback', '_end'))

    def counting(self, on):
        import sqlalchemy as sa
        from sqlalchemy import event
        for name, method in self._EVENTS:
            (event.listen if on else event.remove)(
                sa.engine.Engine, name, getattr(self, method))

    def backend_cpu(self):
        """CPU seconds of the backends of our connections so far."""
        total = 0
        for pid in self.pids:
            try:
                with open('/proc/%d/schedstat' % pid) as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass  # its connection was closed
        return total / 1e9


def _round(engine, collector, name, chains, per_delivery, trips,
           profile=None):
    from mistral_clone.db import api as db_api
    from mistral_clone.rpc import contracts
    from sqlalchemy import event

    ids = [engine.start_workflow(name)['id'] for _ in range(chains)]
    engine._pool.submit(lambda: None).result()  # deferred work done
    time.sleep(0.2)
    trips.trips = trips.transactions = 0
    trips.counting(True)
    statements = [0]

    def count(*args):
        statements[0] += 1
    event.listen(db_api.get_engine(), 'before_cursor_execute', count)
    transitions = deliveries = 0
    ok = contracts.ActionResult(data=None)
    prof = cProfile.Profile(time.thread_time) if profile else None
    backend0 = trips.backend_cpu()
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
    backend = trips.backend_cpu() - backend0
    trips.counting(False)
    event.remove(db_api.get_engine(), 'before_cursor_execute', count)
    from mistral_clone.db import models
    with db_api.session() as s:
        states = collections.Counter(
            s.get(models.WorkflowExecution, i).state for i in ids)
    if states != {'SUCCESS': chains}:
        raise SystemExit('executions not all SUCCESS: %s' % dict(states))
    return Figures(cpu, statements[0], transitions, deliveries, backend,
                   trips.trips, trips.transactions)


Figures = collections.namedtuple('Figures', 'cpu statements transitions '
                                 'deliveries backend trips transactions')





def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--chains', type=int, default=20)
    parser.add_argument('--tasks', type=int, default=20)
    parser.add_argument('--per-delivery', type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument('--db', default='engcpu_engine_pg')
    parser.add_argument('--profile', help='cProfile of the last round')
    args = parser.parse_args()
    trips = Trips()
    trips.install()
    with throwaway_database(args.db, 'engine_pg'):
        from mistral_clone.engine.service import Engine
        from mistral_clone.services import workflows
        name = 'engine_pg_chain'
        workflows.create_workflows(_workflow(name, args.tasks))
        collector = Collector()
        engine = Engine(executor_client=collector)
        _round(engine, collector, name, 2, args.per_delivery, trips)  # warm-up
        figures = []
        for i in range(args.rounds + bool(args.profile)):
            last = i == args.rounds
            f = _round(engine, collector, name, args.chains,
                       args.per_delivery, trips,
                       profile=args.profile if last else None)
            if last and args.profile:
                print('round %d: profiled (%.3f s CPU), not counted'
                      % (i + 1, f.cpu))
                continue
            n = f.transitions
            figures.append((f.cpu * 1000 / n, f.backend * 1000 / n,
                            f.statements / n, f.trips / f.transactions))
            print('round %d: %d transitions in %d deliveries, %d '
                  'transactions; CPU ms/transition: engine %.3f, PostgreSQL '
                  '%.3f; %.2f statements/transition, %.2f round trips/'
                  'transaction' % ((i + 1, n, f.deliveries, f.transactions)
                                   + figures[-1]))
        engine_ms, pg_ms = ([f[k] for f in figures] for k in (0, 1))
        print('CPU ms/transition: engine best %.3f median %.3f, PostgreSQL '
              'best %.3f median %.3f; statements/transition %.2f, round '
              'trips/transaction %.2f' % (
                  min(engine_ms), statistics.median(engine_ms), min(pg_ms),
                  statistics.median(pg_ms), figures[-1][2], figures[-1][3]))
        engine.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
