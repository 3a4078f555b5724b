"""A plain request's head read as cheroot reads it, and the WSGI
environ and response headers made as cheroot's gateway makes them, in fewer
steps.

cheroot reads a request's head line by line (``readline(256)`` through a
size-checking wrapper), splits the request line with ``urlsplit``,
unquotes the path and builds the WSGI environ header by header: ~35% of
its CPU per request on ``GET /v2/workflows?limit=50`` (issue 14, yappi
over the embedded server; bench/RESULTS.md). :func:`parse` takes the
common head in one piece and gives the values cheroot's own steps give
for it; anything else (another protocol version or method, an absolute or
escaped path, a fragment, non-ASCII, repeated or folded headers, a head
not arrived whole) returns None and cheroot reads it as always.
"""

import sys

from cheroot import server as cheroot_server

CRLF = b'\r\n'
END = b'\r\n\r\n'
# Methods whose request line cheroot handles alike (OPTIONS and CONNECT
# have rules of their own).
METHODS = frozenset([b'GET', b'HEAD', b'POST', b'PUT', b'DELETE',
                     b'PATCH'])
PROTOCOL = b'HTTP/1.1'
# Bytes a target may hold here: visible ASCII but '#' (a fragment, refused
# by cheroot); '%' only in the query (cheroot unquotes the path).
_TARGET_OK = bytes(c for c in range(0x21, 0x7f) if c != ord('#'))


def parse(head):
    """``(method, uri, path, query, headers)`` of the request head
    ``head`` (through its blank line), as cheroot's ``read_request_line``
    and ``HeaderReader`` make them, or None (see the module)."""
    lines = head[:-4].split(CRLF)
    parts = lines[0].split(b' ')
    if len(parts) != 3:
        return None
    method, uri, protocol = parts
    if protocol != PROTOCOL or method not in METHODS or \
            uri[:1] != b'/' or uri[:2] == b'//' or \
            uri.translate(None, _TARGET_OK):
        return None
    path, _, query = uri.partition(b'?')
    if b'%' in path:
        return None
    headers = {}
    for line in lines[1:]:
        if line[:1] in (b' ', b'\t') or b'\n' in line:
            return None  # folded, or a bare LF: cheroot's rules
        name, colon, value = line.partition(b':')
        if not colon:
            return None
        name = name.strip().title()
        if name in headers:
            return None  # repeated: folded or replaced, as cheroot does
        headers[name] = value.strip()
    return method, uri, path, query, headers


def take(request):
    """Parse the head of ``request`` (a cheroot ``HTTPRequest`` on a
    :class:`~mistral_clone.api.socket_io.SocketReader`) if it is one
    :func:`parse` reads: set what cheroot's ``read_request_line`` sets and
    return the headers; None, with nothing consumed, otherwise."""
    if request.server.protocol != 'HTTP/1.1' or \
            type(request.header_reader) is not cheroot_server.HeaderReader:
        return None
    rfile = request.conn.rfile
    head = rfile.head()
    if head is None:
        return None
    limit = request.server.max_request_header_size
    if limit and len(head) > limit:
        return None
    parsed = parse(head)
    if parsed is None:
        return None
    rfile.consume(len(head))
    method, uri, path, query, headers = parsed
    request.rfile = cheroot_server.SizeCheckWrapper(rfile, limit)
    request.started_request = True
    request.uri = uri
    request.method = method
    request.authority = b''
    request.path = path
    request.qs = query
    request.request_protocol = PROTOCOL
    request.response_protocol = 'HTTP/1.1'
    return headers


_ENVIRON_NAMES = {}


def environ_name(header):
    """``HTTP_X_FOO`` for the header ``X-Foo`` (bytes), as cheroot's
    gateway names it."""
    name = _ENVIRON_NAMES.get(header)
    if name is None:
        name = 'HTTP_' + header.decode('ISO-8859-1').upper().replace(
            '-', '_')
        if len(_ENVIRON_NAMES) < 512:
            _ENVIRON_NAMES[header] = name
    return name


def environ(gateway):
    """The environ cheroot's ``Gateway_10.get_environ`` makes for the
    request of ``gateway`` (a TCP server's), or None (a UNIX socket's:
    cheroot makes it)."""
    req = gateway.req
    server = req.server
    if not isinstance(server.bind_addr, tuple):
        return None
    conn = req.conn
    env = {
        'ACTUAL_SERVER_PROTOCOL': server.protocol,
        'PATH_INFO': req.path.decode('ISO-8859-1'),
        'QUERY_STRING': req.qs.decode('ISO-8859-1'),
        'REMOTE_ADDR': conn.remote_addr or '',
        'REMOTE_PORT': str(conn.remote_port or ''),
        'REQUEST_METHOD': req.method.decode('ISO-8859-1'),
        'REQUEST_URI': req.uri.decode('ISO-8859-1'),
        'SCRIPT_NAME': '',
        'SERVER_NAME': server.server_name,
        'SERVER_PROTOCOL': req.request_protocol.decode('ISO-8859-1'),
        'SERVER_SOFTWARE': server.software,
        'wsgi.errors': sys.stderr,
        'wsgi.input': req.rfile,
        'wsgi.input_terminated': bool(req.chunked_read),
        'wsgi.multiprocess': False,
        'wsgi.multithread': True,
        'wsgi.run_once': False,
        'wsgi.url_scheme': req.scheme.decode('ISO-8859-1'),
        'wsgi.version': gateway.version,
        'SERVER_PORT': str(server.bind_addr[1]),
    }
    for name, value in req.inheaders.items():
        env[environ_name(name)] = value.decode('ISO-8859-1')
    content_type = env.pop('HTTP_CONTENT_TYPE', None)
    if content_type is not None:
        env['CONTENT_TYPE'] = content_type
    length = env.pop('HTTP_CONTENT_LENGTH', None)
    if length is not None:
        env['CONTENT_LENGTH'] = length
    if conn.ssl_env:
        env.update(conn.ssl_env)
    return env


def start_response(gateway, status, headers, exc_info=None):
    """cheroot's ``Gateway.start_response`` (same checks, same errors)."""
    if gateway.started_response and not exc_info:
        raise RuntimeError(
            'WSGI start_response called a second time with no exc_info.')
    gateway.started_response = True
    req = gateway.req
    if req.sent_headers:
        raise exc_info[1]
    req.status = gateway._encode_status(status)
    out = req.outheaders
    for name, value in headers:
        if not isinstance(name, str):
            raise TypeError(
                'WSGI response header key %r is not of type str.' % name)
        if not isinstance(value, str):
            raise TypeError(
                'WSGI response header value %r is not of type str.' % value)
        if name.lower() == 'content-length':
            gateway.remaining_bytes_out = int(value)
        out.append((name.encode('ISO-8859-1'), value.encode('ISO-8859-1')))
    return gateway.write
