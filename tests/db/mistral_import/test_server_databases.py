"""import-mistral with Mistral's database on PostgreSQL or MariaDB.

Each test creates uniquely named databases on the local servers
(PostgreSQL 127.0.0.1:5432 user postgres; MariaDB 127.0.0.1:3306 user root)
and drops them; skipped where there is no such server.
"""

import unittest

from tests.db.mistral_import import base
from tests.db.mistral_import import test_import

_REASON = base.server_unavailable('postgresql')
_MYSQL_REASON = base.server_unavailable('mysql')


@unittest.skipIf(_REASON, _REASON)
class TestPostgreSQL(test_import.ImportTestCase):

    source_kind = 'postgresql'

    def setUp(self):
        super().setUp()
        self.target = self.dbs.postgresql('ours')

    def test_import_answers_and_idempotency(self):
        report, text = base.run_import(self.source, self.target,
                                       running='pause')
        self.assertTrue(report.ok, text)
        self.assertEqual(test_import.COPIED, self.counts(report))
        api = base.ApiOnly(self.target)
        try:
            self.assertGreater(self.assert_answers_match(api), 200)
        finally:
            api.stop()
        again, text = base.run_import(self.source, self.target)
        self.assertTrue(again.ok, text)
        self.assertEqual(0, sum(self.counts(again).values()))

    def test_source_session_is_read_only(self):
        import sqlalchemy as sa
        from mistral_clone.db.mistral_import import source
        src = source.Source(self.source)
        try:
            with self.assertRaises(sa.exc.DBAPIError) as e:
                src.conn.execute(sa.text('DELETE FROM workbooks_v2'))
            self.assertIn('read-only transaction', str(e.exception))
        finally:
            src.close()
        self.assertEqual(1, base.table_rows(self.source, 'workbooks_v2'))


@unittest.skipIf(_MYSQL_REASON, _MYSQL_REASON)
class TestMariaDB(test_import.ImportTestCase):
    """Mistral on MariaDB, ours on SQLite."""

    source_kind = 'mysql'

    def test_import_answers(self):
        report, text = base.run_import(self.source, self.target,
                                       running='pause')
        self.assertTrue(report.ok, text)
        self.assertEqual(test_import.COPIED, self.counts(report))
        api = base.ApiOnly(self.target)
        try:
            self.assertGreater(self.assert_answers_match(api), 200)
        finally:
            api.stop()

    def test_source_session_is_read_only(self):
        import sqlalchemy as sa
        from mistral_clone.db.mistral_import import source
        src = source.Source(self.source)
        try:
            with self.assertRaises(sa.exc.DBAPIError) as e:
                src.conn.execute(sa.text('DELETE FROM workbooks_v2'))
            self.assertIn('READ ONLY', str(e.exception))
        finally:
            src.close()
