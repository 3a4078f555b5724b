"""API-visible resources: field lists, rendering rules and request bodies.

One :class:`Resource` per REST resource declares, in one place, the fields
the API shows (in Mistral's declaration order, which is also the order of the
``please choose from [...]`` message), how each is rendered — dates as
``YYYY-MM-DD HH:MM:SS``, JSON values as JSON *text* (WIRE.md §4) — and which
subsets each response kind uses (WIRE.md §5).

Rendering works directly on ORM rows and is compiled once per field tuple, so
a list of a thousand rows costs one dict comprehension per row.

The WSME body types at the bottom define which JSON attributes a POST/PUT
accepts; their argument names (``wf_ex``, ``env``, ...) appear in WSME's
messages exactly as on the reference. Their string lengths are Mistral's
column sizes, so a too long value is a 400 before the database sees it.

The OpenAPI document (:mod:`mistral_clone.api.openapi`) is generated from
these tables: a field's JSON Schema comes from its kind and model column, or
from ``schema=`` where a getter computes it.
"""

import json

from wsme import types as wtypes

from mistral_clone.api import types
from mistral_clone.db import models

PLAIN = 'plain'
DATE = 'date'
JSON = 'json'


def fmt_date(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.strftime('%Y-%m-%d %H:%M:%S')


def json_text(value, empty='{}'):
    """JSON text of a value; ``None`` renders as ``empty``."""
    if value is None:
        return empty
    return json.dumps(value)


# JSON Schemas of fields whose type the model column does not tell.
TAGS = {'type': ['array', 'null'], 'items': {'type': 'string'}}
ALWAYS_NULL = {'type': 'null'}
DATE_PATTERN = r'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$'
# System actions are not stored: no dates, scope or project (WIRE.md §3).
_SYSTEM_DATE = {'type': 'string', 'pattern': DATE_PATTERN[:-1] + '|^$',
                'description': 'Empty for system actions.'}
_SYSTEM_NULL = {'type': ['string', 'null'],
                'description': 'null for system actions.'}


class Field(object):
    """One API field. ``schema``: its JSON Schema for the OpenAPI document,
    where the kind and the model column do not determine it (getters).
    ``from_column``: for a getter that reads only the field's own column,
    the same computation as a function of that column's value, so that
    list pages can select the column (:mod:`mistral_clone.api.rows`)."""
    __slots__ = ('name', 'kind', 'empty', 'getter', 'column', 'schema',
                 'from_column')

    def __init__(self, name, kind=PLAIN, empty='{}', getter=None,
                 column=True, schema=None, from_column=None):
        self.name = name
        self.kind = kind
        self.empty = empty
        self.getter = getter
        self.column = column and getter is None
        self.schema = schema
        self.from_column = from_column


class Resource(object):
    """Declares how one resource appears on the wire."""

    def __init__(self, name, collection, model, fields, default_fields=None,
                 marker_not_found=None):
        self.name = name
        self.collection = collection
        self.model = model
        self.fields = list(fields)
        self.by_name = {f.name: f for f in self.fields}
        self.field_names = [f.name for f in self.fields]
        self.default_fields = tuple(default_fields or self.field_names)
        self.marker_not_found = marker_not_found or (
            lambda marker: '%s not found [id=%s]' % (name, marker))
        self._compiled = {}
        self._order = {n: i for i, n in enumerate(self.field_names)}

    # -- fields ------------------------------------------------------------
    def column_fields(self):
        return [f.name for f in self.fields if f.column and
                hasattr(self.model, f.name)]

    def is_column(self, name):
        f = self.by_name.get(name)
        return f is not None and f.column and hasattr(self.model, name)

    def is_selectable(self, name):
        """Whether the field's value comes from its own column alone."""
        f = self.by_name.get(name)
        return f is not None and hasattr(self.model, name) and (
            f.column or f.from_column is not None)

    def ordered(self, names):
        """``names`` in the resource's declaration order (unknown names
        last): attributes come out in that order, whatever order
        ``fields=`` asked for them in (WSME renders a type's attributes
        that way on the reference)."""
        order = self._order
        return sorted(names, key=lambda n: order.get(n, len(order)))

    # -- rendering -----------------------------------------------------------
    def _compile(self, names):
        ops = []
        for name in self.ordered(names):
            f = self.by_name.get(name)
            if f is None:
                ops.append((name, lambda row, _n=name: getattr(row, _n,
                                                              None)))
                continue
            if f.getter is not None:
                get = f.getter
            else:
                get = (lambda row, _n=name: getattr(row, _n, None))
            if f.kind == DATE:
                ops.append((name, lambda row, _g=get: fmt_date(_g(row))))
            elif f.kind == JSON:
                ops.append((name, lambda row, _g=get, _e=f.empty:
                            json_text(_g(row), _e)))
            else:
                ops.append((name, get))
        return ops

    def render(self, row, fields=None):
        names = tuple(fields) if fields else self.default_fields
        ops = self._compiled.get(names)
        if ops is None:
            ops = self._compiled[names] = self._compile(names)
        return {name: op(row) for name, op in ops}

    def render_many(self, rows, fields=None):
        names = tuple(fields) if fields else self.default_fields
        ops = self._compiled.get(names)
        if ops is None:
            ops = self._compiled[names] = self._compile(names)
        return [{name: op(row) for name, op in ops} for row in rows]


def _without(names, *drop):
    return tuple(n for n in names if n not in drop)


# ---------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------

WORKFLOW = Resource(
    'Workflow', 'workflows', models.WorkflowDefinition,
    [Field('id'), Field('name'), Field('namespace'), Field('input'),
     Field('interface', JSON, empty=None), Field('definition'),
     Field('checksum'), Field('tags', schema=TAGS), Field('scope'),
     Field('project_id'),
     Field('created_at', DATE), Field('updated_at', DATE)],
    marker_not_found=lambda m: 'Workflow not found [workflow_id=%s]' % m)

# Derived workflow fields that vanish when a list is projected with fields=.
WORKFLOW_DERIVED = ('input', 'interface')

# POST/PUT on /workflows show interface as an object (WIRE.md §4).
WORKFLOW_WRITE = Resource(
    'Workflow', 'workflows', models.WorkflowDefinition,
    [Field('id'), Field('name'), Field('namespace'), Field('input'),
     Field('interface', schema={'type': ['object', 'null']}),
     Field('definition'), Field('checksum'),
     Field('tags', schema=TAGS), Field('scope'), Field('project_id'),
     Field('created_at', DATE), Field('updated_at', DATE)])
WORKFLOW_POST_FIELDS = _without(WORKFLOW_WRITE.field_names, 'updated_at')

WORKBOOK = Resource(
    'Workbook', 'workbooks', models.WorkbookDefinition,
    [Field('id'), Field('name'), Field('namespace'), Field('definition'),
     Field('tags', schema=TAGS), Field('scope'), Field('project_id'),
     Field('created_at', DATE), Field('updated_at', DATE)],
    marker_not_found=lambda m: 'Workbook not found [id=%s]' % m)
WORKBOOK_POST_FIELDS = _without(WORKBOOK.field_names, 'updated_at')

ACTION = Resource(
    'Action', 'actions', models.ActionDefinition,
    [Field('id'), Field('name'), Field('is_system'), Field('input'),
     Field('description'), Field('tags', schema=TAGS), Field('definition'),
     Field('scope', schema=_SYSTEM_NULL),
     Field('project_id', schema=_SYSTEM_NULL),
     Field('created_at', DATE, schema=_SYSTEM_DATE),
     Field('updated_at', DATE, schema=dict(_SYSTEM_DATE, type=[
         'string', 'null'])), Field('namespace')])
ACTION_POST_FIELDS = _without(ACTION.field_names, 'updated_at')

ENVIRONMENT = Resource(
    'Environment', 'environments', models.Environment,
    [Field('id'), Field('name'), Field('description'),
     Field('variables', JSON, empty=None), Field('scope'),
     Field('project_id'), Field('created_at', DATE),
     Field('updated_at', DATE)],
    marker_not_found=lambda m: 'Environment not found [name=%s]' % m)

CRON_TRIGGER = Resource(
    'CronTrigger', 'cron_triggers', models.CronTrigger,
    [Field('id'), Field('name'), Field('workflow_name'),
     Field('workflow_id'), Field('workflow_input', JSON),
     Field('workflow_params', JSON), Field('project_id'), Field('scope'),
     Field('pattern'), Field('remaining_executions'),
     Field('first_execution_time', DATE),
     Field('next_execution_time', DATE), Field('created_at', DATE),
     Field('updated_at', DATE)],
    marker_not_found=lambda m: 'Cron trigger not found [identifier=%s]' % m)
CRON_TRIGGER_POST_FIELDS = _without(CRON_TRIGGER.field_names, 'updated_at')

EVENT_TRIGGER = Resource(
    'EventTrigger', 'event_triggers', models.EventTrigger,
    [Field('id'), Field('created_at', DATE), Field('updated_at', DATE),
     Field('project_id'), Field('name'), Field('workflow_id'),
     Field('workflow_input', JSON), Field('workflow_params', JSON),
     Field('exchange'), Field('topic'), Field('event'), Field('scope')],
    marker_not_found=lambda m: 'Event trigger not found [id=%s].' % m)


# ---------------------------------------------------------------------------
# Executions
# ---------------------------------------------------------------------------

def _published_global(row):
    ctx = row.context or {}
    # Workflow vars live in the context too but are not published.
    hidden = set((row.runtime_context or {}).get('var_names', ()))
    return {k: v for k, v in ctx.items()
            if k not in ('__execution', 'openstack') and k not in hidden
            and not k.startswith('__')}


EXECUTION = Resource(
    'WorkflowExecution', 'executions', models.WorkflowExecution,
    [Field('id'), Field('workflow_id'), Field('workflow_name'),
     Field('workflow_namespace'), Field('description'),
     Field('tags', schema=TAGS), Field('params', JSON),
     Field('task_execution_id'), Field('root_execution_id'),
     Field('source_execution_id', column=False,
           getter=lambda row: None, schema=ALWAYS_NULL),
     Field('state'), Field('state_info'), Field('input', JSON),
     Field('output', JSON), Field('created_at', DATE),
     Field('updated_at', DATE), Field('project_id'),
     Field('published_global', JSON, getter=_published_global)],
    marker_not_found=lambda m: 'WorkflowExecution not found [id=%s]' % m)
EXECUTION_POST_FIELDS = _without(EXECUTION.field_names,
                                 'published_global', 'source_execution_id')
EXECUTION_GET_FIELDS = _without(EXECUTION.field_names, 'source_execution_id')
EXECUTION_LIST_FIELDS = _without(EXECUTION_POST_FIELDS, 'output')
EXECUTION.default_fields = EXECUTION_LIST_FIELDS


def _task_result(row):
    from mistral_clone.api import engine_glue
    return engine_glue.task_result(row)


TASK = Resource(
    'Task', 'tasks', models.TaskExecution,
    [Field('id'), Field('name'), Field('type'), Field('workflow_name'),
     Field('workflow_namespace'), Field('workflow_id'),
     Field('workflow_execution_id'),
     Field('tags', getter=lambda row: row.tags or [],
           from_column=lambda tags: tags or [],
           schema={'type': 'array', 'items': {'type': 'string'}}),
     Field('state'), Field('state_info'), Field('project_id'),
     Field('runtime_context', JSON), Field('result', JSON, empty='null',
                                           getter=_task_result),
     Field('published', JSON), Field('published_global', JSON),
     Field('processed'), Field('created_at', DATE),
     Field('updated_at', DATE), Field('started_at', DATE),
     Field('finished_at', DATE),
     Field('reset', column=False, getter=lambda row: None,
           schema=ALWAYS_NULL),
     Field('env', column=False, getter=lambda row: None,
           schema=ALWAYS_NULL)],
    marker_not_found=lambda m: 'Task execution not found [id=%s]' % m)
TASK_LIST_FIELDS = _without(TASK.field_names, 'result', 'published_global',
                            'reset', 'env')
TASK_GET_FIELDS = _without(TASK.field_names, 'published_global', 'reset',
                           'env')
TASK.default_fields = TASK_LIST_FIELDS


def _ae_task_name(row):
    return None


ACTION_EXECUTION = Resource(
    'ActionExecution', 'action_executions', models.ActionExecution,
    [Field('id'), Field('workflow_name'), Field('workflow_namespace'),
     Field('task_name', column=False, getter=_ae_task_name,
           schema=ALWAYS_NULL),
     Field('task_execution_id'), Field('state'), Field('state_info'),
     Field('tags', schema=TAGS), Field('name'),
     Field('description', getter=lambda row: row.description or '',
           from_column=lambda description: description or '',
           schema={'type': ['string', 'null']}),
     Field('project_id'), Field('accepted'), Field('input', JSON),
     Field('output', JSON, empty=None), Field('created_at', DATE),
     Field('updated_at', DATE),
     Field('params', column=False, getter=lambda row: None,
           schema=ALWAYS_NULL)],
    marker_not_found=lambda m: 'ActionExecution not found [id=%s]' % m)
AE_LIST_FIELDS = _without(ACTION_EXECUTION.field_names, 'task_name',
                          'output', 'params')
AE_GET_FIELDS = _without(ACTION_EXECUTION.field_names, 'task_name', 'params')
ACTION_EXECUTION.default_fields = AE_LIST_FIELDS


MEMBER = Resource(
    'Member', 'members', models.ResourceMember,
    [Field('id'), Field('resource_id'), Field('resource_type'),
     Field('project_id'), Field('member_id'), Field('status'),
     Field('created_at', DATE), Field('updated_at', DATE)])


# ---------------------------------------------------------------------------
# Request bodies (WSME complex types)
# ---------------------------------------------------------------------------

def limited(length):
    """Text of at most ``length`` characters (Mistral's column size)."""
    return wtypes.StringType(max_length=length)


class ExecutionBody(wtypes.Base):
    id = limited(36)
    workflow_id = wtypes.text
    workflow_name = wtypes.text
    workflow_namespace = wtypes.text
    description = limited(255)
    tags = [wtypes.text]
    params = types.jsontype
    task_execution_id = wtypes.text
    root_execution_id = wtypes.text
    source_execution_id = wtypes.text
    state = wtypes.text
    state_info = wtypes.text
    input = types.jsontype
    output = types.jsontype
    created_at = wtypes.text
    updated_at = wtypes.text
    project_id = wtypes.text
    published_global = types.jsontype


class TaskBody(wtypes.Base):
    id = wtypes.text
    name = wtypes.text
    type = wtypes.text
    workflow_name = wtypes.text
    workflow_namespace = wtypes.text
    workflow_id = wtypes.text
    workflow_execution_id = wtypes.text
    tags = [wtypes.text]
    state = wtypes.text
    state_info = wtypes.text
    project_id = wtypes.text
    runtime_context = types.jsontype
    result = wtypes.text
    published = types.jsontype
    published_global = types.jsontype
    processed = bool
    created_at = wtypes.text
    updated_at = wtypes.text
    started_at = wtypes.text
    finished_at = wtypes.text
    reset = bool
    env = types.jsontype


class ActionExecutionBody(wtypes.Base):
    id = wtypes.text
    workflow_name = wtypes.text
    workflow_namespace = wtypes.text
    task_name = wtypes.text
    task_execution_id = wtypes.text
    state = wtypes.text
    state_info = wtypes.text
    tags = [wtypes.text]
    name = wtypes.text
    description = wtypes.text
    project_id = wtypes.text
    accepted = bool
    input = types.jsontype
    output = types.jsontype
    created_at = wtypes.text
    updated_at = wtypes.text
    params = types.jsontype


class CronTriggerBody(wtypes.Base):
    id = wtypes.text
    name = limited(200)
    workflow_name = wtypes.text
    workflow_id = wtypes.text
    workflow_input = types.jsontype
    workflow_params = types.jsontype
    project_id = wtypes.text
    scope = wtypes.text
    pattern = limited(100)
    remaining_executions = wtypes.IntegerType(minimum=1)
    first_execution_time = wtypes.text
    next_execution_time = wtypes.text
    created_at = wtypes.text
    updated_at = wtypes.text


class EnvironmentBody(wtypes.Base):
    id = wtypes.text
    name = limited(200)
    description = wtypes.text
    variables = types.jsontype
    scope = wtypes.text
    project_id = wtypes.text
    created_at = wtypes.text
    updated_at = wtypes.text


class EventTriggerBody(wtypes.Base):
    id = wtypes.text
    created_at = wtypes.text
    updated_at = wtypes.text
    project_id = wtypes.text
    name = limited(200)
    workflow_id = wtypes.text
    workflow_input = types.jsontype
    workflow_params = types.jsontype
    exchange = limited(80)
    topic = limited(80)
    event = limited(80)
    scope = wtypes.text


def body_dict(body):
    """The attributes a client actually sent, as a dict."""
    out = {}
    for attr in wtypes.list_attributes(type(body)):
        value = getattr(body, attr.key)
        if value is not wtypes.Unset:
            out[attr.name] = value
    return out
