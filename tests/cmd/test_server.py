"""mistral-clone-server as an operator runs it: what its log says, at INFO
and with ``debug = True`` (issue 10 item 2, issue 13 item 8), and its
health check in production mode with a broker that is down."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest

import requests

from mistral_clone import version
from tests import paths
from tests.integration import production_env as pe

SECRETS = ('Hunter2-url', 'Hunter2-auth', 'Hunter2-input', 'Hunter2-env',
           'Hunter2-broker')

WF = textwrap.dedent('''\
    ---
    version: '2.0'
    logged_wf:
      input: [password]
      tasks:
        call:
          action: std.http
          input:
            url: http://bob:Hunter2-url@127.0.0.1:9/x
            auth: [bob, Hunter2-auth]
          on-error: done
        done:
          action: std.noop
    ''')


class ServerProcess(object):

    def __init__(self, tmp, options, args=()):
        self.tmp = tmp
        self.port = pe.free_port()
        self.log = os.path.join(tmp, 'server.log')
        self.conf = os.path.join(tmp, 'server.conf')
        options = dict(options)
        options.setdefault(('DEFAULT', 'log_file'), self.log)
        options.setdefault(('api', 'port'), self.port)
        options.setdefault(('database', 'connection'), 'sqlite:///%s' %
                           os.path.join(tmp, 'db.sqlite'))
        sections = {}
        for (section, name), value in options.items():
            sections.setdefault(section, []).append('%s = %s' % (name,
                                                                 value))
        with open(self.conf, 'w') as f:
            for section, lines in sections.items():
                f.write('[%s]\n%s\n' % (section, '\n'.join(lines)))
        self.proc = subprocess.Popen(
            [paths.command('mistral-clone-server'), '--config-file',
             self.conf] + list(args), cwd=tmp, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT)
        self.root = 'http://127.0.0.1:%d' % self.port

    def wait_up(self, path='/v2/workflows', timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError('server exited:\n' + self.text())
            try:
                requests.get(self.root + path, timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError('server did not come up:\n' + self.text())

    def text(self):
        try:
            with open(self.log, encoding='utf-8', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


class ServerLogTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_srv_')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, options, args=()):
        server = ServerProcess(self.tmp, options, args)
        self.addCleanup(server.stop)
        server.wait_up()
        return server

    def test_debug_log_tells_everything_but_secrets(self):
        metrics_port = pe.free_port()
        server = self.start({('DEFAULT', 'debug'): 'True',
                             ('metrics', 'port'): metrics_port})
        v2 = server.root + '/v2'
        r = requests.post(v2 + '/workflows', data=WF,
                          headers={'Content-Type': 'text/plain'})
        self.assertEqual(201, r.status_code, r.text)
        ex = requests.post(v2 + '/executions', json={
            'workflow_name': 'logged_wf',
            'input': {'password': 'Hunter2-input'},
            'params': {'env': {'auth_token': 'Hunter2-env'}}}).json()
        deadline = time.monotonic() + 60
        while ex['state'] not in ('SUCCESS', 'ERROR'):
            self.assertLess(time.monotonic(), deadline, ex)
            time.sleep(0.2)
            ex = requests.get(v2 + '/executions/%s' % ex['id']).json()
        self.assertEqual('SUCCESS', ex['state'])
        # The process's own metrics port ([metrics] port), as engines,
        # executors and schedulers are scraped.
        text = requests.get('http://127.0.0.1:%d/metrics' % metrics_port,
                            timeout=30).text
        self.assertIn('mistral_workflow_executions_finished_total{state='
                      '"SUCCESS"} 1.0', text)
        # Idle: nothing but what helps (no polling chatter, no SQL).
        quiet_from = len(server.text().splitlines())
        time.sleep(3)
        idle = server.text().splitlines()[quiet_from:]
        self.assertLessEqual(len(idle), 5, '\n'.join(idle))
        self.assertEqual(0, server.stop())
        log = server.text()
        for needle in (
                'mistral_clone %s starting (embedded mode' % version.VERSION,
                'Database: sqlite:///', 'Transport: in-process',
                'Configuration files: ', 'Joined: api_group',
                '"POST /v2/executions" status: 201',
                "workflow_trace", "Workflow 'logged_wf' [RUNNING -> SUCCESS]",
                "Task 'call' [RUNNING -> ERROR]",
                'Signal 15 received', 'Left: api_group', 'Stopped: api'):
            self.assertIn(needle, log)
        # Request bodies are logged at DEBUG, masked.
        self.assertRegex(log, r'POST /v2/executions .*body=')
        for secret in SECRETS:
            self.assertNotIn(secret, log)
        # No SQL at any level by default.
        self.assertIsNone(re.search(r'\b(SELECT|INSERT INTO|UPDATE) \w', log))
        self.assertNotIn('alembic.runtime', log)

    def test_info_log_and_broker_health_in_production_mode(self):
        server = self.start({
            ('DEFAULT', 'transport_url'):
                'rabbit://guest:Hunter2-broker@127.0.0.1:%d/' %
                pe.free_port(),
            ('api', 'api_workers'): 1}, args=['--server', 'api'])
        r = requests.get(server.root + '/healthcheck')
        self.assertEqual(503, r.status_code, r.text)
        self.assertIn('database: OK', r.text)
        self.assertIn('broker: unreachable (127.0.0.1:', r.text)
        r = requests.get(server.root + '/healthcheck',
                         headers={'Accept': 'application/json'})
        self.assertEqual(503, r.status_code)
        self.assertIn('broker: unreachable', json.dumps(r.json()))
        self.assertEqual(0, server.stop())
        log = server.text()
        self.assertIn('(production mode', log)
        self.assertIn('Transport: rabbit://guest:***@127.0.0.1', log)
        self.assertNotIn(' DEBUG ', log)
        for secret in SECRETS:
            self.assertNotIn(secret, log + r.text)

    def test_version(self):
        p = subprocess.run([paths.command('mistral-clone-server'),
                            '--version'], stdout=subprocess.PIPE,
                           universal_newlines=True, timeout=60)
        self.assertEqual(version.VERSION, p.stdout.strip())
