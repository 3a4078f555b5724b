"""A packaged install runs anywhere (issue 10, item 1).

From a copy of the source tree: build an sdist, build a wheel *from that
sdist* (``pip wheel``, with build isolation, as a user would), install the
wheel into a fresh virtualenv in a temporary directory, and from a working
directory outside the tree: ``--version`` of both commands, ``db-manage
upgrade head`` on a new SQLite file, then the server runs a workflow.

To keep the cost reasonable the new virtualenv is created without pip and
reaches the already installed dependencies (and pip) through a ``.pth`` file
naming this interpreter's site-packages; the wheel itself is installed with
``--no-deps`` into the new virtualenv and imported from there (checked).
"""

import glob
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import requests

from mistral_clone import version
from tests import paths
from tests.integration import production_env as pe

IGNORE = shutil.ignore_patterns('.venv', '.git', '.stestr', '.tox', 'build',
                                'dist', '*.egg-info', '__pycache__', '*.pyc',
                                '*.sqlite*')

WF = textwrap.dedent('''\
    ---
    version: '2.0'
    packaged_wf:
      input: [who]
      output: {greeting: <% $.greeting %>}
      tasks:
        hello:
          action: std.echo output="hello <% $.who %>"
          publish: {greeting: <% task().result %>}
    ''')


def _run(cmd, cwd, timeout=600, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout,
                       universal_newlines=True)
    if p.returncode:
        raise AssertionError('%s failed (%d):\n%s' % (
            ' '.join(cmd), p.returncode, p.stdout[-3000:]))
    return p.stdout


class WheelInstallTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_wheel_')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # Nothing of the checkout may leak into the installed commands.
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ('PYTHONPATH', 'PYTHONHOME')}

    def _build_wheel(self):
        src = os.path.join(self.tmp, 'src')
        shutil.copytree(paths.REPO_ROOT, src, ignore=IGNORE)
        dist = os.path.join(self.tmp, 'dist')
        _run([sys.executable, 'setup.py', '-q', 'sdist', '-d', dist], src,
             env=self.env)
        sdist, = glob.glob(os.path.join(dist, '*.tar.gz'))
        _run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
              '-w', dist, sdist], self.tmp, env=self.env)
        wheel, = glob.glob(os.path.join(dist, '*.whl'))
        return wheel

    def _venv(self, wheel):
        venv = os.path.join(self.tmp, 'venv')
        base = getattr(sys, '_base_executable', None) or sys.executable
        _run([base, '-m', 'venv', '--without-pip', venv], self.tmp,
             env=self.env)
        python = os.path.join(venv, 'bin', 'python')
        own_site = _run([python, '-c', 'import sysconfig; print(sysconfig.'
                         'get_paths()["purelib"])'], self.tmp,
                        env=self.env).strip()
        with open(os.path.join(own_site, 'parent_site.pth'), 'w') as f:
            f.write('\n'.join(site.getsitepackages()) + '\n')
        _run([python, '-m', 'pip', 'install', '-q', '--no-deps',
              '--no-index', wheel], self.tmp, env=self.env)
        return venv, own_site

    def test_wheel_installs_migrates_and_runs_a_workflow(self):
        wheel = self._build_wheel()
        venv, own_site = self._venv(wheel)
        bin_dir = os.path.join(venv, 'bin')
        work = os.path.join(self.tmp, 'work')
        os.makedirs(work)

        # Imported from the new virtualenv, migrations inside the package.
        where = _run([os.path.join(bin_dir, 'python'), '-c',
                      'import mistral_clone.db.migration as m; '
                      'print(m.__file__); print(m.script_location())'],
                     work, env=self.env).split()
        for path in where:
            self.assertTrue(path.startswith(own_site), where)
        self.assertTrue(where[1].endswith(os.path.join('mistral_clone',
                                                       'migrations')))
        for command in ('mistral-clone-server', 'mistral-clone-db-manage'):
            self.assertEqual(version.VERSION, _run(
                [os.path.join(bin_dir, command), '--version'], work,
                env=self.env).strip())

        port = pe.free_port()
        conf = os.path.join(work, 'mistral_clone.conf')
        with open(conf, 'w') as f:
            f.write('[DEFAULT]\nlog_file = %s\n[api]\nport = %d\n'
                    '[database]\nconnection = sqlite:///%s\n' % (
                        os.path.join(work, 'server.log'), port,
                        os.path.join(work, 'db.sqlite')))
        out = _run([os.path.join(bin_dir, 'mistral-clone-db-manage'),
                    '--config-file', conf, 'upgrade', 'head'], work,
                   env=self.env)
        self.assertRegex(out, r'upgraded from an empty schema to \d{3}\b')

        proc = subprocess.Popen(
            [os.path.join(bin_dir, 'mistral-clone-server'), '--config-file',
             conf], cwd=work, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        url = 'http://127.0.0.1:%d/v2' % port
        deadline = time.monotonic() + 120
        while True:
            self.assertIsNone(proc.poll(), 'the server exited')
            try:
                if requests.get(url + '/workflows', timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            self.assertLess(time.monotonic(), deadline, 'no API')
            time.sleep(0.2)
        r = requests.post(url + '/workflows', data=WF,
                          headers={'Content-Type': 'text/plain'})
        self.assertEqual(201, r.status_code, r.text)
        ex = requests.post(url + '/executions', json={
            'workflow_name': 'packaged_wf', 'input': {'who': 'wheel'}}).json()
        deadline = time.monotonic() + 60
        while ex['state'] not in ('SUCCESS', 'ERROR'):
            self.assertLess(time.monotonic(), deadline, ex)
            time.sleep(0.2)
            ex = requests.get(url + '/executions/%s' % ex['id']).json()
        self.assertEqual('SUCCESS', ex['state'], ex.get('state_info'))
        self.assertEqual({'greeting': 'hello wheel'}, json.loads(ex['output']))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(0, proc.wait(60))
