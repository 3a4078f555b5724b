"""mistral_clone behind a real Keystone (issue 7).

Once per module:

1. a Keystone virtualenv (``keystone`` 30.x from PyPI + gunicorn) is created
   under ``~/.cache/mistral_clone/keystone-venv`` (``MC_KEYSTONE_VENV``
   overrides), or reused when it is already there — Keystone's pins never
   touch our own venv;
2. Keystone is configured in a temporary directory (SQLite, fernet tokens),
   ``keystone-manage db_sync / fernet_setup / credential_setup / bootstrap``
   run, and gunicorn serves it on a free loopback port;
3. projects ``alpha`` and ``beta`` (users ``alice`` and ``bob``, role
   ``member``), the service user ``mistral`` and a ``workflowv2`` catalog
   entry are created through Keystone's REST API;
4. ``mistral-clone-server`` starts in a subprocess with ``[pecan]
   auth_enable = True`` and ``[keystone_authtoken]`` pointing at it.

The tests then talk to the server with python-mistralclient (password
authentication, endpoint from the catalog) and with raw tokens.

The module is skipped, with the reason, only when the Keystone venv cannot
be created (no network, no PyPI).
"""

import datetime
import getpass
import grp
import json
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import uuid

import requests

from tests.integration import production_env as pe

VENV = os.environ.get('MC_KEYSTONE_VENV') or os.path.expanduser(
    '~/.cache/mistral_clone/keystone-venv')
KEYSTONE_REQ = os.environ.get('MC_KEYSTONE_REQ', 'keystone>=30,<31')
MISTRAL_CLI = os.path.join(os.path.dirname(sys.executable), 'mistral')
SERVER_CMD = os.path.join(os.path.dirname(sys.executable),
                          'mistral-clone-server')
# A bootstrapped and populated Keystone (database, keys, passwords) is kept
# here after the first run; later runs copy it instead of running
# keystone-manage and re-creating users (a minute saved on a busy machine).
TEMPLATE = os.environ.get('MC_KEYSTONE_TEMPLATE') or VENV + '-template'
TEMPLATE_VERSION = '1'
ADMIN_PASSWORD = 'adm1n-%s' % uuid.uuid4().hex[:8]
PASSWORD = 'pw-%s' % uuid.uuid4().hex[:8]
SERVICE_PASSWORD = 'svc-%s' % uuid.uuid4().hex[:8]

LOG = logging.getLogger(__name__)

