"""/v2/workbooks and /v2/actions."""

import json

from tests.api import base
from tests.api.base import unique


def wb_text(name, desc='A workbook', third=None):
    text = ("---\nversion: '2.0'\nname: %s\ndescription: %s\ntags: [wbtag]\n"
            "actions:\n  greet:\n    base: std.echo\n    base-input:\n"
            "      output: hi\n    input: [name]\nworkflows:\n  wf:\n"
            "    tasks:\n      t:\n        action: greet\n" % (name, desc))
    if third:
        text += ("  wf2:\n    tasks:\n      t:\n        action: std.noop\n"
                 "  wf3: %s\n" % third)
    return text


class WorkbookTest(base.ApiTestCase):

    def test_crud_and_members(self):
        name = unique('wb')
        text = wb_text(name)
        r = self.post_text('/workbooks', text)
        wb = self.assertStatus(r, 201)
        self.assertEqual('application/json;charset=utf-8',
                         r.headers['Content-Type'])
        self.assertNotIn('updated_at', wb)
        self.assertEqual(['wbtag'], wb['tags'])
        wf = self.assertStatus(self.get('/workflows/%s.wf' % name), 200)
        self.assertIsNone(wf['checksum'])
        self.assertStatus(self.get('/actions/%s.greet' % name), 200)
        got = self.assertStatus(self.get('/workbooks/%s' % name), 200)
        self.assertIsNone(got['updated_at'])
        upd = self.assertStatus(self.put_text('/workbooks',
                                              wb_text(name, 'Upd')), 200)
        self.assertIsNotNone(upd['updated_at'])
        self.assertStatus(self.delete('/workbooks/%s' % name), 204)
        self.assertFault(self.get('/workbooks/%s' % name), 404,
                         'Workbook not found [name=%s, namespace=]' % name)
        self.assertFault(
            self.delete('/workbooks/%s' % name), 404,
            'Workbook not found [workbook_name=%s, namespace=]' % name)
        # Members stay, like on the reference.
        self.assertStatus(self.get('/workflows/%s.wf' % name), 200)

    def test_invalid_third_workflow_writes_nothing(self):
        name = unique('wbbad')
        r = self.post_text('/workbooks', wb_text(name, third='{}'))
        self.assertFault(r, 400, wsme=False)
        self.assertStatus(self.get('/workbooks/%s' % name), 404)
        body = self.get('/workflows?name=has:%s' % name).json()
        self.assertEqual([], body['workflows'])
        self.assertStatus(self.get('/actions/%s.greet' % name), 404)

    def test_validate(self):
        self.assertEqual({'valid': True}, self.post_text(
            '/workbooks/validate', wb_text(unique('v'))).json())
        body = self.post_text('/workbooks/validate', "version: '2.0'\n").json()
        self.assertFalse(body['valid'])
        self.assertTrue(body['error'].startswith(
            "Invalid DSL: 'name' is a required property"))


def action_text(name, extra=''):
    return ("---\nversion: '2.0'\n%s:\n%s  base: std.echo\n  base-input:\n"
            "    output: 1\n  input:\n    - a\n    - b: 2\n" % (name, extra))


class ActionTest(base.ApiTestCase):

    def test_system_actions_listed(self):
        body = self.assertStatus(self.get('/actions'), 200)
        by = {a['name']: a for a in body['actions']}
        echo = by['std.echo']
        self.assertEqual('std.echo', echo['id'])
        self.assertEqual('output, delay=0', echo['input'])
        self.assertEqual('', echo['created_at'])
        self.assertIsNone(echo['scope'])
        names = [a['name'] for a in body['actions']]
        self.assertEqual(sorted(names), names)
        self.assertEqual(echo, self.get('/actions/std.echo').json())

    def test_marker_is_a_name_and_page_starts_at_it(self):
        body = self.get('/actions?marker=std.echo&limit=2').json()
        self.assertEqual('std.echo', body['actions'][0]['name'])
        self.assertIn('marker=%s' % body['actions'][-1]['id'], body['next'])

    def test_is_system_filter_400(self):
        self.assertFault(self.get('/actions?is_system=true'), 400)

    def test_crud(self):
        name = unique('act')
        r = self.post_text('/actions', action_text(name, '  tags: [t]\n'))
        a = self.assertStatus(r, 201)['actions'][0]
        self.assertEqual('a, b=2', a['input'])
        self.assertNotIn('updated_at', a)
        got = self.assertStatus(self.get('/actions/%s' % name), 200)
        self.assertIsNone(got['updated_at'])
        self.assertFault(self.get('/actions/%s' % a['id']), 404,
                         'Action not found [name=%s, namespace=]' % a['id'])
        upd = self.put_text('/actions/%s' % name, action_text(
            name, '  description: D\n')).json()
        self.assertEqual('D', upd['actions'][0]['description'])
        self.assertFault(
            self.post_text('/actions', action_text(name)), 409,
            "Duplicate entry for Action ['name', 'namespace', "
            "'project_id']: %s, , None" % name, wsme=False)
        self.assertStatus(self.delete('/actions/%s' % name), 204)
        self.assertFault(
            self.delete('/actions/%s' % name), 404,
            'Action definition not found [action_name=%s, namespace=]'
            % name)

    def test_system_action_cannot_be_updated_or_deleted(self):
        self.assertStatus(self.delete('/actions/std.noop'), 404)
        self.assertStatus(self.put_text('/actions', action_text(
            'std.noop')), 404)
        self.assertStatus(self.get('/actions/std.noop'), 200)

    def test_cli(self):
        out = json.loads(self.cli('action-get', 'std.echo', '-f',
                                  'json').stdout)
        self.assertEqual('output, delay=0', out['Input'])
