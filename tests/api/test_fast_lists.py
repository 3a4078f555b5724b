"""api/fast_lists.py answers exactly what pecan and WSME answer.

Workflows and executions are created through the shared test server; then
the WSGI application of ``setup_app()`` is called in-process for many list
requests, once as it is and once with the fast path switched off: status,
headers (but the request id) and body must be identical, and the fast path
must have answered the plain requests itself.
"""

import io
import sys
import unittest
from unittest import mock
import urllib.parse
import uuid

from mistral_clone import context
from mistral_clone.api import app as app_module
from mistral_clone.api import fast_lists
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from tests.api import base

REQUEST_ID = 'x-openstack-request-id'


def call(app, path, query='', headers=None, method='GET', body=b''):
    environ = {
        'REQUEST_METHOD': method, 'PATH_INFO': path, 'QUERY_STRING': query,
        'SERVER_NAME': 'localhost', 'SERVER_PORT': '8989',
        'HTTP_HOST': 'localhost:8989', 'REMOTE_ADDR': '127.0.0.1',
        'SERVER_PROTOCOL': 'HTTP/1.1', 'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(body), 'wsgi.errors': sys.stderr,
        'wsgi.version': (1, 0), 'wsgi.multithread': True,
        'wsgi.multiprocess': False, 'wsgi.run_once': False}
    if body:
        environ['CONTENT_LENGTH'] = str(len(body))
    for name, value in (headers or {}).items():
        environ['HTTP_' + name.upper().replace('-', '_')] = value
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen['status'] = status
        seen['headers'] = [(k, v) for k, v in response_headers
                           if k.lower() != REQUEST_ID]
    data = b''.join(app(environ, start_response))
    return seen['status'], seen['headers'], data


class FastListsTest(base.ApiTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prefix = base.unique('fl')
        cls.names = []
        for i, extra in enumerate(['', "  tags: [a, ü]\n",
                                   "  input:\n    - x\n    - y: 1\n"]):
            name = '%s_%d_ü' % (cls.prefix, i) if i == 1 else \
                '%s_%d' % (cls.prefix, i)
            r = cls.http.post(cls.url + '/workflows',
                              data=base.wf_text(name, extra).encode(),
                              headers={'Content-Type': 'text/plain'})
            assert r.status_code == 201, r.text
            cls.names.append(name)
        # Executions written directly (this server runs no engine).
        cls.ex_ids = [str(uuid.uuid4()) for _ in range(3)]
        with db_api.transaction() as s:
            for i, ex_id in enumerate(cls.ex_ids):
                s.add(models.WorkflowExecution(
                    id=ex_id, project_id=context.DEFAULT_PROJECT_ID,
                    workflow_name=cls.names[0], workflow_id=ex_id,
                    state=['SUCCESS', 'ERROR', 'RUNNING'][i],
                    state_info=None if i else 'ü "x"', tags=['t'] if i else
                    None, input={'a': [1, 'ü']}, output={} if i else None,
                    params={'env': {}}, context={}))
        cls.app = app_module.setup_app()

    def both(self, path, query='', headers=None, method='GET', body=b''):
        """(fast answer, pecan's answer, whether the fast path answered)."""
        answered = []
        real = fast_lists.FastLists._answer

        def spy(self_, route, environ):
            result = real(self_, route, environ)
            answered.append(result is not None)
            return result
        with mock.patch.object(fast_lists.FastLists, '_answer', spy):
            fast = call(self.app, path, query, headers, method, body)
        with mock.patch.object(fast_lists.FastLists, '_answer',
                               lambda *a: None):
            slow = call(self.app, path, query, headers, method, body)
        return fast, slow, any(answered)

    def check(self, path, query='', expect_fast=True, **kw):
        fast, slow, answered = self.both(path, query, **kw)
        self.assertEqual(slow, fast, '%s?%s' % (path, query))
        self.assertEqual(expect_fast, answered, '%s?%s' % (path, query))
        return fast

    def test_plain_lists_answered_fast_and_identical(self):
        marker = self.ex_ids[0]
        q = urllib.parse.quote
        for query in ['', 'limit=1', 'limit=50', 'limit=2&fields=name,tags',
                      'sort_keys=name&sort_dirs=desc&limit=3',
                      'name=%s' % q(self.names[1]),
                      'name=has:%s' % self.prefix, 'tags=a',
                      'fields=input,name', 'namespace=',
                      'limit=1;fields=name', 'limit=+3', 'fields=',
                      'scope=private&limit=2',
                      'created_at=gt:2000-01-01&limit=1']:
            status, headers, body = self.check('/v2/workflows', query)
            self.assertEqual('200 OK', status)
        for query in ['', 'limit=1', 'workflow_name=%s' % self.names[0],
                      'workflow_name=%s&sort_keys=state' % self.names[0],
                      'workflow_name=%s&fields=id,state,state_info'
                      % self.names[0],
                      'include_output=true&limit=2', 'include_output=maybe',
                      'limit=1&marker=%s' % marker, 'state=SUCCESS',
                      'workflow_id=%s' % marker]:
            self.check('/v2/executions', query)
        for accept in ('*/*', 'application/json'):
            self.check('/v2/workflows', 'limit=2',
                       headers={'Accept': accept})

    def test_everything_else_goes_to_pecan(self):
        unknown = '8e3c4b6e-9c2b-4d0e-b0a5-3a9d6c2f1e77'
        for query in ['limit=0', 'limit=abc', 'limit=-1', 'limit=1&limit=2',
                      'fields=nope', 'sort_keys=nope', 'foo=1',
                      'marker=bad', 'marker=%s' % unknown,
                      'all_projects=false', 'sort_dirs=up',
                      'project_id=nope', 'limit=%FF']:
            status, _, _ = self.check('/v2/workflows', query,
                                      expect_fast=False)
            self.assertNotEqual('200 OK', status, query)
        for query in ['nulls=nope', 'state=x&y=1', 'limit=1&limit=1']:
            self.check('/v2/executions', query, expect_fast=False)
        self.check('/v2/workflows', 'limit=2', expect_fast=False,
                   headers={'Accept': 'application/xml'})
        self.check('/v2/workflows', 'limit=2', expect_fast=False,
                   headers={'Accept': 'text/html'})

    def test_other_paths_and_methods_untouched(self):
        fast, slow, answered = self.both('/v2/workflows/', 'limit=1')
        self.assertEqual(slow, fast)
        self.assertFalse(answered)
        fast, slow, answered = self.both('/v2/workflows', 'limit=1',
                                         method='HEAD')
        self.assertEqual(slow, fast)
        self.assertFalse(answered)

    def test_debug_logging_goes_to_pecan(self):
        with mock.patch.object(app_module.LOG, 'isEnabledFor',
                               return_value=True):
            self.check('/v2/workflows', 'limit=1', expect_fast=False)


if __name__ == '__main__':
    unittest.main()
