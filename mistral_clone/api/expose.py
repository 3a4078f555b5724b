"""Decorators that turn controller methods into HTTP handlers.

Two flavours, matching the two error shapes of the Mistral API:

* :func:`wsexpose` — JSON controllers: ``wsmeext.pecan.wsexpose``, as on
  the reference. WSME parses and validates the arguments (path, query
  string, JSON body) from the signature, so users see WSME's own messages
  (``Unknown argument: "x"``, ``Invalid input for field/attribute limit.
  ...``), and answers errors as ``{"faultcode", "faultstring",
  "debuginfo"}``. Three adapters around it:

  1. handlers return plain JSON-ready dicts and lists; a return type of
     ``None`` (other than for 204s) becomes ``xml_render.json_ready``,
     which WSME's JSON renderer passes through (one ``json.dumps`` instead
     of an attribute-by-attribute conversion) and its XML renderer renders
     with WSME's own rules (:mod:`mistral_clone.api.xml_render`);
  2. :class:`mistral_clone.exceptions.MistralCloneError` (and a database
     error, translated by :mod:`mistral_clone.db.errors` so that no SQL or
     value shows) becomes WSME's fault with the error's ``http_code``
     (``faultcode`` "Server" from 500 on);
  3. a body WSME cannot convert (a field of the wrong JSON type, e.g.
     ``"remaining_executions": {}``) is a 400 ``Invalid request body``.
     wsmeext answers 500 there, as the reference does, because it reads
     the arguments inside its own catch-all; so bodies are read once
     before it (a JSON body that is not an object never gets this far:
     :mod:`mistral_clone.api.hygiene` refuses it first).

  Measured against the hand-written equivalent this replaced (CPU time
  per in-process WSGI request, median of 1500): GETs and faults the same
  within noise; a request with a JSON body ~0.1 ms more (1.1 ms → 1.2 ms
  for an environment update: its arguments are read twice, see 3). Same
  headers and bodies, JSON and XML (the public API suite passes
  unchanged; XML matches the reference byte for byte).
* :func:`textexpose` — the YAML-bodied endpoints (``/workflows``,
  ``/workbooks``, ``/actions``, members, code sources). They read the raw
  body, answer ``application/json;charset=utf-8`` and report errors as
  ``{"faultstring"}`` only, a shape WSME does not produce (the reference
  writes these responses by hand too).

Anything unexpected is logged with its traceback and answered 500 with the
exception text (never the traceback).

JSON controllers (and the root documents) also answer XML when the client
prefers it (``Accept: application/xml`` or ``text/xml``), results and faults
alike: wsmeext offers the content types in its order (XML first, JSON the
default for ``*/*``), so pecan negotiates exactly as on the reference; the
root documents use :func:`negotiated` for the same order. The text
controllers answer JSON only (406 for an XML-only ``Accept``), as there.
"""

import functools
import inspect
import io
import json
import logging

import pecan
import webob
import wsme
import wsme.exc
import wsme.rest.args
import wsmeext.pecan

from mistral_clone import exceptions as exc
from mistral_clone.api import big_bodies
from mistral_clone.api import xml_render
from mistral_clone.db import errors as db_errors

LOG = logging.getLogger(__name__)

JSON = 'application/json'
JSON_UTF8 = 'application/json;charset=utf-8'


def json_response(status, body, content_type=JSON):
    """A webob response with an exact Content-Type header (no reformatting)."""
    resp = webob.Response(status=status, headerlist=[])
    if status == 204 or body is None:
        resp.headerlist = [('Content-Length', '0')]
        return resp
    data = body if isinstance(body, bytes) else json.dumps(body).encode(
        'ascii')
    resp.headerlist = [('Content-Type', content_type),
                       ('Content-Length', str(len(data)))]
    resp.body = data
    return resp


def negotiated_xml():
    """The XML content type pecan negotiated for this request, or None."""
    content_type = pecan.request.pecan.get('content_type')
    return content_type if content_type in xml_render.CONTENT_TYPES else None


def xml_response(status, data, content_type):
    resp = webob.Response(status=status, headerlist=[])
    resp.headerlist = [('Content-Type', xml_render.header(content_type)),
                       ('Content-Length', str(len(data)))]
    resp.body = data
    return resp


def document(body, status=200):
    """A JSON-ready ``body`` in the negotiated format (JSON or XML)."""
    xml_type = negotiated_xml()
    if xml_type and status != 204 and body is not None:
        return xml_response(status, xml_render.encode_result(body), xml_type)
    return json_response(status, body)


def negotiated(**kw):
    """``pecan.expose`` offering XML and JSON, in wsmeext's order."""
    def decorate(f):
        for content_type in xml_render.CONTENT_TYPES + (JSON,):
            pecan.expose(content_type=content_type, **kw)(f)
        return f
    return decorate


def _translated(error):
    """A MistralCloneError for ``error``: itself, or db/errors.py's
    statement-free translation of a database error (logged without its
    SQL or values); None for anything else."""
    if isinstance(error, exc.MistralCloneError):
        return error
    translated = db_errors.translate(error)
    if translated is not None:
        LOG.error('Database error while handling %s %s: %s',
                  pecan.request.method, pecan.request.path,
                  db_errors.describe(error))
        LOG.debug('Database error details', exc_info=True)
    return translated


