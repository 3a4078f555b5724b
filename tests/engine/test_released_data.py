"""Transactions that let go of the data of completed tasks (see
``Transaction.release_completed``): chains of inline actions, joins and the
final context read that data again from the database, with the same
results."""

import json

from mistral_clone.engine import transaction
from tests import base

WORKFLOW = """version: '2.0'
released_data:
  input: [n]
  output:
    evens: <% $.evens %>
    count: <% $.count %>
    left: <% $.left %>
    right: <% $.right %>
  tasks:
    gen:
      action: std.noop
      publish:
        recs: <% range($.n).select(dict(id => $, name => 'n' + str($))) %>
      on-success: [echo, left, right]
    echo:
      action: std.echo output=<% $.recs %>
      publish:
        evens: <% task().result.where($.id mod 2 = 0).select($.id) %>
      on-success: count
    count:
      action: std.noop
      publish:
        count: <% $.recs.len() %>
      on-success: joined
    left:
      action: std.noop
      publish:
        left: <% $.recs.first().name %>
      on-success: joined
    right:
      action: std.echo output=<% $.recs.last() %>
      publish:
        right: <% task().result.name %>
      on-success: joined
    joined:
      join: all
      action: std.noop
      publish:
        all: <% [$.count, $.left, $.right, $.evens.len()] %>
"""


class ReleasedDataTest(base.ServerTestCase):

    def setUp(self):
        super().setUp()
        # Release after every inline action, whatever the data's size.
        self.addCleanup(setattr, transaction, 'RELEASE_AFTER_KB',
                        transaction.RELEASE_AFTER_KB)
        transaction.RELEASE_AFTER_KB = 0

    def test_results_are_the_same(self):
        r = self.server.post_text('/workflows', WORKFLOW)
        self.assertEqual(201, r.status_code, r.text)
        n = 40
        ex = self.server.start('released_data', {'n': n})
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'evens': list(range(0, n, 2)), 'count': n,
                          'left': 'n0', 'right': 'n%d' % (n - 1)},
                         json.loads(ex['output']))
        joined = self.server.task(ex['id'], 'joined')
        self.assertEqual([n, 'n0', 'n%d' % (n - 1), n // 2],
                         json.loads(joined['published'])['all'])
        echo = self.server.task(ex['id'], 'echo')
        self.assertEqual(list(range(0, n, 2)),
                         json.loads(echo['published'])['evens'])
