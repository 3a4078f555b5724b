"""Minimal raw-HTTP client for the Mistral v2 API, used by the benchmarks.

Plain HTTP over keep-alive ``http.client`` connections: no
python-mistralclient, so the figures measure the server and the wire
format only, and little client CPU is spent beside the server.
"""

import http.client
import json
import threading
import time
import urllib.parse


TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')


class BenchError(Exception):
    """The server misbehaved (unexpected status, timeout, failed run)."""


def normalize_url(url):
    url = url.rstrip('/')
    if not url.endswith('/v2'):
        url += '/v2'
    return url


class KeepAliveGetter(object):
    """GETs over one keep-alive ``http.client`` connection (one per
    thread), the body read and dropped: ~0.1 ms of client CPU per request
    where ``requests`` spends ~1 ms (URL parsing, hooks, adapters, header
    dicts), so a client sharing the server's CPUs measures more of the
    server. A connection the server closed is opened again once."""

    def __init__(self, base, timeout=60.0):
        u = urllib.parse.urlsplit(base)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.prefix = u.path.rstrip('/')
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        cls = http.client.HTTPSConnection if self.scheme == 'https' \
            else http.client.HTTPConnection
        self.conn = cls(self.host, self.port, timeout=self.timeout)

    def get(self, path):
        """GET ``path`` (below the API's ``/v2``); returns the body's
        length, raises BenchError unless the answer is a 200."""
        full = self.prefix + path
        for attempt in (1, 2):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request('GET', full)
                resp = self.conn.getresponse()
                body = resp.read()
            except (http.client.HTTPException, OSError) as e:
                self.close()
                if attempt == 2:
                    raise BenchError('GET %s failed: %s' % (path, e))
                continue
            if resp.status != 200:
                raise BenchError('GET %s -> HTTP %s: %s' % (
                    path, resp.status, body[:300]))
            if resp.will_close:
                self.close()
            return len(body)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# Longest pause between two polls of wait_executions, as a share of the
# time waited so far.
POLL_SHARE = 0.03


class Response(object):
    """What the scenarios read of an answer."""

    def __init__(self, status_code, content):
        self.status_code = status_code
        self.content = content

    @property
    def text(self):
        return self.content.decode('utf-8', 'replace')

    def json(self):
        return json.loads(self.content)


