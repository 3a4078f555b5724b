"""Workflow definitions: find, create, update, delete, validate.

Definitions are parsed with :mod:`mistral_clone.lang` only on writes: rows
carry everything reads need (input display string, interface, checksum), so
list/get never re-parse.
"""

import hashlib
import re

import sqlalchemy as sa

from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.db import workflows as db_workflows
from mistral_clone.services import writes

M = models.WorkflowDefinition


def checksum(text):
    return hashlib.md5(text.encode('utf-8')).hexdigest()


def find_workflow(s, identifier, namespace='', write=False):
    """A workflow by id or name (name looked up in ``namespace``), by the
    one visibility rule (``db/workflows.py``)."""
    ctx = context.ctx()
    return writes.found(db_workflows.find_workflow(
        s, identifier, namespace, ctx.project_id, admin=ctx.is_admin), write)


def values(spec, namespace, scope, name=None, with_checksum=True):
    """Row values of a workflow spec (``name`` for workbook members)."""
    return {
        'name': name or spec.name,
        'namespace': namespace,
        'definition': spec.definition,
        'checksum': checksum(spec.definition) if with_checksum else None,
        'input': spec.input_display(),
        'interface': spec.interface(),
        'tags': list(spec.tags or []),
        'scope': scope,
    }


def validate_workflows(text):
    lang.parse_workflows(text)


def create_workflows(text, namespace='', scope='private', validate=True):
    namespace = namespace or ''
    scope = writes.check_scope(scope)
    specs = lang.parse_workflows(text, validate)
    return writes.transaction(lambda s: [
        writes.insert(s, M, values(spec, namespace, scope))
        for spec in specs])


def update_workflows(text, identifier=None, namespace='', scope=None,
                     validate=True):
    namespace = namespace or ''
    scope = writes.check_scope(scope)
    specs = lang.parse_workflows(text, validate)
    if identifier is not None and len(specs) > 1:
        raise exc.InputException(
            'More than one workflows are not supported for update with '
            'identifier. [identifier: %s]' % identifier)

    def _update(s, spec):
        row = find_workflow(s, identifier or spec.name, namespace,
                            write=True)
        return writes.update(s, row, values(spec, row.namespace, scope))
    return writes.transaction(lambda s: [_update(s, spec) for spec in specs])


def _trigger_ids(s, model, wf_id):
    return s.execute(sa.select(model.id).where(
        model.workflow_id == wf_id)).scalars().all()


def delete_workflow(identifier, namespace=''):
    namespace = namespace or ''

    def _delete(s):
        row = find_workflow(s, identifier, namespace, write=True)
        crons = _trigger_ids(s, models.CronTrigger, row.id)
        if crons:
            raise exc.InputException(
                "Can't delete workflow that has cron triggers associated. "
                "[workflow_identifier=%s, namespace=%s], "
                "[cron_trigger_id(s)=%s]"
                % (identifier, namespace, ', '.join(crons)))
        events = _trigger_ids(s, models.EventTrigger, row.id)
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
    writes.transaction(_delete)


def _spec_class(wf_row):
    text = wf_row.definition or ''
    if re.search(r'^\s*type:\s*[\'"]?reverse[\'"]?\s*$', text, re.M):
        return 'ReverseWorkflowSpec'
    return 'DirectWorkflowSpec'


def validate_input(wf_row, given):
    """Missing required / unexpected inputs → 400 like the engine's (for
    triggers, which start the workflow later)."""
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
