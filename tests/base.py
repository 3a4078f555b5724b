"""Shared test fixtures: a real embedded server on a free port.

:class:`EmbeddedServer` runs in this process (tests can reach into its
database and configuration); :class:`ServerProcess` runs the same embedded
mode as a child process (``mistral-clone-server --server all``), sharing
nothing with the test process — for tests that must not disturb, or be
disturbed by, other servers of the same test worker.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import requests

from mistral_clone import config
from mistral_clone import launcher
from mistral_clone.db import api as db_api

TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')


class ServerClient:
    """Requests against a server's ``self.url`` (``.../v2``)."""

    def post_text(self, path, text):
        return self.http.post(self.url + path, data=text.encode('utf-8'),
                              headers={'Content-Type': 'text/plain'})

    def create_workflows(self, text):
        r = self.post_text('/workflows', text)
        if r.status_code != 201:
            raise AssertionError('create failed: %s %s' % (r.status_code,
                                                          r.text))
        return r.json()['workflows']

    def start(self, wf_name, wf_input=None, params=None, **extra):
        body = {'workflow_name': wf_name}
        if wf_input is not None:
            body['input'] = wf_input
        if params is not None:
            body['params'] = params
        body.update(extra)
        r = self.http.post(self.url + '/executions', json=body)
        if r.status_code != 201:
            raise AssertionError('start failed: %s %s' % (r.status_code,
                                                         r.text))
        return r.json()

    def get_ex(self, ex_id):
        return self.http.get(self.url + '/executions/%s' % ex_id).json()

    def wait(self, ex_id, states=TERMINAL, timeout=30):
        deadline = time.time() + timeout
        while True:
            ex = self.get_ex(ex_id)
            if ex['state'] in states:
                return ex
            if time.time() > deadline:
                raise AssertionError('execution %s stuck in %s' % (
                    ex_id, ex['state']))
            time.sleep(0.02)

    def put(self, path, body):
        return self.http.put(self.url + path, json=body)

    def task(self, ex_id, name):
        return [t for t in self.tasks(ex_id) if t['name'] == name][-1]

    def wait_task(self, ex_id, name, state, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [t for t in self.tasks(ex_id)
                     if t['name'] == name and t['state'] == state]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError('task %s never reached %s' % (name, state))

    def tasks(self, ex_id):
        r = self.http.get(self.url + '/executions/%s/tasks' % ex_id)
        return r.json()['tasks']

    def output(self, ex_id):
        return json.loads(self.get_ex(ex_id)['output'])


class EmbeddedServer(ServerClient):
    """API + engine + executor + scheduler in this process, SQLite in a
    temporary directory."""

    def __init__(self, tmp=None, overrides=None):
        """``overrides``: ``{(group, option): value}`` for this server."""
        overrides = dict(overrides or {})
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix='mistral_clone_test_')
        conf = config.CONF
        conf([], project='mistral_clone')
        config.register_api_opts(conf)  # it serves the API: [cors]...
        conf.set_override('connection', 'sqlite:///%s' % os.path.join(
            self.tmp, 'test.sqlite'), group='database')
        conf.set_override('sqlite_synchronous', False, group='database')
        conf.set_override('fixed_delay', 0.05, group='scheduler')
        conf.set_override('random_delay', 0.0, group='scheduler')
        for (group, name), value in overrides.items():
            conf.set_override(name, value, group=group)
        self.overrides = list(overrides) + [
            ('database', 'connection'), ('database', 'sqlite_synchronous'),
            ('scheduler', 'fixed_delay'), ('scheduler', 'random_delay')]
        launcher.setup_database(conf)
        self.launched = launcher.launch(launcher.COMPONENTS, conf,
                                        api_port=0, api_host='127.0.0.1')
        self.url = self.launched.url
        self.http = requests.Session()

    def stop(self, keep_files=False):
        self.launched.stop()
        db_api.dispose()
        for group, name in self.overrides:
            config.CONF.clear_override(name, group=group)
        if self.own_tmp and not keep_files:
            shutil.rmtree(self.tmp, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ServerProcess(ServerClient):
    """The embedded mode (API, engine, executor, scheduler, SQLite) in a
    child process of its own, with its own port, database and log file
    (``self.log``). ``overrides``: ``{(group, option): value}``."""

    def __init__(self, overrides=None, start_timeout=120):
        self.tmp = tempfile.mkdtemp(prefix='mistral_clone_proc_')
        self.log = os.path.join(self.tmp, 'server.log')
        port = free_port()
        sections = {
            'database': {'connection': 'sqlite:///%s' % os.path.join(
                self.tmp, 'server.sqlite'), 'sqlite_synchronous': False},
            'api': {'host': '127.0.0.1', 'port': port},
            'scheduler': {'fixed_delay': 0.05, 'random_delay': 0.0},
        }
        for (group, name), value in (overrides or {}).items():
            if isinstance(value, (list, tuple)):
                value = ','.join(value)
            sections.setdefault(group, {})[name] = value
        conf = os.path.join(self.tmp, 'server.conf')
        with open(conf, 'w') as f:
            for group, values in sections.items():
                f.write('[%s]\n' % group)
                f.writelines('%s = %s\n' % kv for kv in values.items())
        with open(self.log, 'wb') as out:
            self.process = subprocess.Popen(
                [os.path.join(os.path.dirname(sys.executable),
                              'mistral-clone-server'),
                 '--config-file', conf, '--server', 'all'],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.tmp,
                start_new_session=True)
        self.url = 'http://127.0.0.1:%d/v2' % port
        self.http = requests.Session()
        deadline = time.time() + start_timeout
        while True:
            try:
                if requests.get(self.url + '/', timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                self.stop(keep_files=True)
                raise RuntimeError('server did not start; see %s'
                                   % self.log)
            time.sleep(0.2)

    def stop(self, keep_files=False):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if not keep_files:
            shutil.rmtree(self.tmp, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """One embedded server per test class (``server_class``: in this
    process, or :class:`ServerProcess`)."""

    server_class = EmbeddedServer
    server_overrides = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.server_class(overrides=cls.server_overrides)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()
