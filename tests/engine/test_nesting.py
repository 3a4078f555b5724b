"""The nesting bound of sub-workflows (``[engine] max_subworkflow_depth``)
and control of deep trees: a workflow that calls itself ends in ERROR
naming the limit; pause, resume and cancel of a 300-deep tree work (loops,
not recursions). Real executions through the HTTP API of an embedded
server, and one server in a process of its own."""

import collections
import time

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from tests import base

SELF_RECURSIVE = """
version: '2.0'
nest_self:
  tasks:
    again:
      workflow: nest_self
"""

ASYNC_SELF_RECURSIVE = """
version: '2.0'
nest_async_self:
  tasks:
    wait:
      action: std.sleep seconds=0.01
      on-success: again
    again:
      workflow: nest_async_self
"""

DEEP = """
version: '2.0'
nest_deep:
  input: [n]
  tasks:
    choose:
      action: std.noop
      on-success:
        - down: <% $.n > 0 %>
        - hold: <% $.n <= 0 %>
    down:
      workflow: nest_deep
      input: {n: <% $.n - 1 %>}
    hold:
      action: std.async_noop
"""


def tree_states(root_id):
    """``Counter(state)`` of the executions under ``root_id`` (itself
    included)."""
    with db_api.transaction() as s:
        rows = s.execute(sa.select(models.WorkflowExecution.state).where(
            sa.or_(models.WorkflowExecution.id == root_id,
                   models.WorkflowExecution.root_execution_id == root_id))
        ).scalars().all()
    return collections.Counter(rows)


def wait_tree(root_id, expected, timeout=120):
    deadline = time.time() + timeout
    while True:
        got = tree_states(root_id)
        if got == expected:
            return
        if time.time() > deadline:
            raise AssertionError('tree of %s: %s, expected %s' % (
                root_id, dict(got), dict(expected)))
        time.sleep(0.1)


def limit_tasks(client):
    """The tasks that hit the limit (the server's only ones)."""
    r = client.http.get(client.url + '/tasks', params={
        'state': 'ERROR', 'limit': 1000})
    return [t for t in r.json()['tasks']
            if (t['state_info'] or '').startswith(
                'Failed to start sub-workflow')]


def limit_errors(client, root_id):
    """state_info of the tasks that hit the limit, anywhere in the tree of
    ``root_id`` (another test of the class may have left its own)."""
    mark = 'root_execution_id=%s]' % root_id
    return [t['state_info'] for t in limit_tasks(client)
            if mark in t['state_info']]


class DefaultLimitTest(base.ServerTestCase):

    def test_self_recursion_stops_at_the_default_limit(self):
        self.server.create_workflows(SELF_RECURSIVE)
        ex = self.server.start('nest_self')
        ex = self.server.wait(ex['id'], timeout=120)
        self.assertEqual('ERROR', ex['state'])
        # The root and 100 levels under it, all failed.
        self.assertEqual({'ERROR': 101}, dict(tree_states(ex['id'])))
        [info] = limit_errors(self.server, ex['id'])
        self.assertIn('maximum sub-workflow depth of 100', info)
        self.assertIn('[depth=101, root_execution_id=%s]' % ex['id'], info)
        # Re-running that task re-opens the 100 executions above it, and
        # fails again at the limit.
        [task] = limit_tasks(self.server)
        r = self.server.put('/tasks/%s' % task['id'],
                            {'state': 'RUNNING', 'reset': True})
        self.assertEqual(200, r.status_code, r.text)
        deadline = time.time() + 120
        while len(limit_tasks(self.server)) < 1 or self.server.get_ex(
                ex['id'])['state'] != 'ERROR':
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertEqual({'ERROR': 101}, dict(tree_states(ex['id'])))


class SmallLimitTest(base.ServerTestCase):

    server_overrides = {('engine', 'max_subworkflow_depth'): 5}

    def test_async_self_recursion_stops(self):
        self.server.create_workflows(ASYNC_SELF_RECURSIVE)
        ex = self.server.start('nest_async_self')
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('ERROR', ex['state'])
        self.assertEqual({'ERROR': 6}, dict(tree_states(ex['id'])))
        [info] = limit_errors(self.server, ex['id'])
        self.assertIn('maximum sub-workflow depth of 5 ([engine] '
                      'max_subworkflow_depth)', info)
        # The parent of the failed task reports it in its own failure.
        self.assertIn('max_subworkflow_depth', ex['state_info'])

    def test_tree_within_the_limit_succeeds(self):
        self.server.create_workflows(DEEP.replace(
            'action: std.async_noop', 'action: std.noop'))
        ex = self.server.start('nest_deep', {'n': 5})
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'SUCCESS': 6}, dict(tree_states(ex['id'])))


class DeepTreeControlTest(base.ServerTestCase):

    server_overrides = {('engine', 'max_subworkflow_depth'): 400}

    def test_pause_resume_cancel_300_deep(self):
        self.server.create_workflows(DEEP)
        root = self.server.start('nest_deep', {'n': 300})['id']
        wait_tree(root, {'RUNNING': 301})
        path = '/executions/%s' % root
        r = self.server.put(path, {'state': 'PAUSED'})
        self.assertEqual(200, r.status_code, r.text)
        wait_tree(root, {'PAUSED': 301}, timeout=10)
        r = self.server.put(path, {'state': 'RUNNING'})
        self.assertEqual(200, r.status_code, r.text)
        wait_tree(root, {'RUNNING': 301}, timeout=10)
        r = self.server.put(path, {'state': 'CANCELLED'})
        self.assertEqual(200, r.status_code, r.text)
        wait_tree(root, {'CANCELLED': 301}, timeout=10)
        r = self.server.http.delete(self.server.url + path)
        self.assertEqual(204, r.status_code, r.text)
        self.assertEqual({}, dict(tree_states(root)))


class ServerProcessLimitTest(base.ServerTestCase):
    """The reported symptoms, through a server in a process of its own: a
    self-recursive workflow starts (201, no 500) and ends in ERROR; an
    asynchronous one can be cancelled while it grows."""

    server_class = base.ServerProcess
    server_overrides = {('engine', 'max_subworkflow_depth'): 60}

    def test_self_recursion_through_the_api(self):
        self.server.create_workflows(SELF_RECURSIVE)
        ex = self.server.start('nest_self')
        ex = self.server.wait(ex['id'], timeout=120)
        self.assertEqual('ERROR', ex['state'])
        [info] = limit_errors(self.server, ex['id'])
        self.assertIn('maximum sub-workflow depth of 60', info)

    def test_cancel_a_growing_async_recursion(self):
        self.server.create_workflows(ASYNC_SELF_RECURSIVE)
        ex = self.server.start('nest_async_self')
        r = self.server.http.get(self.server.url + '/executions', params={
            'root_execution_id': ex['id']})
        deadline = time.time() + 60
        while len(r.json()['executions']) < 10 and time.time() < deadline:
            time.sleep(0.2)
            r = self.server.http.get(self.server.url + '/executions',
                                     params={'root_execution_id': ex['id']})
        r = self.server.put('/executions/%s' % ex['id'],
                            {'state': 'CANCELLED'})
        self.assertEqual(200, r.status_code, r.text)
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('CANCELLED', ex['state'])
