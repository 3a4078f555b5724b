"""A finished engine transaction is freed at once by reference counting,
not left for the cyclic garbage collector (``Transaction.close``): its rooms
refer back to it, and a busy engine kept megabytes of finished
transactions' sessions and rows alive between full collections."""

import gc
import time
import weakref

from mistral_clone.engine import transaction
from tests import base

WORKFLOW = """version: '2.0'
freed_chain:
  tasks:
    one:
      action: std.echo output=1
      publish:
        x: <% task().result %>
      on-success: two
    two:
      action: std.noop
      on-success: three
    three:
      action: std.echo output=<% $.x + 1 %>
"""


class TransactionFreedTest(base.ServerTestCase):

    def test_finished_transactions_are_freed_without_the_collector(self):
        r = self.server.post_text('/workflows', WORKFLOW)
        self.assertEqual(201, r.status_code, r.text)
        made = []
        original = transaction.Transaction.__init__

        def init(t, *args, **kwargs):
            original(t, *args, **kwargs)
            made.append(weakref.ref(t))
        transaction.Transaction.__init__ = init
        self.addCleanup(setattr, transaction.Transaction, '__init__',
                        original)
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        ex = self.server.start('freed_chain')
        self.assertEqual('SUCCESS', self.server.wait(ex['id'])['state'])
        self.assertTrue(made)
        # The last transactions may still be ending (after-commit work of
        # the engine's threads): wait for them, the collector still off.
        deadline = time.monotonic() + 30
        while any(ref() is not None for ref in made) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        alive = sum(ref() is not None for ref in made)
        self.assertEqual(0, alive, '%d of %d transactions still alive'
                         % (alive, len(made)))
