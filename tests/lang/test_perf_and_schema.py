import time
import unittest
from unittest import mock

from mistral_clone import exceptions as exc
import mistral_clone.lang as L
from mistral_clone.lang import parser
from mistral_clone.lang import validation
from tests.lang.documents import big_workflow


class PerformanceTest(unittest.TestCase):
    """Smoke benchmark (no timing assertion; speed is measured by bench/).

    Measured with bench/lang_parse.py (CPU time, expressions already known
    to the expression cache): ~7 ms to parse and validate this 100-task
    workflow for the first time, ~2.6 ms for a 100-task std.noop chain (the
    reference: 16-50 s); a document seen before costs a cache lookup.
    """

    def test_100_tasks(self):
        L.parse_workflows(big_workflow(100))  # warm the expression caches
        start = time.perf_counter()
        runs = 3
        for i in range(runs):
            wf, = L.parse_workflows(big_workflow(100, prefix='run%d' % i))
        self.elapsed_ms = (time.perf_counter() - start) * 1000 / runs
        self.assertEqual(101, len(wf.tasks))
        self.assertEqual(['task0'], wf.start_task_names())
        self.assertEqual(['task98'], wf.inbound_task_names('task99'))

    def test_documents_parsed_once(self):
        text = big_workflow(3, prefix='cached')
        first = L.parse_workflows(text)
        with mock.patch.object(parser, 'parse_workflows',
                               side_effect=AssertionError('parsed again')):
            again = L.parse_workflows(text)
        self.assertIsNot(first, again)  # a list of its own...
        self.assertEqual([id(s) for s in first], [id(s) for s in again])
        self.assertIsNot(first[0], L.parse_workflows(text + '\n')[0])
        wb = "version: '2.0'\nname: cached_wb\n"
        self.assertIs(L.parse_workbook(wb), L.parse_workbook(wb))
        # Without validation is another parse (it may accept more).
        self.assertIsNot(L.parse_workbook(wb),
                         L.parse_workbook(wb, validate=False))


H = "version: '2.0'\n"


def _error(parse, text):
    try:
        parse(text)
    except exc.InvalidModelException as e:
        return e.message
    raise AssertionError('accepted: %s' % text)


class SchemaValidationTest(unittest.TestCase):
    """jsonschema decides and words the error; we add where it is."""

    def test_location_from_the_workflow(self):
        self.assertEqual(
            "Invalid DSL: 'abc' is not valid under any of the given schemas"
            "\n\nOn instance['tasks']['t1']['retry']['count']:\n    'abc'",
            _error(L.parse_workflows, H + 'wf:\n  tasks:\n    t1:\n'
                   '      action: std.noop\n'
                   '      retry: {count: abc, delay: 1}\n'))

    def test_location_of_a_whole_task_shows_it_as_validated(self):
        msg = _error(L.parse_workflows, H + 'wf:\n  tasks:\n    t1:\n'
                     '      action: std.noop\n      retries: 3\n')
        self.assertEqual(
            "Invalid DSL: Additional properties are not allowed ('retries' "
            "was unexpected)\n\nOn instance['tasks']['t1']:\n"
            "    {'action': 'std.noop',\n     'retries': 3,\n"
            "     'type': 'direct',\n     'name': 't1',\n"
            "     'version': '2.0'}", msg)

    def test_location_of_workflow_retry_one_liner_and_defaults(self):
        self.assertIn(
            "\n\nOn instance['input']:\n    {'a': 1}",
            _error(L.parse_workflows, H + 'wf:\n  input: {a: 1}\n  tasks:\n'
                   '    t1: {action: std.noop}\n'))
        self.assertIn(
            "\n\nOn instance['tasks']['t1']['retry']:\n"
            "    {'count': 1, 'foo': 2}",
            _error(L.parse_workflows, H + 'wf:\n  tasks:\n    t1:\n'
                   '      action: std.noop\n      retry: count=1 foo=2\n'))
        self.assertIn(
            "\n\nOn instance['task-defaults']['timeout']:\n    -1",
            _error(L.parse_workflows, H + 'wf:\n  task-defaults:\n'
                   '    timeout: -1\n  tasks:\n    t1: {action: std.noop}\n'))

    def test_location_in_workbooks_and_actions(self):
        self.assertIn(
            "\n\nOn instance['workflows']['wf1']['tasks']['t']['timeout']:"
            "\n    -1",
            _error(L.parse_workbook, H + 'name: wb\nworkflows:\n  wf1:\n'
                   '    tasks:\n      t: {action: std.noop, timeout: -1}\n'))
        self.assertIn(
            "\n\nOn instance['workflows']:\n",
            _error(L.parse_workbook, H + 'name: wb\nworkflows: {}\n'))
        self.assertIn(
            "\n\nOn instance['input']:\n    {'a': 1}",
            _error(L.parse_actions, H + 'a1:\n  base: std.noop\n'
                   '  input: {a: 1}\n'))
        self.assertIn(
            "\n\nOn instance:\n",
            _error(L.parse_actions, 'a1:\n  base: std.noop\n'))

    def test_keys_that_are_not_strings_are_refused(self):
        # jsonschema raised TypeError on them (an HTTP 500).
        self.assertEqual(
            "Invalid DSL: 1 is not of type 'string'\n\n"
            "On instance['tasks']:\n    1",
            _error(L.parse_workflows, H + 'wf:\n  tasks:\n'
                   '    1: {action: std.noop}\n'))
        self.assertEqual(
            "Invalid DSL: 2 is not of type 'string'\n\n"
            "On instance['tasks']['t']['input']:\n    2",
            _error(L.parse_workflows, H + 'wf:\n  tasks:\n'
                   '    t: {action: std.noop, input: {a: 1, 2: 3}}\n'))
        self.assertIn(
            "On instance['tasks']['t']['on-success'][0]:\n    1",
            _error(L.parse_workflows, H + 'wf:\n  tasks:\n    t:\n'
                   '      action: std.noop\n'
                   "      on-success: [{1: '<% 1 %>'}]\n"))
        self.assertIn(
            "On instance['workflows']['wf']['tasks']['t']['publish']:"
            "\n    True",
            _error(L.parse_workbook, H + 'name: wb\nworkflows:\n  wf:\n'
                   '    tasks:\n      t: {action: std.noop, '
                   'publish: {true: 1}}\n'))

    def test_long_values_are_cut(self):
        msg = _error(L.parse_workflows, big_workflow(100).replace(
            "version: '2.0'\n", ''))
        self.assertTrue(msg.startswith(
            "Invalid DSL: 'version' is a required property\n\n"
            "On instance:\n    {'big': {'input': ['a', {'b': 5}],"), msg)
        self.assertTrue(msg.endswith(' ...'))
        self.assertLess(len(msg), validation.SHOWN_MAX + 200)

    def test_schemas_compiled_once(self):
        # Parsing never builds a validator: each spec module compiled its
        # schema at import.
        with mock.patch.object(validation, 'compile_schema',
                               side_effect=AssertionError('compiled')):
            L.parse_workflows(big_workflow(3, prefix='once'))
            _error(L.parse_workflows, H + 'wf:\n  tasks:\n    t1:\n'
                   '      action: std.noop\n      timeout: -1\n')


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
            self.assertEqual(wf.tasks['t'].policies.retry,
                             clone.tasks['t'].policies.retry)
            self.assertEqual(['t'], clone.start_task_names())
