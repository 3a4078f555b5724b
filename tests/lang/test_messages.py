"""Error messages verified against the reference (Mistral 23.0.0).

Only the first line of the reference message is reproduced.
"""
import unittest

from mistral_clone import exceptions as exc
import mistral_clone.lang as L

H = "version: '2.0'\n"


def wf(body, name='wf1'):
    return H + name + ':\n' + body


T = '  tasks:\n    t1:\n      action: std.noop\n'


def t1(extra):
    return wf('  tasks:\n    t1:\n      action: std.noop\n' + extra +
              '    t2:\n      action: std.noop\n')


# (case name, document, expected message or None for "accepted")
WORKFLOW_CASES = [
    ('unknown task key',
     wf('  tasks:\n    t1:\n      action: std.noop\n      retries: 3\n'),
     "Invalid DSL: Additional properties are not allowed ('retries' was "
     "unexpected)"),
    ('two unknown task keys',
     wf('  tasks:\n    t1:\n      action: std.noop\n      retries: 3\n'
        '      foo: 1\n'),
     "Invalid DSL: Additional properties are not allowed ('foo', 'retries' "
     "were unexpected)"),
    ('action and workflow',
     wf('  tasks:\n    t1:\n      action: std.noop\n      workflow: other\n'),
     "Invalid DSL: {'action': 'std.noop', 'workflow': 'other', 'type': "
     "'direct', 'name': 't1', 'version': '2.0'} is valid under each of "
     "{'type': 'object', 'required': ['workflow']}, {'type': 'object', "
     "'required': ['action']}"),
    ('bad workflow type',
     wf('  type: sideways\n' + T),
     "Failed to find a specification class to instantiate [spec_cls=<class "
     "'mistral.lang.v2.workflows.WorkflowSpec'>, data={'type': 'sideways', "
     "'tasks': {'t1': {'action': 'std.noop'}}, 'name': 'wf1', 'version': "
     "'2.0'}]"),
    ('input not a list', wf('  input:\n    a: 1\n' + T),
     "Invalid DSL: {'a': 1} is not of type 'array'"),
    ('no tasks', wf('  input:\n    - a\n'),
     "Invalid DSL: 'tasks' is a required property"),
    ('empty tasks', wf('  tasks: {}\n'), 'Invalid DSL: {} should be non-empty'),
    ('tasks none', wf('  tasks:\n'),
     "Invalid DSL: None is not of type 'object'"),
    ('publish without scope',
     t1('      on-success:\n        publish:\n          v: 1\n'
        '        next: t2\n'),
     "Invalid DSL: 't2' is not valid under any of the given schemas"),
    ('publish empty',
     t1('      on-success:\n        publish: {}\n        next: t2\n'),
     "Either 'branch', 'global' or 'atomic' must be specified: "),
    ('publish atomic only',
     t1('      on-success:\n        publish: {atomic: {a: 1}}\n'
        '        next: t2\n'), None),
    ('transition to missing task', t1('      on-success:\n        - nope\n'),
     "Task 'nope' not found."),
    ('transition with params to missing task',
     t1('      on-success:\n        - t9 x=1\n'), "Task 't9' not found."),
    ('advanced next expression',
     t1('      on-success:\n        next: <% $.x %>\n'),
     "Task '<% $.x %>' not found."),
    ('task-defaults target missing',
     wf('  task-defaults:\n    on-success: nope\n' + T),
     "Task 'nope' not found."),
    ('negative timeout', t1('      timeout: -1\n'),
     'Invalid DSL: -1 is not valid under any of the given schemas'),
    ('float timeout', t1('      timeout: 1.5\n'),
     'Invalid DSL: 1.5 is not valid under any of the given schemas'),
    ('integral float timeout', t1('      timeout: 1.0\n'), None),
    ('string timeout', t1("      timeout: '5'\n"),
     "Invalid DSL: '5' is not valid under any of the given schemas"),
    ('retry missing delay', t1('      retry: {count: 1}\n'),
     "Invalid DSL: 'delay' is a required property"),
    ('retry bad one-liner', t1('      retry: foo\n'),
     'Invalid DSL: {} is not valid under any of the given schemas'),
    ('retry one-liner negative', t1('      retry: count=-1 delay=1\n'),
     "Invalid DSL: 'count' is a required property"),
    ('retry one-liner', t1('      retry: count=3 delay=1\n'), None),
    ('retry extra key', t1('      retry: {count: 1, delay: 1, foo: 1}\n'),
     "Invalid DSL: Additional properties are not allowed ('foo' was "
     "unexpected)"),
    ('literal true guard', t1('      on-success:\n        - t2: true\n'),
     'Invalid DSL: True is not valid under any of the given schemas'),
    ('string guard', t1("      on-success:\n        - t2: 'yes'\n"),
     "Invalid DSL: 'yes' is not valid under any of the given schemas"),
    ('duplicate transitions', t1('      on-success: [t2, t2]\n'),
     "Invalid DSL: ['t2', 't2'] is not valid under any of the given "
     "schemas"),
    ('function form without space', t1('      on-success: fail(msg="x")\n'),
     'Invalid DSL: \'fail(msg="x")\' is valid under each of {\'type\': '
     '\'string\', \'pattern\': \'^\\\\w+\\\\(\\\\w+=(.*)\\\\)$\', '
     '\'description\': \'Task name with func parameter (e.g.: '
     '`fail(msg="test")`, `fail(msg=<% task() %>)`)\'}, {\'type\': '
     '\'string\', \'pattern\': \'^\\\\S+$\', \'description\': \'Task name '
     '(e.g.: `task1`)\'}'),
    ('function form with space', t1('      on-success: fail(msg="x y")\n'),
     None),
    ('name with space and no params', t1('      on-success:\n        - t2 x\n'),
     "Invalid DSL: 't2 x' is not valid under any of the given schemas"),
    ('output not a dict', wf('  output: <% $.x %>\n' + T),
     "Invalid DSL: '<% $.x %>' is not of type 'object'"),
    ('no start tasks',
     wf('  tasks:\n    t1:\n      action: std.noop\n      on-success: t2\n'
        '    t2:\n      action: std.noop\n      on-success: t1\n'),
     'Failed to find start tasks in direct workflow. There must be at least '
     'one task without inbound transition.[workflow_name=wf1]'),
    ('self loop only',
     wf('  tasks:\n    t1:\n      action: std.noop\n      on-success: t1\n'),
     'Failed to find start tasks in direct workflow. There must be at least '
     'one task without inbound transition.[workflow_name=wf1]'),
    ('join all without inbound',
     wf('  tasks:\n    t1:\n      action: std.noop\n    t2:\n      join: all\n'
        '      action: std.noop\n'),
     "No inbound tasks for task with 'join: all' [task_name=t2]"),
    ('join 3 with one inbound',
     wf('  tasks:\n    t1:\n      action: std.noop\n      on-success: t2\n'
        '    t2:\n      join: 3\n      action: std.noop\n'),
     "Not enough inbound tasks for task with 'join' [task_name=t2, join=3, "
     "inbound_tasks=1]"),
    ('join one without inbound',
     wf('  tasks:\n    t1:\n      action: std.noop\n    t2:\n      join: one\n'
        '      action: std.noop\n'),
     "Not enough inbound tasks for task with 'join' [task_name=t2, join=1, "
     "inbound_tasks=0]"),
    ('join counts distinct tasks',
     wf('  tasks:\n    t1:\n      action: std.noop\n      on-success: t3\n'
        '      on-error: t3\n    t3:\n      join: 2\n      action: std.noop\n'),
     "Not enough inbound tasks for task with 'join' [task_name=t3, join=2, "
     "inbound_tasks=1]"),
    ('join 0 is no join',
     wf('  tasks:\n    t1:\n      action: std.noop\n      join: 0\n'), None),
    ('bad join word', t1('      join: some\n'),
     "Invalid DSL: 'some' is not valid under any of the given schemas"),
    ('negative join', t1('      join: -1\n'),
     'Invalid DSL: -1 is less than the minimum of 0'),
    ('uuid workflow name',
     wf(T, name='123e4567-e89b-12d3-a456-426614174000'),
     'Workflow name cannot be in the format of UUID.'),
    ('workflow name with space', wf(T, name='"my wf"'),
     "Name 'my wf' must not contain spaces"),
    ('task name with space',
     wf('  tasks:\n    my task:\n      action: std.noop\n'), None),
    ('task name too long',
     wf('  tasks:\n    ' + 'a' * 256 + ':\n      action: std.noop\n'),
     "The length of a '" + 'a' * 256 + "' task name must not exceed 255 "
     "symbols"),
    ('join task name too long',
     wf('  tasks:\n    t0:\n      action: std.noop\n      on-success: ' +
        'a' * 209 + '\n    ' + 'a' * 209 + ':\n      join: all\n'
        '      action: std.noop\n'),
     "The length of a '" + 'a' * 209 + "' join task name must not exceed "
     "208 symbols"),
    # The reference accepts any version here; like its workbooks, we do not.
    # The reference accepts any version here (and runs it as 2.0); we
    # accept older ones as it does, but not unknown newer ones.
    ('version 1.0 accepted', "version: '1.0'\nwf1:\n" + T, None),
    ('version 3.0 refused', "version: 3.0\nwf1:\n" + T,
     'Unsupported DSL version: 3.0'),
    ('missing version', 'wf1:\n' + T,
     "Invalid DSL: 'version' is a required property"),
    ('only version', "version: '2.0'\n",
     "At least one item must be in the list [data={'version': '2.0'}]."),
    ('empty document', '', "Invalid DSL: 'version' is a required property"),
    ('list document', '- a\n- b\n',
     "Invalid DSL: ['a', 'b'] is not of type 'object'"),
    ('scalar document', 'hello\n',
     "Invalid DSL: 'hello' is not of type 'object'"),
    ('workflow not a dict', "version: '2.0'\nwf1: 5\n",
     "Invalid DSL: 5 is not of type 'object'"),
    ('workflow empty', "version: '2.0'\nwf1: {}\n",
     'Invalid DSL: {} should be non-empty'),
    ('task not a dict', wf('  tasks:\n    t1: 5\n'),
     "Invalid DSL: 5 is not of type 'object'"),
    ('task empty', wf('  tasks:\n    t1: {}\n'),
     'Invalid DSL: {} should be non-empty'),
    ('reverse requires missing',
     wf('  type: reverse\n  tasks:\n    t1:\n      action: std.noop\n'
        '      requires: [nope]\n'), "Task 'nope' not found."),
    ('reverse requires engine command',
     wf('  type: reverse\n  tasks:\n    t1:\n      action: std.noop\n'
        '      requires: fail\n'), "Task 'fail' not found."),
    ('reverse task-defaults requires missing',
     wf('  type: reverse\n  task-defaults:\n    requires: [nope]\n' + T),
     "Task 'nope' not found."),
    ('reverse self requirement', wf(
        '  type: reverse\n  tasks:\n    t1:\n      action: std.noop\n'
        '      requires: t1\n'), None),
    ('reverse task with on-success', wf(
        '  type: reverse\n  tasks:\n    t1:\n      action: std.noop\n'
        '      on-success: t1\n'),
     "Invalid DSL: Additional properties are not allowed ('on-success' was "
     "unexpected)"),
    ('direct task with requires',
     wf('  tasks:\n    t1:\n      action: std.noop\n      requires: t1\n'),
     "Invalid DSL: Additional properties are not allowed ('requires' was "
     "unexpected)"),
    ('direct task-defaults requires ignored',
     wf('  task-defaults:\n    requires: [nope]\n' + T), None),
    ('input duplicates', wf('  input: [a, a]\n' + T),
     "Invalid DSL: ['a', 'a'] has non-unique elements"),
    ('input item with two keys', wf('  input: [{a: 1, b: 2}]\n' + T),
     "Invalid DSL: {'a': 1, 'b': 2} has too many properties"),
    ('input empty list', wf('  input: []\n' + T),
     'Invalid DSL: [] should be non-empty'),
    ('input 1 vs 1.0 not unique', wf('  input: [{a: 1}, {a: 1.0}]\n' + T),
     "Invalid DSL: [{'a': 1}, {'a': 1.0}] has non-unique elements"),
    ('input 1 vs true unique', wf('  input: [{a: 1}, {a: true}]\n' + T),
     None),
    ('with-items wrong format', t1('      with-items: x from y\n'),
     "Wrong format of 'with-items' property. Please use format 'var in "
     "{[some, list] | <% $.array %> }: {'action': 'std.noop', 'with-items': "
     "'x from y', 'type': 'direct', 'name': 't1', 'version': '2.0'}"),
    ('with-items unterminated list', t1('      with-items: x in [1, 2\n'),
     "Wrong format of 'with-items' property. Please use format 'var in "
     "{[some, list] | <% $.array %> }: {'action': 'std.noop', 'with-items': "
     "'x in [1, 2', 'type': 'direct', 'name': 't1', 'version': '2.0'}"),
    ('with-items bare word', t1('      with-items: x in abc\n'),
     "Wrong format of 'with-items' property. Please use format 'var in "
     "{[some, list] | <% $.array %> }: {'action': 'std.noop', 'with-items': "
     "'x in abc', 'type': 'direct', 'name': 't1', 'version': '2.0'}"),
    ('with-items bad json', t1('      with-items: x in [1, 2,]\n'),
     "Invalid array in 'with-items' clause: [1, 2,], error: Expecting "
     "value: line 1 column 7 (char 6)"),
    ('with-items int', t1('      with-items: 5\n'),
     'Invalid DSL: 5 is not valid under any of the given schemas'),
    ('with-items two expressions', t1(
        '      with-items: x in <% $.a %><% $.b %>\n'), None),
    ('workflow description empty accepted',
     wf("  description: ''\n" + T), None),
    ('unknown workflow key accepted', wf('  foo: 1\n' + T), None),
    ('task description not a string', t1('      description: 5\n'),
     "Invalid DSL: 5 is not of type 'string'"),
    ('task tags empty', t1('      tags: []\n'),
     'Invalid DSL: [] should be non-empty'),
    ('workflow tags duplicates', wf('  tags: [a, a]\n' + T),
     "Invalid DSL: ['a', 'a'] has non-unique elements"),
    ('vars list', wf('  vars: [a]\n' + T),
     "Invalid DSL: ['a'] is not of type 'object'"),
    ('vars empty', wf('  vars: {}\n' + T),
     'Invalid DSL: {} should be non-empty'),
    ('task-defaults publish', wf('  task-defaults:\n    publish: {a: 1}\n' + T),
     "Invalid DSL: Additional properties are not allowed ('publish' was "
     "unexpected)"),
    ('task-defaults empty', wf('  task-defaults: {}\n' + T),
     'Invalid DSL: {} should be non-empty'),
    ('empty action', wf("  tasks:\n    t1:\n      action: ''\n"),
     "Invalid DSL: '' should be non-empty"),
    ('keep-result string', t1("      keep-result: 'no'\n"),
     "Invalid DSL: 'no' is not valid under any of the given schemas"),
    ('advanced form empty next', t1('      on-success:\n        next: []\n'),
     "Invalid DSL: {'next': []} is not valid under any of the given "
     "schemas"),
    ('advanced form extra key',
     t1('      on-success:\n        next: t1\n        foo: 1\n'),
     'Invalid DSL: 1 is not valid under any of the given schemas'),
    ('version negative', "version: -1\nwf1:\n" + T,
     'Invalid DSL: -1 is not valid under any of the given schemas'),
    ('version empty', "version: ''\nwf1:\n" + T,
     "Invalid DSL: '' should be non-empty"),
    ('version int', "version: 2\nwf1:\n" + T, None),
    ('task named fail', wf('  tasks:\n    fail:\n      action: std.noop\n'),
     None),
    ('engine commands as targets', t1(
        '      on-success:\n        - fail msg="x"\n        - succeed\n'
        '        - pause\n        - noop\n'), None),
    ('bad yaml',
     wf('  tasks:\n    t1:\n      action: std.noop\n     on-success: [t2\n'),
     'Definition could not be parsed: while parsing a block mapping'),
    ('date value', t1('      publish:\n        d: 2020-01-01\n'),
     'Invalid DSL: datetime.date(2020, 1, 1) is not valid under any of the '
     'given schemas'),
    ('yaml mapping in plain value', t1('      with-items: x in {a: 1}\n'),
     'Definition could not be parsed: mapping values are not allowed here'),
]

