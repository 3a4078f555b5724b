"""The std.* python actions.

Each class is a mistral-lib ``Action``; its constructor arguments are the
action parameters (names and defaults are part of the wire format: they make
the ``input`` string shown by ``GET /v2/actions``).

Classes keep all their state in plain attributes, so mistral-lib's
serialiser can ship them to a remote executor. Their ``repr`` and parameter
error class path mimic the reference's module (``mistral.actions.std_actions``)
because users see and match both in error messages.
"""

import io
import json as jsonlib
import logging
import os
import shutil
import subprocess
import time
from urllib import parse as urlparse

from mistral_lib import actions as ml_actions

from mistral_clone import exceptions as exc
from mistral_clone.actions import http_policy

LOG = logging.getLogger(__name__)

REFERENCE_MODULE = 'mistral.actions.std_actions'


class StdAction(ml_actions.Action):
    """Common base: reference-compatible repr and class path."""

    def __repr__(self):
        return '<%s.%s object at 0x%x>' % (
            REFERENCE_MODULE, type(self).__name__, id(self))

    def run(self, context):  # pragma: no cover - overridden everywhere
        raise NotImplementedError


def _set_class_paths(*classes):
    for cls in classes:
        cls._class_path = '%s.%s' % (REFERENCE_MODULE, cls.__name__)


# --- trivial actions ---------------------------------------------------------

class NoOpAction(StdAction):
    def __init__(self):
        super().__init__()

    def run(self, context):
        return None

    def test(self, context):
        return None


class AsyncNoOpAction(NoOpAction):
    def is_sync(self):
        return False


class EchoAction(StdAction):
    def __init__(self, output, delay=0):
        super().__init__()
        self.output = output
        try:
            self._delay = max(0.0, float(delay))
        except (TypeError, ValueError):
            self._delay = 0.0

    def run(self, context):
        if self._delay:
            time.sleep(self._delay)
        return self.output

    def test(self, context):
        return 'Echo'


class FailAction(StdAction):
    def __init__(self, error_data=None):
        super().__init__()
        self.error_data = error_data

    def run(self, context):
        if self.error_data:
            return ml_actions.Result(error=self.error_data)
        raise exc.ActionException('Fail action expected exception.')

    def test(self, context):
        raise exc.ActionException('Fail action expected exception.')

    def __repr__(self):
        return 'Fail action'


class SleepAction(StdAction):
    def __init__(self, seconds=1):
        super().__init__()
        try:
            self._seconds = max(0, int(seconds))
        except (TypeError, ValueError):
            self._seconds = 0

    def run(self, context):
        if self._seconds:
            time.sleep(self._seconds)
        return None

    def test(self, context):
        return None


class TestDictAction(StdAction):
    def __init__(self, size=0, key_prefix='', val=''):
        super().__init__()
        self.size = size
        self.key_prefix = key_prefix
        self.val = val

    def run(self, context):
        # range() on a non-int raises, as on the reference.
        return {'%s%s' % (self.key_prefix, i): self.val
                for i in range(self.size)}

    def test(self, context):
        return {}


# --- HTTP --------------------------------------------------------------------

def _requests():
    import requests  # imported lazily: only HTTP actions need it
    return requests


class HTTPAction(StdAction):
    def __init__(self, url, method="GET", params=None, body=None, json=None,
                 headers=None, cookies=None, auth=None, timeout=None,
                 allow_redirects=None, proxies=None, verify=None):
        super().__init__()
        if body and json:
            raise exc.ActionException(
                "Only one of the parameters 'json' and 'body' can be passed")

        if isinstance(body, dict):
            body = jsonlib.dumps(body)

        if isinstance(headers, dict):
            headers = {
                k: (str(v) if isinstance(v, (int, float)) else v)
                for k, v in headers.items()
            }

        if isinstance(auth, str) and auth.count(':') == 1:
            auth = tuple(auth.split(':'))
        elif isinstance(auth, list) and len(auth) == 2:
            auth = tuple(auth)

        self.url = url
        self.method = method
        self.params = params
        self.body = body
        self.json = json
        self.headers = headers
        self.cookies = cookies
        self.auth = auth
        self.timeout = timeout
        self.allow_redirects = allow_redirects
        self.proxies = proxies
        self.verify = verify

    def _extra_headers(self, context):
        return {}

    def _request_kwargs(self, context, policy):
        headers = dict(self.headers or {})
        headers.update(self._extra_headers(context))
        kwargs = {
            'params': self.params,
            'data': self.body,
            'json': self.json,
            'headers': headers or None,
            'cookies': self.cookies,
            'auth': self.auth,
            'timeout': policy.effective_timeout(self.timeout),
            # None (the default) means "do not follow", like the reference.
            'allow_redirects': self.allow_redirects,
            'proxies': self.proxies,
            'stream': True,
        }
        scheme = urlparse.urlsplit(str(self.url)).scheme.lower()
        if scheme == 'https' and self.verify is not None:
            kwargs['verify'] = self.verify
        return kwargs

    def run(self, context):
        policy = http_policy.get_http_policy()
        policy.check_url(self.url)

        requests = _requests()
        kwargs = self._request_kwargs(context, policy)

        try:
            with _policy_session(requests, policy) as session:
                resp = session.request(self.method, self.url, **kwargs)
                try:
                    _check_size(resp, policy)
                    content_bytes = resp.content
                finally:
                    resp.close()
        except exc.ActionException:
            raise
        except Exception as e:
            raise exc.ActionException('Failed to send HTTP request: %s' % e)

        result = _response_to_dict(resp, content_bytes)

        if not (200 <= resp.status_code <= 306):
            return ml_actions.Result(error=result)
        return result

    def test(self, context):
        return None