_env = {}


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_http(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('%s exited with %s' % (url, proc.returncode))
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError('%s did not come up in %ss' % (url, timeout))


# --- the Keystone venv ---------------------------------------------------

def _venv_python():
    return os.path.join(VENV, 'bin', 'python')


def _install_lock():
    """One process at a time installs the Keystone venv or its template
    (test workers start at the same moment)."""
    os.makedirs(os.path.dirname(VENV), exist_ok=True)
    return pe.file_lock(VENV + '.lock')


def ensure_keystone_venv():
    """Create (once) and return the python of the Keystone venv."""
    marker = os.path.join(VENV, '.mistral_clone_ready')
    if os.path.exists(marker):
        return _venv_python()
    with _install_lock():
        if os.path.exists(marker):  # another worker made it meanwhile
            return _venv_python()
        return _create_keystone_venv(marker)


def _create_keystone_venv(marker):
    shutil.rmtree(VENV, ignore_errors=True)
    shutil.rmtree(TEMPLATE, ignore_errors=True)
    os.makedirs(os.path.dirname(VENV), exist_ok=True)
    base_python = getattr(sys, '_base_executable', None) or sys.executable
    try:
        subprocess.run([base_python, '-m', 'venv', VENV], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([_venv_python(), '-m', 'pip', 'install', '-q',
                        KEYSTONE_REQ, 'gunicorn'], check=True,
                       capture_output=True, timeout=1200)
        subprocess.run([_venv_python(), '-c', 'import keystone, gunicorn'],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired,
            OSError) as e:
        out = getattr(e, 'stderr', b'') or b''
        shutil.rmtree(VENV, ignore_errors=True)
        raise unittest.SkipTest(
            'cannot create the Keystone venv at %s (%s): %s' % (
                VENV, e, out.decode('utf-8', 'replace')[-500:]))
    with open(marker, 'w') as f:
        f.write(KEYSTONE_REQ + '\n')
    return _venv_python()


# --- Keystone -------------------------------------------------------------

class Keystone:

    def __init__(self, python, tmp):
        self.python = python
        self.dir = os.path.join(tmp, 'keystone')
        os.makedirs(self.dir)
        self.port = _free_port()
        self.url = 'http://127.0.0.1:%d/v3' % self.port
        self.conf = os.path.join(self.dir, 'keystone.conf')
        self.proc = None
        self._log = None

    def _manage(self, *args):
        cmd = [self.python, '-c',
               'import sys; from keystone.cmd.manage import main; '
               'sys.argv[0] = "keystone-manage"; sys.exit(main())',
               '--config-file', self.conf] + list(args)
        r = subprocess.run(cmd, capture_output=True, timeout=180)
        if r.returncode:
            raise RuntimeError('keystone-manage %s failed: %s' % (
                args[0], r.stderr.decode('utf-8', 'replace')[-2000:]))

    def _template_meta(self):
        try:
            with open(os.path.join(TEMPLATE, 'meta.json')) as f:
                meta = json.load(f)
        except (OSError, ValueError):
            return None
        return meta if meta.get('version') == TEMPLATE_VERSION else None

    def setup(self, mistral_url):
        """Start Keystone with our users; returns the ids of projects and
        users."""
        global ADMIN_PASSWORD, PASSWORD, SERVICE_PASSWORD
        meta = self._template_meta()
        if meta is None:
            with _install_lock():
                meta = self._template_meta()
                if meta is None:
                    self._write_conf()
                    self._bootstrap()
                    self._serve()
                    ids = self.populate(mistral_url)
                    self._save_template(ids)
                    return ids
        ADMIN_PASSWORD = meta['admin_password']
        PASSWORD = meta['password']
        SERVICE_PASSWORD = meta['service_password']
        self._write_conf()
        shutil.copy(os.path.join(TEMPLATE, 'keystone.db'),
                    os.path.join(self.dir, 'keystone.db'))
        for sub in ('fernet-keys', 'credential-keys'):
            shutil.copytree(os.path.join(TEMPLATE, sub),
                            os.path.join(self.dir, sub))
            os.chmod(os.path.join(self.dir, sub), 0o700)
        self._serve()
        self._repoint_endpoints(mistral_url)
        return meta['ids']

    def _save_template(self, ids):
        tmp = TEMPLATE + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        src = sqlite3.connect(os.path.join(self.dir, 'keystone.db'))
        dst = sqlite3.connect(os.path.join(tmp, 'keystone.db'))
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        for sub in ('fernet-keys', 'credential-keys'):
            shutil.copytree(os.path.join(self.dir, sub),
                            os.path.join(tmp, sub))
        with open(os.path.join(tmp, 'meta.json'), 'w') as f:
            json.dump({'version': TEMPLATE_VERSION, 'ids': ids,
                       'admin_password': ADMIN_PASSWORD,
                       'password': PASSWORD,
                       'service_password': SERVICE_PASSWORD}, f)
        shutil.rmtree(TEMPLATE, ignore_errors=True)
        os.rename(tmp, TEMPLATE)

    def _repoint_endpoints(self, mistral_url):
        tok, _ = self.token('admin', ADMIN_PASSWORD, 'admin')
        services = {sv['id']: sv['type'] for sv in
                    self.admin('GET', '/services', tok)['services']}
        for ep in self.admin('GET', '/endpoints', tok)['endpoints']:
            kind = services.get(ep['service_id'])
            url = {'identity': self.url, 'workflowv2': mistral_url}.get(kind)
            if url and ep['url'] != url:
                self.admin('PATCH', '/endpoints/%s' % ep['id'], tok,
                           json={'endpoint': {'url': url}})

    def _write_conf(self):
        d = self.dir
        with open(self.conf, 'w') as f:
            f.write(textwrap.dedent('''\
                [DEFAULT]
                log_file = %(d)s/keystone.log
                [database]
                connection = sqlite:///%(d)s/keystone.db
                [token]
                provider = fernet
                [fernet_tokens]
                key_repository = %(d)s/fernet-keys
                [credential]
                key_repository = %(d)s/credential-keys
                [cache]
                enabled = false
                [identity]
                # bcrypt's minimum: user creation and password logins are
                # the bulk of the set-up time.
                password_hash_rounds = 4
                ''' % {'d': d}))

    def _bootstrap(self):
        d = self.dir
        for sub in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(d, sub), mode=0o700)
        user = getpass.getuser()
        group = grp.getgrgid(os.getgid()).gr_name
        self._manage('db_sync')
        self._manage('fernet_setup', '--keystone-user', user,
                     '--keystone-group', group)
        self._manage('credential_setup', '--keystone-user', user,
                     '--keystone-group', group)
        self._manage('bootstrap', '--bootstrap-password', ADMIN_PASSWORD,
                     '--bootstrap-admin-url', self.url,
                     '--bootstrap-public-url', self.url,
                     '--bootstrap-internal-url', self.url,
                     '--bootstrap-region-id', 'RegionOne')

    def _serve(self):
        d = self.dir
        # keystone.wsgi.api parses sys.argv at import: hide gunicorn's.
        with open(os.path.join(d, 'ks_wsgi.py'), 'w') as f:
            f.write('import sys\nsys.argv = sys.argv[:1]\n'
                    'from keystone.wsgi.api import application  # noqa\n')
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=self.conf)
        self._log = open(os.path.join(d, 'gunicorn.log'), 'wb')
        self.proc = subprocess.Popen(
            [self.python, '-m', 'gunicorn', '--chdir', d,
             '-b', '127.0.0.1:%d' % self.port, '-w', '1',
             '--threads', '8', '-k', 'gthread', 'ks_wsgi:application'],
            env=env, stdout=self._log, stderr=subprocess.STDOUT)
        _wait_http(self.url, self.proc)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self._log:
            self._log.close()

    # REST helpers

    def token(self, user, password, project):
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'domain': {'id': 'default'},
                'password': password}}},
            'scope': {'project': {'name': project,
                                  'domain': {'id': 'default'}}}}}
        r = requests.post(self.url + '/auth/tokens', json=body, timeout=30)
        r.raise_for_status()
        return r.headers['X-Subject-Token'], r.json()['token']

    def admin(self, method, path, token, **kw):
        r = requests.request(method, self.url + path, timeout=30,
                             headers={'X-Auth-Token': token}, **kw)
        if r.status_code >= 400:
            raise RuntimeError('%s %s: %s %s' % (method, path,
                                                 r.status_code, r.text))
        return r.json() if r.content else None

    def populate(self, mistral_url):
        tok, _ = self.token('admin', ADMIN_PASSWORD, 'admin')
        roles = {r['name']: r['id'] for r in
                 self.admin('GET', '/roles', tok)['roles']}
        for name in ('member', 'service'):
            if name not in roles:
                roles[name] = self.admin('POST', '/roles', tok, json={
                    'role': {'name': name}})['role']['id']
        ids = {}
        for project in ('service', 'alpha', 'beta'):
            ids[project] = self.admin('POST', '/projects', tok, json={
                'project': {'name': project, 'domain_id': 'default'}}
            )['project']['id']
        grants = [('mistral', SERVICE_PASSWORD, 'service',
                   ('admin', 'service')),
                  ('alice', PASSWORD, 'alpha', ('member',)),
                  ('bob', PASSWORD, 'beta', ('member',)),
                  ('carol', PASSWORD, 'beta', ('reader',))]
        for user, password, project, role_names in grants:
            uid = self.admin('POST', '/users', tok, json={'user': {
                'name': user, 'password': password,
                'domain_id': 'default',
                'default_project_id': ids[project]}})['user']['id']
            ids[user] = uid
            for role in role_names:
                self.admin('PUT', '/projects/%s/users/%s/roles/%s' % (
                    ids[project], uid, roles[role]), tok)
        service = self.admin('POST', '/services', tok, json={'service': {
            'name': 'mistral', 'type': 'workflowv2'}})['service']['id']
        for interface in ('public', 'internal', 'admin'):
            self.admin('POST', '/endpoints', tok, json={'endpoint': {
                'service_id': service, 'interface': interface,
                'url': mistral_url, 'region_id': 'RegionOne'}})
        admin_project = self.admin('GET', '/projects?name=admin', tok)[
            'projects'][0]['id']
        ids['admin'] = admin_project
        return ids

    def expired_token(self, user_id, project_id):
        """A genuine fernet token (our keys) that expired an hour ago."""
        script = textwrap.dedent('''\
            import base64, datetime, os, sys
            import keystone.conf
            from keystone.token import token_formatters as tf
            keystone.conf.configure()
            keystone.conf.CONF([], default_config_files=[sys.argv[1]],
                               project='keystone')
            expires = (datetime.datetime.utcnow() -
                       datetime.timedelta(hours=1)).strftime(
                '%Y-%m-%dT%H:%M:%S.000000Z')
            audit = base64.urlsafe_b64encode(os.urandom(16)).decode(
                ).rstrip('=')
            print(tf.TokenFormatter().create_token(
                sys.argv[2], expires, [audit], tf.ProjectScopedPayload,
                methods=['password'], project_id=sys.argv[3]))
            ''')
        r = subprocess.run([self.python, '-W', 'ignore', '-c', script,
                            self.conf, user_id,
                            project_id], capture_output=True, timeout=120)
        if r.returncode:
            raise RuntimeError(r.stderr.decode('utf-8', 'replace'))
        return r.stdout.decode().strip().splitlines()[-1]


