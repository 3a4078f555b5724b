"""The operations the API serves, found by walking the Pecan controllers.

Walking the same controller tree Pecan routes requests through means a new
handler, sub-resource or argument shows up in the OpenAPI document (and its
test fails until the handler's responses are declared), and a removed one
disappears: the document cannot drift from what is served.

How Pecan's ``RestController`` maps handlers to HTTP (and so do we):

==========  ====================================================
``get_all``  ``GET <collection>``
``get_one``  ``GET <collection>/{id}``
``post``     ``POST <collection>``
``put``      ``PUT <collection>[/{id}]`` (``{id}`` optional when it has a
             default)
``delete``   ``DELETE <collection>/{id}``
==========  ====================================================

A handler's leading arguments without defaults are path parameters: the
ones of its parent resources first (``/executions/{id}/tasks`` hands
``get_all`` the execution id), then its own. A sub-controller whose
collection handlers take no parent argument hangs off the collection
itself (``POST /workflows/validate``). Other arguments of WSME handlers
are query parameters (or the JSON body); YAML-bodied handlers read their
query parameters from the request, so those are declared with their
operation (:mod:`mistral_clone.api.openapi.operations`).
"""

import collections
import inspect

import pecan.rest
import pecan.util

from mistral_clone.api import xml_render

_HTTP = (('get_all', 'get', False), ('get_one', 'get', True),
         ('post', 'post', False), ('put', 'put', True),
         ('delete', 'delete', True))

Param = collections.namedtuple('Param', 'name datatype default')


class Route(object):
    """One (path, method) the API serves."""

    def __init__(self, path, method, handler, path_params, query_params,
                 body_type=None, status=None):
        self.path = path
        self.method = method
        self.handler = handler
        self.path_params = path_params      # [Param]
        self.query_params = query_params    # [Param]
        self.body_type = body_type          # WSME complex type or None
        self.status = status                # success status, WSME only

    @property
    def is_wsme(self):
        return hasattr(self.handler, '_wsme_definition')

    @property
    def xml_types(self):
        """The XML media types the handler also answers in (content
        negotiation, :mod:`mistral_clone.api.expose`)."""
        offered = pecan.util._cfg(self.handler).get('content_types', {}) \
            if self.handler is not None else {}
        return [t for t in offered if t in xml_render.CONTENT_TYPES]

    @property
    def key(self):
        return self.path, self.method

    def __repr__(self):
        return '<Route %s %s>' % (self.method.upper(), self.path)


def _arguments(handler):
    """(mandatory, optional) :class:`Param` lists of a handler."""
    funcdef = getattr(handler, '_wsme_definition', None)
    if funcdef is not None:
        args = [a for a in funcdef.arguments
                if funcdef.body_type is None or
                a.datatype is not funcdef.body_type]
        return ([Param(a.name, a.datatype, None) for a in args
                 if a.mandatory],
                [Param(a.name, a.datatype, a.default) for a in args
                 if not a.mandatory])
    spec = pecan.util._cfg(handler).get('argspec') or \
        inspect.getfullargspec(handler)
    names = [n for n in spec.args if n != 'self']
    defaults = dict(zip(reversed(names), reversed(spec.defaults or ())))
    return ([Param(n, None, None) for n in names if n not in defaults],
            [Param(n, None, defaults[n]) for n in names if n in defaults])


def _is_exposed(obj):
    return callable(obj) and getattr(obj, 'exposed', False)


def _children(controller):
    """(name, sub-controller) in declaration order."""
    seen = set()
    for klass in type(controller).__mro__:
        for name, value in vars(klass).items():
            if name in seen or name.startswith('_') or \
                    inspect.isroutine(value) or isinstance(value, type):
                continue
            seen.add(name)
            if isinstance(value, pecan.rest.RestController) or \
                    _is_exposed(getattr(value, 'index', None)) or \
                    _is_exposed(getattr(value, '_lookup', None)):
                yield name, value


def _parent_count(controller):
    """How many parent path parameters a sub-controller's handlers take."""
    for name in ('get_all', 'post'):
        handler = getattr(controller, name, None)
        if handler is not None:
            return len(_arguments(handler)[0])
    handler = getattr(controller, 'get_one', None)
    if handler is not None:
        return max(len(_arguments(handler)[0]) - 1, 0)
    return 0


def _template(names):
    return ''.join('/{%s}' % n for n in names)


def walk(controller, prefix='', parents=()):
    """Every :class:`Route` served under ``controller`` (mounted at
    ``prefix``, below path parameters ``parents``)."""
    routes = []
    if isinstance(controller, pecan.rest.RestController):
        routes.extend(_rest_routes(controller, prefix, len(parents)))
    elif _is_exposed(getattr(controller, 'index', None)):
        routes.append(Route(prefix or '/', 'get', controller.index, [], []))
    for name, child in _children(controller):
        count = _parent_count(child)
        if count > len(parents):
            # Hangs off one item: /<collection>/{id}/<name>.
            ids = _first_args(child, count)
            base = prefix + _template(ids[len(parents):]) + '/' + name
            routes.extend(walk(child, base, tuple(ids)))
        else:
            routes.extend(walk(child, prefix + '/' + name, parents))
    return routes


def _first_args(controller, count):
    for name in ('get_all', 'post', 'get_one'):
        handler = getattr(controller, name, None)
        if handler is not None:
            return [p.name for p in _arguments(handler)[0][:count]]
    return []


def _rest_routes(controller, prefix, parent_count):
    routes = []
    for attr, method, with_id in _HTTP:
        handler = getattr(controller, attr, None)
        if handler is None or not _is_exposed(handler):
            continue
        mandatory, optional = _arguments(handler)
        own = mandatory[parent_count:]
        funcdef = getattr(handler, '_wsme_definition', None)
        body_type = funcdef.body_type if funcdef is not None else None
        status = funcdef.status_code if funcdef is not None else None
        query = optional if funcdef is not None else []
        variants = [list(mandatory)]
        if with_id and not own and funcdef is None:
            # put(self, identifier=None): with and without the id.
            ids = [p for p in optional if p.default is None][:1]
            if ids:
                variants.append(list(mandatory) + ids)
        for path_params in variants:
            path = prefix + _template(
                [p.name for p in path_params[parent_count:]])
            routes.append(Route(path, method, handler, path_params, query,
                                body_type, status))
    return routes
