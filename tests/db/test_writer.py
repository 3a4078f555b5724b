"""db/writer.py: execution rows written with Core statements at flush are
the rows SQLAlchemy's unit of work wrote, and the session ends as it did.

The same work runs through a session without the writer (the unit of
work) and one with it, on SQLite and, where the local servers are there,
PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306,
user root), in uniquely named databases dropped afterwards.
"""

import datetime
import re
import unittest
import uuid

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import exc as orm_exc

from mistral_clone.db import models
from mistral_clone.db import writer

M = models
TIMES = ('created_at', 'updated_at', 'started_at', 'finished_at',
         'last_heartbeat')
T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000)


class _WriterCases:
    """The cases, for one database (``url()``)."""

    def url(self):
        raise NotImplementedError

    def setUp(self):
        url = self.url()
        # As db.api sets it up: the UPDATEs of a flush in one round trip.
        self.engine = sa.create_engine(url, **(
            {'executemany_mode': 'values_plus_batch'}
            if url.startswith('postgresql') else {}))
        M.Base.metadata.create_all(self.engine)
        self.orm_sessions = orm.sessionmaker(bind=self.engine,
                                             expire_on_commit=False)
        self.writer_sessions = orm.sessionmaker(bind=self.engine,
                                                expire_on_commit=False)
        writer.install(self.writer_sessions)
        self.statements = []
        sa.event.listen(self.engine, 'before_cursor_execute',
                        self._note)

    def tearDown(self):
        self.engine.dispose()

    def _note(self, conn, cursor, statement, parameters, context, many):
        self.statements.append(statement)

    def _work(self, sessions, tag):
        """Create a workflow, task and action; change them; what the
        objects looked like after each flush."""
        seen = {}
        with sessions() as s, s.begin():
            wf = M.WorkflowExecution(
                id=tag + '-wf', workflow_name='w', workflow_namespace=None,
                state='RUNNING', input={'a': [1, 2]}, context={},
                project_id='p', task_count=1)
            task = M.TaskExecution(
                id=tag + '-t', name='t1', workflow_execution_id=wf.id,
                workflow_name='w', state='RUNNING',
                in_context={'x': 'é', 'y': "50%s; %(x)s '--"},
                tags=[], project_id='p', seq=1, created_at=T0,
                updated_at=T0)
            action = M.ActionExecution(
                id=tag + '-a', name='std.noop', task_execution_id=task.id,
                workflow_execution_id=wf.id, state='RUNNING',
                input={'k': None}, is_sync=True, project_id='p',
                runtime_context={'index': 0})
            s.add_all([action, task, wf])   # out of foreign key order
            s.flush()
            seen['new'] = [(sa.inspect(o).persistent,
                            sa.inspect(o).modified, o in s.dirty,
                            o.workflow_namespace,
                            o.created_at is not None)
                           for o in (wf, task, action)]
            seen['found'] = s.get(M.TaskExecution, task.id) is task
            task.state = 'SUCCESS'
            task.published = {'r': 1}
            task.finished_at = T0
            task.processed = True
            action.state = 'SUCCESS'
            action.output = {'result': None}
            action.accepted = False         # as it was: not written
            wf.task_count = 2
            wf.context = {}                 # equal to the stored value
            before = len(self.statements)
            s.flush()
            # table and columns (the placeholders' style may differ; with
            # psycopg2 the writer sends them in one statement, prepared)
            seen['updates'] = sorted(
                'UPDATE %s SET %s' % (table, re.sub(r' ?= ?[^,]+', '', cols))
                for st in self.statements[before:]
                for table, cols in re.findall(
                    r'UPDATE (\w+) SET (.*?) '
                    r'(?:FROM \(VALUES|FROM unnest|WHERE)', st))
            seen['updated_at'] = [o.updated_at is not None
                                  for o in (wf, task, action)]
            seen['clean'] = not s.dirty and not s.new
            task.state = 'SUCCESS'      # as stored: changed, not written
            wf.context = {}
            seen['dirty'] = len(s.dirty)
            before = len(self.statements)
            s.flush()
            seen['nothing'] = self.statements[before:]
        return seen

    def _rows(self, tag):
        out = {}
        with self.engine.connect() as c:
            for model in writer.MODELS:
                t = model.__table__
                rows = c.execute(sa.select(t).where(
                    t.c.id.like(tag + '-%'))).mappings().all()
                out[t.name] = [
                    {k: (v.replace(tag, 'X') if isinstance(v, str) else
                         (v is not None) if k in TIMES else v)
                     for k, v in r.items()} for r in rows]
        return out

    def _flushed_statements(self, s):
        """Statements one flush of ``s`` sent, and how many are expected
        for ``apart`` statements where each runs alone (with psycopg2 a
        flush's writes go together)."""
        before = len(self.statements)
        s.flush()
        sent = len(self.statements) - before
        together = self.engine.dialect.driver == 'psycopg2'
        return sent, (lambda apart: 1 if together else apart)

    def _task_columns(self, tag, *columns):
        t = M.TaskExecution.__table__
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(
                sa.select(*(t.c[k] for k in columns))
                .where(t.c.id.like(tag + '-%')).order_by(t.c.id))]

    def test_same_rows_and_session_as_the_unit_of_work(self):
        a, b = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
        by_orm = self._work(self.orm_sessions, a)
        by_writer = self._work(self.writer_sessions, b)
        self.assertEqual(by_orm, by_writer)
        self.assertEqual(self._rows(a), self._rows(b))
        self.assertEqual(3, len(by_writer['updates']))
        self.assertEqual([], by_writer['nothing'])
        self.assertEqual([(True, False, False, '', True)] * 3,
                         by_writer['new'])

    def test_booleans_checked_as_by_the_unit_of_work(self):
        """A bool goes to a Boolean column as it is (where the database has
        booleans, unprocessed); anything else goes through SQLAlchemy's
        processor: stored as a bool (1) or refused with its error, as by
        the unit of work."""
        outcomes = []
        for sessions in (self.orm_sessions, self.writer_sessions):
            tag = uuid.uuid4().hex[:8]
            seen = []
            for n, value in enumerate((True, False, 1, 'yes', 2)):
                row_id = '%s-%d' % (tag, n)
                try:
                    with sessions() as s, s.begin():
                        s.add(M.WorkflowExecution(
                            id=row_id, state='RUNNING', project_id='p',
                            accepted=value))
                except (TypeError, ValueError, sa.exc.StatementError) as e:
                    # (the unit of work's wrapped in a StatementError)
                    e = getattr(e, 'orig', e)
                    seen.append((type(e).__name__, str(e)))
                    continue
                with self.engine.connect() as c:
                    seen.append(c.execute(sa.text(
                        'SELECT accepted FROM workflow_executions '
                        'WHERE id = :i'), {'i': row_id}).scalar())
            outcomes.append(seen)
        self.assertEqual(outcomes[0], outcomes[1])
        self.assertEqual([True, False, True, 'TypeError', 'ValueError'],
                         [o[0] if isinstance(o, tuple) else bool(o)
                          for o in outcomes[1]])

    def test_one_statement_per_table_and_columns(self):
        tag = uuid.uuid4().hex[:8]
        with self.writer_sessions() as s, s.begin():
            wf = M.WorkflowExecution(id=tag + '-wf', state='RUNNING',
                                     project_id='p')
            s.add(wf)
            s.flush()
            tasks = [M.TaskExecution(id='%s-t%d' % (tag, i), name='t',
                                     workflow_execution_id=wf.id,
                                     state='RUNNING', project_id='p')
                     for i in range(4)]
            s.add_all(tasks)
            before = len(self.statements)
            s.flush()
            self.assertEqual(1, len(self.statements) - before)
            for t in tasks[:3]:
                t.state = 'SUCCESS'
            tasks[3].state_info = 'x'
            sent, expected = self._flushed_statements(s)
            self.assertEqual(expected(2), sent)
        self.assertEqual([('SUCCESS', None)] * 3 + [('RUNNING', 'x')],
                         self._task_columns(tag, 'state', 'state_info'))

    def test_writes_together_with_psycopg2(self):
        """Rows updated and inserted: one statement with psycopg2, one per
        table and kind elsewhere; the rows alike."""
        tag = uuid.uuid4().hex[:8]
        with self.writer_sessions() as s, s.begin():
            wf = M.WorkflowExecution(id=tag + '-wf', state='RUNNING',
                                     project_id='p')
            tasks = [M.TaskExecution(id='%s-t%d' % (tag, i), name='t',
                                     workflow_execution_id=wf.id,
                                     state='RUNNING', project_id='p')
                     for i in range(2)]
            s.add_all([wf] + tasks)
            s.flush()
            for t in tasks:
                t.state = 'SUCCESS'
                t.published = {'v': '%s;%%'}
            s.add_all(M.ActionExecution(
                id='%s-a%d' % (tag, i), name='a', task_execution_id=t.id,
                workflow_execution_id=wf.id, state='RUNNING',
                project_id='p') for i, t in enumerate(tasks))
            sent, expected = self._flushed_statements(s)
            self.assertEqual(expected(2), sent)
        self.assertEqual([('SUCCESS', {'v': '%s;%%'})] * 2,
                         self._task_columns(tag, 'state', 'published'))
        with self.engine.connect() as c:
            a = M.ActionExecution.__table__
            self.assertEqual(2, len(c.execute(sa.select(a.c.id).where(
                a.c.id.like(tag + '-%'))).all()))

    def test_a_row_gone_is_stale_data_as_with_the_unit_of_work(self):
        after = []
        for sessions in (self.orm_sessions, self.writer_sessions):
            tag = uuid.uuid4().hex[:8]
            with sessions() as s:
                with s.begin():
                    wf = M.WorkflowExecution(id=tag + '-wf',
                                             state='RUNNING',
                                             project_id='p')
                    s.add(wf)
                s.begin()
                t = M.WorkflowExecution.__table__   # not ORM-enabled
                s.connection().execute(sa.delete(t).where(t.c.id == wf.id))
                wf.state = 'ERROR'
                self.assertRaises(orm_exc.StaleDataError, s.flush)
                # The session wants a rollback, as after any failed flush.
                try:
                    s.execute(sa.select(1))
                except Exception as e:
                    after.append(type(e))
                s.rollback()
                after.append((sa.inspect(wf).persistent, wf.state,
                              s.get(M.WorkflowExecution, wf.id) is wf))
        self.assertEqual(after[:2], after[2:])
        self.assertEqual(sa.exc.PendingRollbackError, after[0])

    @staticmethod
    def _add_workflows(s, tag):
        """Two new workflow executions added to ``s``."""
        wfs = [M.WorkflowExecution(id='%s-wf%d' % (tag, i), state='RUNNING',
                                   project_id='p') for i in range(2)]
        s.add_all(wfs)
        return wfs

    def test_a_row_gone_among_other_writes(self):
        """With psycopg2 the writes go together, the rows matched counted
        after them: the same error as the unit of work's."""
        errors = []
        for sessions in (self.orm_sessions, self.writer_sessions):
            tag = uuid.uuid4().hex[:8]
            with sessions() as s:
                with s.begin():
                    gone, kept = self._add_workflows(s, tag)
                    task = M.TaskExecution(id=tag + '-t', name='t',
                                           workflow_execution_id=kept.id,
                                           state='RUNNING', project_id='p')
                    s.add(task)
                s.begin()
                t = M.WorkflowExecution.__table__
                s.connection().execute(sa.delete(t).where(
                    t.c.id == gone.id))
                gone.state = 'ERROR'
                task.state = 'SUCCESS'
                s.add(M.ActionExecution(
                    id=tag + '-a', name='a', task_execution_id=task.id,
                    workflow_execution_id=kept.id, state='RUNNING',
                    project_id='p'))
                with self.assertRaises(orm_exc.StaleDataError) as ctx:
                    s.flush()
                errors.append(str(ctx.exception))
                s.rollback()
        self.assertEqual(errors[0], errors[1])
        self.assertIn("table 'workflow_executions' expected to update 1 "
                      "row(s); 0 were matched", errors[1])

    def _riding_sessions(self):
        """Sessions of the writer on an engine whose transactions
        db/pg_transactions.py begins (psycopg2 only: the test is skipped
        elsewhere); the statements; the transaction status at commits."""
        if self.engine.dialect.driver != 'psycopg2':
            self.skipTest('psycopg2 only')
        from mistral_clone.db import pg_transactions
        engine = sa.create_engine(self.engine.url,
                                  isolation_level='READ COMMITTED',
                                  executemany_mode='values_plus_batch')
        self.addCleanup(engine.dispose)
        pg_transactions.install(engine, 'READ COMMITTED')
        sessions = orm.sessionmaker(bind=engine, expire_on_commit=False)
        writer.install(sessions)
        sent = []
        sa.event.listen(engine, 'before_cursor_execute',
                        lambda c, cur, statement, *a: sent.append(statement))
        ended = []
        sa.event.listen(engine, 'commit', lambda c: ended.append(
            c.connection.dbapi_connection.get_transaction_status()))
        return sessions, sent, ended

    def test_commit_rides_with_the_last_writes(self):
        """psycopg2, transactions of db/pg_transactions.py: the COMMIT in
        the string of the last flush's writes; the rows stored."""
        sessions, sent, ended = self._riding_sessions()
        tag = uuid.uuid4().hex[:8]
        with sessions() as s:
            with s.begin():
                wf = M.WorkflowExecution(id=tag + '-wf', state='RUNNING',
                                         project_id='p')
                task = M.TaskExecution(id=tag + '-t', name='t',
                                       workflow_execution_id=wf.id,
                                       state='RUNNING', project_id='p')
                s.add_all([wf, task])
            self.assertTrue(sent[-1].endswith(';COMMIT'))
            self.assertEqual([0], ended)   # nothing open: nothing sent
            with s.begin():
                task.state = 'SUCCESS'
                s.add(M.ActionExecution(
                    id=tag + '-a', name='a', task_execution_id=task.id,
                    workflow_execution_id=wf.id, state='RUNNING',
                    project_id='p'))
                # not the last flush of a commit: no COMMIT
                s.flush()
                self.assertFalse(sent[-1].endswith(';COMMIT'))
                wf.state = 'SUCCESS'
                # another model than the writer's: the unit of work
                # writes it after, so no COMMIT with the writes
                s.add(M.ScheduledJob(id=tag + '-j', target='x', args={},
                                     run_after=T0))
            self.assertFalse(sent[-2].endswith(';COMMIT'))
            self.assertEqual([0, 2], ended)  # then open: COMMIT sent
        self.assertEqual([('SUCCESS',)], self._task_columns(tag, 'state'))
        with self.engine.connect() as c:
            self.assertEqual(1, c.exec_driver_sql(
                "SELECT count(*) FROM scheduled_jobs WHERE id = '%s-j'"
                % tag).scalar())

    def test_a_row_gone_at_a_riding_commit(self):
        """The rows matched checked before the COMMIT: the same error,
        nothing stored."""
        sessions, sent, _ = self._riding_sessions()
        tag = uuid.uuid4().hex[:8]
        with sessions() as s:
            with s.begin():
                gone, kept = self._add_workflows(s, tag)
            s.begin()
            t = M.WorkflowExecution.__table__
            s.connection().execute(sa.delete(t).where(t.c.id == gone.id))
            gone.state = 'ERROR'
            kept.state = 'ERROR'
            s.add(M.TaskExecution(id=tag + '-t', name='t',
                                  workflow_execution_id=kept.id,
                                  state='RUNNING', project_id='p'))
            with self.assertRaises(orm_exc.StaleDataError) as ctx:
                s.commit()
            self.assertTrue(sent[-1].endswith(';COMMIT'))
            s.rollback()
        self.assertIn("table 'workflow_executions' expected to update 2 "
                      "row(s); 1 were matched", str(ctx.exception))
        self.assertEqual([], self._task_columns(tag, 'state'))
        with self.engine.connect() as c:
            t = M.WorkflowExecution.__table__
            # the whole transaction rolled back (its DELETE too)
            self.assertEqual(['RUNNING'] * 2, c.execute(sa.select(t.c.state).where(
                t.c.id.like(tag + '-%'))).scalars().all())

    def test_rollback_forgets_new_rows_as_with_the_unit_of_work(self):
        tag = uuid.uuid4().hex[:8]
        with self.writer_sessions() as s:
            with s.begin():
                wf = M.WorkflowExecution(id=tag + '-wf', state='RUNNING',
                                         project_id='p')
                s.add(wf)
                s.flush()
                s.rollback()
            self.assertTrue(sa.inspect(wf).transient)
            self.assertIsNone(s.get(M.WorkflowExecution, wf.id))


class SQLiteTest(_WriterCases, unittest.TestCase):

    def url(self):
        return 'sqlite://'


def _server_case(backend):
    from tests.integration import production_env
    reason = (production_env.ensure_postgresql() if backend == 'postgresql'
              else production_env.ensure_mariadb())
    if reason is None:
        try:
            __import__('psycopg2' if backend == 'postgresql' else 'pymysql')
        except ImportError:
            reason = 'no driver for %s' % backend

    @unittest.skipIf(reason, reason)
    class ServerTest(_WriterCases, unittest.TestCase):

        def url(self):
            self.db = 'mc_writer_%s' % uuid.uuid4().hex[:10]
            return production_env.create_database(backend, self.db)

        def tearDown(self):
            super().tearDown()
            production_env.drop_database(backend, self.db)

    ServerTest.__name__ = ServerTest.__qualname__ = backend.title() + 'Test'
    return ServerTest


PostgresqlTest = _server_case('postgresql')
MysqlTest = _server_case('mysql')
