"""Create, update and delete stored definitions and triggers.

Workflows, workbooks, ad-hoc actions, environments, cron triggers and event
triggers. Every operation runs in ONE database transaction, so a document
that fails half-way (a workbook whose third workflow is invalid, a duplicate
name discovered by the unique constraint) writes nothing. Unique-name races
are settled by the database constraints; the IntegrityError becomes a 409 with
the reference's ``Duplicate entry for ...`` message.

Definitions are parsed with :mod:`mistral_clone.lang` only here, on writes:
rows carry everything reads need (input display string, interface, checksum),
so list/get never re-parse.
"""

import datetime
import json
import hashlib
import re
import uuid as uuid_lib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import access

SCOPES = ('private', 'public')

# Placeholder pattern of cron triggers that only have a first execution time
# (February 30th never comes).
NEVER_PATTERN = '0 0 30 2 0'

_UNIQUE = {
    models.WorkflowDefinition: ('WorkflowDefinition',
                                ('name', 'namespace', 'project_id')),
    models.WorkbookDefinition: ('WorkbookDefinition',
                                ('name', 'namespace', 'project_id')),
    models.ActionDefinition: ('Action', ('name', 'namespace', 'project_id')),
    models.Environment: ('Environment', ('name', 'project_id')),
    models.CronTrigger: ('cron trigger', ('name', 'project_id')),
    models.EventTrigger: ('EventTrigger',
                          ('exchange', 'topic', 'event', 'workflow_id',
                           'project_id')),
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _lang():
    from mistral_clone import lang
    return lang


def should_validate(skip_validation=False):
    mode = config.CONF.api.validation_mode
    if mode == 'mandatory':
        return True
    if mode == 'disabled':
        return False
    return not skip_validation


def check_scope(scope):
    if scope is None:
        return 'private'
    if scope not in SCOPES:
        raise exc.InputException(
            "Scope must be one of the following: {'private', 'public'}; "
            "actual: %s" % scope)
    # Who may publicize is policy (``<resource>:publicize``), checked by
    # the API handler.
    return scope


def check_trigger_scope(scope):
    """Triggers declare ``scope`` as a WSME enum: its message, not
    :func:`check_scope`'s."""
    if scope is not None and scope not in SCOPES:
        raise exc.InputException(
            "Invalid input for field/attribute scope. Value: '%s'. Value "
            "should be one of: %s" % (scope, ', '.join(SCOPES)))
    return check_scope(scope)


def checksum(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()


def is_uuid(value):
    try:
        uuid_lib.UUID(str(value))
        return True
    except (ValueError, TypeError, AttributeError):
        return False


def _duplicate(model, values):
    entity, fields = _UNIQUE[model]
    # The reference prints None for the project of a no-auth request.
    shown = ['None' if f == 'project_id' else str(values.get(f, ''))
             for f in fields]
    return exc.DBDuplicateEntryError('Duplicate entry for %s %s: %s' % (
        entity, list(fields), ', '.join(shown)))


def _flush(s, model, values_of):
    """Flush, translating a unique-constraint violation to a 409."""
    try:
        s.flush()
    except sa_exc.IntegrityError:
        raise _duplicate(model, values_of)


def _write(fn):
    """Run ``fn(session)`` in one transaction; IntegrityError → 409."""
    try:
        with db_api.transaction() as s:
            return fn(s)
    except sa_exc.IntegrityError as e:
        # A constraint the explicit flushes did not attribute.
        raise exc.DBDuplicateEntryError(
            'Duplicate entry: %s' % (getattr(e, 'orig', e),))


def _visible(model, ctx=None):
    return access.visible(model, ctx)


def _own(model, ctx=None):
    return access.own(model, ctx)


def _found(row, write):
    """A visible row; writes to other projects' rows are refused (403)."""
    if row is not None and write:
        access.check_access(row)
    return row


def _first(s, model, *where):
    return s.execute(sa.select(model).where(*where).limit(1)).scalars(
    ).first()


# ---------------------------------------------------------------------------
# workflows
# ---------------------------------------------------------------------------

def find_workflow(s, identifier, namespace='', write=False):
    """A workflow by id or name (name looked up in ``namespace``)."""
    model = models.WorkflowDefinition
    scope = _visible(model)
    namespace = namespace or ''
    row = None
    if is_uuid(identifier):
        row = _first(s, model, model.id == identifier, scope)
    if row is None:
        row = _first(s, model, model.name == identifier,
                     model.namespace == namespace, scope)
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_identifier=%s, namespace=%s]'
            % (identifier, namespace))
    return _found(row, write)


