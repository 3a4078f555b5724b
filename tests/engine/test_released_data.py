"""Transactions that let go of the data of completed tasks (see
``Transaction.release_completed``): chains of inline actions, joins and the
final context read that data again from the database, with the same
results."""

import json
import threading
import unittest

import sqlalchemy as sa

from mistral_clone.db import models
from mistral_clone.engine import transaction
from mistral_clone.engine.settings import EngineSettings
from tests import base

WORKFLOW = """version: '2.0'
released_data:
  input: [n]
  output:
    evens: <% $.evens %>
    count: <% $.count %>
    left: <% $.left %>
    right: <% $.right %>
  tasks:
    gen:
      action: std.noop
      publish:
        recs: <% range($.n).select(dict(id => $, name => 'n' + str($))) %>
      on-success: [echo, left, right]
    echo:
      action: std.echo output=<% $.recs %>
      publish:
        evens: <% task().result.where($.id mod 2 = 0).select($.id) %>
      on-success: count
    count:
      action: std.noop
      publish:
        count: <% $.recs.len() %>
      on-success: joined
    left:
      action: std.noop
      publish:
        left: <% $.recs.first().name %>
      on-success: joined
    right:
      action: std.echo output=<% $.recs.last() %>
      publish:
        right: <% task().result.name %>
      on-success: joined
    joined:
      join: all
      action: std.noop
      publish:
        all: <% [$.count, $.left, $.right, $.evens.len()] %>
"""


class ReleasingTestCase(base.ServerTestCase):
    """Transactions release after every inline action, whatever the data's
    size; ``workflow``, if set, is uploaded before each test."""

    workflow = None

    def setUp(self):
        super().setUp()
        self.addCleanup(setattr, transaction, 'RELEASE_AFTER_KB',
                        transaction.RELEASE_AFTER_KB)
        transaction.RELEASE_AFTER_KB = 0
        if self.workflow:
            r = self.server.post_text('/workflows', self.workflow)
            self.assertEqual(201, r.status_code, r.text)

    def start_counting_parses(self, counted):
        """A list that collects the start of each stored JSON text the
        engine's threads parse (not the API's, answering the polls) for
        which ``counted(text)`` is true; counting stops with
        :meth:`stop_counting_parses`."""
        parsed = []
        original = self._original = models.JsonEncoded.process_result_value

        def counting(decorator, value, dialect):
            if value is not None and counted(value) and \
                    threading.current_thread().name.startswith('engine'):
                parsed.append(value[:20])
            return original(decorator, value, dialect)

        self.addCleanup(setattr, models.JsonEncoded, 'process_result_value',
                        original)
        models.JsonEncoded.process_result_value = counting
        return parsed

    def stop_counting_parses(self):
        models.JsonEncoded.process_result_value = self._original


