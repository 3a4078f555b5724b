"""Production mode end to end: separate processes over RabbitMQ and
PostgreSQL / MariaDB.

Each test class (one per backend) builds one deployment (fresh vhost, fresh database,
``mistral-clone-db-manage upgrade head``, then API + scheduler + 2 engines +
2 executors as separate ``mistral-clone-server`` processes) and runs, in
order: the service listing, executor targeting, 200 executions with
parallel branches / join / with-items, kill -9 of an executor (heartbeats:
safe-rerun re-runs, other actions fail with Mistral's message), lost action
dispatches, kill -9 of an engine, a RabbitMQ restart under load and a kill
-9 of everything followed by a restart. Every scenario checks exact task
sets, publishes and outputs, not timings.

Skipped (with the reason) only when RabbitMQ or the database cannot be
started on this machine. ``MC_PRODUCTION_TESTS=0`` skips them on purpose.
"""

import collections
import os
import time
import unittest

import sqlalchemy as sa

from mistral_clone.services import heartbeats
from tests.integration import production_env as pe

TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')

SCALE_WF = """---
version: '2.0'
scale_wf:
  input: [n]
  output:
    total: <% $.total %>
    squares: <% $.squares %>
    left: <% $.left %>
    right: <% $.right %>
  task-defaults:
    safe-rerun: true
  tasks:
    start:
      action: std.echo
      input: {output: <% $.n %>, delay: 0.01}
      publish: {base: <% task().result %>}
      on-success: [left, right, fan]
    left:
      action: std.echo
      input: {output: <% $.base + 1 %>, delay: 0.01}
      publish: {left: <% task().result %>}
      on-success: [join]
    right:
      action: std.echo
      input: {output: <% $.base + 2 %>, delay: 0.01}
      publish: {right: <% task().result %>}
      on-success: [join]
    fan:
      with-items: i in <% range(0, 3) %>
      action: std.echo
      input: {output: <% $.i * $.base %>, delay: 0.01}
      publish: {squares: <% task().result %>}
      on-success: [join]
    join:
      join: all
      action: std.echo
      input: {output: <% $.left + $.right + $.squares.sum() %>, delay: 0.01}
      publish: {total: <% task().result %>}
"""
SCALE_TASKS = ['fan', 'join', 'left', 'right', 'start']
SCALE_ACTIONS = 7


def scale_output(n):
    return {'total': 5 * n + 3, 'squares': [0, n, 2 * n], 'left': n + 1,
            'right': n + 2}


SLOW_WFS = """---
version: '2.0'
slow_safe:
  input: [n]
  output: {r: <% $.r %>}
  tasks:
    t:
      action: std.echo output=<% $.n %> delay=15
      safe-rerun: true
      publish: {r: <% task().result %>}
slow_unsafe:
  input: [n]
  output: {r: <% $.r %>}
  tasks:
    t:
      action: std.echo output=<% $.n %> delay=15
      publish: {r: <% task().result %>}
targeted:
  input: [n, where]
  output: {r: <% $.r %>}
  tasks:
    t:
      action: std.echo
      input: {output: <% $.n %>, delay: 0.01}
      target: <% $.where %>
      publish: {r: <% task().result %>}
"""


def _skip_all():
    return os.environ.get('MC_PRODUCTION_TESTS', '1') == '0'


