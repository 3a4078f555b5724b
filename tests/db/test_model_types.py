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


class CreatedRowsTest(unittest.TestCase):
    """Task and action executions take their column values without an
    attribute event each, but ``state`` (traced) still goes through one,
    and a name that is no attribute is refused."""

    def test_values_and_state(self):
        from sqlalchemy import event
        seen = []

        def note(target, value, oldvalue, initiator):
            seen.append(value)
        event.listen(models.TaskExecution.state, 'set', note)
        try:
            task_ex = models.TaskExecution(id='t1', name='a', state='IDLE',
                                           in_context={'x': 1})
        finally:
            event.remove(models.TaskExecution.state, 'set', note)
        self.assertEqual(['IDLE'], seen)
        self.assertEqual(('t1', 'a', {'x': 1}, 'IDLE'),
                         (task_ex.id, task_ex.name, task_ex.in_context,
                          task_ex.state))
        action_ex = models.ActionExecution(name='std.noop', output=None)
        self.assertEqual('std.noop', action_ex.name)
        self.assertIsNone(action_ex.output)

    def test_unknown_name(self):
        with self.assertRaises(TypeError):
            models.TaskExecution(no_such_column=1)
        with self.assertRaises(TypeError):
            models.ActionExecution(no_such_column=1)
