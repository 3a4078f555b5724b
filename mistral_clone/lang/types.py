"""JSON schema fragments shared by the spec schemas.

The schemas reproduce the reference's: key order and every sub-schema
matter, because jsonschema prints sub-schemas in some messages ("... is
valid under each of {...}") and its choice of the reported error depends on
their structure.
"""


def _any(nullable=True):
    # Any JSON value. The reference lists the types alphabetically, null
    # first; we list the common ones first, because anyOf stops at the first
    # match and each miss costs jsonschema an error object (25% of the time
    # of validating a workflow). No message depends on this order: an anyOf
    # error never prints its branches, and the error best_match reports is
    # the same whatever their order.
    types = ['string', 'object', 'array', 'integer', 'number', 'boolean']
    if nullable:
        types.append('null')
    return {'anyOf': [{'type': t} for t in types]}


NONEMPTY_STRING = {'type': 'string', 'minLength': 1}

UNIQUE_STRING_LIST = {
    'type': 'array', 'items': NONEMPTY_STRING, 'uniqueItems': True,
    'minItems': 1,
}

POSITIVE_INTEGER = {'type': 'integer', 'minimum': 0}

POSITIVE_NUMBER = {'type': 'number', 'minimum': 0.0}

ANY_NULLABLE = _any(True)

ANY = _any(False)

OBJECT = {'type': 'object'}

NONEMPTY_DICT = {
    'type': 'object', 'minProperties': 1,
    'patternProperties': {r'^\w+$': ANY_NULLABLE},
}

ONE_KEY_DICT = {
    'type': 'object', 'minProperties': 1, 'maxProperties': 1,
    'patternProperties': {r'^\w+$': ANY_NULLABLE},
}

STRING_OR_ONE_KEY_DICT = {'oneOf': [NONEMPTY_STRING, ONE_KEY_DICT]}

UNIQUE_STRING_OR_ONE_KEY_DICT_LIST = {
    'type': 'array', 'items': STRING_OR_ONE_KEY_DICT, 'uniqueItems': True,
    'minItems': 1,
}

EXPRESSION = {'oneOf': [
    {'type': 'string', 'pattern': r'^({{(.*?)}})\s*$'},
    {'type': 'string', 'pattern': r'^<%.*?%>\s*$'},
]}

EXPRESSION_OR_POSITIVE_INTEGER = {'oneOf': [EXPRESSION, POSITIVE_INTEGER]}

EXPRESSION_OR_BOOLEAN = {'oneOf': [EXPRESSION, {'type': 'boolean'}]}

VERSION = {'anyOf': [NONEMPTY_STRING, POSITIVE_INTEGER, POSITIVE_NUMBER]}

STRING_OR_UNIQUE_STRING_LIST = {'oneOf': [NONEMPTY_STRING, UNIQUE_STRING_LIST]}

META_PROPERTIES = {
    'name': NONEMPTY_STRING,
    'version': VERSION,
    'description': NONEMPTY_STRING,
    'tags': UNIQUE_STRING_LIST,
}


def with_meta(props):
    """``props`` plus name/version/description/tags, added last."""
    result = dict(props)
    result.update(META_PROPERTIES)
    return result
