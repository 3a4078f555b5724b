"""db/pg_prepared.py: with psycopg2 the writes of a flush go as a prepared
statement (PREPARE once per connection and shape, EXECUTE after) storing
the rows the literal statement stored; rows gone are stale data as
before; a new connection prepares again; the statement survives schema
changes; ``enable(False)`` and a connection's limit of names give the
literal statement. On a local server (127.0.0.1:5432, user postgres) in a
database dropped afterwards; the array encoders also without it.
"""

import datetime
import itertools
import unittest

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import exc as orm_exc

from mistral_clone.db import models as M
from mistral_clone.db import pg_prepared
from mistral_clone.db import writer
from tests.db import test_writer
from tests.db import test_pg_transactions
from tests.db.test_pg_transactions import _REASON

T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000)
TEXTS = ['', 'a', '"q"', '\\', '\\"', "it's", 'é€😀', '{,}', ' sp ', 'NULL',
         'null', '\n\t', '50%s; %(x)s --', '{"a": "b\\"c"}']


class EncodersTest(unittest.TestCase):
    """The arrays' text, or a list for the driver where it cannot be
    written simply."""

    def test_texts(self):
        self.assertEqual('{"a","",NULL}',
                         pg_prepared._text_array(('a', '', None)))
        self.assertEqual('{"\\"","\\\\"}',
                         pg_prepared._text_array(('"', '\\')))
        for values in (('a\x00b', 'c'), ('a', None, 'b\x00'), ('a', 1)):
            self.assertEqual(list(values), pg_prepared._text_array(values))

    def test_other_types(self):
        aware = datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
        self.assertEqual('{2026-01-02T03:04:05.678000,NULL}',
                         pg_prepared._timestamp_array((T0, None)))
        self.assertEqual([aware], pg_prepared._timestamp_array((aware,)))
        self.assertEqual([datetime.date(2026, 1, 2)],
                         pg_prepared._timestamp_array(
                             (datetime.date(2026, 1, 2),)))
        self.assertEqual('{t,f,NULL}',
                         pg_prepared._boolean_array((True, False, None)))
        self.assertEqual([1], pg_prepared._boolean_array((1,)))
        self.assertEqual('{1,NULL,-5}',
                         pg_prepared._integer_array((1, None, -5)))
        self.assertEqual([True], pg_prepared._integer_array((True,)))


    def test_every_column_of_the_writer_as_text(self):
        from sqlalchemy.dialects.postgresql import psycopg2
        dialect = psycopg2.dialect()
        for model in writer.MODELS:
            stmt = writer._table(model).insert(dialect)
            self.assertEqual([], [t for t in stmt.types
                                  if t not in pg_prepared._ENCODERS])


class _OnPostgreSQL(unittest.TestCase):
    """A database of its own, the writer installed as in db.api."""

    def setUp(self):
        # As db.api sets it up.
        self.engine = test_pg_transactions.throwaway_engine(
            self, 'mc_prepared', executemany_mode='values_plus_batch')
        M.Base.metadata.create_all(self.engine)
        self.sessions = orm.sessionmaker(bind=self.engine,
                                         expire_on_commit=False)
        writer.install(self.sessions)
        self.sent = []
        sa.event.listen(self.engine, 'before_cursor_execute',
                        lambda c, cur, statement, *a:
                        self.sent.append(statement))
        self.addCleanup(pg_prepared.enable, pg_prepared.enabled())

    def _chain(self, tag, steps=8):
        """A workflow whose task and action finish and the next start,
        ``steps`` times (a transaction each: the same statements), with
        values of every kind; the writes' statements."""
        with self.sessions() as s:
            with s.begin():
                wf = M.WorkflowExecution(
                    id=tag + '-wf', workflow_name='w', state='RUNNING',
                    input={'t': TEXTS}, context={}, project_id='p',
                    created_at=T0)
                s.add(wf)
            writes = []
            previous = None
            for i in range(steps):
                with s.begin():
                    if previous is not None:
                        task, action = previous
                        task.state = action.state = 'SUCCESS'
                        task.state_info = TEXTS[i % len(TEXTS)]
                        task.published = {'r': TEXTS[:i]}
                        task.finished_at = T0
                        task.processed = True
                        action.output = {'result': None}
                        action.accepted = True
                    wf.task_count = i + 1
                    wf.state_info = TEXTS[-i]
                    task = M.TaskExecution(
                        id='%s-t%d' % (tag, i), name=TEXTS[i % len(TEXTS)],
                        workflow_execution_id=wf.id, state='RUNNING',
                        in_context={'x': TEXTS}, tags=[], project_id='p',
                        seq=i, created_at=T0, updated_at=None)
                    action = M.ActionExecution(
                        id='%s-a%d' % (tag, i), name='std.noop',
                        task_execution_id=task.id,
                        workflow_execution_id=wf.id, state='RUNNING',
                        input={'k': None}, is_sync=bool(i % 2),
                        project_id='p', runtime_context={'index': i})
                    s.add_all([task, action])
                    before = len(self.sent)
                writes.extend(self.sent[before:])
                previous = task, action
        return writes

    # the rows of a tag's executions, as tests/db/test_writer.py compares
    _rows = test_writer._WriterCases._rows