# --- our server -----------------------------------------------------------

class Server:

    def __init__(self, tmp, keystone):
        self.dir = os.path.join(tmp, 'mistral')
        os.makedirs(self.dir)
        self.port = _free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.db = os.path.join(self.dir, 'mistral.sqlite')
        self.log = os.path.join(self.dir, 'server.log')
        self.conf = os.path.join(self.dir, 'mistral_clone.conf')
        self.keystone = keystone
        self.proc = None

    def write_conf(self):
        keystone = self.keystone
        with open(self.conf, 'w') as f:
            f.write(textwrap.dedent('''\
                [DEFAULT]
                debug = True
                log_file = %(log)s
                [api]
                host = 127.0.0.1
                port = %(port)d
                [database]
                connection = sqlite:///%(db)s
                [cron_trigger]
                execution_interval = 1
                [pecan]
                auth_enable = True
                [keystone_authtoken]
                www_authenticate_uri = %(ks)s
                auth_url = %(ks)s
                auth_type = password
                username = mistral
                password = %(pw)s
                project_name = service
                user_domain_name = Default
                project_domain_name = Default
                ''' % {'log': self.log, 'port': self.port, 'db': self.db,
                       'ks': keystone.url, 'pw': SERVICE_PASSWORD}))

    def start(self):
        self.proc = subprocess.Popen(
            [SERVER_CMD, '--config-file', self.conf], cwd=self.dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_http(self.url + '/', self.proc)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _phase(name, started):
    if os.environ.get('MC_KEYSTONE_TIMING'):
        sys.stderr.write('[keystone setup] %s: %.1fs\n'
                         % (name, time.monotonic() - started))
    return time.monotonic()


def setUpModule():
    t = time.monotonic()
    python = ensure_keystone_venv()
    t = _phase('venv', t)
    tmp = tempfile.mkdtemp(prefix='mc_keystone_')
    _env['tmp'] = tmp
    ks = Keystone(python, tmp)
    _env['keystone'] = ks
    try:
        server = Server(tmp, ks)
        _env['ids'] = ks.setup(server.url + '/v2')
        t = _phase('keystone', t)
        server.write_conf()
        _env['server'] = server
        server.start()
        _phase('server', t)
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    for name in ('server', 'keystone'):
        obj = _env.pop(name, None)
        if obj is not None:
            obj.stop()
    tmp = _env.pop('tmp', None)
    if tmp and not os.environ.get('MC_KEEP_TMP'):
        shutil.rmtree(tmp, ignore_errors=True)


WF = textwrap.dedent('''\
    ---
    version: '2.0'
    NAME:
      input:
        - who: world
      tasks:
        t1:
          action: std.echo output=<% $.who %>
          publish:
            out: <% task().result %>
    ''')

FAIL_WF = textwrap.dedent('''\
    ---
    version: '2.0'
    NAME:
      input:
        - password
      tasks:
        t1:
          action: std.fail
    ''')


def _wf(name, template=WF):
    return template.replace('NAME', name)


def _unique(prefix):
    return '%s_%s' % (prefix, uuid.uuid4().hex[:8])


class KeystoneTestCase(unittest.TestCase):
    _tokens = {}

    @classmethod
    def setUpClass(cls):
        cls.ks = _env['keystone']
        cls.server = _env['server']
        cls.ids = _env['ids']
        cls.v2 = cls.server.url + '/v2'

    # tokens & raw HTTP

    def token(self, user):
        if user not in self._tokens:
            password, project = {
                'admin': (ADMIN_PASSWORD, 'admin'),
                'alice': (PASSWORD, 'alpha'), 'bob': (PASSWORD, 'beta'),
                'carol': (PASSWORD, 'beta')}[user]
            self._tokens[user] = self.ks.token(user, password, project)[0]
        return self._tokens[user]

    def call(self, user, method, path, body=None, text=None, token=None,
             **kw):
        headers = {}
        tok = token or (self.token(user) if user else None)
        if tok:
            headers['X-Auth-Token'] = tok
        if text is not None:
            kw['data'] = text.encode('utf-8')
            headers['Content-Type'] = 'text/plain'
        elif body is not None:
            kw['json'] = body
        return requests.request(method, self.v2 + path, headers=headers,
                                timeout=30, allow_redirects=False, **kw)

    def ok(self, resp, status=200):
        self.assertEqual(status, resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def create_wf(self, user, name, scope=None, text=None):
        path = '/workflows' + ('?scope=%s' % scope if scope else '')
        return self.ok(self.call(user, 'POST', path,
                                 text=text or _wf(name)), 201)['workflows'][0]

    def wait_execution(self, user, ex_id, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            ex = self.ok(self.call(user, 'GET', '/executions/%s' % ex_id))
            if ex['state'] in ('SUCCESS', 'ERROR', 'CANCELLED') or \
                    time.monotonic() > deadline:
                return ex
            time.sleep(0.1)

    # the CLI

    def cli(self, user, *args, expect=0):
        password, project = {
            'admin': (ADMIN_PASSWORD, 'admin'),
            'alice': (PASSWORD, 'alpha'), 'bob': (PASSWORD, 'beta')}[user]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_USER_DOMAIN_NAME='Default',
                   OS_PROJECT_DOMAIN_NAME='Default',
                   OS_IDENTITY_API_VERSION='3')
        cmd = [MISTRAL_CLI, '--os-auth-url', self.ks.url,
               '--os-username', user, '--os-password', password,
               '--os-project-name', project] + list(args)
        r = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
        out = r.stdout.decode('utf-8', 'replace')
        err = r.stderr.decode('utf-8', 'replace')
        self.assertEqual(expect, r.returncode,
                         '%s\nstdout: %s\nstderr: %s' % (args, out, err))
        return out, err

    def cli_json(self, user, *args):
        out, _ = self.cli(user, *(list(args) + ['-f', 'json']))
        return json.loads(out)


class TestAuthentication(KeystoneTestCase):

    def test_version_documents_stay_public(self):
        r = requests.get(self.server.url + '/', timeout=10)
        self.assertEqual(200, r.status_code)
        self.assertEqual('v2.0', r.json()['versions'][0]['id'])
        r = requests.get(self.v2 + '/', timeout=10)
        self.assertEqual(200, r.status_code)
        self.assertEqual({'uri': self.v2}, r.json())

    def test_api_reference_is_public(self):
        r = requests.get(self.v2 + '/openapi.json', timeout=10)
        self.assertEqual(200, r.status_code)
        self.assertIn('keystone', r.json()['components']['securitySchemes'])
        for path in ('/docs', '/docs/swagger-ui.css'):
            self.assertEqual(200, requests.get(self.v2 + path,
                                               timeout=10).status_code)

    def test_missing_token_is_401(self):
        for path in ('/workflows', '/executions', '/actions',
                     '/environments', '/workflows/x/members'):
            r = self.call(None, 'GET', path)
            self.assertEqual(401, r.status_code, path)
            self.assertIn('faultstring', r.json())
            self.assertIn('Keystone uri=', r.headers.get(
                'WWW-Authenticate', ''))
        r = self.call(None, 'POST', '/workflows', text=_wf('nope'))
        self.assertEqual(401, r.status_code)
        self.assertRegex(r.headers.get('x-openstack-request-id', ''),
                         r'^req-[0-9a-f-]{36}$')

    def test_health_and_metrics_need_no_token(self):
        root = self.server.url
        r = requests.get(root + '/healthcheck', timeout=30)
        self.assertEqual(200, r.status_code, r.text)
        r = requests.get(root + '/metrics', timeout=30)
        self.assertEqual(200, r.status_code)
        self.assertIn('mistral_api_request_duration_seconds', r.text)

    def test_access_log_names_the_project(self):
        self.ok(self.call('alice', 'GET', '/workflows'))
        with open(self.server.log, encoding='utf-8', errors='replace') as f:
            lines = [line for line in f if '"GET /v2/workflows" status: 200'
                     in line]
        self.assertTrue(any(' %s %s ' % (self.ids['alice'],
                                         self.ids['alpha']) in line
                            for line in lines), lines[-3:])

    def test_forged_token_is_401(self):
        for forged in ('bogus', 'gAAAAAB' + 'x' * 180,
                       self.token('alice')[:-4] + 'AAAA'):
            r = self.call(None, 'GET', '/workflows', token=forged)
            self.assertEqual(401, r.status_code, forged)

    def test_expired_token_is_401(self):
        tok = self.ks.expired_token(self.ids['alice'], self.ids['alpha'])
        r = self.call(None, 'GET', '/workflows', token=tok)
        self.assertEqual(401, r.status_code, r.text)

    def test_revoked_token_is_401(self):
        tok, _ = self.ks.token('alice', PASSWORD, 'alpha')
        requests.delete(self.ks.url + '/auth/tokens', timeout=30, headers={
            'X-Auth-Token': tok, 'X-Subject-Token': tok}).raise_for_status()
        self.assertEqual(401, self.call(None, 'GET', '/workflows',
                                        token=tok).status_code)

    def test_cli_password_authentication_gets_through(self):
        name = _unique('cli_wf')
        path = os.path.join(_env['tmp'], name + '.yaml')
        with open(path, 'w') as f:
            f.write(_wf(name))
        created = self.cli_json('alice', 'workflow-create', path)
        self.assertEqual(name, created[0]['Name'])
        self.assertEqual(self.ids['alpha'], created[0]['Project ID'])
        names = [w['Name'] for w in self.cli_json('alice', 'workflow-list')]
        self.assertIn(name, names)
        ex = self.cli_json('alice', 'execution-create', name,
                           '{"who": "keystone"}')
        done = self.wait_execution('alice', ex['ID'])
        self.assertEqual('SUCCESS', done['state'], done['state_info'])
        self.assertEqual(self.ids['alpha'], done['project_id'])
        # bob's CLI does not see it
        names = [w['Name'] for w in self.cli_json('bob', 'workflow-list')]
        self.assertNotIn(name, names)
        _, err = self.cli('bob', 'workflow-get', name, expect=1)
        self.assertIn('Workflow not found', err)


class TestMultiTenancy(KeystoneTestCase):

    def test_resources_carry_the_project_and_stay_private(self):
        name = _unique('priv')
        wf = self.create_wf('alice', name)
        self.assertEqual(self.ids['alpha'], wf['project_id'])
        self.assertEqual('private', wf['scope'])
        # bob neither lists nor gets it, by name or id: 404, not 403
        listed = self.ok(self.call('bob', 'GET', '/workflows'))['workflows']
        self.assertNotIn(name, [w['name'] for w in listed])
        for ident in (name, wf['id']):
            r = self.call('bob', 'GET', '/workflows/%s' % ident)
            self.assertEqual(404, r.status_code)
            self.assertIn('Workflow not found', r.json()['faultstring'])
        self.assertEqual(404, self.call('bob', 'DELETE',
                                        '/workflows/%s' % wf['id'])
                         .status_code)
        # bob cannot run it either
        r = self.call('bob', 'POST', '/executions',
                      body={'workflow_id': wf['id']})
        self.assertEqual(404, r.status_code, r.text)
        # the same name is free in another project
        bobs = self.create_wf('bob', name)
        self.assertEqual(self.ids['beta'], bobs['project_id'])
        self.assertNotEqual(wf['id'], bobs['id'])

    def test_environments_are_private(self):
        name = _unique('env')
        env = self.ok(self.call('alice', 'POST', '/environments', body={
            'name': name, 'variables': {'a': 1}}), 201)
        self.assertEqual(self.ids['alpha'], env['project_id'])
        self.assertEqual(404, self.call('bob', 'GET', '/environments/%s'
                                        % name).status_code)
        listed = self.ok(self.call('bob', 'GET', '/environments'))
        self.assertNotIn(name, [e['name'] for e in listed['environments']])

    def test_executions_tasks_and_action_executions_are_private(self):
        name = _unique('run')
        self.create_wf('alice', name)
        ex = self.ok(self.call('alice', 'POST', '/executions', body={
            'workflow_name': name, 'input': {'who': 'a'}}), 201)
        self.assertEqual(self.ids['alpha'], ex['project_id'])
        done = self.wait_execution('alice', ex['id'])
        self.assertEqual('SUCCESS', done['state'], done['state_info'])
        tasks = self.ok(self.call('alice', 'GET', '/executions/%s/tasks'
                                  % ex['id']))['tasks']
        self.assertEqual(1, len(tasks))
        task = tasks[0]
        self.assertEqual(self.ids['alpha'], task['project_id'])
        aes = self.ok(self.call('alice', 'GET', '/tasks/%s/action_executions'
                                % task['id']))['action_executions']
        self.assertEqual(1, len(aes))
        for path in ('/executions/%s' % ex['id'], '/tasks/%s' % task['id'],
                     '/action_executions/%s' % aes[0]['id'],
                     '/executions/%s/tasks' % ex['id']):
            self.assertEqual(404, self.call('bob', 'GET', path).status_code,
                             path)
        for path, key in (('/executions', 'executions'), ('/tasks', 'tasks'),
                          ('/action_executions', 'action_executions')):
            ids = [i['id'] for i in self.ok(self.call('bob', 'GET',
                                                      path))[key]]
            self.assertNotIn(ex['id'], ids)
            self.assertNotIn(task['id'], ids)
        r = self.call('bob', 'PUT', '/executions/%s' % ex['id'],
                      body={'description': 'mine now'})
        self.assertEqual(404, r.status_code)
        r = self.call('bob', 'DELETE', '/executions/%s' % ex['id'])
        self.assertEqual(404, r.status_code)
        # re-POSTing someone else's execution id reveals nothing
        r = self.call('bob', 'POST', '/executions', body={
            'id': ex['id'], 'workflow_name': name})
        self.assertNotEqual(201, r.status_code)
        self.assertNotIn('"input"', r.text)

    def test_public_workflows_are_usable_not_modifiable(self):
        name = _unique('pub')
        # publicizing is admin-only by default policy
        r = self.call('alice', 'POST', '/workflows?scope=public',
                      text=_wf(name))
        self.assertEqual(403, r.status_code)
        self.assertEqual('Operation forbidden (insufficient permissions)',
                         r.json()['faultstring'])
        wf = self.create_wf('admin', name, scope='public')
        self.assertEqual('public', wf['scope'])
        self.assertEqual(self.ids['admin'], wf['project_id'])
        got = self.ok(self.call('bob', 'GET', '/workflows/%s' % wf['id']))
        self.assertEqual(name, got['name'])
        listed = self.ok(self.call('bob', 'GET', '/workflows'))['workflows']
        self.assertIn(wf['id'], [w['id'] for w in listed])
        ex = self.ok(self.call('bob', 'POST', '/executions', body={
            'workflow_id': wf['id']}), 201)
        self.assertEqual(self.ids['beta'], ex['project_id'])
        self.assertEqual('SUCCESS', self.wait_execution('bob', ex['id'])[
            'state'])
        # an admin is not scoped: bob's execution is in the admin's list
        ids = [e['id'] for e in self.ok(self.call(
            'admin', 'GET', '/executions'))['executions']]
        self.assertIn(ex['id'], ids)
        # not modifiable by others
        r = self.call('bob', 'PUT', '/workflows/%s' % wf['id'],
                      text=_wf(name))
        self.assertEqual(403, r.status_code, r.text)
        self.assertIn('Can not access WorkflowDefinition resource of other '
                      'projects', r.json()['faultstring'])
        r = self.call('bob', 'DELETE', '/workflows/%s' % wf['id'])
        self.assertEqual(403, r.status_code, r.text)
        self.ok(self.call('admin', 'GET', '/workflows/%s' % wf['id']))

    def test_public_workbooks_and_actions(self):
        action = _unique('act')
        text = "---\nversion: '2.0'\n%s:\n  base: std.echo\n" \
               "  base-input:\n    output: hi\n" % action
        self.ok(self.call('admin', 'POST', '/actions?scope=public',
                          text=text), 201)
        got = self.ok(self.call('bob', 'GET', '/actions/%s' % action))
        self.assertEqual('public', got['scope'])
        r = self.call('bob', 'DELETE', '/actions/%s' % action)
        self.assertEqual(403, r.status_code, r.text)
        wb = _unique('wb')
        wb_text = ("---\nversion: '2.0'\nname: %s\nworkflows:\n  w:\n"
                   "    tasks:\n      t:\n        action: std.noop\n" % wb)
        self.ok(self.call('alice', 'POST', '/workbooks', text=wb_text), 201)
        self.assertEqual(404, self.call('bob', 'GET', '/workbooks/%s' % wb)
                         .status_code)
        r = self.call('alice', 'POST', '/workbooks?scope=public',
                      text=wb_text.replace(wb, wb + 'p'))
        self.assertEqual(403, r.status_code)

    def test_admin_all_projects_and_project_filter(self):
        a = self.create_wf('alice', _unique('adm_a'))
        b = self.create_wf('bob', _unique('adm_b'))
        r = self.call('alice', 'GET', '/workflows?all_projects=true')
        self.assertEqual(403, r.status_code)
        self.assertEqual('Operation forbidden (insufficient permissions)',
                         r.json()['faultstring'])
        every = [w['id'] for w in self.ok(self.call(
            'admin', 'GET', '/workflows?all_projects=true'))['workflows']]
        self.assertIn(a['id'], every)
        self.assertIn(b['id'], every)
        only_beta = self.ok(self.call(
            'admin', 'GET', '/workflows?all_projects=true&project_id=%s'
            % self.ids['beta']))['workflows']
        self.assertIn(b['id'], [w['id'] for w in only_beta])
        self.assertEqual({self.ids['beta']},
                         {w['project_id'] for w in only_beta})
        # executions too
        ex = self.ok(self.call('alice', 'POST', '/executions', body={
            'workflow_id': a['id']}), 201)
        every = self.ok(self.call(
            'admin', 'GET', '/executions?all_projects=true&project_id=%s'
            % self.ids['alpha']))['executions']
        self.assertIn(ex['id'], [e['id'] for e in every])
        self.assertEqual(403, self.call(
            'bob', 'GET', '/executions?all_projects=true').status_code)
        # admin reaches an execution by id
        self.ok(self.call('admin', 'GET', '/executions/%s' % ex['id']))

    def test_admin_is_not_scoped(self):
        # Issue 12.4: with the admin role, lists and gets skip project
        # scoping (as on the reference); ?project_id=X narrows a list to X.
        a = self.create_wf('alice', _unique('scope_a'))
        b = self.create_wf('bob', _unique('scope_b'))
        listed = {w['id'] for w in self.ok(self.call(
            'admin', 'GET', '/workflows'))['workflows']}
        self.assertTrue({a['id'], b['id']} <= listed)
        alpha = self.ok(self.call('admin', 'GET', '/workflows?project_id=%s'
                                  % self.ids['alpha']))['workflows']
        self.assertIn(a['id'], [w['id'] for w in alpha])
        self.assertEqual({self.ids['alpha']},
                         {w['project_id'] for w in alpha})
        for ident in (a['id'], a['name']):
            got = self.ok(self.call('admin', 'GET', '/workflows/%s' % ident))
            self.assertEqual(a['id'], got['id'])
        # projects stay isolated from each other
        self.assertNotIn(b['id'], [w['id'] for w in self.ok(self.call(
            'alice', 'GET', '/workflows'))['workflows']])
        self.assertEqual(404, self.call(
            'alice', 'GET', '/workflows/%s' % b['id']).status_code)
        # executions: listed for the admin; naming a project in the filter
        # is listing across projects, admins only
        ex = self.ok(self.call('alice', 'POST', '/executions', body={
            'workflow_id': a['id']}), 201)
        self.assertIn(ex['id'], [e['id'] for e in self.ok(self.call(
            'admin', 'GET', '/executions?project_id=%s'
            % self.ids['alpha']))['executions']])
        r = self.call('alice', 'GET', '/executions?project_id=%s'
                      % self.ids['alpha'])
        self.assertEqual(403, r.status_code, r.text)
        # environments: listed for the admin, but fetched by name only
        # from the caller's own project (the reference's rule)
        env = _unique('scope_env')
        self.ok(self.call('alice', 'POST', '/environments',
                          body={'name': env, 'variables': {}}), 201)
        self.assertIn(env, [e['name'] for e in self.ok(self.call(
            'admin', 'GET', '/environments'))['environments']])
        self.assertEqual(404, self.call(
            'admin', 'GET', '/environments/%s' % env).status_code)
        for col in ('environments', 'workbooks'):
            r = self.call('admin', 'GET', '/%s?all_projects=true' % col)
            self.assertEqual(400, r.status_code, r.text)
            self.assertEqual('Unknown argument: "all_projects"',
                             r.json()['faultstring'])
        # a name several projects use: the admin's own row wins
        same = _unique('scope_same')
        self.create_wf('alice', same)
        mine = self.create_wf('admin', same)
        self.assertEqual(mine['id'], self.ok(self.call(
            'admin', 'GET', '/workflows/%s' % same))['id'])

    def test_cron_triggers_are_private_and_fire_as_their_project(self):
        name = _unique('cronwf')
        self.create_wf('alice', name)
        trig = _unique('cron')
        ct = self.ok(self.call('alice', 'POST', '/cron_triggers', body={
            'name': trig, 'workflow_name': name, 'pattern': '0 0 1 1 *',
            'workflow_input': {'who': 'cron'}}), 201)
        self.assertEqual(self.ids['alpha'], ct['project_id'])
        self.assertEqual(404, self.call('bob', 'GET', '/cron_triggers/%s'
                                        % trig).status_code)
        listed = self.ok(self.call('bob', 'GET', '/cron_triggers'))
        self.assertNotIn(trig, [c['name'] for c in listed['cron_triggers']])
        # Make it due now (the scheduler polls every second).
        with sqlite3.connect(self.server.db, timeout=30) as db:
            db.execute('UPDATE cron_triggers SET next_execution_time = ? '
                       'WHERE id = ?', (
                           (datetime.datetime.utcnow() -
                            datetime.timedelta(seconds=1)).strftime(
                               '%Y-%m-%d %H:%M:%S.%f'), ct['id']))
        deadline = time.monotonic() + 20
        mine = []
        while not mine and time.monotonic() < deadline:
            time.sleep(0.3)
            mine = [e for e in self.ok(self.call(
                'alice', 'GET', '/executions?workflow_name=%s' % name))[
                'executions']]
        self.assertTrue(mine, 'the cron trigger did not fire')
        self.assertEqual(self.ids['alpha'], mine[0]['project_id'])
        self.assertIn(ct['id'], mine[0]['description'])
        done = self.wait_execution('alice', mine[0]['id'])
        self.assertEqual('SUCCESS', done['state'], done['state_info'])
        theirs = [e['id'] for e in self.ok(self.call(
            'bob', 'GET', '/executions'))['executions']]
        self.assertNotIn(mine[0]['id'], theirs)


class TestMembers(KeystoneTestCase):

    def test_share_accept_run_reject(self):
        name = _unique('shared')
        wf = self.create_wf('alice', name)
        wid = wf['id']
        beta = self.ids['beta']
        m = self.ok(self.call('alice', 'POST', '/workflows/%s/members' % wid,
                              body={'member_id': beta}), 201)
        self.assertEqual({'id', 'resource_id', 'resource_type', 'project_id',
                          'member_id', 'status', 'created_at',
                          'updated_at'}, set(m))
        self.assertEqual((wid, 'workflow', self.ids['alpha'], beta,
                          'pending'),
                         (m['resource_id'], m['resource_type'],
                          m['project_id'], m['member_id'], m['status']))
        # duplicate share
        r = self.call('alice', 'POST', '/workflows/%s/members' % wid,
                      body={'member_id': beta})
        self.assertEqual(409, r.status_code)
        # pending: still invisible to bob
        self.assertEqual(404, self.call('bob', 'GET', '/workflows/%s' % wid)
                         .status_code)
        # bob sees his membership, and accepts it with the CLI (-m is
        # needed: with --os-project-name the client does not know its
        # project id and would ask for .../members/None).
        got = self.cli_json('bob', 'member-get', wid, 'workflow', '-m', beta)
        self.assertEqual('pending', got['Status'])
        self.assertEqual(self.ids['alpha'], got['Resource Owner'])
        upd = self.cli_json('bob', 'member-update', wid, 'workflow',
                            '-m', beta, '-s', 'accepted')
        self.assertEqual('accepted', upd['Status'])
        # now bob sees and runs it; the execution is bob's
        got = self.ok(self.call('bob', 'GET', '/workflows/%s' % wid))
        self.assertEqual(self.ids['alpha'], got['project_id'])
        listed = [w['id'] for w in self.ok(self.call(
            'bob', 'GET', '/workflows'))['workflows']]
        self.assertIn(wid, listed)
        ex = self.cli_json('bob', 'execution-create', wid)
        done = self.wait_execution('bob', ex['ID'])
        self.assertEqual('SUCCESS', done['state'], done['state_info'])
        self.assertEqual(beta, done['project_id'])
        self.assertEqual(404, self.call('alice', 'GET', '/executions/%s'
                                        % ex['ID']).status_code)
        # ... and uses it as a sub-workflow of one of his own
        parent = _unique('uses_shared')
        self.create_wf('bob', parent, text=(
            "---\nversion: '2.0'\n%s:\n  tasks:\n    call:\n"
            "      workflow: %s\n" % (parent, name)))
        started = self.ok(self.call('bob', 'POST', '/executions',
                                    body={'workflow_name': parent}), 201)
        done = self.wait_execution('bob', started['id'])
        self.assertEqual('SUCCESS', done['state'], done['state_info'])
        # but cannot change it
        r = self.call('bob', 'PUT', '/workflows/%s' % wid, text=_wf(name))
        self.assertEqual(403, r.status_code)
        # the owner lists every member; bob only can update his own status
        members = self.cli_json('alice', 'member-list', wid, 'workflow')
        self.assertEqual([beta], [x['Member ID'] for x in members])
        r = self.call('alice', 'PUT', '/workflows/%s/members/%s'
                      % (wid, beta), body={'status': 'rejected'})
        self.assertEqual(404, r.status_code)
        # rejected: gone again
        self.ok(self.call('bob', 'PUT', '/workflows/%s/members/%s'
                          % (wid, beta), body={'status': 'rejected'}))
        self.assertEqual(404, self.call('bob', 'GET', '/workflows/%s' % wid)
                         .status_code)
        r = self.call('bob', 'POST', '/executions',
                      body={'workflow_id': wid})
        self.assertEqual(404, r.status_code)
        # only the owner removes a member
        self.assertEqual(404, self.call(
            'bob', 'DELETE', '/workflows/%s/members/%s' % (wid, beta))
            .status_code)
        out, _ = self.cli('alice', 'member-delete', wid, 'workflow', beta)
        self.assertIn('has been accepted', out)
        self.assertEqual([], self.ok(self.call(
            'alice', 'GET', '/workflows/%s/members' % wid))['members'])

    def test_only_the_owner_shares_private_workflows(self):
        wf = self.create_wf('alice', _unique('noshare'))
        r = self.call('bob', 'POST', '/workflows/%s/members' % wf['id'],
                      body={'member_id': self.ids['beta']})
        self.assertEqual(404, r.status_code)
        # JSON controllers, as on the reference (WSME faults, XML too).
        self.assertEqual({'faultcode', 'faultstring', 'debuginfo'},
                         set(r.json()))
        r = self.call('alice', 'POST', '/workflows/%s/members' % wf['id'],
                      body={})
        self.assertEqual(400, r.status_code)
        self.assertEqual('Member id must be provided.',
                         r.json()['faultstring'])
        r = requests.get(self.v2 + '/workflows/%s/members' % wf['id'],
                         headers={'X-Auth-Token': self.token('alice'),
                                  'Accept': 'application/xml'}, timeout=30)
        self.assertEqual('<result><members /></result>', r.text)
        pub = self.create_wf('admin', _unique('pubshare'), scope='public')
        r = self.call('admin', 'POST', '/workflows/%s/members' % pub['id'],
                      body={'member_id': self.ids['beta']})
        self.assertEqual(400, r.status_code)
        self.assertIn('Only private resource', r.json()['faultstring'])


class TestSecrets(KeystoneTestCase):

    def test_tokens_and_passwords_stay_out_of_logs_and_state(self):
        name = _unique('secret')
        self.create_wf('alice', name, text=_wf(name, FAIL_WF))
        secret = 'hunter2-%s' % uuid.uuid4().hex
        token = self.token('alice')
        ex = self.ok(self.call('alice', 'POST', '/executions', body={
            'workflow_name': name, 'input': {'password': secret},
            'params': {'env': {'auth_token': secret}}}), 201)
        done = self.wait_execution('alice', ex['id'])
        self.assertEqual('ERROR', done['state'])
        for field in ('state_info', 'params', 'output'):
            self.assertNotIn(token, done[field] or '', field)
        tasks = self.ok(self.call('alice', 'GET', '/executions/%s/tasks'
                                  % ex['id']))['tasks']
        for task in tasks:
            self.assertNotIn(token, task['state_info'] or '')
            self.assertNotIn(token, task['runtime_context'] or '')
        # The server logs at DEBUG (request bodies included): no secrets.
        with open(self.server.log, encoding='utf-8', errors='replace') as f:
            log = f.read()
        self.assertIn('POST /v2/executions', log)
        self.assertNotIn(secret, log)
        self.assertNotIn(token, log)
        self.assertNotIn(SERVICE_PASSWORD, log)


class TestPolicy(KeystoneTestCase):

    def test_policy_file_overrides_defaults(self):
        policy_file = os.path.join(self.server.dir, 'policy.yaml')
        try:
            with open(policy_file, 'w') as f:
                f.write('"environments:create": "role:admin"\n'
                        '"workflows:publicize": "rule:admin_or_owner"\n')
            # Decisions are memoised for a second (mistral_clone.policy).
            time.sleep(1.2)
            r = self.call('alice', 'POST', '/environments', body={
                'name': _unique('penv')})
            self.assertEqual(403, r.status_code, r.text)
            self.assertEqual({'faultcode': 'Client', 'faultstring':
                              'Operation forbidden (insufficient '
                              'permissions)', 'debuginfo': None}, r.json())
            wf = self.create_wf('alice', _unique('ownpub'), scope='public')
            self.assertEqual('public', wf['scope'])
        finally:
            os.unlink(policy_file)
        time.sleep(1.2)
        self.ok(self.call('alice', 'POST', '/environments', body={
            'name': _unique('penv')}), 201)

    def test_code_sources_admin_only(self):
        r = self.call('alice', 'GET', '/code_sources')
        self.assertEqual(403, r.status_code)
        self.assertNotEqual(403, self.call('admin', 'GET', '/code_sources')
                            .status_code)


if __name__ == '__main__':
    unittest.main()
