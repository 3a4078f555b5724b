"""The size check of ``[engine] execution_field_size_limit_kb`` measures
the JSON text of a value without building all of it at once."""

import datetime
import json
import random
import tracemalloc
import unittest

from mistral_clone import exceptions as exc
from mistral_clone.engine import settings


def _value(rnd, depth=0):
    r = rnd.random()
    if depth > 3 or r < 0.3:
        return rnd.choice([1, -2.5, 'x', 'é\u2028"\\', None, True, False,
                           float('nan'), float('inf'), 10 ** 30, 1e-7,
                           (1, 2), {1, 2}, datetime.datetime(2020, 1, 1),
                           ''])
    if depth == 0:
        n = rnd.choice([0, 1, 2, 7, 8, 9, 513, 1100])
    else:
        n = rnd.randint(0, 9)
    if r < 0.6:
        return [_value(rnd, depth + 1) for _ in range(n)]
    if r < 0.7:
        return tuple(_value(rnd, depth + 1) for _ in range(n))
    keys = rnd.choice([['a', 'b'], [1, 2.5, True, None, 'k'], ['"q"', 'é']])
    return {(rnd.choice(keys) if n < 10 else 'k%d' % i):
            _value(rnd, depth + 1) for i in range(n)}


class JsonLengthTest(unittest.TestCase):

    def test_same_length_as_json_dumps(self):
        rnd = random.Random(15)
        for _ in range(300):
            value = _value(rnd)
            self.assertEqual(len(json.dumps(value, default=str)),
                             settings.json_length(value), value)

    def test_same_errors_as_json_dumps(self):
        loop = []
        loop.append(loop)
        for value in (loop, [1, {(1, 2): 3}]):
            with self.assertRaises((ValueError, TypeError)) as want:
                json.dumps(value, default=str)
            with self.assertRaises(type(want.exception)) as got:
                settings.json_length(value)
            self.assertEqual(str(want.exception), str(got.exception))

    def test_large_list_measured_in_pieces(self):
        recs = [{'id': i, 'name': 'name-%05d' % i, 'tags': ['a', 'b']}
                for i in range(20000)]
        value = {'result': recs}
        text = len(json.dumps(value, default=str))
        tracemalloc.start()
        try:
            size = settings.json_length(value)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertEqual(text, size)
        # json.dumps holds about twice the text at its peak.
        self.assertLess(peak, text / 2)

    def test_limit_error_unchanged(self):
        s = settings.EngineSettings(field_size_limit_kb=1)
        value = {'recs': ['x' * 100] * 20}
        size_kb = (len(json.dumps(value)) + 49) // 1024
        with self.assertRaises(exc.SizeLimitExceededException) as e:
            s.check_size('published', value)
        self.assertIn('size=%dKB, limit=1KB' % size_kb, str(e.exception))
