"""Root documents and generic HTTP behaviour (WIRE.md §1)."""

import socket

from tests.api import base


class RootTest(base.ApiTestCase):

    def test_versions_document(self):
        r = self.get(self.root + '/')
        self.assertEqual('application/json', r.headers['Content-Type'])
        self.assertEqual('mistral_api', r.headers['Server'])
        self.assertEqual({'versions': [{'id': 'v2.0', 'status': 'CURRENT',
                                        'links': [{'href': self.url,
                                                   'target': 'v2',
                                                   'rel': 'self'}]}]},
                         r.json())
        self.assertEqual(200, self.req('POST', self.root + '/').status_code)

    def test_v2_redirect_and_document(self):
        r = self.get(self.root + '/v2')
        self.assertEqual(302, r.status_code)
        self.assertEqual(self.url + '/', r.headers['Location'])
        self.assertEqual({'uri': self.url}, self.get(self.url + '/').json())

    def test_maintenance_and_info(self):
        self.assertEqual({'status': 'RUNNING'},
                         self.get(self.root + '/maintenance').json())
        self.assertFault(self.get(self.root + '/info'), 400,
                         'Info endpoint disabled.', wsme=False)

    def test_unknown_path_is_html_404(self):
        r = self.get('/bogus')
        self.assertEqual(404, r.status_code)
        self.assertTrue(r.headers['Content-Type'].startswith('text/html'))
        self.assertEqual(str(len(r.content)), r.headers['Content-Length'])

    def test_wrong_method_405_with_allow(self):
        r = self.req('PATCH', '/workflows/x')
        self.assertEqual(405, r.status_code)
        self.assertEqual('DELETE, GET, POST, PUT', r.headers['Allow'])
        r = self.get('/workflows/validate')
        self.assertEqual(405, r.status_code)
        self.assertEqual('POST', r.headers['Allow'])

    def test_delete_without_id(self):
        self.assertFault(self.delete('/workflows'), 400,
                         'Missing argument: "identifier"')

    def test_204_has_no_body_nor_content_type(self):
        name, _ = self.mk_wf()
        r = self.delete('/workflows/%s' % name)
        self.assertEqual(204, r.status_code)
        self.assertEqual(b'', r.content)
        self.assertNotIn('Content-Type', r.headers)
        self.assertEqual('mistral_api', r.headers['Server'])

    def test_services_list(self):
        self.assertEqual({'services': []},
                         self.assertStatus(self.get('/services'), 200))

    def test_admin_only_resources_403(self):
        forbidden = 'Operation forbidden (insufficient permissions)'
        for path in ('/code_sources', '/code_sources/x', '/dynamic_actions',
                     '/dynamic_actions/x'):
            self.assertFault(self.get(path), 403, forbidden)
            self.assertFault(self.delete(path + '/y'), 403, forbidden)
        # Issue 12.13: code sources are written as text, so a refused write
        # answers the text controllers' fault.
        for method, path in (('POST', '/code_sources?name=m'),
                             ('POST', '/code_sources/m'),
                             ('PUT', '/code_sources/m')):
            with self.subTest(method=method, path=path):
                r = self.req(method, path, data=b'x = 1',
                             headers={'Content-Type': 'text/plain'})
                self.assertFault(r, 403, forbidden, wsme=False)
        self.assertFault(self.post_json('/dynamic_actions', {
            'name': 'a', 'class_name': 'C'}), 403, forbidden)
        # Arguments are judged before the policy, as on the reference.
        for path in ('/code_sources', '/dynamic_actions'):
            self.assertFault(self.get(path + '?bogus=1'), 400,
                             'Unknown argument: "bogus"')
            self.assertFault(self.delete(path), 400,
                             'Missing argument: "identifier"')
        self.assertFault(self.post_json('/dynamic_actions', {'bogus': 1}),
                         400, 'Unknown attribute for argument dyn_action: '
                              'bogus')
        self.assertFault(self.post_json('/dynamic_actions', {
            'project_id': 'p'}), 400, "Invalid input for field/attribute "
                                      "project_id. Value: 'p'. Cannot set "
                                      "read only field.")

    def test_members_need_auth(self):
        # Without auth: the reference's text fault, before the arguments
        # are looked at (behind Keystone they are JSON controllers).
        for method, path in (('GET', '/workflows/x/members'),
                             ('GET', '/workflows/x/members?bogus=1'),
                             ('GET', '/workflows/x/members/y'),
                             ('POST', '/workflows/x/members'),
                             ('DELETE', '/workflows/x/members/y')):
            with self.subTest(method=method, path=path):
                r = self.req(method, path)
                self.assertFault(
                    r, 400, 'Resource sharing feature can only be supported '
                            'with authentication enabled.', wsme=False)
                self.assertEqual('application/json',
                                 r.headers['Content-Type'])

    def test_oversized_body_413(self):
        body = b'a' * (10 * 1024 * 1024 + 10)
        r = self.req('POST', '/workflows', data=body)
        self.assertEqual(413, r.status_code)
        self.assertIn('Request is too large', r.json()['faultstring'])

    def test_binary_garbage_400(self):
        r = self.req('POST', '/workflows', data=bytes(range(256)) * 4)
        self.assertFault(r, 400, wsme=False, contains='not valid UTF-8')

    def test_keep_alive(self):
        host, port = self.root.split('//')[1].split(':')
        with socket.create_connection((host, int(port)), timeout=5) as s:
            for _ in range(3):
                s.sendall(b'GET /maintenance HTTP/1.1\r\nHost: x\r\n\r\n')
                data = b''
                while b'RUNNING"}' not in data:
                    chunk = s.recv(4096)
                    self.assertTrue(chunk, 'connection closed early')
                    data += chunk
                self.assertIn(b'HTTP/1.1 200', data)
