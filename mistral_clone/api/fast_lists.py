"""Plain list GETs answered without pecan's and WSME's request machinery.

``GET /v2/workflows?limit=50`` spent about half of its CPU time in the
framework around its handler (issue 14): pecan's request and response
objects, its routing through the controller tree and ``RestController``,
its hooks, WSME's parsing of the 15 declared query arguments through
``simplegeneric`` dispatch, and the template rendering of the result.
:class:`FastLists` sits right around the pecan application (inside the
other middleware: request ids, access log, body limit, authentication,
hygiene) and answers the collection GETs of :data:`ROUTES` itself when the
request is one whose handling it can reproduce exactly:

* ``GET``, the path exactly as routed (no trailing slash, no suffix), no
  body, no ``Accept`` header other than ``*/*`` or ``application/json``
  (pecan would negotiate XML or refuse), debug logging off (the context
  hook's debug line);
* every query parameter is one the handler declares, given once, of a
  WSME type read from a single string.

Its steps are the framework's own: the query string parsed by WebOb's
parser, each given parameter converted by WSME's ``from_param`` for its
declared type, the request context built as :class:`ContextHook` builds it,
the *same* handler function called (the controller method under
:func:`mistral_clone.api.expose.wsexpose`) and its JSON-ready result
encoded as WSME's JSON renderer does (``json.dumps``; a list answered
from :mod:`~mistral_clone.api.list_cache` brings its encoded JSON along),
answered with the
headers pecan sends (``Content-Type: application/json`` and the length).

Anything else, and any request whose parameters do not convert or whose
handler raises (a 400, 403, 404, a database error), goes to pecan
unchanged: a list GET reads and changes nothing, so running it again there
produces exactly the answer, error or not, the application always gave.
tests/api/test_fast_lists.py compares both paths' status, headers and
bodies.
"""

import logging

from webob import compat as webob_compat
import webob.request
import wsme.rest.args
import wsme.types

from mistral_clone import context
from mistral_clone.api import list_cache

LOG = logging.getLogger(__name__)

# Path -> (attribute path from the root controller to the list handler).
ROUTES = {
    '/v2/workflows': ('v2', 'workflows', 'get_all'),
    '/v2/executions': ('v2', 'executions', 'get_all'),
}

# Parsed query strings kept per route (see _Route.arguments).
PARSED_ENTRIES = 256
PARSED_QUERY = 1024

ACCEPTED = frozenset([None, '*/*', 'application/json'])
HEADERS_JSON = 'application/json'


class _Route(object):
    """One list handler: its plain function, controller and arguments."""

    __slots__ = ('controller', 'function', 'types', '_parsed')

    def __init__(self, controller, exposed):
        self.controller = controller
        self.function = exposed.mc_handler
        funcdef = exposed._wsme_definition
        # Arguments read from one string: WSME's from_params takes them
        # with from_param; arrays and complex types are left to WSME.
        self.types = {a.name: a.datatype for a in funcdef.arguments
                      if not isinstance(a.datatype, wsme.types.ArrayType)
                      and not wsme.types.iscomplex(a.datatype)}
        # Query string -> keyword arguments (or None): a pure function of
        # the string, kept for the last PARSED_ENTRIES short ones.
        self._parsed = {}

    def arguments(self, query):
        """The handler's keyword arguments (a fresh dict) from the query
        string, or None when WSME must read them."""
        try:
            kwargs = self._parsed[query]
        except KeyError:
            kwargs = _arguments(self, query)
            if len(query) <= PARSED_QUERY:
                if len(self._parsed) >= PARSED_ENTRIES:
                    self._parsed.clear()
                self._parsed[query] = kwargs
        return None if kwargs is None else dict(kwargs)


def _find_routes(root):
    routes = {}
    for path, names in ROUTES.items():
        obj = root
        for name in names[:-1]:
            obj = getattr(obj, name)
        routes[path] = _Route(obj, getattr(obj, names[-1]))
    return routes


class FastLists(object):
    """The WSGI middleware (see the module docstring)."""

    def __init__(self, app, root, make_context, context_hook_log):
        """``make_context(environ, host_url)``: the request context, as
        the pecan context hook makes it."""
        self.app = app
        self.routes = _find_routes(root)
        self.make_context = make_context
        # The pecan context hook's logger: with DEBUG on, it logs every
        # request's context and body; such requests go through pecan.
        self.hook_log = context_hook_log

    def __call__(self, environ, start_response):
        route = self.routes.get(environ.get('PATH_INFO'))
        if route is not None and environ.get('REQUEST_METHOD') == 'GET':
            body = self._answer(route, environ)
            if body is not None:
                start_response('200 OK', [
                    ('Content-Type', HEADERS_JSON),
                    ('Content-Length', str(len(body)))])
                return [body]
        return self.app(environ, start_response)

    def _answer(self, route, environ):
        """The body of the answer, or None: pecan answers."""
        if environ.get('HTTP_ACCEPT') not in ACCEPTED or \
                environ.get('CONTENT_LENGTH') not in (None, '', '0') or \
                'HTTP_TRANSFER_ENCODING' in environ or \
                self.hook_log.isEnabledFor(logging.DEBUG):
            return None
        kwargs = route.arguments(environ.get('QUERY_STRING', ''))
        if kwargs is None:
            return None
        host_url = webob.request.BaseRequest(environ).host_url
        try:
            context.set_ctx(self.make_context(environ, host_url))
            result = route.function(route.controller, **kwargs)
            # A cached answer carries its JSON (api/list_cache.py).
            return list_cache.encode(result)
        except Exception:
            # pecan runs it again and answers whatever it answers.
            LOG.debug("List request left to pecan", exc_info=True)
            return None
        finally:
            context.set_ctx(None)


def _arguments(route, query):
    """The handler's keyword arguments from the query string, or None when
    WSME must read them (unknown, repeated or unconvertible)."""
    kwargs = {}
    if not query:
        return kwargs
    types = route.types
    try:
        pairs = list(webob_compat.parse_qsl_text(query))
    except ValueError:  # not UTF-8 (or not latin-1 in the environ)
        return None
    for name, value in pairs:
        datatype = types.get(name)
        if datatype is None or name in kwargs:
            return None
        try:
            kwargs[name] = wsme.rest.args.from_param(datatype, value)
        except Exception:
            return None
    return kwargs
