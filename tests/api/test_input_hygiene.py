"""Bad input always gets a clear 4xx with Mistral's error body (issue 13,
items 7 and 8): malformed JSON and HTTP, names over Mistral's limits, DSL
versions. The database-specific cases (NUL on PostgreSQL, leaked SQL) are in
tests/integration/test_db_errors.py."""

import json
import socket
import threading
import time
import unittest

from mistral_clone.api import server as server_module
from mistral_clone.api.controllers.v2 import root
from mistral_clone.api.openapi import routes
from tests.api import base
from tests.api.base import unique

DEEP_LIST = '[' * 10000 + ']' * 10000
DEEP_OBJECT = '{"a": ' * 10000 + '1' + '}' * 10000


def _json_write_routes():
    """(method, path) of every JSON-bodied POST/PUT, ids filled in."""
    out = []
    for route in routes.walk(root.V2Controller()):
        if route.body_type is None:
            continue
        path = route.path
        for param in route.path_params:
            path = path.replace('{%s}' % param.name,
                                '6e5c6e2a-52a1-4a3b-9d8c-5d5f2a2a2a2a')
        out.append((route.method.upper(), path))
    return out


class JsonBodyTest(base.ApiTestCase):

    def _send(self, method, path, raw):
        return self.req(method, path, data=raw.encode('utf-8'),
                        headers={'Content-Type': 'application/json'})

    def test_routes_found(self):
        self.assertEqual(
            {('POST', '/environments'), ('PUT', '/environments'),
             ('POST', '/executions'), ('POST', '/action_executions'),
             ('POST', '/cron_triggers'), ('POST', '/event_triggers'),
             ('POST', '/dynamic_actions'), ('PUT', '/dynamic_actions')},
            {r for r in _json_write_routes() if '6e5c' not in r[1]})
        # With ids: executions, tasks, action executions, event triggers,
        # members (POST and PUT).
        self.assertEqual(14, len(_json_write_routes()))

    def test_deep_nesting_on_every_json_post_and_put(self):
        for method, path in _json_write_routes():
            for raw in (DEEP_LIST, DEEP_OBJECT,
                        '{"name": "x", "input": %s}' % DEEP_OBJECT):
                self.assertFault(self._send(method, path, raw), 400,
                                 'Invalid request body: JSON nested deeper '
                                 'than 100 levels.')
        # 100 levels are fine.
        fine = '{"name": "%s", "variables": %s}' % (
            unique('deep'), '{"a": ' * 98 + '1' + '}' * 98)
        self.assertStatus(self._send('POST', '/environments', fine), 201)

    def test_non_object_bodies(self):
        for method, path in _json_write_routes():
            for raw, kind in (('null', 'null'), ('[1]', 'a list'),
                              ('5', 'a number'), ('"x"', 'a string')):
                self.assertFault(
                    self._send(method, path, raw), 400,
                    'Invalid request body: a JSON object is expected, not '
                    '%s.' % kind)

    def test_lone_surrogate_and_nul(self):
        for raw in ('{"name": "lone\\ud800"}', '{"name": "x", "variables": '
                    '{"k\\udfff": 1}}', '{"name": "a\\u0000b"}'):
            body = self.assertFault(self._send('POST', '/environments', raw),
                                    400)
            self.assertTrue(body['faultstring'].startswith(
                'Invalid request body: a '), body)
        # A valid surrogate pair is just a character.
        name = unique('pair') + '\U0001F600'
        self.assertStatus(self.post_json('/environments', {'name': name}),
                          201)
        self.assertStatus(self.delete('/environments/%s' % name), 204)

    def test_invalid_utf8_body(self):
        r = self.req('POST', '/environments', data=b'{"name": "\xff"}',
                     headers={'Content-Type': 'application/json'})
        self.assertFault(r, 400, 'Invalid request body: it is not valid '
                                 'UTF-8.')

    def test_syntax_errors_keep_mistral_messages(self):
        r = self._send('POST', '/environments', '{"name": ')
        body = self.assertFault(r, 400)
        self.assertNotIn('nested', body['faultstring'])

    def test_multipart_without_boundary(self):
        for method, path in (('POST', '/environments'),
                             ('DELETE', '/workflows/x'),
                             ('PUT', '/workflows')):
            r = self.req(method, path, data=b'x', headers={
                'Content-Type': 'multipart/form-data'})
            self.assertFault(r, 415, contains='Unsupported Content-Type '
                                              'multipart/form-data')


