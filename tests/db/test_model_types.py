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


class JsonEncodedTest(unittest.TestCase):
    """Empty dicts and lists skip the JSON encoder and decoder; what the
    column stores and gives back is what they would."""

    def test_round_trip(self):
        t = models.JsonEncoded()
        for value in ({}, [], {'a': [1, {}]}, [[]], 0, '', None, 'x',
                      {'': None}):
            text = t.process_bind_param(value, None)
            self.assertEqual(models._encode(value) if value is not None
                             else None, text)
            self.assertEqual(value, t.process_result_value(text, None))

    def test_empty_values_read_are_fresh_objects(self):
        t = models.JsonEncoded()
        first = t.process_result_value('{}', None)
        first['k'] = 1
        self.assertEqual({}, t.process_result_value('{}', None))
        items = t.process_result_value('[]', None)
        items.append(1)
        self.assertEqual([], t.process_result_value('[]', None))

    def test_tuple_and_set_encoded_as_lists(self):
        t = models.JsonEncoded()
        self.assertEqual('[]', t.process_bind_param((), None))
        self.assertEqual('[]', t.process_bind_param(set(), None))
        self.assertEqual('[1]', t.process_bind_param((1,), None))
