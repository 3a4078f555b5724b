"""std.http and std.mistral_http."""

import json as jsonlib
from urllib import parse as urlparse

from mistral_lib import actions as ml_actions

from mistral_clone import exceptions as exc
from mistral_clone.actions import http_policy
from mistral_clone.actions.std_base import StdAction, set_class_paths


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


set_class_paths(HTTPAction, MistralHTTPAction)
