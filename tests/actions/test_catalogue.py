"""System catalogue: matches the reference's GET /v2/actions; plugins."""

import json
import os
import unittest
from unittest import mock

from mistral_lib import actions as ml_actions

from mistral_clone import actions
from mistral_clone.actions import catalogue
from mistral_clone import exceptions as exc

HERE = os.path.dirname(__file__)


def _reference():
    with open(os.path.join(HERE, 'reference_actions.json')) as f:
        return {a['name']: a for a in json.load(f)['actions']}


class Adder(ml_actions.Action):
    """Adds two numbers."""

    def __init__(self, a, b=0):
        super().__init__()
        self.a, self.b = a, b

    def run(self, context):
        if self.a < 0:
            return ml_actions.Result(error={'reason': 'negative'})
        return self.a + self.b


class NoDoc(ml_actions.Action):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def run(self, context):
        return self.kwargs


class FakeEntryPoint(object):
    def __init__(self, name, target, error=None):
        self.name = name
        self.value = 'fake.module:%s' % name
        self._target = target
        self._error = error

    def load(self):
        if self._error:
            raise self._error
        return self._target


class CatalogueMatchesReferenceTest(unittest.TestCase):
    def setUp(self):
        catalogue.reset_catalogue()
        self.addCleanup(catalogue.reset_catalogue)

    def test_names_inputs_descriptions(self):
        ref = _reference()
        ours = actions.system_actions()
        self.assertEqual(sorted(ref), [d.name for d in ours])
        self.assertEqual(14, len(ours))
        for d in ours:
            with self.subTest(action=d.name):
                self.assertEqual(ref[d.name]['input'], d.params_spec)
                self.assertEqual(ref[d.name]['description'], d.description)
                self.assertEqual('', d.namespace)

    def test_wait_ssh_is_the_reference_adhoc_definition(self):
        d = actions.find_system_action('std.wait_ssh')
        self.assertIsInstance(d, actions.AdHocActionDescriptor)
        self.assertEqual(_reference()['std.wait_ssh']['definition'],
                         d.definition)
        self.assertEqual('std.ssh', d.base_name)

    def test_find_system_action(self):
        d = actions.find_system_action('std.echo')
        self.assertEqual('mistral.actions.std_actions.EchoAction',
                         d.class_path)
        self.assertTrue(d.is_system)
        self.assertIsNone(actions.find_system_action('std.bogus'))
        self.assertIs(d, actions.find_system_action('std.echo'))

    def test_descriptor_to_dict(self):
        d = actions.descriptor_to_dict(actions.find_system_action('std.sleep'))
        self.assertEqual('std.sleep', d['name'])
        self.assertEqual('seconds=1', d['input'])
        self.assertEqual('python', d['kind'])
        json.dumps(d)


class PluginTest(unittest.TestCase):
    def setUp(self):
        catalogue.reset_catalogue()
        self.addCleanup(catalogue.configure_plugins)

    def _with_eps(self, eps):
        patcher = mock.patch.object(catalogue, '_entry_points',
                                    return_value=eps)
        patcher.start()
        self.addCleanup(patcher.stop)
        catalogue.reset_catalogue()

    def test_custom_mistral_lib_action_runs(self):
        self._with_eps([FakeEntryPoint('my.add', Adder),
                        FakeEntryPoint('my.any', NoDoc)])
        names = [d.name for d in actions.system_actions()]
        self.assertEqual(sorted(names), names)
        self.assertIn('my.add', names)

        d = actions.find_system_action('my.add')
        self.assertEqual('a, b=0', d.params_spec)
        self.assertEqual('Adds two numbers.', d.description)
        self.assertEqual('%s.Adder' % __name__, d.class_path)
        d.check_parameters({'a': 1})
        action = d.instantiate({'a': 2, 'b': 3})
        ctx = actions.make_action_context(action_execution_id='x')
        self.assertEqual(5, actions.run_action(action, ctx).data)
        res = actions.run_action(d.instantiate({'a': -1}), ctx)
        self.assertEqual({'reason': 'negative'}, res.error)

        anyd = actions.find_system_action('my.any')
        self.assertEqual('**kwargs', anyd.params_spec)
        anyd.check_parameters({'whatever': 1})  # ** accepts anything
        # No docstring: inherits mistral-lib's generic one, as the reference.
        self.assertTrue(anyd.description.startswith('Action.\n\nAction is'))

    def test_broken_plugin_is_skipped(self):
        self._with_eps([FakeEntryPoint('bad.one', None,
                                       ImportError('no module')),
                        FakeEntryPoint('bad.two', 'not a class'),
                        FakeEntryPoint('ok.add', Adder)])
        with self.assertLogs(catalogue.LOG, 'ERROR'):
            names = [d.name for d in actions.system_actions()]
        self.assertNotIn('bad.one', names)
        self.assertNotIn('bad.two', names)
        self.assertIn('ok.add', names)

    def test_builtin_names_win(self):
        self._with_eps([FakeEntryPoint('std.echo', Adder)])
        with self.assertLogs(catalogue.LOG, 'WARNING'):
            d = actions.find_system_action('std.echo')
        self.assertEqual('output, delay=0', d.params_spec)

    def test_plugins_loaded_once(self):
        calls = []

        def eps():
            calls.append(1)
            return [FakeEntryPoint('my.add', Adder)]
        with mock.patch.object(catalogue, '_entry_points', eps):
            catalogue.reset_catalogue()
            actions.system_actions()
            actions.find_system_action('my.add')
            actions.system_actions()
        self.assertEqual(1, len(calls))

    def test_allow_deny_and_disable(self):
        self._with_eps([FakeEntryPoint('my.add', Adder),
                        FakeEntryPoint('my.any', NoDoc)])
        catalogue.configure_plugins(denylist=['my.any'])
        self.assertIsNone(actions.find_system_action('my.any'))
        self.assertIsNotNone(actions.find_system_action('my.add'))
        catalogue.configure_plugins(allowlist=['my.any'], denylist=['my.any'])
        self.assertIsNotNone(actions.find_system_action('my.any'))
        self.assertIsNone(actions.find_system_action('my.add'))
        catalogue.configure_plugins(only_builtin_actions=True)
        self.assertEqual(14, len(actions.system_actions()))
        catalogue.configure_plugins(load_action_plugins=False)
        self.assertEqual(14, len(actions.system_actions()))


class DescriptorInstantiationErrorsTest(unittest.TestCase):
    def test_constructor_type_error_becomes_action_exception(self):
        d = actions.find_system_action('std.echo')
        with self.assertRaises(exc.ActionException) as cm:
            d.instantiate({'delay': 0})
        self.assertIn('TypeError: EchoAction.__init__() missing 1 required '
                      "positional argument: 'output'", str(cm.exception))

    def test_action_exception_keeps_its_text(self):
        d = actions.find_system_action('std.http')
        with self.assertRaises(exc.ActionException) as cm:
            d.instantiate({'url': 'http://x', 'body': 'a', 'json': [1]})
        self.assertEqual(
            "Only one of the parameters 'json' and 'body' can be passed",
            str(cm.exception))

    def test_cls_attrs_make_a_dynamic_subclass(self):
        d = actions.PythonActionDescriptor('my.add', Adder,
                                           cls_attrs={'flavour': 'x'})
        action = d.instantiate({'a': 1})
        self.assertIsInstance(action, Adder)
        self.assertEqual('x', action.flavour)
        self.assertEqual(
            "Python action [name=my.add, cls=<class '%s.Adder'>]" % __name__,
            repr(d))
