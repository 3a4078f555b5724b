"""What each operation answers: the part of the API contract that handlers
do not declare in their signatures.

Handlers return plain dicts rendered by the resource tables, so the table
below names, per ``(path, method)`` the controller walk finds
(:mod:`~mistral_clone.api.openapi.routes`), which resource table renders
the success body and in which envelope; for the YAML-bodied handlers also
their query parameters, body and success status. The test suite checks
that this table and the served routes match exactly, so a new endpoint
cannot go undocumented.
"""

from mistral_clone.api import resources as res

# Component schemas rendered by resource tables (name → table).
RESOURCES = {
    'Workflow': (res.WORKFLOW, 'A workflow definition (GET, lists).'),
    'WorkflowWritten': (res.WORKFLOW_WRITE, 'A workflow definition as '
                        'POST/PUT answer it: interface is an object.'),
    'Workbook': (res.WORKBOOK, 'A workbook definition.'),
    'Action': (res.ACTION, 'An ad-hoc or system action.'),
    'Environment': (res.ENVIRONMENT, 'A named set of variables.'),
    'CronTrigger': (res.CRON_TRIGGER, 'A periodic workflow start.'),
    'EventTrigger': (res.EVENT_TRIGGER, 'A workflow start on a '
                     'notification.'),
    'Execution': (res.EXECUTION, 'A workflow execution.'),
    'Task': (res.TASK, 'A task execution.'),
    'ActionExecution': (res.ACTION_EXECUTION, 'An action execution.'),
    'Member': (res.MEMBER, 'A sharing of a workflow with a project.'),
}

# Renderings where any field may be null: a synchronous action run that
# was not stored (``save_result`` false) has no id, dates or project.
UNSTORED = {
    'ActionExecutionRun': (res.ACTION_EXECUTION, 'An action run outside '
                           'of any workflow and not stored: id, dates and '
                           'project are null.'),
}

# Text bodies (``Op.body``) and what they hold.
YAML = 'yaml'
CODE = 'code'
TEXT_BODIES = {YAML: 'A YAML document.',
               CODE: 'The source of a Python module.'}

# Query parameters of the YAML-bodied handlers (they read the request).
NAMESPACE = ('namespace', {'type': 'string', 'maxLength': 255},
             'Namespace of the definitions (default: the empty one).')
SCOPE = ('scope', {'type': 'string', 'enum': ['private', 'public']},
         'Visibility of the definitions (default private; public needs '
         'the <resource>:publicize policy).')
SKIP_VALIDATION = ('skip_validation', {'type': 'boolean'},
                   'Store without validating the language (when '
                   '[api] validation_mode is "enabled").')
WRITE_PARAMS = (NAMESPACE, SCOPE, SKIP_VALIDATION)

_WF = ("version: '2.0'\n\nmy_workflow:\n  input:\n    - name: World\n"
       "  tasks:\n    hello:\n      action: std.echo output=\"Hello "
       "<% $.name %>\"\n")
_WB = ("version: '2.0'\nname: my_workbook\nworkflows:\n  hello:\n    tasks:"
       "\n      t1:\n        action: std.noop\n")
_ACTION = ("version: '2.0'\n\nmy_action:\n  base: std.echo\n  base-input:"
           "\n    output: <% $.text %>\n  input:\n    - text\n")

VALIDATION = {
    'type': 'object',
    'properties': {'valid': {'type': 'boolean'},
                   'error': {'type': 'string'}},
    'required': ['valid'],
    'additionalProperties': False,
}

SERVICES = {
    'type': 'object',
    'properties': {'services': {'type': 'array', 'items': {
        'type': 'object',
        'properties': {'name': {'type': 'string'},
                       'type': {'type': 'string'}},
        'required': ['name', 'type'], 'additionalProperties': False}}},
    'required': ['services'], 'additionalProperties': False,
}

