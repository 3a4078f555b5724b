"""Pure decision functions of the engine: no database, no server."""

import types
import unittest

from mistral_clone import lang
from mistral_clone.engine import commands as cmds
from mistral_clone.engine import dataflow
from mistral_clone.engine import direct
from mistral_clone.engine import policies
from mistral_clone.engine import reverse
from mistral_clone.engine import states


def wf(text):
    return lang.parse_workflows("version: '2.0'\n" + text)[0]


def ex(name, state, next_tasks=(), error_handled=False, processed=True,
       id_=None, has_next=None):
    return types.SimpleNamespace(
        name=name, state=state, next_tasks=[list(n) for n in next_tasks],
        error_handled=error_handled, processed=processed,
        id=id_ or name + '-id',
        has_next_tasks=bool(next_tasks) if has_next is None else has_next)


def always(_expr):
    return True


class TransitionTest(unittest.TestCase):

    SPEC = wf("""
w:
  tasks:
    a:
      action: std.noop
      on-success: [s1, s2]
      on-error: [e1]
      on-complete: [c1]
      on-skip: [k1]
    s1: {action: std.noop}
    s2: {action: std.noop}
    e1: {action: std.noop}
    c1: {action: std.noop}
    k1: {action: std.noop}
""")

    def fired(self, state, evaluate=always, spec=None):
        spec = spec or self.SPEC
        return [(n, ev) for n, _, ev in direct.fired_transitions(
            spec.tasks['a'], state, evaluate)]

    def test_success_fires_on_success_then_on_complete(self):
        self.assertEqual(self.fired(states.SUCCESS),
                         [('s1', 'on-success'), ('s2', 'on-success'),
                          ('c1', 'on-complete')])

    def test_error_fires_on_error_then_on_complete(self):
        self.assertEqual(self.fired(states.ERROR),
                         [('e1', 'on-error'), ('c1', 'on-complete')])

    def test_skipped_fires_on_skip_only(self):
        self.assertEqual(self.fired(states.SKIPPED), [('k1', 'on-skip')])

    def test_skipped_falls_back_to_on_success(self):
        spec = wf("""
w:
  tasks:
    a:
      on-success: [s1]
      on-complete: [c1]
    s1: {action: std.noop}
    c1: {action: std.noop}
""")
        self.assertEqual(self.fired(states.SKIPPED, spec=spec),
                         [('s1', 'on-success')])

    def test_cancelled_fires_nothing(self):
        self.assertEqual(self.fired(states.CANCELLED), [])

    def test_guards_are_evaluated(self):
        spec = wf("""
w:
  tasks:
    a:
      on-success:
        - b: <% $.x > 1 %>
        - c: <% $.x <= 1 %>
    b: {action: std.noop}
    c: {action: std.noop}
""")
        seen = []

        def evaluate(expr):
            seen.append(expr)
            return 'x > 1' in expr
        self.assertEqual(self.fired(states.SUCCESS, evaluate, spec),
                         [('b', 'on-success')])
        self.assertEqual(len(seen), 2)

    def test_next_commands_bookkeeping(self):
        task = ex('a', states.ERROR)
        fired = [('h', {}, 'on-error'), ('fail', {'msg': 'boom'}, 'on-error'),
                 ('x', {}, 'on-complete')]
        commands, next_tasks, handled = direct.next_commands(
            task, fired, {'k': 1}, lambda p: p)
        self.assertEqual(next_tasks, [['h', 'on-error'],
                                      ['x', 'on-complete']])
        self.assertTrue(handled)
        self.assertIsInstance(commands[1], cmds.EngineCommand)
        self.assertEqual(commands[1].msg, 'boom')
        self.assertEqual(commands[0].in_context, {'k': 1})
        self.assertEqual(commands[0].triggered_by,
                         [{'task_id': 'a-id', 'event': 'on-error'}])

    def test_on_complete_alone_does_not_handle_error(self):
        _, _, handled = direct.next_commands(
            ex('a', states.ERROR), [('x', {}, 'on-complete')], {},
            lambda p: p)
        self.assertFalse(handled)