class ReleasedDataTest(ReleasingTestCase):

    def test_results_are_the_same(self):
        r = self.server.post_text('/workflows', WORKFLOW)
        self.assertEqual(201, r.status_code, r.text)
        n = 40
        ex = self.server.start('released_data', {'n': n})
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'evens': list(range(0, n, 2)), 'count': n,
                          'left': 'n0', 'right': 'n%d' % (n - 1)},
                         json.loads(ex['output']))
        joined = self.server.task(ex['id'], 'joined')
        self.assertEqual([n, 'n0', 'n%d' % (n - 1), n // 2],
                         json.loads(joined['published'])['all'])
        echo = self.server.task(ex['id'], 'echo')
        self.assertEqual(list(range(0, n, 2)),
                         json.loads(echo['published'])['evens'])


# A chain of inline std.echo tasks passing a list of records along.
ECHO_CHAIN = """version: '2.0'
echo_chain:
  input: [recs]
  output:
    count: <% $.recs.len() %>
    tags: <% $.tags %>
  tasks:
    echo1:
      action: std.echo output=<% $.recs %>
      publish:
        recs: <% task().result %>
      on-success: echo2
    echo2:
      action: std.echo output=<% $.recs %>
      publish:
        recs: <% task().result.where($.id >= 0) %>
      on-success: odd
    odd:
      action: std.echo output=<% dict(1 => list(1, 2)) %>
      publish:
        tags: <% task().result %>
"""


class StoredValuesReadOnceTest(ReleasingTestCase):
    """Large values an inline chain has in memory are not parsed again
    from their JSON text: not the input of an action when its result
    arrives, not an action's result for ``task().result`` (the stored
    JSON is read back only for values it would change)."""

    workflow = ECHO_CHAIN

    def test_large_values_are_parsed_once(self):
        recs = [{'id': i, 'name': 'name-%05d' % i, 'tags': ['a', 'b']}
                for i in range(3000)]
        big = len(json.dumps(recs)) // 2
        parsed = self.start_counting_parses(lambda text: len(text) > big)
        ex = self.server.start('echo_chain', {'recs': recs})
        ex = self.server.wait(ex['id'], timeout=60)
        self.stop_counting_parses()
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'count': 3000, 'tags': {'1': [1, 2]}},
                         json.loads(ex['output']))
        # None. The transaction running the chain takes the workflow input
        # the starting transaction parsed (Outbox.inputs; it read it from
        # its row before). Before that: also the input of the first action
        # (read with its row), the input of the second (read again when its
        # result came) and the result of both (read for task().result).
        self.assertEqual([], parsed)


class _RolledBack(Exception):
    pass


class TaskResultTest(base.ServerTestCase):
    """``results.task_result`` gives the value an action execution of the
    session holds when its stored JSON would read back the same."""

    def test_shared_when_stable_else_read_back(self):
        from mistral_clone.db import api as db_api
        r = self.server.post_text('/workflows', ECHO_CHAIN)
        self.assertEqual(201, r.status_code, r.text)
        ex = self.server.start('echo_chain', {'recs': [{'id': 1}]})
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        task_id = self.server.task(ex['id'], 'echo1')['id']
        try:
            with db_api.transaction() as session:
                self._check_task_result(session, task_id)
                raise _RolledBack()
        except _RolledBack:
            pass

    def _check_task_result(self, session, task_id):
        # In a write transaction (rolled back at the end): the flushes below
        # need the write lock; a read session upgraded to a writer after a
        # server thread's commit got "database is locked" at once (SQLite's
        # snapshot rule), seen on a loaded machine.
        from mistral_clone.services import results
        task = session.get(models.TaskExecution, task_id)
        action = session.execute(
            sa.select(models.ActionExecution).where(
                models.ActionExecution.task_execution_id == task_id)
        ).scalars().one()
        value = [{'id': 1, 'x': [1.5, None, True, 'é']}]
        action.output = {'result': value}
        self.assertIs(value, results.task_result(session, task))
        session.expire(action, ['output'])
        got = results.task_result(session, task)
        self.assertEqual(value, got)
        self.assertIsNot(value, got)
        for odd, stored in (({1: 'a'}, {'1': 'a'}), ((1, 2), [1, 2]),
                            ([{'k': (1,)}], [{'k': [1]}])):
            action.output = {'result': odd}
            got = results.task_result(session, task)
            self.assertEqual(stored, got)
            self.assertEqual(type(stored), type(got))


# The input is read by the first task and, after the release, by the last
# one and the output.
INPUT_CHAIN = """version: '2.0'
input_chain:
  input: [recs, label]
  output:
    count: <% $.count %>
    label: <% $.label %>
  tasks:
    first:
      action: std.noop
      publish:
        ids: <% $.recs.select($.id) %>
      on-success: middle
    middle:
      action: std.echo output=<% $.ids %>
      publish:
        count: <% task().result.len() %>
      on-success: last
    last:
      action: std.noop
      publish:
        again: <% $.label + '!' %>
"""


