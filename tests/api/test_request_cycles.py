"""A request leaves no reference cycle behind (issue 14, memory).

pecan keeps its request and response in ``environ['pecan.locals']`` and
webob its parsed query string in ``environ['webob._parsed_query_vars']``,
both referring back to the environ: every request's objects, its bodies
among them, waited for the cycle collector. ``app.ReleaseRequestCycles``
drops those keys once pecan has answered.
"""

import gc
import io
import sys
import unittest

import pecan

from mistral_clone.api import app as api_app
from mistral_clone.api import pecan_argspecs


class _Root(object):

    @pecan.expose('json')
    def index(self, **kwargs):
        return {'echo': kwargs, 'path': pecan.request.path}


def _call(app, query='a=1&b=2'):
    environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/',
               'QUERY_STRING': query, 'SERVER_NAME': 'x',
               'SERVER_PORT': '80', 'HTTP_HOST': 'x',
               'SERVER_PROTOCOL': 'HTTP/1.1', 'wsgi.url_scheme': 'http',
               'wsgi.input': io.BytesIO(b''), 'wsgi.errors': sys.stderr}
    status = []
    body = b''.join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body


def _garbage(app, requests=10):
    """Objects only the cycle collector would have freed."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(requests):
            _call(app)
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        del gc.garbage[:]


class RequestCyclesTest(unittest.TestCase):

    def _app(self, **kwargs):
        # As the server's (setup_app): pecan's argspecs memoised (each was
        # a new namedtuple class, itself a cycle).
        pecan_argspecs.install()
        return pecan.make_app(_Root(), debug=False, logging={}, **kwargs)

    def test_no_cycle_per_request(self):
        app = self._app(wrap_app=api_app.ReleaseRequestCycles)
        self.assertEqual(('200 OK', b'{"echo": {"a": "1", "b": "2"}, '
                                    b'"path": "/"}'), _call(app))
        self.assertEqual([], _garbage(app))

    def test_without_it_each_request_is_a_cycle(self):
        # The control: pecan and webob alone leave their objects to the
        # collector.
        kinds = {type(o).__name__ for o in _garbage(self._app())}
        self.assertIn('Request', kinds)
        self.assertIn('GetDict', kinds)

    def test_the_servers_app_has_it(self):
        # setup_app passes it to pecan (wrap_app).
        seen = []
        real = pecan.make_app

        def make_app(root, **kwargs):
            seen.append(kwargs.get('wrap_app'))
            return real(root, **kwargs)

        from unittest import mock
        with mock.patch.object(api_app.pecan, 'make_app', make_app):
            api_app.setup_app()
        self.assertEqual([api_app.ReleaseRequestCycles], seen)