class RearrangeTest(unittest.TestCase):

    def run_(self, *names):
        return [cmds.RunTask(n, {}) if n not in cmds.ENGINE_COMMANDS
                else cmds.EngineCommand(n) for n in names]

    @staticmethod
    def names(commands):
        return [c.name for c in commands]

    def test_plain_tasks_dispatch_all(self):
        now, backlog = cmds.rearrange(self.run_('a', 'b'))
        self.assertEqual(self.names(now), ['a', 'b'])
        self.assertEqual(backlog, [])

    def test_noop_removed(self):
        now, _ = cmds.rearrange(self.run_('noop', 'a'))
        self.assertEqual(self.names(now), ['a'])

    def test_fail_first_drops_the_rest(self):
        now, _ = cmds.rearrange(self.run_('fail', 'a', 'b'))
        self.assertEqual(self.names(now), ['fail'])

    def test_fail_after_tasks_keeps_tasks_before(self):
        now, _ = cmds.rearrange(self.run_('b', 'fail', 'c'))
        self.assertEqual(self.names(now), ['b', 'fail'])

    def test_pause_defers_the_rest(self):
        now, backlog = cmds.rearrange(self.run_('a', 'pause', 'b', 'c'))
        self.assertEqual(self.names(now), ['a', 'pause'])
        self.assertEqual(self.names(backlog), ['b', 'c'])


class JoinTest(unittest.TestCase):

    SPEC = wf("""
w:
  tasks:
    start:
      action: std.noop
      on-success: [a, b, c]
    a:
      on-success: j
    b:
      on-success: j
    c:
      on-success:
        - j: <% false %>
    j:
      join: all
""")

    def test_all_waits_for_every_inbound(self):
        tasks = [ex('start', states.SUCCESS, [('a', 'on-success'),
                                              ('b', 'on-success'),
                                              ('c', 'on-success')]),
                 ex('a', states.SUCCESS, [('j', 'on-success')]),
                 ex('b', states.RUNNING)]
        state, _, info = direct.join_state(self.SPEC, self.SPEC.tasks['j'],
                                           tasks)
        self.assertEqual(state, states.WAITING)

    def test_all_fails_when_an_inbound_did_not_trigger(self):
        tasks = [ex('a', states.SUCCESS, [('j', 'on-success')]),
                 ex('b', states.SUCCESS, [('j', 'on-success')]),
                 ex('c', states.SUCCESS, [])]
        state, _, info = direct.join_state(self.SPEC, self.SPEC.tasks['j'],
                                           tasks)
        self.assertEqual(state, states.ERROR)
        self.assertEqual(info, "Failed by tasks: ['c']")

    def test_all_runs_when_all_triggered(self):
        spec = wf("""
w:
  tasks:
    a:
      on-success: j
    b:
      on-success: j
    j:
      join: all
""")
        tasks = [ex('a', states.SUCCESS, [('j', 'on-success')]),
                 ex('b', states.ERROR, [('j', 'on-success')])]
        state, sources, _ = direct.join_state(spec, spec.tasks['j'], tasks)
        self.assertEqual(state, states.RUNNING)
        self.assertEqual([t.name for t in sources], ['a', 'b'])

    def test_impossible_route_fails_the_join(self):
        spec = wf("""
w:
  tasks:
    s:
      on-success:
        - a: <% false %>
        - b
    a:
      on-success: j
    b:
      on-success: j
    j:
      join: all
""")
        tasks = [ex('s', states.SUCCESS, [('b', 'on-success')]),
                 ex('b', states.SUCCESS, [('j', 'on-success')])]
        state, _, _ = direct.join_state(spec, spec.tasks['j'], tasks)
        self.assertEqual(state, states.ERROR)

    def test_numeric_join(self):
        spec = wf("""
w:
  tasks:
    a:
      on-success: j
    b:
      on-success: j
    c:
      on-success: j
    j:
      join: 2
""")
        tasks = [ex('a', states.SUCCESS, [('j', 'on-success')]),
                 ex('b', states.RUNNING),
                 ex('c', states.SUCCESS, [('j', 'on-success')])]
        state, sources, _ = direct.join_state(spec, spec.tasks['j'], tasks)
        self.assertEqual(state, states.RUNNING)
        self.assertEqual(len(sources), 2)


class CompletionTest(unittest.TestCase):

    def test_running_task_blocks_completion(self):
        self.assertIsNone(direct.completion_state(
            [ex('a', states.SUCCESS), ex('b', states.WAITING)]))

    def test_unhandled_error_fails(self):
        self.assertEqual(direct.completion_state(
            [ex('a', states.ERROR), ex('b', states.SUCCESS)]), states.ERROR)

    def test_handled_error_succeeds(self):
        self.assertEqual(direct.completion_state(
            [ex('a', states.ERROR, error_handled=True)]), states.SUCCESS)

    def test_cancelled_wins(self):
        self.assertEqual(direct.completion_state(
            [ex('a', states.ERROR), ex('b', states.CANCELLED)]),
            states.CANCELLED)

    def test_final_context_sources(self):
        tasks = [ex('a', states.SUCCESS, [('b', 'on-success')]),
                 ex('b', states.SUCCESS)]
        self.assertEqual([t.name for t in direct.final_context_sources(
            tasks)], ['b'])


