"""The compiled accept path (lang/fastcheck.py) decides as jsonschema does.

It must answer exactly as jsonschema's validator: these tests compare both
on every keyword it compiles over values where Python's types and JSON
schema's disagree, and on many generated task, clause and workflow
documents.
"""

import datetime
import json
import random
import subprocess
import sys
import textwrap
import unittest
from unittest import mock

from mistral_clone import exceptions as exc
import mistral_clone.lang as L
from mistral_clone.lang import actions
from mistral_clone.lang import fastcheck
from mistral_clone.lang import parser
from mistral_clone.lang import policies
from mistral_clone.lang import tasks
from mistral_clone.lang import transitions
from mistral_clone.lang import validation
from mistral_clone.lang import workbooks
from mistral_clone.lang import workflows

SCHEMAS = {
    'direct task': tasks._VALIDATORS['direct'],
    'reverse task': tasks._VALIDATORS['reverse'],
    'task-defaults': tasks._DEFAULTS,
    'workflow': workflows._VALIDATOR,
    'retry': policies._RETRY,
    'action': actions._VALIDATOR,
    'list': parser._LIST,
    'workbook': workbooks._VALIDATOR,
}


def _patterns(schema, found):
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == 'pattern':
                found.add(value)
            elif key == 'patternProperties':
                found.update(value)
                _patterns(list(value.values()), found)
            elif key not in ('enum', 'required'):
                _patterns(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _patterns(item, found)
    return found


PATTERNS = sorted(_patterns([s.schema for s in SCHEMAS.values()], set()))

class CompileTest(unittest.TestCase):

    def test_every_schema_of_the_language_is_compiled(self):
        for name, compiled in SCHEMAS.items():
            self.assertIsNotNone(compiled.fast._compile(), name)
        self.assertIn(r'^\w+$', PATTERNS)
        self.assertIn(r'^(?!version$)[\w-]+$', PATTERNS)

    def test_shared_sub_schemas_are_compiled_once(self):
        # The task schema repeats its clause and expression sub-schemas
        # (200 patterns): each is compiled once.
        self.assertEqual(200, json.dumps(tasks.DIRECT_SCHEMA).count(
            '"pattern'))
        compiler = fastcheck._Compiler()
        compiler.compile(tasks.DIRECT_SCHEMA)
        patterns = [s for s, _ in compiler._done.values() if 'pattern' in s]
        self.assertLessEqual(len(patterns), 10)

    def test_what_is_not_compiled_stays_with_jsonschema(self):
        for schema in ({'type': 'string', 'format': 'email'},
                       {'prefixItems': [{'type': 'string'}]},
                       {'type': 'object', 'properties': {
                           'a': {'$ref': '#/definitions/x'}}},
                       {'type': 'strange'}, {'items': [{}]},
                       {'additionalProperties': 'x'}):
            self.assertRaises(fastcheck.Uncompiled,
                              fastcheck.compile_schema, schema)
            compiled = validation.compile_schema(schema)
            self.assertFalse(compiled.fast.accepts('x'), schema)

    def test_jsonschema_rs_is_not_loaded(self):
        # Its 14.8 MB library put ~7 MB of code pages in the RSS of every
        # API worker that validated a definition (issue 14); a valid
        # document needs neither it nor jsonschema.
        code = textwrap.dedent('''\
            import sys
            import mistral_clone.lang as L
            L.parse_workflows("version: '2.0'\\nwf_x:\\n  tasks:\\n"
                              "    t1:\\n      action: std.noop\\n")
            print(sorted(m for m in sys.modules
                         if m.split('.')[0] in ('jsonschema',
                                                'jsonschema_rs')))
            ''')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             stdout=subprocess.PIPE, timeout=120)
        self.assertEqual('[]', out.stdout.decode().strip())


# Values where Python's types and jsonschema's disagree (bool is an int;
# an integral float is an integer; 1 == 1.0 == True), and values that are
# no JSON.
EDGE_VALUES = [
    None, True, False, 0, 1, -1, 1.0, 2.5, -0.5, float('nan'),
    float('inf'), '', 'a', 'ab', 'a\n', ' a', '\xe9', '\ud800', [], [1],
    [1, 1], [1, 1.0], [1, True], [True, True], [0, False], [None, None],
    ['a', 'a'], ['a', 'b'], [[1], [True]], [[True], [1], [True]],
    [{'a': 1}, {'a': 1}], [{'a': 1}, {'a': True}], [{'a': 1}, {'b': 1}],
    [[1, 2], [1, 2.0]], [b'ab', [97, 98]], {}, {'a': 1}, {'a': None},
    {'b': 'x'}, {'a': 1, 'b': 2}, {'a b': 1}, {'1': 1}, {'x': [1]},
    datetime.date(2026, 1, 1), b'x', b'a', {1, 2}, ('a',),
]

