import os
import unittest

import yaml

from mistral_clone import exceptions as exc
import mistral_clone.lang as L
from mistral_clone.lang import yaml_loader
from tests import paths

TWO = """---
version: '2.0'
# comment
wf_a:
  description: first one
  type: direct
  input:
    - a
    - b: 5
    - c: "x"
    - n: "\u00fcn\u00ef"
    - m: "2"
  output:
    z: <% $.a %>
    y: 1
  tags: [t1, t2]
  tasks:
    task1:
      action: std.echo output="<% $.a %>"
      publish:
        r: <% task().result %>
      on-success:
        - task2: <% $.r != null %>
    task2:
      action: std.noop
wf_b:
  tasks:
    only: {action: std.noop}
"""

# What the reference stores for wf_a / wf_b of the document above.
FRAGMENT_A = (
    "version: '2.0'\nwf_a:\n  description: first one\n  type: direct\n"
    "  input:\n  - a\n  - b: 5\n  - c: x\n  - n: \"\\xFCn\\xEF\"\n"
    "  - m: '2'\n  output:\n    z: <% $.a %>\n    y: 1\n  tags:\n  - t1\n"
    "  - t2\n  tasks:\n    task1:\n      action: std.echo output=\"<% $.a %>\"\n"
    "      publish:\n        r: <% task().result %>\n      on-success:\n"
    "      - task2: <% $.r != null %>\n    task2:\n      action: std.noop\n")
FRAGMENT_B = ("version: '2.0'\nwf_b:\n  tasks:\n    only:\n"
              "      action: std.noop\n")

WORKBOOK = """version: '2.0'
name: my_wb
description: a wb
tags: [x]
workflows:
  wf1:
    type: direct
    input: [a]
    tasks:
      t1:
        action: act1 p=1
        on-success: t2
      t2:
        workflow: wf2
  wf2:
    tasks:
      t: {action: std.noop}
actions:
  act1:
    input: [p, {q: "z"}]
    base: std.echo output=<% $.p %>
    output: <% $ %>
"""

ACTIONS = """version: '2.0'
a_one:
  description: d
  tags: [t]
  input:
    - x
    - y: 2
    - z: "s"
    - w: null
    - v: [1, "a"]
  base: std.echo output="<% $.x %>" extra=3
  base-input:
    output: <% $.y %>
  output: <% $ %>
a_two:
  base: std.noop
"""


class WorkflowDocumentTest(unittest.TestCase):

    def test_single_workflow_definition_is_the_text(self):
        text = ("---\nversion: '2.0'\n\nwf_c:\n  input: [x, {y: 2}]\n"
                "  tasks:\n    t:\n      action: std.noop\n")
        wf, = L.parse_workflows(text)
        self.assertEqual(text, wf.definition)
        self.assertEqual('x, y="2"', wf.input_display())

    def test_fragments_match_reference(self):
        a, b = L.parse_workflows(TWO)
        self.assertEqual(['wf_a', 'wf_b'], [a.name, b.name])
        self.assertEqual(FRAGMENT_A, a.definition)
        self.assertEqual(FRAGMENT_B, b.definition)

    def test_fragment_keeps_document_version_value(self):
        a, b = L.parse_workflows(
            'version: 2\nwf_a:\n  tasks:\n    t: {action: std.noop}\n'
            'wf_b:\n  tasks:\n    t: {action: std.noop}\n')
        self.assertEqual('version: 2\nwf_a:\n  tasks:\n    t:\n'
                         '      action: std.noop\n', a.definition)

    def test_fragment_round_trip(self):
        a, _ = L.parse_workflows(TWO)
        again = L.get_workflow_spec(a.definition)
        self.assertEqual(a.raw, again.raw)
        self.assertEqual(a.interface(), again.interface())
        self.assertEqual(a.input_display(), again.input_display())

    def test_bytes_input(self):
        wf, _ = L.parse_workflows(TWO.encode('utf-8'))
        self.assertEqual('wf_a', wf.name)