def _workflow_values(spec, definition, namespace, scope, with_checksum=True):
    return {
        'name': spec.name,
        'namespace': namespace,
        'definition': definition,
        'checksum': checksum(definition) if with_checksum else None,
        'input': spec.input_display(),
        'interface': spec.interface(),
        'tags': list(spec.tags or []),
        'scope': scope,
    }


def _workflow_texts(text, specs):
    """Definition text to store per spec (verbatim for a single one)."""
    return [spec.definition for spec in specs]


def _parse_workflows(text, validate):
    return _lang().parse_workflows(text, validate)


def validate_workflows(text):
    _parse_workflows(text, True)


def create_workflows(text, namespace='', scope='private', validate=True):
    namespace = namespace or ''
    scope = check_scope(scope)
    specs = _parse_workflows(text, validate)
    texts = _workflow_texts(text, specs)
    project_id = context.ctx().project_id

    def _do(s):
        rows = []
        for spec, definition in zip(specs, texts):
            values = _workflow_values(spec, definition, namespace, scope)
            row = models.WorkflowDefinition(project_id=project_id, **values)
            s.add(row)
            _flush(s, models.WorkflowDefinition, values)
            rows.append(row)
        return rows
    return _write(_do)


def update_workflows(text, identifier=None, namespace='', scope=None,
                     validate=True):
    namespace = namespace or ''
    scope = check_scope(scope)
    specs = _parse_workflows(text, validate)
    if identifier is not None and len(specs) > 1:
        raise exc.InputException(
            'More than one workflows are not supported for update with '
            'identifier. [identifier: %s]' % identifier)
    texts = _workflow_texts(text, specs)

    def _do(s):
        rows = []
        for spec, definition in zip(specs, texts):
            row = find_workflow(s, identifier or spec.name, namespace,
                                write=True)
            values = _workflow_values(spec, definition, row.namespace, scope)
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = models.utcnow()
            _flush(s, models.WorkflowDefinition, values)
            rows.append(row)
        return rows
    return _write(_do)


def delete_workflow(identifier, namespace=''):
    namespace = namespace or ''

    def _do(s):
        row = find_workflow(s, identifier, namespace, write=True)
        crons = s.execute(sa.select(models.CronTrigger.id).where(
            models.CronTrigger.workflow_id == row.id)).scalars().all()
        if crons:
            raise exc.InputException(
                "Can't delete workflow that has cron triggers associated. "
                "[workflow_identifier=%s, namespace=%s], "
                "[cron_trigger_id(s)=%s]"
                % (identifier, namespace, ', '.join(crons)))
        events = s.execute(sa.select(models.EventTrigger.id).where(
            models.EventTrigger.workflow_id == row.id)).scalars().all()
        if events:
            raise exc.InputException(
                "Can't delete workflow that has event triggers associated. "
                "[workflow_identifier=%s], [event_trigger_id(s)=%s]"
                % (identifier, ', '.join(events)))
        # Its sharings go with it.
        s.execute(sa.delete(models.ResourceMember).where(
            models.ResourceMember.resource_id == row.id,
            models.ResourceMember.resource_type == 'workflow'))
        s.delete(row)
    _write(_do)


# ---------------------------------------------------------------------------
# workbooks
# ---------------------------------------------------------------------------

