"""Refuse malformed requests with a clear 400 before anything parses them.

A WSGI middleware in front of Pecan (see :func:`mistral_clone.api.app.
setup_app`). Every check here answers Mistral's error body
``{"faultcode": "Client", "faultstring": ..., "debuginfo": null}``:

* ``Content-Length`` that is not a non-negative integer;
* a URL path or query string that is not UTF-8, or holds a NUL character
  (PostgreSQL cannot store or compare one);
* a ``multipart/*`` body (no endpoint takes one; WebOb fails on a missing
  boundary): 415;
* a JSON body (``application/json`` and the other types WSME reads as
  JSON) that is not UTF-8, nests deeper than :data:`MAX_JSON_DEPTH`, is
  not an object (``null``, a list, a number), or holds a string with a NUL
  character or a lone UTF-16 surrogate (``"\\ud800"``: no database can
  store one). Syntax errors are left to WSME, whose messages are Mistral's.

Parsing the body here costs one ``json.loads`` (C code) per JSON request;
Pecan and WSME parse it again, as they always did.
"""

import json
import logging
import urllib.parse

LOG = logging.getLogger(__name__)

# Set in the WSGI environ when the connection cannot carry another request
# (a malformed or unmet Content-Length: where this request's body ends is
# unknown); the server closes it after the response (api/serving.py).
CLOSE_CONNECTION = 'mistral_clone.close_connection'

# Deeper JSON is refused: no workflow input or variable set needs more, and
# deeper documents make recursive consumers (the JSON encoder, YAQL) fail.
MAX_JSON_DEPTH = 100

JSON_TYPES = frozenset(['application/json', 'application/javascript',
                        'text/javascript'])


class BadRequest(Exception):
    def __init__(self, message, status='400 Bad Request'):
        super().__init__(message)
        self.message = message
        self.status = status


def _utf8(raw, what):
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise BadRequest('The %s is not valid UTF-8.' % what)
    if '\x00' in text:
        raise BadRequest('The %s must not contain NUL characters.' % what)
    return text


def check_url(environ):
    # PEP 3333: PATH_INFO holds the percent-decoded bytes as latin-1.
    path = environ.get('PATH_INFO') or ''
    _utf8(path.encode('latin-1', 'replace'), 'URL path')
    query = environ.get('QUERY_STRING') or ''
    if query:
        _utf8(urllib.parse.unquote_to_bytes(query.replace('+', ' ')),
              'query string')


def content_length(environ):
    """The declared body length (0 if none); 400 if malformed."""
    raw = environ.get('CONTENT_LENGTH')
    if raw is None or raw == '':
        return 0
    if not raw.isdigit():
        raise BadRequest('Invalid Content-Length header %r: it must be a '
                         'non-negative integer.' % raw[:40])
    return int(raw)


def media_type(environ):
    return (environ.get('CONTENT_TYPE') or '').split(';', 1)[0].strip() \
        .lower()


def _bad_string(value):
    if '\x00' in value:
        return 'a NUL character'
    if not value.isascii():
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            return 'a lone surrogate (not valid Unicode text)'
    return None


def check_json_value(value, max_depth=MAX_JSON_DEPTH):
    """Iteratively check depth and strings of a parsed JSON document."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            items = node.items()
        elif isinstance(node, list):
            items = ((None, v) for v in node)
        elif isinstance(node, str):
            problem = _bad_string(node)
            if problem:
                raise BadRequest('Invalid request body: a string holds '
                                 '%s.' % problem)
            continue
        else:
            continue
        if depth > max_depth:
            raise BadRequest('Invalid request body: JSON nested deeper '
                             'than %d levels.' % max_depth)
        for key, child in items:
            if key is not None:
                problem = _bad_string(key)
                if problem:
                    raise BadRequest('Invalid request body: a key holds '
                                     '%s.' % problem)
            if isinstance(child, (dict, list, str)):
                stack.append((child, depth + 1))


def check_json_body(raw):
    text = _decode_body(raw)
    if not text.strip():
        return
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadRequest('Invalid request body: JSON nested deeper than '
                         '%d levels.' % MAX_JSON_DEPTH)
    except ValueError:
        return  # WSME reports syntax errors with Mistral's messages
    if not isinstance(value, dict):
        raise BadRequest('Invalid request body: a JSON object is expected, '
                         'not %s.' % _json_kind(value))
    check_json_value(value)


def _decode_body(raw):
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        raise BadRequest('Invalid request body: it is not valid UTF-8.')


def _json_kind(value):
    if value is None:
        return 'null'
    return {list: 'a list', str: 'a string', bool: 'a boolean'}.get(
        type(value), 'a number')


def read_body(environ, length):
    """The body (buffered back into ``wsgi.input`` for the application).

    The buffer is marked seekable for webob (``webob.is_body_seekable``):
    ``request.body`` then hands out these bytes, where webob otherwise
    copied a body over 10 KB into a temporary file and read the file back
    into new bytes at each access (WSME and pecan read a JSON body three
    times: 30 MB of copies for a 10 MB execution input)."""
    import io
    stream = environ['wsgi.input']
    data = stream.read(length) if length else b''
    environ['wsgi.input'] = io.BytesIO(data)
    environ['webob.is_body_seekable'] = True
    return data


def fault(start_response, message, status='400 Bad Request',
          extra_headers=()):
    body = json.dumps({'faultcode': 'Client', 'faultstring': message,
                       'debuginfo': None}).encode('ascii')
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(body)))] +
                   list(extra_headers))
    return [body]


class RequestHygiene(object):
    """The middleware (see the module docstring)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        try:
            self._check(environ)
        except BadRequest as e:
            LOG.info('Refused %s %s: %s', environ.get('REQUEST_METHOD'),
                     _shown_path(environ), e.message)
            if e.status.startswith('400') and \
                    'Content-Length' in e.message:
                # The body's end is unknown: the connection cannot go on.
                environ[CLOSE_CONNECTION] = True
            return fault(start_response, e.message, e.status)
        return self.app(environ, start_response)

    def _check(self, environ):
        length = content_length(environ)
        check_url(environ)
        kind = media_type(environ)
        if kind.startswith('multipart/'):
            raise BadRequest('Unsupported Content-Type %s: send JSON (or '
                             'the YAML text of a definition).' % kind,
                             '415 Unsupported Media Type')
        if kind in JSON_TYPES and length:
            check_json_body(read_body(environ, length))


def _shown_path(environ):
    path = (environ.get('PATH_INFO') or '').encode('latin-1', 'replace')
    return path.decode('utf-8', 'replace')[:200].replace('\x00', '\\x00')