class UrlTest(base.ApiTestCase):

    def test_nul_in_path_and_query(self):
        self.assertFault(self.get('/workflows/a%00b'), 400,
                         'The URL path must not contain NUL characters.')
        self.assertFault(self.get('/environments/a%00b'), 400,
                         'The URL path must not contain NUL characters.')
        self.assertFault(self.get('/workflows?name=a%00b'), 400,
                         'The query string must not contain NUL '
                         'characters.')

    def test_not_utf8(self):
        self.assertFault(self.get('/workflows/a%ffb'), 400,
                         'The URL path is not valid UTF-8.')
        # UTF-8 of a surrogate is not UTF-8.
        self.assertFault(self.get('/workflows?name=a%ED%A0%80b'), 400,
                         'The query string is not valid UTF-8.')


def _raw(url, data, shutdown=False, timeout=30):
    host, port = url.split('//')[1].split('/')[0].split(':')
    s = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b'\r\n\r\n' in b''.join(chunks) and not shutdown:
                head, _, body = b''.join(chunks).partition(b'\r\n\r\n')
                length = [int(line.split(b':')[1]) for line in
                          head.split(b'\r\n')
                          if line.lower().startswith(b'content-length')]
                if length and len(body) >= length[0]:
                    break
        return b''.join(chunks)
    finally:
        s.close()


class ContentLengthTest(base.ApiTestCase):

    def test_negative_content_length(self):
        out = _raw(self.root, b'POST /v2/environments HTTP/1.1\r\nHost: x\r\n'
                   b'Content-Type: application/json\r\nContent-Length: -5\r\n'
                   b'\r\n{"name": "x"}')
        self.assertTrue(out.startswith(b'HTTP/1.1 400 '), out)
        self.assertIn(b'Connection: close', out)
        self.assertIn(b'"faultstring": "Invalid Content-Length header '
                      b'\'-5\': it must be a non-negative integer."', out)

    def test_body_shorter_than_content_length(self):
        start = time.monotonic()
        out = _raw(self.root, b'POST /v2/environments HTTP/1.1\r\nHost: x\r\n'
                   b'Content-Type: application/json\r\nContent-Length: 100'
                   b'\r\n\r\n{"name": "x"}', shutdown=True)
        self.assertTrue(out.startswith(b'HTTP/1.1 400 '), out)
        self.assertIn(b'The request body is shorter than its Content-Length:'
                      b' 13 of 100 bytes.', out)
        self.assertIn(b'"faultcode": "Client"', out)
        self.assertLess(time.monotonic() - start, 20)

    def test_body_that_stops_arriving_times_out_with_408(self):
        seen = []

        def app(environ, start_response):
            seen.append(environ['wsgi.input'].read())
            start_response('200 OK', [('Content-Length', '0')])
            return [b'']
        # The socket timeout (30 s by default) bounds the wait.
        srv, url = server_module.start_in_thread('127.0.0.1', 0, app=app,
                                                 timeout=1)
        try:
            out = _raw(url, b'POST /v2/environments HTTP/1.1\r\nHost: x\r\n'
                       b'Content-Length: 100\r\n\r\n{"name": "x"}')
            self.assertTrue(out.startswith(b'HTTP/1.1 408 '), out)
            self.assertIn(b'13 of the 100 bytes', out)
            self.assertEqual([], seen)  # never handed to the application
        finally:
            srv.shutdown()
            srv.server_close()


