"""The embedded mode (``mistral-clone-server --server all``, no
transport_url) recovers in-flight work after a crash, as production does.

A real server process on a SQLite file runs executions of
``std.echo → std.sleep 3 s → std.echo``; it is killed with -9 while the
sleeps run, and started again: every execution must end. The sleeps of the
dead process are noticed at once (its services row names a pid that is not
running any more): with ``safe-rerun`` they run again and the execution
succeeds, without it they fail with Mistral's ``Heartbeat wasn't
received.``. Before recovery ran in the embedded mode they all stayed
RUNNING forever.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import requests

from tests import paths
from tests.integration import production_env as pe

TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')

WORKFLOWS = """---
version: '2.0'
sleepy:
  tasks:
    first:
      action: std.echo output=1
      on-success: [nap]
    nap:
      action: std.sleep seconds=3
      on-success: [last]
    last:
      action: std.echo output=2
sleepy_safe:
  task-defaults:
    safe-rerun: true
  tasks:
    first:
      action: std.echo output=1
      on-success: [nap]
    nap:
      action: std.sleep seconds=3
      on-success: [last]
    last:
      action: std.echo output=2
"""


class EmbeddedCrashRecoveryTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_embedded_')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.port = pe.free_port()
        self.url = 'http://127.0.0.1:%d/v2' % self.port
        self.conf = os.path.join(self.tmp, 'mistral_clone.conf')
        with open(self.conf, 'w') as f:
            f.write('[database]\nconnection = sqlite:///%s\n'
                    '[api]\nhost = 127.0.0.1\nport = %d\n'
                    # dispatches lost by the kill: re-sent after 10 s
                    '[action_heartbeat]\nfirst_heartbeat_timeout = 10\n'
                    % (os.path.join(self.tmp, 'db.sqlite'), self.port))
        self.server = None
        self.addCleanup(self._kill)
        self.http = requests.Session()

    def _start(self):
        log = open(os.path.join(self.tmp, 'server.log'), 'ab')
        self.server = subprocess.Popen(
            [paths.command('mistral-clone-server'), '--config-file',
             self.conf, '--server', 'all'], stdout=log,
            stderr=subprocess.STDOUT, cwd=self.tmp)
        log.close()
        deadline = time.time() + 120
        while time.time() < deadline:
            self.assertIsNone(self.server.poll(), self._log())
            try:
                if self.http.get(self.url + '/workflows',
                                 timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.fail('server did not come up\n' + self._log())

    def _kill(self):
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait(timeout=30)

    def _log(self, whole=False):
        with open(os.path.join(self.tmp, 'server.log'), 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
        return text if whole else text[-6000:]

    def _executions(self):
        r = self.http.get(self.url + '/executions?limit=1000'
                          '&fields=state,workflow_name,state_info',
                          timeout=60)
        self.assertEqual(200, r.status_code, r.text)
        return r.json()['executions']

    def _sleeps_running(self):
        r = self.http.get(self.url + '/action_executions?limit=1000'
                          '&name=std.sleep&state=RUNNING', timeout=60)
        return len(r.json()['action_executions'])

    def test_kill_9_and_restart_finishes_everything(self):
        self._start()
        r = self.http.post(self.url + '/workflows', data=WORKFLOWS,
                           headers={'Content-Type': 'text/plain'})
        self.assertEqual(201, r.status_code, r.text)
        for i in range(50):
            name = 'sleepy_safe' if i % 5 == 0 else 'sleepy'
            r = self.http.post(self.url + '/executions',
                               json={'workflow_name': name})
            self.assertEqual(201, r.status_code, r.text)
        # Kill while the sleeps run.
        deadline = time.time() + 60
        while self._sleeps_running() < 5 and time.time() < deadline:
            time.sleep(0.1)
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(timeout=30)
        self._start()

        deadline = time.time() + 240
        while time.time() < deadline:
            execs = self._executions()
            if all(e['state'] in TERMINAL for e in execs):
                break
            time.sleep(1)
        execs = self._executions()
        self.assertEqual(50, len(execs))
        stuck = [e for e in execs if e['state'] not in TERMINAL]
        self.assertEqual([], stuck, self._log())
        for e in execs:
            if e['workflow_name'] == 'sleepy_safe':
                self.assertEqual('SUCCESS', e['state'], e)
            elif e['state'] == 'ERROR':
                self.assertIn("Heartbeat wasn't received.",
                              e['state_info'] or '', e)
        # noticed at start-up, not after heartbeats aged
        self.assertIn('is not running any more', self._log(whole=True))


if __name__ == '__main__':
    unittest.main()
