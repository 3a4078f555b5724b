"""JSON Schemas of request and response bodies, derived, never written.

* A response resource's schema comes from its :class:`~mistral_clone.api.
  resources.Resource` table — the table that renders it: one property per
  :class:`~mistral_clone.api.resources.Field`, typed by the field's kind
  (dates as ``YYYY-MM-DD HH:MM:SS`` text, JSON values as JSON *text*, as
  Mistral sends them) and by its model column (type, nullability), or by the
  field's explicit ``schema`` where a getter computes the value.
* A request body's schema comes from its WSME complex type (the type that
  parses it): one property per attribute, with the attribute's WSME type
  (lengths, minimums, ``[text]`` lists, JSON objects also accepted as JSON
  text). WSME accepts ``null`` for any attribute and refuses unknown ones.
* Query and path parameters come from the WSME types of the handler's
  arguments (:func:`wsme_schema`).

The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12:
``type: [string, "null"]`` for nullable values, ``contentMediaType`` for
JSON text.
"""

import copy

import sqlalchemy as sa
from wsme import types as wtypes

from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.db import models
from mistral_clone.db import query

JSON_TEXT = {'type': 'string', 'contentMediaType': 'application/json',
             'description': 'A JSON document, as text.'}
DATE_TEXT = {'type': 'string', 'pattern': res.DATE_PATTERN,
             'description': 'UTC, ``YYYY-MM-DD HH:MM:SS``.'}

WSME_FAULT = {
    'type': 'object',
    'description': "Mistral's error body.",
    'properties': {
        'faultcode': {'type': 'string', 'enum': ['Client', 'Server']},
        'faultstring': {'type': 'string',
                        'description': 'What went wrong, for a person.'},
        'debuginfo': {'type': ['string', 'null']},
    },
    'required': ['faultcode', 'faultstring', 'debuginfo'],
    'additionalProperties': False,
}

# The text-bodied endpoints (definitions, code sources, validation) answer
# their own errors with ``faultstring`` only, like the reference (members
# too, while auth is off); a request refused before reaching them
# (malformed HTTP, unsafe JSON, authentication) carries the full WSME fault.
TEXT_FAULT = {
    'type': 'object',
    'description': 'Error body of the text-bodied endpoints: faultstring '
                   'only, or the full WSME fault for a request refused '
                   'before the endpoint ran.',
    'properties': dict(WSME_FAULT['properties']),
    'required': ['faultstring'],
    'additionalProperties': False,
}

# Answered by the body-size gate in front of every endpoint.
SIZE_FAULT = {
    'type': 'object',
    'properties': {'faultstring': {'type': 'string'}},
    'required': ['faultstring'],
    'additionalProperties': False,
}


# Pecan's own answer to an HTTP error raised before a handler runs (the 415
# of an XML body), for a client that accepts JSON.
PECAN_FAULT = {
    'type': 'object',
    'properties': {
        'code': {'type': 'integer'},
        'title': {'type': 'string'},
        'description': {'type': ['string', 'null']},
    },
    'required': ['code', 'title', 'description'],
    'additionalProperties': False,
}


def nullable(schema):
    """``schema`` that also allows ``null``."""
    schema = dict(schema)
    if 'enum' in schema and None not in schema['enum']:
        schema['enum'] = list(schema['enum']) + [None]
    kind = schema.get('type')
    if kind is None:
        if not schema or schema.get('anyOf'):
            return schema if not schema else {
                'anyOf': list(schema['anyOf']) + [{'type': 'null'}]}
        return {'anyOf': [schema, {'type': 'null'}]}
    if isinstance(kind, list):
        if 'null' not in kind:
            schema['type'] = kind + ['null']
    elif kind != 'null':
        schema['type'] = [kind, 'null']
    return schema


# --- responses --------------------------------------------------------------

def _model_column(model, name):
    table = getattr(model, '__table__', None)
    if table is None or name not in table.columns:
        return None
    return table.columns[name]


def column_schema(column):
    """JSON Schema of a model column's value as the API shows it."""
    ctype = column.type
    if isinstance(ctype, models.JsonEncoded):
        return {}
    if isinstance(ctype, sa.types.TypeDecorator):
        ctype = ctype.impl
    if isinstance(ctype, sa.Boolean):
        return {'type': 'boolean'}
    if isinstance(ctype, sa.Integer):
        return {'type': 'integer'}
    if isinstance(ctype, sa.DateTime):
        return dict(DATE_TEXT)
    return {'type': 'string'}


def field_schema(resource, field):
    """JSON Schema of one rendered field."""
    if field.schema is not None:
        return dict(field.schema)
    if field.kind == res.JSON:
        # json_text(): JSON text, or ``empty`` for no value.
        schema = dict(JSON_TEXT)
        return nullable(schema) if field.empty is None else schema
    column = None if field.getter is not None else _model_column(
        resource.model, field.name)
    if field.kind == res.DATE:
        schema = dict(DATE_TEXT)
    elif column is not None:
        schema = column_schema(column)
    else:
        schema = {}
    if column is None or column.nullable:
        schema = nullable(schema)
    return schema