class ReverseTest(unittest.TestCase):

    SPEC = wf("""
w:
  type: reverse
  tasks:
    fetch: {action: std.noop}
    compile:
      requires: fetch
    test:
      requires: [compile]
    package:
      requires: [compile, test]
    unrelated: {action: std.noop}
""")

    def test_ready_from_scratch(self):
        self.assertEqual(reverse.ready_tasks(self.SPEC, 'package', []),
                         ['fetch'])

    def test_ready_after_dependencies(self):
        tasks = [ex('fetch', states.SUCCESS), ex('compile', states.SUCCESS)]
        self.assertEqual(reverse.ready_tasks(self.SPEC, 'package', tasks),
                         ['test'])

    def test_failed_dependency_blocks(self):
        tasks = [ex('fetch', states.ERROR)]
        self.assertEqual(reverse.ready_tasks(self.SPEC, 'package', tasks),
                         [])


class DataflowTest(unittest.TestCase):

    def test_outbound_versions(self):
        out = dataflow.outbound_context({'a': 1}, {'b': 2})
        self.assertEqual(out['b'], 2)
        self.assertEqual(out[dataflow.VERSIONS], {'b': 1})
        out2 = dataflow.outbound_context(out, {'b': 3})
        self.assertEqual(out2[dataflow.VERSIONS], {'b': 2})

    def test_merge_prefers_higher_version(self):
        left = dataflow.outbound_context(
            dataflow.outbound_context({}, {'x': 'old'}), {'x': 'new'})
        right = dataflow.outbound_context({}, {'x': 'other', 'y': 1})
        merged = dataflow.merge_contexts([left, right])
        self.assertEqual(merged['x'], 'new')
        self.assertEqual(merged['y'], 1)

    def test_merge_tie_keeps_base(self):
        a = dataflow.outbound_context({}, {'x': 'a'})
        b = dataflow.outbound_context({}, {'x': 'b'})
        self.assertEqual(dataflow.merge_contexts([a, b])['x'], 'b')

    def test_view_precedence(self):
        view = dataflow.task_view({'id': 't', 'name': 'n'}, {'e': 1},
                                  {'v': 'ctx', 'g': 'global'},
                                  {'v': 'input', 'i': 'input'},
                                  {'v': 'branch'})
        self.assertEqual(view['v'], 'branch')
        self.assertEqual(view['g'], 'global')
        self.assertEqual(view['i'], 'input')
        self.assertEqual(view['__env'], {'e': 1})

    def test_strip_internal(self):
        ctx = dataflow.outbound_context({}, {'a': 1})
        self.assertEqual(dataflow.strip_internal(ctx), {'a': 1})


class RetryDecisionTest(unittest.TestCase):

    def test_count_exhausted(self):
        self.assertFalse(policies.should_retry(states.ERROR, 3, 3, None,
                                               None))

    def test_error_retried(self):
        self.assertTrue(policies.should_retry(states.ERROR, 0, 3, None,
                                              None))

    def test_break_on(self):
        self.assertFalse(policies.should_retry(states.ERROR, 0, 3, True,
                                               None))

    def test_success_without_continue_on_stops(self):
        self.assertFalse(policies.should_retry(states.SUCCESS, 0, 3, None,
                                               None))

    def test_continue_on(self):
        self.assertTrue(policies.should_retry(states.SUCCESS, 0, 3, None,
                                              True))
        self.assertFalse(policies.should_retry(states.SUCCESS, 0, 3, None,
                                               False))
        # With continue-on an error is retried only while it holds.
        self.assertFalse(policies.should_retry(states.ERROR, 0, 3, None,
                                               False))

    def test_cancelled_never_retried(self):
        self.assertFalse(policies.should_retry(states.CANCELLED, 0, 3, None,
                                               None))


class StatesTest(unittest.TestCase):

    def test_transition_table(self):
        self.assertTrue(states.is_valid_transition('RUNNING', 'PAUSED'))
        self.assertTrue(states.is_valid_transition('ERROR', 'RUNNING'))
        self.assertFalse(states.is_valid_transition('SUCCESS', 'RUNNING'))
        self.assertFalse(states.is_valid_transition('CANCELLED', 'PAUSED'))
        self.assertTrue(states.is_valid_transition('PAUSED', 'PAUSED'))