_REPORT_ENTRY = {
    'id': {'type': 'string'}, 'name': {'type': ['string', 'null']},
    'created_at': {'type': 'string'},
    'updated_at': {'type': ['string', 'null']},
    'state': {'type': 'string'}, 'state_info': {'type': ['string', 'null']},
}
REPORT = {
    'type': 'object',
    'properties': {
        'statistics': {'type': 'object', 'additionalProperties': {
            'type': 'integer'}},
        'root_workflow_execution': {
            '$ref': '#/components/schemas/ReportWorkflow'},
    },
    'required': ['statistics'],
    'additionalProperties': False,
}

# Schemas other schemas refer to by name.
SHARED = {
    'ReportWorkflow': {
        'type': 'object',
        'properties': dict(_REPORT_ENTRY, task_executions={
            'type': 'array',
            'items': {'$ref': '#/components/schemas/ReportTask'}}),
        'additionalProperties': False},
    'ReportTask': {
        'type': 'object',
        'properties': dict(
            _REPORT_ENTRY,
            action_executions={'type': 'array', 'items': {
                'type': 'object',
                'properties': dict(
                    _REPORT_ENTRY, accepted={'type': 'boolean'},
                    last_heartbeat={'type': ['string', 'null']}),
                'additionalProperties': False}},
            workflow_executions={'type': 'array', 'items': {
                '$ref': '#/components/schemas/ReportWorkflow'}}),
        'additionalProperties': False},
}

ROOT = {'type': 'object', 'properties': {'uri': {'type': 'string'}},
        'required': ['uri'], 'additionalProperties': False}


class Op(object):
    """Declared facts about one operation.

    ``response``: ``('item', schema)``, ``('any', schema, ...)`` (one of
    them), ``('list', key, schema)`` (a page,
    with ``next``), ``('wrapped', key, schema)`` (a list without paging),
    ``('schema', json_schema)``, ``('html',)``, ``('refused',)`` (no
    success: 403, or 501 past the policy) or ``None`` (no body).
    ``status``/``params``/``body`` only for text-bodied handlers (WSME
    handlers declare them in their signature; ``body`` is :data:`YAML`,
    :data:`CODE` or a JSON Schema); ``required``: attributes a JSON body
    must carry for this operation; ``accepted``: the only ones it takes (it
    refuses the body type's others); ``faults``: error responses other than
    the handler kind's (``{code: kind}``, kinds in
    :mod:`~mistral_clone.api.openapi.document`); ``links``: follow-up
    operations fed from this one's response (OpenAPI links).
    """

    def __init__(self, summary, response=None, status=200, params=(),
                 body=None, required=(), accepted=None, links=None,
                 example=None, faults=None):
        self.summary = summary
        self.response = response
        self.status = status
        self.params = params
        self.body = body
        self.required = required
        self.accepted = accepted
        self.links = links or {}
        self.example = example
        self.faults = faults or {}


def _item(name):
    return ('item', name)


def _list(key, name):
    return ('list', key, name)


def _crud(tag, schema, ident, *, create=None, update=None, extra=None,
          get_link=None):
    """The usual list/get/delete operations of one collection."""
    ops = {
        ('/%s' % tag, 'get'): Op('List %s.' % tag.replace('_', ' '),
                                 _list(tag, schema)),
        ('/%s/{%s}' % (tag, ident), 'get'): Op(
            'Get one of the %s.' % tag.replace('_', ' '), _item(schema)),
        ('/%s/{%s}' % (tag, ident), 'delete'): Op(
            'Delete one of the %s.' % tag.replace('_', ' ')),
    }
    ops.update(extra or {})
    return ops


def _links(operation_path, **params):
    return {'path': operation_path, 'parameters': params}