def find_workbook(s, name, namespace='', key='name', write=False):
    model = models.WorkbookDefinition
    namespace = namespace or ''
    row = _first(s, model, model.name == name, model.namespace == namespace,
                 _visible(model))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workbook not found [%s=%s, namespace=%s]'
            % (key, name, namespace))
    return _found(row, write)


def _parse_workbook(text, validate):
    return _lang().parse_workbook(text, validate)


def validate_workbook(text):
    _parse_workbook(text, True)


def _workbook_members(s, spec, namespace, scope, project_id):
    """Create or update the ``<wb>.<name>`` workflows and actions."""
    for wf in spec.workflows or []:
        values = _workflow_values(wf, wf.definition, namespace, scope,
                                  with_checksum=False)
        values['name'] = '%s.%s' % (spec.name, wf.name)
        _upsert(s, models.WorkflowDefinition, values, project_id)
    for action in spec.actions or []:
        values = _action_values(action, _action_fragment(action), namespace,
                                scope)
        values['name'] = '%s.%s' % (spec.name, action.name)
        _upsert(s, models.ActionDefinition, values, project_id)


def _upsert(s, model, values, project_id):
    row = _first(s, model, model.name == values['name'],
                 model.namespace == values['namespace'],
                 model.project_id == project_id)
    if row is None:
        row = model(project_id=project_id, **values)
        s.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_at = models.utcnow()
    _flush(s, model, values)
    return row


def create_workbook(text, namespace='', scope='private', validate=True):
    namespace = namespace or ''
    scope = check_scope(scope)
    spec = _parse_workbook(text, validate)
    project_id = context.ctx().project_id

    def _do(s):
        values = {'name': spec.name, 'namespace': namespace,
                  'definition': text, 'tags': list(spec.tags or []),
                  'scope': scope}
        row = models.WorkbookDefinition(project_id=project_id, **values)
        s.add(row)
        _flush(s, models.WorkbookDefinition, values)
        _workbook_members(s, spec, namespace, scope, project_id)
        return row
    return _write(_do)


def update_workbook(text, namespace='', scope=None, validate=True):
    namespace = namespace or ''
    scope = check_scope(scope)
    spec = _parse_workbook(text, validate)
    project_id = context.ctx().project_id

    def _do(s):
        row = find_workbook(s, spec.name, namespace, write=True)
        row.definition = text
        row.tags = list(spec.tags or [])
        row.scope = scope
        row.updated_at = models.utcnow()
        _workbook_members(s, spec, namespace, scope, project_id)
        return row
    return _write(_do)


def delete_workbook(name, namespace=''):
    # Like the reference, the workbook's workflows and actions stay.
    def _do(s):
        s.delete(find_workbook(s, name, namespace, key='workbook_name',
                               write=True))
    _write(_do)


# ---------------------------------------------------------------------------
# ad-hoc actions
# ---------------------------------------------------------------------------

def _action_values(spec, definition, namespace, scope):
    return {
        'name': spec.name,
        'namespace': namespace,
        'definition': definition,
        'description': spec.description,
        'input': spec.input_display() if spec.input else None,
        'tags': list(spec.tags or []),
        'scope': scope,
        'is_system': False,
    }


def _action_fragment(spec):
    """Stored text of a workbook action: its source block, as the
    reference stores it."""
    return spec.definition or ''


def _parse_actions(text, validate):
    return _lang().parse_actions(text)


def validate_actions(text):
    _parse_actions(text, True)


def find_action(s, name, namespace='', write=False, key='name',
                what='Action'):
    model = models.ActionDefinition
    namespace = namespace or ''
    row = _first(s, model, model.name == name, model.namespace == namespace,
                 _visible(model))
    if row is None:
        raise exc.DBEntityNotFoundError('%s not found [%s=%s, namespace=%s]'
                                        % (what, key, name, namespace))
    return _found(row, write)


