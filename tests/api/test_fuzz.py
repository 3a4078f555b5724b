"""Every /v2 operation fuzzed by schemathesis against an embedded server.

The run uses the document the server serves, both of schemathesis'
generation modes (valid and invalid input) and all its phases; the checks
are ``not_a_server_error`` (no 5xx, whatever the input) and
``response_schema_conformance`` (every answer matches the document). The
run is bounded (``MISTRAL_CLONE_FUZZ_EXAMPLES`` examples per operation,
20 by default, one worker, a fixed seed unless ``MISTRAL_CLONE_FUZZ_SEED``
is set) and must end in time; afterwards the server must still answer and
run workflows, and the definitions made before the run must be unchanged.
``MISTRAL_CLONE_FUZZ_LOG=FILE`` keeps schemathesis' report. README ("API
reference and fuzzing") has the longer run for a release.
"""

import json
import os
import subprocess
import sys
import unittest

from tests import base
from tests.api.base import unique

BIN_DIR = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
EXAMPLES = int(os.environ.get('MISTRAL_CLONE_FUZZ_EXAMPLES', '20'))
SEED = os.environ.get('MISTRAL_CLONE_FUZZ_SEED', '20261130')
# Generous: a healthy run takes a few minutes on 2 loaded cores.
RUN_TIMEOUT = int(os.environ.get('MISTRAL_CLONE_FUZZ_TIMEOUT', '1500'))


def _schemathesis():
    path = os.path.join(BIN_DIR, 'schemathesis')
    return path if os.path.exists(path) else None


@unittest.skipIf(_schemathesis() is None, 'schemathesis is not installed')
class FuzzTest(base.ServerTestCase):

    # Its own process: the run may not disturb the other API tests.
    server_class = base.ServerProcess
    # std.http may not reach anything (nothing leaves the machine).
    server_overrides = {('action_std_http', 'allowed_hosts'): ['127.0.0.1']}

    def _make_definitions(self):
        s = self.server
        wf = unique('keep_wf')
        s.create_workflows("version: '2.0'\n%s:\n  input:\n    - x: 1\n"
                           "  tasks:\n    t:\n      action: std.echo "
                           "output=<%% $.x %%>\n" % wf)
        wb = unique('keep_wb')
        r = s.post_text('/workbooks', "version: '2.0'\nname: %s\nworkflows:"
                        "\n  w:\n    tasks:\n      t:\n        action: "
                        "std.noop\n" % wb)
        self.assertEqual(201, r.status_code, r.text)
        act = unique('keep_act')
        r = s.post_text('/actions', "version: '2.0'\n%s:\n  base: std.echo "
                        "output=1\n" % act)
        self.assertEqual(201, r.status_code, r.text)
        env = unique('keep_env')
        r = s.http.post(s.url + '/environments', json={
            'name': env, 'variables': {'password': 'LeakMe123'}})
        self.assertEqual(201, r.status_code, r.text)
        cron = unique('keep_cron')
        r = s.http.post(s.url + '/cron_triggers', json={
            'name': cron, 'workflow_name': wf, 'pattern': '0 0 1 1 *'})
        self.assertEqual(201, r.status_code, r.text)
        wf_id = s.http.get(s.url + '/workflows/' + wf).json()['id']
        r = s.http.post(s.url + '/event_triggers', json={
            'name': unique('keep_et'), 'workflow_id': wf_id,
            'exchange': 'x', 'topic': 't', 'event': unique('e')})
        self.assertEqual(201, r.status_code, r.text)
        return ['/workflows/' + wf, '/workbooks/' + wb, '/actions/' + act,
                '/environments/' + env, '/cron_triggers/' + cron,
                '/event_triggers/' + r.json()['id']]

    def _snapshot(self, paths):
        out = {}
        for path in paths:
            r = self.server.http.get(self.server.url + path)
            self.assertEqual(200, r.status_code, (path, r.text))
            out[path] = r.json()
        return out

    def _run_schemathesis(self, protected):
        url = self.server.url
        actions = self.server.http.get(url + '/actions').json()['actions']
        env = dict(os.environ,
                   SCHEMATHESIS_HOOKS='tests.api.fuzz_hooks',
                   PYTHONPATH=REPO + os.pathsep + os.environ.get(
                       'PYTHONPATH', ''),
                   MISTRAL_CLONE_FUZZ_PROTECTED=json.dumps(sorted(protected)),
                   MISTRAL_CLONE_FUZZ_SYSTEM_ACTIONS=json.dumps(
                       [a['name'] for a in actions]))
        for var in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy',
                    'https_proxy'):
            env.pop(var, None)
        cmd = [_schemathesis(), 'run', url + '/openapi.json', '--url', url,
               '--checks', 'not_a_server_error,response_schema_conformance',
               # One worker: with two, hypothesis threads may run
               # ast.parse at once, which CPython before 3.13 can fail with
               # "SystemError: AST constructor recursion depth mismatch"
               # (python/cpython#106905); one is no slower here.
               '--max-examples', str(EXAMPLES), '--workers', '1',
               '--request-timeout', '60', '--seed', SEED,
               '--phases', 'examples,coverage,fuzzing,stateful',
               '--suppress-health-check', 'all', '--no-color']
        log = os.environ.get('MISTRAL_CLONE_FUZZ_LOG') or os.path.join(
            self.server.tmp, 'schemathesis.log')
        with open(log, 'w') as out:
            p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                               env=env, cwd=self.server.tmp,
                               timeout=RUN_TIMEOUT)
        with open(log) as f:
            text = f.read()
        return p.returncode, text

    def test_every_operation_fuzzed(self):
        paths = self._make_definitions()
        before = self._snapshot(paths)
        protected = set()
        for path, item in before.items():
            protected.update(v for k, v in item.items()
                             if k in ('id', 'name') and v)
        rc, text = self._run_schemathesis(protected)
        summary = text[-6000:]
        self.assertEqual(0, rc, summary)
        self.assertIn('Tested:', summary)
        self.assertNotIn('failures', summary.split('SUMMARY')[-1]
                         .replace('0 failures', ''))
        # The server still answers and works.
        s = self.server
        self.assertEqual(200, s.http.get(s.url + '/').status_code)
        wf = paths[0].split('/')[-1]
        ex = s.start(wf, {'x': 5})
        self.assertEqual('SUCCESS', s.wait(ex['id'], timeout=120)['state'])
        # The definitions made before the run are intact.
        self.assertEqual(before, self._snapshot(paths))
