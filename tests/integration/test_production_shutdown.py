"""Graceful shutdown over RabbitMQ and PostgreSQL: SIGTERM of an executor
lets its running actions finish and report before the transport closes,
hands back the ones it had queued, and nothing fails because of the stop.

Before: the executor exited at once, its running actions were failed with
``Heartbeat wasn't received.`` (and late results hit a closed transport:
``'NoneType' object has no attribute 'create'``).
"""

import os
import signal
import time
import unittest

from tests.integration import production_env as pe

TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')

WF = """---
version: '2.0'
nap:
  input: [n]
  output: {r: <% $.r %>}
  tasks:
    first:
      action: std.echo output=<% $.n %>
      on-success: [sleep]
    sleep:
      action: std.sleep seconds=5
      on-success: [last]
    last:
      action: std.echo output=<% $.n %>
      publish: {r: <% task().result %>}
busy:
  tasks:
    t:
      action: std.noop
      publish:
        x: "{% for i in range(99999) %}{% for j in range(99999) %}\\
          {% endfor %}{% endfor %}{{ 1 }}"
"""


class GracefulShutdownTest(unittest.TestCase):

    def setUp(self):
        if os.environ.get('MC_PRODUCTION_TESTS', '1') == '0':
            self.skipTest('MC_PRODUCTION_TESTS=0')
        reason = pe.unavailable_reason('postgresql')
        if reason:
            self.skipTest('postgresql: %s' % reason)
        d = self.d = pe.Deployment('postgresql', options={
            ('coordination', 'heartbeat_interval'): 2,
            # room for a loaded machine: a live executor is never declared
            # lost by its action heartbeats during this test
            ('action_heartbeat', 'max_missed_heartbeats'): 30,
            ('action_heartbeat', 'batch_size'): 0,
            ('executor', 'workers'): 2,
            # far longer than a cancel may take, even on a loaded machine
            ('expressions', 'max_cpu_seconds'): 120,
        })
        self.addCleanup(d.destroy)
        d.create()
        d.add('core', 'api,engine,scheduler')
        d.add('exec-1', 'executor')
        d.add('exec-2', 'executor')
        d.start('core')
        d.start('exec-1')
        d.wait_api()
        d.create_workflows(WF)

    def _wait_services(self, group, count):
        deadline = time.time() + 120
        while time.time() < deadline and len([
                s for s in self.d.api('GET', '/services')['services']
                if s['type'] == group]) < count:
            time.sleep(0.2)

    def _running_sleeps(self):
        rows = self.d.api('GET', '/action_executions?limit=1000'
                          '&name=std.sleep&state=RUNNING')
        return len(rows['action_executions'])

    def test_sigterm_drains_running_actions(self):
        d = self.d
        # 10 executions on 2 worker threads: 2 sleeps run, the others
        # wait in the executor's queue.
        for i in range(10):
            d.start_execution('nap', {'n': i})
        deadline = time.time() + 120
        while self._running_sleeps() < 6 and time.time() < deadline:
            time.sleep(0.1)
        proc = d.processes['exec-1']
        started = time.time()
        proc.popen.send_signal(signal.SIGTERM)
        proc.popen.wait(timeout=120)
        drained_in = time.time() - started
        d.start('exec-2')

        deadline = time.time() + 240
        while time.time() < deadline:
            if all(s in TERMINAL for s in d.execution_states()):
                break
            time.sleep(0.5)
        execs = d.api('GET', '/executions?limit=100'
                      '&fields=state,state_info,output')['executions']
        self.assertEqual(10, len(execs))
        bad = [e for e in execs if e['state'] != 'SUCCESS']
        self.assertEqual([], bad, d.logs(60))
        self.assertEqual(0, proc.popen.returncode)
        # the running sleeps (5 s) finished before it exited, well within
        # graceful_shutdown_timeout (60 s)
        self.assertLess(drained_in, 50, d.tail('exec-1'))
        self.assertTrue(d.grep_logs('handed back'), d.tail('exec-1'))
        self.assertEqual([], d.grep_logs("has no attribute 'create'"))
        self.assertEqual([], d.grep_logs("Heartbeat wasn't received"))
        print('exec-1 drained and exited in %.1f s' % drained_in)

    def test_cancel_while_an_engine_evaluates(self):
        # Two engines: the cancel reaches either, the evaluation runs in
        # either; every engine aborts it (fanout) and the cancel wins.
        d = self.d
        d.add('engine-2', 'engine')
        d.start('engine-2')
        self._wait_services('engine_group', 2)
        for state in ('CANCELLED', 'ERROR', 'CANCELLED'):
            ex = d.start_execution('busy')
            time.sleep(2)  # its publish is being evaluated
            started = time.time()
            r = d.api('PUT', '/executions/%s' % ex['id'],
                      json={'state': state})
            took = time.time() - started
            self.assertEqual(state, r['state'])
            self.assertLess(took, 30)
            print('%s answered in %.1f s' % (state, took))
        self.assertEqual(3, len(d.grep_logs(
            'Aborted an expression evaluation')), d.logs(30))

    def test_idle_services_exit_promptly(self):
        d = self.d
        d.start('exec-2')
        self._wait_services('executor_group', 2)
        time.sleep(1)  # the services row is written before the RPC server
        for name in ('exec-1', 'exec-2', 'core'):
            proc = d.processes[name]
            started = time.time()
            proc.popen.send_signal(signal.SIGTERM)
            proc.popen.wait(timeout=60)
            took = time.time() - started
            print('%s exited in %.1f s' % (name, took))
            self.assertEqual(0, proc.popen.returncode)
            # generous for a loaded machine; typically 1-3 s
            self.assertLess(took, 10, d.tail(name))


if __name__ == '__main__':
    unittest.main()
