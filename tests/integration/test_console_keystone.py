"""The web console behind a real Keystone (issue 17).

Reuses the Keystone of test_keystone.py (same venv and template), with
``[cors] allowed_origin`` set to the server's origin so the page may call
Keystone's /v3/auth/tokens itself. A headless Chromium signs in with a
user/password (and with a pasted token) and sees exactly what the API lets
that project see; every /v2 call it makes carries X-Auth-Token.
"""

import os
import tempfile

from tests.console import base as console_base
from tests.console import browser as console_browser
from tests.integration import test_keystone as ks


class CorsKeystone(ks.Keystone):
    """Keystone that lets the console's origin read its answers."""

    allowed_origin = None

    def _write_conf(self):
        super()._write_conf()
        with open(self.conf, 'a') as f:
            f.write('[cors]\nallowed_origin = %s\n' % self.allowed_origin)

    def _serve(self):
        # Keystone's CORS middleware reads its own configuration (the
        # standard keystone.conf search path, not the file given to the
        # WSGI app), so the test passes the option the other way oslo.config
        # reads: the environment.
        os.environ['OS_CORS__ALLOWED_ORIGIN'] = self.allowed_origin
        try:
            super()._serve()
        finally:
            del os.environ['OS_CORS__ALLOWED_ORIGIN']


# Keystone and the server live in test_keystone's module state (its
# KeystoneTestCase and tearDownModule use them); the browser lives here.
_browser = []


def setUpModule():
    console_browser.ensure_chromium()
    python = ks.ensure_keystone_venv()
    env = ks._env
    env['tmp'] = tempfile.mkdtemp(prefix='mc_console_ks_')
    keystone = env['keystone'] = CorsKeystone(python, env['tmp'])
    try:
        server = ks.Server(env['tmp'], keystone)
        keystone.allowed_origin = server.url
        env['ids'] = keystone.setup(server.url + '/v2')
        server.write_conf()
        env['server'] = server
        server.start()
        _browser.append(console_browser.Browser())
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    try:
        while _browser:
            _browser.pop().quit()
    finally:
        ks.tearDownModule()


class TestConsoleKeystone(console_base.PageHelpers, ks.KeystoneTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._tokens = {}  # this Keystone's tokens only
        cls.root = cls.server.url
        cls.browser = _browser[0]
        cls.driver = cls.browser.driver

    def setUp(self):
        super().setUp()
        # Each test starts signed out, with a fresh request log.
        self.open('')
        self.js('sessionStorage.clear(); localStorage.clear();')
        self.browser.sent_requests()

    def api_calls(self):
        return [(m, u, h) for m, u, h in self.browser.sent_requests()
                if u.startswith(self.v2)]

    def test_password_sign_in_sees_its_project_only(self):
        mine = ks._unique('console_alice')
        theirs = ks._unique('console_bob')
        self.create_wf('alice', mine)
        self.create_wf('bob', theirs)

        self.open('workflows')
        self.wait_until(lambda: self.find('form#login'), 'the sign-in form')
        # Keystone's address comes from the API's 401.
        self.assertEqual(self.ks.url, self.find('form#login input[name=keystone]').get_attribute('value'))
        for name, value in (('user', 'alice'), ('password', ks.PASSWORD), ('project', 'alpha')):
            self.find('form#login input[name=%s]' % name).send_keys(value)
        self.find('form#login button[type=submit]').click()

        self.wait_until(lambda: mine in self.find('table.workflows').text, "alice's workflow")
        self.assertNotIn(theirs, self.find('table.workflows').text)
        token = self.js("return sessionStorage.getItem('mistral_clone.console.token')")
        self.assertTrue(token)
        calls = self.api_calls()
        # Before signing in: one call without a token (answered 401);
        # after: every call carries the Keystone token.
        self.assertNotIn('X-Auth-Token', calls[0][2])
        self.assertGreater(len(calls), 1)
        for method, url, headers in calls[1:]:
            self.assertEqual(token, headers.get('X-Auth-Token'), url)
        # The token is alice's: the API says so.
        r = self.call(None, 'GET', '/workflows', token=token)
        self.assertIn(mine, [w['name'] for w in self.ok(r)['workflows']])

        self.find('#sign-out').click()
        self.wait_until(lambda: self.find('form#login'), 'signed out')

    def test_pasted_token_opens_an_execution(self):
        name = ks._unique('console_run')
        self.create_wf('bob', name)
        ex = self.ok(self.call('bob', 'POST', '/executions',
                               body={'workflow_name': name, 'input': {'who': 'console'}}), 201)
        self.assertEqual('SUCCESS', self.wait_execution('bob', ex['id'])['state'])

        self.open('executions/%s' % ex['id'])
        self.wait_until(lambda: self.find('form#login'), 'the sign-in form')
        self.find('form#login button[data-mode=token]').click()
        self.find('form#login textarea[name=token]').send_keys(self.token('bob'))
        self.find('form#login button[type=submit]').click()

        self.wait_states({'t1': 'SUCCESS'})
        self.assertShows('.side', '"out": "console"')
        for method, url, headers in self.api_calls()[1:]:
            self.assertEqual(self.token('bob'), headers.get('X-Auth-Token'), url)

        # Another project's token does not see it: the API's 404, shown.
        self.js("sessionStorage.setItem('mistral_clone.console.token', arguments[0])",
                self.token('alice'))
        self.driver.refresh()
        self.wait_until(lambda: 'not found' in self.find('.error-box').text.lower(),
                        "the execution hidden from alice's project")
