"""Shared fixtures of the API tests: one real HTTP server per test run.

The server runs in-process on a free port over a temporary SQLite file and
is shared by every test module (starting it once keeps the suite fast);
tests use unique names so they do not interfere.
"""

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

import requests

from mistral_clone import config
from tests import paths

_state = {}
_counter = itertools.count()
# python-mistralclient's CLI, installed beside this interpreter (test
# requirement).
MISTRAL_CLI = paths.command('mistral')


def server_url():
    """Base URL (without /v2) of the shared test server."""
    from mistral_clone.db import api as db_api
    if 'url' not in _state:
        from mistral_clone.api import server

        config.parse_args([])
        tmp = tempfile.mkdtemp(prefix='mc_api_tests_')
        db_url = 'sqlite:///%s' % os.path.join(tmp, 'api.sqlite')
        db_api.setup(db_url, create_tables=True)
        srv, url = server.start_in_thread('127.0.0.1', 0)
        _state.update(url=url, server=srv, tmp=tmp, db_url=db_url)

        def _stop():
            srv.shutdown()
            srv.server_close()
            db_api.dispose()
            shutil.rmtree(tmp, ignore_errors=True)
        atexit.register(_stop)
    else:
        # The database is process-wide: a test class of the same worker
        # that ran an embedded server of its own (tests.base) pointed it
        # elsewhere, and disposed of it when it stopped.
        try:
            current = db_api.get_engine().url.render_as_string(False)
        except RuntimeError:
            current = None
        if current != _state['db_url']:
            db_api.setup(_state['db_url'])
    return _state['url']



def unique(prefix='x'):
    return '%s_%s_%d' % (prefix, uuid.uuid4().hex[:6], next(_counter))


def wf_text(name, extra='', tasks=None):
    tasks = tasks or '    t1:\n      action: std.noop\n'
    return "---\nversion: '2.0'\n%s:\n%s  tasks:\n%s" % (name, extra, tasks)


class ApiTestCase(unittest.TestCase):
    """requests-based helpers against the shared server."""

    @classmethod
    def setUpClass(cls):
        cls.root = server_url()
        cls.url = cls.root + '/v2'
        cls.http = requests.Session()

    def req(self, method, path, **kw):
        url = path if path.startswith('http') else self.url + path
        return self.http.request(method, url, allow_redirects=False, **kw)

    def get(self, path, **kw):
        return self.req('GET', path, **kw)

    def post_text(self, path, text, **kw):
        return self.req('POST', path, data=text.encode('utf-8'),
                        headers={'Content-Type': 'text/plain'}, **kw)

    def put_text(self, path, text, **kw):
        return self.req('PUT', path, data=text.encode('utf-8'),
                        headers={'Content-Type': 'text/plain'}, **kw)

    def post_json(self, path, body, **kw):
        return self.req('POST', path, json=body, **kw)

    def put_json(self, path, body, **kw):
        return self.req('PUT', path, json=body, **kw)

    def delete(self, path, **kw):
        return self.req('DELETE', path, **kw)

    def assertStatus(self, r, status):
        self.assertEqual(status, r.status_code, r.text[:500])
        return r.json() if r.content else None

    def assertFault(self, r, status, msg=None, wsme=True, contains=None):
        body = self.assertStatus(r, status)
        if wsme:
            self.assertEqual({'faultcode', 'faultstring', 'debuginfo'},
                             set(body))
            self.assertEqual('Client' if status < 500 else 'Server',
                             body['faultcode'])
        else:
            self.assertEqual({'faultstring'}, set(body))
        if msg is not None:
            self.assertEqual(msg, body['faultstring'])
        if contains is not None:
            self.assertIn(contains, body['faultstring'])
        return body

    def mk_wf(self, name=None, extra='', namespace=None):
        name = name or unique('wf')
        path = '/workflows' + ('?namespace=%s' % namespace
                               if namespace else '')
        body = self.assertStatus(self.post_text(path, wf_text(name, extra)),
                                 201)
        return name, body['workflows'][0]

    def client(self):
        from mistralclient.api import client
        return client.client(mistral_url=self.url)

    def cli(self, *args, rc=0):
        p = mistral_cli(self.url, *args)
        self.assertEqual(rc, p.returncode, p.stdout + p.stderr)
        return p


def mistral_cli(url, *args):
    """Run python-mistralclient's ``mistral`` against ``url`` (no auth)."""
    env = dict(os.environ, OS_AUTH_TYPE='none')
    for k in ('OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD', 'OS_CLOUD'):
        env.pop(k, None)
    return subprocess.run([MISTRAL_CLI, '--os-mistral-url', url] +
                          list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=60,
                          universal_newlines=True)
