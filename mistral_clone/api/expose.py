"""Decorators that turn controller methods into HTTP handlers.

Two flavours, matching the two error shapes of the Mistral API:

* :func:`wsexpose` — JSON controllers. Arguments (path, query string, JSON
  body) are parsed and validated by WSME from the function signature, so the
  messages users see are WSME's own (``Unknown argument: "x"``, ``Invalid
  input for field/attribute limit. ...``). Errors come out as
  ``{"faultcode", "faultstring", "debuginfo"}``. Handlers return plain
  dicts/lists, serialised with ``json.dumps`` in one step (no per-attribute
  WSME conversion on the way out: that is where most of the time would go).
* :func:`textexpose` — the YAML-bodied endpoints (``/workflows``,
  ``/workbooks``, ``/actions``, members, code sources). They read the raw body,
  answer ``application/json;charset=utf-8`` and report errors as
  ``{"faultstring"}`` only.

Both translate :class:`mistral_clone.exceptions.MistralCloneError` to its
``http_code``; anything unexpected is logged with its traceback and answered
500 with the exception text (never the traceback).

JSON controllers (and the root documents) also answer XML when the client
prefers it (``Accept: application/xml`` or ``text/xml``), results and faults
alike, rendered by WSME's XML renderer (:mod:`mistral_clone.api.xml_render`);
content types are offered in wsmeext's order (XML first, JSON the default
for ``*/*``), so pecan negotiates exactly as on the reference. The text
controllers answer JSON only (406 for an XML-only ``Accept``), as there.
"""

import functools
import inspect
import json
import logging

import pecan
import webob
import wsme
import wsme.api
import wsme.exc
import wsme.rest.args
import wsme.types

from mistral_clone import exceptions as exc
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


def _error_info(error):
    """(status, faultstring) for an exception raised by a handler."""
    if isinstance(error, exc.MistralCloneError):
        return error.http_code, error.message
    if isinstance(error, wsme.exc.ClientSideError):
        return error.code, error.faultstring
    if isinstance(error, webob.exc.HTTPException):
        raise error
    translated = db_errors.translate(error)
    if translated is not None:
        # Never the statement or its values (db/errors.py).
        LOG.error('Database error while handling %s %s: %s',
                  pecan.request.method, pecan.request.path,
                  db_errors.describe(error))
        LOG.debug('Database error details', exc_info=True)
        return translated.http_code, translated.message
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


def wsexpose(*args, **kwargs):
    """Like ``wsmeext.pecan.wsexpose``, JSON only, with our error mapping.

    The first positional argument is the return type and is only kept for
    documentation (handlers return JSON-ready data). ``status_code`` is the
    success status.
    """
    sig = wsme.signature(*args, **kwargs)

    def decorate(f):
        sig(f)
        funcdef = wsme.api.FunctionDefinition.get(f)
        funcdef.resolve_types(wsme.types.registry)
        status_code = funcdef.status_code

        @functools.wraps(f)
        def handler(self, *a, **kw):
            request = pecan.request
            try:
                a, kw = wsme.rest.args.get_args(
                    funcdef, a, kw, request.params, None, request.body,
                    request.content_type)
            except wsme.exc.ClientSideError as e:
                return wsme_fault(e.code, e.faultstring)
            except (ValueError, TypeError, AttributeError,
                    UnicodeDecodeError) as e:
                # e.g. a JSON array where an object is expected.
                return wsme_fault(
                    400, 'Invalid request body: a JSON object is expected '
                    '(%s).' % e)
            try:
                result = f(self, *a, **kw)
            except Exception as e:  # noqa: broad on purpose, see module doc
                status, message = _error_info(e)
                return wsme_fault(status, message)
            return _respond(result, status_code, JSON, negotiated_xml())

        negotiated(generic=False)(handler)
        pecan.util._cfg(handler)['argspec'] = inspect.getfullargspec(f)
        handler._wsme_definition = funcdef
        return handler

    return decorate


def _respond(result, status, content_type, xml_type=None):
    """A handler's return value as a response (shared by both exposes)."""
    if isinstance(result, webob.Response):
        return result
    if isinstance(result, Reply):
        status, result, content_type = (result.status, result.body,
                                        result.content_type)
    if status == 204:
        return json_response(204, None)
    if xml_type and result is not None:
        return xml_response(status, xml_render.encode_result(result),
                            xml_type)
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