def _definition_ops(tag, schema, ident, example, list_key=True):
    written = 'WorkflowWritten' if tag == 'workflows' else schema
    body_of = (lambda kind: ('wrapped', tag, written)) if list_key else \
        (lambda kind: _item(written))
    first = '$response.body#/%s/0/name' % tag if list_key else \
        '$response.body#/name'
    link = {'GetCreated': _links('/%s/{%s}' % (tag, ident),
                                 **{ident: first})}
    what = tag if list_key else 'a ' + tag[:-1]
    return _crud(tag, schema, ident, extra={
        ('/%s' % tag, 'post'): Op(
            'Create %s from a YAML document.' % what, body_of('post'),
            status=201, params=WRITE_PARAMS, body=YAML, links=link,
            example=example),
        ('/%s' % tag, 'put'): Op(
            'Update %s from a YAML document.' % what, body_of('put'),
            params=WRITE_PARAMS, body=YAML, example=example),
        ('/%s/validate' % tag, 'post'): Op(
            'Validate a YAML document without storing it (always 200).',
            ('schema', VALIDATION), body=YAML, example=example),
    })


OPERATIONS = {
    ('/', 'get'): Op('The v2 root document.', ('schema', ROOT)),
    ('/openapi.json', 'get'): Op('This OpenAPI document.',
                                 ('schema', {'type': 'object'})),
    ('/docs', 'get'): Op('The API reference page (Swagger UI).', ('html',)),
    ('/services', 'get'): Op('List the live services.',
                             ('schema', SERVICES)),
}

OPERATIONS.update(_definition_ops('workflows', 'Workflow', 'identifier',
                                  _WF))
OPERATIONS.update({
    ('/workflows/{identifier}', 'put'): Op(
        'Update one workflow from a YAML document.',
        _item('WorkflowWritten'), params=WRITE_PARAMS, body=YAML,
        example=_WF),
})
OPERATIONS.update(_definition_ops('workbooks', 'Workbook', 'name', _WB,
                                  list_key=False))
OPERATIONS.update(_definition_ops('actions', 'Action', 'identifier',
                                  _ACTION))
OPERATIONS.update({
    ('/actions/{identifier}', 'put'): Op(
        'Update one ad-hoc action from a YAML document.',
        ('wrapped', 'actions', 'Action'), params=WRITE_PARAMS, body=YAML,
        example=_ACTION),
})

# With auth off, every members call answers a text fault (400) before its
# arguments are judged; behind Keystone they are JSON controllers.
_SHARING = {400: 'SharingFault'}
_MEMBERS = '/workflows/{resource_id}/members'
OPERATIONS.update({
    (_MEMBERS, 'get'): Op('List the members of a shared workflow '
                          '(needs authentication).',
                          ('wrapped', 'members', 'Member'), faults=_SHARING),
    (_MEMBERS, 'post'): Op('Share a private workflow with a project.',
                           _item('Member'), required=('member_id',),
                           faults=_SHARING),
    (_MEMBERS + '/{member_id}', 'get'): Op('Get one membership.',
                                           _item('Member'), faults=_SHARING),
    (_MEMBERS + '/{member_id}', 'put'): Op(
        'Accept or reject a sharing (by the member project).',
        _item('Member'), required=('status',), faults=_SHARING),
    (_MEMBERS + '/{member_id}', 'delete'): Op('Stop sharing.',
                                              faults=_SHARING),
})

_ENV_KEYS = ('name', 'description', 'variables', 'scope')
OPERATIONS.update(_crud('environments', 'Environment', 'name', extra={
    ('/environments', 'post'): Op(
        'Create an environment.', _item('Environment'),
        required=('name',), accepted=_ENV_KEYS, links={
            'GetCreated': _links('/environments/{name}',
                                 name='$response.body#/name')}),
    ('/environments', 'put'): Op('Update an environment (by name).',
                                 _item('Environment'), required=('name',),
                                 accepted=_ENV_KEYS),
}))