def create_actions(text, namespace='', scope='private', validate=True):
    namespace = namespace or ''
    scope = check_scope(scope)
    specs = _parse_actions(text, validate)
    project_id = context.ctx().project_id

    def _do(s):
        rows = []
        for spec in specs:
            values = _action_values(spec, text, namespace, scope)
            row = models.ActionDefinition(project_id=project_id, **values)
            s.add(row)
            _flush(s, models.ActionDefinition, values)
            rows.append(row)
        return rows
    return _write(_do)


def update_actions(text, identifier=None, namespace='', scope=None,
                   validate=True):
    namespace = namespace or ''
    scope = check_scope(scope)
    specs = _parse_actions(text, validate)
    if identifier is not None and len(specs) > 1:
        raise exc.InputException(
            'More than one actions are not supported for update with '
            'identifier. [identifier: %s]' % identifier)

    def _do(s):
        rows = []
        for spec in specs:
            row = find_action(s, identifier or spec.name, namespace,
                              write=True, key='action_name',
                              what='Action definition')
            if row.is_system:
                raise exc.InvalidActionException(
                    'Attempt to modify a system action: %s' % row.name)
            values = _action_values(spec, text, row.namespace, scope)
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = models.utcnow()
            _flush(s, models.ActionDefinition, values)
            rows.append(row)
        return rows
    return _write(_do)


def delete_action(name, namespace=''):
    def _do(s):
        row = find_action(s, name, namespace, write=True, key='action_name',
                          what='Action definition')
        if row.is_system:
            raise exc.InvalidActionException(
                'Attempt to delete a system action: %s' % name)
        s.delete(row)
    _write(_do)


# ---------------------------------------------------------------------------
# environments
# ---------------------------------------------------------------------------

ENV_KEYS = ['name', 'description', 'variables', 'scope']


def find_environment(s, name, write=False):
    model = models.Environment
    row = _first(s, model, model.name == name, _visible(model))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Environment not found [name=%s]' % name)
    return _found(row, write)


def _check_env_keys(values):
    if set(values) - set(ENV_KEYS):
        raise exc.InputException(
            'Please, check your environment definition. Only: %s are '
            'allowed as definition keys.' % ENV_KEYS)


def create_environment(values):
    _check_env_keys(values)
    if not values.get('name'):
        raise exc.InputException('Name of the environment is not provided.')
    values = dict(values)
    values['scope'] = check_scope(values.get('scope'))
    project_id = context.ctx().project_id

    def _do(s):
        row = models.Environment(project_id=project_id, **values)
        s.add(row)
        _flush(s, models.Environment, values)
        return row
    return _write(_do)


def update_environment(values):
    _check_env_keys(values)
    if not values.get('name'):
        raise exc.InputException('Name of the environment is not provided.')
    if 'scope' in values:
        values = dict(values)
        values['scope'] = check_scope(values['scope'])

    def _do(s):
        row = find_environment(s, values['name'], write=True)
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_at = models.utcnow()
        return row
    return _write(_do)


def delete_environment(name):
    def _do(s):
        s.delete(find_environment(s, name, write=True))
    _write(_do)


# ---------------------------------------------------------------------------
# workflow input validation (triggers)
# ---------------------------------------------------------------------------

def _spec_class(wf_row):
    text = wf_row.definition or ''
    if re.search(r'^\s*type:\s*[\'"]?reverse[\'"]?\s*$', text, re.M):
        return 'ReverseWorkflowSpec'
    return 'DirectWorkflowSpec'


def validate_workflow_input(wf_row, given):
    """Missing required / unexpected inputs → 400 like the engine's."""
    declared = (wf_row.interface or {}).get('input') or []
    required, known = [], set()
    for item in declared:
        if isinstance(item, dict):
            known.update(item.keys())
        else:
            known.add(item)
            required.append(item)
    given = given or {}
    missing = [n for n in required if n not in given]
    unexpected = [n for n in given if n not in known]
    if missing or unexpected:
        parts = ['name=%s' % wf_row.name, 'class=%s' % _spec_class(wf_row)]
        if missing:
            parts.append('missing=%s' % missing)
        if unexpected:
            parts.append('unexpected=%s' % unexpected)
        raise exc.InputException('Invalid input [%s]' % ', '.join(parts))


