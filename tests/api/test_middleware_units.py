"""The operator middleware's request-id and bypass pieces, in plain WSGI
(behaviour through a real server: tests/api/test_operability.py)."""

import unittest

from oslo_middleware import request_id as oslo_request_id

from mistral_clone import config
from mistral_clone.api import middleware

GLOBAL_ID = 'req-0123abcd-0123-4567-89ab-0123456789ab'


def _call(app, environ=None):
    environ = dict(environ or {}, REQUEST_METHOD='GET', PATH_INFO='/v2')
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen['status'] = status
        seen['headers'] = headers
    body = b''.join(app(environ, start_response))
    return environ, seen, body


def _app(headers=()):
    def app(environ, start_response):
        start_response('200 OK', list(headers))
        return [b'ok']
    return app


class TestRequestId(unittest.TestCase):

    def test_new_id_in_environ_and_header(self):
        environ, seen, body = _call(middleware.RequestId(_app()))
        req_id = environ[oslo_request_id.ENV_REQUEST_ID]
        self.assertRegex(req_id, oslo_request_id.ID_FORMAT)
        self.assertEqual([('x-openstack-request-id', req_id)],
                         seen['headers'])
        self.assertEqual(b'ok', body)
        self.assertNotIn(oslo_request_id.GLOBAL_REQ_ID, environ)

    def test_ids_differ_per_request(self):
        app = middleware.RequestId(_app())
        ids = {_call(app)[0][oslo_request_id.ENV_REQUEST_ID]
               for _ in range(3)}
        self.assertEqual(3, len(ids))

    def test_inbound_id_becomes_the_global_id(self):
        environ = _call(middleware.RequestId(_app()),
                        {'HTTP_X_OPENSTACK_REQUEST_ID': GLOBAL_ID})[0]
        self.assertEqual(GLOBAL_ID, environ[oslo_request_id.GLOBAL_REQ_ID])
        self.assertNotEqual(GLOBAL_ID,
                            environ[oslo_request_id.ENV_REQUEST_ID])
        environ = _call(middleware.RequestId(_app()),
                        {'HTTP_X_OPENSTACK_REQUEST_ID': 'bogus'})[0]
        self.assertNotIn(oslo_request_id.GLOBAL_REQ_ID, environ)

    def test_header_set_by_the_app_is_kept(self):
        app = middleware.RequestId(
            _app([('X-OpenStack-Request-Id', 'req-inner')]))
        seen = _call(app)[1]
        self.assertEqual([('X-OpenStack-Request-Id', 'req-inner')],
                         seen['headers'])


class TestBypass(unittest.TestCase):

    def test_cors_only_for_origin_or_preflight(self):
        self.assertFalse(middleware.cors_needed({'REQUEST_METHOD': 'GET'}))
        self.assertTrue(middleware.cors_needed(
            {'REQUEST_METHOD': 'GET', 'HTTP_ORIGIN': 'https://a'}))
        self.assertTrue(middleware.cors_needed({'REQUEST_METHOD': 'OPTIONS'}))

    def test_proxy_parser_only_with_forwarding_headers(self):
        self.assertFalse(middleware.proxy_headers_needed({}))
        for name in ('HTTP_FORWARDED', 'HTTP_X_FORWARDED_PROTO',
                     'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_FOR',
                     'HTTP_X_FORWARDED_PREFIX'):
            self.assertTrue(middleware.proxy_headers_needed({name: 'x'}))

    def test_bypass_calls_the_middleware_only_when_needed(self):
        calls = []

        def mw(environ, start_response):
            calls.append(environ['PATH_INFO'])
            return _app()(environ, start_response)
        app = middleware.Bypass(_app(), mw, lambda e: 'HTTP_ORIGIN' in e)
        _call(app)
        self.assertEqual([], calls)
        _call(app, {'HTTP_ORIGIN': 'https://a'})
        self.assertEqual(['/v2'], calls)

    def test_wrap_puts_request_id_outermost(self):
        config.parse_args([])
        config.register_api_opts(config.CONF)
        app = middleware.wrap(_app(), config.CONF, False)
        self.assertIsInstance(app, middleware.RequestId)
        self.assertIsInstance(app.app, middleware.AccessLog)
