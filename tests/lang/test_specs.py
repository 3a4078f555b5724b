import unittest

import mistral_clone.lang as L
from mistral_clone.lang import NO_DEFAULT


def parse_one(text):
    specs = L.parse_workflows(text)
    assert len(specs) == 1
    return specs[0]


BASIC = """
version: '2.0'
wf:
  description: A workflow
  tags: [a, b]
  input:
    - x
    - y: 5
    - z: "s"
    - n: null
    - l: [1, 'a', "b c"]
    - d: {k: v, n: 1}
    - b: true
    - f: 1.5
    - e: ''
    - ex: <% $.x %>
  output:
    out: <% $.x %>
    two: 2
  output-on-error:
    err: 1
  vars:
    v1: 1
  tasks:
    t1:
      action: std.echo output="<% $.x %>" n=2
      input:
        output: override
      publish:
        p: <% task().result %>
      on-success:
        - t2: <% $.p != null %>
        - fail msg="giving up": <% $.p = null %>
      on-error: t3
    t2:
      workflow: sub_wf a=1
      with-items: i in [1, 2, 3]
      keep-result: false
      target: worker-1
    t3:
      description: handler
      tags: [h]
      join: one
      input: <% {a => 1} %>
"""


class WorkflowSpecTest(unittest.TestCase):

    def setUp(self):
        self.wf = parse_one(BASIC)

    def test_attributes(self):
        wf = self.wf
        self.assertEqual('wf', wf.name)
        self.assertEqual('2.0', wf.version)
        self.assertEqual('direct', wf.type)
        self.assertEqual('A workflow', wf.description)
        self.assertEqual(['a', 'b'], wf.tags)
        self.assertEqual({'out': '<% $.x %>', 'two': 2}, wf.output)
        self.assertEqual({'err': 1}, wf.output_on_error)
        self.assertEqual({'v1': 1}, wf.vars)
        self.assertIsNone(wf.task_defaults)
        self.assertEqual(['t1', 't2', 't3'], list(wf.tasks))

    def test_raw_has_name_and_version_injected_last(self):
        raw = self.wf.raw
        self.assertEqual(['description', 'tags', 'input', 'output',
                          'output-on-error', 'vars', 'tasks', 'name',
                          'version'], list(raw))
        self.assertEqual('wf', raw['name'])
        self.assertEqual('2.0', raw['version'])

    def test_input(self):
        inp = self.wf.input
        self.assertEqual(('x', NO_DEFAULT), inp[0])
        self.assertEqual(('y', 5), inp[1])
        self.assertEqual(('ex', '<% $.x %>'), inp[-1])
        self.assertEqual(['x', 'y', 'z', 'n', 'l', 'd', 'b', 'f', 'e', 'ex'],
                         [n for n, _ in inp])

    def test_interface(self):
        self.assertEqual({
            'input': ['x', {'y': 5}, {'z': 's'}, {'n': None},
                      {'l': [1, 'a', 'b c']}, {'d': {'k': 'v', 'n': 1}},
                      {'b': True}, {'f': 1.5}, {'e': ''},
                      {'ex': '<% $.x %>'}],
            'output': ['out', 'two'],
        }, self.wf.interface())

    def test_input_display(self):
        # Exactly the reference's workflow "input" field.
        self.assertEqual(
            'x, y="5", z="s", n="None", l="[1, \'a\', \'b c\']", '
            'd="{\'k\': \'v\', \'n\': 1}", b="True", f="1.5", e="", '
            'ex="<% $.x %>"', self.wf.input_display())

    def test_empty_interface(self):
        wf = parse_one("version: '2.0'\nw:\n  tasks:\n    t: {}\n"
                       .replace('{}', '{action: std.noop}'))
        self.assertEqual({'input': [], 'output': []}, wf.interface())
        self.assertEqual('', wf.input_display())
        self.assertEqual({}, wf.output)
        self.assertEqual({}, wf.vars)
        self.assertEqual([], wf.tags)

    def test_task_attributes(self):
        t1 = self.wf.tasks['t1']
        self.assertEqual('t1', t1.name)
        self.assertEqual('std.echo', t1.action)
        self.assertFalse(t1.action_is_expression)
        self.assertIsNone(t1.workflow)
        self.assertEqual({'output': '<% $.x %>', 'n': 2}, t1.inline_params)
        self.assertEqual({'output': 'override'}, t1.input)
        self.assertEqual({'p': '<% task().result %>'}, t1.publish)
        self.assertIsNone(t1.publish_on_error)
        self.assertIsNone(t1.publish_on_skip)
        self.assertIsNone(t1.with_items)
        self.assertIs(True, t1.keep_result)
        self.assertIsNone(t1.target)
        self.assertIs(False, t1.safe_rerun)
        self.assertIsNone(t1.join)
        self.assertEqual('ACTION', t1.type)
        self.assertEqual([], t1.tags)
        self.assertIsNone(t1.description)
        self.assertEqual('direct', t1.raw['type'])
        self.assertEqual('t1', t1.raw['name'])
        self.assertEqual('2.0', t1.raw['version'])

    def test_task_workflow_and_with_items(self):
        t2 = self.wf.tasks['t2']
        self.assertIsNone(t2.action)
        self.assertEqual('sub_wf', t2.workflow)
        self.assertEqual({'a': 1}, t2.inline_params)
        self.assertEqual('WORKFLOW', t2.type)
        self.assertEqual([('i', [1, 2, 3])], t2.with_items)
        self.assertIs(False, t2.keep_result)
        self.assertEqual('worker-1', t2.target)
        self.assertEqual({}, t2.input)

    def test_task_without_action_and_string_input(self):
        t3 = self.wf.tasks['t3']
        self.assertIsNone(t3.action)
        self.assertIsNone(t3.workflow)
        self.assertEqual('ACTION', t3.type)
        self.assertEqual('<% {a => 1} %>', t3.input)
        self.assertEqual(1, t3.join)
        self.assertEqual('handler', t3.description)
        self.assertEqual(['h'], t3.tags)

    def test_transitions(self):
        t1 = self.wf.tasks['t1']
        self.assertEqual(
            [('t2', {}, '<% $.p != null %>'),
             ('fail', {'msg': 'giving up'}, '<% $.p = null %>')],
            t1.transitions('on-success').entries)
        self.assertEqual([('t3', {}, None)],
                         t1.transitions('on-error').entries)
        self.assertEqual([], t1.transitions('on-complete').entries)
        self.assertEqual([], t1.transitions('on-skip').entries)
        self.assertIsNone(t1.transitions('on-success').publish_branch)

    def test_start_and_inbound(self):
        self.assertEqual(['t1'], self.wf.start_task_names())
        self.assertEqual(['t1'], self.wf.inbound_task_names('t2'))
        self.assertEqual(['t1'], self.wf.inbound_task_names('t3'))
        self.assertEqual([], self.wf.inbound_task_names('t1'))

    def test_immutable(self):
        with self.assertRaises(AttributeError):
            self.wf.name = 'x'
        with self.assertRaises(AttributeError):
            self.wf.tasks['t1'].action = 'x'
        with self.assertRaises(AttributeError):
            self.wf.tasks['t1'].policies.timeout = 1

    def test_action_expression(self):
        wf = parse_one("version: '2.0'\nw:\n  tasks:\n    t:\n"
                       "      action: <% $.act %> a=1\n")
        t = wf.tasks['t']
        self.assertEqual('<% $.act %>', t.action)
        self.assertTrue(t.action_is_expression)
        self.assertEqual({'a': 1}, t.inline_params)

    def test_with_items_forms(self):
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    t:
      with-items:
        - x in <% $.xs %>
        - y-1 in ["a", "b"]
      action: std.noop
    u:
      with-items: z in {{ _.zs }}
      action: std.noop
