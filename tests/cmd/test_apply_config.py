"""launcher.apply_config: which settings each kind of process applies
(issue 14: an API process leaves the actions, which it never runs,
unimported; tests/cmd/test_process_modules.py checks that part)."""

import unittest

from mistral_clone import actions
from mistral_clone import config
from mistral_clone import launcher
from mistral_clone import observe


class ApplyConfigTest(unittest.TestCase):

    def setUp(self):
        config.CONF.set_override('allowed_hosts', ['only.example'],
                                 group='action_std_http')
        self.addCleanup(config.CONF.clear_override, 'allowed_hosts',
                        group='action_std_http')
        actions.reset_http_policy()
        self.addCleanup(actions.reset_http_policy)
        self.addCleanup(observe.configure)

    def test_processes_that_run_actions_apply_the_http_policy(self):
        for components in (launcher.COMPONENTS, ('executor',), ('engine',)):
            actions.reset_http_policy()
            launcher.apply_config(config.CONF, components)
            self.assertEqual(['only.example'],
                             list(actions.get_http_policy().allowed_hosts))

    def test_engines_and_executors_load_the_action_catalogue_at_start(self):
        # Not on their first action or start (~11 ms scanning entry points).
        from mistral_clone.actions import catalogue
        self.addCleanup(actions.reset_catalogue)
        for components, loaded in ((('engine',), True), (('executor',), True),
                                   (('scheduler',), False),
                                   (launcher.COMPONENTS, True)):
            actions.reset_catalogue()
            launcher.apply_config(config.CONF, components)
            self.assertIs(loaded, catalogue._cache is not None, components)
            if loaded:
                self.assertIn('std.sleep', catalogue._cache)

    def test_an_api_process_leaves_the_actions_alone(self):
        launcher.apply_config(config.CONF, ('api',))
        self.assertEqual(list(actions.reset_http_policy().allowed_hosts),
                         list(actions.get_http_policy().allowed_hosts))

    def test_metrics_are_kept_where_something_reads_them(self):
        # An engine, executor or scheduler without [metrics] port: nobody
        # can read its metrics (observe.py keeps none); the API (/metrics)
        # and [metrics] port read them.
        for components, port, served in (
                (('engine',), 0, False), (('executor', 'scheduler'), 0, False),
                (('engine',), 9999, True), (('api',), 0, True),
                (launcher.COMPONENTS, 0, True)):
            config.CONF.set_override('port', port, group='metrics')
            self.addCleanup(config.CONF.clear_override, 'port',
                            group='metrics')
            launcher.apply_config(config.CONF, components)
            self.assertIs(served, observe._served, components)
