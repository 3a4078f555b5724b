"""Schema dicts of every DSL spec (data only; compiled by ``schema.py``).

Key order matters: it decides the order errors are found and how schemas
are rendered inside messages such as "... is valid under each of ...".
"""

from mistral_clone.lang.schema import compile_schema


def _any(nullable=True):
    types = ['array', 'boolean', 'integer', 'number', 'object', 'string']
    if nullable:
        types = ['null'] + types
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


def _with_meta(props):
    result = dict(props)
    result.update(META_PROPERTIES)
    return result


# --- transitions --------------------------------------------------------------

_NAME = {'type': 'string', 'pattern': r'^\S+$',
         'description': 'Task name (e.g.: `task1`)'}
_NAME_WITH_PARAMS = {
    'type': 'string', 'pattern': r'^\w+ \w+=(.*)$',
    'description': 'Task name with dict parameter (e.g.: `fail msg="test"`, '
                   '`fail msg=<% task() %>`)'}
_NAME_WITH_FUNC = {
    'type': 'string', 'pattern': r'^\w+\(\w+=(.*)\)$',
    'description': 'Task name with func parameter (e.g.: `fail(msg="test")`, '
                   '`fail(msg=<% task() %>)`)'}

NEXT_TASK_STRING = {'oneOf': [_NAME, _NAME_WITH_PARAMS, _NAME_WITH_FUNC]}

NEXT_TASK_GUARD = {
    'type': 'object', 'minProperties': 1, 'maxProperties': 1,
    'patternProperties': {
        r'^\S+$': EXPRESSION,
        r'^\w+ \w+=(.*)$': EXPRESSION,
        r'^\w+\(\w+=(.*)\)$': EXPRESSION,
    },
    'description': 'All next task variants plus expression (e.g.: `task1: '
                   '<% $.vm_id != null %>`, `fail(msg="test"): <% $.vm_id != '
                   'null %>`).',
}

NEXT_TASKS = {'oneOf': [
    NEXT_TASK_STRING,
    NEXT_TASK_GUARD,
    {'type': 'array', 'items': {'oneOf': [NEXT_TASK_STRING, NEXT_TASK_GUARD]},
     'uniqueItems': True, 'minItems': 1},
]}

PUBLISH = {
    'type': 'object',
    'properties': _with_meta({
        'branch': NONEMPTY_DICT,
        'global': NONEMPTY_DICT,
        'atomic': NONEMPTY_DICT,
    }),
    'additionalProperties': False,
    'definitions': {},
}

ON_CLAUSE = {'oneOf': [
    NEXT_TASK_STRING,
    NEXT_TASK_GUARD,
    NEXT_TASKS['oneOf'][2],
    {'type': 'object', 'minProperties': 1,
     'properties': {'publish': PUBLISH, 'next': NEXT_TASKS},
     'additionalProperties': False},
], 'properties': dict(META_PROPERTIES), 'definitions': {}}

# --- policies -----------------------------------------------------------------

RETRY_OBJECT = {
    'type': 'object',
    'properties': {
        'count': EXPRESSION_OR_POSITIVE_INTEGER,
        'break-on': EXPRESSION,
        'continue-on': EXPRESSION,
        'delay': EXPRESSION_OR_POSITIVE_INTEGER,
    },
    'required': ['delay', 'count'],
    'additionalProperties': False,
}

RETRY = {
    'oneOf': [RETRY_OBJECT, NONEMPTY_STRING],
    'properties': dict(META_PROPERTIES),
    'definitions': {},
}

POLICIES = {
    'retry': RETRY,
    'wait-before': EXPRESSION_OR_POSITIVE_INTEGER,
    'wait-after': EXPRESSION_OR_POSITIVE_INTEGER,
    'timeout': EXPRESSION_OR_POSITIVE_INTEGER,
    'pause-before': EXPRESSION_OR_BOOLEAN,
    'concurrency': EXPRESSION_OR_POSITIVE_INTEGER,
    'fail-on': EXPRESSION_OR_BOOLEAN,
}

# --- tasks --------------------------------------------------------------------

_ACTION_XOR_WORKFLOW = [
    {'not': {'type': 'object', 'required': ['action', 'workflow']}},
    {'oneOf': [{'type': 'object', 'required': ['action']},
               {'type': 'object', 'required': ['workflow']}]},
]


