"""XML answers (``Accept: application/xml`` / ``text/xml``), rendered by
WSME's rules as on the reference (issue 12.14), through a real embedded
server."""

import unittest
import xml.etree.ElementTree as et

from mistral_clone.api import xml_render
from tests.api import test_executions

XML = {'Accept': 'application/xml'}


class RenderRulesTest(unittest.TestCase):
    """WSME's rules applied to JSON-ready data."""

    def test_rules(self):
        data = {'name': 'a<b', 'count': 3, 'ok': True, 'off': False,
                'missing': None, 'empty': '', 'tags': ['x', 'y'],
                'none_yet': [], 'nested': {'inner': 1.5}}
        self.assertEqual(
            b'<result><name>a&lt;b</name><count>3</count><ok>true</ok>'
            b'<off>false</off><missing nil="true" /><empty />'
            b'<tags><item>x</item><item>y</item></tags><none_yet />'
            b'<nested><inner>1.5</inner></nested></result>',
            xml_render.encode_result(data))
        self.assertEqual(
            b'<error><faultcode>Client</faultcode><faultstring>nope'
            b'</faultstring><debuginfo /></error>',
            xml_render.encode_error({'faultcode': 'Client',
                                     'faultstring': 'nope',
                                     'debuginfo': None}))

    def test_xml_media_types(self):
        for ct in ('text/xml', 'application/xml', 'Application/XML',
                   'application/atom+xml', 'image/svg+xml; charset=utf-8'):
            self.assertTrue(xml_render.is_xml_media_type(ct), ct)
        for ct in ('application/json', 'text/plain', 'xml', 'text/xmlfoo',
                   'application/xml-dtd', None, ''):
            self.assertFalse(xml_render.is_xml_media_type(ct), ct)


class XmlApiTest(test_executions.ExecutionTestCase):

    def get(self, path, accept='application/xml'):
        return self.req('GET', path, headers={'Accept': accept})

    def assertXml(self, r, status=200, content_type='application/xml'):
        self.assertEqual(status, r.status_code, r.text)
        self.assertEqual(content_type + '; charset=UTF-8',
                         r.headers['Content-Type'])
        return et.fromstring(r.content)

    def test_root_documents(self):
        root = self.server.url[:-len('/v2')]
        r = self.get('/')  # /v2/
        self.assertXml(r)
        self.assertEqual(
            '<result><uri>%s</uri></result>' % self.server.url, r.text)
        r = self.server.http.get(root + '/', headers=XML)
        self.assertEqual(
            '<result><versions><item><id>v2.0</id><status>CURRENT</status>'
            '<links><item><href>%s</href><target>v2</target><rel>self</rel>'
            '</item></links></item></versions></result>' % self.server.url,
            r.text)
        self.assertXml(self.get('/', 'text/xml'), content_type='text/xml')

    def test_resources_and_faults(self):
        self.server.create_workflows(
            "---\nversion: '2.0'\nxml_wf:\n  tags: [a, b]\n  tasks:\n"
            "    t1:\n      action: std.noop\n")
        doc = self.assertXml(self.get('/workflows/xml_wf'))
        self.assertEqual('result', doc.tag)
        self.assertEqual(['id', 'name', 'namespace', 'input', 'interface',
                          'definition', 'checksum', 'tags', 'scope',
                          'project_id', 'created_at', 'updated_at'],
                         [c.tag for c in doc])
        self.assertEqual(['a', 'b'], [i.text for i in doc.find('tags')])
        self.assertEqual('true', doc.find('updated_at').get('nil'))
        self.assertIsNone(doc.find('namespace').text)
        self.assertIsNone(doc.find('namespace').get('nil'))
        listed = self.assertXml(self.get('/workflows?limit=1&fields=name'))
        [item] = listed.find('workflows')
        self.assertEqual(['id', 'name'], [c.tag for c in item])
        self.assertIn('&limit=1&', listed.find('next').text)
        fault = self.assertXml(self.get('/workflows/nope'), 404)
        self.assertEqual(['faultcode', 'faultstring', 'debuginfo'],
                         [c.tag for c in fault])
        self.assertEqual('error', fault.tag)
        self.assertEqual('Workflow not found [workflow_identifier=nope, '
                         'namespace=]', fault.find('faultstring').text)
        # Argument errors too, and writes.
        self.assertEqual('Limit must be positive.', self.assertXml(
            self.get('/workflows?limit=0'), 400).find('faultstring').text)
        r = self.req('POST', '/action_executions', headers=XML,
                     json={'name': 'std.echo', 'input': {'output': 'x'}})
        ae = self.assertXml(r, 201)
        self.assertEqual('SUCCESS', ae.find('state').text)
        self.assertEqual('{"result": "x"}', ae.find('output').text)

    def test_report(self):
        self.server.create_workflows(
            "---\nversion: '2.0'\nxml_rep:\n  tasks:\n    t1:\n"
            "      action: std.noop\n")
        ex = self.server.wait(self.server.start('xml_rep')['id'])
        doc = self.assertXml(self.get('/executions/%s/report' % ex['id']))
        self.assertEqual('1', doc.find('statistics/total_tasks_count').text)
        [task] = doc.find('root_workflow_execution/task_executions')
        self.assertEqual(['action_executions', 'workflow_executions', 'id',
                          'name', 'created_at', 'updated_at', 'state',
                          'state_info'], [c.tag for c in task])
        [action] = task.find('action_executions')
        self.assertEqual('true', action.find('accepted').text)

    def test_negotiation(self):
        cases = [('*/*', 'application/json'),
                 ('application/json', 'application/json'),
                 ('text/xml', 'text/xml; charset=UTF-8'),
                 ('application/json, text/xml', 'text/xml; charset=UTF-8'),
                 ('application/*', 'application/xml; charset=UTF-8'),
                 ('text/html,application/xhtml+xml,application/xml;q=0.9,'
                  '*/*;q=0.8', 'application/xml; charset=UTF-8')]
        for accept, content_type in cases:
            with self.subTest(accept=accept):
                r = self.get('/workflows?limit=1', accept)
                self.assertEqual(200, r.status_code, r.text)
                self.assertEqual(content_type, r.headers['Content-Type'])
        self.assertEqual(406, self.get('/workflows', 'text/html').status_code)
        # Text controllers and /maintenance answer JSON only.
        r = self.req('POST', '/workflows/validate', data=b'x: 1',
                     headers={'Accept': 'application/xml',
                              'Content-Type': 'text/plain'})
        self.assertEqual(406, r.status_code)
        root = self.server.url[:-len('/v2')]
        self.assertEqual(406, self.server.http.get(
            root + '/maintenance', headers=XML).status_code)

    def test_xml_request_bodies_are_refused(self):
        r = self.req('POST', '/environments', data=b'<env><name>e</name></env>',
                     headers={'Content-Type': 'text/xml',
                              'Accept': 'application/json'})
        self.assertEqual(415, r.status_code)
        self.assertEqual({'code': 415, 'title': 'Unsupported Media Type',
                          'description': 'XML request bodies are not '
                                         'supported.'}, r.json())
        self.assertEqual(404, self.req('GET', '/environments/e').status_code)
        # Routing comes first.
        r = self.req('GET', '/bogus', headers={'Content-Type': 'text/xml'})
        self.assertEqual(404, r.status_code)
