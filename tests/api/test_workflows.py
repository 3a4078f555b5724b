"""/v2/workflows: CRUD, errors, and the shared list helper."""

import hashlib
import json

from tests.api import base
from tests.api.base import unique, wf_text

ALL = ('id, name, namespace, input, interface, definition, checksum, tags, '
       'scope, project_id, created_at, updated_at')


class WorkflowCrudTest(base.ApiTestCase):

    def test_create_get_update_delete(self):
        name = unique('wf')
        text = wf_text(name, extra='  tags: [a, b]\n  input:\n    - x\n'
                                   '    - y: 5\n  output:\n    r: 1\n')
        r = self.post_text('/workflows', text)
        self.assertEqual('application/json;charset=utf-8',
                         r.headers['Content-Type'])
        wf = self.assertStatus(r, 201)['workflows'][0]
        self.assertNotIn('updated_at', wf)
        self.assertEqual('x, y="5"', wf['input'])
        self.assertEqual({'input': ['x', {'y': 5}], 'output': ['r']},
                         wf['interface'])
        self.assertEqual(hashlib.md5(text.encode()).hexdigest(),
                         wf['checksum'])
        self.assertEqual('<default-project>', wf['project_id'])
        got = self.assertStatus(self.get('/workflows/%s' % name), 200)
        self.assertIsNone(got['updated_at'])
        self.assertEqual(wf['interface'], json.loads(got['interface']))
        self.assertEqual(['a', 'b'], got['tags'])
        self.assertEqual(got, self.get('/workflows/%s' % wf['id']).json())
        text2 = wf_text(name, extra='  description: d\n')
        upd = self.assertStatus(self.put_text('/workflows', text2), 200)
        self.assertEqual(wf['id'], upd['workflows'][0]['id'])
        self.assertIsNotNone(upd['workflows'][0]['updated_at'])
        one = self.assertStatus(self.put_text('/workflows/%s' % wf['id'],
                                              text2), 200)
        self.assertEqual(text2, one['definition'])
        self.assertEqual(204, self.delete('/workflows/%s' % name)
                         .status_code)
        self.assertFault(
            self.delete('/workflows/%s' % name), 404,
            'Workflow not found [workflow_identifier=%s, namespace=]' % name)

    def test_multi_workflow_document_uses_fragments(self):
        a, b = unique('a'), unique('b')
        text = wf_text(a) + wf_text(b).replace("---\nversion: '2.0'\n", '')
        wfs = self.assertStatus(self.post_text('/workflows', text),
                                201)['workflows']
        self.assertEqual([a, b], [w['name'] for w in wfs])
        self.assertNotEqual(text, wfs[0]['definition'])
        self.assertFault(self.put_text('/workflows/%s' % a, text), 400,
                         wsme=False, contains='More than one workflows')

    def test_duplicate_409_and_nothing_written(self):
        name, _ = self.mk_wf()
        self.assertFault(
            self.post_text('/workflows', wf_text(name)), 409,
            "Duplicate entry for WorkflowDefinition ['name', 'namespace', "
            "'project_id']: %s, , None" % name, wsme=False)
        fresh = unique('fresh')
        text = wf_text(fresh) + wf_text(name).replace(
            "---\nversion: '2.0'\n", '')
        self.assertStatus(self.post_text('/workflows', text), 409)
        self.assertStatus(self.get('/workflows/%s' % fresh), 404)

    def test_invalid_yaml_and_validate(self):
        bad = "version: '2.0'\nfoo: [unclosed"
        body = self.assertFault(self.post_text('/workflows', bad), 400,
                                wsme=False)
        self.assertTrue(body['faultstring'].startswith(
            'Definition could not be parsed: '))
        r = self.post_text('/workflows/validate', bad)
        self.assertEqual({'valid': False, 'error': body['faultstring']},
                         self.assertStatus(r, 200))
        self.assertEqual({'valid': True}, self.post_text(
            '/workflows/validate', wf_text(unique('v'))).json())

    def test_scope(self):
        name = unique('wf')
        self.assertFault(self.post_text('/workflows?scope=public',
                                        wf_text(name)), 403, wsme=False)
        self.assertFault(self.post_text('/workflows?scope=bogus',
                                        wf_text(name)), 400, wsme=False,
                         contains='Scope must be one of the following')
        self.assertStatus(self.get('/workflows/%s' % name), 404)

    def test_namespaces(self):
        name = unique('ns')
        self.mk_wf(name, namespace='ns1')
        self.mk_wf(name)
        got = self.get('/workflows?name=%s&fields=namespace' % name).json()
        self.assertEqual(['', 'ns1'], sorted(w['namespace']
                                             for w in got['workflows']))
        got = self.get('/workflows?name=%s&namespace=' % name).json()
        self.assertEqual([''], [w['namespace'] for w in got['workflows']])
        self.assertStatus(self.get('/workflows/%s?namespace=ns1' % name),
                          200)
        self.assertStatus(self.delete('/workflows/%s?namespace=ns1' % name),
                          204)

    def test_delete_with_triggers_400(self):
        name, wf = self.mk_wf()
        ct = self.assertStatus(self.post_json('/cron_triggers', {
            'name': unique('ct'), 'workflow_name': name,
            'pattern': '0 0 1 1 *'}), 201)
        self.assertFault(
            self.delete('/workflows/%s' % name), 400,
            "Can't delete workflow that has cron triggers associated. "
            "[workflow_identifier=%s, namespace=], [cron_trigger_id(s)=%s]"
            % (name, ct['id']))
        self.assertStatus(self.delete('/cron_triggers/%s' % ct['id']), 204)
        et = self.assertStatus(self.post_json('/event_triggers', {
            'name': 'e', 'workflow_id': wf['id'], 'exchange': 'x',
            'topic': 't', 'event': unique('ev')}), 201)
        self.assertFault(self.delete('/workflows/%s' % name), 400,
                         contains='has event triggers associated')
        self.delete('/event_triggers/%s' % et['id'])
        self.assertStatus(self.delete('/workflows/%s' % name), 204)


