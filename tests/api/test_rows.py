"""The fast list path (api/rows.py) renders exactly what the ORM path does.

Rows of every listed resource are written with awkward values (JSON nulls
and empty values, non-ASCII text, dates with and without microseconds,
missing optional columns), then listed both ways for many field tuples:
the plan's rendering of the stored columns must equal
``Resource.render`` of the ORM rows, value for value and key order too.
"""

import datetime
import itertools
import json
import random
import unittest
from unittest import mock
import uuid

from mistral_clone.api import resources as res
from mistral_clone.api import rows
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.db import query
from tests.api import base

RESOURCES = (res.WORKFLOW, res.WORKBOOK, res.ACTION, res.ENVIRONMENT,
             res.CRON_TRIGGER, res.EVENT_TRIGGER, res.EXECUTION, res.TASK,
             res.ACTION_EXECUTION, res.MEMBER)

WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
WHOLE_SECOND = datetime.datetime(2026, 1, 2, 3, 4, 6)
NESTED = {'a': [1, 2.5, None, True], 'ü': {'k': 'v "q"'}, 'e': {}}


def _variants(project):
    """Keyword sets for each model: full, empty/None, awkward."""
    wf_id, ex_id, task_id = (str(uuid.uuid4()) for _ in range(3))
    common = [dict(created_at=WHEN, updated_at=None),
              dict(created_at=WHOLE_SECOND, updated_at=WHEN)]
    values = [NESTED, None, {}, [], 'text', 0]
    out = {m: [] for m in (r.model for r in RESOURCES)}
    for i, (dates, value) in enumerate(zip(itertools.cycle(common), values)):
        tags = [None, [], ['t1', 'ü'], ['x']][i % 4]
        name = 'rows_%s_%d' % (project[:8], i)
        out[models.WorkflowDefinition].append(dict(
            dates, name=name, definition='---\nü', tags=tags,
            input=None if i % 2 else 'a, b="ü"', checksum='c',
            interface=value))
        out[models.WorkbookDefinition].append(dict(
            dates, name=name, definition='wb', tags=tags))
        out[models.ActionDefinition].append(dict(
            dates, name=name, definition='a', tags=tags,
            description=None if i % 2 else 'd ü', input='x=1'))
        out[models.Environment].append(dict(
            dates, name=name, variables=value,
            description=None if i % 2 else 'ü'))
        out[models.CronTrigger].append(dict(
            dates, name=name, pattern='* * * * *',
            first_execution_time=None if i % 2 else WHEN,
            next_execution_time=WHOLE_SECOND, remaining_executions=i or None,
            workflow_name='wf', workflow_id=wf_id, workflow_input=value,
            workflow_params=value))
        out[models.EventTrigger].append(dict(
            dates, name=name, workflow_id=wf_id, workflow_input=value,
            workflow_params=value, exchange='e', topic='t', event='ev%d' % i))
        out[models.WorkflowExecution].append(dict(
            dates, id=ex_id if i == 0 else str(uuid.uuid4()),
            workflow_name='wf', workflow_id=wf_id, tags=tags,
            state='RUNNING', state_info=None if i % 2 else 'ü', input=value,
            output=value, params=value, description=None,
            context={'x': 1}))
        out[models.TaskExecution].append(dict(
            dates, id=task_id if i == 0 else str(uuid.uuid4()), name=name,
            workflow_execution_id=ex_id, workflow_name='wf', tags=tags,
            state='SUCCESS', runtime_context=value, published=value,
            processed=bool(i % 2), started_at=WHEN,
            finished_at=None if i % 2 else WHOLE_SECOND))
        out[models.ActionExecution].append(dict(
            dates, name=name, task_execution_id=task_id, tags=tags,
            state='SUCCESS', description=[None, '', 'ü'][i % 3],
            input=value, output=value, accepted=bool(i % 2)))
        out[models.ResourceMember].append(dict(
            dates, resource_id=wf_id, resource_type='workflow',
            member_id='m%d' % i, status='accepted'))
    return out


def _field_tuples(resource, seed):
    names = resource.field_names
    tuples = {resource.default_fields, tuple(names), ('id',)}
    tuples.update(('id', n) for n in names)
    tuples.update(tuple(reversed(pair))
                  for pair in itertools.combinations(names, 2))
    rnd = random.Random(seed)
    for _ in range(20):
        tuples.add(tuple(rnd.sample(names, rnd.randint(1, len(names)))))
    return sorted(tuples)


class FastPathEqualsOrmPathTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        base.server_url()  # the shared test database
        cls.project = 'rows-%s' % uuid.uuid4().hex
        with db_api.transaction() as s:
            for model, variants in _variants(cls.project).items():
                for kw in variants:
                    s.add(model(project_id=cls.project, **kw))

    def _both(self, resource, fields):
        model = resource.model
        where = [model.project_id == self.project]
        with db_api.session() as s:
            orm_rows = query.list_rows(s, model, sort_keys=['created_at'],
                                       sort_dirs=['desc'], extra_where=where)
            slow = [resource.render(r, fields) for r in orm_rows]
            plan = rows.plan_for(resource, fields)
            if plan is None:
                return None, slow
            raw = query.list_rows(s, model, sort_keys=['created_at'],
                                  sort_dirs=['desc'], extra_where=where,
                                  columns=plan.columns, raw=True)
            self.assertEqual([r.id for r in orm_rows],
                             [r[plan.id_index] for r in raw])
            return plan.render(raw), slow

    def test_every_resource_and_field_tuple(self):
        checked = 0
        for resource in RESOURCES:
            for fields in _field_tuples(resource, resource.name):
                fast, slow = self._both(resource, fields)
                if fast is None:
                    continue
                checked += 1
                self.assertTrue(slow, resource.name)
                with self.subTest(resource=resource.name, fields=fields):
                    self.assertEqual(slow, fast)
                    self.assertEqual([list(d) for d in slow],
                                     [list(d) for d in fast])
                    self.assertEqual(json.dumps(slow), json.dumps(fast))
        self.assertGreater(checked, 500)

    def test_default_list_fields_take_the_fast_path(self):
        for resource in RESOURCES:
            self.assertIsNotNone(rows.plan_for(resource), resource.name)

    def test_computed_fields_take_the_orm_path(self):
        self.assertIsNone(rows.plan_for(res.EXECUTION, ['id',
                                                        'published_global']))
        self.assertIsNone(rows.plan_for(res.TASK, ['id', 'result']))

    def test_json_text_memo_gives_the_same_text(self):
        convert = rows.json_texts('{}')
        text = json.dumps(NESTED, separators=(',', ':'))
        first = convert(text)
        self.assertEqual(json.dumps(NESTED), first)
        self.assertEqual(first, convert(text))
        self.assertEqual('{}', convert(None))
        self.assertEqual('{}', convert('null'))
        big = json.dumps({'k': 'v' * (rows.MEMO_TEXT + 1)})
        self.assertEqual(json.dumps(json.loads(big)), convert(big))

    def test_memos_and_plans_stay_bounded(self):
        for convert in (rows.json_texts('{}'), rows.json_values()):
            for i in range(2000):
                convert(json.dumps(['v%d' % i, 'x' * 400]))
                self.assertLessEqual(convert.memo.chars, rows.MEMO_CHARS)
                self.assertLessEqual(len(convert.memo), rows.MEMO_ENTRIES)
            self.assertTrue(convert.memo)
        resource = res.WORKFLOW
        names = list(resource.default_fields)
        for i in range(rows.PLANS * 3):
            rows.plan_for(resource, names[i % 3:] + names[:i % 3]
                          if i % 2 else names[:1 + i % len(names)])
            self.assertLessEqual(len(resource._plans), rows.PLANS)

    def test_json_values_are_fresh_objects(self):
        convert = rows.json_values()
        first = convert('["a","b"]')
        self.assertEqual(['a', 'b'], first)
        first.append('changed')
        self.assertEqual(['a', 'b'], convert('["a","b"]'))
        self.assertIsNot(convert('["a","b"]'), convert('["a","b"]'))
        nested = convert('[{"k":1}]')
        nested[0]['k'] = 2
        self.assertEqual([{'k': 1}], convert('[{"k":1}]'))
        self.assertIsNone(convert(None))
        self.assertEqual({'x': None}, convert('{"x":null}'))

    def test_date_text(self):
        self.assertEqual('2026-01-02 03:04:05',
                         rows.date_text('2026-01-02 03:04:05.678901'))
        self.assertEqual('2026-01-02 03:04:05',
                         rows.date_text('2026-01-02T03:04:05'))
        self.assertEqual('2026-01-02 03:04:05', rows.date_text(WHEN))
        self.assertIsNone(rows.date_text(None))


class StatementReuseTest(unittest.TestCase):
    """query.list_rows(reuse_key=...): one statement per distinct set of
    arguments, executed afresh every time."""

    @classmethod
    def setUpClass(cls):
        base.server_url()

    def _list(self, project, marker_row=None, filters=()):
        m = models.WorkflowDefinition
        with db_api.session() as s:
            rows_ = query.list_rows(
                s, m, filters=list(filters), sort_keys=['name'],
                sort_dirs=['asc'], marker_row=marker_row, limit=10,
                extra_where=lambda: [m.project_id == project],
                columns=['id', 'name'], raw=True, reuse_key=project)
            return [r[1] for r in rows_]

    def _add(self, project, name):
        with db_api.transaction() as s:
            row = models.WorkflowDefinition(name=name, project_id=project)
            s.add(row)
        return row

    def test_reused_statement_sees_new_rows_and_keys_differ(self):
        a, b = 'reuse-a-%s' % uuid.uuid4().hex, 'reuse-b-%s' % uuid.uuid4().hex
        first = self._add(a, 'w1')
        self._add(b, 'w9')
        self.assertEqual(['w1'], self._list(a))
        built = len(query._statements)
        self.assertEqual(['w1'], self._list(a))
        self.assertEqual(built, len(query._statements))
        self._add(a, 'w2')
        self.assertEqual(['w1', 'w2'], self._list(a))
        self.assertEqual(['w9'], self._list(b))
        self.assertEqual(['w2'], self._list(a, marker_row=first))
        self.assertEqual(['w2'], self._list(a, filters=[('name', 'eq',
                                                         'w2')]))
        self.assertEqual(['w1'], self._list(a, filters=[('name', 'eq',
                                                         'w1')]))

    def test_keys(self):
        m = models.WorkflowDefinition
        args = dict(model=m, filters=[('name', 'in', ['a', 'b'])],
                    sort_keys=['name', 'id'], sort_dirs=['asc', 'asc'],
                    marker_row=None, limit=5, columns=['id'], raw=True,
                    dialect_name='sqlite', reuse_key=('p', False))
        key = query._statement_key(**args)
        self.assertEqual(key, query._statement_key(**args))
        for change in (dict(reuse_key=('q', False)), dict(limit=6),
                       dict(filters=[('name', 'in', ['a'])]),
                       dict(sort_dirs=['desc', 'asc']),
                       dict(columns=['id', 'name']),
                       dict(marker_row=m(id='x', name='n'))):
            self.assertNotEqual(key, query._statement_key(
                **dict(args, **change)), change)
        self.assertIsNone(query._statement_key(**dict(
            args, filters=[('name', 'eq', 'x' * 300)])))