""")
        self.assertEqual([('x', '<% $.xs %>'), ('y-1', ['a', 'b'])],
                         wf.tasks['t'].with_items)
        self.assertEqual([('z', '{{ _.zs }}')], wf.tasks['u'].with_items)

    def test_join_values(self):
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    a:
      on-success: [j_all, j_one, j_2, j_0]
      on-error: [j_2]
    b:
      on-success: [j_2]
    j_all: {join: all}
    j_one: {join: one}
    j_2: {join: 2}
    j_0: {join: 0}
""")
        self.assertEqual('all', wf.tasks['j_all'].join)
        self.assertEqual(1, wf.tasks['j_one'].join)
        self.assertEqual(2, wf.tasks['j_2'].join)
        self.assertIsNone(wf.tasks['j_0'].join)
        self.assertEqual(['a', 'b'], wf.inbound_task_names('j_2'))
        self.assertEqual(['a', 'b'], wf.start_task_names())
        self.assertTrue(wf.has_joins)

    def test_has_joins(self):
        # Only join: 0 (no join) and no join at all: False; reverse
        # workflows never join.
        a_then_b = "w:\n  tasks:\n    a: {on-success: [b]}\n    b: "
        for text, joins in (
                (a_then_b + "{join: 0}", False),
                (a_then_b + "{action: std.noop}", False),
                (a_then_b + "{join: all}", True),
                ("w:\n  type: reverse\n  tasks:\n    a: {action: std.noop}"
                 "\n    b: {requires: [a]}", False)):
            wf = parse_one("version: '2.0'\n" + text)
            self.assertIs(joins, wf.has_joins, text)
            self.assertIs(joins, wf.has_joins, text)  # computed once


