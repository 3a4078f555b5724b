"""Mistral's option names work, including the libraries' ([DEFAULT]
logging, [cors], [oslo_middleware], [healthcheck], [oslo_policy], [ssl]),
and options with no effect are reported."""

import os
import tempfile
import unittest

from oslo_config import cfg

from mistral_clone import config


class ConfigTest(unittest.TestCase):

    def tearDown(self):
        config.parse_args([])

    def test_mistral_and_library_options_are_known(self):
        with tempfile.NamedTemporaryFile('w', suffix='.conf',
                                         delete=False) as f:
            f.write('[DEFAULT]\nlog_dir = /var/log/x\nuse_syslog = true\n'
                    'default_log_levels = a=WARN\n'
                    'workflow_trace_log_name = wf_trace\nbogus = 1\n'
                    '[api]\napi_workers = 3\nenable_ssl_api = false\n'
                    '[ssl]\ncert_file = c.pem\n[cors]\nallowed_origin = '
                    'https://dash.example.com\n[oslo_middleware]\n'
                    'enable_proxy_headers_parsing = true\n[healthcheck]\n'
                    'enabled = true\ndetailed = true\n[oslo_policy]\n'
                    'policy_file = p.yaml\n[profiler]\nenabled = true\n'
                    '[keystone_authtoken]\nauth_url = http://k\n')
        self.addCleanup(os.unlink, f.name)
        config.parse_args(['--config-file', f.name])
        conf = config.CONF
        config.register_api_opts(conf)  # as a process serving the API
        self.assertEqual('/var/log/x', conf.log_dir)
        self.assertEqual(['a=WARN'], conf.default_log_levels)
        self.assertEqual(3, conf.api.api_workers)
        self.assertEqual(['https://dash.example.com'],
                         conf.cors.allowed_origin)
        self.assertTrue(conf.oslo_middleware.enable_proxy_headers_parsing)
        self.assertEqual('p.yaml', conf.oslo_policy.policy_file)
        self.assertEqual('wf_trace', conf.workflow_trace_log_name)
        # Unknown to us (no osprofiler here): reported, never an error.
        self.assertEqual(['DEFAULT.bogus', 'profiler.enabled'],
                         sorted(config.report_unknown_options(conf)))

    def test_api_options_unjudged_without_the_api(self):
        # An engine, executor or scheduler does not import oslo.middleware
        # (tests/cmd/test_process_modules.py): its groups in a shared
        # configuration file are neither known nor reported there.
        with tempfile.NamedTemporaryFile('w', suffix='.conf',
                                         delete=False) as f:
            f.write('[cors]\nallowed_origin = https://d.example.com\n'
                    '[healthcheck]\nbackends = x\n[profiler]\n'
                    'enabled = true\n')
        self.addCleanup(os.unlink, f.name)
        conf = cfg.ConfigOpts()
        config._register(conf)
        conf(['--config-file', f.name], project='mistral_clone',
             default_config_files=[])
        self.assertFalse(config.api_opts_registered(conf))
        self.assertEqual(['profiler.enabled'],
                         config.report_unknown_options(conf))
        config.register_api_opts(conf)
        self.assertEqual(['https://d.example.com'], conf.cors.allowed_origin)
        self.assertEqual(['profiler.enabled'],
                         config.report_unknown_options(conf))

    def test_our_library_defaults(self):
        config.parse_args([])
        conf = config.CONF
        config.register_api_opts(conf)
        self.assertIn('sqlalchemy=WARN', conf.default_log_levels)
        self.assertIn('alembic=WARN', conf.default_log_levels)
        self.assertIn('X-Auth-Token', conf.cors.allow_headers)
        self.assertEqual(['mistral_clone_database', 'mistral_clone_broker'],
                         conf.healthcheck.backends)
        self.assertIsNone(conf.api.api_workers)  # the CPU count
