"""A plain request's head read as cheroot reads it, in fewer steps.

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
