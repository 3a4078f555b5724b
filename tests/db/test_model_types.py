"""The column types of db/models.py in each database's DDL: LONGTEXT and
DATETIME(6) on MySQL (named there without SQLAlchemy's MySQL dialect being
imported elsewhere, issue 14), the generic types on the others."""

import unittest

from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy import schema

from mistral_clone.db import models


def ddl(table, dialect):
    return str(schema.CreateTable(
        models.Base.metadata.tables[table]).compile(dialect=dialect))


class ModelTypesTest(unittest.TestCase):

    def test_mysql(self):
        text = ddl('workflow_definitions', mysql.dialect())
        self.assertIn('\tdefinition LONGTEXT,', text)
        self.assertIn('\tcreated_at DATETIME(6) NOT NULL,', text)
        self.assertIn('\tupdated_at DATETIME(6),', text)
        self.assertIn('\tstate_info LONGTEXT,',
                      ddl('workflow_executions', mysql.dialect()))

    def test_postgresql_and_sqlite(self):
        for dialect, date in ((postgresql.dialect(),
                               'TIMESTAMP WITHOUT TIME ZONE'),
                              (sqlite.dialect(), 'DATETIME')):
            text = ddl('workflow_definitions', dialect)
            self.assertIn('\tdefinition TEXT,', text)
            self.assertIn('\tcreated_at %s NOT NULL,' % date, text)
