"""``[api] validation_mode`` and ``?skip_validation`` on uploads, as observed
on the reference (Mistral 23.0.0):

* ``mandatory`` (default): every upload is validated, ``skip_validation``
  is ignored;
* ``enabled``: workflows and workbooks are validated unless the query
  string has ``skip_validation`` (any value, even ``false``);
* ``disabled``: workflows and workbooks are never validated;
* ad-hoc actions and the ``/validate`` endpoints always validate.

Without validation the JSON schema, expression syntax and semantic checks
(unknown transition targets, start tasks, UUID names, ...) are skipped; YAML
errors, unknown workflow types, malformed ``with-items`` and names with
spaces are still refused, and so is data no workflow can be built from
(the reference answers 500 there; we answer 400 with the validation
message).
"""

import uuid

from mistral_clone import config
from tests.api import base
from tests.api.base import unique


def invalid_wf(name, key='retries: 3'):
    """Schema-invalid (unknown task key), otherwise runnable."""
    return ("version: '2.0'\n%s:\n  tasks:\n    t1:\n      action: std.noop\n"
            "      %s\n" % (name, key))


def invalid_wb(name):
    return ("version: '2.0'\nname: %s\nworkflows:\n  wf1:\n    tasks:\n"
            "      t1:\n        action: std.noop\n        timeout: -1\n"
            % name)


def invalid_action(name):
    return "version: '2.0'\n%s:\n  base: std.noop\n  foo: 1\n" % name


class ValidationModeTest(base.ApiTestCase):

    def mode(self, value):
        config.CONF.set_override('validation_mode', value, group='api')
        self.addCleanup(config.CONF.clear_override, 'validation_mode',
                        group='api')

    def test_mandatory_ignores_skip_validation(self):
        name = unique('mand')
        self.assertFault(
            self.post_text('/workflows?skip_validation', invalid_wf(name)),
            400, wsme=False,
            msg="Invalid DSL: Additional properties are not allowed "
                "('retries' was unexpected)\n\nOn instance['tasks']['t1']:\n"
                "    {'action': 'std.noop',\n     'retries': 3,\n"
                "     'type': 'direct',\n     'name': 't1',\n"
                "     'version': '2.0'}")
        self.assertFault(
            self.post_text('/workbooks?skip_validation', invalid_wb(name)),
            400, wsme=False,
            contains="\n\nOn instance['workflows']['wf1']['tasks']['t1']"
                     "['timeout']:\n    -1")
        self.assertStatus(self.get('/workflows/%s' % name), 404)

    def test_enabled_skips_on_request_only(self):
        self.mode('enabled')
        name = unique('enab')
        self.assertFault(self.post_text('/workflows', invalid_wf(name)), 400,
                         wsme=False)
        body = self.assertStatus(
            self.post_text('/workflows?skip_validation', invalid_wf(name)),
            201)
        self.assertEqual(invalid_wf(name),
                         body['workflows'][0]['definition'])
        # Present is enough, whatever the value (like the reference).
        self.assertStatus(self.put_text(
            '/workflows?skip_validation=false',
            invalid_wf(name, 'publish: {x: <% $. %>}')), 200)
        self.assertFault(self.put_text(
            '/workflows', invalid_wf(name, 'timeout: -1')), 400, wsme=False)
        got = self.assertStatus(self.get('/workflows/%s' % name), 200)
        self.assertIn('publish: {x: <% $. %>}', got['definition'])

    def test_enabled_skips_expressions_semantics_and_uuid_names(self):
        self.mode('enabled')
        for text in (
                invalid_wf(unique('expr'), 'publish: {x: <% $.a + %>}'),
                invalid_wf(unique('loop'), 'on-success: t1'),
                invalid_wf(unique('cmd'), 'on-error: fail msg=<% $. %>'),
                invalid_wf(unique('join'), 'join: all'),
                "version: '2.0'\n%s:\n  tasks:\n    t: {action: std.noop}\n"
                % uuid.uuid4(),
                "%s:\n  tasks: {}\n" % unique('noversion')):
            with self.subTest(text=text):
                self.assertStatus(
                    self.post_text('/workflows?skip_validation', text), 201)

    def test_what_is_refused_even_without_validation(self):
        self.mode('disabled')
        cases = [
            (invalid_wf(unique('wi'), 'with-items: x from y'),
             "Wrong format of 'with-items' property."),
            ("version: '2.0'\n%s:\n  type: sideways\n  tasks:\n"
             "    t: {action: std.noop}\n" % unique('type'),
             'Failed to find a specification class to instantiate'),
            ("version: '2.0'\n'a b':\n  tasks:\n    t: {action: std.noop}\n",
             "Name 'a b' must not contain spaces"),
            ("version: '2.0'\n%s:\n  tasks: [\n" % unique('yaml'),
             'Definition could not be parsed: '),
            ("version: '3.0'\n%s:\n  tasks:\n    t: {action: std.noop}\n"
             % unique('v3'), 'Unsupported DSL version: 3.0'),
            # The reference accepts this and fails the execution when the
            # transition fires; our engine cannot run it.
            (invalid_wf(unique('nope'), 'on-success: nope'),
             "Task 'nope' not found."),
            # The reference crashes (500) on these.
            ("version: '2.0'\n%s:\n  tasks: 5\n" % unique('shape'),
             "Invalid DSL: 5 is not of type 'object'\n\n"
             "On instance['tasks']:\n    5"),
            ("version: '2.0'\n%s:\n  input: 5\n  tasks:\n"
             "    t: {action: std.noop}\n" % unique('input'),
             "Invalid DSL: 5 is not of type 'array'"),
        ]
        for text, message in cases:
            with self.subTest(text=text):
                body = self.assertFault(self.post_text('/workflows', text),
                                        400, wsme=False)
                self.assertTrue(body['faultstring'].startswith(message),
                                body['faultstring'])

    def test_disabled_never_validates_workflows_and_workbooks(self):
        self.mode('disabled')
        name = unique('dis')
        self.assertStatus(self.post_text('/workflows', invalid_wf(name)), 201)
        self.assertStatus(self.post_text('/workbooks', invalid_wb(name)), 201)
        got = self.assertStatus(self.get('/workflows/%s.wf1' % name), 200)
        self.assertIn('timeout: -1', got['definition'])
        self.assertStatus(self.put_text('/workbooks', invalid_wb(name)), 200)

    def test_actions_and_validate_endpoints_always_validate(self):
        for mode in ('enabled', 'disabled'):
            self.mode(mode)
            name = unique('act')
            for method in (self.post_text, self.put_text):
                self.assertFault(
                    method('/actions?skip_validation', invalid_action(name)),
                    400, wsme=False,
                    contains="Additional properties are not allowed "
                             "('foo' was unexpected)")
            body = self.post_text('/workflows/validate?skip_validation',
                                  invalid_wf(name)).json()
            self.assertFalse(body['valid'])
            self.assertTrue(body['error'].startswith(
                'Invalid DSL: Additional properties are not allowed'))
