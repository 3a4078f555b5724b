"""State changes are reported in commit order, whichever thread reports."""

import threading
import types
import unittest
from unittest import mock

from mistral_clone.db import tracking


def _session(*changes):
    return types.SimpleNamespace(info={tracking._KEY: {
        i: list(change) for i, change in enumerate(changes)}})


class ReportOrderTest(unittest.TestCase):

    def setUp(self):
        tracking._pending.clear()
        self.emitted = []
        patcher = mock.patch.object(
            tracking, '_emit',
            side_effect=lambda kind, obj, old, new: self.emitted.append(
                (obj, old, new)))
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(tracking._pending.clear)

    def test_a_later_commit_reported_first_comes_second(self):
        # Transaction A commits (its task started), then B (the workflow
        # finished); B's thread reaches the report before A's.
        tracking._after_commit(_session(('task', 'first', None, 'RUNNING')))
        tracking._after_commit(_session(
            ('task', 'first', 'RUNNING', 'SUCCESS'),
            ('workflow', 'wf', 'RUNNING', 'SUCCESS')))
        other = threading.Thread(target=tracking._report)
        other.start()
        other.join()
        tracking._report()
        self.assertEqual([('first', None, 'RUNNING'),
                          ('first', 'RUNNING', 'SUCCESS'),
                          ('wf', 'RUNNING', 'SUCCESS')], self.emitted)

    def test_unchanged_states_and_rollbacks_are_not_reported(self):
        tracking._after_commit(_session(('task', 't', 'RUNNING', 'RUNNING')))
        rolled_back = _session(('task', 'u', None, 'RUNNING'))
        tracking._after_rollback(rolled_back)
        tracking._after_commit(rolled_back)
        tracking._report()
        self.assertEqual([], self.emitted)

    def test_a_failing_observer_does_not_stop_the_others(self):
        tracking._emit.side_effect = [RuntimeError('boom'), None]
        tracking._after_commit(_session(('task', 'a', None, 'RUNNING'),
                                        ('task', 'b', None, 'RUNNING')))
        tracking._report()
        self.assertEqual(2, tracking._emit.call_count)
        self.assertFalse(tracking._pending)


if __name__ == '__main__':
    unittest.main()
