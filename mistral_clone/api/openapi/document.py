"""The OpenAPI 3.1 document of ``/v2``, generated at run time.

:func:`document` walks the Pecan controllers (:mod:`.routes`), takes each
handler's parameters and body from its WSME signature, the success body
from the resource table that renders it (:mod:`.operations`,
:mod:`.schemas`) and the error bodies from the handler's kind. Nothing here
is edited by hand per endpoint; the test suite validates the result with
openapi-spec-validator and fuzzes every operation with schemathesis.
"""

import copy
import functools

from mistral_clone import version
from mistral_clone.api import xml_render
from mistral_clone.api.controllers.v2 import members
from mistral_clone.api.openapi import operations as ops
from mistral_clone.api.openapi import routes
from mistral_clone.api.openapi import schemas
from mistral_clone.db import query

OPENAPI_VERSION = '3.1.0'

_DESCRIPTION = """\
The REST API of the Mistral workflow service, version 2, as served by
mistral_clone. Clients written for OpenStack Mistral (python-mistralclient,
Horizon, curl scripts) work unchanged.

* **Errors** carry Mistral's body `{"faultcode", "faultstring",
  "debuginfo"}`; the text-bodied endpoints (writing workflows, workbooks,
  actions and code sources, validation) answer `{"faultstring"}` only,
  like Mistral, and so do members while authentication is off.
* **XML**: where Mistral does (the JSON endpoints and the root document),
  `Accept: application/xml` or `text/xml` gets WSME's XML: a `<result>`
  element with one child per attribute, lists as `<item>` children, null
  as `nil="true"`, faults as `<error>`. XML request bodies get a 415.
* **JSON text fields**: Mistral sends some fields (`input`, `output`,
  `params`, `variables`, `published`, ...) as JSON *text* inside the JSON
  body; they are strings here too (`contentMediaType: application/json`).
* **Dates** are UTC `YYYY-MM-DD HH:MM:SS`.
* **Lists** are paged: `limit` (at most `[api] max_limit`), `marker` (the
  last id of the previous page) and the `next` link; `sort_keys` and
  `sort_dirs` (comma-separated), `fields` (a projection; `id` is always
  included) and filters `field=value` or `field=<op>:<value>` with op one
  of `eq neq gt gte lt lte in nin has` (`in`/`nin` take a comma-separated
  list).
* **Authentication**: with Keystone enabled every call but the version
  documents, this document and its `/docs` page needs an `X-Auth-Token`.
"""

_COMMON_PARAMS = {
    'marker': 'Id of the last item of the previous page (a name for '
              'actions).',
    'limit': 'Page size (capped by [api] max_limit).',
    'sort_keys': 'Comma-separated fields to sort by; id is added as the '
                 'last key.',
    'sort_dirs': 'Comma-separated asc/desc, one per sort key (default '
                 'asc).',
    'fields': 'Comma-separated fields to return (id is always included).',
    'all_projects': 'List every project\'s items (admin; policy '
                    '<collection>:list:all_projects). As in Mistral, any '
                    'non-empty value counts as true.',
    'namespace': 'Namespace of the definition (default: the empty one).',
    'include_output': 'Include output in the listed items (any non-empty '
                      'value counts as true).',
    'nulls': 'Comma-separated fields that must be null.',
    'force': 'Delete even an execution that has not finished.',
    'max_depth': 'Depth of sub-workflows to include (-1: all).',
    'errors_only': 'Only what ended in ERROR.',
    'statistics_only': 'Only the statistics, without the tree.',
}

# Constraints the list helper enforces on the common parameters.
_PARAM_SCHEMAS = {'limit': {'minimum': 1}}

_FILTER = ('Filter on this field: a value, or `<op>:<value>` with op one '
           'of %s (`in`/`nin`: a comma-separated list).'
           % ', '.join(query.OPERATORS))

_ERROR_TEXT = {
    400: 'Bad input: the message names the field, parameter or line.',
    401: 'Authentication required (Keystone enabled, no or an invalid '
         'X-Auth-Token).',
    403: 'Forbidden by policy.',
    404: 'Not found.',
    409: 'Conflicts with a stored item (duplicate name, ...).',
    411: 'A chunked body without Content-Length.',
    413: 'The body is larger than [api] max_request_body_size.',
    501: 'Not implemented by this server.',
}


def _ref(name):
    return {'$ref': '#/components/schemas/%s' % name}


def _operation_id(route):
    words = []
    for part in route.path.strip('/').split('/'):
        if not part:
            continue
        if part.startswith('{'):
            words.append('by_' + part[1:-1])
        else:
            words.append(part.replace('.', '_'))
    return '_'.join([route.method] + (words or ['root']))