KEYWORD_SCHEMAS = [
    True, False, {}, {'description': 'x', 'title': 'y'},
    {'type': 'string'}, {'type': 'integer'}, {'type': 'number'},
    {'type': 'boolean'}, {'type': 'null'}, {'type': 'array'},
    {'type': 'object'}, {'type': ['integer', 'boolean']},
    {'type': ['string', 'null']}, {'type': ['number', 'string']},
    {'enum': ['a', 1, True, None]}, {'enum': [1]}, {'enum': [[1], {'a': 1}]},
    {'enum': ['a', 'b']}, {'const': True}, {'const': 1}, {'const': [1]},
    {'const': 'a'}, {'minLength': 1}, {'maxLength': 1},
    {'pattern': r'^\w+$'}, {'pattern': r'^\S+$'}, {'pattern': 'a$'},
    {'pattern': r'^(?!a$)[\w-]+$'}, {'minimum': 0}, {'maximum': 1},
    {'minimum': 0.5, 'type': 'number'}, {'minItems': 1},
    {'maxItems': 1}, {'uniqueItems': True}, {'uniqueItems': False},
    {'items': {'type': 'integer'}}, {'items': False}, {'items': True},
    {'required': ['a']}, {'minProperties': 1}, {'maxProperties': 1},
    {'properties': {'a': {'type': 'integer'}}},
    {'properties': {'a': {'type': 'integer'}},
     'additionalProperties': False},
    {'patternProperties': {'^a': {'type': 'integer'}},
     'additionalProperties': False},
    {'patternProperties': {'^a': True, '^b': {'type': 'string'}},
     'additionalProperties': {'type': 'null'}},
    {'properties': {'a': False}, 'additionalProperties': True},
    {'not': {'type': 'string'}}, {'not': {'required': ['a', 'b']}},
    {'anyOf': [{'type': 'string'}, {'minimum': 1}]},
    {'oneOf': [{'type': 'integer'}, {'type': 'number'}]},
    {'not': {'oneOf': [{'enum': [['a']]}, {'type': 'string'}]}},
    {'oneOf': [{'type': 'string'}, {'minLength': 2}, {'maxLength': 0}]},
    {'allOf': [{'type': 'array'}, {'uniqueItems': True}]},
    {'type': 'object', 'minProperties': 1,
     'patternProperties': {r'^\w+$': {'anyOf': [
         {'type': 'string'}, {'type': 'integer'}, {'type': 'null'}]}}},
]


# Schemas that match patterns against keys in branches the check may not
# follow to their end.
# (jsonschema evaluates keywords in the schema's order, the check in its
# own: the required name is checked first.)
_KEYS = {'type': 'object', 'patternProperties': {'^a': {}},
         'required': ['z']}
KEY_SCHEMAS = [
    {'not': _KEYS}, {'anyOf': [_KEYS, {}]}, {'anyOf': [{}, _KEYS]},
    {'anyOf': [{'required': ['z']}, _KEYS]},
    {'oneOf': [_KEYS, {'type': 'string'}]},
    {'oneOf': [_KEYS, {'type': 'object'}]},
    {'oneOf': [{'type': 'object', 'required': ['z']}, _KEYS]},
    {'oneOf': [{'type': 'array', 'items': _KEYS}, {'type': 'object'}]},
    {'oneOf': [{'type': 'array'}, {'type': 'object', 'required': ['z']},
               {'items': {'not': _KEYS}}]},
    {'type': 'object', 'patternProperties': {'^a': True}},
    {'type': 'object', 'patternProperties': {'^a': {}},
     'additionalProperties': True},
    {'additionalProperties': {'type': 'object',
                              'patternProperties': {'x': {}}}},
    {'items': {'oneOf': [{'required': ['a']}, _KEYS]}},
    tasks.DIRECT_SCHEMA, transitions.SCHEMA,
]


