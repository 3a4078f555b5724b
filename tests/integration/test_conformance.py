"""The public conformance suites (shared/conformance, observed on the
reference Mistral) against a real embedded server.

CI clones the repository with ``shared/`` beside it; a checkout without it
skips these tests with the reason.
"""

import os
import re
import subprocess
import sys
import unittest

from tests import base
from tests import paths

CONFORMANCE = paths.conformance_dir()


def _mistral_cli():
    cand = paths.command('mistral')
    return cand if os.path.exists(cand) else None


@unittest.skipUnless(os.path.isdir(CONFORMANCE),
                     'shared/conformance is not beside the repository')
class ConformanceTest(base.ServerTestCase):

    def _run(self, *args, timeout=900):
        proc = subprocess.run(
            [sys.executable] + list(args), cwd=CONFORMANCE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True, timeout=timeout)
        summary = re.findall(r'^(\d+) passed, (\d+) failed$', proc.stdout,
                             re.M)
        self.assertTrue(summary, proc.stdout[-2000:])
        passed, failed = map(int, summary[-1])
        failures = [line for line in proc.stdout.splitlines()
                    if line.startswith('FAIL')]
        self.assertEqual(failed, 0, '\n'.join(failures))
        self.assertGreater(passed, 0)
        return passed

    def test_workflow_cases(self):
        self._run('run.py', '--url', self.server.url, '--cases',
                  'cases/public')

    def test_api_suite(self):
        args = ['api_suite.py', '--url', self.server.url]
        cli = _mistral_cli()
        if cli:
            args += ['--mistral', cli]
        self._run(*args)