def resource_schema(resource, description=None, all_nullable=False):
    """Object schema of a rendered resource.

    Every property is optional (``fields=`` projects any subset) except
    ``id``, which every rendering includes; no other property appears.
    """
    wrap = nullable if all_nullable else (lambda schema: schema)
    schema = {
        'type': 'object',
        'properties': {f.name: wrap(field_schema(resource, f))
                       for f in resource.fields},
        'required': ['id'],
        'additionalProperties': False,
    }
    if description:
        schema['description'] = description
    return schema


# --- XML renderings ---------------------------------------------------------

def _is_array(schema):
    kind = schema.get('type')
    return kind == 'array' or (isinstance(kind, list) and 'array' in kind)


def _annotate_lists(schema):
    """Mark, in place, every list in ``schema`` as WSME renders it in
    XML: an element named after the attribute, one ``<item>`` per entry."""
    if isinstance(schema, list):
        for sub in schema:
            _annotate_lists(sub)
        return schema
    if not isinstance(schema, dict):
        return schema
    if _is_array(schema) and isinstance(schema.get('items'), dict):
        schema['xml'] = {'wrapped': True}
        schema['items'].setdefault('xml', {})['name'] = 'item'
    for key in ('properties', 'patternProperties'):
        for sub in schema.get(key, {}).values():
            _annotate_lists(sub)
    for key in ('items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf'):
        _annotate_lists(schema.get(key))
    return schema


def xml_schema(schema, root):
    """The schema of a JSON body for its XML rendering by WSME
    (:mod:`mistral_clone.api.xml_render`): the same data in a document
    element ``root`` (``result`` or ``error``), lists as ``<item>``
    children. Component schemas are annotated once
    (:func:`annotate_components`)."""
    out = _annotate_lists(copy.deepcopy(schema))
    out['xml'] = {'name': root}
    return out


def annotate_components(components):
    """Component schemas with their lists marked for XML (in place)."""
    for schema in components.values():
        _annotate_lists(schema)
    return components


# --- requests ---------------------------------------------------------------

# WSME types with bounds: (JSON type, ((WSME attribute, keyword), ...)).
_BOUNDED = {
    wtypes.StringType: ('string', (('max_length', 'maxLength'),
                                   ('min_length', 'minLength'))),
    wtypes.IntegerType: ('integer', (('minimum', 'minimum'),
                                     ('maximum', 'maximum'))),
}


# A uuid, as ``uuid.UUID`` reads it in its canonical (hyphenated) form.
_UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-' \
    '[0-9a-fA-F]{12}'
# List filters that name one uuid: an optional operator, then the uuid
# (``in``/``nin`` would give a list: refused).
_UUID_FILTER_OPS = [op for op in query.OPERATORS if op not in ('in', 'nin')]


def wsme_schema(datatype):
    """JSON Schema of a value WSME parses as ``datatype``."""
    if datatype is types.jsontype:
        # JSON text must hold an object (or null), else a 400.
        return {'anyOf': [{'type': 'object'},
                          dict(JSON_TEXT, description='A JSON object, as '
                               'text.', contentSchema={
                                   'type': ['object', 'null']})]}
    if isinstance(datatype, types.UuidFilterType):
        return {'type': 'string',
                'pattern': '^(?:(?:%s):)?%s$' % (
                    '|'.join(_UUID_FILTER_OPS), _UUID),
                'description': 'A uuid, optionally after an operator '
                               '(`neq:<uuid>`); anything else is a 400.'}
    if isinstance(datatype, types.UuidType):
        return {'type': 'string', 'format': 'uuid'}
    if isinstance(datatype, types.ReadOnlyType):
        return {'type': 'null',
                'description': 'Read only: any value but null is a 400.'}
    for wsme_type, (kind, bounds) in _BOUNDED.items():
        if isinstance(datatype, wsme_type):
            schema = {'type': kind}
            for attr, keyword in bounds:
                if getattr(datatype, attr) is not None:
                    schema[keyword] = getattr(datatype, attr)
            return schema
    if isinstance(datatype, wtypes.Enum):
        return {'type': 'string', 'enum': sorted(datatype.values)}
    if isinstance(datatype, wtypes.ArrayType):
        return {'type': 'array', 'items': wsme_schema(datatype.item_type)}
    if isinstance(datatype, wtypes.DictType):
        return {'type': 'object',
                'additionalProperties': wsme_schema(datatype.value_type)}
    if datatype is bool:
        return {'type': 'boolean'}
    if datatype is int:
        return {'type': 'integer'}
    if datatype is float:
        return {'type': 'number'}
    if datatype in (str, bytes, wtypes.text):
        return {'type': 'string'}
    if wtypes.iscomplex(datatype):
        return body_schema(datatype)
    if isinstance(datatype, wtypes.UserType):
        return wsme_schema(datatype.basetype)
    raise TypeError('No JSON Schema for WSME type %r' % (datatype,))


def body_schema(complex_type, required=(), accepted=None):
    """Object schema of a WSME complex type (a JSON request body).

    ``accepted``: the attributes the operation takes, where it refuses some
    the type parses (default: all of them).
    """
    props = {}
    for attr in wtypes.list_attributes(complex_type):
        if accepted is not None and attr.name not in accepted:
            continue
        schema = wsme_schema(attr.datatype)
        props[attr.name] = schema if attr.name in required else \
            nullable(schema)
    schema = {'type': 'object', 'properties': props,
              'additionalProperties': False}
    if required:
        schema['required'] = list(required)
    return schema
