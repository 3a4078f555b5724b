"""The console with Keystone authentication on (no Keystone needed here:
the API's own 401 drives the page; tests/integration/test_console_keystone.py
signs in against a real Keystone)."""

import requests

from keystonemiddleware import opts as ksm_opts
from oslo_config import cfg

from mistral_clone import config
from tests.console import base

KEYSTONE = 'http://keystone.example.test:5000/v3'


def _register_auth_token_opts():
    # [keystone_authtoken] is registered by keystonemiddleware when the app
    # is built; the override below needs it now.
    for group, options in ksm_opts.list_auth_token_opts():
        for opt in options:
            try:
                config.CONF.register_opt(opt, group=group)
            except cfg.DuplicateOptError:
                pass


class TestConsoleWithAuth(base.ConsoleTestCase):

    server_overrides = {('pecan', 'auth_enable'): True,
                        ('keystone_authtoken', 'www_authenticate_uri'): KEYSTONE}

    @classmethod
    def setUpClass(cls):
        _register_auth_token_opts()
        super().setUpClass()

    def test_console_is_public_while_the_api_asks_for_a_token(self):
        r = requests.get(self.v2 + '/executions', timeout=30)
        self.assertEqual(401, r.status_code)
        for path in ('/ui/', '/ui/executions/1234', '/ui/js/main.js', '/ui/css/console.css'):
            r = requests.get(self.root + path, timeout=30)
            self.assertEqual(200, r.status_code, path)

    def test_page_asks_for_credentials_with_keystone_from_the_401(self):
        self.open('executions')
        self.wait_until(lambda: self.find_all('form#login'), 'the sign-in form')
        self.assertShows('form#login', 'Sign in', 'Authentication required: no X-Auth-Token was sent.')
        self.assertEqual(KEYSTONE, self.find('form#login input[name=keystone]').get_attribute('value'))
        # Both ways to sign in are offered.
        self.find('form#login button[data-mode=token]').click()
        self.assertTrue(self.find('form#login textarea[name=token]').is_displayed())
        self.assertFalse(self.find('form#login input[name=password]').is_displayed())
        # A password sign-in against an unreachable Keystone says what is wrong.
        self.find('form#login button[data-mode=password]').click()
        self.find('form#login input[name=keystone]').clear()
        self.find('form#login input[name=keystone]').send_keys('http://127.0.0.1:9/v3')
        for name, value in (('user', 'alice'), ('password', 'secret'), ('project', 'alpha')):
            self.find('form#login input[name=%s]' % name).send_keys(value)
        self.find('form#login button[type=submit]').click()
        self.wait_until(lambda: 'cannot be reached' in self.find('form#login .login-error').text,
                        'the sign-in error')
        self.assertShows('form#login .login-error', 'http://127.0.0.1:9/v3/auth/tokens',
                         '[cors] allowed_origin')
        self.assertIsNone(self.js("return sessionStorage.getItem('mistral_clone.console.token')"))
