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
        """``(passed, failed, failure lines)`` of one run of a suite."""
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
        return passed, failed, failures

    def test_workflow_cases(self):
        passed, failed, failures = self._run(
            'run.py', '--url', self.server.url, '--cases', 'cases/public')
        self.assertEqual(0, failed, '\n'.join(failures))
        self.assertGreater(passed, 0)

    def test_api_suite(self):
        args = ['api_suite.py', '--url', self.server.url]
        cli = _mistral_cli()
        if cli:
            args += ['--mistral', cli]
        passed, failed, failures = self._run(*args)
        self.assertGreater(passed, 0)
        self.assertEqual(failed, len(failures), failures)
        # The suite names what it creates after a random run id, and some
        # checks edit a definition's text by replacing a word in it
        # (cli_action_crud: "d1" -> "d2"): a run id that happens to hold
        # that word renames the resource and the check fails on any server
        # (seen once in CI). A failed check runs once more, alone,
        # under a new run id; a real difference fails both times.
        again = []
        for line in failures:
            check = re.match(r'FAIL (\S+?):', line).group(1)
            rerun_passed, rerun_failed, rerun_failures = self._run(
                *(args + ['-k', check]))
            self.assertGreater(rerun_passed + rerun_failed, 0, check)
            again += rerun_failures or (['FAIL %s' % check]
                                        if rerun_failed else [])
        self.assertEqual([], again, '\n'.join(failures))
