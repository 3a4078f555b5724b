"""Chaos: production mode under load while its parts die.

One deployment (API, scheduler, two engines, two executors as separate
processes over RabbitMQ, on a PostgreSQL server of the test's own —
``private_postgres.py``) runs 200 concurrent executions of three
3-second actions each: ``prepare`` (``std.sleep``, ``safe-rerun: true``),
``effect`` (``std.http`` to a counter in this test that answers after 3 s:
the side effect) and ``finish`` (``std.sleep``), the last two without
safe-rerun. Meanwhile an engine, an executor and the scheduler are killed
-9 in turn and restarted, and PostgreSQL is stopped as in a crash
(``immediate``) and started again.

Asserted: every execution ends, in SUCCESS, or in ERROR only because a task
without safe-rerun had its action on the killed executor (``Heartbeat
wasn't received.``); no action of a task without safe-rerun runs twice (one
action execution per such task, at most one side effect, exactly one when
the task succeeded). Printed: how long after each kill or restart the
deployment made progress again (an action finished), and the whole run.

Recovery settings are short (``RECOVERY``) so that the run stays bounded.
Skipped when RabbitMQ or the PostgreSQL server binaries are missing, or
with ``MC_PRODUCTION_TESTS=0``.
"""

import collections
import datetime
import http.server
import os
import threading
import time
import unittest
import urllib.parse

import sqlalchemy as sa

from tests.integration import private_postgres
from tests.integration import production_env as pe

EXECUTIONS = 200
TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')
HEARTBEAT_LOST = "Heartbeat wasn't received."
UNSAFE_TASKS = ('effect', 'finish')

# Failure detection: an executor's actions are judged lost after 10 s
# without heartbeats (a live executor writes one every second; 10 leaves
# room for a loaded machine), an unclaimed dispatch after 5 s, a claimed
# job after 5 s; a result delivery is repeated after 10 s without answer.
RECOVERY = {
    ('action_heartbeat', 'check_interval'): 1,
    ('action_heartbeat', 'max_missed_heartbeats'): 10,
    ('action_heartbeat', 'first_heartbeat_timeout'): 5,
    ('action_heartbeat', 'batch_size'): 0,
    ('scheduler', 'captured_job_timeout'): 5,
    ('coordination', 'heartbeat_interval'): 1,
    ('DEFAULT', 'rpc_response_timeout'): 10,
    # the side-effect counter listens on 127.0.0.1
    ('action_std_http', 'denied_cidrs'): '',
}

CHAOS_WF = """---
version: '2.0'
chaos_wf:
  input: [n, url]
  output: {n: <% $.n %>}
  tasks:
    prepare:
      action: std.sleep seconds=3
      safe-rerun: true
      on-success: effect
    effect:
      action: std.http
      input:
        url: <% $.url %>?ex=<% execution().id %>
        timeout: 60
      on-success: finish
    finish:
      action: std.sleep seconds=3
"""


class _Counter(http.server.BaseHTTPRequestHandler):
    """Counts calls per execution (on arrival), answers after 3 s."""

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        with self.server.lock:
            self.server.hits[query.get('ex', ['?'])[0]] += 1
        time.sleep(3)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the caller's executor was killed meanwhile

    def log_message(self, *args):
        pass


def _start_counter():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Counter)
    server.daemon_threads = True
    server.hits = collections.Counter()
    server.lock = threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Progress:
    """Samples, in a thread, how many actions have finished; a sample is
    missing while the database is down."""

    def __init__(self, db):
        self.db = db
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.wait(0.2):
            try:
                with self.db.connect() as c:
                    done = c.execute(sa.text(
                        "SELECT COUNT(*) FROM action_executions "
                        "WHERE state <> 'RUNNING'")).scalar()
                self.samples.append((time.time(), done))
            except Exception:
                pass

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def resumed_after(self, t):
        """Seconds from ``t`` to the first action finished after it (None
        if none did)."""
        before = [d for ts, d in self.samples if ts <= t]
        base = before[-1] if before else 0
        for ts, d in self.samples:
            if ts > t and d > base:
                return ts - t
        return None


class ChaosTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.environ.get('MC_PRODUCTION_TESTS', '1') == '0':
            raise unittest.SkipTest('MC_PRODUCTION_TESTS=0')
        reason = (pe.rabbitmq_reason() or
                  private_postgres.unavailable_reason())
        if reason:
            raise unittest.SkipTest(reason)
        cls.pg = private_postgres.PrivatePostgres()
        cls.d = None
        try:
            cls.pg.start()
            d = cls.d = pe.Deployment(
                'postgresql', options=RECOVERY,
                db_url=cls.pg.create_database('chaos'))
            d.create()
            d.add_typical()
            d.start_all()
            d.create_workflows(CHAOS_WF)
            cls.db = sa.create_engine(d.db_url, poolclass=sa.pool.NullPool)
        except Exception:
            if cls.d is not None:
                print(cls.d.logs())
                cls.d.destroy()
            cls.pg.destroy()
            raise
        cls.counter = _start_counter()

    @classmethod
    def tearDownClass(cls):
        cls.counter.shutdown()
        try:
            cls.db.dispose()
            cls.d.destroy(keep_tmp=bool(os.environ.get('MC_KEEP_LOGS')))
        finally:
            cls.pg.destroy()

    def query(self, sql, **params):
        with self.db.connect() as c:
            return c.execute(sa.text(sql), params).all()

    def query_retrying(self, sql, timeout=60, **params):
        deadline = time.time() + timeout
        while True:
            try:
                return self.query(sql, **params)
            except sa.exc.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    # --- the run ------------------------------------------------------------------------

    def test_chaos(self):
        t0 = time.time()
        url = 'http://127.0.0.1:%d/effect' % self.counter.server_address[1]
        ids = self.start_executions(url)
        self.wait_running_actions(16)
        progress = _Progress(self.db)
        events = []
        try:
            events += self.kill_and_restart('engine-1')
            time.sleep(4)
            orphans, exec_events = self.kill_executor('exec-1')
            events += exec_events
            time.sleep(2)
            events += self.kill_and_restart('scheduler')
            time.sleep(4)
            down = time.time()
            self.pg.restart(down_seconds=2)
            events.append(('postgresql up again (down %.1fs)' % (
                time.time() - down), time.time()))
            done = self.wait_all(ids, 240)
        except Exception:
            print(self.d.logs(30))
            raise
        finally:
            progress.stop()
        self.events = [(what, str(datetime.datetime.utcfromtimestamp(at)))
                       for what, at in events]
        wall = time.time() - t0
        report = ['', 'chaos: %d executions, wall %.1fs' % (len(ids), wall)]
        for what, at in events:
            resumed = progress.resumed_after(at)
            report.append('  %-44s progress after %s' % (
                what, '%.1fs' % resumed if resumed is not None else '-'))
        report.append('  orphaned actions of exec-1 resolved %.1fs after '
                      'its kill (%d actions)' % (orphans['resolved_after'],
                                                 len(orphans['ids'])))
        states = collections.Counter(e['state'] for e in done.values())
        report.append('  final states: %s' % dict(states))
        print('\n'.join(report))
        self.check_outcome(ids, done, set(orphans['ids']))

    def start_executions(self, url):
        ids = {}
        lock = threading.Lock()

        def post(ns):
            for n in ns:
                ex = self.d.start_execution('chaos_wf', {'n': n, 'url': url})
                with lock:
                    ids[ex['id']] = n
        workers = [threading.Thread(target=post, args=(range(i, EXECUTIONS,
                                                             8),))
                   for i in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.assertEqual(EXECUTIONS, len(ids))
        return ids

    def wait_running_actions(self, count, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            [(n,)] = self.query(
                "SELECT COUNT(*) FROM action_executions WHERE state = "
                "'RUNNING' AND executor_host IS NOT NULL")
            if n >= count:
                return
            time.sleep(0.2)
        self.fail('actions never started running')

    def kill_and_restart(self, name, down_seconds=2):
        killed = time.time()
        self.d.kill(name)
        time.sleep(down_seconds)
        self.d.start(name)
        return [('kill -9 %s' % name, killed),
                ('%s restarted' % name, time.time())]

    def kill_executor(self, name, down_seconds=2):
        """Kill ``name``; the actions it had claimed (snapshot after the
        kill: it claims nothing more) must all be resolved — re-run or
        failed — by the others."""
        killed = time.time()
        killed_utc = datetime.datetime.utcnow()
        self.d.kill(name)
        # The claimer is the host name, or a services row naming it.
        held = dict(self.query(
            "SELECT id, executor_host FROM action_executions WHERE state = "
            "'RUNNING' AND (executor_host = :h OR executor_host LIKE :row)",
            h=name, row='%%:%s:%%' % name))
        ids = list(held)
        self.assertTrue(ids, '%s held no action when killed' % name)
        time.sleep(down_seconds)
        self.d.start(name)
        restarted = time.time()
        deadline = killed + 120
        while True:
            # Resolved: finished, or sent again (to be claimed anew), or
            # claimed and heart-beaten since by a live executor.
            rows = self.query_retrying(
                "SELECT id, state, executor_host, last_heartbeat FROM "
                "action_executions WHERE id IN :ids",
                ids=tuple(ids) or ('',))
            left = [i for i, state, host, beat in rows
                    if state == 'RUNNING' and host == held[i] and
                    (beat is None or beat <= killed_utc)]
            if not left:
                break
            self.assertLess(time.time(), deadline,
                            'actions of the killed %s never resolved: %s'
                            % (name, left))
            time.sleep(0.2)
        orphans = {'ids': ids, 'resolved_after': time.time() - killed}
        return orphans, [('kill -9 %s' % name, killed),
                         ('%s restarted' % name, restarted)]

    def wait_all(self, ids, timeout):
        deadline = time.time() + timeout
        while True:
            rows = self.query_retrying(
                'SELECT id, state, state_info, output FROM '
                'workflow_executions WHERE id IN :ids', ids=tuple(ids))
            done = {r[0]: {'state': r[1], 'state_info': r[2],
                           'output': r[3]}
                    for r in rows if r[1] in TERMINAL}
            if len(done) == len(ids):
                return done
            if time.time() > deadline:
                self.fail('%d executions did not end: %s' % (
                    len(ids) - len(done), collections.Counter(
                        r[1] for r in rows if r[0] not in done)))
            time.sleep(1)

    # --- the verdict --------------------------------------------------------------------

    def check_outcome(self, ids, done, orphans):
        tasks = collections.defaultdict(dict)
        for ex_id, name, task_id, state, info in self.query(
                'SELECT workflow_execution_id, name, id, state, state_info '
                'FROM task_executions'):
            tasks[ex_id][name] = (task_id, state, info)
        actions = collections.defaultdict(list)
        seen = {}
        for task_id, action_id, state, host, created, beat in self.query(
                'SELECT task_execution_id, id, state, executor_host, '
                'created_at, last_heartbeat FROM action_executions'):
            actions[task_id].append((action_id, state))
            seen[action_id] = (host, str(created), str(beat))
        hits = self.counter.hits
        for ex_id, n in ids.items():
            ex = done[ex_id]
            ex_tasks = tasks[ex_id]
            for name in UNSAFE_TASKS:
                if name not in ex_tasks:
                    continue
                task_id, state, info = ex_tasks[name]
                # never twice: one action execution per task
                self.assertEqual(1, len(actions[task_id]),
                                 (ex_id, name, actions[task_id]))
            effect = ex_tasks.get('effect')
            self.assertLessEqual(hits[ex_id], 1, ex_id)
            if effect and effect[1] == 'SUCCESS':
                self.assertEqual(1, hits[ex_id], ex_id)
            if ex['state'] == 'SUCCESS':
                self.assertEqual(
                    {'prepare': 'SUCCESS', 'effect': 'SUCCESS',
                     'finish': 'SUCCESS'},
                    {k: v[1] for k, v in ex_tasks.items()}, ex_id)
                self.assertEqual({'n': n}, _json(ex['output']))
                continue
            self.assertEqual('ERROR', ex['state'], (ex_id, ex['state_info']))
            failed = {k: v for k, v in ex_tasks.items() if v[1] == 'ERROR'}
            self.assertTrue(failed, ex_id)
            for name, (task_id, _, info) in failed.items():
                self.assertIn(name, UNSAFE_TASKS, (ex_id, info))
                self.assertIn(HEARTBEAT_LOST, info or '', (ex_id, name))
                [(action_id, _)] = actions[task_id]
                self.assertIn(action_id, orphans,
                              '%s of %s failed but its executor lived: '
                              'action %s (host, created, last heartbeat) %s;'
                              ' events %s' % (name, ex_id, action_id,
                                              seen[action_id], self.events))


def _json(value):
    if isinstance(value, str):
        import json
        return json.loads(value)
    return value
