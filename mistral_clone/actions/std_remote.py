"""std.email and std.ssh / std.ssh_proxied (smtplib and paramiko are loaded
only when such an action runs)."""

import io
import json as jsonlib
import logging
import os

from mistral_clone import exceptions as exc
from mistral_clone.actions.std_base import StdAction, set_class_paths

LOG = logging.getLogger(__name__)


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


set_class_paths(SendEmailAction, SSHAction, SSHProxiedAction)
