"""std.http / std.mistral_http against a local http.server."""

import base64
import http.server
import json
import threading
import time
import unittest

from mistral_clone import actions


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _reply(self, status, body=b'', ctype=None, extra=()):
        self.send_response(status)
        if ctype:
            self.send_header('Content-Type', ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length).decode() if length else ''
        path = self.path
        if path.startswith('/redir-local'):
            port = self.server.server_address[1]
            return self._reply(302, extra=[
                ('Location', 'http://localhost:%s/json' % port)])
        if path.startswith('/redir'):
            return self._reply(302, extra=[('Location', '/json')])
        if path.startswith('/text'):
            return self._reply(200, 'h\u00e9llo'.encode(), 'text/plain')
        if path.startswith('/err'):
            return self._reply(500, b'{"e": 1}', 'application/json',
                               [('Set-Cookie', 'c1=v1')])
        if path.startswith('/slow'):
            time.sleep(0.5)
        echo = {'method': self.command, 'path': path,
                'headers': dict(self.headers), 'body': body}
        self._reply(200, json.dumps(echo).encode(), 'application/json')

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out on purpose break the pipe


class HttpTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = _QuietServer(('127.0.0.1', 0),
                                                     _Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = 'http://127.0.0.1:%s' % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.addCleanup(actions.reset_http_policy)

    def run_http(self, name='std.http', context=None, **params):
        d = actions.find_system_action(name)
        d.check_parameters(params)
        context = context or actions.make_action_context(
            action_execution_id='ae-1')
        return actions.run_action(d.instantiate(params), context)


class DefaultPolicyTest(HttpTestBase):
    def _refused(self, url, text, **params):
        res = self.run_http(url=url, **params)
        self.assertTrue(res.is_error())
        self.assertRegex(
            res.error,
            r"^The action raised an exception \[action=<mistral\.actions\."
            r"std_actions\.HTTPAction object at 0x[0-9a-f]+>, "
            r"action_ex_id=ae-1, msg='")
        self.assertTrue(res.error.endswith("msg='%s']" % text), res.error)

    def test_loopback_and_metadata_refused(self):
        self._refused(self.base + '/json',
                      "URL host '127.0.0.1' resolves to a blocked address "
                      "(127.0.0.1).")
        self._refused('http://localhost:1/',
                      "URL host 'localhost' resolves to a blocked address "
                      "(127.0.0.1).")
        self._refused('http://[::1]:80/',
                      "URL host '::1' resolves to a blocked address (::1).")
        self._refused('http://169.254.169.254/latest',
                      "URL host '169.254.169.254' resolves to a blocked "
                      "address (169.254.169.254).")
        self._refused('http://[::ffff:127.0.0.1]/',
                      "URL host '::ffff:127.0.0.1' resolves to a blocked "
                      "address (::ffff:127.0.0.1).")

    def test_scheme_and_host(self):
        self._refused('ftp://x/',
                      "URL scheme 'ftp' is not allowed (only http and https "
                      "are).")
        self._refused('file:///etc/passwd',
                      "URL scheme 'file' is not allowed (only http and https "
                      "are).")
        self._refused('http://', 'URL does not contain a host.')

    def test_allowed_hosts(self):
        actions.configure_http_policy(allowed_hosts=['example.org'])
        self._refused('http://other.example/',
                      "Host 'other.example' is not in [action_std_http] "
                      "allowed_hosts.")

    def test_defaults(self):
        policy = actions.get_http_policy()
        self.assertEqual(60, policy.default_timeout)
        self.assertEqual(5 * 1024 * 1024, policy.max_response_size_bytes)
        self.assertEqual(60, policy.effective_timeout(None))
        self.assertEqual(3, policy.effective_timeout(3))
        actions.configure_http_policy(default_timeout=0)
        self.assertIsNone(actions.get_http_policy().effective_timeout(None))
        # configure keeps unspecified values
        self.assertEqual(5 * 1024 * 1024,
                         actions.get_http_policy().max_response_size_bytes)


class RelaxedPolicyTest(HttpTestBase):
    def setUp(self):
        super().setUp()
        actions.configure_http_policy(denied_cidrs=[])

    def test_get_json(self):
        res = self.run_http(url=self.base + '/json?a=1', params={'q': 'z'})
        self.assertTrue(res.is_success(), res)
        r = res.data
        self.assertEqual(200, r['status'])
        self.assertEqual('OK', r['reason'])
        self.assertEqual('GET', r['content']['method'])
        self.assertEqual('/json?a=1&q=z', r['content']['path'])
        self.assertEqual(self.base + '/json?a=1&q=z', r['url'])
        self.assertEqual('application/json', r['headers']['Content-Type'])
        self.assertEqual([], r['history'])
        self.assertEqual({}, r['cookies'])
        self.assertIsInstance(r['elapsed'], float)
        json.dumps(r)

    def test_post_dict_body_numeric_header_auth(self):
        res = self.run_http(url=self.base + '/json', method='POST',
                            body={'k': 1}, headers={'X-N': 5},
                            cookies={'ck': '1'}, auth='u:p')
        c = res.data['content']
        self.assertEqual('{"k": 1}', c['body'])
        self.assertEqual('5', c['headers']['X-N'])
        self.assertEqual('ck=1', c['headers']['Cookie'])
        self.assertEqual('Basic ' + base64.b64encode(b'u:p').decode(),
                         c['headers']['Authorization'])

    def test_json_param_and_string_body(self):
        c = self.run_http(url=self.base + '/json', method='PUT',
                          json=[1, 2]).data['content']
        self.assertEqual(('PUT', '[1, 2]'), (c['method'], c['body']))
        c = self.run_http(url=self.base + '/json', method='POST',
                          body='raw text').data['content']
        self.assertEqual('raw text', c['body'])

    def test_error_status_is_error_result_with_dict(self):
        res = self.run_http(url=self.base + '/err')
        self.assertTrue(res.is_error())
        self.assertEqual(500, res.error['status'])
        self.assertEqual({'e': 1}, res.error['content'])
        self.assertEqual({'c1': 'v1'}, res.error['cookies'])
        self.assertEqual('Internal Server Error', res.error['reason'])

    def test_text_content_uses_response_encoding(self):
        r = self.run_http(url=self.base + '/text').data
        # No charset: ISO-8859-1 as on the reference (mojibake included).
        self.assertEqual('ISO-8859-1', r['encoding'])
        self.assertEqual('h\u00c3\u00a9llo', r['content'])

    def test_redirects(self):
        r = self.run_http(url=self.base + '/redir').data
        self.assertEqual(302, r['status'])  # not followed by default
        self.assertEqual('', r['content'])
        r = self.run_http(url=self.base + '/redir', allow_redirects=True).data
        self.assertEqual(200, r['status'])
        self.assertEqual([[]], r['history'])
        self.assertEqual(self.base + '/json', r['url'])

    def test_redirect_target_is_checked(self):
        actions.configure_http_policy(allowed_hosts=['127.0.0.1'])
        res = self.run_http(url=self.base + '/redir-local',
                            allow_redirects=True)
        self.assertIn("msg='Host 'localhost' is not in [action_std_http] "
                      "allowed_hosts.'", res.error)

    def test_unfollowed_redirect_to_denied_host_is_fine(self):
        actions.configure_http_policy(allowed_hosts=['127.0.0.1'])
        r = self.run_http(url=self.base + '/redir-local').data
        self.assertEqual(302, r['status'])

    def test_too_large(self):
        actions.configure_http_policy(max_response_size_bytes=10)
        res = self.run_http(url=self.base + '/json')
        self.assertRegex(res.error, r"msg='HTTP response is too large "
                                    r"\(Content-Length=\d+, limit=10 "
                                    r"bytes\)\.'\]$")

    def test_transport_errors(self):
        res = self.run_http(url='http://127.0.0.1:1/')
        self.assertIn("msg='Failed to send HTTP request: ", res.error)
        actions.configure_http_policy(default_timeout=0.1)
        res = self.run_http(url=self.base + '/slow')
        self.assertIn('Failed to send HTTP request: ', res.error)
        self.assertIn('timed out', res.error)

    def test_mistral_http_headers_and_async(self):
        ctx = actions.make_action_context(
            workflow_execution_id='wf-1', task_execution_id='t-1',
            action_execution_id='ae-9', workflow_name='my_wf')
        d = actions.find_system_action('std.mistral_http')
        action = d.instantiate({'url': self.base + '/json',
                                'headers': {'A': 'b'}})
        self.assertFalse(d.is_sync(action))
        res = actions.run_action(action, ctx)
        h = res.data['content']['headers']
        self.assertEqual('b', h['A'])
        self.assertEqual('my_wf', h['Mistral-Workflow-Name'])
        self.assertEqual('wf-1', h['Mistral-Workflow-Execution-Id'])
        self.assertEqual('t-1', h['Mistral-Task-Id'])
        self.assertEqual('ae-9', h['Mistral-Action-Execution-Id'])
        self.assertEqual('/v2/action_executions/ae-9',
                         h['Mistral-Callback-URL'])
        self.assertFalse(actions.should_report(action, res))

    def test_mistral_http_skips_unset_headers_and_reports_errors(self):
        ctx = actions.make_action_context(action_execution_id='ae-2')
        res = self.run_http('std.mistral_http', context=ctx,
                            url=self.base + '/json')
        h = res.data['content']['headers']
        self.assertNotIn('Mistral-Workflow-Name', h)
        self.assertEqual('ae-2', h['Mistral-Action-Execution-Id'])
        action = actions.find_system_action('std.mistral_http').instantiate(
            {'url': self.base + '/err'})
        res = actions.run_action(action, ctx)
        self.assertTrue(actions.should_report(action, res))
        self.assertEqual(500, res.error['status'])