def _error_info(error):
    """(status, faultstring) for an exception raised by a text handler."""
    known = _translated(error)
    if known is not None:
        return known.http_code, known.message
    if isinstance(error, wsme.exc.ClientSideError):
        return error.code, error.faultstring
    if isinstance(error, webob.exc.HTTPException):
        raise error
    LOG.exception('Unexpected error while handling %s %s',
                  pecan.request.method, pecan.request.path)
    return 500, str(error) or error.__class__.__name__


def wsme_fault(status, message):
    fault = {'faultcode': 'Client' if status < 500 else 'Server',
             'faultstring': message, 'debuginfo': None}
    xml_type = negotiated_xml()
    if xml_type:
        return xml_response(status, xml_render.encode_error(fault), xml_type)
    return json_response(status, fault)


def text_fault(status, message, content_type=JSON_UTF8):
    return json_response(status, {'faultstring': message}, content_type)


class Reply(object):
    """A handler result with an explicit status (e.g. 201 vs 200)."""
    __slots__ = ('status', 'body', 'content_type')

    def __init__(self, body, status=200, content_type=JSON):
        self.body = body
        self.status = status
        self.content_type = content_type


class _ServerFault(Exception):
    """A 5xx MistralCloneError for WSME: ``code`` is the status."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def wsexpose(*args, **kwargs):
    """``wsmeext.pecan.wsexpose`` (JSON and XML), with the adapters of the
    module docstring. The first positional argument is the return type
    (``None``: JSON-ready data); ``status_code`` is the success status."""
    args = list(args) or [None]
    if args[0] is None and kwargs.get('status_code') != 204:
        args[0] = xml_render.json_ready

    def decorate(f):
        takes_body = kwargs.get('body') is not None

        @functools.wraps(f)
        def handler(self, *a, **kw):
            if takes_body:
                _let_go_of_body(pecan.request.environ)
            try:
                return f(self, *a, **kw)
            except Exception as e:  # noqa: WSME answers the rest itself
                known = _translated(e)
                if known is None:
                    raise
                # ``from None``: WSME logs the traceback of what it is
                # given, and a database error's would carry its SQL
                # (_translated logged it without).
                if known.http_code >= 500:
                    raise _ServerFault(known.http_code,
                                       known.message) from None
                raise wsme.exc.ClientSideError(
                    known.message, status_code=known.http_code) from None
        # WSME's own convention (wsme.api.wrapfunc): read f's signature.
        handler._wsme_original_func = f
        exposed = wsmeext.pecan.wsexpose(*args, **kwargs)(handler)
        # The handler itself, for api/fast_lists.py.
        exposed.mc_handler = f
        # Route by f's own signature (wsmeext records the wrapper's).
        pecan.util._cfg(exposed)['argspec'] = inspect.getfullargspec(f)
        if kwargs.get('body') is None:
            return exposed
        funcdef = exposed._wsme_definition

        @functools.wraps(exposed)  # keeps pecan's and WSME's settings
        def checked(self, *a, **kw):
            request = pecan.request
            aside = big_bodies.set_aside(funcdef, request)
            while True:
                try:
                    wsme.rest.args.get_args(
                        funcdef, a, kw, request.params, None, request.body,
                        request.content_type)
                except Exception as e:  # noqa: re-raised below
                    if aside is not None:
                        # Refused: WSME reads the body as it came.
                        big_bodies.put_back(request, aside)
                        aside = None
                        continue
                    if isinstance(e, (TypeError, ValueError,
                                      AttributeError)):
                        return wsme_fault(400,
                                          'Invalid request body: %s.' % e)
                    if not isinstance(e, wsme.exc.ClientSideError):
                        raise
                    # WSME words it when it reads the arguments again.
                break
            del aside
            return exposed(self, *a, **kw)
        return checked

    return decorate


def _let_go_of_body(environ):
    """Drop the request body's bytes once WSME has read the arguments from
    them (they are not read again): a large body (an execution's 10 MB
    input) otherwise lived until the response was written, beside the
    response and the engine's first transaction. Only a body kept in
    memory (``webob.is_body_seekable``, set by ``hygiene.read_body``) is
    dropped; webob then reads an empty body."""
    if environ.get('webob.is_body_seekable'):
        environ['wsgi.input'] = io.BytesIO()
    big_bodies.let_go(environ)


def _respond(result, status, content_type):
    """A handler's return value as a response (shared by both exposes)."""
    if isinstance(result, webob.Response):
        return result
    if isinstance(result, Reply):
        return json_response(result.status, result.body,
                             result.content_type)
    if status == 204:
        return json_response(204, None)
    return json_response(status, result, content_type)


def textexpose(status=200):
    """For handlers reading a raw text body and answering text errors."""
    def decorate(f):
        @functools.wraps(f)
        def handler(self, *a, **kw):
            try:
                result = f(self, *a, **kw)
            except Exception as e:  # noqa: broad on purpose, see module doc
                code, message = _error_info(e)
                return text_fault(code, message)
            return _respond(result, status, JSON_UTF8)

        pecan.expose(content_type=JSON, generic=False)(handler)
        pecan.util._cfg(handler)['argspec'] = inspect.getfullargspec(f)
        return handler
    return decorate


def request_text():
    """The request body as text; binary garbage is a clear 400."""
    body = pecan.request.body
    try:
        return body.decode('utf-8')
    except UnicodeDecodeError:
        raise exc.InputException(
            'Definition could not be parsed: the request body is not '
            'valid UTF-8 text.')
