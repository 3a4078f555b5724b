"""What each kind of production process imports (issue 14, memory).

Every module a process imports stays in its memory for its lifetime: an
engine, executor or scheduler that imported the API's web stack (pecan,
WSME, keystonemiddleware, oslo.middleware's webob and jinja2...), the
database migrations (alembic, mako) or eventlet's green DNS (dnspython)
carried 30 MB it never used; yaql and Jinja wait for the first expression. Each test starts ``mistral-clone-server``'s
real ``main`` for one ``--server`` kind in a fresh interpreter, in
production mode (oslo.messaging's in-memory ``fake://`` transport, a
database created beforehand by ``mistral-clone-db-manage``, as a
PostgreSQL deployment is), lets ``launcher.launch`` start everything, and
then reads the interpreter's ``sys.modules``. The API process is the
control: the same probe sees it import pecan and WSME.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests import paths

# Top-level packages (or our own modules, by prefix) that no engine,
# executor or scheduler needs.
NOT_FOR_SERVICES = (
    'pecan', 'wsme', 'keystonemiddleware', 'oslo_middleware', 'webob',
    'cheroot', 'cotyledon', 'alembic', 'mako', 'jsonschema', 'dns',
    'mistral_clone.api', 'mistral_clone.console', 'mistral_clone.db.migration',
    # Imported on the first expression evaluated, not at start (executors
    # and schedulers seldom evaluate any).
    'yaql', 'jinja2',
    # Imported by std.email when it runs.
    'smtplib', 'email.mime',
    # Without [metrics] port nothing reads their metrics (observe.py).
    'prometheus_client',
    # Imported by libraries, used by none of what our processes call
    # (cmd/server.py's DEFERRED_MODULES).
    'psutil', 'asyncio',
)

# What an API process must not import at start (enforced on the API's own
# start below): the engine, executor and scheduler (each runs elsewhere),
# migrations, ``requests`` (oslo.policy's HTTP check, imported on its first
# use: policies.py), keystonemiddleware without [pecan] auth_enable, the
# OpenAPI document's generator and what waits for the first definition to
# validate.
NOT_FOR_API = (
    'mistral_clone.engine', 'mistral_clone.executor',
    'mistral_clone.scheduler', 'alembic', 'mistral_clone.db.migration',
    # Actions run elsewhere: imported to list them (GET /v2/actions).
    'mistral_clone.actions', 'mistral_lib',
    'requests', 'urllib3', 'keystonemiddleware',
    'yaql', 'jsonschema', 'jsonschema_rs',
    # Generated at the first GET /v2/openapi.json.
    'mistral_clone.api.openapi.document',
    # Imported by the first cron trigger's next time.
    'croniter',
    # Loaded by a MySQL database URL only (db/models.py).
    'sqlalchemy.dialects.mysql',
    # mako's error pages highlight with pygments when it is installed (the
    # test extras install it): pecan is imported without it (lean_pecan).
    'pygments',
    # oslo_middleware's __init__ imports every middleware of the package,
    # its healthcheck imports Jinja for its pages (lean_imports.py).
    'oslo_middleware.basic_auth', 'bcrypt', 'oslo_middleware.debug',
    'jinja2',
    # Imported by libraries, used by none of what our processes call
    # (cmd/server.py's DEFERRED_MODULES).
    'psutil', 'asyncio', 'importlib_metadata', 'more_itertools',
)

# What no process imports before it opens a SQLite database (the probes
# below run on SQLite, so this is checked on the modules themselves).
SQLITE_ONLY = ('sqlite3', '_sqlite3', 'mistral_clone.db.sqlite_bindings')

SERVICE_MODULES = (
    'mistral_clone.cmd.server', 'mistral_clone.launcher',
    'mistral_clone.api_workers', 'mistral_clone.api.app',
    'mistral_clone.engine.service', 'mistral_clone.executor.service',
    'mistral_clone.scheduler.service', 'mistral_clone.actions',
)

PROBE = textwrap.dedent('''\
    import json, os, signal, sys
    from mistral_clone.cmd import server
    from mistral_clone import launcher

    # As on PostgreSQL: the schema is there, the server does not upgrade it.
    setup_database = launcher.setup_database
    launcher.setup_database = lambda conf: setup_database(conf, upgrade=False)
    launch = launcher.launch

    def probe(*args, **kwargs):
        launched = launch(*args, **kwargs)
        with open(sys.argv[2], 'w') as f:
            # A module standing in for one imported at its first use
            # (lean_imports.defer) is not imported yet.
            json.dump(sorted(m for m, mod in sys.modules.items()
                             if type(mod).__name__ != '_DeferredModule'), f)
        os.kill(os.getpid(), signal.SIGTERM)  # main stops what it started
        return launched

    launcher.launch = probe
    sys.exit(server.main(['--config-file', sys.argv[1],
                          '--server', sys.argv[3]]))
    ''')


def _matches(module, name):
    return module == name or module.startswith(name + '.')


class ProcessModulesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='mc_modules_')
        cls.conf = os.path.join(cls.tmp, 'server.conf')
        with open(cls.conf, 'w') as f:
            f.write(textwrap.dedent('''\
                [DEFAULT]
                transport_url = fake://
                log_file = %s
                [database]
                connection = sqlite:///%s
                [api]
                host = 127.0.0.1
                port = 0
                api_workers = 1
                ''') % (os.path.join(cls.tmp, 'server.log'),
                        os.path.join(cls.tmp, 'db.sqlite')))
        subprocess.run([paths.command('mistral-clone-db-manage'),
                        '--config-file', cls.conf, 'upgrade', 'head'],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT, timeout=300)
        cls.script = os.path.join(cls.tmp, 'probe.py')
        with open(cls.script, 'w') as f:
            f.write(PROBE)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def modules(self, kind):
        out = os.path.join(self.tmp, '%s.json' % kind)
        env = dict(os.environ)
        env.pop('EVENTLET_NO_GREENDNS', None)  # as an operator starts it
        proc = subprocess.run(
            [sys.executable, self.script, self.conf, out, kind],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
            cwd=self.tmp, env=env)
        output = proc.stdout.decode('utf-8', 'replace')
        self.assertEqual(0, proc.returncode, output)
        with open(out) as f:
            return json.load(f)

    def assert_lean(self, kind, started_module):
        modules = self.modules(kind)
        # The probe saw a real start of this service...
        self.assertIn(started_module, modules)
        self.assertIn('oslo_messaging', modules)
        # ...which imported nothing of the API nor of migrations.
        unneeded = sorted(m for m in modules
                          if any(_matches(m, n) for n in NOT_FOR_SERVICES))
        self.assertEqual([], unneeded)

    def test_engine(self):
        self.assert_lean('engine', 'mistral_clone.engine.service')

    def test_executor(self):
        self.assert_lean('executor', 'mistral_clone.executor.service')

    def test_scheduler(self):
        self.assert_lean('scheduler', 'mistral_clone.scheduler.service')

    def test_api_process_imports_the_web_stack(self):
        # The control: the same probe does see what an API process uses.
        modules = self.modules('api')
        for name in ('pecan', 'wsme', 'oslo_middleware', 'cheroot',
                     'mistral_clone.api.app'):
            self.assertIn(name, modules)
        # ...and nothing it does not need before its first request.
        unneeded = sorted(m for m in modules
                          if any(_matches(m, n) for n in NOT_FOR_API))
        self.assertEqual([], unneeded)

    def test_no_sqlite_until_a_sqlite_database(self):
        # A production process on PostgreSQL or MySQL never loads sqlite3
        # and its library: every module a service imports, imported
        # together, leaves it out (db/api.py loads it for a SQLite URL).
        code = ('import json, sys\n'
                'for name in %r: __import__(name)\n'
                'print(json.dumps(sorted(sys.modules)))' % (SERVICE_MODULES,))
        proc = subprocess.run([sys.executable, '-c', code],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=300, cwd=self.tmp)
        self.assertEqual(0, proc.returncode, proc.stderr.decode())
        modules = json.loads(proc.stdout.decode())
        self.assertIn('mistral_clone.db.api', modules)
        self.assertEqual([], sorted(
            m for m in modules if any(_matches(m, n) for n in SQLITE_ONLY)))

    def test_chains_import_no_yaql(self):
        # Chains over plain data ('<% $.items %>', '<% $.i %>': the with-items
        # and chain scenarios' expressions, as most workflows') are answered
        # and syntax-checked without yaql (~2.8 MB: expressions.yaql_chain)
        # under the server's default limits; the first other expression
        # imports it.
        code = textwrap.dedent('''\
            import json, sys
            from mistral_clone import expressions as expr
            expr.configure(limit_iterators=100000, memory_quota=10000000)
            ctx = expr.ContextView({'items': [1, {'a': [2]}], 'i': 3})
            assert expr.evaluate('<% $.items %>', ctx) == [1, {'a': [2]}]
            assert expr.evaluate('i=<% $.i %>', ctx) == 'i=3'
            expr.validate('<% $.items %> <% $.i %>')
            before = sorted(m for m in sys.modules if m.startswith('yaql'))
            assert expr.evaluate('<% $.i + 1 %>', ctx) == 4
            print(json.dumps([before, 'yaql' in sys.modules]))
            ''')
        proc = subprocess.run([sys.executable, '-c', code],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=300, cwd=self.tmp)
        self.assertEqual(0, proc.returncode, proc.stderr.decode())
        self.assertEqual([[], True], json.loads(proc.stdout.decode()))
