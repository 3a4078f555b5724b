"""``db_api.hooks_after_block``: the after-transaction hooks of the
transactions a thread runs in the block run once, when it ends (an
engine's RPC handler reports its state changes after its answer)."""

import threading
import unittest

from mistral_clone.db import api as db_api


class HooksAfterBlockTest(unittest.TestCase):

    def setUp(self):
        db_api.setup('sqlite://', create_tables=True)
        self.addCleanup(db_api.dispose)
        self.calls = []
        hook = self.calls.append
        self.hook = lambda: hook(threading.get_ident())
        db_api.after_transaction_hooks.append(self.hook)
        self.addCleanup(db_api.after_transaction_hooks.remove, self.hook)

    def test_without_a_block_after_each_transaction(self):
        with db_api.transaction():
            pass
        self.assertEqual(1, len(self.calls))
        with db_api.transaction():
            pass
        self.assertEqual(2, len(self.calls))

    def test_in_a_block_once_at_its_end(self):
        with db_api.hooks_after_block():
            with db_api.transaction():
                pass
            with db_api.transaction():
                pass
            self.assertEqual([], self.calls)
        self.assertEqual([threading.get_ident()], self.calls)

    def test_a_block_without_transaction_runs_none(self):
        with db_api.hooks_after_block():
            pass
        self.assertEqual([], self.calls)

    def test_also_when_the_block_raises(self):
        with self.assertRaises(ValueError):
            with db_api.hooks_after_block():
                with db_api.transaction():
                    pass
                raise ValueError('boom')
        self.assertEqual(1, len(self.calls))

    def test_nested_blocks_run_them_at_the_outermost_end(self):
        with db_api.hooks_after_block():
            with db_api.hooks_after_block():
                with db_api.transaction():
                    pass
            self.assertEqual([], self.calls)
        self.assertEqual(1, len(self.calls))

    def test_other_threads_are_not_deferred(self):
        def other():
            with db_api.transaction():
                pass
        with db_api.hooks_after_block():
            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
            self.assertEqual(1, len(self.calls))
            self.assertNotEqual(threading.get_ident(), self.calls[0])
        self.assertEqual(1, len(self.calls))