@unittest.skipIf(_REASON, _REASON)
class PreparedWritesTest(_OnPostgreSQL):

    def test_same_rows_as_literal_statements(self):
        pg_prepared.enable(False)
        literal = self._chain('zlit')
        pg_prepared.enable(True)
        prepared = self._chain('zprep')
        self.assertEqual(self._rows('zlit'), self._rows('zprep'))
        t = M.TaskExecution.__table__
        with self.engine.connect() as c:
            self.assertEqual({(T0, T0)}, set(c.execute(sa.select(
                t.c.created_at, t.c.finished_at).where(
                    t.c.id.like('zprep-%'), t.c.processed)).all()))
        self.assertTrue(all(' FROM (VALUES ' in w or 'INSERT' in w
                             for w in literal))
        self.assertFalse(any('EXECUTE' in w for w in literal))
        # One shape for the first transaction, one for the others: each
        # prepared once on the connection, then run.
        self.assertEqual(2, sum('PREPARE' in w for w in prepared))
        self.assertTrue(all('EXECUTE mistral_w' in w and 'PREPARE' not in w
                            and w.endswith(';COMMIT') for w in prepared[2:]))
        with self.engine.connect() as c:
            # and the workflow's insert before them
            self.assertEqual(3, c.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements WHERE name "
                "LIKE 'mistral_w%%' AND generic_plans + custom_plans > 0"
            ).scalar())

    def test_a_new_connection_prepares_again(self):
        self._chain('za', steps=3)
        self.engine.dispose()
        writes = self._chain('zb', steps=3)
        self.assertEqual(2, sum('PREPARE' in w for w in writes))
        with self.engine.connect() as c:
            c.invalidate()  # as after a lost connection
        writes = self._chain('zc', steps=3)
        self.assertEqual(2, sum('PREPARE' in w for w in writes))
        self.assertEqual(self._rows('za'), self._rows('zc'))

    def test_schema_changes_after_prepare(self):
        self._chain('za', steps=3)
        with self.engine.begin() as c:
            c.exec_driver_sql('ALTER TABLE task_executions ADD COLUMN '
                              'extra text DEFAULT \'x\'')
            c.exec_driver_sql('ALTER TABLE task_executions ALTER COLUMN '
                              'name TYPE varchar(300)')
            c.exec_driver_sql('ALTER TABLE action_executions ALTER COLUMN '
                              'state TYPE text')
        writes = self._chain('zb', steps=3)
        self.assertEqual(0, sum('PREPARE' in w for w in writes))
        self.assertEqual(self._rows('za'), self._rows('zb'))

    def _two_workflows(self, s, tag):
        with s.begin():
            wfs = [M.WorkflowExecution(id='%s-wf%d' % (tag, i),
                                       state='RUNNING', project_id='p')
                   for i in range(2)]
            s.add_all(wfs)
        return wfs

    def _stale(self, s, tag, commit):
        """A flush updating a row gone: StaleDataError, as before."""
        gone, kept = self._two_workflows(s, tag)
        s.begin()
        t = M.WorkflowExecution.__table__
        s.connection().execute(sa.delete(t).where(t.c.id == gone.id))
        gone.state = kept.state = 'ERROR'
        with self.assertRaises(orm_exc.StaleDataError) as ctx:
            s.commit() if commit else s.flush()
        s.rollback()
        self.assertIn("table 'workflow_executions' expected to update 2 "
                      "row(s); 1 were matched", str(ctx.exception))

    def test_a_row_gone_at_its_first_and_later_runs(self):
        for commit in (True, False):
            with self.sessions() as s:
                for n in range(2):
                    before = len(self.sent)
                    self._stale(s, 'g%s%d' % (commit, n), commit)
                    flush = self.sent[-1]
                    self.assertEqual(n == 0, 'PREPARE' in flush)
                    self.assertIn('EXECUTE', flush)
                    self.assertGreater(len(self.sent), before)
                # and the statement still runs
                wfs = self._two_workflows(s, 'ok%s' % commit)
                with s.begin():
                    for wf in wfs:
                        wf.state = 'SUCCESS'
                self.assertFalse(self.sent[-1].startswith('PREPARE'))
        with self.engine.connect() as c:
            t = M.WorkflowExecution.__table__
            self.assertEqual(['SUCCESS'] * 4, c.execute(sa.select(
                t.c.state).where(t.c.id.like('ok%'))).scalars().all())

    def test_a_connection_prepares_so_many_names_at_most(self):
        orig = pg_prepared.MAX_NAMES
        pg_prepared.MAX_NAMES = 2
        self.addCleanup(setattr, pg_prepared, 'MAX_NAMES', orig)
        writes = self._chain('za', steps=3)   # the workflow's insert first
        self.assertIn('PREPARE', writes[0])
        self.assertTrue(all(' FROM (VALUES ' in w for w in writes[1:]))
        pg_prepared.enable(False)
        self._chain('zb', steps=3)
        self.assertEqual(self._rows('za'), self._rows('zb'))