class ListHelperTest(base.ApiTestCase):
    """Pagination, sorting, projection and filters (WIRE.md §6)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base_name = unique('pg')
        cls.names = [cls.base_name + s for s in ('_a', '_b', '_c')]
        for n in cls.names:
            cls.http.post(cls.url + '/workflows', data=wf_text(
                n, extra='  tags: [t%s]\n' % n[-1]))

    def test_pages_and_next_link(self):
        q = '/workflows?limit=2&sort_keys=name&fields=name&name=has:%s' % (
            self.base_name)
        body = self.assertStatus(self.get(q), 200)
        self.assertEqual(self.names[:2],
                         [w['name'] for w in body['workflows']])
        self.assertEqual(
            '%s/workflows?sort_keys=name,id&sort_dirs=asc,asc&name=has:%s&'
            'limit=2&marker=%s&fields=id,name' % (
                self.url, self.base_name, body['workflows'][-1]['id']),
            body['next'])
        body2 = self.assertStatus(self.get(body['next']), 200)
        self.assertEqual(self.names[2:],
                         [w['name'] for w in body2['workflows']])
        self.assertNotIn('next', body2)

    def test_sort_desc_and_filters(self):
        body = self.get('/workflows?sort_keys=name&sort_dirs=desc&'
                        'name=has:%s&fields=name' % self.base_name).json()
        self.assertEqual(self.names[::-1],
                         [w['name'] for w in body['workflows']])
        body = self.get('/workflows?name=in:%s,%s' % (
            self.names[0], self.names[2])).json()
        self.assertEqual(2, len(body['workflows']))
        body = self.get('/workflows?tags=tb&name=has:%s' %
                        self.base_name).json()
        self.assertEqual([self.names[1]],
                         [w['name'] for w in body['workflows']])
        body = self.get('/workflows?created_at=gte:2000-01-01&name=has:%s'
                        % self.base_name).json()
        self.assertEqual(3, len(body['workflows']))

    def test_repeated_sort_keys_count_once(self):
        q = ('/workflows?limit=1&fields=name&name=has:%s&'
             'sort_keys=name,id,name&sort_dirs=desc,asc' % self.base_name)
        body = self.assertStatus(self.get(q), 200)
        self.assertEqual([self.names[-1]],
                         [w['name'] for w in body['workflows']])
        self.assertIn('sort_keys=name,id&sort_dirs=desc,asc&', body['next'])
        self.assertFault(
            self.get('/actions?limit=1&sort_keys=id,id&sort_dirs=asc,asc'),
            400, 'Length of sort_keys must be equal or greater than '
                 'sort_dirs.')

    def test_fields_projection(self):
        body = self.get('/workflows?fields=name&name=%s' %
                        self.names[0]).json()
        self.assertEqual(['id', 'name'], list(body['workflows'][0]))

    def test_bad_params(self):
        cases = [
            ('limit=0', 'Limit must be positive.'),
            ('limit=-3', 'Limit must be positive.'),
            ('limit=abc', "Invalid input for field/attribute limit. Value: "
                          "'abc'. unable to convert to int. Error: invalid "
                          "literal for int() with base 10: 'abc'"),
            ('sort_dirs=up', "Unknown sort direction, must be 'desc' or "
                             "'asc'."),
            ('sort_keys=name&sort_dirs=asc,asc',
             'Length of sort_keys must be equal or greater than sort_dirs.'),
            ('sort_keys=bogus', 'Sort key supplied is invalid: bogus'),
            # A repeated key counts once: two directions for one key.
            ('limit=1&sort_keys=id,id&sort_dirs=asc,asc',
             'Length of sort_keys must be equal or greater than sort_dirs.'),
            ('sort_keys=name,name&sort_dirs=asc,up',
             'Length of sort_keys must be equal or greater than sort_dirs.'),
            ('sort_keys=bogus&sort_dirs=up',
             "Unknown sort direction, must be 'desc' or 'asc'."),
            ('marker=abc', "Invalid input for field/attribute marker. Value:"
                           " 'abc'. unable to convert to uuid. Error: "
                           "Expected a uuid but received abc."),
            ('fields=bogus', 'Some fields do not exist  [bogus], please '
                             'choose from [%s]' % ALL),
            ('bogus=1', 'Unknown argument: "bogus"'),
            ('created_at=gt:notadate', None),
        ]
        for query, msg in cases:
            with self.subTest(query=query):
                self.assertFault(self.get('/workflows?' + query), 400, msg)
        self.assertFault(
            self.get('/workflows?marker=11111111-1111-1111-1111-111111111111'),
            404, 'Workflow not found '
                 '[workflow_id=11111111-1111-1111-1111-111111111111]')
        self.assertFault(self.get('/workflows?all_projects=true'), 403,
                         'Operation forbidden (insufficient permissions)')

    def test_full_page_has_next_without_limit_only_at_max(self):
        body = self.get('/workflows?name=has:%s' % self.base_name).json()
        self.assertEqual({'workflows'}, set(body))


class WorkflowClientTest(base.ApiTestCase):

    def test_pyclient_round_trip(self):
        c = self.client()
        name = unique('py')
        wfs = c.workflows.create(wf_text(name, extra='  input: [p]\n'))
        self.assertEqual({'input': ['p'], 'output': []}, wfs[0].interface)
        self.assertEqual(wfs[0].id, c.workflows.get(name).id)
        self.assertIn(name, [w.name for w in c.workflows.list()])
        c.workflows.delete(name)
        from mistralclient.api.base import APIException
        with self.assertRaises(APIException) as cm:
            c.workflows.get(name)
        self.assertEqual(404, cm.exception.error_code)

    def test_cli(self):
        name, wf = self.mk_wf(extra='  input: [x]\n')
        out = json.loads(self.cli('workflow-list', '--filter',
                                  'name=%s' % name, '-f', 'json').stdout)
        self.assertEqual('x', out[0]['Input'])
        p = self.cli('workflow-get', unique('nope'), rc=1)
        self.assertIn('Workflow not found', p.stderr)
