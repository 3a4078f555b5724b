"""db/limits.py: values that cannot be stored are a 400 before any SQL."""

import unittest

import sqlalchemy as sa
from sqlalchemy import orm

from mistral_clone import exceptions as exc
from mistral_clone.db import limits
from mistral_clone.db import models


class LimitsTest(unittest.TestCase):

    def setUp(self):
        engine = sa.create_engine('sqlite://')
        models.Base.metadata.create_all(engine)
        self.sessions = orm.sessionmaker(bind=engine)
        limits.install(self.sessions)
        self.statements = []
        sa.event.listen(engine, 'before_cursor_execute',
                        lambda *a: self.statements.append(a[2]))

    def _add(self, row):
        with self.sessions() as s:
            s.add(row)
            s.commit()

    def test_too_long_name_is_refused_before_sql(self):
        row = models.WorkflowDefinition(name='w' * 256, project_id='p')
        with self.assertRaises(exc.InputException) as ctx:
            self._add(row)
        self.assertEqual(
            "Invalid input: the workflow name '%s...' is 256 characters "
            "long; at most 255 are allowed." % ('w' * 40),
            ctx.exception.message)
        self.assertEqual(400, ctx.exception.http_code)
        self.assertFalse([s for s in self.statements if 'INSERT' in s])
        self._add(models.WorkflowDefinition(name='w' * 255, project_id='p'))

    def test_updates_are_checked_too(self):
        self._add(models.Environment(name='e', project_id='p'))
        with self.sessions() as s:
            row = s.execute(sa.select(models.Environment)).scalars().one()
            row.scope = 's' * 81
            self.assertRaises(exc.InputException, s.commit)

    def test_nul_and_lone_surrogates_in_any_text_column(self):
        for values, what in (({'definition': 'a\x00b'}, 'NUL character'),
                             ({'name': 'x\ud800'}, 'lone surrogate')):
            row = models.ActionDefinition(project_id='p', **dict(
                {'name': 'a'}, **values))
            with self.assertRaises(exc.InputException) as ctx:
                self._add(row)
            self.assertIn(what, ctx.exception.message)

    def test_json_columns_and_engine_rows_are_not_checked(self):
        # JSON is stored escaped; rows the engine writes are its business.
        self._add(models.Environment(name='j', project_id='p',
                                     variables={'k': 'a\x00\ud800'}))
        self._add(models.ServiceHeartbeat(id='x' * 300, name='n',
                                          type='api'))
