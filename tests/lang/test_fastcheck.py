"""The compiled accept path (lang/fastcheck.py) decides as jsonschema does.

jsonschema-rs may only accept what jsonschema accepts: these tests compare
both on every pattern of the language, character by character, and on
many generated task, clause and workflow documents.
"""

import datetime
import json
import random
import re
import sys
import unittest
from unittest import mock

import jsonschema_rs

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

# Characters where Python's re, ECMA 262 and Rust's regex disagree, and
# some plain ones.
CHARACTERS = (
    [chr(c) for c in range(128)] +
    ['\x85', '\xa0', '\u1680', '\u2007', '\u2028', '\u202f', '\u3000',
     '\ufeff', '\u200b', '\xe9', '\u0301', '\xb2', '\xbd', '\u2167',
     '\u3007', '\u203f', '\u0663', '\u4e2d', '\U0001d11e', '\U0001d7d8',
     '\ufffd', '\U000e0041'])

TEMPLATES = [
    '%s', 'a%s', '%sa', 'a%sb', 'a%s\n', 'a%s\n\n', '%s\n', 'task%s x',
    'a b=%s', 'a%s b=c', 'a b%s=c', 'a(b=%s)', 'a%s(b=c)', 'a(b%s=c)',
    '<%%%s%%>', '<%% %s %%>', '<%%x%%>%s', '{{%s}}', '{{ x }}%s',
    '{{%s}}\n', '%s<%% x %%>', '{%s{ x }}',
]


def _rs_pattern(pattern):
    return jsonschema_rs.Draft202012Validator(
        {'type': 'string', 'pattern': fastcheck.translate(pattern)})


class PatternTest(unittest.TestCase):

    def test_every_pattern_of_the_language_is_translated(self):
        self.assertIn(r'^\w+$', PATTERNS)
        self.assertIn(r'^({{(.*?)}})\s*$', PATTERNS)
        for pattern in PATTERNS:
            _rs_pattern(pattern)
        for name, compiled in SCHEMAS.items():
            self.assertIsNotNone(compiled.fast._compile(), name)

    def test_shared_sub_schemas_are_compiled_once(self):
        # The task schema repeats its clause and expression sub-schemas
        # (200 patterns); jsonschema-rs gets each once, under $defs.
        self.assertEqual(200, json.dumps(tasks.DIRECT_SCHEMA).count(
            '"pattern'))
        translated = fastcheck._translate_schema(tasks.DIRECT_SCHEMA)
        self.assertLessEqual(json.dumps(translated).count('"pattern'), 8)
        self.assertIn('$ref', json.dumps(translated['properties']))

    def test_what_is_not_translated_stays_with_jsonschema(self):
        for pattern in (r'^(?!version$)[\w-]+$', r'\d+', r'a{2}', r'(a',
                        r'a$b', r'\bword', 'caf\xe9'):
            self.assertRaises(fastcheck.Untranslatable,
                              fastcheck.translate, pattern)
        # The workbook schema's lookahead: jsonschema validates it alone.
        self.assertIsNone(workbooks._VALIDATOR.fast._compile())
        self.assertFalse(workbooks._VALIDATOR.fast.accepts(
            {'version': '2.0', 'name': 'wb'}))
        wb = L.parse_workbook("version: '2.0'\nname: wb_fast\n")
        self.assertEqual('wb_fast', wb.name)

    def test_character_classes_are_those_of_re(self):
        # One string of every character re calls \w (\s), one of all the
        # others: the translated class must match all of the first and its
        # negation all of the second, hence exactly the same characters.
        everything = fastcheck.all_characters()
        self.assertEqual(sys.maxunicode + 1, len(everything))
        self.assertEqual('\U0010ffff', everything[-1])
        for name in ('w', 's'):
            inside = ''.join(re.findall('\\' + name, everything))
            outside = ''.join(re.findall('\\' + name.upper(), everything))
            self.assertEqual(len(everything), len(inside) + len(outside))
            for pattern, text in ((r'^\%s+$' % name, inside),
                                  (r'^\%s+$' % name.upper(), outside)):
                self.assertTrue(_rs_pattern(pattern).is_valid(text),
                                pattern)

    def test_character_classes_are_built_a_plane_at_a_time(self):
        # Not a string of every code point at once (~13 MB for a moment
        # in every API process): a plane's string is 256 KB.
        import tracemalloc
        tracemalloc.start()
        try:
            spans = fastcheck._spans('w')
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 4 * 1024 * 1024)
        self.assertEqual(''.join(re.findall(r'\w', fastcheck.characters(0))),
                         ''.join(''.join(map(chr, range(a, b)))
                                 for a, b in spans if b <= 65536))

    def test_patterns_match_as_re_does(self):
        strings = [t % c for t in TEMPLATES for c in CHARACTERS]
        strings += ['', '\n', 'x\ny', '<% a\nb %>', '{{ a\nb }}']
        # The language's patterns, and the rest of what translate() takes.
        others = [r'a\.b$', r'^\(x\)\[\]\{\}', r'\$\^\|\\', r'a|b$',
                  r'^(?:ab)+?$', r'x*y+z?', r'^\W\s\S$', r'<%=-,:>']
        strings += ['a.b', 'axb', '(x)[]{}', '$^|\\', 'ab\n', 'abab',
                    'xyz', '\xe9 x', '_\t\xa0', '<%=-,:>']
        for pattern in PATTERNS + others:
            fast = _rs_pattern(pattern)
            for s in strings:
                self.assertEqual(bool(re.search(pattern, s)),
                                 fast.is_valid(s), (pattern, s))


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

    def test_not_json_is_left_to_jsonschema(self):
        task = SCHEMAS['direct task']
        for doc in ({'input': {'d': datetime.date(2026, 1, 1)}},
                    {'input': {1: 'x'}}, {'input': {'a': {1, 2}}},
                    {'input': {'a': b'x'}}, {'on-success': '\ud800'}):
            doc.update(name='t', version='2.0', action='std.noop')
            self.assertFalse(task.fast.accepts(doc), doc)
        # A string jsonschema-rs cannot hold, where no pattern looks.
        doc = {'input': {'a': '\ud800'}, 'name': 't', 'version': '2.0',
               'action': 'std.noop'}
        self.assertTrue(task.validator.is_valid(doc))
        self.assertIsNone(task.best_error(doc))
        # NaN is a number to jsonschema only (jsonschema-rs 0.34 reads
        # null): jsonschema's verdict stands.
        doc['input'] = {'a': float('nan'), 'b': float('inf')}
        self.assertIsNone(task.best_error(doc))
        doc['timeout'] = float('nan')
        self.assertFalse(task.fast.accepts(doc))
        self.assertIsNotNone(task.best_error(doc))

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