class ReleasedInputTest(ReleasingTestCase):
    """The workflow input is let go with the data of completed tasks and
    read again from the database by the first lookup of one of its keys
    (``WorkflowRun.input``)."""

    workflow = INPUT_CHAIN

    def test_read_again_when_needed(self):
        recs = [{'id': i, 'name': 'n%d' % i} for i in range(500)]
        reads = self.start_counting_parses(lambda text: '"label"' in text)
        ex = self.server.start('input_chain', {'recs': recs, 'label': 'L'})
        ex = self.server.wait(ex['id'], timeout=60)
        self.stop_counting_parses()
        self.assertEqual('SUCCESS', ex['state'], ex['state_info'])
        self.assertEqual({'count': 500, 'label': 'L'},
                         json.loads(ex['output']))
        last = self.server.task(ex['id'], 'last')
        self.assertEqual({'again': 'L!'}, json.loads(last['published']))
        # Taken by the chain's transaction from the one that started the
        # execution for the first task (Outbox.inputs: no read), then
        # read from the row for the last one (its lookup of ``label``).
        self.assertGreaterEqual(len(reads), 1, reads)


class LazyInputTest(unittest.TestCase):
    """WorkflowRun.input answers key lookups from the keys it read once,
    and values from the row (so a released input is read again)."""

    def test_lookups(self):
        from mistral_clone.engine.workflow_run import LazyInput

        class Row:
            loads = 0

            @property
            def input(self):
                Row.loads += 1
                return {'a': 1, 'b': [2]}

        view = LazyInput(Row())
        self.assertEqual(['a', 'b'], list(view))
        self.assertEqual(1, Row.loads)
        self.assertNotIn('c', view)
        self.assertIsNone(view.get('c'))
        self.assertEqual(2, len(view))
        self.assertTrue(view)
        self.assertEqual(1, Row.loads)  # keys only: no read
        self.assertEqual([2], view['b'])
        self.assertEqual(1, view.get('a'))
        self.assertEqual(3, Row.loads)
        self.assertEqual({'a': 1, 'b': [2]}, dict(view))


class KnownInputTest(base.ServerTestCase):
    """A transaction takes the input its predecessor parsed
    (``Outbox.inputs``) instead of parsing the row's text again: once."""

    def test_lock_takes_a_known_input_once(self):
        from mistral_clone.db import api as db_api
        with db_api.transaction() as s:
            s.add(models.WorkflowExecution(
                id='known-input', state='PAUSED', project_id='p',
                input={'a': [1, 2]}, spec_text=ECHO_CHAIN))
        self.addCleanup(self._delete, 'known-input')
        known = {'a': [1, 2]}
        inputs = {'known-input': known}
        original = models.JsonEncoded.process_result_value
        parsed = []

        def counting(decorator, value, dialect):
            if value == '{"a":[1,2]}':
                parsed.append(value)
            return original(decorator, value, dialect)
        self.addCleanup(setattr, models.JsonEncoded, 'process_result_value',
                        original)
        models.JsonEncoded.process_result_value = counting
        with db_api.transaction() as s:
            t = transaction.Transaction(s, EngineSettings(), None,
                                        known_inputs=inputs)
            self.assertIs(known, t.lock('known-input').wf_ex.input)
        self.assertEqual([], parsed)
        self.assertEqual({}, inputs)
        # Taken once: the next transaction (a retry) reads the row.
        with db_api.transaction() as s:
            t = transaction.Transaction(s, EngineSettings(), None,
                                        known_inputs=inputs)
            wf_ex = t.lock('known-input').wf_ex
            self.assertEqual(known, wf_ex.input)
            self.assertIsNot(known, wf_ex.input)
        self.assertEqual(1, len(parsed))

    @staticmethod
    def _delete(wf_ex_id):
        from mistral_clone.db import api as db_api
        with db_api.transaction() as s:
            s.execute(sa.delete(models.WorkflowExecution).where(
                models.WorkflowExecution.id == wf_ex_id))
