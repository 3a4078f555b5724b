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
    """Workflow, task and action executions take their column values without an
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
        event.listen(models.WorkflowExecution.state, 'set', note)
        try:
            wf_ex = models.WorkflowExecution(id='w1', state='RUNNING',
                                             context={'y': 2})
        finally:
            event.remove(models.WorkflowExecution.state, 'set', note)
        self.assertEqual(['IDLE', 'RUNNING'], seen)
        self.assertEqual(('w1', {'y': 2}, 'RUNNING', None),
                         (wf_ex.id, wf_ex.context, wf_ex.state,
                          wf_ex.task_execution_id))

    def test_unknown_name(self):
        with self.assertRaises(TypeError):
            models.TaskExecution(no_such_column=1)
        with self.assertRaises(TypeError):
            models.ActionExecution(no_such_column=1)
        with self.assertRaises(TypeError):
            models.WorkflowExecution(no_such_column=1)


class SnapshotTest(unittest.TestCase):
    """``snapshot`` reads loaded values from the instance, and the others
    (expired, deferred) through their attribute, which loads them: the
    same values as reading every attribute."""

    def test_same_values_as_the_attributes(self):
        import datetime
        import os
        import shutil
        import tempfile
        from sqlalchemy import orm
        from mistral_clone.db import api as db_api
        tmp = tempfile.mkdtemp(prefix='mc_snapshot_')
        self.addCleanup(shutil.rmtree, tmp, True)
        db_api.setup('sqlite:///%s' % os.path.join(tmp, 'db.sqlite'),
                     create_tables=True)
        self.addCleanup(db_api.dispose)
        now = datetime.datetime(2026, 12, 1, 10, 0, 0, 5)
        with db_api.transaction() as s:
            s.add(models.WorkflowExecution(
                id='w1', workflow_name='wf', state='RUNNING', input={'a': 1},
                project_id='p', created_at=now, spec_text='text'))

        def by_attributes(row):
            return {c.key: (v.isoformat() if isinstance(
                v, datetime.datetime) else v) for c in row.__table__.columns
                for v in [getattr(row, c.key)]}
        with db_api.session() as s:
            row = s.get(models.WorkflowExecution, 'w1', options=[
                orm.defer(models.WorkflowExecution.spec_text)])
            s.expire(row, ['input'])
            self.assertNotIn('spec_text', row.__dict__)
            snap = models.snapshot(row)
            self.assertEqual(by_attributes(row), snap)
            self.assertEqual(('text', {'a': 1}, now.isoformat()), (
                snap['spec_text'], snap['input'], snap['created_at']))