class DriverSelectTest(unittest.TestCase):
    """A kept raw list statement run by the driver itself
    (``query._driver_select``, ``db_api.read_rows``) returns exactly the
    rows SQLAlchemy returns for it: filters, markers (dates bound through
    their bind processors), every resource."""

    @classmethod
    def setUpClass(cls):
        base.server_url()
        cls.project = 'driver-%s' % uuid.uuid4().hex
        with db_api.transaction() as s:
            for model, variants in _variants(cls.project).items():
                for kw in variants:
                    s.add(model(project_id=cls.project, **kw))

    def _both(self, resource, filters=(), marker=None, keys=('created_at',),
              dirs=('desc',)):
        model = resource.model
        plan = rows.plan_for(resource)
        used = []
        real = db_api.read_rows

        def spy(sql, params):
            used.append(sql)
            return real(sql, params)
        out = []
        for reuse_key in (None, ('driver', self.project)):
            with db_api.session() as s:
                marker_row = None
                if marker is not None:
                    marker_row = s.get(model, marker)
                    s.rollback()  # no transaction: the driver may run it
                with mock.patch.object(db_api, 'read_rows', spy):
                    out.append([tuple(r) for r in query.list_rows(
                        s, model, filters=list(filters),
                        sort_keys=list(keys) + ['id'],
                        sort_dirs=list(dirs) + ['asc'],
                        marker_row=marker_row, limit=4,
                        extra_where=lambda: [model.project_id ==
                                             self.project],
                        columns=plan.columns, raw=True,
                        reuse_key=reuse_key)])
        return out[0], out[1], bool(used)

    def test_same_rows_both_ways(self):
        drivers = nonempty = 0
        for resource in RESOURCES:
            model = resource.model
            with db_api.session() as s:
                ids = [r.id for r in s.query(model).filter(
                    model.project_id == self.project)]
            cases = [dict(), dict(marker=ids[1]),
                     dict(marker=ids[2], dirs=('asc',)),
                     dict(filters=[('created_at', 'gt', WHEN)]),
                     dict(filters=[('created_at', 'lte',
                                    '2026-01-02 03:04:06')]),
                     dict(filters=[('id', 'in', ids[:2])])]
            for case in cases:
                slow, fast, used = self._both(resource, **case)
                self.assertEqual(slow, fast, (resource.collection, case))
                nonempty += bool(slow)
                drivers += used
                if 'filters' in case and case['filters'][0][1] == 'in':
                    self.assertFalse(used)  # expanding IN: SQLAlchemy's
        self.assertGreater(drivers, 20)
        self.assertGreater(nonempty, 30)

    def test_kept_rows_without_a_session(self):
        m = models.WorkflowDefinition
        plan = rows.plan_for(res.WORKFLOW)
        args = dict(filters=[], sort_keys=['name', 'id'],
                    sort_dirs=['asc', 'asc'], limit=3, columns=plan.columns,
                    reuse_key=('kept', self.project))
        self.assertIsNone(query.kept_rows(m, **args))  # nothing kept yet
        with db_api.session() as s:
            listed = query.list_rows(
                s, m, extra_where=lambda: [m.project_id == self.project],
                raw=True, **args)
        self.assertEqual(3, len(listed))
        self.assertEqual([tuple(r) for r in listed],
                         [tuple(r) for r in query.kept_rows(m, **args)])
        with db_api.transaction():  # its own changes must show: a session
            self.assertIsNone(query.kept_rows(m, **args))
        with mock.patch.object(db_api, 'read_rows', return_value=None):
            self.assertIsNone(query.kept_rows(m, **args))

    def test_driver_failure_falls_back(self):
        with mock.patch.object(db_api, 'get_engine',
                               side_effect=RuntimeError('x')):
            self.assertIsNone(db_api.read_rows('SELECT 1', ()))
        self.assertIsNone(db_api.read_rows('SELECT nope FROM nowhere', ()))


if __name__ == '__main__':
    unittest.main()
