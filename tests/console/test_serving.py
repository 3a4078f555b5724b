"""Serving the console's files under /ui/ (WSGI level, no browser)."""

import json
import unittest

import webob

from mistral_clone.console import app as console_app


def _api(environ, start_response):
    body = json.dumps({'path': environ['PATH_INFO']}).encode()
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [body]


class TestServing(unittest.TestCase):

    def setUp(self):
        self.app = console_app.mount(_api)

    def get(self, path, **kw):
        return webob.Request.blank(path, **kw).get_response(self.app)

    def test_pages_of_the_app_get_index_html_with_the_base(self):
        for path in ('/ui/', '/ui/executions', '/ui/executions/0f4c6f1e-1',
                     '/ui/workflows/abc'):
            r = self.get(path)
            self.assertEqual(200, r.status_int, path)
            self.assertEqual('text/html', r.content_type)
            self.assertIn(b'<meta name="mc-ui-root" content="/ui/">', r.body)
            self.assertIn(b'src="/ui/js/main.js"', r.body)
            self.assertNotIn(b'{{BASE}}', r.body)

    def test_behind_a_prefix(self):
        r = self.get('/ui/executions', environ={'SCRIPT_NAME': '/workflow'})
        self.assertIn(b'content="/workflow/ui/"', r.body)
        r = self.get('/ui', environ={'SCRIPT_NAME': '/workflow'})
        self.assertEqual(301, r.status_int)
        self.assertTrue(r.location.endswith('/workflow/ui/'))

    def test_files_with_their_types(self):
        for path, ctype in (('/ui/js/main.js', 'text/javascript'),
                            ('/ui/vendor/dagre.esm.js', 'text/javascript'),
                            ('/ui/vendor/js-yaml.js', 'text/javascript'),
                            ('/ui/css/console.css', 'text/css'),
                            ('/ui/favicon.svg', 'image/svg+xml')):
            r = self.get(path)
            self.assertEqual(200, r.status_int, path)
            self.assertEqual(ctype, r.content_type, path)
            self.assertEqual('no-cache', r.headers['Cache-Control'])
            self.assertGreater(len(r.body), 100)
        r = self.get('/ui/js/main.js', if_modified_since=self.get('/ui/js/main.js').last_modified)
        self.assertEqual(304, r.status_int)

    def test_missing_files_and_escapes_are_not_served(self):
        self.assertEqual(404, self.get('/ui/js/nope.js').status_int)
        for path in ('/ui/../app.py', '/ui/%2e%2e/app.py', '/ui/..%2fapp.py',
                     '/ui/js/../../app.py'):
            r = self.get(path)
            self.assertNotIn(b'import webob', r.body, path)
        r = self.get('/ui/../../../../etc/passwd')
        self.assertNotIn(b'root:', r.body)

    def test_only_get_and_head(self):
        r = self.get('/ui/', method='POST')
        self.assertEqual(405, r.status_int)
        self.assertEqual('GET, HEAD', r.headers['Allow'])
        self.assertEqual(200, self.get('/ui/js/api.js', method='HEAD').status_int)

    def test_security_headers(self):
        r = self.get('/ui/executions')
        self.assertIn("script-src 'self'", r.headers['Content-Security-Policy'])
        self.assertIn("frame-ancestors 'none'", r.headers['Content-Security-Policy'])
        self.assertEqual('nosniff', r.headers['X-Content-Type-Options'])
        self.assertEqual('DENY', r.headers['X-Frame-Options'])

    def test_everything_else_goes_to_the_api(self):
        for path in ('/', '/v2/executions', '/uix', '/v2/ui/'):
            r = self.get(path)
            self.assertEqual({'path': path}, r.json, path)