class WorkbookTest(unittest.TestCase):

    def test_workbook(self):
        wb = L.parse_workbook(WORKBOOK)
        self.assertEqual('my_wb', wb.name)
        self.assertEqual('a wb', wb.description)
        self.assertEqual(['x'], wb.tags)
        self.assertEqual('2.0', wb.version)
        self.assertEqual(['wf1', 'wf2'], [w.name for w in wb.workflows])
        self.assertEqual(['act1'], [a.name for a in wb.actions])
        wf1 = wb.workflows[0]
        self.assertEqual('wf1', wf1.raw['name'])
        self.assertEqual({'input': ['a'], 'output': []}, wf1.interface())
        self.assertEqual('act1', wf1.tasks['t1'].action)
        act, = wb.actions
        self.assertEqual('std.echo', act.base)
        self.assertEqual({'output': '<% $.p %>'}, act.base_input)
        self.assertEqual('p, q="z"', act.input_display())

    def test_member_definitions_match_reference(self):
        wb = L.parse_workbook(WORKBOOK)
        self.assertEqual(
            'wf1:\n  type: direct\n  input: [a]\n  tasks:\n    t1:\n'
            '      action: act1 p=1\n      on-success: t2\n    t2:\n'
            '      workflow: wf2\n', wb.workflows[0].definition)
        self.assertEqual('wf2:\n  tasks:\n    t: {action: std.noop}\n',
                         wb.workflows[1].definition)
        self.assertEqual(
            'act1:\n  input: [p, {q: "z"}]\n  base: std.echo output=<% $.p %>'
            '\n  output: <% $ %>\n', wb.actions[0].definition)

    def test_member_slices_deeper_indent_and_comments(self):
        text = ("version: '2.0'\nname: wb\nworkflows:\n    wf1:\n"
                "        tasks:\n            t1:\n"
                "                action: std.noop\n\n"
                "            t2: {action: std.noop}\n\n"
                "    wf2:\n        tasks: {t: {action: std.noop}}\n"
                "actions:\n    a2:\n      base: std.echo output=1\n"
                "      # c\n")
        wb = L.parse_workbook(text)
        self.assertEqual(
            'wf1:\n    tasks:\n        t1:\n            action: std.noop\n'
            '\n        t2: {action: std.noop}\n', wb.workflows[0].definition)
        self.assertEqual('wf2:\n    tasks: {t: {action: std.noop}}\n',
                         wb.workflows[1].definition)
        self.assertEqual('a2:\n  base: std.echo output=1\n  # c\n',
                         wb.actions[0].definition)

    def test_member_definitions_parse_back(self):
        wb = L.parse_workbook(WORKBOOK)
        wf = L.get_workflow_spec(wb.workflows[0].definition, 'my_wb.wf1')
        self.assertEqual('my_wb.wf1', wf.name)
        self.assertEqual(['t1', 't2'], list(wf.tasks))
        act = L.get_action_spec(wb.actions[0].definition, 'my_wb.act1')
        self.assertEqual('my_wb.act1', act.name)
        self.assertEqual('std.echo', act.base)

    def test_flow_style_members_fall_back_to_dump(self):
        wb = L.parse_workbook("version: '2.0'\nname: wb\nworkflows: {w: "
                              "{tasks: {t: {action: std.noop}}}}\n")
        self.assertEqual('w:\n  tasks:\n    t:\n      action: std.noop\n',
                         wb.workflows[0].definition)
        L.get_workflow_spec(wb.workflows[0].definition, 'wb.w')

    def test_version_int_accepted(self):
        wb = L.parse_workbook("version: 2\nname: wb\n")
        self.assertEqual([], wb.workflows)


class ActionsTest(unittest.TestCase):

    def test_actions(self):
        one, two = L.parse_actions(ACTIONS)
        self.assertEqual('a_one', one.name)
        self.assertEqual('d', one.description)
        self.assertEqual(['t'], one.tags)
        self.assertEqual('std.echo', one.base)
        # Inline base params merged under base-input (base-input wins).
        self.assertEqual({'output': '<% $.y %>', 'extra': 3}, one.base_input)
        self.assertEqual('<% $ %>', one.output)
        self.assertEqual([('x', L.NO_DEFAULT), ('y', 2), ('z', 's'),
                          ('w', None), ('v', [1, 'a'])], one.input)
        # Reference action "input" field formatting (JSON defaults).
        self.assertEqual('x, y=2, z="s", w=null, v=[1, "a"]',
                         one.input_display())
        self.assertIsNone(two.input_display())
        self.assertIsNone(two.output)
        self.assertEqual({}, two.base_input)
        self.assertEqual('a_two', two.raw['name'])
        # The reference stores the whole document for every action.
        self.assertEqual(ACTIONS, one.definition)
        self.assertEqual(ACTIONS, two.definition)

    def test_get_action_spec_selects_by_name(self):
        spec = L.get_action_spec(ACTIONS, 'a_two')
        self.assertEqual('a_two', spec.name)
        self.assertEqual('std.noop', spec.base)
        with self.assertRaises(exc.InvalidModelException):
            L.get_action_spec(ACTIONS)


