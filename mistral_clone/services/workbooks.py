"""Workbook definitions: find, create, update, delete, validate.

A workbook's workflows and actions are stored as ``<wb>.<name>``
definitions of their own, created or updated with the workbook; like the
reference, deleting the workbook leaves them.
"""

from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.services import actions
from mistral_clone.services import workflows
from mistral_clone.services import writes

M = models.WorkbookDefinition


def find_workbook(s, name, namespace='', key='name', write=False):
    return writes.by_name(
        s, M, name, namespace, write, 'Workbook not found [%s=%s, '
        'namespace=%s]' % (key, name, namespace or ''))


def validate_workbook(text):
    lang.parse_workbook(text)


def _upsert(s, model, values):
    row = writes.first(s, model, model.name == values['name'],
                       model.namespace == values['namespace'],
                       model.project_id == writes.project_id())
    if row is None:
        return writes.insert(s, model, values)
    return writes.update(s, row, values)


def _members(s, spec, namespace, scope):
    """Create or update the ``<wb>.<name>`` workflows and actions."""
    for wf in spec.workflows:
        _upsert(s, models.WorkflowDefinition, workflows.values(
            wf, namespace, scope, name='%s.%s' % (spec.name, wf.name),
            with_checksum=False))
    for action in spec.actions:
        _upsert(s, models.ActionDefinition, actions.values(
            action, namespace, scope,
            name='%s.%s' % (spec.name, action.name)))


def create_workbook(text, namespace='', scope='private', validate=True):
    namespace = namespace or ''
    scope = writes.check_scope(scope)
    spec = lang.parse_workbook(text, validate)

    def _create(s):
        row = writes.insert(s, M, {
            'name': spec.name, 'namespace': namespace, 'definition': text,
            'tags': list(spec.tags or []), 'scope': scope})
        _members(s, spec, namespace, scope)
        return row
    return writes.transaction(_create)


def update_workbook(text, namespace='', scope=None, validate=True):
    namespace = namespace or ''
    scope = writes.check_scope(scope)
    spec = lang.parse_workbook(text, validate)

    def _update(s):
        row = find_workbook(s, spec.name, namespace, write=True)
        writes.update(s, row, {'definition': text,
                               'tags': list(spec.tags or []),
                               'scope': scope})
        _members(s, spec, namespace, scope)
        return row
    return writes.transaction(_update)


def delete_workbook(name, namespace=''):
    writes.transaction(lambda s: s.delete(find_workbook(
        s, name, namespace, key='workbook_name', write=True)))
