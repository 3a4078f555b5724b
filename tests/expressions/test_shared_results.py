"""YAQL results that pass records through unchanged (orderBy, where,
first, the value itself...) are those records, not copies: a chain of
tasks transforming a large list then holds one set of records. (Nothing
changes evaluated values in place. A whole Jinja result is still a copy:
tests/expressions/test_jinja.py holds that contract.)"""

import unittest

from mistral_clone import expressions


class SharedResultsTest(unittest.TestCase):

    def setUp(self):
        self.recs = [{'id': i, 'name': 'n%d' % i, 'tags': ['a', str(i)],
                      'sub': {'k': [i, None, True]}} for i in range(50)]
        self.ctx = expressions.ContextView({'recs': self.recs})

    def evaluate(self, text):
        return expressions.evaluate(text, self.ctx)

    def assertSame(self, got, want):
        self.assertEqual(want, got)
        self.assertEqual(len(want), len(got))
        for g, w in zip(got, want):
            self.assertIs(w, g)

    def test_records_passed_through_are_shared(self):
        recs = self.recs
        self.assertSame(self.evaluate('<% $.recs.orderByDescending($.id) %>'),
                        recs[::-1])
        self.assertSame(self.evaluate('<% $.recs.where($.id >= 10) %>'),
                        recs[10:])
        self.assertIs(recs[0], self.evaluate('<% $.recs.first() %>'))
        self.assertSame(self.evaluate('<% $.recs %>'), recs)

    def test_changed_records_are_new(self):
        got = self.evaluate('<% $.recs.select($.set(big, $.id > 5)) %>')
        self.assertEqual(50, len(got))
        self.assertIsNot(self.recs[0], got[0])
        self.assertNotIn('big', self.recs[0])
        got = self.evaluate('<% $.recs.select(dict(id => $.id)) %>')
        self.assertEqual([{'id': i} for i in range(50)], got)

    def test_values_not_plain_are_still_converted(self):
        ctx = expressions.ContextView({'recs': [{'t': (1, 2)}, {1: 'a'}]})
        got = expressions.evaluate('<% $.recs.where(true) %>', ctx)
        self.assertEqual([{'t': [1, 2]}, {1: 'a'}], got)
        self.assertIs(list, type(got[0]['t']))