class CacheTest(unittest.TestCase):

    def test_same_object_for_same_text(self):
        text = ("version: '2.0'\ncached_wf:\n  tasks:\n"
                "    t: {action: std.noop}\n")
        a = L.get_workflow_spec(text)
        b = L.get_workflow_spec(text)
        self.assertIs(a, b)
        self.assertIs(a, L.get_workflow_spec(text.encode('utf-8')))
        self.assertIsNot(a, L.get_workflow_spec(text + '\n'))
        self.assertEqual('cached_wf', a.name)
        self.assertEqual(text, a.definition)

    def test_cache_is_bounded_by_entries_and_text_size(self):
        from mistral_clone.lang import _LRU
        lru = _LRU(3, max_weight=100)
        for k in 'abc':
            lru.put(k, k.upper(), 10)
        lru.put('d', 'D', 10)          # over 3 entries: the oldest goes
        self.assertIsNone(lru.get('a'))
        self.assertEqual('B', lru.get('b'))   # now the newest used
        lru.put('big', 'BIG', 85)      # over 100 bytes: c, then d go
        self.assertEqual([None, None], [lru.get('c'), lru.get('d')])
        self.assertEqual(['B', 'BIG'], [lru.get('b'), lru.get('big')])
        lru.put('huge', 'HUGE', 1000)  # alone over the bound: still kept
        self.assertEqual('HUGE', lru.get('huge'))
        self.assertIsNone(lru.get('big'))

    def test_uploaded_documents_few_kept(self):
        # Validated uploads: the recent ones only (an API worker kept
        # every upload's specs up to 2 MB of text).
        texts = ["version: '2.0'\nup_%d:\n  tasks:\n"
                 "    t: {action: std.noop}\n" % i
                 for i in range(L.DOCUMENT_CACHE_SIZE + 1)]
        first = [L.parse_workflows(t)[0] for t in texts]
        self.assertIs(first[-1], L.parse_workflows(texts[-1])[0])
        self.assertIsNot(first[0], L.parse_workflows(texts[0])[0])
        self.assertEqual(first[0].name, L.parse_workflows(texts[0])[0].name)

    def test_action_cache(self):
        a = L.get_action_spec(ACTIONS, 'a_one')
        self.assertIs(a, L.get_action_spec(ACTIONS, 'a_one'))

    def test_fragment_without_version(self):
        spec = L.get_workflow_spec('w:\n  tasks:\n    t: {action: std.noop}\n')
        self.assertEqual('w', spec.name)

    def test_selecting_among_several(self):
        spec = L.get_workflow_spec(TWO, 'wf_b')
        self.assertEqual('wf_b', spec.name)
        with self.assertRaises(exc.InvalidModelException):
            L.get_workflow_spec(TWO)

    def test_stored_definitions_are_built_not_validated(self):
        # Like the reference running a workflow stored with
        # ?skip_validation: what was stored is what runs.
        spec = L.get_workflow_spec(
            "version: '2.0'\nw:\n  tasks:\n    t1:\n      action: std.noop"
            "\n      timeout: -1\n      on-success: t1\n      foo: 1\n")
        self.assertEqual(-1, spec.tasks['t1'].policies.timeout)
        self.assertEqual([('t1', {}, None)],
                         spec.tasks['t1'].transitions('on-success').entries)
        self.assertEqual([], spec.start_task_names())
        self.assertEqual({}, L.get_workflow_spec(
            "version: '2.0'\nw:\n  tasks: {}\n").tasks)
        # Except transitions to unknown tasks: the engine cannot run them.
        with self.assertRaises(exc.InvalidModelException):
            L.get_workflow_spec("version: '2.0'\nw:\n  tasks:\n    t1:\n"
                                "      on-success: nope\n")

    def test_stored_definitions_need_no_schema_validator(self):
        # An engine reads definitions back to run them: that a document
        # is a mapping is no reason to compile a schema check or to load
        # jsonschema.
        from unittest import mock
        from mistral_clone.lang import fastcheck
        with mock.patch.object(fastcheck.FastCheck, 'accepts',
                               side_effect=AssertionError('validated')):
            spec = L.get_workflow_spec(
                "version: '2.0'\nno_validator_wf:\n  tasks:\n"
                "    t: {action: std.noop}\n", 'no_validator_wf')
            action = L.get_action_spec(ACTIONS + '\n', 'a_two')
        self.assertEqual('no_validator_wf', spec.name)
        self.assertEqual('std.noop', action.base)

    def test_stored_definition_that_cannot_be_built_raises(self):
        with self.assertRaises(exc.InvalidModelException) as ctx:
            L.get_workflow_spec("version: '2.0'\nw:\n  tasks: 5\n")
        self.assertEqual("Invalid DSL: 5 is not of type 'object'\n\n"
                         "On instance['tasks']:\n    5",
                         ctx.exception.message)


