"""Shared test fixtures: a real embedded server on a free port."""

import json
import os
import shutil
import tempfile
import time
import unittest

import requests

from mistral_clone import config
from mistral_clone import launcher
from mistral_clone.db import api as db_api

TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')


class EmbeddedServer:
    """API + engine + executor + scheduler in this process, SQLite in a
    temporary directory."""

    def __init__(self, tmp=None, overrides=None):
        """``overrides``: {(group, option): value} of configuration."""
        overrides = dict(overrides or {})
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix='mistral_clone_test_')
        conf = config.CONF
        conf([], project='mistral_clone')
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

    # --- helpers -----------------------------------------------------------------

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


class ServerTestCase(unittest.TestCase):
    """One embedded server per test class."""

    server_overrides = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = EmbeddedServer(overrides=cls.server_overrides)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()
