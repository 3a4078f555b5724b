"""What an operator sees and puts in front of the API (issue 10, items 2,
3 and 5), through a real embedded server: request ids, the access log and
the workflow trace, CORS preflights, proxy headers, /healthcheck and
/metrics."""

import logging
import re
import unittest

import requests
from prometheus_client.parser import text_string_to_metric_families

from mistral_clone.api import middleware
from tests import base

ORIGIN = 'https://dash.example.com'

WF = """---
version: '2.0'
ops_wf:
  tasks:
    first:
      action: std.echo output=1
      on-success: second
    second:
      action: std.echo output=2
"""


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def lines(self, name):
        return [r.getMessage() for r in self.records if r.name == name]


def _samples(text):
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            found[key] = sample.value
    return found


class OperabilityTest(base.ServerTestCase):

    server_overrides = {
        ('cors', 'allowed_origin'): [ORIGIN],
        ('oslo_middleware', 'enable_proxy_headers_parsing'): True,
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = cls.server.url[:-len('/v2')]
        cls.server.create_workflows(WF)

    def setUp(self):
        self.capture = _Capture()
        for name in ('workflow_trace', 'mistral_clone.api.access'):
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            self.addCleanup(setattr, logger, 'propagate', logger.propagate)
            logger.setLevel(logging.INFO)
            logger.propagate = False
            logger.addHandler(self.capture)
            self.addCleanup(logger.removeHandler, self.capture)

    def metrics(self):
        r = requests.get(self.root + '/metrics')
        self.assertEqual(200, r.status_code)
        self.assertTrue(r.headers['Content-Type'].startswith('text/plain'))
        return _samples(r.text)

    def test_every_response_has_a_request_id(self):
        ids = set()
        for path in ('/v2/workflows', '/v2/nope', '/healthcheck', '/'):
            r = requests.get(self.root + path)
            rid = r.headers.get('x-openstack-request-id')
            self.assertRegex(rid or '', r'^req-[0-9a-f-]{36}$', path)
            ids.add(rid)
        self.assertEqual(4, len(ids))

    def test_execution_is_traced_logged_and_counted(self):
        before = self.metrics()
        ex = self.server.start('ops_wf')
        ex = self.server.wait(ex['id'])
        self.assertEqual('SUCCESS', ex['state'])
        # The access log: one line per request, with the status.
        access = self.capture.lines('mistral_clone.api.access')
        self.assertTrue(any(re.search(r'"POST /v2/executions" status: 201 '
                                      r'len: \d+ time: [\d.]+$', line)
                            for line in access), access)
        # The workflow trace, in order, with names and ids.
        trace = [line for line in self.capture.lines('workflow_trace')
                 if ex['id'] in line]
        summary = [re.match(r"(\w+) '(\w+)' \[(\w+) -> (\w+)\]", line)
                   .groups() for line in trace]
        self.assertEqual(('Workflow', 'ops_wf', 'new', 'RUNNING'),
                         summary[0])
        self.assertEqual(('Workflow', 'ops_wf', 'RUNNING', 'SUCCESS'),
                         summary[-1])
        # Committed changes: one line per task and transaction (a task
        # created and run in one transaction shows as new -> SUCCESS).
        tasks = [s[1:] for s in summary if s[0] == 'Task']
        self.assertEqual(['first', 'second'],
                         [name for name, old, _ in tasks if old == 'new'])
        self.assertEqual(['first', 'second'],
                         [name for name, _, new in tasks
                          if new == 'SUCCESS'])
        for name, old, new in tasks:
            self.assertNotEqual(old, new)
        # The metrics moved by exactly this execution.
        after = self.metrics()

        def delta(name, **labels):
            key = (name, tuple(sorted(labels.items())))
            return after.get(key, 0) - before.get(key, 0)
        self.assertEqual(1, delta('mistral_workflow_executions_started_total',
                                  kind='root'))
        self.assertEqual(1, delta(
            'mistral_workflow_executions_finished_total', state='SUCCESS'))
        self.assertEqual(2, delta('mistral_task_transitions_total',
                                  state='SUCCESS'))
        # The actions' lines are DEBUG: not at INFO.
        self.assertNotIn('Action', [s[0] for s in summary])
        self.assertEqual(2, delta('mistral_action_executions_finished_total',
                                  state='SUCCESS'))
        self.assertEqual(2, delta(
            'mistral_action_execution_duration_seconds_count',
            state='SUCCESS'))
        self.assertEqual(1, delta(
            'mistral_api_request_duration_seconds_count', method='POST',
            route='/v2/executions', status='201'))
        self.assertGreaterEqual(delta(
            'mistral_api_request_duration_seconds_count', method='GET',
            route='/v2/executions/{id}', status='200'), 1)
        self.assertIn(('mistral_scheduled_jobs_due', ()), after)

    def test_cors_preflight_and_simple_requests(self):
        r = requests.options(self.server.url + '/executions', headers={
            'Origin': ORIGIN, 'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'Content-Type,X-Auth-Token'})
        self.assertEqual(200, r.status_code, r.text)
        self.assertEqual(ORIGIN, r.headers['Access-Control-Allow-Origin'])
        self.assertIn('POST', r.headers['Access-Control-Allow-Methods'])
        self.assertIn('X-Auth-Token',
                      r.headers['Access-Control-Allow-Headers'])
        r = requests.get(self.server.url + '/workflows',
                         headers={'Origin': ORIGIN})
        self.assertEqual(ORIGIN, r.headers['Access-Control-Allow-Origin'])
        self.assertIn('X-OpenStack-Request-ID',
                      r.headers['Access-Control-Expose-Headers'])
        # Another origin gets no CORS headers.
        r = requests.options(self.server.url + '/executions', headers={
            'Origin': 'https://evil.example.com',
            'Access-Control-Request-Method': 'POST'})
        self.assertNotIn('Access-Control-Allow-Origin', r.headers)

    def test_next_links_follow_the_proxy(self):
        self.server.create_workflows(
            "---\nversion: '2.0'\nops_page_a:\n  tasks:\n    t:\n"
            "      action: std.noop\nops_page_b:\n  tasks:\n    t:\n"
            "      action: std.noop\n")
        r = requests.get(self.server.url + '/workflows?limit=1', headers={
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'mistral.example.com'})
        self.assertTrue(r.json()['next'].startswith(
            'https://mistral.example.com/v2/workflows?'), r.json())
        r = requests.get(self.server.url + '/workflows?limit=1')
        self.assertTrue(r.json()['next'].startswith(self.server.url))

    def test_healthcheck(self):
        r = requests.get(self.root + '/healthcheck')
        self.assertEqual(200, r.status_code)
        self.assertIn('database: OK (sqlite)', r.text)
        self.assertIn('broker: none (embedded mode)', r.text)
        r = requests.head(self.root + '/healthcheck')
        self.assertEqual(204, r.status_code)


class RouteLabelTest(unittest.TestCase):

    def test_ids_and_names_become_placeholders(self):
        for path, route in (
                ('/', '/'), ('/v2', '/v2'),
                ('/v2/executions/3f2a/tasks', '/v2/executions/{id}/tasks'),
                ('/v2/workflows/my_wf', '/v2/workflows/{id}'),
                ('/v2/workflows/wf/members/p1',
                 '/v2/workflows/{id}/members/{id}'),
                ('/a/b/c/d/e/f/g', 'other')):
            self.assertEqual(route, middleware.route_of(path))


class AccessLineTextTest(unittest.TestCase):
    """The access log's record carries its context's logging values as a
    dict: oslo.log's ContextFormatter writes the same text as when it
    reads the thread's context itself."""

    def test_same_text(self):
        from oslo_config import cfg
        from oslo_context import context as oslo_context
        from oslo_log import formatters
        from oslo_log import log as oslo_log
        conf = cfg.ConfigOpts()
        oslo_log.register_options(conf)
        conf([])
        formatter = formatters.ContextFormatter(config=conf)
        log = logging.getLogger('mistral_clone.api.access')
        for project, user in ((None, None), ('p1', None), ('p1', 'u1')):
            ctx = oslo_context.RequestContext(
                request_id='req-1234', overwrite=True)
            ctx.project_id, ctx.user_id = project, user
            args = ('127.0.0.1', 'GET', '/v2/workflows', '?limit=50', 200,
                    '123', 0.0012)
            fmt = '%s "%s %s%s" status: %d len: %s time: %.4f'
            plain = log.makeRecord(log.name, logging.INFO, 'f', 1, fmt,
                                   args, None)
            given = log.makeRecord(
                log.name, logging.INFO, 'f', 1, fmt, args, None,
                extra={'context': ctx.get_logging_values()})
            given.created, given.msecs = plain.created, plain.msecs
            given.relativeCreated = plain.relativeCreated
            self.assertEqual(formatter.format(plain), formatter.format(given))
            self.assertIn('req-1234', formatter.format(given))