class YamlLoaderTest(unittest.TestCase):

    def test_empty_document(self):
        self.assertEqual({}, yaml_loader.load(''))
        self.assertEqual({}, yaml_loader.load('# only a comment\n'))

    def test_matches_safe_load(self):
        text = ("a: 1\nb: [1, 2.5, true, null, ~, 'x', \"y\", 0x10, 1_000, "
                ".inf, yes, No, '', -3, +4, 1:20]\nc:\nd: |\n  block\n"
                "e: 2020-01-01\nf: !!str 5\n? g\n: h\n")
        plain = ("a: [1, 2.5, true, null, ~, 'x', 0x10, .inf, yes, No, -3, "
                 "1:20, 'true', \"1\"]\nb: [1, 2.5, true, null, ~, x, 0x10, "
                 ".inf, yes, No, -3, 1:20, true, 1]\n")
        # Twice: plain scalars are remembered between documents.
        for _ in range(2):
            for t in (text, plain, 'e: 2020-01-01\n'):
                self.assertEqual(yaml.safe_load(t), yaml_loader.load(t))

    def test_aliases_rejected(self):
        bomb = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
                'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n')
        with self.assertRaises(exc.DSLParsingException) as ctx:
            yaml_loader.load(bomb)
        self.assertIn('Definition could not be parsed', str(ctx.exception))
        with self.assertRaises(exc.DSLParsingException):
            L.parse_workflows("version: '2.0'\nw:\n  tasks:\n"
                              "    t1: &x {action: std.noop}\n    t2: *x\n")

    def test_unsafe_tags_rejected(self):
        with self.assertRaises(exc.DSLParsingException):
            yaml_loader.load('a: !!python/name:os.system\n')

    def test_duplicate_keys_last_wins(self):
        self.assertEqual({'a': 2}, yaml_loader.load('a: 1\na: 2\n'))

    def test_multiplication_is_not_an_alias(self):
        self.assertEqual({'a': '<% $.a * 2 %>'},
                         yaml_loader.load('a: <% $.a * 2 %>\n'))


class ConformanceInvalidDefinitionsTest(unittest.TestCase):
    """Every public iv-* conformance case must be rejected (HTTP 400)."""

    CASES_DIR = os.path.join(paths.conformance_dir(), 'cases', 'public')

    def test_iv_cases(self):
        if not os.path.isdir(self.CASES_DIR):
            self.skipTest('conformance cases not available')
        names = sorted(n for n in os.listdir(self.CASES_DIR)
                       if n.startswith('iv-') and n.endswith('.yaml'))
        self.assertTrue(names)
        for n in names:
            with open(os.path.join(self.CASES_DIR, n)) as f:
                case = yaml.safe_load(f)
            with self.subTest(case=n):
                self.assertTrue(case['expect'].get('create_error'))
                with self.assertRaises(exc.DSLParsingException) as ctx:
                    L.parse_workflows(case['definition'])
                self.assertEqual(400, ctx.exception.http_code)

    def test_valid_public_cases_parse(self):
        if not os.path.isdir(self.CASES_DIR):
            self.skipTest('conformance cases not available')
        for n in sorted(os.listdir(self.CASES_DIR)):
            if n.startswith('iv-') or not n.endswith('.yaml'):
                continue
            with open(os.path.join(self.CASES_DIR, n)) as f:
                case = yaml.safe_load(f)
            if case.get('expect', {}).get('create_error'):
                continue
            with self.subTest(case=n):
                if case.get('kind') == 'workbook':
                    L.parse_workbook(case['definition'])
                else:
                    L.parse_workflows(case['definition'])
                if isinstance(case.get('actions'), str):
                    L.parse_actions(case['actions'])