OPERATIONS.update(_crud('executions', 'Execution', 'id', extra={
    ('/executions', 'post'): Op(
        'Start a workflow.', _item('Execution'), links={
            'GetCreated': _links('/executions/{id}',
                                 id='$response.body#/id'),
            'ListTasks': _links(
                '/executions/{workflow_execution_id}/tasks',
                workflow_execution_id='$response.body#/id'),
            'Report': _links(
                '/executions/{workflow_execution_id}/report',
                workflow_execution_id='$response.body#/id')}),
    ('/executions/{id}', 'put'): Op(
        'Pause, resume, stop an execution; or change its description or '
        'env.', _item('Execution')),
    ('/executions/{workflow_execution_id}/tasks', 'get'): Op(
        'List the tasks of an execution.', _list('tasks', 'Task')),
    ('/executions/{id}/executions', 'get'): Op(
        'The execution and its sub-workflow executions, root first.',
        ('wrapped', 'executions', 'Execution')),
    ('/executions/{workflow_execution_id}/report', 'get'): Op(
        'The execution tree with task statistics.', ('schema', REPORT)),
}))

OPERATIONS.update({
    ('/tasks', 'get'): Op('List task executions.', _list('tasks', 'Task')),
    ('/tasks/{id}', 'get'): Op('Get a task execution.', _item('Task')),
    ('/tasks/{id}', 'put'): Op('Re-run or skip a failed task.',
                               _item('Task'), required=('state',)),
    ('/tasks/{task_execution_id}/action_executions', 'get'): Op(
        "List a task's action executions.",
        _list('action_executions', 'ActionExecution')),
    ('/tasks/{task_execution_id}/action_executions/{action_ex_id}',
     'get'): Op('Get one action execution of a task.',
                _item('ActionExecution')),
    ('/tasks/{id}/executions', 'get'): Op(
        "List a task's sub-workflow executions.",
        _list('executions', 'Execution')),
    ('/tasks/{task_execution_id}/workflow_executions', 'get'): Op(
        "List a task's sub-workflow executions (alias).",
        _list('executions', 'Execution')),
})

OPERATIONS.update(_crud('action_executions', 'ActionExecution', 'id', extra={
    ('/action_executions', 'post'): Op(
        'Run an action outside of any workflow.',
        ('any', 'ActionExecution', 'ActionExecutionRun'),
        required=('name',)),
    ('/action_executions/{id}', 'put'): Op(
        'Complete, fail, pause or resume an action execution.',
        _item('ActionExecution'), required=('state',)),
}))

_CRON_POST = Op('Create a cron trigger.', _item('CronTrigger'),
                required=('name',), links={'GetCreated': _links(
                    '/cron_triggers/{identifier}',
                    identifier='$response.body#/name')})
OPERATIONS.update(_crud('cron_triggers', 'CronTrigger', 'identifier',
                        extra={('/cron_triggers', 'post'): _CRON_POST}))

OPERATIONS.update(_crud('event_triggers', 'EventTrigger', 'id', extra={
    ('/event_triggers', 'post'): Op(
        'Create an event trigger.', _item('EventTrigger'),
        required=('exchange', 'topic', 'event', 'workflow_id'),
        links={'GetCreated': _links('/event_triggers/{id}',
                                    id='$response.body#/id')}),
    ('/event_triggers/{id}', 'put'): Op(
        'Update an event trigger (exchange, topic and event are fixed).',
        _item('EventTrigger'), accepted=(
            'id', 'name', 'workflow_id', 'workflow_input',
            'workflow_params', 'scope', 'project_id', 'created_at',
            'updated_at')),
}))

# Admin-only collections this server does not implement: the handlers
# judge their arguments (400), then the policy refuses (403), or answer 501
# to an admin it lets through.
_REFUSED = 'Not implemented: answers 403 (admin-only policy) or 501.'
for _tag in ('code_sources', 'dynamic_actions'):
    for _path, _method in (('/%s' % _tag, 'get'), ('/%s' % _tag, 'post'),
                           ('/%s' % _tag, 'put'),
                           ('/%s/{identifier}' % _tag, 'get'),
                           ('/%s/{identifier}' % _tag, 'delete')):
        OPERATIONS[(_path, _method)] = Op(_REFUSED, ('refused',))
# Code sources are written as text: a Python module.
for _method in ('post', 'put'):
    OPERATIONS[('/code_sources', _method)] = Op(
        _REFUSED, ('refused',), body=CODE)