def _policy_session(requests, policy):
    """A requests Session that checks the policy before every request sent.

    Redirect hops go through ``send`` too, so a redirect to a denied host is
    refused before connecting; the first URL was already checked by ``run``.
    """

    class _Session(requests.Session):
        def send(self, request, **kwargs):
            if getattr(self, '_mistral_first_sent', False):
                policy.check_url(request.url)
            self._mistral_first_sent = True
            return super().send(request, **kwargs)

    return _Session()


def _check_size(resp, policy):
    limit = policy.max_response_size_bytes
    if not limit:
        return
    length = resp.headers.get('Content-Length')
    try:
        length = int(length) if length is not None else None
    except ValueError:
        length = None
    if length is not None and length > limit:
        raise exc.ActionException(
            'HTTP response is too large (Content-Length=%s, limit=%s bytes).'
            % (length, limit))


def _response_to_dict(resp, content_bytes):
    try:
        content = resp.json()
    except ValueError:
        content = resp.text
    return {
        'content': content,
        'status': resp.status_code,
        'headers': dict(resp.headers.items()),
        'url': resp.url,
        'history': [_history_entry(h) for h in resp.history],
        'encoding': resp.encoding,
        'reason': resp.reason,
        'cookies': resp.cookies.get_dict(),
        'elapsed': resp.elapsed.total_seconds(),
    }


def _history_entry(resp):
    # The reference serialises a redirect response by iterating it, which
    # yields its body in 128-byte chunks (usually none at all).
    data = resp.content or b''
    return [data[i:i + 128].decode('utf-8', 'replace')
            for i in range(0, len(data), 128)]