class LengthLimitTest(base.ApiTestCase):
    """Mistral's limits, checked before the database (on SQLite these were
    stored; on PostgreSQL/MariaDB they answered 500 with the SQL)."""

    def _too_long(self, r, field, limit):
        body = self.assertFault(r, 400)
        self.assertIn('Invalid input for field/attribute %s.' % field,
                      body['faultstring'])
        self.assertIn('maximum character requirement of %d' % limit,
                      body['faultstring'])

    def test_json_bodies(self):
        self._too_long(self.post_json('/environments', {
            'name': 'e' * 201, 'variables': {'password': 'LeakMe123'}}),
            'name', 200)
        self.assertStatus(self.post_json('/environments', {
            'name': unique('e') + 'e' * 180}), 201)
        self._too_long(self.post_json('/cron_triggers', {
            'name': 'c' * 201, 'workflow_name': 'x', 'pattern': '* * * * *'}),
            'name', 200)
        self._too_long(self.post_json('/cron_triggers', {
            'name': 'c', 'workflow_name': 'x', 'pattern': '*' * 101}),
            'pattern', 100)
        for field, limit in (('name', 200), ('exchange', 80), ('topic', 80),
                             ('event', 80)):
            values = {'name': 'n', 'workflow_id': 'x', 'exchange': 'e',
                      'topic': 't', 'event': 'v'}
            values[field] = 'x' * (limit + 1)
            self._too_long(self.post_json('/event_triggers', values), field,
                           limit)
        self._too_long(self.post_json('/executions', {
            'workflow_name': 'x', 'description': 'd' * 256}),
            'description', 255)
        self._too_long(self.post_json('/executions', {
            'workflow_name': 'x', 'id': 'i' * 37}), 'id', 36)

    def test_definition_names_and_namespace(self):
        msg = ("Invalid input: the workflow name '%s...' is 256 characters "
               "long; at most 255 are allowed.")
        text = ("version: '2.0'\n%s:\n  input:\n    - password: LeakMe123\n"
                "  tasks:\n    t:\n      action: std.noop\n")
        self.assertFault(self.post_text('/workflows', text % ('w' * 256)),
                         400, msg % ('w' * 40), wsme=False)
        name = 'w' * 255
        self.assertStatus(self.post_text('/workflows', text % name), 201)
        self.assertStatus(self.delete('/workflows/%s' % name), 204)
        self.assertFault(
            self.post_text('/workflows?namespace=%s' % ('n' * 256),
                           text % unique('w')), 400,
            contains='the workflow namespace', wsme=False)
        self.assertFault(self.post_text(
            '/actions', "version: '2.0'\n%s:\n  base: std.noop\n" % (
                'a' * 256)), 400, contains='the action name', wsme=False)
        # A workbook's workflows are named <workbook>.<workflow>.
        wb = ("version: '2.0'\nname: %s\nworkflows:\n  wf:\n    tasks:\n"
              "      t:\n        action: std.noop\n")
        body = self.assertFault(self.post_text('/workbooks', wb % ('b' * 253)),
                                400, wsme=False)
        self.assertIn('the workflow name', body['faultstring'])
        self.assertIn('is 256 characters long', body['faultstring'])
        self.assertEqual([], [w for w in self.get('/workbooks').json()[
            'workbooks'] if w['name'].startswith('bbbb')])

    def test_yaml_escapes_that_cannot_be_stored(self):
        for name, what in (('"x\\ud800y"', 'lone surrogate'),
                           ('"x\\0y"', 'NUL character')):
            text = "version: '2.0'\n%s:\n  tasks:\n    t:\n      action: " \
                   "std.noop\n" % name
            body = self.assertFault(self.post_text('/workflows', text), 400,
                                    wsme=False)
            self.assertIn(what, body['faultstring'])


