"""Workflows stored without validation (``?skip_validation``, ``[api]
validation_mode = disabled``) run as written: like the reference, the
engine builds stored definitions without validating them again."""

import json

from tests import base
from tests.api.test_validation_mode import invalid_wf
from tests.api.base import unique


class UnvalidatedWorkflowRunsTest(base.ServerTestCase):
    """What was stored without validation runs as written (like the
    reference, which does not validate stored definitions either)."""

    server_overrides = {('api', 'validation_mode'): 'enabled'}

    def test_unknown_key_is_ignored_at_run_time(self):
        name = unique('run')
        r = self.server.post_text('/workflows?skip_validation',
                                  invalid_wf(name, 'retries: 3\n'
                                             '      publish: {r: 1}'))
        self.assertEqual(201, r.status_code, r.text)
        ex = self.server.wait(self.server.start(name)['id'])
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'r': 1}, json.loads(
            self.server.task(ex['id'], 't1')['published']))