class TransitionFormsTest(unittest.TestCase):

    def test_dict_form_is_advanced_form(self):
        # A top-level one-key mapping is the advanced form: without 'next'
        # it yields no transition (observed on the reference).
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    t1:
      on-success: {t2: <% true %>}
    t2: {action: std.noop}
""")
        self.assertEqual([], wf.tasks['t1'].transitions('on-success').entries)
        self.assertEqual(['t1', 't2'], wf.start_task_names())

    def test_advanced_form(self):
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    t1:
      on-complete:
        publish:
          branch: {a: 1}
          global: {g: <% $.a %>}
          atomic: {c: 3}
        next:
          - t2
          - t3: <% $.a > 0 %>
    t2:
      on-success:
        next: {t3: <% true %>}
    t3:
      on-error:
        publish:
          global: {only: global}
""")
        c = wf.tasks['t1'].transitions('on-complete')
        self.assertEqual([('t2', {}, None), ('t3', {}, '<% $.a > 0 %>')],
                         c.entries)
        self.assertEqual({'a': 1}, c.publish_branch)
        self.assertEqual({'g': '<% $.a %>'}, c.publish_global)
        self.assertEqual([('t3', {}, '<% true %>')],
                         wf.tasks['t2'].transitions('on-success').entries)
        c3 = wf.tasks['t3'].transitions('on-error')
        self.assertEqual([], c3.entries)
        self.assertIsNone(c3.publish_branch)
        self.assertEqual({'only': 'global'}, c3.publish_global)
        self.assertEqual(['t1', 't2'], wf.inbound_task_names('t3'))

    def test_engine_command_params(self):
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    t1:
      on-error:
        - noop
        - fail msg="x"
        - succeed msg=<% $.m %>
        - pause
        - fail(msg="a b")
""")
        self.assertEqual(
            [('noop', {}, None), ('fail', {'msg': 'x'}, None),
             ('succeed', {'msg': '<% $.m %>'}, None), ('pause', {}, None),
             ('fail', {'msg': 'a b'}, None)],
            wf.tasks['t1'].transitions('on-error').entries)

    def test_transition_to_task_named_like_command_counts_as_inbound(self):
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    t1:
      on-success: fail
    fail:
      join: all
""")
        self.assertEqual(['t1'], wf.inbound_task_names('fail'))
        self.assertEqual(['t1'], wf.start_task_names())


def names(clause):
    return [name for name, _, _ in clause.entries]


