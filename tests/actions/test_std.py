"""Behaviour of the non-HTTP std.* actions."""

import email
import shutil
import socketserver
import sys
import threading
import time
import types
import unittest
from unittest import mock

from mistral_lib import actions as ml_actions

from mistral_clone import actions
from mistral_clone import exceptions as exc
from mistral_clone.actions import std


def _make(name, **params):
    d = actions.find_system_action(name)
    d.check_parameters(params)
    return d.instantiate(params)


def _run(name, **params):
    ctx = actions.make_action_context(action_execution_id='ae-1')
    return actions.run_action(_make(name, **params), ctx)


class SimpleActionsTest(unittest.TestCase):
    def test_noop(self):
        self.assertEqual(ml_actions.Result(data=None), _run('std.noop'))
        self.assertTrue(_make('std.noop').is_sync())

    def test_async_noop(self):
        a = _make('std.async_noop')
        self.assertFalse(a.is_sync())
        self.assertFalse(
            actions.find_system_action('std.async_noop').is_sync(a))
        res = actions.run_action(a)
        self.assertFalse(actions.should_report(a, res))

    def test_echo(self):
        self.assertEqual({'x': [1]}, _run('std.echo', output={'x': [1]}).data)
        self.assertIsNone(_run('std.echo', output=None).data)
        self.assertEqual('Echo', _make('std.echo', output=1).test(None))

    def test_echo_delay_conversion(self):
        for delay, expected in ((-5, 0.0), ('abc', 0.0), (None, 0.0),
                                ('0.05', 0.05)):
            self.assertEqual(expected,
                             _make('std.echo', output=1, delay=delay)._delay)
        started = time.monotonic()
        self.assertEqual('x', _run('std.echo', output='x', delay=0.05).data)
        self.assertGreaterEqual(time.monotonic() - started, 0.05)

    def test_fail(self):
        res = _run('std.fail')
        self.assertEqual(
            "The action raised an exception [action=Fail action, "
            "action_ex_id=ae-1, msg='Fail action expected exception.']",
            res.error)
        for falsy in (0, '', {}, None):
            self.assertIn('Fail action expected exception.',
                          _run('std.fail', error_data=falsy).error)
        self.assertEqual({'a': 1}, _run('std.fail', error_data={'a': 1}).error)
        self.assertEqual('boom', _run('std.fail', error_data='boom').error)

    def test_sleep(self):
        self.assertEqual(1, _make('std.sleep')._seconds)
        for seconds, expected in ((-1, 0), ('x', 0), ('2', 2), (None, 0)):
            self.assertEqual(expected,
                             _make('std.sleep', seconds=seconds)._seconds)
        self.assertIsNone(_run('std.sleep', seconds=0).data)

    def test_test_dict(self):
        self.assertEqual({'k0': 5, 'k1': 5, 'k2': 5},
                         _run('std.test_dict', size=3, key_prefix='k',
                              val=5).data)
        self.assertEqual({}, _run('std.test_dict').data)
        res = _run('std.test_dict', size='2')
        self.assertIn("msg=''str' object cannot be interpreted as an "
                      "integer']", res.error)
        self.assertIn('<mistral.actions.std_actions.TestDictAction object at '
                      '0x', res.error)


@unittest.skipUnless(shutil.which('node'), 'node not installed')
class JavaScriptTest(unittest.TestCase):
    def test_script_with_context(self):
        res = _run('std.javascript', script='return $.a + $.b.length',
                   context={'a': 1, 'b': [1, 2]})
        self.assertEqual(3, res.data)
        self.assertEqual({'x': [1, 'y']},
                         _run('std.js', script="return {x: [1, 'y']}").data)
        self.assertIsNone(_run('std.js', script='var q = 1;').data)

    def test_failure(self):
        res = _run('std.js', script='return nosuchvar')
        self.assertIn("msg='JavaScriptAction failed: ReferenceError: "
                      "nosuchvar is not defined']", res.error)


class JavaScriptNoEngineTest(unittest.TestCase):
    def test_no_engine(self):
        self.addCleanup(std.configure_javascript)
        std.configure_javascript(implementation='none')
        res = _run('std.js', script='return 1')
        self.assertIn("msg='JavaScriptAction failed: No JavaScript engine is "
                      "available", res.error)
        self.assertIn('<mistral.actions.std_actions.JavaScriptAction object',
                      res.error)


class FakeChannel(object):
    def __init__(self, code):
        self.code = code

    def recv_exit_status(self):
        return self.code