class MistralHTTPAction(HTTPAction):
    """std.http plus Mistral's execution headers; completed through the API."""

    def _extra_headers(self, context):
        ex = getattr(context, 'execution', None)
        if ex is None:
            return {}
        values = {
            'Mistral-Workflow-Name': getattr(ex, 'workflow_name', None),
            'Mistral-Workflow-Execution-Id':
                getattr(ex, 'workflow_execution_id', None),
            'Mistral-Task-Id': getattr(ex, 'task_execution_id', None),
            'Mistral-Action-Execution-Id':
                getattr(ex, 'action_execution_id', None),
            'Mistral-Callback-URL': getattr(ex, 'callback_url', None),
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    def is_sync(self):
        return False

    def test(self, context):
        return None


# --- e-mail ------------------------------------------------------------------

class SendEmailAction(StdAction):
    def __init__(self, from_addr, to_addrs, smtp_server, reply_to=None,
                 cc_addrs=None, bcc_addrs=None, smtp_password=None,
                 subject=None, body=None, html_body=None):
        super().__init__()
        self.from_addr = from_addr
        self.to_addrs = to_addrs
        self.reply_to = reply_to
        self.cc_addrs = cc_addrs
        self.bcc_addrs = bcc_addrs
        self.smtp_server = smtp_server
        self.password = smtp_password
        self.subject = subject or '<No subject>'
        self.body = body or '<No body>'
        self.html_body = html_body

    def _message(self):
        # email.mime and smtplib are imported by this action alone, not by
        # every engine and executor at start (issue 14, memory).
        from email import header as email_header
        from email.mime import multipart as mime_multipart
        from email.mime import text as mime_text
        # Same shape as the reference's messages: utf-8/base64 parts, an
        # encoded Subject, an always-present (possibly empty) Reply-To and a
        # lower-case "cc" header only when there are cc recipients.
        if self.html_body:
            message = mime_multipart.MIMEMultipart('alternative')
            message.attach(mime_text.MIMEText(self.body, 'plain', 'utf-8'))
            message.attach(
                mime_text.MIMEText(self.html_body, 'html', 'utf-8'))
        else:
            message = mime_text.MIMEText(self.body, 'plain', 'utf-8')
        message['Subject'] = email_header.Header(self.subject, 'utf-8')
        message['From'] = self.from_addr
        message['Reply-To'] = ', '.join(self.reply_to or [])
        message['To'] = ', '.join(self.to_addrs)
        if self.cc_addrs:
            message['cc'] = ', '.join(self.cc_addrs)
        return message

    def run(self, context):
        # Outside the try on purpose: a string to_addrs fails here with the
        # bare Python error, as on the reference.
        recipients = ((self.cc_addrs or []) + (self.bcc_addrs or []) +
                      self.to_addrs)
        message = self._message()
        import smtplib
        try:
            smtp = smtplib.SMTP(self.smtp_server, timeout=60)
            try:
                if self.password is not None:
                    smtp.ehlo()
                    smtp.starttls()
                    smtp.ehlo()
                    smtp.login(self.from_addr, self.password)
                smtp.sendmail(self.from_addr, recipients, message.as_string())
            finally:
                try:
                    smtp.quit()
                except Exception:
                    pass
        except (smtplib.SMTPException, OSError) as e:
            raise exc.ActionException(
                'Failed to send an email message: %s' % e)
        return None

    def test(self, context):
        return None


# --- SSH ---------------------------------------------------------------------

def _paramiko():
    try:
        import paramiko
    except ImportError:
        return None
    return paramiko


def _load_pkey(paramiko, private_key):
    errors = []
    for key_cls_name in ('RSAKey', 'Ed25519Key', 'ECDSAKey', 'DSSKey'):
        key_cls = getattr(paramiko, key_cls_name, None)
        if key_cls is None:
            continue
        try:
            return key_cls.from_private_key(io.StringIO(private_key))
        except Exception as e:  # try the next key type
            errors.append(e)
    raise exc.ActionException('Unsupported private key: %s' % errors[-1:])


def _key_path(private_key_filename):
    if not private_key_filename:
        return None
    if os.path.isabs(private_key_filename):
        return private_key_filename
    return os.path.join(os.path.expanduser('~/.ssh'), private_key_filename)


def _ssh_connect(paramiko, host, username, password=None, private_key=None,
                 private_key_filename=None, sock=None):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    kwargs = {'username': username, 'timeout': 60}
    if password:
        kwargs['password'] = password
    if private_key:
        kwargs['pkey'] = _load_pkey(paramiko, private_key)
    key_path = _key_path(private_key_filename)
    if key_path:
        kwargs['key_filename'] = key_path
    if sock is not None:
        kwargs['sock'] = sock
    client.connect(host, **kwargs)
    return client


def _ssh_exec(client, cmd):
    _stdin, stdout, stderr = client.exec_command(cmd)
    out = stdout.read().decode('utf-8', 'replace')
    err = stderr.read().decode('utf-8', 'replace')
    code = stdout.channel.recv_exit_status()
    return code, out, err


class SSHAction(StdAction):
    def __init__(self, cmd, host, username, password="",
                 private_key_filename=None, private_key=None,
                 return_result_on_error=False):
        super().__init__()
        self.cmd = cmd
        self.host = host
        self.username = username
        self.password = password
        self.private_key_filename = private_key_filename
        self.private_key = private_key
        self.return_result_on_error = return_result_on_error

    def _hosts(self):
        return self.host if isinstance(self.host, list) else [self.host]

    def _failure_text(self):
        return "Failed to execute ssh cmd '%s' on %s" % (
            self.cmd, self._hosts())

    def _execute_on_host(self, paramiko, host):
        """(exit_code, stdout, stderr) of ``cmd`` on ``host``."""
        client = _ssh_connect(
            paramiko, host, self.username, password=self.password,
            private_key=self.private_key,
            private_key_filename=self.private_key_filename)
        try:
            return _ssh_exec(client, self.cmd)
        finally:
            client.close()

    def run(self, context):
        paramiko = _paramiko()
        if paramiko is None:
            raise exc.ActionException(
                '%s: SSH support is not installed (python package '
                "'paramiko' is missing on this executor)" %
                self._failure_text())

        hosts = self._hosts()
        results = []
        keep_going_on_error = bool(
            getattr(self, 'return_result_on_error', False))
        for host in hosts:
            try:
                code, out, err = self._execute_on_host(paramiko, host)
            except Exception as e:
                LOG.warning('ssh cmd %r on %s failed: %s', self.cmd, host, e)
                if keep_going_on_error and results:
                    break  # the reference returns what it has
                raise exc.ActionException(self._failure_text())
            if keep_going_on_error:
                results.append(
                    {'stdout': out, 'stderr': err, 'exit_code': code})
            elif code != 0:
                LOG.warning('ssh cmd %r on %s exited with %s: %s',
                            self.cmd, host, code, err)
                raise exc.ActionException(self._failure_text())
            else:
                results.append(out)
        return results[0] if len(hosts) == 1 else results

    def test(self, context):
        return jsonlib.dumps(self.cmd)


class SSHProxiedAction(SSHAction):
    def __init__(self, cmd, host, username, private_key_filename,
                 gateway_host, gateway_username=None, password=None,
                 proxy_command=None, private_key=None):
        super().__init__(cmd, host, username, password=password,
                         private_key_filename=private_key_filename,
                         private_key=private_key)
        del self.return_result_on_error
        self.gateway_host = gateway_host
        self.gateway_username = gateway_username
        self.proxy_command = proxy_command

    def _execute_on_host(self, paramiko, host):
        gateway = None
        if self.proxy_command:
            sock = paramiko.ProxyCommand(self.proxy_command)
        else:
            gateway = _ssh_connect(
                paramiko, self.gateway_host,
                self.gateway_username or self.username,
                password=self.password, private_key=self.private_key,
                private_key_filename=self.private_key_filename)
            sock = gateway.get_transport().open_channel(
                'direct-tcpip', (host, 22), ('127.0.0.1', 0))
        try:
            client = _ssh_connect(
                paramiko, host, self.username, password=self.password,
                private_key=self.private_key,
                private_key_filename=self.private_key_filename, sock=sock)
            try:
                return _ssh_exec(client, self.cmd)
            finally:
                client.close()
        finally:
            if gateway is not None:
                gateway.close()


# --- JavaScript --------------------------------------------------------------

_JS_WRAPPER = """
var $ = %(context)s;
function f() { %(script)s
}
var __r = f();
process.stdout.write(JSON.stringify(__r === undefined ? null : __r));
"""

_js_settings = {'node_path': None, 'implementation': 'auto'}


def configure_javascript(implementation='auto', node_path=None):
    """``implementation``: auto | py_mini_racer | node | none."""
    _js_settings['implementation'] = implementation
    _js_settings['node_path'] = node_path


def _run_js_mini_racer(script, context):
    import py_mini_racer
    racer_cls = getattr(py_mini_racer, 'MiniRacer', None)
    if racer_cls is None:  # older releases nest the module
        racer_cls = py_mini_racer.py_mini_racer.MiniRacer
    ctx = racer_cls()
    ctx.eval('var $ = %s;' % jsonlib.dumps(context))
    out = ctx.eval('JSON.stringify((function f() { %s\n})())' % script)
    return jsonlib.loads(out) if out else None


def _run_js_node(node, script, context):
    program = _JS_WRAPPER % {'context': jsonlib.dumps(context),
                             'script': script}
    proc = subprocess.run([node, '-'], input=program.encode('utf-8'),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.decode('utf-8', 'replace')
                 .splitlines() if ln.strip()]
        errors = [ln for ln in lines if 'Error' in ln and ':' in ln]
        raise RuntimeError((errors or lines or ['node exited with %s' %
                                                proc.returncode])[0].strip())
    out = proc.stdout.decode('utf-8')
    return jsonlib.loads(out) if out else None


def _evaluate_js(script, context):
    impl = _js_settings['implementation']
    if impl in ('auto', 'py_mini_racer'):
        try:
            return _run_js_mini_racer(script, context)
        except ImportError:
            if impl == 'py_mini_racer':
                raise RuntimeError('py_mini_racer module is not available.')
    if impl in ('auto', 'node'):
        node = _js_settings['node_path'] or shutil.which('node')
        if node:
            return _run_js_node(node, script, context)
    raise RuntimeError(
        'No JavaScript engine is available. Please install py_mini_racer '
        'or node.')


class JavaScriptAction(StdAction):
    def __init__(self, script, context=None):
        super().__init__()
        self.script = script
        self.js_context = context

    def run(self, context):
        try:
            return _evaluate_js(self.script, self.js_context)
        except Exception as e:
            raise exc.ActionException('JavaScriptAction failed: %s' % e)

    def test(self, context):
        return self.script


_set_class_paths(NoOpAction, AsyncNoOpAction, EchoAction, FailAction,
                 SleepAction, TestDictAction, HTTPAction, MistralHTTPAction,
                 SendEmailAction, SSHAction, SSHProxiedAction,
                 JavaScriptAction)
