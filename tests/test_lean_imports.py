"""oslo.middleware without its package's other middlewares and Jinja
(mistral_clone/lean_imports.py), in a fresh interpreter."""

import json
import subprocess
import sys
import textwrap
import unittest

PROBE = textwrap.dedent('''\
    import json, sys
    from mistral_clone import lean_imports
    lean_imports.oslo_middleware()
    from oslo_middleware import cors, http_proxy_to_wsgi, request_id
    from oslo_middleware.healthcheck import opts, pluginbase
    from oslo_middleware import healthcheck
    seen = {'at_start': sorted(m for m in sys.modules if m.split('.')[0]
                               in ('jinja2', 'bcrypt') or m in (
                                   'oslo_middleware.basic_auth',
                                   'oslo_middleware.debug'))}

    # A healthcheck page is rendered with the real Jinja.
    from oslo_config import cfg
    conf = cfg.ConfigOpts()
    conf([])
    app = healthcheck.Healthcheck(None, conf)
    out = {}
    body = app({'REQUEST_METHOD': 'GET', 'PATH_INFO': '/healthcheck',
                'SERVER_NAME': 'x', 'SERVER_PORT': '80',
                'wsgi.url_scheme': 'http', 'HTTP_ACCEPT': 'text/html',
                'REMOTE_ADDR': '127.0.0.1'},
               lambda status, headers, exc=None: out.update(status=status))
    seen['status'] = out['status']
    seen['html'] = b''.join(body).decode()
    seen['jinja2_after_page'] = 'jinja2.environment' in sys.modules
    # The package's own names: its __init__ runs at the first of them.
    import oslo_middleware
    seen['CORS'] = oslo_middleware.CORS is cors.CORS
    seen['basic_auth_after'] = 'oslo_middleware.basic_auth' in sys.modules
    print(json.dumps(seen))
    ''')


def run_probe(probe):
    """What ``probe`` (a script run by a fresh interpreter) printed last:
    a JSON object of what it saw."""
    out = subprocess.run([sys.executable, '-c', probe], check=True,
                         stdout=subprocess.PIPE, timeout=120)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


class LeanOsloMiddlewareTest(unittest.TestCase):

    def test_only_what_is_used_is_imported(self):
        seen = run_probe(PROBE)
        self.assertEqual([], seen['at_start'])
        self.assertEqual('200 OK', seen['status'])
        self.assertIn('<html', seen['html'].lower())
        self.assertTrue(seen['jinja2_after_page'])
        self.assertTrue(seen['CORS'])
        self.assertTrue(seen['basic_auth_after'])


DEFER_PROBE = textwrap.dedent('''\
    import importlib.util, json, sys
    from mistral_clone import lean_imports
    lean_imports.defer('psutil')
    lean_imports.defer('no_such_module_here')
    seen = {}
    import psutil
    seen['stand_in'] = type(psutil).__name__
    seen['spec'] = importlib.util.find_spec('psutil').name
    try:
        import no_such_module_here  # noqa: F401
    except ImportError:
        seen['missing'] = 'ImportError'
    # oslo.messaging (oslo_utils.netutils) imports it, uses none of it.
    import oslo_messaging  # noqa: F401
    from oslo_utils import netutils
    seen['after_messaging'] = type(sys.modules['psutil']).__name__
    seen['netutils_has_stand_in'] = netutils.psutil is psutil
    # The first attribute imports the real module.
    seen['pid'] = psutil.Process().pid
    seen['real'] = type(sys.modules['psutil']).__name__
    seen['version'] = psutil.__version__ == sys.modules['psutil'].__version__
    import psutil as again
    seen['again'] = again is sys.modules['psutil']
    print(json.dumps(seen))
    ''')


class DeferTest(unittest.TestCase):

    def test_a_deferred_module_is_imported_at_its_first_attribute(self):
        seen = run_probe(DEFER_PROBE)
        self.assertEqual('_DeferredModule', seen['stand_in'])
        self.assertEqual('psutil', seen['spec'])
        self.assertEqual('ImportError', seen['missing'])
        self.assertEqual('_DeferredModule', seen['after_messaging'])
        self.assertTrue(seen['netutils_has_stand_in'])
        self.assertGreater(seen['pid'], 0)
        self.assertEqual('module', seen['real'])
        self.assertTrue(seen['version'])
        self.assertTrue(seen['again'])


ASYNCIO_PROBE = textwrap.dedent('''\
    import json, sys
    from mistral_clone import lean_imports
    lean_imports.defer('asyncio', ('iscoroutine',))
    import sqlalchemy as sa
    from sqlalchemy import orm
    from sqlalchemy.util import concurrency
    engine = sa.create_engine('sqlite://')
    with orm.Session(engine) as session:
        one = session.execute(sa.text('select 1')).scalar()
    seen = {'one': one,
            'deferred': type(sys.modules['asyncio']).__name__}

    async def coroutine():
        return 2
    c = coroutine()
    seen['iscoroutine'] = concurrency.iscoroutine(c)
    seen['not'] = concurrency.iscoroutine(1)
    c.close()
    seen['real'] = type(sys.modules['asyncio']).__name__
    import asyncio
    seen['run'] = asyncio.run(coroutine())
    print(json.dumps(seen))
    ''')


class DeferredAsyncioTest(unittest.TestCase):

    def test_sqlalchemy_runs_without_asyncio_until_it_is_needed(self):
        out = subprocess.run([sys.executable, '-c', ASYNCIO_PROBE],
                             check=True, stdout=subprocess.PIPE, timeout=120)
        seen = json.loads(out.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(1, seen['one'])
        self.assertEqual('_DeferredModule', seen['deferred'])
        self.assertTrue(seen['iscoroutine'])
        self.assertFalse(seen['not'])
        self.assertEqual('module', seen['real'])
        self.assertEqual(2, seen['run'])