class KeywordTest(unittest.TestCase):

    def test_every_keyword_decides_as_jsonschema(self):
        from jsonschema import validators
        for schema in KEYWORD_SCHEMAS:
            check = fastcheck.compile_schema(schema)
            reference = validators.validator_for(schema)(schema)
            for value in EDGE_VALUES:
                self.assertEqual(reference.is_valid(value),
                                 bool(check(value)), (schema, value))

    def test_equal_and_unique_as_jsonschema(self):
        from jsonschema import _utils
        for a in EDGE_VALUES:
            for b in EDGE_VALUES:
                self.assertEqual(_utils.equal(a, b), fastcheck.equal(a, b),
                                 (a, b))
            if isinstance(a, list):
                self.assertEqual(_utils.uniq(a), fastcheck.unique(a), a)

    def test_keys_that_are_no_strings(self):
        # Where a pattern meets such a key jsonschema raises: never
        # accepted, jsonschema decides (also where a branch that was not
        # followed to its end might have met one: refusing more is
        # harmless, jsonschema has the last word).
        values = [{1: 'x'}, {'a': [{True: 1}]}, [{None: 1}], {'a': {1: 2}},
                  {'a': 1, 2: 'b'}, {(1,): 1}, [{'a': 1}, {b'a': 1}]]
        for schema in KEYWORD_SCHEMAS + KEY_SCHEMAS:
            compiled = validation.compile_schema(schema)
            for value in values:
                try:
                    expected = compiled.validator.is_valid(value)
                except TypeError:
                    expected = False
                if compiled.fast.accepts(value):
                    self.assertTrue(expected, (schema, value))
        # Where no pattern looks at keys, the check answers alone.
        anything = validation.compile_schema({'type': 'object'})
        self.assertTrue(anything.fast.accepts({1: 'x'}))
        self.assertTrue(anything.fast.accepts({'a': [{True: 1}]}))


