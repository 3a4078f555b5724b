"""Unit tests of the shared list helper's parameter validation."""

import unittest

from mistral_clone import config
from mistral_clone import exceptions as exc
from mistral_clone.api import collection
from mistral_clone.api import resources as res


class ValidateTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        config.parse_args([])

    def test_sort_padding_and_tie_breaker(self):
        keys, dirs = collection.validate_sort(res.WORKFLOW, 'name,created_at',
                                              'desc')
        self.assertEqual(['name', 'created_at', 'id'], keys)
        self.assertEqual(['desc', 'asc', 'asc'], dirs)

    def test_repeated_sort_keys_are_dropped_directions_positional(self):
        keys, dirs = collection.validate_sort(res.WORKFLOW, 'name,id,name',
                                              'desc,asc')
        self.assertEqual(['name', 'id'], keys)
        self.assertEqual(['desc', 'asc'], dirs)
        with self.assertRaises(exc.InvalidQueryError) as cm:
            collection.validate_sort(res.WORKFLOW, 'id,id', 'asc,asc')
        self.assertIn('Length of sort_keys', str(cm.exception))

    def test_sort_errors(self):
        with self.assertRaises(exc.InvalidQueryError):
            collection.validate_sort(res.WORKFLOW, 'bogus', 'asc')
        with self.assertRaises(exc.InvalidQueryError):
            collection.validate_sort(res.WORKFLOW, 'name', 'asc,desc')
        with self.assertRaises(exc.InvalidQueryError):
            collection.validate_sort(res.WORKFLOW, 'name', 'up')

    def test_fields(self):
        self.assertEqual(['id', 'name'],
                         collection.validate_fields(res.WORKFLOW, 'name'))
        self.assertEqual([], collection.validate_fields(res.WORKFLOW, ''))
        with self.assertRaises(exc.InvalidQueryError) as cm:
            collection.validate_fields(res.WORKFLOW, 'a,name,b')
        self.assertIn('[a, b]', str(cm.exception))

    def test_limit_capped(self):
        config.CONF.set_override('max_limit', 5, group='api')
        self.addCleanup(config.CONF.clear_override, 'max_limit',
                        group='api')
        p = collection.ListParams(res.WORKFLOW, limit=50)
        self.assertEqual(5, p.page_size)
        with self.assertRaises(exc.InvalidQueryError):
            collection.ListParams(res.WORKFLOW, limit=0)

    def test_filter_rendering(self):
        self.assertEqual("name=in:['a', 'b']",
                         collection.render_filter('name', 'in', ['a', 'b']))
        self.assertEqual([('name', 'has', 'x'), ('state', 'eq', 'RUNNING')],
                         collection.parse_filters([
                             ('name', 'has:x'), ('tags', None),
                             ('state', 'RUNNING')]))

    def test_render_dates_and_json(self):
        import datetime

        class Row(object):
            id = 'i'
            name = 'n'
            variables = {'a': 1}
            created_at = datetime.datetime(2020, 1, 2, 3, 4, 5, 678)
        out = res.ENVIRONMENT.render(Row(), ['id', 'variables',
                                             'created_at'])
        self.assertEqual({'id': 'i', 'variables': '{"a": 1}',
                          'created_at': '2020-01-02 03:04:05'}, out)
