"""``/v2/openapi.json`` and the ``/v2/docs`` page (public, no policy).

The document is generated from the served controllers and resource tables
(:mod:`mistral_clone.api.openapi`); the page is Swagger UI, shipped inside
the package (``mistral_clone/api/openapi/ui``), so nothing is fetched from
elsewhere.
"""

import functools
import json
import os

import pecan
import webob

from mistral_clone import context
from mistral_clone.api import expose
from mistral_clone.api import openapi as openapi_package

UI_DIR = os.path.join(os.path.dirname(openapi_package.__file__), 'ui')
_TYPES = {'.js': 'application/javascript; charset=UTF-8',
          '.css': 'text/css; charset=UTF-8',
          '.txt': 'text/plain; charset=UTF-8'}
# Served assets: the page's scripts and styles, and the licenses.
_ASSETS = ('swagger-ui-bundle.js', 'swagger-ui.css', 'init.js',
           'swagger-ui-bundle.js.LICENSE.txt')


@functools.lru_cache(maxsize=8)
def _document_bytes(v2_root, base_url):
    # Imported at the first request for the document: its modules (~1.2
    # MB) are not in every API process (issue 14).
    from mistral_clone.api.openapi import document
    return json.dumps(document.document(v2_root, base_url)).encode('ascii')


# Files up to this size are kept in memory once read; larger ones (Swagger
# UI's 1.7 MB bundle, its stylesheet) are read for each request, which
# browsers cache for an hour: an API process does not hold them for good.
KEEP_BYTES = 64 * 1024


def _read(name):
    path = os.path.join(UI_DIR, name)
    if os.path.getsize(path) <= KEEP_BYTES:
        return _read_small(path)
    with open(path, 'rb') as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def _read_small(path):
    with open(path, 'rb') as f:
        return f.read()


def _response(body, content_type, cache=True):
    resp = webob.Response(status=200, headerlist=[])
    resp.headerlist = [('Content-Type', content_type),
                       ('Content-Length', str(len(body)))]
    if cache:
        resp.headerlist.append(('Cache-Control', 'public, max-age=3600'))
    resp.body = body
    return resp


class DocumentController(object):
    """``GET /v2/openapi.json``: the document of ``v2_root`` (the ``/v2``
    controller class, handed in by it)."""

    def __init__(self, v2_root):
        self.v2_root = v2_root

    @pecan.expose()
    def index(self):
        base = context.ctx().host_url + '/v2'
        return expose.json_response(200, _document_bytes(self.v2_root, base))


class DocsController(object):
    """``GET /v2/docs`` and its assets under ``/v2/docs/``."""

    @pecan.expose()
    def index(self):
        prefix = pecan.request.script_name + '/v2'
        page = _read('index.html').decode('utf-8').format(
            assets=prefix + '/docs', spec_url=prefix + '/openapi.json')
        return _response(page.encode('utf-8'), 'text/html; charset=UTF-8',
                         cache=False)

    @pecan.expose()
    def _default(self, name=None, *rest):
        if rest or name not in _ASSETS:
            return expose.wsme_fault(404, 'Not found: %s' % name)
        return _response(_read(name), _TYPES[os.path.splitext(name)[1]])
