"""import-mistral with Mistral's database on PostgreSQL or MariaDB.

Each test creates uniquely named databases on the local servers
(PostgreSQL 127.0.0.1:5432 user postgres; MariaDB 127.0.0.1:3306 user root)
and drops them; skipped where there is no such server.
"""

import unittest

import sqlalchemy as sa

from tests.db.mistral_import import base
from tests.db.mistral_import import test_import

_PG_REASON = base.server_unavailable('postgresql')
_MYSQL_REASON = base.server_unavailable('mysql')


@unittest.skipIf(_PG_REASON, _PG_REASON)
class TestPostgreSQL(test_import.ImportTestCase):
    """Mistral and ours on PostgreSQL."""

    source_kind = 'postgresql'

    def setUp(self):
        super().setUp()
        self.target = self.dbs.postgresql('ours')

    def test_import_answers_and_idempotency(self):
        self.check_import_and_answers()
        again, text = base.run_import(self.source, self.target)
        self.assertTrue(again.ok, text)
        self.assertEqual(0, sum(self.counts(again).values()))

    def test_source_session_is_read_only(self):
        self.check_source_is_read_only(sa.exc.DBAPIError,
                                       'read-only transaction')


@unittest.skipIf(_MYSQL_REASON, _MYSQL_REASON)
class TestMariaDB(test_import.ImportTestCase):
    """Mistral on MariaDB, ours on SQLite."""

    source_kind = 'mysql'

    def test_import_answers(self):
        self.check_import_and_answers()

    def test_source_session_is_read_only(self):
        self.check_source_is_read_only(sa.exc.DBAPIError, 'READ ONLY')