class TaskDefaultsTest(unittest.TestCase):

    def test_policies_inheritance(self):
        wf = parse_one("""
version: '2.0'
w:
  task-defaults:
    timeout: 30
    wait-before: 2
    wait-after: <% $.w %>
    pause-before: true
    concurrency: 3
    fail-on: <% $.f %>
    retry: count=5 delay=10 break-on=<% $.b %>
    safe-rerun: true
  tasks:
    plain:
      action: std.noop
    own:
      action: std.noop
      timeout: 0
      wait-before: 7
      wait-after: 0
      pause-before: false
      concurrency: 0
      fail-on: false
      retry:
        count: 1
        delay: 2
        continue-on: <% $.c %>
      safe-rerun: false
""")
        p = wf.tasks['plain'].policies
        self.assertEqual(30, p.timeout)
        self.assertEqual(2, p.wait_before)
        self.assertEqual('<% $.w %>', p.wait_after)
        self.assertIs(True, p.pause_before)
        self.assertEqual(3, p.concurrency)
        self.assertEqual('<% $.f %>', p.fail_on)
        self.assertEqual(L.RetrySpec(5, 10, '<% $.b %>', None), p.retry)
        self.assertIs(True, wf.tasks['plain'].safe_rerun)

        o = wf.tasks['own'].policies
        # Inactive task values (0/false) do not cancel defaults.
        self.assertEqual(30, o.timeout)
        self.assertEqual(7, o.wait_before)
        self.assertEqual('<% $.w %>', o.wait_after)
        self.assertIs(True, o.pause_before)
        self.assertEqual(3, o.concurrency)
        self.assertEqual('<% $.f %>', o.fail_on)
        self.assertEqual(L.RetrySpec(1, 2, None, '<% $.c %>'), o.retry)
        # safe-rerun: a non-null task value wins.
        self.assertIs(False, wf.tasks['own'].safe_rerun)

        td = wf.task_defaults
        self.assertEqual(30, td.timeout)
        self.assertEqual('count=5 delay=10 break-on=<% $.b %>', td.raw['retry'])

    def test_no_defaults(self):
        wf = parse_one("version: '2.0'\nw:\n  tasks:\n    t:\n"
                       "      timeout: 0\n")
        p = wf.tasks['t'].policies
        self.assertEqual(0, p.timeout)
        self.assertIsNone(p.retry)
        self.assertIsNone(p.wait_before)

    def test_transition_inheritance(self):
        wf = parse_one("""
version: '2.0'
w:
  task-defaults:
    on-error: [handler]
    on-complete: [report]
  tasks:
    a:
      action: std.fail
      on-error: [own_handler]
    b:
      on-complete:
        publish:
          branch: {x: 1}
    own_handler: {}
    handler: {}
    report: {}
""".replace('{}', '{action: std.noop}'))
        t = wf.tasks
        self.assertEqual(['own_handler'],
                         names(t['a'].transitions('on-error')))
        self.assertEqual(['report'],
                         names(t['a'].transitions('on-complete')))
        # Own clause without entries -> default is used, publish kept.
        self.assertEqual(['report'],
                         names(t['b'].transitions('on-complete')))
        self.assertEqual({'x': 1},
                         t['b'].transitions('on-complete').publish_branch)
        # Self-exclusion.
        self.assertEqual([], names(t['handler'].transitions('on-error')))
        self.assertEqual([], names(t['report'].transitions('on-complete')))
        self.assertEqual(['report'],
                         names(t['handler'].transitions('on-complete')))
        self.assertEqual(['a', 'b'], wf.start_task_names())
        self.assertEqual(['b', 'own_handler', 'report'],
                         wf.inbound_task_names('handler'))
        self.assertEqual(['a', 'b', 'own_handler', 'handler'],
                         wf.inbound_task_names('report'))
        # Own clause only (no defaults).
        self.assertEqual([], names(t['b'].own_transitions('on-error')))

    def test_defaults_join_counts(self):
        wf = parse_one("""
version: '2.0'
w:
  task-defaults:
    on-complete: t3
  tasks:
    t1: {action: std.noop}
    t2: {action: std.noop}
    t3:
      join: 2
      action: std.noop
""")
        self.assertEqual(['t1', 't2'], wf.inbound_task_names('t3'))
        self.assertEqual(['t1', 't2'], wf.start_task_names())


class ReverseWorkflowTest(unittest.TestCase):

    def test_requires(self):
        wf = parse_one("""
version: '2.0'
build:
  type: reverse
  task-defaults:
    requires: [fetch]
    timeout: 5
  tasks:
    fetch:
      action: std.echo output=1
      publish: {v1: <% task().result %>}
    compile:
      action: std.echo output=2
      requires: fetch
    package:
      action: std.noop
      requires: [compile]
    unrelated:
      action: std.noop
""")
        self.assertEqual('reverse', wf.type)
        self.assertEqual([], wf.requires('fetch'))
        self.assertEqual(['fetch'], wf.requires('compile'))
        self.assertEqual(['compile', 'fetch'], wf.requires('package'))
        self.assertEqual(['fetch'], wf.tasks['unrelated'].requires)
        self.assertEqual('reverse', wf.tasks['fetch'].raw['type'])
        self.assertEqual(5, wf.tasks['fetch'].policies.timeout)
        self.assertEqual([], wf.tasks['compile'].transitions(
            'on-success').entries)
        self.assertIsNone(wf.tasks['compile'].join)
        self.assertEqual([], wf.start_task_names())
        self.assertEqual([], wf.requires('nope'))


class RetrySpecTest(unittest.TestCase):

    def test_forms(self):
        wf = parse_one("""
version: '2.0'
w:
  tasks:
    a:
      retry: count=3 delay=1 continue-on=<% $.x %>
    b:
      retry:
        count: <% $.n %>
        delay: 0
        break-on: '{{ _.stop }}'
""")
        ra = wf.tasks['a'].policies.retry
        self.assertEqual((3, 1, None, '<% $.x %>'),
                         (ra.count, ra.delay, ra.break_on, ra.continue_on))
        rb = wf.tasks['b'].policies.retry
        self.assertEqual(('<% $.n %>', 0, '{{ _.stop }}', None),
                         (rb.count, rb.delay, rb.break_on, rb.continue_on))
