"""db/packing.py: long JSON texts stored compressed on SQLite, read back,
filtered on and listed as if they were text; other databases unchanged."""

import json
import os
import tempfile
import unittest

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mistral_clone.api import resources as res
from mistral_clone.api import rows
from mistral_clone.db import api
from mistral_clone.db import models
from mistral_clone.db import packing
from mistral_clone.db import query


def large_value(n=6000):
    # ~430 KB of JSON: over PACK_FROM_CHARS; non-ASCII text included.
    return {'recs': [{'id': i, 'name': 'nåme-%05d' % i, 'tags': ['t1', 't2'],
                      'value': i / 10.0} for i in range(n)]}


class PackTest(unittest.TestCase):

    def test_round_trip(self):
        value = large_value()
        text = models._encode(value)
        self.assertGreaterEqual(len(text), packing.PACK_FROM_CHARS)
        data = packing.pack(text)
        self.assertIsInstance(data, bytes)
        self.assertLess(len(data), len(text) // 3)
        self.assertEqual(text, packing.unpack(data))
        self.assertEqual(text, packing.stored_text(data))
        self.assertEqual('{}', packing.stored_text('{}'))
        self.assertIsNone(packing.stored_text(None))

    def test_only_long_texts_on_sqlite(self):
        t = models.JsonEncoded()
        sqlite = api.sa.create_engine('sqlite://').dialect
        value = large_value()
        stored = t.process_bind_param(value, sqlite)
        self.assertIsInstance(stored, bytes)
        self.assertEqual(value, t.process_result_value(stored, sqlite))
        small = {'a': [1, 2]}
        self.assertEqual('{"a":[1,2]}', t.process_bind_param(small, sqlite))
        # PostgreSQL compresses large values itself (TOAST): text there.
        self.assertEqual(models._encode(value),
                         t.process_bind_param(value, postgresql.dialect()))


class PiecesTest(unittest.TestCase):
    """A large value's text made and packed a piece at a time."""

    def test_pieces_make_the_same_text(self):
        recs = large_value()['recs']
        cases = [
            recs, {'recs': recs}, (1, recs[:600]),
            {'a': 1, 'b': {'c': recs[:1500], 'd': (1, 2)}, 'e': recs[:513]},
            {i: r for i, r in enumerate(recs[:1200])},  # non-str keys
            {'x': {str(i): i for i in range(600)}, 1: recs[:700]},
            [{1, 2}, recs[:513], 'é' * 1000, float('nan')],
            recs[:512], [[[[[[[[[[recs[:600]]]]]]]]]]],
            {'s': 'x' * 300000}, {'a': [1]}, [], {}, 'text', 5, None]
        for value in cases:
            text = models._encode(value)
            self.assertEqual(
                text, ''.join(packing.json_pieces(value, models._encode)))
            stored = packing.encoded(value, models._encode)
            if len(text) >= packing.PACK_FROM_CHARS:
                self.assertEqual(text, packing.unpack(stored))
            else:
                self.assertEqual(text, stored)

    def test_circular_value_refused_as_before(self):
        loop = []
        loop.append(loop)
        for value in (loop, {'x': [loop] * 600}):
            with self.assertRaisesRegex(ValueError, 'Circular reference'):
                packing.encoded(value, models._encode)

    def test_small_values_in_one_piece(self):
        self.assertEqual(['{"a":[1,2]}'], list(
            packing.json_pieces({'a': [1, 2]}, models._encode)))
        self.assertGreater(len(list(packing.json_pieces(
            large_value(), models._encode))), 10)


class SharedStringsTest(unittest.TestCase):

    def test_equal_short_strings_are_one_object(self):
        text = models._encode(large_value())
        value = packing.loads(text)
        self.assertEqual(json.loads(text), value)
        tags = [t for r in value['recs'] for t in r['tags']]
        self.assertEqual(2, len({id(t) for t in tags}))
        value = packing.loads(json.dumps([{'a': 'x' * 40, 'b': 'x' * 40}]))
        self.assertIsNot(value[0]['a'], value[0]['b'])  # longer ones apart
        for text in ('"text"', '5', 'null', '{"a": 1, "a": 2}', '[]'):
            self.assertEqual(json.loads(text), packing.loads(text))
        for bad in ('{"a": 1', '[1,]', ''):
            with self.assertRaises(ValueError) as plain:
                json.loads(bad)
            with self.assertRaises(ValueError) as shared:
                packing.loads(bad)
            self.assertEqual(str(plain.exception), str(shared.exception))

    def test_read_back_values_share(self):
        t = models.JsonEncoded()
        sqlite = api.sa.create_engine('sqlite://').dialect
        value = t.process_result_value(
            t.process_bind_param(large_value(), sqlite), sqlite)
        self.assertEqual(large_value(), value)
        self.assertIs(value['recs'][0]['tags'][0],
                      value['recs'][-1]['tags'][0])


class StoredTest(unittest.TestCase):
    """Through an SQLite file set up by db/api.py."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        api.setup('sqlite:///' + os.path.join(tmp.name, 'db'),
                  create_tables=True)
        self.addCleanup(api.dispose)
        self.value = large_value()
        with api.transaction() as s:
            for id_, value in (('big', self.value), ('small', {'k': 'v'})):
                s.add(models.WorkflowExecution(
                    id=id_, state='RUNNING', project_id='p', input=value))

    def test_stored_as_a_blob_read_as_the_value(self):
        with api.session() as s:
            kinds = dict(s.execute(sa.text(
                'SELECT id, typeof(input) FROM workflow_executions')).all())
            self.assertEqual({'big': 'blob', 'small': 'text'}, kinds)
            row = s.get(models.WorkflowExecution, 'big')
            self.assertEqual(self.value, row.input)

    def test_json_filters_see_the_text(self):
        model = models.WorkflowExecution
        cases = [('has', 'me-05999', ['big']),
                 ('has', '"k"', ['small']),
                 ('eq', self.value, ['big']),
                 ('neq', self.value, ['small']),
                 ('in', [self.value, {'k': 'v'}], ['big', 'small'])]
        with api.session() as s:
            for op, value, ids in cases:
                clause = query.filter_clause(model, 'input', op, value)
                found = s.execute(sa.select(model.id).where(clause).order_by(
                    model.id)).scalars().all()
                self.assertEqual(ids, found, op)

    def test_list_rows_render_the_text(self):
        # The raw list path reads the stored value; what it renders is what
        # rendering the ORM row gives.
        plan = rows.plan_for(res.EXECUTION, ['id', 'input'])
        with api.session() as s:
            stored = s.execute(sa.select(
                *[query.stored(models.WorkflowExecution, n, 'sqlite')
                  for n in plan.columns]).order_by(
                      models.WorkflowExecution.id)).all()
            self.assertIsInstance(stored[0][1], bytes)
            rendered = plan.render(stored)
            expected = [res.EXECUTION.render(s.get(models.WorkflowExecution,
                                                   i), ['id', 'input'])
                        for i in ('big', 'small')]
        self.assertEqual(expected, rendered)
        convert = rows.json_values()
        self.assertEqual(self.value, convert(packing.pack(
            models._encode(self.value))))
