"""GET /v2/openapi.json and /v2/docs: a valid document of every served
operation, public, and true to what the server actually answers."""

import json
import re
from xml.etree import ElementTree

import openapi_spec_validator
import requests
import schemathesis

from mistral_clone.api import app as app_module
from mistral_clone.api.controllers.v2 import root
from mistral_clone.api.openapi import document
from mistral_clone.api.openapi import operations
from tests import base as embedded
from tests.api import base
from tests.api.base import unique


def _doc(url):
    r = requests.get(url + '/openapi.json')
    assert r.status_code == 200, r.text
    assert r.headers['Content-Type'] == 'application/json'
    return r.json()


class DocumentTest(base.ApiTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.doc = _doc(cls.url)

    def test_valid_openapi_31(self):
        self.assertEqual('3.1.0', self.doc['openapi'])
        openapi_spec_validator.validate(self.doc)
        self.assertEqual([{'url': self.url}], self.doc['servers'])

    def test_every_served_operation_is_documented(self):
        self.assertEqual((set(), set()), document.undeclared(root.V2Controller))
        routes = document.served_routes(root.V2Controller)
        self.assertGreater(len(routes), 60)
        for route in routes:
            self.assertIn(route.method, self.doc['paths'][route.path],
                          route)
        for path in ('/workflows', '/workbooks', '/actions', '/executions',
                     '/executions/{workflow_execution_id}/report', '/tasks',
                     '/action_executions', '/cron_triggers',
                     '/event_triggers', '/environments', '/services',
                     '/workflows/{resource_id}/members', '/code_sources',
                     '/dynamic_actions', '/workflows/validate',
                     '/openapi.json', '/docs'):
            self.assertIn(path, self.doc['paths'])
        ids = [op['operationId'] for item in self.doc['paths'].values()
               for op in item.values()]
        self.assertEqual(len(ids), len(set(ids)))

    def test_a_new_handler_cannot_go_undocumented(self):
        key = ('/environments', 'post')
        op = operations.OPERATIONS.pop(key)
        try:
            self.assertEqual(({key}, set()), document.undeclared(root.V2Controller))
            document._base_document.cache_clear()
            self.assertRaises(LookupError, document.document,
                              root.V2Controller)
        finally:
            operations.OPERATIONS[key] = op
            document._base_document.cache_clear()

    def _op(self, path, method):
        return self.doc['paths'][path][method]

    def _params(self, path, method):
        return {p['name']: p for p in self._op(path, method)['parameters']}

    def test_query_parameters_from_handler_signatures(self):
        params = self._params('/executions', 'get')
        self.assertEqual({'type': 'string', 'format': 'uuid'},
                         params['marker']['schema'])
        self.assertEqual('integer', params['limit']['schema']['type'])
        self.assertEqual('created_at', params['sort_keys']['schema'][
            'default'])
        for name in ('sort_dirs', 'fields', 'workflow_name', 'state',
                     'include_output', 'all_projects', 'nulls'):
            self.assertIn(name, params)
        self.assertIn('gte', params['state']['description'])
        self.assertIn('published_global', params['fields']['description'])
        self.assertEqual('boolean', params['all_projects']['schema']['type'])
        # Actions page by name, not by uuid.
        self.assertEqual({'type': 'string'},
                         self._params('/actions', 'get')['marker']['schema'])
        path = self._params('/executions/{id}', 'delete')
        self.assertTrue(path['id']['required'])
        self.assertEqual('path', path['id']['in'])
        self.assertEqual('query', path['force']['in'])
        # YAML-bodied handlers read these from the request.
        self.assertEqual({'namespace', 'scope', 'skip_validation'},
                         set(self._params('/workflows', 'post')))

    def test_request_bodies(self):
        body = self._op('/environments', 'post')['requestBody']['content'][
            'application/json']['schema']
        self.assertEqual(['name'], body['required'])
        self.assertEqual(200, body['properties']['name']['maxLength'])
        self.assertFalse(body['additionalProperties'])
        self.assertEqual({'type': 'object'},
                         body['properties']['variables']['anyOf'][0])
        exe = self._op('/executions', 'post')['requestBody']['content'][
            'application/json']['schema']['properties']
        self.assertEqual(255, exe['description']['maxLength'])
        self.assertEqual(['string', 'null'], exe['id']['type'])
        cron = self._op('/cron_triggers', 'post')['requestBody']['content'][
            'application/json']['schema']['properties']
        self.assertEqual(1, cron['remaining_executions']['minimum'])
        yaml = self._op('/workflows', 'post')['requestBody']['content']
        self.assertEqual({'text/plain'}, set(yaml))
        self.assertIn("version: '2.0'", yaml['text/plain']['example'])

    def test_responses_from_resource_tables(self):
        schemas = self.doc['components']['schemas']
        ex = schemas['Execution']['properties']
        # JSON values as JSON text, as Mistral sends them.
        self.assertEqual('string', ex['input']['type'])
        self.assertEqual('application/json', ex['input']['contentMediaType'])
        self.assertIn('pattern', ex['created_at'])
        self.assertEqual(['string', 'null'], ex['updated_at']['type'])
        self.assertFalse(schemas['Execution']['additionalProperties'])
        self.assertEqual({'object', 'null'},
                         set(schemas['WorkflowWritten']['properties'][
                             'interface']['type']))
        ok = self._op('/executions', 'get')['responses']['200']['content'][
            'application/json']['schema']
        self.assertEqual('#/components/schemas/Execution',
                         ok['properties']['executions']['items']['$ref'])
        self.assertIn('next', ok['properties'])
        self.assertEqual({'faultcode', 'faultstring', 'debuginfo'},
                         set(schemas['Fault']['required']))
        responses = self._op('/executions/{id}', 'get')['responses']
        self.assertEqual({'200', '400', '401', '403', '404'}, set(responses))
        self.assertEqual('#/components/responses/Fault404',
                         responses['404']['$ref'])
        self.assertEqual('#/components/responses/TextFault400',
                         self._op('/workflows', 'post')['responses']['400'][
                             '$ref'])
        self.assertIn('204', self._op('/executions/{id}', 'delete')[
            'responses'])

    def test_uuid_parameters(self):
        """uuid-typed arguments: a uuid string (or, for list filters, a
        uuid after an operator), anything else documented as a 400."""
        for path, name in (('/executions/{id}/executions', 'id'),
                           ('/executions/{workflow_execution_id}/report',
                            'workflow_execution_id'),
                           ('/executions/{workflow_execution_id}/tasks',
                            'workflow_execution_id'),
                           ('/tasks/{id}/executions', 'id'),
                           ('/event_triggers/{id}', 'id')):
            param = self._params(path, 'get')[name]
            self.assertEqual('path', param['in'])
            self.assertEqual({'type': 'string', 'format': 'uuid'},
                             param['schema'])
            self.assertEqual('#/components/responses/Fault400',
                             self._op(path, 'get')['responses']['400'][
                                 '$ref'])
        self.assertNotIn('fields',
                         self._params('/executions/{id}/executions', 'get'))
        uuid = '6e5c6e2a-52a1-4a3b-9d8c-5d5f2a2a2a2a'
        for path, name in (('/workflows', 'project_id'),
                           ('/executions', 'root_execution_id'),
                           ('/tasks', 'workflow_execution_id'),
                           ('/cron_triggers', 'workflow_id'),
                           ('/action_executions', 'task_execution_id')):
            pattern = re.compile(self._params(path, 'get')[name]['schema'][
                'pattern'])
            for good in (uuid, 'neq:' + uuid, 'eq:' + uuid.upper()):
                self.assertTrue(pattern.match(good), (path, good))
            for bad in ('in:' + uuid, 'abc', 'neq:abc', uuid + 'x', ''):
                self.assertFalse(pattern.match(bad), (path, bad))

    def test_xml_where_the_handler_offers_it(self):
        ok = self._op('/executions', 'get')['responses']['200']['content']
        self.assertEqual(['application/json', 'application/xml',
                          'text/xml'], list(ok))
        xml = ok['application/xml']['schema']
        self.assertEqual({'name': 'result'}, xml['xml'])
        listed = xml['properties']['executions']
        self.assertEqual({'wrapped': True}, listed['xml'])
        self.assertEqual({'name': 'item'}, listed['items']['xml'])
        # JSON stays free of XML hints; root document too.
        self.assertNotIn('xml', ok['application/json']['schema'])
        self.assertIn('text/xml', self._op('/', 'get')['responses']['200'][
            'content'])
        # Text controllers answer JSON only (406 for an XML-only Accept).
        for path, method in (('/workflows', 'post'), ('/openapi.json', 'get'),
                             ('/workbooks', 'put')):
            self.assertEqual({'application/json'}, set(self._op(
                path, method)['responses']['2%s' % (
                    '01' if method == 'post' else '00')]['content']))
        responses = self.doc['components']['responses']
        self.assertEqual({'name': 'error'}, responses['Fault404'][
            'content']['application/xml']['schema']['xml'])
        self.assertEqual({'application/json'},
                         set(responses['TextFault404']['content']))
        self.assertEqual({'application/json'},
                         set(responses['Fault401']['content']))
        report = self.doc['components']['schemas']['ReportWorkflow']
        self.assertEqual({'name': 'item'}, report['properties'][
            'task_executions']['items']['xml'])

    def test_admin_only_collections(self):
        for tag in ('code_sources', 'dynamic_actions'):
            for path, method in (('/' + tag, 'get'), ('/' + tag, 'post'),
                                 ('/' + tag, 'put'),
                                 ('/%s/{identifier}' % tag, 'get'),
                                 ('/%s/{identifier}' % tag, 'delete')):
                codes = set(self._op(path, method)['responses'])
                self.assertLessEqual({'400', '401', '403', '501'}, codes)
                self.assertFalse({'200', '201', '204'} & codes)
        params = self._params('/dynamic_actions', 'get')
        self.assertEqual({'type': 'string', 'format': 'uuid'},
                         params['marker']['schema'])
        self.assertIn('all_projects', params)
        # Code sources are written as text, their faults are text faults.
        post = self._op('/code_sources', 'post')
        self.assertEqual({'text/plain'}, set(post['requestBody']['content']))
        self.assertEqual('#/components/responses/TextFault403',
                         post['responses']['403']['$ref'])
        body = self._op('/dynamic_actions', 'put')['requestBody'][
            'content']['application/json']['schema']
        self.assertEqual('null', body['properties']['project_id']['type'])
        self.assertIn(None, body['properties']['scope']['enum'])
        self.assertEqual('#/components/responses/Fault403', self._op(
            '/dynamic_actions', 'put')['responses']['403']['$ref'])

    def test_members_are_json_controllers(self):
        path = '/workflows/{resource_id}/members'
        body = self._op(path, 'post')['requestBody']['content'][
            'application/json']['schema']
        self.assertEqual(['member_id'], body['required'])
        self.assertIn('resource_type', body['properties'])
        put = self._op(path + '/{member_id}', 'put')['requestBody'][
            'content']['application/json']['schema']
        self.assertEqual(['status'], put['required'])
        self.assertEqual(['accepted', 'pending', 'rejected'],
                         put['properties']['status']['enum'])
        self.assertIn('201', self._op(path, 'post')['responses'])
        self.assertIn('204', self._op(path + '/{member_id}', 'delete')[
            'responses'])
        self.assertEqual('#/components/responses/SharingFault400',
                         self._op(path, 'get')['responses']['400']['$ref'])

    def test_action_execution_output_is_an_object(self):
        body = self._op('/action_executions/{id}', 'put')['requestBody'][
            'content']['application/json']['schema']
        output = body['properties']['output']['anyOf']
        self.assertEqual({'type': 'object'}, output[0])
        self.assertEqual({'type': ['object', 'null']},
                         output[1]['contentSchema'])

    def test_large_assets_are_not_kept_in_memory(self):
        from mistral_clone.api.controllers.v2 import openapi as docs
        docs._read_small.cache_clear()
        bundle = docs._read('swagger-ui-bundle.js')
        self.assertGreater(len(bundle), docs.KEEP_BYTES)
        self.assertEqual(bundle, docs._read('swagger-ui-bundle.js'))
        self.assertEqual(0, docs._read_small.cache_info().currsize)
        self.assertEqual(docs._read('init.js'), docs._read('init.js'))
        self.assertEqual(1, docs._read_small.cache_info().currsize)

    def test_docs_page_ships_swagger_ui(self):
        r = requests.get(self.url + '/docs')
        self.assertEqual(200, r.status_code)
        self.assertTrue(r.headers['Content-Type'].startswith('text/html'))
        self.assertIn('data-spec-url="/v2/openapi.json"', r.text)
        self.assertNotIn('http', r.text.split('<noscript>')[0].replace(
            'charset', ''))  # nothing fetched from elsewhere
        for asset, kind in (('swagger-ui-bundle.js', 'application/javascript'),
                            ('swagger-ui.css', 'text/css'),
                            ('init.js', 'application/javascript')):
            a = requests.get(self.url + '/docs/' + asset)
            self.assertEqual(200, a.status_code, asset)
            self.assertTrue(a.headers['Content-Type'].startswith(kind))
            self.assertIn('/v2/docs/' + asset, r.text)
        self.assertIn('SwaggerUIBundle', requests.get(
            self.url + '/docs/swagger-ui-bundle.js').text[:100000])
        self.assertEqual(404, requests.get(
            self.url + '/docs/..%2F..%2Fsetup.cfg').status_code)
        self.assertEqual(404, requests.get(
            self.url + '/docs/index.html').status_code)

    def test_public_when_keystone_is_on(self):
        seen = []

        def app(environ, start_response):
            seen.append(environ['PATH_INFO'])
            start_response('200 OK', [])
            return [b'']
        gate = app_module.AuthGate(app)
        for path, status in (('/v2/openapi.json', '200'),
                             ('/v2/docs', '200'),
                             ('/v2/docs/swagger-ui.css', '200'),
                             ('/v2/workflows', '401'),
                             ('/v2/docsx', '401')):
            got = []
            gate({'PATH_INFO': path}, lambda s, h, got=got: got.append(s))
            self.assertTrue(got[0].startswith(status), (path, got))


class RealResponsesTest(embedded.ServerTestCase):
    """Every operation's real answers (success and errors) validate against
    the document: what the fuzzer cannot reach with random ids."""

    # Its own process: the other API tests share this one's database.
    server_class = embedded.ServerProcess

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.v2 = cls.server.url
        cls.schema = schemathesis.openapi.from_dict(_doc(cls.v2))
        cls.http = cls.server.http
        cls.checked = set()

    def check(self, method, path, template, status, **kw):
        r = self.http.request(method, self.v2 + path, **kw)
        self.assertEqual(status, r.status_code, (method, path, r.text[:300]))
        self.schema[template][method.upper()].validate_response(r)
        self.checked.add((template, method))
        is_json = r.headers.get('Content-Type', '').startswith(
            'application/json')
        return r.json() if r.content and is_json else None

    def test_responses_match(self):
        wf = unique('oa_wf')
        sub = unique('oa_sub')
        text = ("---\nversion: '2.0'\n%s:\n  input:\n    - n: 2\n  tasks:\n"
                "    each:\n      with-items: i in <%% range($.n) %%>\n"
                "      action: std.echo output=<%% $.i %%>\n"
                "      publish:\n        out: <%% task().result %%>\n"
                "      on-success: [call]\n"
                "    call:\n      workflow: %s\n"
                "%s:\n  tasks:\n    t:\n      action: std.noop\n"
                % (wf, sub, sub))
        yaml = {'headers': {'Content-Type': 'text/plain'}}
        self.check('POST', '/workflows', '/workflows', 201, data=text,
                   **yaml)
        self.check('GET', '/workflows', '/workflows', 200)
        self.check('GET', '/workflows?fields=name,input', '/workflows', 200)
        self.check('GET', '/workflows/' + wf, '/workflows/{identifier}', 200)
        self.check('PUT', '/workflows', '/workflows', 200, data=text, **yaml)
        self.check('POST', '/workflows/validate', '/workflows/validate',
                   200, data='bogus: [', **yaml)
        self.check('GET', '/workflows/nope', '/workflows/{identifier}', 404)
        self.check('GET', '/workflows/%s/members' % wf,
                   '/workflows/{resource_id}/members', 400)

        ex = self.check('POST', '/executions', '/executions', 201,
                        json={'workflow_name': wf})
        self.server.wait(ex['id'])
        self.check('GET', '/executions/' + ex['id'], '/executions/{id}', 200)
        self.check('GET', '/executions?include_output=1', '/executions', 200)
        self.check('GET', '/executions/%s/executions' % ex['id'],
                   '/executions/{id}/executions', 200)
        self.check('GET', '/executions/%s/report' % ex['id'],
                   '/executions/{workflow_execution_id}/report', 200)
        tasks = self.check('GET', '/executions/%s/tasks' % ex['id'],
                           '/executions/{workflow_execution_id}/tasks',
                           200)['tasks']
        each = [t for t in tasks if t['name'] == 'each'][0]
        call = [t for t in tasks if t['name'] == 'call'][0]
        self.check('GET', '/tasks', '/tasks', 200)
        self.check('GET', '/tasks/' + each['id'], '/tasks/{id}', 200)
        self.check('PUT', '/tasks/' + each['id'], '/tasks/{id}', 400,
                   json={'state': 'RUNNING', 'reset': True})
        aes = self.check('GET', '/tasks/%s/action_executions' % each['id'],
                         '/tasks/{task_execution_id}/action_executions',
                         200)['action_executions']
        self.check('GET', '/tasks/%s/action_executions/%s' % (
            each['id'], aes[0]['id']),
            '/tasks/{task_execution_id}/action_executions/{action_ex_id}',
            200)
        self.check('GET', '/tasks/%s/executions' % call['id'],
                   '/tasks/{id}/executions', 200)
        self.check('GET', '/tasks/%s/workflow_executions' % call['id'],
                   '/tasks/{task_execution_id}/workflow_executions', 200)
        self.check('GET', '/action_executions', '/action_executions', 200)
        self.check('GET', '/action_executions/' + aes[0]['id'],
                   '/action_executions/{id}', 200)
        self.check('PUT', '/executions/' + ex['id'], '/executions/{id}',
                   200, json={'description': 'done'})
        self.check('DELETE', '/action_executions/' + aes[0]['id'],
                   '/action_executions/{id}', 403)

        run = self.check('POST', '/action_executions', '/action_executions',
                         201, json={'name': 'std.echo',
                                    'input': {'output': 1}})
        self.assertIsNone(run['id'])
        stored = self.check('POST', '/action_executions',
                            '/action_executions', 201, json={
                                'name': 'std.async_noop',
                                'params': {'save_result': True}})
        self.check('PUT', '/action_executions/' + stored['id'],
                   '/action_executions/{id}', 200,
                   json={'state': 'SUCCESS', 'output': {'result': 'x'}})
        self.check('DELETE', '/executions/' + ex['id'], '/executions/{id}',
                   204)

        wb = unique('oa_wb')
        wb_text = ("version: '2.0'\nname: %s\nworkflows:\n  w:\n    tasks:\n"
                   "      t:\n        action: std.noop\nactions:\n  a:\n"
                   "    base: std.noop\n" % wb)
        self.check('POST', '/workbooks', '/workbooks', 201, data=wb_text,
                   **yaml)
        self.check('PUT', '/workbooks', '/workbooks', 200, data=wb_text,
                   **yaml)
        self.check('GET', '/workbooks', '/workbooks', 200)
        self.check('GET', '/workbooks/' + wb, '/workbooks/{name}', 200)
        self.check('DELETE', '/workbooks/' + wb, '/workbooks/{name}', 204)

        act = unique('oa_act')
        act_text = "version: '2.0'\n%s:\n  base: std.echo output=1\n" % act
        self.check('POST', '/actions', '/actions', 201, data=act_text,
                   **yaml)
        self.check('PUT', '/actions/' + act, '/actions/{identifier}', 200,
                   data=act_text, **yaml)
        self.check('GET', '/actions?limit=5', '/actions', 200)
        self.check('GET', '/actions/std.noop', '/actions/{identifier}', 200)
        self.check('GET', '/actions/' + act, '/actions/{identifier}', 200)
        self.check('DELETE', '/actions/' + act, '/actions/{identifier}',
                   204)

        env = unique('oa_env')
        self.check('POST', '/environments', '/environments', 201,
                   json={'name': env, 'variables': {'a': 1}})
        self.check('PUT', '/environments', '/environments', 200,
                   json={'name': env, 'description': 'd'})
        self.check('GET', '/environments', '/environments', 200)
        self.check('GET', '/environments/' + env, '/environments/{name}',
                   200)
        self.check('POST', '/environments', '/environments', 409,
                   json={'name': env})
        self.check('DELETE', '/environments/' + env, '/environments/{name}',
                   204)

        cron = unique('oa_cron')
        self.check('POST', '/cron_triggers', '/cron_triggers', 201,
                   json={'name': cron, 'workflow_name': sub,
                         'pattern': '0 0 1 1 *'})
        self.check('GET', '/cron_triggers', '/cron_triggers', 200)
        self.check('GET', '/cron_triggers/' + cron,
                   '/cron_triggers/{identifier}', 200)
        self.check('DELETE', '/cron_triggers/' + cron,
                   '/cron_triggers/{identifier}', 204)

        wf_id = self.http.get(self.v2 + '/workflows/' + sub).json()['id']
        et = self.check('POST', '/event_triggers', '/event_triggers', 201,
                        json={'name': 'e', 'workflow_id': wf_id,
                              'exchange': 'x', 'topic': 't',
                              'event': unique('ev')})
        self.check('PUT', '/event_triggers/' + et['id'],
                   '/event_triggers/{id}', 200, json={'name': 'e2'})
        self.check('GET', '/event_triggers', '/event_triggers', 200)
        self.check('GET', '/event_triggers/' + et['id'],
                   '/event_triggers/{id}', 200)
        self.check('DELETE', '/event_triggers/' + et['id'],
                   '/event_triggers/{id}', 204)

        self.check('GET', '/services', '/services', 200)
        self.check('GET', '/code_sources', '/code_sources', 403)
        self.check('GET', '/code_sources?limit=x', '/code_sources', 400)
        self.check('POST', '/code_sources', '/code_sources', 403,
                   data='x = 1\n', **yaml)
        self.check('GET', '/dynamic_actions/x',
                   '/dynamic_actions/{identifier}', 403)
        self.check('POST', '/dynamic_actions', '/dynamic_actions', 403,
                   json={'name': 'a', 'project_id': None})
        self.check('PUT', '/dynamic_actions', '/dynamic_actions', 400,
                   json={'project_id': 'p'})
        self.check('DELETE', '/dynamic_actions/x',
                   '/dynamic_actions/{identifier}', 403)
        self.check('POST', '/workflows/%s/members' % wf,
                   '/workflows/{resource_id}/members', 400,
                   json={'member_id': 'p'})
        for path, template in (
                ('/executions/nope/executions',
                 '/executions/{id}/executions'),
                ('/executions/nope/tasks',
                 '/executions/{workflow_execution_id}/tasks'),
                ('/tasks/nope/executions', '/tasks/{id}/executions'),
                ('/tasks?workflow_execution_id=in:x', '/tasks')):
            self.check('GET', path, template, 400)
        self.check('POST', '/executions', '/executions', 415,
                   data='<a/>', headers={'Content-Type': 'application/xml'})
        self.check('POST', '/environments', '/environments', 415,
                   data='{}', headers={'Content-Type': 'text/plain'})
        self.check('GET', '/', '/', 200)
        self.check('DELETE', '/workflows/' + wf, '/workflows/{identifier}',
                   204)
        self.assertGreater(len(self.checked), 50)

    def test_xml_where_documented(self):
        """An operation documented with an XML answer gives one to
        ``Accept: application/xml``; the others are JSON only (406)."""
        doc = _doc(self.v2)
        seen = set()
        for path, item in doc['paths'].items():
            if '{' in path or 'get' not in item:
                continue
            ok = item['get']['responses'].get('200')
            if ok is None:  # the admin-only collections: a fault
                continue
            r = self.http.get(self.v2 + path,
                              headers={'Accept': 'application/xml'})
            if 'application/xml' in ok['content']:
                self.assertEqual(200, r.status_code, (path, r.text[:300]))
                self.assertEqual('application/xml; charset=UTF-8',
                                 r.headers['Content-Type'])
                root = ElementTree.fromstring(r.content)
                self.assertEqual('result', root.tag)
                lists = [k for k, v in ok['content']['application/xml'][
                    'schema'].get('properties', {}).items()
                    if v.get('xml') == {'wrapped': True}]
                for key in lists:
                    for child in root.find(key):
                        self.assertEqual('item', child.tag, path)
                seen.add(path)
            else:
                self.assertEqual(406, r.status_code, path)
        self.assertLessEqual({'/', '/executions', '/workflows', '/tasks',
                              '/services'}, seen)
        fault = self.http.get(self.v2 + '/executions/nope/executions',
                              headers={'Accept': 'text/xml'})
        self.assertEqual(400, fault.status_code)
        self.assertEqual('error', ElementTree.fromstring(fault.content).tag)

    def test_document_describes_itself(self):
        r = self.http.get(self.v2 + '/openapi.json')
        self.schema['/openapi.json']['GET'].validate_response(r)
        self.assertEqual(json.loads(r.content), r.json())
