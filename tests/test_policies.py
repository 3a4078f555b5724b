"""Policy in code (issue 10, item 6): Mistral's rule names with their
defaults and documentation, the oslo.policy tooling entry points, and the
generated sample kept up to date."""

import os
import subprocess
import tempfile
import unittest

from oslo_policy import policy as oslo_policy

from mistral_clone import policies
from mistral_clone import policy
from tests import paths

MISTRAL_RULES = {
    'admin_only', 'admin_or_owner', 'context_is_admin',
    'action_executions:create', 'action_executions:delete',
    'action_executions:get', 'action_executions:list',
    'action_executions:update', 'actions:create', 'actions:delete',
    'actions:get', 'actions:list', 'actions:publicize', 'actions:update',
    'code_sources:create', 'code_sources:delete', 'code_sources:get',
    'code_sources:list', 'code_sources:publicize', 'code_sources:update',
    'cron_triggers:create', 'cron_triggers:delete', 'cron_triggers:get',
    'cron_triggers:list', 'cron_triggers:list:all_projects',
    'cron_triggers:publicize', 'dynamic_actions:create',
    'dynamic_actions:delete', 'dynamic_actions:get', 'dynamic_actions:list',
    'dynamic_actions:publicize', 'dynamic_actions:update',
    'environments:create', 'environments:delete', 'environments:get',
    'environments:list', 'environments:publicize', 'environments:update',
    'event_triggers:create', 'event_triggers:delete', 'event_triggers:get',
    'event_triggers:list', 'event_triggers:list:all_projects',
    'event_triggers:publicize', 'event_triggers:update',
    'executions:create', 'executions:delete', 'executions:get',
    'executions:list', 'executions:list:all_projects', 'executions:update',
    'members:create', 'members:delete', 'members:get', 'members:list',
    'members:update', 'services:list', 'tasks:get', 'tasks:list',
    'tasks:update', 'workbooks:create', 'workbooks:delete', 'workbooks:get',
    'workbooks:list', 'workbooks:publicize', 'workbooks:update',
    'workflows:create', 'workflows:delete', 'workflows:get',
    'workflows:list', 'workflows:list:all_projects', 'workflows:publicize',
    'workflows:update',
}


class PolicyInCodeTest(unittest.TestCase):

    def test_every_mistral_rule_is_defined_and_documented(self):
        rules = {r.name: r for r in policies.list_rules()}
        self.assertLessEqual(MISTRAL_RULES, set(rules))
        self.assertEqual(policy.RULE_NAMES, frozenset(rules))
        for name, rule in rules.items():
            self.assertTrue(rule.description, name)
            if ':' in name:
                self.assertIsInstance(rule, oslo_policy.DocumentedRuleDefault)
                self.assertTrue(all(op['path'].startswith('/v2/')
                                    for op in rule.operations), name)
        self.assertEqual('rule:admin_only',
                         rules['workflows:publicize'].check_str)
        self.assertEqual('rule:admin_or_owner',
                         rules['executions:create'].check_str)
        self.assertEqual([{'method': 'GET', 'path':
                           '/v2/executions?all_projects=true'}],
                         rules['executions:list:all_projects'].operations)

    def _tool(self, *args):
        p = subprocess.run([paths.command(args[0])] + list(args[1:]),
                           cwd=paths.REPO_ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=120)
        self.assertEqual(0, p.returncode, p.stderr[-2000:])
        return p.stdout

    def test_sample_generator_finds_us_and_the_sample_is_current(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'policy.yaml.sample')
            self._tool('oslopolicy-sample-generator', '--namespace',
                       'mistral_clone', '--output-file', out)
            with open(out) as f:
                generated = f.read()
        self.assertIn('#"workflows:publicize": "rule:admin_only"',
                      generated)
        with open(os.path.join(paths.REPO_ROOT, 'etc',
                               'policy.yaml.sample')) as f:
            self.assertEqual(generated, f.read(),
                             'etc/policy.yaml.sample is stale: run '
                             'tox -e genpolicy')

    def test_enforcer_entry_point(self):
        # oslopolicy-policy-generator loads our enforcer (entry point
        # oslo.policy.enforcer) and prints the effective rules.
        out = self._tool('oslopolicy-policy-generator', '--namespace',
                         'mistral_clone')
        self.assertIn('"executions:list:all_projects": "rule:admin_only"',
                      out)


class CheckPluginsTest(unittest.TestCase):
    """oslo.policy's plugin checks (``http:``/``https:``) are imported on a
    rule's first use of them (policies._DeferredCheck), not with the first
    rule: the same check objects as before."""

    def test_http_rules_get_oslo_policy_http_checks(self):
        from oslo_policy import _external
        from oslo_policy import _parser
        rule = _parser.parse_rule('http://127.0.0.1:51999/check or '
                                  'https://127.0.0.1:51999/check')
        self.assertEqual([_external.HttpCheck, _external.HttpsCheck],
                         [type(r) for r in rule.rules])
        self.assertEqual('http://127.0.0.1:51999/check', str(rule.rules[0]))

    def test_a_plugin_that_does_not_import_is_passed_over(self):
        class Broken:
            name = 'http'

            def load(self):
                raise ImportError('no requests')

        from oslo_policy import _checks
        with self.assertLogs('mistral_clone.policies', 'ERROR'):
            check = policies._DeferredCheck(Broken())('http', '//x')
        # What oslo.policy's parser gives a kind without a plugin.
        self.assertIsInstance(check, _checks.GenericCheck)
