"""Ad-hoc actions: defaults, base-input, chains, output transforms, errors."""

import types
import unittest

from mistral_lib import actions as ml_actions

from mistral_clone import actions
from mistral_clone import exceptions as exc
from mistral_clone.actions import adhoc


class Registry(object):
    """A tiny action lookup: system catalogue + ad-hoc descriptors."""

    def __init__(self):
        self.adhoc = {}

    def add(self, namespace='', definition='<definition>', **spec):
        d = actions.AdHocActionDescriptor(
            actions.AdHocSpec(**spec), namespace=namespace,
            project_id='p1', find_base=self.find, definition=definition)
        self.adhoc[(d.name, namespace)] = d
        return d

    def find(self, name, namespace=''):
        return (actions.find_system_action(name) or
                self.adhoc.get((name, namespace)))


def run(desc, input_dict=None, wf_ctx=None):
    desc.check_parameters(input_dict or {})
    action = desc.instantiate(input_dict or {}, wf_ctx)
    raw = actions.run_action(action, actions.make_action_context())
    return desc.post_process_result(raw)


class AdHocSpecTest(unittest.TestCase):
    def setUp(self):
        self.reg = Registry()

    def test_params_spec_and_check(self):
        d = self.reg.add(name='a1', base='std.echo',
                         input=['x', {'y': 5}, {'s': '5'}, {'n': None}],
                         base_input={'output': 1})
        self.assertEqual('x, y=5, s="5", n=null', d.params_spec)
        with self.assertRaises(exc.InputException) as cm:
            d.check_parameters({'z': 1})
        self.assertEqual(
            "Invalid input [name=a1, class=mistral.actions.adhoc.AdHocAction,"
            " missing=['x'], unexpected=['z']]", str(cm.exception))

    def test_input_with_defaults(self):
        # What an action execution records (issue 12.11): the given input
        # plus this action's own declared defaults; python actions keep
        # theirs in their signature.
        d = self.reg.add(name='dflt', base='std.echo',
                         input=['a', {'b': 2}, {'c': None}],
                         base_input={'output': 1})
        self.assertEqual({'a': 'xyz', 'b': 2, 'c': None},
                         d.input_with_defaults({'a': 'xyz'}))
        self.assertEqual({'a': 1, 'b': 5, 'c': None},
                         d.input_with_defaults({'a': 1, 'b': 5}))
        self.assertEqual({'output': 'x'}, actions.find_system_action(
            'std.echo').input_with_defaults({'output': 'x'}))

    def test_lang_style_pairs(self):
        d = self.reg.add(name='p', base='std.echo',
                         input=[('x', actions.NO_DEFAULT), ('y', [1, 2])],
                         base_input={'output': 1})
        self.assertEqual('x, y=[1, 2]', d.params_spec)
        # The reference splits the spec on commas: a list default yields a
        # bogus required name.
        with self.assertRaises(exc.InputException) as cm:
            d.check_parameters({'x': 1})
        self.assertIn("missing=['2]']", str(cm.exception))

    def test_no_input_section_accepts_nothing(self):
        d = self.reg.add(name='noin', base='std.echo output=3')
        self.assertEqual('', d.params_spec)
        with self.assertRaises(exc.InputException) as cm:
            d.check_parameters({'z': 1})
        self.assertEqual(
            "Invalid input [name=noin, class=mistral.actions.adhoc."
            "AdHocAction, unexpected=['z']]", str(cm.exception))

    def test_missing_base(self):
        d = self.reg.add(name='nobase', base='std.does_not_exist',
                         base_input={'output': 1}, namespace='ns1')
        with self.assertRaises(exc.ActionException) as cm:
            d.instantiate({})
        self.assertEqual('Failed to find base action [action_name='
                         'std.does_not_exist namespace=ns1] ',
                         str(cm.exception))

    def test_cycle(self):
        c1 = self.reg.add(name='cyc1', base='cyc2', base_input={'q': 1})
        self.reg.add(name='cyc2', base='cyc1', base_input={'q': 1})
        with self.assertRaises(exc.ActionException) as cm:
            c1.instantiate({})
        self.assertEqual('Found a cycle in an ad-hoc action chain '
                         '[action_name=cyc1, duplicate_action_name=cyc1]',
                         str(cm.exception))
        self_loop = self.reg.add(name='me', base='me', base_input={'q': 1})
        with self.assertRaises(exc.ActionException):
            self_loop.instantiate({})

    def test_base_is_looked_up_in_own_namespace(self):
        self.reg.add(name='inner', base='std.echo output=1', namespace='a')
        outer = self.reg.add(name='outer', base='inner', namespace='b')
        with self.assertRaises(exc.ActionException) as cm:
            outer.instantiate({})
        self.assertIn('namespace=b]', str(cm.exception))

    def test_python_base_errors_are_instantiation_errors(self):
        d = self.reg.add(name='badin', base='std.echo',
                         base_input={'delay': 0})
        with self.assertRaises(exc.ActionException) as cm:
            d.instantiate({})
        self.assertIn("missing 1 required positional argument: 'output'",
                      str(cm.exception))
        http = self.reg.add(name='httpbad', base='std.http', base_input={
            'url': 'http://x', 'body': 'a', 'json': {'a': 1}})
        with self.assertRaises(exc.ActionException) as cm:
            http.instantiate({})
        self.assertEqual(
            "Only one of the parameters 'json' and 'body' can be passed",
            str(cm.exception))

    def test_repr_and_dict(self):
        d = self.reg.add(name='r', base='std.noop', definition='---\nr: {}')
        self.assertEqual('AdHoc action [name=r, definition=---\nr: {}]',
                         repr(d))
        as_dict = actions.descriptor_to_dict(d)
        self.assertEqual(('adhoc', 'std.noop', 'p1'),
                         (as_dict['kind'], as_dict['base'],
                          as_dict['project_id']))

    def test_base_one_liner(self):
        self.assertEqual(
            ('std.echo', {'output': 'a b', 'delay': 1, 'l': [1, 'x'],
                          'e': '<% $.x %>', 'f': False}),
            adhoc.split_base(
                'std.echo output="a b" delay=1 l=[1, "x"] e=<% $.x %> '
                'f=false bare=word'))