class FakeStream(object):
    def __init__(self, data, code=0):
        self.data = data
        self.channel = FakeChannel(code)

    def read(self):
        return self.data.encode()


def fake_paramiko(behaviour):
    """behaviour: host -> (code, out, err) or an exception to raise."""
    mod = types.ModuleType('paramiko')
    connects = []

    class SSHClient(object):
        def set_missing_host_key_policy(self, policy):
            pass

        def connect(self, host, **kwargs):
            connects.append((host, kwargs))
            if isinstance(behaviour.get(host), Exception):
                raise behaviour[host]
            self.host = host

        def exec_command(self, cmd):
            code, out, err = behaviour[self.host]
            return None, FakeStream(out, code), FakeStream(err)

        def close(self):
            pass

    mod.SSHClient = SSHClient
    mod.AutoAddPolicy = lambda: None
    mod.connects = connects
    return mod


class SSHTest(unittest.TestCase):
    def _with_paramiko(self, behaviour):
        mod = fake_paramiko(behaviour)
        patcher = mock.patch.dict(sys.modules, {'paramiko': mod})
        patcher.start()
        self.addCleanup(patcher.stop)
        return mod

    def test_without_paramiko(self):
        with mock.patch.dict(sys.modules, {'paramiko': None}):
            res = _run('std.ssh', cmd='ls', host='h1', username='u')
        self.assertIn("msg='Failed to execute ssh cmd 'ls' on ['h1']: SSH "
                      "support is not installed", res.error)

    def test_single_and_multi_host(self):
        mod = self._with_paramiko({'h1': (0, 'out1', ''), 'h2': (0, 'o2', '')})
        self.assertEqual('out1', _run('std.ssh', cmd='ls', host='h1',
                                      username='u', password='p').data)
        self.assertEqual(('h1', {'username': 'u', 'timeout': 60,
                                 'password': 'p'}), mod.connects[0])
        self.assertEqual(['out1', 'o2'], _run('std.ssh', cmd='ls',
                                              host=['h1', 'h2'],
                                              username='u').data)

    def test_nonzero_exit_fails_with_generic_message(self):
        self._with_paramiko({'h1': (0, 'a', ''), 'h2': (2, '', 'bad')})
        res = _run('std.ssh', cmd='ls', host=['h1', 'h2'], username='u')
        self.assertIn("msg='Failed to execute ssh cmd 'ls' on ['h1', 'h2']']",
                      res.error)
        self.assertIn('std_actions.SSHAction object', res.error)

    def test_return_result_on_error(self):
        self._with_paramiko({'h1': (0, 'a', ''), 'h2': (2, '', 'bad'),
                             'h3': OSError('refused')})
        self.assertEqual({'stdout': '', 'stderr': 'bad', 'exit_code': 2},
                         _run('std.ssh', cmd='x', host='h2', username='u',
                              return_result_on_error=True).data)
        self.assertEqual(
            [{'stdout': 'a', 'stderr': '', 'exit_code': 0},
             {'stdout': '', 'stderr': 'bad', 'exit_code': 2}],
            _run('std.ssh', cmd='x', host=['h1', 'h2', 'h3'], username='u',
                 return_result_on_error=True).data)
        res = _run('std.ssh', cmd='x', host=['h3'], username='u',
                   return_result_on_error=True)
        self.assertIn("Failed to execute ssh cmd 'x' on ['h3']", res.error)

    def test_relative_key_file_under_home_ssh(self):
        mod = self._with_paramiko({'h1': (0, 'ok', '')})
        _run('std.ssh', cmd='ls', host='h1', username='u',
             private_key_filename='id_test')
        self.assertTrue(mod.connects[0][1]['key_filename'].endswith(
            '/.ssh/id_test'))

    def test_wait_ssh_uses_std_ssh(self):
        mod = self._with_paramiko({'h1': (0, 'listing', '')})
        res = _run('std.wait_ssh', host='h1', username='u', password='p')
        self.assertEqual('listing', res.data)
        self.assertEqual('p', mod.connects[0][1]['password'])