class Api(object):
    def __init__(self, url, timeout=60.0):
        self.base = normalize_url(url)
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self):
        """This thread's keep-alive connection (http.client: see
        KeepAliveGetter for why not ``requests``)."""
        conn = getattr(self._local, 'conn', None)
        if conn is None:
            u = urllib.parse.urlsplit(self.base)
            cls = http.client.HTTPSConnection if u.scheme == 'https' \
                else http.client.HTTPConnection
            conn = cls(u.hostname, u.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop_connection(self):
        conn = getattr(self._local, 'conn', None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request(self, method, path, expect=(200,), params=None, json_body=None,
                data=None, headers=None):
        """One request over this thread's keep-alive connection. When a
        connection kept from an earlier request fails (the server closed
        it while idle, as servers do before reading a request, not after
        answering one), the request is sent once more on a new one; a new
        connection's failure is final."""
        full = urllib.parse.urlsplit(self.base).path + path
        if params:
            full += '?' + urllib.parse.urlencode(params)
        hdrs = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode('utf-8')
            hdrs['Content-Type'] = 'application/json'
        for attempt in (1, 2):
            conn = self._connection()
            fresh = conn.sock is None
            try:
                conn.request(method, full, body=data, headers=hdrs)
                raw = conn.getresponse()
                resp = Response(raw.status, raw.read())
            except (http.client.HTTPException, OSError) as e:
                self._drop_connection()
                if attempt == 2 or fresh or isinstance(e, TimeoutError):
                    raise BenchError('%s %s failed: %s' % (method, path, e))
                continue
            if raw.will_close:
                self._drop_connection()
            break
        if resp.status_code not in expect:
            body = resp.text[:600].replace('\n', ' ')
            raise BenchError('%s %s -> HTTP %s (expected %s): %s'
                             % (method, path, resp.status_code,
                                '/'.join(map(str, expect)), body))
        return resp

    # -- workflows ---------------------------------------------------------
    def create_workflows(self, definition):
        resp = self.request('POST', '/workflows', expect=(201,),
                            data=definition.encode('utf-8'),
                            headers={'Content-Type': 'text/plain'})
        return resp.json()['workflows']

    def delete_workflow(self, name, missing_ok=True):
        expect = (204, 404) if missing_ok else (204,)
        self.request('DELETE', '/workflows/%s' % name, expect=expect)

    def list_workflows(self, **params):
        return self.request('GET', '/workflows', params=params).json()

    # -- executions --------------------------------------------------------
    def start_execution(self, workflow_name, wf_input=None):
        body = {'workflow_name': workflow_name}
        if wf_input is not None:
            body['input'] = json.dumps(wf_input)
        resp = self.request('POST', '/executions', expect=(201,),
                            json_body=body)
        ex = resp.json()
        if ex.get('state') not in ('RUNNING', 'SUCCESS', 'IDLE'):
            raise BenchError('execution %s of %s started in state %s: %s'
                             % (ex.get('id'), workflow_name, ex.get('state'),
                                ex.get('state_info')))
        return ex

    def get_execution(self, ex_id):
        return self.request('GET', '/executions/%s' % ex_id).json()

    def list_executions(self, workflow_name, fields='id,state,state_info'):
        params = {'workflow_name': workflow_name, 'fields': fields,
                  'limit': 1000}
        return self.request('GET', '/executions',
                            params=params).json()['executions']

    def delete_execution(self, ex_id):
        """Delete an execution; a non-terminal one is cancelled first and
        then deleted with ``force`` (what the reference requires)."""
        codes = (204, 404, 400, 403, 409)
        resp = self.request('DELETE', '/executions/%s' % ex_id, expect=codes)
        if resp.status_code in (204, 404):
            return True
        try:
            self.request('PUT', '/executions/%s' % ex_id, expect=(200,),
                         json_body={'state': 'CANCELLED'})
        except BenchError:
            pass
        resp = self.request('DELETE', '/executions/%s' % ex_id,
                            params={'force': 'true'}, expect=codes)
        if resp.status_code not in (204, 404):
            raise BenchError('DELETE /executions/%s -> HTTP %s: %s'
                             % (ex_id, resp.status_code, resp.text[:300]))
        return True

    def wait_executions(self, workflow_name, ids, timeout, t0=None,
                        fail_on_error=True):
        """Poll until every execution in ``ids`` is terminal.

        Returns {id: (state, seconds since t0 when first seen terminal)}.
        One filtered list request per poll (cheap for the server); ids that
        the list does not show are fetched one by one.
        """
        t0 = time.monotonic() if t0 is None else t0
        pending = set(ids)
        done = {}
        interval = 0.01
        deadline = time.monotonic() + timeout
        while pending:
            now = time.monotonic()
            if now > deadline:
                sample = sorted(pending)[:3]
                raise BenchError(
                    '%d of %d executions of %s not finished after %.0f s '
                    '(e.g. %s)' % (len(pending), len(ids), workflow_name,
                                   timeout, ', '.join(sample)))
            seen = {}
            try:
                for ex in self.list_executions(workflow_name):
                    seen[ex['id']] = ex
            except BenchError:
                seen = {}
            for ex_id in list(pending):
                if ex_id not in seen:
                    seen[ex_id] = self.get_execution(ex_id)
            t = time.monotonic() - t0
            for ex_id in list(pending):
                ex = seen[ex_id]
                if ex.get('state') in TERMINAL:
                    pending.discard(ex_id)
                    done[ex_id] = (ex['state'], t)
                    if ex['state'] != 'SUCCESS' and fail_on_error:
                        raise BenchError(
                            'execution %s of %s ended %s: %s'
                            % (ex_id, workflow_name, ex['state'],
                               (ex.get('state_info') or '')[:400]))
            if pending:
                # Poll often enough that the time at which the last
                # execution is seen done overshoots the moment it finished
                # by a few per cent at most (a run of a second was seen up
                # to 0.1 s late with a fixed 0.1 s cap: a bias of up to 13%
                # against a fast server), yet rarely enough that the polls
                # cost the server little (each is one list request).
                elapsed = time.monotonic() - t0
                cap = 0.1 if elapsed < 10 else 0.25
                cap = min(cap, max(0.01, elapsed * POLL_SHARE))
                interval = min(cap, interval * 1.5)
                time.sleep(interval)
        return done

    def ping(self, timeout=2.0):
        u = urllib.parse.urlsplit(self.base)
        cls = http.client.HTTPSConnection if u.scheme == 'https' \
            else http.client.HTTPConnection
        conn = cls(u.hostname, u.port, timeout=timeout)
        try:
            conn.request('GET', u.path + '/workflows?limit=1')
            return conn.getresponse().status == 200
        except (http.client.HTTPException, OSError):
            return False
        finally:
            conn.close()