@unittest.skipIf(_REASON, _REASON)
class SharedServerSessionTest(_OnPostgreSQL):
    """Behind a pooler sharing server sessions (pgbouncer in transaction
    mode) a write finds its statement missing, or its name taken by
    another process: this process then writes plain statements, and the
    transaction that failed is retryable (db.api runs it again)."""

    def _update(self, tag, state):
        with self.sessions() as s:
            with s.begin():
                wf = s.get(M.WorkflowExecution, tag + '-wf')
                wf.state = state
                wf.task_count += 1

    def _fails_then_plain(self, tag, code, task_count):
        from mistral_clone.db import api as db_api
        with self.assertLogs('mistral_clone.db.pg_prepared',
                             'WARNING') as logs:
            with self.assertRaises(sa.exc.DBAPIError) as ctx:
                self._update(tag, 'RUNNING')
        self.assertEqual(code, ctx.exception.orig.pgcode)
        self.assertTrue(db_api._is_retryable(ctx.exception))
        self.assertFalse(pg_prepared.enabled())
        self.assertIn('postgresql_prepared_writes = false',
                      logs.output[0])
        before = len(self.sent)
        self._update(tag, 'RUNNING')   # run again: a plain statement
        self.assertTrue(all('EXECUTE' not in w and 'PREPARE' not in w
                            for w in self.sent[before:]))
        t = M.WorkflowExecution.__table__
        with self.engine.connect() as c:
            self.assertEqual(('RUNNING', task_count), tuple(c.execute(sa.select(
                t.c.state, t.c.task_count).where(
                    t.c.id == tag + '-wf')).one()))

    def test_a_statement_the_session_does_not_hold(self):
        self._chain('za', steps=3)
        self._update('za', 'PAUSED')     # prepared and run
        self._update('za', 'RUNNING')    # run
        self._update('za', 'PAUSED')
        with self.engine.connect() as c:  # the one pooled connection
            c.exec_driver_sql('DEALLOCATE ALL')
        self._fails_then_plain('za', '26000', 7)

    def test_a_name_held_by_another_client(self):
        self._chain('za', steps=3)
        n = next(pg_prepared._names)
        pg_prepared._names = itertools.count(n)
        with self.engine.connect() as c:
            c.exec_driver_sql('PREPARE mistral_w%d AS SELECT 1' % n)
        self._fails_then_plain('za', '42P05', 4)