def _task_schema(wf_type):
    props = {
        'type': {'enum': [wf_type]},
        'action': NONEMPTY_STRING,
        'workflow': NONEMPTY_STRING,
        'input': {'oneOf': [NONEMPTY_DICT, NONEMPTY_STRING]},
        'with-items': STRING_OR_UNIQUE_STRING_LIST,
        'publish': NONEMPTY_DICT,
        'publish-on-error': NONEMPTY_DICT,
        'publish-on-skip': NONEMPTY_DICT,
    }
    props.update(POLICIES)
    props.update({
        'target': NONEMPTY_STRING,
        'keep-result': EXPRESSION_OR_BOOLEAN,
        'safe-rerun': EXPRESSION_OR_BOOLEAN,
    })
    if wf_type == 'direct':
        props.update({
            'join': {'oneOf': [{'enum': ['all', 'one']}, POSITIVE_INTEGER]},
            'on-complete': ON_CLAUSE,
            'on-success': ON_CLAUSE,
            'on-error': ON_CLAUSE,
            'on-skip': ON_CLAUSE,
        })
    else:
        props['requires'] = STRING_OR_UNIQUE_STRING_LIST
    return {
        'type': 'object',
        'properties': _with_meta(props),
        'additionalProperties': False,
        'anyOf': _ACTION_XOR_WORKFLOW,
        'required': ['version', 'name'],
        'definitions': {},
    }


DIRECT_TASK = _task_schema('direct')
REVERSE_TASK = _task_schema('reverse')

_td_props = dict(POLICIES)
_td_props.update({
    'on-complete': ON_CLAUSE,
    'on-success': ON_CLAUSE,
    'on-error': ON_CLAUSE,
    'on-skip': ON_CLAUSE,
    'safe-rerun': EXPRESSION_OR_BOOLEAN,
    'requires': STRING_OR_UNIQUE_STRING_LIST,
})

TASK_DEFAULTS = {
    'type': 'object',
    'properties': _with_meta(_td_props),
    'additionalProperties': False,
    'definitions': {},
}

# --- workflows, actions, workbooks --------------------------------------------

WORKFLOW = {
    'properties': {
        'tasks': {
            'type': 'object', 'minProperties': 1,
            'patternProperties': {r'^\w+$': NONEMPTY_DICT},
        },
        'type': {'enum': ['reverse', 'direct']},
        'task-defaults': NONEMPTY_DICT,
        'input': UNIQUE_STRING_OR_ONE_KEY_DICT_LIST,
        'output': NONEMPTY_DICT,
        'output-on-error': NONEMPTY_DICT,
        'vars': NONEMPTY_DICT,
        'tags': UNIQUE_STRING_LIST,
    },
    'required': ['tasks'],
    'definitions': {},
}

LIST_DOCUMENT = {
    'type': 'object',
    'properties': {'version': VERSION},
    'additionalProperties': NONEMPTY_DICT,
    'required': ['version'],
    'definitions': {},
}

ACTION = {
    'type': 'object',
    'properties': _with_meta({
        'base': NONEMPTY_STRING,
        'base-input': NONEMPTY_DICT,
        'input': UNIQUE_STRING_OR_ONE_KEY_DICT_LIST,
        'output': ANY_NULLABLE,
    }),
    'required': ['base', 'version', 'name'],
    'additionalProperties': False,
    'definitions': {},
}

_MEMBERS = {
    'type': 'object', 'minProperties': 1,
    'patternProperties': {
        r'^version$': {'enum': ['2.0', 2.0]},
        r'^(?!version$)[\w-]+$': ANY,
    },
    'additionalProperties': False,
}

_wb_version = {'enum': ['2.0', 2.0]}
_wb_version.update(VERSION)

WORKBOOK = {
    'type': 'object',
    'properties': {
        'version': _wb_version,
        'actions': _MEMBERS,
        'workflows': _MEMBERS,
        'name': NONEMPTY_STRING,
        'description': NONEMPTY_STRING,
        'tags': UNIQUE_STRING_LIST,
    },
    'additionalProperties': False,
    'required': ['version', 'name'],
    'definitions': {},
}

# Compiled checkers.
CHECK_LIST_DOCUMENT = compile_schema(LIST_DOCUMENT)
CHECK_WORKFLOW = compile_schema(WORKFLOW)
CHECK_DIRECT_TASK = compile_schema(DIRECT_TASK)
CHECK_REVERSE_TASK = compile_schema(REVERSE_TASK)
CHECK_TASK_DEFAULTS = compile_schema(TASK_DEFAULTS)
CHECK_RETRY = compile_schema(RETRY)
CHECK_ACTION = compile_schema(ACTION)
CHECK_WORKBOOK = compile_schema(WORKBOOK)
