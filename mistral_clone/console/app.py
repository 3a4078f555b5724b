"""Serving the console's static files under ``/ui/``.

:func:`mount` puts :class:`ConsoleApp` in front of the API application:
requests for ``/ui`` and below go to the console, everything else to the
API unchanged. The console sits *outside* the authentication middleware on
purpose: its files are the same for every user and hold no data; every
``/v2`` call the page makes carries the user's token, so what a user sees
is exactly what the API lets that token see.

Every path under ``/ui/`` that is not a file is a page of the application
(``/ui/executions/<id>``, ``/ui/workflows/<id>``...): it is answered with
``index.html`` so that links, bookmarks and reloads work. ``index.html``
gets a ``<base href>`` built from ``SCRIPT_NAME``, so the console also works
behind a reverse proxy that mounts the API under a prefix.
"""

import logging
import os
import posixpath

import webob
from webob import static

LOG = logging.getLogger(__name__)

PREFIX = '/ui'
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'static')

# Explicit types: module scripts are refused by browsers unless served as
# JavaScript, and mimetypes' table depends on the host.
CONTENT_TYPES = {
    '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
    '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
    '.txt': 'text/plain', '.json': 'application/json',
}

# The page only loads its own files; it calls its own /v2 and, to exchange
# a user/password for a token, Keystone (whose address it learns at run
# time, hence any http(s) origin for connect-src).
SECURITY_HEADERS = [
    ('Content-Security-Policy',
     "default-src 'self'; connect-src 'self' http: https:; "
     "img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"),
    ('X-Content-Type-Options', 'nosniff'),
    ('X-Frame-Options', 'DENY'),
    ('Referrer-Policy', 'no-referrer'),
]


class ConsoleApp(object):
    """WSGI application for the paths under ``/ui/``."""

    def __init__(self, static_dir=STATIC_DIR):
        self.static_dir = static_dir
        with open(os.path.join(static_dir, 'index.html'), 'rb') as f:
            self.index_template = f.read()

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        resp = self.respond(req)
        resp.headerlist.extend(SECURITY_HEADERS)
        return resp(environ, start_response)

    def respond(self, req):
        path = req.path_info
        if path == PREFIX:
            return webob.Response(status=301,
                                  location=req.script_name + PREFIX + '/')
        if req.method not in ('GET', 'HEAD'):
            return _text(405, 'The console only answers GET and HEAD.',
                         allow='GET, HEAD')
        rel = path[len(PREFIX) + 1:]
        filename = self._file(rel)
        if filename is not None and rel != 'index.html':
            ext = os.path.splitext(filename)[1]
            # no-cache: the browser revalidates (If-Modified-Since), so an
            # upgraded server never runs with a stale module.
            return req.get_response(static.FileApp(
                filename, content_type=CONTENT_TYPES.get(
                    ext, 'application/octet-stream'),
                charset='utf-8' if ext != '.png' else None,
                cache_control='no-cache'))
        if _looks_like_asset(rel):
            return _text(404, 'No such console file: %s' % rel)
        return self._index(req)

    def _file(self, rel):
        """The file for ``rel`` inside the static directory, or None."""
        norm = posixpath.normpath('/' + rel).lstrip('/')
        if not norm or norm.startswith('..') or '\\' in norm or \
                '\x00' in norm:
            return None
        filename = os.path.join(self.static_dir, *norm.split('/'))
        return filename if os.path.isfile(filename) else None

    def _index(self, req):
        base = (req.script_name + PREFIX + '/').encode('utf-8')
        body = self.index_template.replace(b'{{BASE}}', _attr(base))
        return webob.Response(body=body, content_type='text/html',
                              charset='utf-8', cache_control='no-cache')


def _looks_like_asset(rel):
    """A missing file (``js/x.js``), as opposed to a page of the app."""
    return os.path.splitext(rel)[1] in CONTENT_TYPES


def _attr(value):
    return (value.replace(b'&', b'&amp;').replace(b'"', b'&quot;')
            .replace(b'<', b'&lt;'))


def _text(status, message, **headers):
    resp = webob.Response(status=status, body=message.encode('utf-8'),
                          content_type='text/plain', charset='utf-8')
    for name, value in headers.items():
        resp.headers[name] = value
    return resp


def mount(api_app):
    """The API application with the console answering under ``/ui``."""
    console = ConsoleApp()

    def dispatch(environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        if path == PREFIX or path.startswith(PREFIX + '/'):
            return console(environ, start_response)
        return api_app(environ, start_response)
    return dispatch