class _SMTPHandler(socketserver.StreamRequestHandler):
    def _send(self, line):
        self.wfile.write((line + '\r\n').encode())

    def handle(self):
        srv = self.server
        self._send('220 test ESMTP')
        env = {'rcpt': []}
        while True:
            line = self.rfile.readline().decode().rstrip('\r\n')
            if not line:
                return
            verb = line.split(' ', 1)[0].upper()
            if verb in ('EHLO', 'HELO'):
                self._send('250 test')
            elif verb == 'MAIL':
                env['from'] = line.split(':', 1)[1].strip(' <>')
                self._send('250 ok')
            elif verb == 'RCPT':
                env['rcpt'].append(line.split(':', 1)[1].strip(' <>'))
                self._send('250 ok')
            elif verb == 'DATA':
                self._send('354 go')
                data = []
                while True:
                    dl = self.rfile.readline().decode()
                    if dl in ('.\r\n', '.\n', ''):
                        break
                    data.append(dl)
                env['data'] = ''.join(data)
                srv.messages.append(dict(env))
                self._send('250 queued')
            elif verb == 'QUIT':
                self._send('221 bye')
                return
            else:
                self._send('502 not implemented')


class EmailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        cls.server = socketserver.ThreadingTCPServer(('127.0.0.1', 0),
                                                     _SMTPHandler)
        cls.server.daemon_threads = True
        cls.server.messages = []
        cls.thread = threading.Thread(target=cls.server.serve_forever,
                                      daemon=True)
        cls.thread.start()
        cls.address = '127.0.0.1:%s' % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.server.messages.clear()

    def test_send_plain(self):
        res = _run('std.email', from_addr='a@b', to_addrs=['c@d', 'e@f'],
                   cc_addrs=['g@h'], bcc_addrs=['i@j'], reply_to=['r@s'],
                   smtp_server=self.address)
        self.assertTrue(res.is_success(), res)
        self.assertIsNone(res.data)
        [m] = self.server.messages
        self.assertEqual('a@b', m['from'])
        self.assertEqual(['g@h', 'i@j', 'c@d', 'e@f'], m['rcpt'])
        msg = email.message_from_string(m['data'])
        self.assertEqual(
            ['Content-Type', 'MIME-Version', 'Content-Transfer-Encoding',
             'Subject', 'From', 'Reply-To', 'To', 'cc'], msg.keys())
        self.assertEqual('=?utf-8?q?=3CNo_subject=3E?=', msg['Subject'])
        self.assertEqual('c@d, e@f', msg['To'])
        self.assertEqual('g@h', msg['Cc'])
        self.assertEqual('r@s', msg['Reply-To'])
        self.assertIsNone(msg['Bcc'])
        self.assertEqual('text/plain; charset="utf-8"', msg['Content-Type'])
        self.assertEqual(b'<No body>', msg.get_payload(decode=True))

    def test_send_html(self):
        _run('std.email', from_addr='a@b', to_addrs=['c@d'], subject='Hi',
             body='plain', html_body='<b>x</b>', smtp_server=self.address)
        msg = email.message_from_string(self.server.messages[0]['data'])
        self.assertEqual('multipart/alternative', msg.get_content_type())
        self.assertEqual(['text/plain', 'text/html'],
                         [p.get_content_type() for p in msg.get_payload()])
        self.assertEqual('=?utf-8?q?Hi?=', msg['Subject'])
        self.assertEqual('', msg['Reply-To'])
        self.assertIsNone(msg['cc'])
        self.assertEqual(b'<b>x</b>',
                         msg.get_payload()[1].get_payload(decode=True))

    def test_password_needs_starttls(self):
        res = _run('std.email', from_addr='a@b', to_addrs=['c@d'],
                   smtp_password='pw', smtp_server=self.address)
        self.assertIn("msg='Failed to send an email message: STARTTLS "
                      "extension not supported by server.'", res.error)

    def test_connection_refused(self):
        res = _run('std.email', from_addr='a@b', to_addrs=['c@d'],
                   smtp_server='127.0.0.1:1')
        self.assertIn("msg='Failed to send an email message: [Errno 111] "
                      "Connection refused']", res.error)
        self.assertIn('std_actions.SendEmailAction object', res.error)

    def test_string_to_addrs_is_a_python_error(self):
        res = _run('std.email', from_addr='a@b', to_addrs='c@d',
                   smtp_server=self.address)
        self.assertIn('msg=\'can only concatenate list (not "str") to list\'',
                      res.error)


class StdReprTest(unittest.TestCase):
    def test_reprs(self):
        self.assertEqual('Fail action', repr(_make('std.fail')))
        self.assertRegex(repr(_make('std.echo', output=1)),
                         r'^<mistral\.actions\.std_actions\.EchoAction object '
                         r'at 0x[0-9a-f]+>$')

    def test_http_body_and_json(self):
        with self.assertRaises(exc.ActionException):
            _make('std.http', url='http://x', body='a', json={'a': 1})
        # falsy json does not count
        _make('std.http', url='http://x', body='a', json={})
