"""launcher.apply_config: which settings each kind of process applies
(issue 14: an API process leaves the actions, which it never runs,
unimported; tests/cmd/test_process_modules.py checks that part)."""

import unittest

from mistral_clone import actions
from mistral_clone import config
from mistral_clone import launcher


class ApplyConfigTest(unittest.TestCase):

    def setUp(self):
        config.CONF.set_override('allowed_hosts', ['only.example'],
                                 group='action_std_http')
        self.addCleanup(config.CONF.clear_override, 'allowed_hosts',
                        group='action_std_http')
        actions.reset_http_policy()
        self.addCleanup(actions.reset_http_policy)

    def test_processes_that_run_actions_apply_the_http_policy(self):
        for components in (launcher.COMPONENTS, ('executor',), ('engine',)):
            actions.reset_http_policy()
            launcher.apply_config(config.CONF, components)
            self.assertEqual(['only.example'],
                             list(actions.get_http_policy().allowed_hosts))

    def test_an_api_process_leaves_the_actions_alone(self):
        launcher.apply_config(config.CONF, ('api',))
        self.assertEqual(list(actions.reset_http_policy().allowed_hosts),
                         list(actions.get_http_policy().allowed_hosts))