def _resource_of(op):
    response = op.response or ()
    name = response[-1] if response and response[0] in (
        'item', 'list', 'wrapped', 'any') else None
    return ops.RESOURCES[name][0] if name in ops.RESOURCES else None


def _param(name, where, schema, description=None, required=False):
    param = {'name': name, 'in': where, 'schema': schema}
    if required or where == 'path':
        param['required'] = True
    if description:
        param['description'] = description
    return param


def _parameters(route, op):
    out = [_param(p.name, 'path', schemas.wsme_schema(p.datatype)
                  if p.datatype is not None else {'type': 'string'})
           for p in route.path_params]
    resource = _resource_of(op)
    for p in route.query_params:
        schema = schemas.wsme_schema(p.datatype)
        if resource is not None:  # a list the list helper serves
            schema.update(_PARAM_SCHEMAS.get(p.name, {}))
        if p.default not in (None, '') and not isinstance(p.default, bool):
            schema['default'] = p.default
        description = _COMMON_PARAMS.get(p.name)
        if description is None and resource is not None and \
                p.name in resource.by_name:
            description = _FILTER
        if p.name == 'fields' and resource is not None:
            description = '%s One of: %s.' % (
                _COMMON_PARAMS['fields'], ', '.join(resource.field_names))
        out.append(_param(p.name, 'query', schema, description))
    for name, schema, description in op.params:
        out.append(_param(name, 'query', dict(schema), description))
    return out


def _request_body(route, op):
    if route.body_type is not None:
        return {'required': True, 'content': {'application/json': {
            'schema': schemas.body_schema(route.body_type, op.required,
                                          op.accepted)}}}
    if op.body in ops.TEXT_BODIES:
        media = {'schema': {'type': 'string',
                            'description': ops.TEXT_BODIES[op.body]}}
        if op.example:
            media['example'] = op.example
        return {'required': True, 'content': {'text/plain': media}}
    if op.body is not None:
        return {'required': True, 'content': {'application/json': {
            'schema': copy.deepcopy(op.body)}}}
    return None


def _success_schema(response):
    kind = response[0]
    if kind == 'item':
        return _ref(response[1])
    if kind == 'any':
        return {'anyOf': [_ref(name) for name in response[1:]]}
    if kind in ('list', 'wrapped'):
        props = {response[1]: {'type': 'array', 'items': _ref(response[2])}}
        if kind == 'list':
            props['next'] = {'type': 'string', 'description': 'URL of the '
                             'next page (when this one is full).'}
        return {'type': 'object', 'properties': props,
                'required': [response[1]], 'additionalProperties': False}
    return copy.deepcopy(response[1])


def _success_content(route, response):
    """The success body: JSON, and WSME's XML where the handler offers it
    (``Accept: application/xml`` or ``text/xml``)."""
    schema = _success_schema(response)
    content = {'application/json': {'schema': schema}}
    for media_type in route.xml_types:
        content[media_type] = {'schema': schemas.xml_schema(schema,
                                                            'result')}
    return content


def _error_codes(route, op):
    refused = op.response is not None and op.response[0] == 'refused'
    codes = [400, 401, 403, 501] if refused else [400, 401, 403, 404]
    if route.method in ('post', 'put'):
        codes += ([] if refused else [409]) + [411, 413]
    if _request_body(route, op) is not None:
        codes.append(415)
    return sorted(codes)


def _responses(route, op):
    out = {}
    response = op.response
    status = route.status if route.is_wsme else op.status
    if response is None:
        out[str(status)] = {'description': 'Done (no body).'}
    elif response[0] == 'html':
        out[str(status)] = {'description': 'An HTML page.', 'content': {
            'text/html': {'schema': {'type': 'string'}}}}
    elif response[0] != 'refused':
        out[str(status)] = {'description': 'Success.',
                            'content': _success_content(route, response)}
        links = {}
        for name, link in op.links.items():
            links[name] = {'operationId': _operation_id(routes.Route(
                link['path'], 'get', None, [], [])),
                'parameters': dict(link['parameters'])}
        if links:
            out[str(status)]['links'] = links
    kind = 'Fault' if route.is_wsme else 'TextFault'
    for code in _error_codes(route, op):
        out[str(code)] = {'$ref': '#/components/responses/%s' % (
            _error_response_name(op.faults.get(code, kind), code))}
    return out


def _error_response_name(kind, code):
    if code in (411, 413):
        kind = 'SizeFault'
    elif code in (401, 415):
        kind = 'Fault'
    return '%s%d' % (kind, code)


def _json_and_xml(schema_name):
    """An error body as JSON, or as WSME's ``<error>`` document."""
    content = {'application/json': {'schema': _ref(schema_name)}}
    for media_type in xml_render.CONTENT_TYPES:
        content[media_type] = {'schema': schemas.xml_schema(
            _ref(schema_name), 'error')}
    return content