def _values(rnd, depth=0):
    """A random JSON value, biased towards what the language's schemas
    look at."""
    strings = ['t2', 'std.noop', '<% $.x %>', '<%$.x%>', '{{ _.x }}',
               '<% $.x %> ', ' <% $.x %>', '<% $.x %>\n', 'fail msg="x"',
               'fail(msg=1)', 'a b', '', 'noop', 'x\n', '\xe9t\xe9',
               'a\u0301', 't\x1c2', 'all', 'one', 'direct', '2.0']
    kind = rnd.random()
    if kind < 0.4 or depth > 2:
        return rnd.choice(strings + [0, 1, -1, 3, 1.5, 2.0, True, False,
                                     None])
    if kind < 0.7:
        return [_values(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    keys = ['branch', 'global', 'atomic', 'publish', 'next', 'count',
            'delay', 'break-on', 'x', 'a b', '\xe9', 't2', 'fail(msg=1)',
            'fail msg=1', 'x\n']
    return {rnd.choice(keys): _values(rnd, depth + 1)
            for _ in range(rnd.randint(0, 3))}


VALID = {
    'direct task': {'action': 'std.noop', 'type': 'direct', 'name': 't',
                    'version': '2.0'},
    'reverse task': {'workflow': 'wf', 'type': 'reverse', 'name': 't',
                     'version': '2.0'},
    'task-defaults': {},
    'workflow': {'tasks': {'t': {'action': 'std.noop'}}, 'name': 'w',
                 'version': '2.0'},
    'retry': {'count': 1, 'delay': 1},
    'action': {'base': 'std.noop', 'name': 'a', 'version': '2.0'},
    'list': {'version': '2.0', 'w': {'tasks': {}}},
    'workbook': {'version': '2.0', 'name': 'wb'},
}

SAMPLES = {
    'on-success': [
        't2', ['t2', {'t3': '<% $.x %>'}], {'t2': '<% $.x %>'},
        {'next': '<%x%>'}, {'publish': {'branch': {'a': 1}}, 'next': 't2'},
        {'publish': {'global': {}}}, ['t2', 't2'], 'fail(msg=1)',
        'fail msg="x"', {'fail(msg=1)': '{{ x }}'}, {'next': ['a', 'b']},
        {'publish': {'atomic': {'a': None}}, 'next': {'t2': '<% 1 %>'}}],
    'retry': [{'count': 1, 'delay': 2}, {'count': '<% 1 %>', 'delay': 0},
              {'count': -1, 'delay': 1}, 'count=1', {'count': 1},
              {'count': 1, 'delay': 1, 'break-on': '<% x %>'}],
    'join': ['all', 'one', 0, 2, -1, 'some', True],
    'input': [{'a': 1}, '<% $ %>', ['a', {'b': 1}], ['a', 'a'],
              [{'a': 1, 'b': 2}], {'a b': 1}, {'\xe9': 1}, {}],
    'tasks': [{'t': {'action': 'x'}}, {}, {'a b': {'x': 1}}, {'t': {}},
              {'t\xe9': {'a': 1}}, {'t\n': {'a': 1}}],
    'with-items': ['x in <% $.a %>', ['a', 'a'], ['a', 'b'], '', []],
    'tags': [['a'], ['a', 'a'], [], 'a', [1]],
    'requires': ['t2', ['t2'], [], ['t2', 't2']],
    'base': ['std.noop', 'std.echo output=1', '', 3],
}
EXPRESSIONS = ['<% 1 %>', '{{ 1 }}', '<%1%>  ', '<% 1 %>\n', 'x',
               ' <% 1 %>', 5, 0, -1, True, 1.5]


def _sample(rnd, key):
    if key in SAMPLES and rnd.random() < 0.7:
        return rnd.choice(SAMPLES[key])
    if key.startswith('on-'):
        return rnd.choice(SAMPLES['on-success'])
    if rnd.random() < 0.5:
        return rnd.choice(EXPRESSIONS)
    return _values(rnd)


def _document(rnd, name, schema):
    """A valid document of ``schema`` with 0-2 random changes."""
    doc = dict(VALID[name])
    props = list(schema.get('properties', {})) + ['retries', 'x']
    for _ in range(rnd.choice((0, 1, 1, 1, 2))):
        key = rnd.choice(props)
        if key in doc and rnd.random() < 0.2:
            del doc[key]
        else:
            doc[key] = _sample(rnd, key)
    return doc


class DocumentTest(unittest.TestCase):

    def test_generated_documents(self):
        rnd = random.Random(20261130)
        seen = {True: 0, False: 0}
        for name, compiled in sorted(SCHEMAS.items()):
            for _ in range(600):
                doc = _document(rnd, name, compiled.schema)
                expected = compiled.validator.is_valid(doc)
                seen[expected] += 1
                self.assertEqual(expected, compiled.fast.accepts(doc),
                                 (name, doc))
        # Both verdicts were exercised.
        self.assertGreater(min(seen.values()), 200, seen)

    def test_clauses(self):
        clause = validation.compile_schema(transitions.SCHEMA)
        rnd = random.Random(7)
        for _ in range(1500):
            value = rnd.choice([_values(rnd),
                                rnd.choice(SAMPLES['on-success'])])
            self.assertEqual(clause.validator.is_valid(value),
                             clause.fast.accepts(value), value)

    def test_values_that_are_no_json(self):
        task = SCHEMAS['direct task']
        for doc in ({'input': {'d': datetime.date(2026, 1, 1)}},
                    {'input': {'a': {1, 2}}}, {'input': {'a': b'x'}},
                    {'on-success': '\ud800'}, {'input': {'a': '\ud800'}},
                    {'input': {'a': float('nan'), 'b': float('inf')}},
                    {'timeout': float('nan')}, {'timeout': 2.0}):
            doc.update(name='t', version='2.0', action='std.noop')
            self.assertEqual(task.validator.is_valid(doc),
                             task.fast.accepts(doc), doc)
        # A key that is no string: jsonschema decides (and raises where a
        # pattern meets it; Checks.schema words that).
        doc = {'input': {1: 'x'}, 'name': 't', 'version': '2.0',
               'action': 'std.noop'}
        self.assertFalse(task.fast.accepts(doc))
        self.assertRaises(TypeError, task.best_error, doc)

    def test_messages_come_from_jsonschema(self):
        text = ("version: '2.0'\nwf_dates:\n  tasks:\n    t1:\n"
                "      action: std.noop\n      input: {d: 2026-01-01}\n")
        with self.assertRaises(exc.InvalidModelException) as ctx:
            L.parse_workflows(text)
        self.assertEqual(
            "Invalid DSL: datetime.date(2026, 1, 1) is not valid under any "
            "of the given schemas\n\nOn instance['tasks']['t1']['input']"
            "['d']:\n    datetime.date(2026, 1, 1)", ctx.exception.message)

    def test_valid_documents_never_reach_jsonschema(self):
        text = ("version: '2.0'\nwf_fast_only:\n  task-defaults:\n"
                "    retry: {count: 2, delay: 1}\n  tasks:\n"
                "    t1:\n      action: std.echo output=<% $.a %>\n"
                "      on-success:\n        - t2: <% $.a != null %>\n"
                "    t2:\n      action: std.noop\n      timeout: 5\n")
        python_validator = type(SCHEMAS['direct task'].validator)
        with mock.patch.object(python_validator, 'iter_errors',
                               side_effect=AssertionError('slow')):
            wf, = L.parse_workflows(text)
        self.assertEqual(['t1'], wf.start_task_names())