EXPRESSION_CASES = [
    # (case, document, expected first line or None)
    ('yaql in inline param', wf('  tasks:\n    t1:\n      action: std.echo '
                                'output=<% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('jinja in inline param', wf('  tasks:\n    t1:\n      action: std.echo '
                                 'output={{ _.a + }}\n'),
     "Syntax error 'unexpected 'end of print statement''."),
    ('mixed languages', wf('  tasks:\n    t1:\n      action: std.echo '
                           'output="<% $.a %> {{ _.b }}"\n'),
     "The line already contains an expression of type 'jinja'. Mixing "
     "expression types in a single line is not allowed."),
    ('workflow output', wf('  output:\n    x: <% $.a + %>\n' + T),
     'Parse error: unexpected end of statement'),
    ('workflow output nested not checked',
     wf('  output:\n    x:\n      y: <% $.a + %>\n' + T), None),
    ('vars', wf('  vars:\n    x: <% $.a + %>\n' + T),
     'Parse error: unexpected end of statement'),
    ('output-on-error not checked',
     wf('  output-on-error:\n    x: <% $.a + %>\n' + T), None),
    ('input default not checked',
     wf('  input:\n    - x: <% $.a + %>\n' + T), None),
    ('task input', t1('      input:\n        x: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('task input nested not checked',
     t1('      input:\n        x:\n          y: <% $.a + %>\n'), None),
    ('task input list not checked',
     t1('      input:\n        x: [<% $.a + %>]\n'), None),
    ('task input string', t1('      input: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('publish', t1('      publish:\n        x: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('publish-on-error', t1('      publish-on-error:\n        x: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('keep-result', t1('      keep-result: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('safe-rerun', t1('      safe-rerun: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('timeout', t1('      timeout: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('pause-before', t1('      pause-before: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('concurrency', t1('      concurrency: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('fail-on', t1('      fail-on: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('retry count', t1("      retry: {count: '<% $.a + %>', delay: 1}\n"),
     'Parse error: unexpected end of statement'),
    ('retry break-on',
     t1("      retry: {count: 1, delay: 1, break-on: '<% $.a + %>'}\n"),
     'Parse error: unexpected end of statement'),
    ('retry one-liner', t1('      retry: count=<% $.a + %> delay=1\n'),
     'Parse error: unexpected end of statement'),
    ('with-items', t1('      with-items: x in <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('target not checked', t1('      target: <% $.a + %>\n'), None),
    ('guard', t1('      on-success:\n        - t2: <% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('engine command param not checked',
     t1('      on-success:\n        - fail msg=<% $.a + %>\n'), None),
    ('advanced publish', t1('      on-success:\n        publish:\n'
                            '          branch: {x: <% $.a + %>}\n'),
     'Parse error: unexpected end of statement'),
    ('workflow inline param', wf('  tasks:\n    t1:\n      workflow: sub '
                                 'x=<% $.a + %>\n'),
     'Parse error: unexpected end of statement'),
    ('action name not checked',
     wf('  tasks:\n    t1:\n      action: <% $.a + %>\n'), None),
    ('task-defaults timeout',
     wf('  task-defaults:\n    timeout: <% $.a + %>\n' + T),
     'Parse error: unexpected end of statement'),
]


def _outcome(fn, text):
    try:
        fn(text)
        return None
    except exc.DSLParsingException as e:
        return str(e).split('\n')[0]


class WorkflowMessagesTest(unittest.TestCase):

    def test_reference_messages(self):
        for name, text, expected in WORKFLOW_CASES:
            with self.subTest(case=name):
                self.assertEqual(expected, _outcome(L.parse_workflows, text))

    def test_errors_are_400(self):
        for name, text, expected in WORKFLOW_CASES:
            if expected is None:
                continue
            with self.subTest(case=name):
                with self.assertRaises(exc.DSLParsingException) as ctx:
                    L.parse_workflows(text)
                self.assertEqual(400, ctx.exception.http_code)

    def test_schema_errors_are_invalid_model(self):
        with self.assertRaises(exc.InvalidModelException):
            L.parse_workflows(t1('      retries: 1\n'))

    def test_yaml_error_is_parsing_exception(self):
        with self.assertRaises(exc.DSLParsingException) as ctx:
            L.parse_workflows('a: [1')
        self.assertNotIsInstance(ctx.exception, exc.InvalidModelException)


class ExpressionMessagesTest(unittest.TestCase):

    def test_expression_fields(self):
        for name, text, expected in EXPRESSION_CASES:
            with self.subTest(case=name):
                self.assertEqual(expected, _outcome(L.parse_workflows, text))

    def test_grammar_exception_type(self):
        with self.assertRaises(exc.ExpressionGrammarException):
            L.parse_workflows(t1('      publish:\n        x: <% $.a + %>\n'))


W = 'workflows:\n  wf1:\n    tasks:\n      t: {action: std.noop}\n'

WORKBOOK_CASES = [
    ('no name', H + W, "Invalid DSL: 'name' is a required property"),
    ('no version', 'name: wb\n' + W,
     "Invalid DSL: 'version' is a required property"),
    ('version 3.0', "version: '3.0'\nname: wb\n" + W,
     'Unsupported DSL version: 3.0'),
    ('version 1.0', "version: '1.0'\nname: wb\n" + W,
     'Unsupported DSL version: 1.0'),
    ('name with space', H + 'name: my wb\n' + W,
     "Name 'my wb' must not contain spaces"),
    ('uuid name accepted',
     H + 'name: 123e4567-e89b-12d3-a456-426614174000\n' + W, None),
    ('member with dot',
     H + 'name: wb\nworkflows:\n  wf.1:\n    tasks:\n'
     '      t: {action: std.noop}\n',
     "Invalid DSL: 'wf.1' does not match any of the regexes: "
     "'^(?!version$)[\\\\w-]+$', '^version$'"),
    ('uuid member',
     H + 'name: wb\nworkflows:\n  123e4567-e89b-12d3-a456-426614174000:\n'
     '    tasks:\n      t: {action: std.noop}\n',
     'Workflow name cannot be in the format of UUID.'),
    ('members version key', H + "name: wb\nworkflows:\n  version: '2.0'\n"
     '  wf1:\n    tasks:\n      t: {action: std.noop}\n', None),
    ('members bad version', H + "name: wb\nworkflows:\n  version: '3.0'\n"
     '  wf1:\n    tasks:\n      t: {action: std.noop}\n',
     "Invalid DSL: '3.0' is not one of ['2.0', 2.0]"),
    ('member null', H + 'name: wb\nworkflows:\n  wf1:\n',
     'Invalid DSL: None is not valid under any of the given schemas'),
    ('member int', H + 'name: wb\nworkflows:\n  wf1: 5\n',
     "A specification with polymorphic key must be backed by a dictionary "
     "[spec_cls=<class 'mistral.lang.v2.workflows.WorkflowSpec'>, data=5]"),
    ('empty workflows', H + 'name: wb\nworkflows: {}\n',
     'Invalid DSL: {} should be non-empty'),
    ('no members', H + 'name: wb\n', None),
    ('triggers', H + 'name: wb\ntriggers: {}\n' + W,
     "Invalid DSL: Additional properties are not allowed ('triggers' was "
     "unexpected)"),
    ('bad task', H + 'name: wb\nworkflows:\n  wf1:\n    tasks:\n'
     '      t: {action: std.noop, foo: 1}\n',
     "Invalid DSL: Additional properties are not allowed ('foo' was "
     "unexpected)"),
    ('workflow without tasks', H + 'name: wb\nworkflows:\n  wf1:\n'
     '    input: [a]\n', "Invalid DSL: 'tasks' is a required property"),
    ('action without base', H + 'name: wb\nactions:\n  a1:\n    input: [a]\n',
     "Invalid DSL: 'base' is a required property"),
    ('empty description', H + "name: wb\ndescription: ''\n" + W,
     "Invalid DSL: '' should be non-empty"),
    ('name not a string', H + 'name: 5\n' + W,
     "Invalid DSL: 5 is not of type 'string'"),
    ('list document', '- a\n', "Invalid DSL: ['a'] is not of type 'object'"),
    ('empty document', '', "Invalid DSL: 'version' is a required property"),
]

ACTION_CASES = [
    ('no base', H + 'a1:\n  input: [x]\n',
     "Invalid DSL: 'base' is a required property"),
    ('name with space', H + "'a 1':\n  base: std.noop\n",
     "Name 'a 1' must not contain spaces"),
    ('uuid name accepted',
     H + '123e4567-e89b-12d3-a456-426614174000:\n  base: std.noop\n', None),
    ('unknown key', H + 'a1:\n  foo: 1\n  base: std.noop\n',
     "Invalid DSL: Additional properties are not allowed ('foo' was "
     "unexpected)"),
    ('bad base-input expression',
     H + 'a1:\n  base: std.noop\n  base-input:\n    x: <% $.a + %>\n',
     'Parse error: unexpected end of statement'),
    ('nested base-input not checked',
     H + 'a1:\n  base: std.noop\n  base-input:\n    x: {y: <% $.a + %>}\n',
     None),
    ('bad base param', H + 'a1:\n  base: std.echo output=<% $.a + %>\n',
     'Parse error: unexpected end of statement'),
    ('bad output expression', H + 'a1:\n  base: std.noop\n'
     '  output: <% $.a + %>\n', 'Parse error: unexpected end of statement'),
    ('output dict not checked', H + 'a1:\n  base: std.noop\n  output:\n'
     '    x: <% $.a + %>\n', None),
    ('input dict', H + 'a1:\n  base: std.noop\n  input: {a: 1}\n',
     "Invalid DSL: {'a': 1} is not of type 'array'"),
    ('empty base', H + "a1:\n  base: ''\n",
     "Invalid DSL: '' should be non-empty"),
    ('only version', H,
     "At least one item must be in the list [data={'version': '2.0'}]."),
    ('no version', 'a1:\n  base: std.noop\n',
     "Invalid DSL: 'version' is a required property"),
    # The reference accepts any version here; like its workbooks, we do not.
    ('version 1.0', "version: '1.0'\na1:\n  base: std.noop\n", None),
    ('version 3.0', "version: '3.0'\na1:\n  base: std.noop\n",
     'Unsupported DSL version: 3.0'),
    ('not a dict', H + 'a1: 5\n', "Invalid DSL: 5 is not of type 'object'"),
    ('expression base', H + 'a1:\n  base: <% $.x %>\n', None),
    ('empty base-input', H + 'a1:\n  base: std.noop\n  base-input: {}\n',
     'Invalid DSL: {} should be non-empty'),
    ('dash in name', H + 'a-1:\n  base: std.noop\n', None),
]


class WorkbookAndActionMessagesTest(unittest.TestCase):

    def test_workbook_messages(self):
        for name, text, expected in WORKBOOK_CASES:
            with self.subTest(case=name):
                self.assertEqual(expected, _outcome(L.parse_workbook, text))

    def test_action_messages(self):
        for name, text, expected in ACTION_CASES:
            with self.subTest(case=name):
                self.assertEqual(expected, _outcome(L.parse_actions, text))