class DslVersionTest(base.ApiTestCase):
    """Workbooks refuse every version but 2.0 (like the reference);
    workflow and action documents (which the reference takes whatever
    their version) refuse unknown newer versions and non-numbers, and
    accept older ones as the reference does."""

    def _documents(self, version):
        wf = "version: %s\n%s:\n  tasks:\n    t:\n      action: " \
             "std.noop\n" % (version, unique('v'))
        act = "version: %s\n%s:\n  base: std.noop\n" % (version,
                                                         unique('a'))
        wb = "version: %s\nname: %s\nworkflows:\n  w:\n    tasks:\n" \
             "      t:\n        action: std.noop\n" % (version, unique('b'))
        return wf, act, wb

    def test_unsupported_versions(self):
        for version in ("'3.0'", '3.0', "'abc'", '2.5'):
            msg = 'Unsupported DSL version: %s' % version.strip("'")
            wf, act, wb = self._documents(version)
            self.assertFault(self.post_text('/workflows', wf), 400, msg,
                             wsme=False)
            self.assertEqual({'valid': False, 'error': msg}, self.post_text(
                '/workflows/validate', wf).json())
            self.assertFault(self.post_text('/actions', act), 400, msg,
                             wsme=False)
            self.assertFault(self.post_text('/workbooks', wb), 400, msg,
                             wsme=False)

    def test_older_versions(self):
        wf, act, wb = self._documents("'1.0'")
        self.assertStatus(self.post_text('/workflows', wf), 201)
        self.assertStatus(self.post_text('/actions', act), 201)
        self.assertFault(self.post_text('/workbooks', wb), 400,
                         'Unsupported DSL version: 1.0', wsme=False)

    def test_current_version(self):
        for version in ("'2.0'", '2.0'):
            wf, act, wb = self._documents(version)
            self.assertStatus(self.post_text('/workflows', wf), 201)
            self.assertStatus(self.post_text('/actions', act), 201)
            self.assertStatus(self.post_text('/workbooks', wb), 201)


class ConcurrencyTest(base.ApiTestCase):

    def test_server_keeps_serving_after_bad_input(self):
        errors = []

        def bad():
            try:
                _raw(self.root, b'POST /v2/executions HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Type: application/json\r\nContent-Length: 7'
                     b'\r\n\r\nnull', shutdown=True)
            except OSError as e:
                errors.append(e)
        threads = [threading.Thread(target=bad) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual([], errors)
        self.assertStatus(self.get('/workflows?limit=1'), 200)


class BodyInMemoryTest(unittest.TestCase):
    """A JSON body is read once into memory and handed out from there:
    webob's ``request.body`` gives those bytes (no temporary file, no copy
    per read: WSME and pecan read a body three times), and a handler's
    arguments once read, the bytes are let go (expose.py)."""

    def test_request_body_is_the_bytes_read(self):
        import io
        import webob
        from mistral_clone.api import expose
        from mistral_clone.api import hygiene
        data = json.dumps({'input': 'x' * 50000}).encode()
        environ = {'wsgi.input': io.BytesIO(data),
                   'CONTENT_LENGTH': str(len(data)),
                   'CONTENT_TYPE': 'application/json',
                   'REQUEST_METHOD': 'POST'}
        self.assertEqual(data, hygiene.read_body(environ, len(data)))
        request = webob.Request(environ)
        first = request.body
        self.assertEqual(data, first)
        self.assertIs(first, request.body)
        self.assertEqual({'input': 'x' * 50000}, request.json)
        expose._let_go_of_body(environ)
        self.assertEqual(b'', webob.Request(environ).body)

    def test_a_body_not_in_memory_is_left_alone(self):
        import io
        from mistral_clone.api import expose
        stream = io.BytesIO(b'{}')
        environ = {'wsgi.input': stream, 'CONTENT_LENGTH': '2'}
        expose._let_go_of_body(environ)
        self.assertIs(stream, environ['wsgi.input'])