# ---------------------------------------------------------------------------
# cron triggers
# ---------------------------------------------------------------------------

def find_cron_trigger(s, identifier, write=False):
    model = models.CronTrigger
    scope = _own(model) if write else _visible(model)
    row = None
    if is_uuid(identifier):
        row = _first(s, model, model.id == identifier, scope)
    if row is None:
        row = _first(s, model, model.name == identifier, scope)
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Cron trigger not found [identifier=%s]' % identifier)
    return row


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def next_cron_time(pattern, start):
    """First match of ``pattern`` strictly after ``start`` (naive UTC), as
    croniter computes it (a 6th field is seconds, a 7th the year)."""
    import croniter
    return croniter.croniter(pattern, start).get_next(datetime.datetime)


def _pattern_next_time(pattern, now):
    """Next match after ``now``; 400 for patterns croniter refuses or that
    never match (e.g. ``0 0 31 2 *``: the reference answers 500)."""
    import croniter
    try:
        return next_cron_time(pattern, now)
    except (ValueError, KeyError, TypeError, IndexError,
            croniter.CroniterError):
        raise exc.InvalidModelException(
            'The specified pattern is not valid: %s' % pattern)


def create_cron_trigger(name, workflow_name=None, workflow_id=None,
                        workflow_input=None, workflow_params=None,
                        pattern=None, first_execution_time=None,
                        remaining_executions=None, scope='private'):
    if not name:
        raise exc.InputException(
            'Name of the cron trigger is not provided.')
    scope = check_trigger_scope(scope)
    if not pattern and not first_execution_time:
        raise exc.InvalidModelException(
            'Pattern or first_execution_time must be specified.')
    if remaining_executions is not None and remaining_executions < 1:
        # The API's body type already refuses this; other callers too.
        raise exc.InvalidModelException(
            "Invalid input for field/attribute remaining_executions. "
            "Value: '%s'. Value should be greater or equal to 1"
            % remaining_executions)
    now = _utcnow()
    first_time = None
    if first_execution_time:
        try:
            first_time = datetime.datetime.strptime(
                first_execution_time, '%Y-%m-%d %H:%M')
        except ValueError as e:
            raise exc.InvalidModelException(str(e))
        if first_time < now + datetime.timedelta(seconds=60):
            raise exc.InvalidModelException(
                'first_execution_time must be at least 1 minute in the '
                'future.')
        if not pattern and remaining_executions and \
                remaining_executions > 1:
            raise exc.InvalidModelException(
                'Pattern must be provided if count is superior to 1.')
    next_time = _pattern_next_time(pattern, now) if pattern else None
    if first_time is not None:
        next_time = first_time
        if not pattern and not remaining_executions:
            remaining_executions = 1
    project_id = context.ctx().project_id

    def _do(s):
        wf = find_workflow(s, workflow_id or workflow_name, '')
        validate_workflow_input(wf, workflow_input)
        values = {
            'name': name, 'pattern': pattern or NEVER_PATTERN,
            'first_execution_time': first_time,
            'next_execution_time': next_time,
            'remaining_executions': remaining_executions,
            'workflow_name': wf.name, 'workflow_id': wf.id,
            'workflow_input': workflow_input or {},
            'workflow_params': workflow_params or {},
            'scope': scope,
        }
        if _same_cron_trigger_exists(s, values, project_id):
            raise _duplicate(models.CronTrigger, values)
        row = models.CronTrigger(project_id=project_id, **values)
        s.add(row)
        _flush(s, models.CronTrigger, values)
        return row
    return _write(_do)


