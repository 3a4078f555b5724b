"""TLS on the API server ([api] enable_ssl_api, [ssl] cert_file/key_file),
with a self-signed certificate made by openssl for 127.0.0.1."""

import os
import shutil
import subprocess
import tempfile
import unittest

import requests

from tests import base


def make_certificate(directory):
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
         '-keyout', key, '-out', cert, '-days', '2', '-subj',
         '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=60)
    return cert, key


@unittest.skipUnless(shutil.which('openssl'), 'openssl is not installed')
class TlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='mc_tls_')
        cls.cert, key = make_certificate(cls.tmp)
        cls.server = base.EmbeddedServer(overrides={
            ('api', 'enable_ssl_api'): True,
            ('ssl', 'cert_file'): cls.cert,
            ('ssl', 'key_file'): key})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_https_only(self):
        url = self.server.url
        self.assertTrue(url.startswith('https://127.0.0.1:'), url)
        for name in ('tls_a', 'tls_b'):
            r = requests.post(url + '/workflows', verify=self.cert,
                              headers={'Content-Type': 'text/plain'},
                              data="---\nversion: '2.0'\n%s:\n  tasks:\n"
                                   "    t:\n      action: std.noop\n" % name)
            self.assertEqual(201, r.status_code, r.text)
        r = requests.get(url + '/workflows?limit=1', verify=self.cert)
        self.assertEqual(200, r.status_code)
        # Links the API builds say https.
        self.assertTrue(r.json()['next'].startswith(url + '/workflows?'))
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(url + '/workflows', timeout=10)  # untrusted
        plain = url.replace('https://', 'http://')
        try:
            r = requests.get(plain + '/workflows', timeout=10)
        except requests.RequestException:
            return
        self.assertNotEqual(200, r.status_code)
