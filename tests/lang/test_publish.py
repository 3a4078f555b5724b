"""publish_for(): the combination the reference engine implements (7.3)."""
import unittest

import mistral_clone.lang as L


def task(body):
    text = ("version: '2.0'\nw:\n  tasks:\n    t:\n      action: std.noop\n"
            + body + "    b:\n      action: std.noop\n")
    return L.parse_workflows(text)[0].tasks['t']


class PublishForTest(unittest.TestCase):

    def test_documented_example(self):
        t = task("""      publish: {a: task, b: task}
      on-complete:
        publish:
          branch: {a: complete}
          global: {g1: 1}
      on-success:
        publish:
          branch: {a: success, b: success, d: success}
          global: {g2: 2}
""")
        self.assertEqual(({'a': 'complete', 'b': 'task', 'd': 'success'},
                          {'g2': 2}), t.publish_for('SUCCESS'))

    def test_plain_publish_dropped_when_clause_has_only_global(self):
        t = task("""      publish: {p: 1}
      on-success:
        publish:
          global: {g: 2}
        next: b
""")
        self.assertEqual((None, {'g': 2}), t.publish_for('SUCCESS'))

    def test_plain_only(self):
        t = task('      publish: {p: 1}\n      publish-on-error: {e: 1}\n'
                 '      publish-on-skip: {s: 1}\n')
        self.assertEqual(({'p': 1}, None), t.publish_for('SUCCESS'))
        self.assertEqual(({'e': 1}, None), t.publish_for('ERROR'))
        self.assertEqual(({'s': 1}, None), t.publish_for('SKIPPED'))
        self.assertEqual((None, None), t.publish_for('CANCELLED'))

    def test_nothing(self):
        self.assertEqual((None, None), task('').publish_for('SUCCESS'))

    def test_on_complete_global_lost_with_plain_publish(self):
        t = task("""      publish: {p: 1, a: plain}
      on-complete:
        publish:
          branch: {a: complete}
          global: {g1: 1}
""")
        self.assertEqual(({'p': 1, 'a': 'complete'}, None),
                         t.publish_for('SUCCESS'))
        # ERROR has no plain publish-on-error: on-complete taken as is.
        self.assertEqual(({'a': 'complete'}, {'g1': 1}),
                         t.publish_for('ERROR'))

    def test_on_complete_global_beats_clause_global_without_plain(self):
        t = task("""      on-complete:
        publish:
          global: {g: complete, c: 1}
      on-success:
        publish:
          global: {g: success, s: 1}
""")
        self.assertEqual((None, {'g': 'complete', 's': 1, 'c': 1}),
                         t.publish_for('SUCCESS'))

    def test_parts_missing_in_clause_are_dropped(self):
        t = task("""      on-complete:
        publish:
          branch: {c: 1}
          global: {g: 1}
      on-error:
        publish:
          branch: {e: 1}
""")
        self.assertEqual(({'e': 1, 'c': 1}, None), t.publish_for('ERROR'))
        self.assertEqual(({'c': 1}, {'g': 1}), t.publish_for('SUCCESS'))

    def test_clause_only(self):
        t = task("""      on-skip:
        publish:
          branch: {k: <% $.x %>}
          global: {gk: 1}
""")
        self.assertEqual(({'k': '<% $.x %>'}, {'gk': 1}),
                         t.publish_for('SKIPPED'))
        self.assertEqual((None, None), t.publish_for('SUCCESS'))

    def test_deep_merge(self):
        t = task("""      publish: {d: {x: 1, y: 1}}
      on-complete:
        publish:
          branch: {d: {y: 2, z: 2}}
""")
        self.assertEqual(({'d': {'x': 1, 'y': 2, 'z': 2}}, None),
                         t.publish_for('SUCCESS'))

    def test_results_are_copies(self):
        t = task('      publish: {d: {x: 1}}\n')
        branch, _ = t.publish_for('SUCCESS')
        branch['d']['x'] = 99
        self.assertEqual({'d': {'x': 1}}, t.publish)
        self.assertEqual(({'d': {'x': 1}}, None), t.publish_for('SUCCESS'))

    def test_task_defaults_clause_publish_not_used(self):
        wf = L.parse_workflows("""
version: '2.0'
w:
  task-defaults:
    on-success:
      publish:
        branch: {dflt: 1}
      next: b
  tasks:
    t: {action: std.noop}
    b: {action: std.noop}
""")[0]
        self.assertEqual((None, None), wf.tasks['t'].publish_for('SUCCESS'))
        self.assertEqual([('b', {}, None)],
                         wf.tasks['t'].transitions('on-success').entries)