def _canonical(value):
    return json.dumps(value or {}, sort_keys=True)


def _same_cron_trigger_exists(s, values, project_id):
    """The reference also refuses (409, naming the new trigger) a trigger
    identical to an existing one in workflow, pattern, input, params,
    count and first time. As in its SQL unique constraint, NULL never
    equals NULL: triggers without a count or a first time never clash."""
    if values['remaining_executions'] is None or \
            values['first_execution_time'] is None:
        return False
    M = models.CronTrigger
    rows = s.execute(sa.select(M).where(
        M.project_id == project_id,
        M.workflow_name == values['workflow_name'],
        M.pattern == values['pattern'],
        M.remaining_executions == values['remaining_executions'],
        M.first_execution_time == values['first_execution_time'],
    )).scalars().all()
    return any(
        _canonical(r.workflow_input) == _canonical(values['workflow_input'])
        and _canonical(r.workflow_params) ==
        _canonical(values['workflow_params'])
        for r in rows)


def delete_cron_trigger(identifier):
    def _do(s):
        s.delete(find_cron_trigger(s, identifier, write=True))
    _write(_do)


# ---------------------------------------------------------------------------
# event triggers
# ---------------------------------------------------------------------------

EVENT_TRIGGER_REQUIRED = ('exchange', 'topic', 'event', 'workflow_id')


def find_event_trigger(s, id_, write=False):
    model = models.EventTrigger
    row = _first(s, model, model.id == id_,
                 _own(model) if write else _visible(model))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Event trigger not found [id=%s].' % id_)
    return row


def _event_trigger_workflow(s, workflow_id):
    """Event triggers name their workflow by id only."""
    if not is_uuid(workflow_id):
        raise exc.InputException(
            'Expected a uuid but received %s.' % workflow_id)
    M = models.WorkflowDefinition
    row = _first(s, M, M.id == workflow_id, _visible(M))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_id=%s]' % workflow_id)
    return row


def create_event_trigger(values):
    missing = [k for k in EVENT_TRIGGER_REQUIRED if not values.get(k)]
    if missing:
        raise exc.InputException(
            'Params %s must be provided for creating event trigger.'
            % set(EVENT_TRIGGER_REQUIRED))
    scope = check_trigger_scope(values.get('scope'))
    project_id = context.ctx().project_id

    def _do(s):
        wf = _event_trigger_workflow(s, values['workflow_id'])
        validate_workflow_input(wf, values.get('workflow_input'))
        row_values = {
            'name': values.get('name') or '', 'workflow_id': wf.id,
            'workflow_input': values.get('workflow_input') or {},
            'workflow_params': values.get('workflow_params') or {},
            'exchange': values['exchange'], 'topic': values['topic'],
            'event': values['event'], 'scope': scope,
        }
        row = models.EventTrigger(project_id=project_id, **row_values)
        s.add(row)
        _flush(s, models.EventTrigger, row_values)
        return row
    return _write(_do)


def update_event_trigger(id_, values):
    fixed = [k for k in ('exchange', 'topic', 'event') if k in values]
    if fixed:
        raise exc.InputException(
            "Can not update fields ['exchange', 'topic', 'event'] of event "
            "trigger.")

    def _do(s):
        row = find_event_trigger(s, id_, write=True)
        if 'workflow_id' in values and values['workflow_id'] != \
                row.workflow_id:
            wf = _event_trigger_workflow(s, values['workflow_id'])
            validate_workflow_input(
                wf, values.get('workflow_input', row.workflow_input))
        for key in ('name', 'workflow_id', 'workflow_input',
                    'workflow_params'):
            if key in values:
                setattr(row, key, values[key])
        if 'scope' in values:
            row.scope = check_trigger_scope(values['scope'])
        row.updated_at = models.utcnow()
        return row
    return _write(_do)


def delete_event_trigger(id_):
    def _do(s):
        s.delete(find_event_trigger(s, id_, write=True))
    _write(_do)
