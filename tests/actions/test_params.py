"""Parameter spec strings and the ``Invalid input [...]`` messages."""

import unittest

from mistral_clone import actions
from mistral_clone import exceptions as exc


class SpecFromCallableTest(unittest.TestCase):
    def test_defaults_are_json(self):
        def f(self, a, b="GET", c=None, d=False, e=0, f=''):
            pass
        self.assertEqual('a, b="GET", c=null, d=false, e=0, f=""',
                         actions.params_spec_from_callable(f))

    def test_unencodable_default_is_dropped(self):
        def f(self, a, b=object(), c=1):
            pass
        self.assertEqual('a, c=1', actions.params_spec_from_callable(f))

    def test_var_kwargs(self):
        def f(self, a, *args, **kw):
            pass
        self.assertEqual('a, **kw', actions.params_spec_from_callable(f))

    def test_explicit_arguments_attribute(self):
        def f(self, **kw):
            pass
        f.__arguments__ = 'x, y=2'
        self.assertEqual('x, y=2', actions.params_spec_from_callable(f))

    def test_parse(self):
        self.assertEqual((['a', '2]'], ['b', 'l'], False),
                         actions.parse_params_spec('a, b=1, l=[1, 2]'))
        self.assertEqual(([], [], True), actions.parse_params_spec('**kw'))
        self.assertEqual(([], [], False), actions.parse_params_spec(''))


class CheckParametersTest(unittest.TestCase):
    def _msg(self, name, params):
        with self.assertRaises(exc.InputException) as cm:
            actions.find_system_action(name).check_parameters(params)
        self.assertEqual(400, cm.exception.http_code)
        return str(cm.exception)

    def test_missing(self):
        self.assertEqual(
            "Invalid input [name=std.echo, class=mistral.actions.std_actions"
            ".EchoAction, missing=['output']]", self._msg('std.echo', {}))

    def test_unexpected_in_input_order(self):
        self.assertEqual(
            "Invalid input [name=std.noop, class=mistral.actions.std_actions"
            ".NoOpAction, unexpected=['zb', 'za', 'zc']]",
            self._msg('std.noop', {'zb': 1, 'za': 1, 'zc': 2}))

    def test_both_missing_in_spec_order(self):
        self.assertEqual(
            "Invalid input [name=std.ssh_proxied, class=mistral.actions."
            "std_actions.SSHProxiedAction, missing=['cmd', 'host', 'username',"
            " 'private_key_filename', 'gateway_host'], unexpected=['zz']]",
            self._msg('std.ssh_proxied', {'zz': 1}))

    def test_class_paths_of_all_std_actions(self):
        expected = {
            'std.async_noop': 'AsyncNoOpAction', 'std.echo': 'EchoAction',
            'std.email': 'SendEmailAction', 'std.fail': 'FailAction',
            'std.http': 'HTTPAction', 'std.javascript': 'JavaScriptAction',
            'std.js': 'JavaScriptAction',
            'std.mistral_http': 'MistralHTTPAction', 'std.noop': 'NoOpAction',
            'std.sleep': 'SleepAction', 'std.ssh': 'SSHAction',
            'std.ssh_proxied': 'SSHProxiedAction',
            'std.test_dict': 'TestDictAction',
        }
        for name, cls in expected.items():
            self.assertEqual('mistral.actions.std_actions.' + cls,
                             actions.find_system_action(name).class_path)

    def test_valid_input_passes(self):
        actions.find_system_action('std.echo').check_parameters(
            {'output': None, 'delay': 1})
        actions.find_system_action('std.noop').check_parameters(None)

    def test_adhoc_class_path(self):
        self.assertEqual(
            "Invalid input [name=std.wait_ssh, class=mistral.actions.adhoc."
            "AdHocAction, missing=['password']]",
            self._msg('std.wait_ssh', {'host': 'h', 'username': 'u'}))
