"""List answers kept in memory (api/list_cache.py) until the database's
generation counter moves (db/generations.py): the cache on its own, and a
real HTTP server whose next GET shows a write made through the API, by a
connection of another process, or by a membership change."""

import subprocess
import sys
import unittest

from mistral_clone.api import collection
from mistral_clone.api import list_cache
from tests.api import base

SOURCE = object()


class ListCacheTest(unittest.TestCase):

    def test_hit_only_at_the_same_version(self):
        cache = list_cache.ListCache()
        body = cache.put('k', (SOURCE, 1), {'workflows': [{'id': 'a'}]})
        self.assertEqual({'workflows': [{'id': 'a'}]}, body)
        self.assertEqual(b'{"workflows": [{"id": "a"}]}', body.encoded)
        self.assertIs(body, cache.get('k', (SOURCE, 1)))
        self.assertIsNone(cache.get('other', (SOURCE, 1)))
        self.assertIsNone(cache.get('k', (SOURCE, 2)))
        # Moving on dropped everything kept at the old version.
        self.assertEqual(0, len(cache))
        self.assertIsNone(cache.get('k', (SOURCE, 1)))

    def test_answer_read_before_a_newer_version_is_not_kept(self):
        cache = list_cache.ListCache()
        self.assertIsNone(cache.get('k', (SOURCE, 5)))
        body = cache.put('k', (SOURCE, 4), {'x': 1})
        self.assertEqual({'x': 1}, body)
        self.assertIsNone(cache.get('k', (SOURCE, 5)))
        self.assertIsNone(cache.get('k', (SOURCE, 4)))

    def test_a_slow_reader_does_not_drop_newer_entries(self):
        cache = list_cache.ListCache()
        cache.put('k', (SOURCE, 6), {'x': 1})
        self.assertIsNone(cache.get('k', (SOURCE, 5)))
        self.assertIsNotNone(cache.get('k', (SOURCE, 6)))

    def test_another_database_is_another_version(self):
        cache = list_cache.ListCache()
        cache.put('k', (SOURCE, 3), {'x': 1})
        self.assertIsNone(cache.get('k', (object(), 3)))
        cache.put('k', (SOURCE, 9), {'x': 1})
        # Not "older": another source entirely.
        cache.put('j', (object(), 1), {'x': 2})
        self.assertEqual(1, len(cache))

    def test_bounded(self):
        cache = list_cache.ListCache(entries=3, max_bytes=100,
                                     entry_bytes=95)
        v = (SOURCE, 1)
        for k in 'abcd':
            cache.put(k, v, {'k': k})
        self.assertEqual(3, len(cache))
        self.assertIsNone(cache.get('a', v))
        self.assertIsNotNone(cache.get('b', v))  # now the most recent
        cache.put('e', v, {'k': 'x' * 80})  # 89 bytes: c and d go
        self.assertEqual(['b', 'e'], list(cache._items))
        cache.put('f', v, {'k': 'x' * 90})  # over entry_bytes: not kept
        self.assertEqual(['b', 'e'], list(cache._items))
        self.assertLessEqual(cache._bytes, 100)

    def test_encode(self):
        self.assertEqual(b'{"a": "\\u00e9"}', list_cache.encode({'a': '\xe9'}))
        cached = list_cache.CachedBody({'a': 1})
        cached.encoded = b'kept'
        self.assertEqual(b'kept', list_cache.encode(cached))


def _raw_sql(db_path, sql, *params):
    """Run ``sql`` in another process on its own sqlite3 connection."""
    code = ('import sqlite3, sys\n'
            'c = sqlite3.connect(sys.argv[1], timeout=30)\n'
            'c.execute(sys.argv[2], sys.argv[3:])\n'
            'c.commit()\n')
    subprocess.run([sys.executable, '-c', code, db_path, sql] +
                   list(params), check=True, timeout=60)


class CachedListsTest(base.ApiTestCase):
    """Through the shared HTTP server (SQLite, migrated: triggers on)."""

    def setUp(self):
        self.prefix = base.unique('lc')
        self.names = [self.mk_wf(self.prefix + '_%d' % i)[0]
                      for i in range(3)]
        self.query = '/workflows?name=has:%s&limit=2&fields=name,tags' % (
            self.prefix)
        self.cache = collection.CACHED[collection.models.WorkflowDefinition]

    def page(self, query=None):
        return self.assertStatus(self.get(query or self.query), 200)

    def names_of(self, body):
        return [w['name'] for w in body['workflows']]

    def test_repeated_answers_come_from_memory(self):
        first = self.page()
        self.assertEqual(self.names[:2], self.names_of(first))
        self.assertIn('marker=', first['next'])
        self.assertEqual(first, self.page())
        self.assertGreater(len(self.cache[1]), 0)
        # The next page, and the same page through pecan (XML), agree.
        self.assertEqual(self.names[2:], self.names_of(
            self.page(first['next'])))
        xml = self.get(self.query, headers={'Accept': 'application/xml'})
        self.assertEqual(200, xml.status_code)
        for name in self.names[:2]:
            self.assertIn(name, xml.text)

    def test_api_writes_are_seen_at_once(self):
        self.page()
        self.assertStatus(self.put_text(
            '/workflows', base.wf_text(self.names[0], '  tags: [new]\n')),
            200)
        self.assertEqual(['new'], self.page()['workflows'][0]['tags'])
        self.assertStatus(self.delete('/workflows/%s' % self.names[0]), 204)
        self.assertEqual(self.names[1:], self.names_of(self.page()))
        created = self.mk_wf(self.prefix + '_9')[0]
        self.assertIn(created, self.names_of(self.page(
            '/workflows?name=has:%s' % self.prefix)))

    def test_writes_of_another_process_are_seen_at_once(self):
        db_path = base._state['db_url'][len('sqlite:///'):]
        self.page()
        _raw_sql(db_path, 'UPDATE workflow_definitions SET tags = ? '
                 'WHERE name = ?', '["raw"]', self.names[1])
        self.assertEqual(['raw'], self.page()['workflows'][1]['tags'])
        _raw_sql(db_path, 'DELETE FROM workflow_definitions WHERE name = ?',
                 self.names[0])
        self.assertEqual(self.names[1:], self.names_of(self.page()))

    def test_every_query_variant_is_its_own_entry(self):
        a = self.page()
        b = self.page(self.query + '&sort_dirs=desc&sort_keys=name')
        self.assertEqual(list(reversed(self.names))[:2], self.names_of(b))
        c = self.page(self.query.replace('fields=name,tags', 'fields=name'))
        self.assertEqual({'id', 'name'}, set(c['workflows'][0]))
        self.assertEqual(a, self.page())
        # The next link follows the Host the client used.
        other = self.get(self.query, headers={'Host': 'example.com:8'})
        self.assertTrue(other.json()['next'].startswith(
            'http://example.com:8/v2/workflows?'))
        self.assertEqual(a, self.page())
