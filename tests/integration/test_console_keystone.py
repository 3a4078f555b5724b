"""The web console behind a real Keystone (issue 17).

Reuses the Keystone of test_keystone.py (same venv and template), with
``[cors] allowed_origin`` set to the server's origin so the page may call
Keystone's /v3/auth/tokens itself. A headless Chromium signs in with a
user/password (and with a pasted token) and sees exactly what the API lets
that project see; every /v2 call it makes carries X-Auth-Token.
"""

import os
import shutil
import tempfile
import time
import unittest

from selenium.webdriver.common.by import By

from tests.console import browser as console_browser
from tests.integration import test_keystone as ks

_env = {}


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


def setUpModule():
    console_browser.ensure_chromium()
    python = ks.ensure_keystone_venv()
    tmp = tempfile.mkdtemp(prefix='mc_console_ks_')
    _env['tmp'] = tmp
    keystone = CorsKeystone(python, tmp)
    _env['keystone'] = keystone
    try:
        server = ks.Server(tmp, keystone)
        keystone.allowed_origin = server.url
        _env['ids'] = keystone.setup(server.url + '/v2')
        server.write_conf()
        _env['server'] = server
        server.start()
        _env['browser'] = console_browser.Browser()
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    for name in ('browser',):
        obj = _env.pop(name, None)
        if obj is not None:
            obj.quit()
    for name in ('server', 'keystone'):
        obj = _env.pop(name, None)
        if obj is not None:
            obj.stop()
    tmp = _env.pop('tmp', None)
    if tmp and not os.environ.get('MC_KEEP_TMP'):
        shutil.rmtree(tmp, ignore_errors=True)


class TestConsoleKeystone(ks.KeystoneTestCase):

    @classmethod
    def setUpClass(cls):
        cls.ks = _env['keystone']
        cls.server = _env['server']
        cls.ids = _env['ids']
        cls.v2 = cls.server.url + '/v2'
        cls.browser = _env['browser']
        cls.driver = cls.browser.driver

    def setUp(self):
        super().setUp()
        # Each test starts signed out, with a fresh request log.
        self.driver.get(self.server.url + '/ui/')
        self.driver.execute_script('sessionStorage.clear(); localStorage.clear();')
        self.browser.sent_requests()

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def wait_until(self, check, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except Exception:
                pass
            time.sleep(0.1)
        self.fail('%s: not seen within %ss\npage: %s' % (
            what, timeout, self.driver.execute_script('return document.body.innerText')[:1500]))

    def api_calls(self):
        return [(m, u, h) for m, u, h in self.browser.sent_requests()
                if u.startswith(self.v2)]

    def test_password_sign_in_sees_its_project_only(self):
        mine = ks._unique('console_alice')
        theirs = ks._unique('console_bob')
        self.create_wf('alice', mine)
        self.create_wf('bob', theirs)

        self.driver.get(self.server.url + '/ui/workflows')
        self.wait_until(lambda: self.find('form#login'), 'the sign-in form')
        # Keystone's address comes from the API's 401.
        self.assertEqual(self.ks.url, self.find('form#login input[name=keystone]').get_attribute('value'))
        for name, value in (('user', 'alice'), ('password', ks.PASSWORD), ('project', 'alpha')):
            self.find('form#login input[name=%s]' % name).send_keys(value)
        self.find('form#login button[type=submit]').click()

        self.wait_until(lambda: mine in self.find('table.workflows').text, "alice's workflow")
        self.assertNotIn(theirs, self.find('table.workflows').text)
        token = self.driver.execute_script("return sessionStorage.getItem('mistral_clone.console.token')")
        self.assertTrue(token)
        calls = self.api_calls()
        # Before signing in: one call without a token (answered 401);
        # after: every call carries the Keystone token.
        self.assertNotIn('X-Auth-Token', calls[0][2])
        signed = [c for c in calls[1:]]
        self.assertTrue(signed)
        for method, url, headers in signed:
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

        self.driver.get(self.server.url + '/ui/executions/%s' % ex['id'])
        self.wait_until(lambda: self.find('form#login'), 'the sign-in form')
        self.find('form#login button[data-mode=token]').click()
        self.find('form#login textarea[name=token]').send_keys(self.token('bob'))
        self.find('form#login button[type=submit]').click()

        self.wait_until(lambda: self.driver.execute_script(
            "const n = document.querySelector('.node[data-task=t1]'); return n && n.dataset.state"
        ) == 'SUCCESS', 'the task t1 shown SUCCESS')
        self.assertIn('"out": "console"', self.find('.side').text + self.driver.execute_script(
            "return document.querySelector('.side').textContent"))
        for method, url, headers in self.api_calls()[1:]:
            self.assertEqual(self.token('bob'), headers.get('X-Auth-Token'), url)

        # Another project's token does not see it: the API's 404, shown.
        self.driver.execute_script("sessionStorage.setItem('mistral_clone.console.token', arguments[0])",
                                   self.token('alice'))
        self.driver.refresh()
        self.wait_until(lambda: 'not found' in self.find('.error-box').text.lower(),
                        "the execution hidden from alice's project")