# Error responses besides ``<kind><code>`` for the codes of _ERROR_TEXT:
# the 401 of the authentication gate is JSON only; the 415 of the body
# checks comes from the hygiene middleware (JSON), WSME (JSON or XML) or
# pecan (an XML body: JSON, HTML or text, for the client's Accept).
def _special_error_responses():
    return {
        'Fault401': {'description': _ERROR_TEXT[401], 'content': {
            'application/json': {'schema': _ref('Fault')}}},
        'Fault415': {
            'description': 'The body\'s media type is not taken: XML '
                           '(pecan answers it in the format the client '
                           'accepts), multipart, or other than JSON where '
                           'JSON is expected.',
            'content': dict(_json_and_xml('Fault'), **{
                'application/json': {'schema': {'anyOf': [
                    _ref('Fault'), schemas.PECAN_FAULT]}},
                'text/html': {'schema': {'type': 'string'}},
                'text/plain': {'schema': {'type': 'string'}}})},
        'SharingFault400': {
            'description': 'Bad input; with auth off, every call (sharing '
                           'needs project identities): {"faultstring": '
                           '"%s"}.' % members.AUTH_REQUIRED,
            'content': _json_and_xml('TextFault')},
    }


def _error_responses():
    out = {}
    for kind in ('Fault', 'TextFault'):
        for code, text in sorted(_ERROR_TEXT.items()):
            name = _error_response_name(kind, code)
            schema = name.rstrip('0123456789')
            out[name] = {'description': text, 'content': _json_and_xml(
                schema) if schema == 'Fault' else {
                'application/json': {'schema': _ref(schema)}}}
    out.update(_special_error_responses())
    return out


def _operation(route, op):
    tag = route.path.strip('/').split('/')[0] or 'v2'
    operation = {
        'operationId': _operation_id(route),
        'summary': op.summary,
        'tags': [tag],
        'parameters': _parameters(route, op),
        'responses': _responses(route, op),
    }
    body = _request_body(route, op)
    if body is not None:
        operation['requestBody'] = body
    if not operation['parameters']:
        del operation['parameters']
    return operation


def served_routes(v2_root):
    """The routes of ``/v2`` served by the controller class ``v2_root``
    (see :mod:`.routes`); it is handed in by whoever serves the document,
    so nothing here imports the controller tree that serves it."""
    return routes.walk(v2_root())


def undeclared(v2_root):
    """(routes served but not declared, declared but not served)."""
    served = {r.key for r in served_routes(v2_root)}
    return served - set(ops.OPERATIONS), set(ops.OPERATIONS) - served


@functools.lru_cache(maxsize=4)
def _base_document(v2_root):
    paths = {}
    for route in served_routes(v2_root):
        op = ops.OPERATIONS.get(route.key)
        if op is None:
            raise LookupError('No declared responses for %s %s (see '
                              'mistral_clone/api/openapi/operations.py)'
                              % (route.method.upper(), route.path))
        paths.setdefault(route.path, {})[route.method] = _operation(
            route, op)
    components = {
        name: schemas.resource_schema(table, description)
        for name, (table, description) in ops.RESOURCES.items()}
    for name, (table, description) in ops.UNSTORED.items():
        components[name] = schemas.resource_schema(table, description,
                                                   all_nullable=True)
    components.update(copy.deepcopy(ops.SHARED))
    components.update(Fault=schemas.WSME_FAULT,
                      TextFault=schemas.TEXT_FAULT,
                      SizeFault=schemas.SIZE_FAULT)
    schemas.annotate_components(components)
    tags = []
    for path in paths:
        tag = path.strip('/').split('/')[0] or 'v2'
        if tag not in tags:
            tags.append(tag)
    return {
        'openapi': OPENAPI_VERSION,
        'info': {'title': 'Mistral workflow service API v2',
                 'version': _version(), 'description': _DESCRIPTION,
                 'license': {'name': 'Apache-2.0',
                             'identifier': 'Apache-2.0'}},
        'tags': [{'name': t} for t in tags],
        'paths': paths,
        'components': {
            'schemas': components,
            'responses': _error_responses(),
            'securitySchemes': {'keystone': {
                'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token',
                'description': 'A Keystone token (when [pecan] '
                               'auth_enable is set).'}},
        },
        'security': [{}, {'keystone': []}],
    }


def _version():
    return version.VERSION


def document(v2_root, base_url=None):
    """The document of what ``v2_root`` serves, as a dict; ``base_url``:
    the server's ``/v2`` URL."""
    doc = dict(_base_document(v2_root))
    doc['servers'] = [{'url': base_url or '/v2'}]
    return doc