class _ProductionSuite(object):
    backend = None
    deployment = None

    @classmethod
    def setUpClass(cls):
        if _skip_all():
            raise unittest.SkipTest('MC_PRODUCTION_TESTS=0')
        reason = pe.unavailable_reason(cls.backend)
        if reason:
            raise unittest.SkipTest('%s: %s' % (cls.backend, reason))
        # Failure detection tuned for a test, yet with room for a loaded
        # machine: an executor is declared lost after 10 s without
        # heartbeats (a live one writes one every second, and a busy CI
        # can stall a process for seconds), a service after 3 x 2 s.
        d = cls.deployment = pe.Deployment(cls.backend, options={
            ('action_heartbeat', 'batch_size'): 0,
            ('action_heartbeat', 'max_missed_heartbeats'): 10,
            ('coordination', 'heartbeat_interval'): 2,
        })
        try:
            d.create()
            d.add_typical()
            d.start_all()
            d.create_workflows(SCALE_WF)
            d.create_workflows(SLOW_WFS)
            cls.db = sa.create_engine(d.db_url, poolclass=sa.pool.NullPool)
        except Exception:
            print(d.logs())
            d.destroy()
            raise
        cls.started = time.time()

    @classmethod
    def tearDownClass(cls):
        d = cls.deployment
        if d is None:
            return
        errors = d.grep_logs('Traceback')
        if errors:
            print('\n%d tracebacks in the service logs (%s)'
                  % (len(errors), cls.backend))
        try:
            cls.db.dispose()
        except Exception:
            pass
        d.destroy(keep_tmp=bool(os.environ.get('MC_KEEP_LOGS')))

    # --- helpers -----------------------------------------------------------------

    @property
    def d(self):
        return self.deployment

    def start(self, wf, wf_input):
        return self.d.start_execution(wf, wf_input)['id']

    def wait(self, ids, timeout=120):
        """Wait until every execution is terminal; {id: execution}."""
        deadline = time.time() + timeout
        pending = set(ids)
        done = {}
        while pending and time.time() < deadline:
            rows = self.d.api('GET', '/executions?limit=100000&fields='
                              'state,output,state_info,workflow_name')
            for e in rows['executions']:
                if e['id'] in pending and e['state'] in TERMINAL:
                    done[e['id']] = e
                    pending.discard(e['id'])
            if pending:
                time.sleep(0.5)
        if pending:
            states = collections.Counter(
                e['state'] for e in self.d.api(
                    'GET', '/executions?limit=100000&fields=state'
                )['executions'] if e['id'] in pending)
            self.fail('%d executions did not finish in %ss: %s'
                      % (len(pending), timeout, dict(states)))
        return done

    def query(self, sql, **params):
        with self.db.connect() as c:
            return c.execute(sa.text(sql), params).all()

    def tasks_of(self, ex_id):
        return self.d.api('GET', '/executions/%s/tasks' % ex_id)['tasks']

    def check_scale(self, inputs, done):
        """Exact outputs, tasks and action counts of scale_wf runs."""
        for ex_id, n in inputs.items():
            ex = done[ex_id]
            self.assertEqual('SUCCESS', ex['state'],
                             '%s: %s' % (ex_id, ex.get('state_info')))
            self.assertEqual(scale_output(n), _json(ex['output']))
        ids = list(inputs)
        rows = self.query(
            'SELECT workflow_execution_id, name, state, COUNT(*) '
            'FROM task_executions GROUP BY workflow_execution_id, name, '
            'state')
        per_ex = collections.defaultdict(list)
        for wf_ex_id, name, state, count in rows:
            per_ex[wf_ex_id].append((name, state, count))
        for ex_id in ids:
            self.assertEqual(
                [(t, 'SUCCESS', 1) for t in SCALE_TASKS],
                sorted(per_ex[ex_id]), ex_id)
        actions = dict(self.query(
            "SELECT workflow_execution_id, COUNT(*) FROM action_executions "
            "WHERE state = 'SUCCESS' AND accepted = :t "
            "GROUP BY workflow_execution_id", t=True))
        for ex_id in ids:
            self.assertEqual(SCALE_ACTIONS, actions.get(ex_id), ex_id)

    def start_scale(self, count, offset=0):
        return {self.start('scale_wf', {'n': offset + i}): offset + i
                for i in range(count)}

    def assert_all_services_back(self):
        deadline = time.time() + 180  # process start-up is slow on a busy CI
        while time.time() < deadline:
            names = {(s['name'], s['type']) for s in
                     self.d.api('GET', '/services')['services']}
            if len(names) == 6:
                return names
            dead = [p.name for p in self.d.processes.values()
                    if not p.alive()]
            if dead:
                self.fail('processes died: %s\n%s' % (dead, '\n'.join(
                    self.d.tail(name) for name in dead)))
            time.sleep(0.5)
        self.fail('services not all listed: %s' % names)

    # --- scenarios ----------------------------------------------------------------

    SCENARIOS = (
        'services_listed_from_heartbeats', 'executor_targeting',
        'scale_200_executions', 'kill_executor_running_actions',
        'lost_dispatch_is_sent_again', 'kill_engine_mid_run',
        'rabbitmq_restart_under_load', 'restart_everything')

    def test_production_deployment(self):
        """One test per backend (stestr keeps one deployment per worker);
        the scenarios run in order, each a subTest, each leaving every
        service running for the next."""
        for name in self.SCENARIOS:
            t0 = time.time()
            with self.subTest(scenario=name):
                try:
                    getattr(self, 'scenario_' + name)()
                except Exception:
                    print('\n==== service logs (%s, %s) ====\n%s' % (
                        self.backend, name, self.deployment.logs(25)))
                    raise
            print('\n[%s] %s: %.1fs' % (self.backend, name,
                                         time.time() - t0))

    def scenario_services_listed_from_heartbeats(self):
        services = self.assert_all_services_back()
        self.assertEqual({
            ('api', 'api_group'), ('scheduler', 'scheduler_group'),
            ('engine-1', 'engine_group'), ('engine-2', 'engine_group'),
            ('exec-1', 'executor_group'), ('exec-2', 'executor_group'),
        }, services)

    def scenario_executor_targeting(self):
        ids = {self.start('targeted', {'n': i, 'where': 'exec-%d' % (
            1 + i % 2)}): i for i in range(6)}
        done = self.wait(ids, 60)
        for ex_id, i in ids.items():
            self.assertEqual('SUCCESS', done[ex_id]['state'])
            self.assertEqual({'r': i}, _json(done[ex_id]['output']))
            hosts = [heartbeats.name_of(r[0]) for r in self.query(
                'SELECT executor_host FROM action_executions WHERE '
                'workflow_execution_id = :i', i=ex_id)]
            self.assertEqual(['exec-%d' % (1 + i % 2)], hosts)
        # run-action with params.target
        body = {'name': 'std.echo', 'input': {'output': 'hi', 'delay': 0.01},
                'params': {'save_result': True, 'target': 'exec-2'}}
        ae = self.d.api('POST', '/action_executions', json=body)
        deadline = time.time() + 30
        while time.time() < deadline:
            ae = self.d.api('GET', '/action_executions/%s' % ae['id'])
            if ae['state'] != 'RUNNING':
                break
            time.sleep(0.2)
        self.assertEqual('SUCCESS', ae['state'])
        self.assertEqual({'result': 'hi'}, _json(ae['output']))
        self.assertEqual(['exec-2'], [heartbeats.name_of(r[0]) for r in (
            self.query('SELECT executor_host FROM action_executions WHERE '
                       'id = :i', i=ae['id']))])

    def scenario_scale_200_executions(self):
        t0 = time.time()
        inputs = self.start_scale(200)
        done = self.wait(inputs, 180)
        elapsed = time.time() - t0
        self.check_scale(inputs, done)
        # Executors claim under their services row (its id names them).
        per_executor = collections.Counter()
        for host, count in self.query(
                'SELECT executor_host, COUNT(*) FROM action_executions '
                'GROUP BY executor_host'):
            per_executor[heartbeats.name_of(host)] += count
        # Every action ran on an executor, and both executors took part.
        self.assertNotIn(None, per_executor)
        self.assertGreater(per_executor.get('exec-1', 0), 0, per_executor)
        self.assertGreater(per_executor.get('exec-2', 0), 0, per_executor)
        print('\n[%s] 200 executions x 7 actions: %.1fs, per executor %s'
              % (self.backend, elapsed, per_executor))

    def scenario_kill_executor_running_actions(self):
        safe = {self.start('slow_safe', {'n': i}): i for i in range(6)}
        unsafe = {self.start('slow_unsafe', {'n': i}): i for i in range(6)}
        all_ids = list(safe) + list(unsafe)
        # Every action claimed by an executor before the kill (an action
        # claimed after the snapshot would be misjudged): wait for it, and
        # fail rather than go on with a partial picture.
        # The actions last 15 s: all must still be running at the kill.
        deadline = time.time() + 120
        while True:
            rows = self._actions_of(all_ids)
            if len(rows) == 12 and all(h for _, h in rows):
                break
            self.assertLess(time.time(), deadline,
                            'actions not all claimed: %s' % rows)
            time.sleep(0.1)
        self.assertEqual({'RUNNING'}, {r[0] for r in self.query(
            "SELECT state FROM action_executions WHERE workflow_name IN "
            "('slow_safe', 'slow_unsafe')")}, 'an action ended before the '
            'kill: the machine is too slow for this scenario')
        on_victim = {ex for ex, h in rows if h == 'exec-1'}
        self.assertTrue(on_victim, 'no action went to exec-1: %s' % rows)
        self.d.kill('exec-1')
        done = self.wait(all_ids, 180)
        # safe-rerun: re-run on the surviving executor, result intact.
        for ex_id, n in safe.items():
            self.assertEqual('SUCCESS', done[ex_id]['state'],
                             done[ex_id].get('state_info'))
            self.assertEqual({'r': n}, _json(done[ex_id]['output']))
        # not safe-rerun: failed by the heartbeat check iff it was running
        # on the killed executor.
        for ex_id, n in unsafe.items():
            if ex_id in on_victim:
                self.assertEqual('ERROR', done[ex_id]['state'])
                t = self.tasks_of(ex_id)[0]
                self.assertEqual('ERROR', t['state'])
                self.assertIn("Heartbeat wasn't received.", t['state_info'])
            else:
                self.assertEqual('SUCCESS', done[ex_id]['state'])
                self.assertEqual({'r': n}, _json(done[ex_id]['output']))
        rerun_hosts = {h for ex, h in self._actions_of(list(safe))}
        self.assertEqual({'exec-2'}, rerun_hosts)
        # The dead executor disappears from /v2/services; restart it.
        deadline = time.time() + 60
        while time.time() < deadline:
            names = {s['name'] for s in
                     self.d.api('GET', '/services')['services']}
            if 'exec-1' not in names:
                break
            time.sleep(0.5)
        self.assertNotIn('exec-1', names)
        self.d.start('exec-1')
        self.assert_all_services_back()

    def _actions_of(self, ex_ids):
        rows = []
        for ex_id in ex_ids:
            rows.extend(self.query(
                'SELECT workflow_execution_id, executor_host FROM '
                'action_executions WHERE workflow_execution_id = :i', i=ex_id))
        return [(ex, heartbeats.name_of(host)) for ex, host in rows]

    def scenario_lost_dispatch_is_sent_again(self):
        # Messages to an executor that does not exist yet are dropped by
        # the broker, exactly like a dispatch lost when an engine dies
        # between commit and send: the recovery check sends them again.
        self.d.add('exec-late', 'executor', {('executor', 'host'):
                                             'exec-late'})
        ids = {self.start('targeted', {'n': i, 'where': 'exec-late'}): i
               for i in range(4)}
        time.sleep(1)
        self.assertEqual(
            {(None,)}, set(self.query(
                "SELECT executor_host FROM action_executions WHERE "
                "workflow_name = 'targeted' AND state = 'RUNNING'")))
        self.d.start('exec-late')
        try:
            done = self.wait(ids, 60)
            for ex_id, n in ids.items():
                self.assertEqual('SUCCESS', done[ex_id]['state'])
                self.assertEqual({'r': n}, _json(done[ex_id]['output']))
            self.assertTrue(self.d.grep_logs('dispatch lost'))
        finally:
            self.d.kill('exec-late')
            del self.d.processes['exec-late']

    def scenario_kill_engine_mid_run(self):
        inputs = self.start_scale(20, offset=1000)
        time.sleep(0.5)
        self.d.kill('engine-1')
        more = self.start_scale(10, offset=2000)
        inputs.update(more)
        done = self.wait(inputs, 120)
        self.check_scale(inputs, done)
        self.d.start('engine-1')
        self.assert_all_services_back()

    def scenario_rabbitmq_restart_under_load(self):
        inputs = self.start_scale(30, offset=3000)
        time.sleep(0.3)
        self.d.restart_rabbitmq(down_seconds=2)
        done = self.wait(inputs, 150)
        self.check_scale(inputs, done)
        # and the deployment keeps working afterwards
        after = self.start_scale(5, offset=4000)
        self.check_scale(after, self.wait(after, 60))

    def scenario_restart_everything(self):
        inputs = self.start_scale(20, offset=5000)
        time.sleep(0.5)
        for name in list(self.d.processes):
            self.d.kill(name)
        self.d.start_all()
        done = self.wait(inputs, 120)
        self.check_scale(inputs, done)
        self.assert_all_services_back()


def _json(value):
    if isinstance(value, str):
        import json
        return json.loads(value)
    return value


class PostgreSQLProductionTest(_ProductionSuite, unittest.TestCase):
    backend = 'postgresql'


class MariaDBProductionTest(_ProductionSuite, unittest.TestCase):
    backend = 'mysql'