class AdHocRunTest(unittest.TestCase):
    def setUp(self):
        self.reg = Registry()
        self.a1 = self.reg.add(
            name='a1', base='std.echo', input=['x', {'y': 5}],
            base_input={'output': '<% $.x %>-<% $.y %>'},
            output={'v': '<% $ %>'})
        self.a2 = self.reg.add(
            name='a2', base='a1', input=['x'],
            base_input={'x': '<% $.x * 2 %>'}, output='<% $.v %>!')

    def test_defaults_and_output(self):
        self.assertEqual({'v': '1-5'}, run(self.a1, {'x': 1}).data)
        self.assertEqual({'v': '1-7'}, run(self.a1, {'x': 1, 'y': 7}).data)

    def test_chain_applies_transforms_innermost_first(self):
        res = run(self.a2, {'x': 1})
        self.assertEqual('2-5!', res.data)
        # the raw action result (no post-processing) is the base's
        raw = actions.run_action(self.a2.instantiate({'x': 1}))
        self.assertEqual('2-5', raw.data)

    def test_workflow_context_is_visible(self):
        d = self.reg.add(name='ctx', base='std.echo', input=['x'],
                         base_input={'output': '<% $.x %>/<% $.wfvar %>'})
        res = run(d, {'x': 1}, wf_ctx={'wfvar': 'w', 'x': 'shadowed'})
        self.assertEqual('1/w', res.data)

    def test_inline_base_params_merge_explicit_wins(self):
        d = self.reg.add(name='inl', base='std.echo output=3 delay=1',
                         base_input={'delay': 0})
        action = d.instantiate({})
        self.assertEqual(0, action.base_action._delay)
        self.assertEqual(3, run(d).data)
        noin = self.reg.add(name='noin', base='std.echo output=3',
                            output='r=<% $ %>')
        self.assertEqual('r=3', run(noin).data)

    def test_lang_spec_with_split_base_params(self):
        spec = types.SimpleNamespace(
            name='split', base='std.echo', base_params={'output': 'z',
                                                        'delay': 5},
            base_input={'delay': 0}, input=[], output=None,
            description=None, tags=None, definition='def-text')
        d = actions.AdHocActionDescriptor(spec, find_base=self.reg.find)
        self.assertEqual('AdHoc action [name=split, definition=def-text]',
                         repr(d))
        action = d.instantiate({})
        self.assertEqual(0, action.base_action._delay)
        self.assertEqual('z', run(d).data)

    def test_falsy_data_returns_output_literally(self):
        d = self.reg.add(name='falsy', base='std.echo',
                         base_input={'output': ''}, output='<% $.foo %>')
        self.assertEqual('<% $.foo %>', run(d).data)

    def test_error_results_are_carried_unchanged(self):
        d = self.reg.add(name='err', base='std.fail',
                         base_input={'error_data': {'code': 7}},
                         output='<% $.code %>')
        res = run(d)
        self.assertTrue(res.is_error())
        self.assertEqual({'code': 7}, res.error)
        cancelled = d.post_process_result(ml_actions.Result(cancel=True))
        self.assertTrue(cancelled.is_cancel())

    def test_exception_repr_is_adhoc_action(self):
        d = self.reg.add(name='boom', base='std.fail',
                         base_input={'error_data': 0})
        res = run(d)
        self.assertRegex(res.error,
                         r"^The action raised an exception \[action=<mistral"
                         r"\.actions\.adhoc\.AdHocAction object at 0x[0-9a-f]+"
                         r">, action_ex_id=None, msg='Fail action expected "
                         r"exception\.'\]$")

    def test_sync_follows_base(self):
        d = self.reg.add(name='later', base='std.async_noop')
        self.reg.add(name='later2', base='later')
        d2 = self.reg.adhoc[('later2', '')]
        for desc in (d, d2):
            action = desc.instantiate({})
            self.assertFalse(action.is_sync())
            self.assertFalse(desc.is_sync(action))
        self.assertTrue(self.a1.is_sync(self.a1.instantiate({'x': 1})))

    def test_async_result_delivered_later_is_transformed(self):
        d = self.reg.add(name='cb', base='std.mistral_http',
                         base_input={'url': 'http://example.org'},
                         output='<% $.sum %>')
        self.assertEqual(3, d.post_process_result(
            ml_actions.Result(data={'sum': 3})).data)
        self.assertEqual(3, d.post_process_result({'sum': 3}).data)

    def test_instantiation_is_pure(self):
        a = self.a2.instantiate({'x': 2})
        b = self.a2.instantiate({'x': 2})
        self.assertEqual(vars(a.base_action), vars(b.base_action))
        given = {'x': 1}
        self.a1.instantiate(given)
        self.assertEqual({'x': 1}, given)

    def test_wait_ssh_base_input(self):
        d = actions.find_system_action('std.wait_ssh')
        action = d.instantiate({'host': 'h', 'username': 'u',
                                'password': 'p'})
        base = action.base_action
        self.assertEqual(('ls -l', 'h', 'u', 'p'),
                         (base.cmd, base.host, base.username, base.password))
