"""Event triggers: find, create, update, delete."""

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.services import access
from mistral_clone.services import workflows
from mistral_clone.services import writes

M = models.EventTrigger

REQUIRED = ('exchange', 'topic', 'event', 'workflow_id')


def find_event_trigger(s, id_, write=False):
    row = writes.first(s, M, M.id == id_,
                       access.own(M) if write else access.visible(M))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Event trigger not found [id=%s].' % id_)
    return row


def _workflow(s, workflow_id):
    """Event triggers name their workflow by id only."""
    if not writes.is_uuid(workflow_id):
        raise exc.InputException(
            'Expected a uuid but received %s.' % workflow_id)
    W = models.WorkflowDefinition
    row = writes.first(s, W, W.id == workflow_id, access.visible(W))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_id=%s]' % workflow_id)
    return row


def create_event_trigger(values):
    if any(not values.get(k) for k in REQUIRED):
        raise exc.InputException(
            'Params %s must be provided for creating event trigger.'
            % set(REQUIRED))
    scope = writes.check_trigger_scope(values.get('scope'))

    def _create(s):
        wf = _workflow(s, values['workflow_id'])
        workflows.validate_input(wf, values.get('workflow_input'))
        return writes.insert(s, M, {
            'name': values.get('name') or '', 'workflow_id': wf.id,
            'workflow_input': values.get('workflow_input') or {},
            'workflow_params': values.get('workflow_params') or {},
            'exchange': values['exchange'], 'topic': values['topic'],
            'event': values['event'], 'scope': scope,
        })
    return writes.transaction(_create)


def update_event_trigger(id_, values):
    if any(k in values for k in ('exchange', 'topic', 'event')):
        raise exc.InputException(
            "Can not update fields ['exchange', 'topic', 'event'] of event "
            "trigger.")

    def _update(s):
        row = find_event_trigger(s, id_, write=True)
        if 'workflow_id' in values and values['workflow_id'] != \
                row.workflow_id:
            wf = _workflow(s, values['workflow_id'])
            workflows.validate_input(
                wf, values.get('workflow_input', row.workflow_input))
        changes = {k: values[k] for k in ('name', 'workflow_id',
                                          'workflow_input', 'workflow_params')
                   if k in values}
        if 'scope' in values:
            changes['scope'] = writes.check_trigger_scope(values['scope'])
        return writes.update(s, row, changes)
    return writes.transaction(_update)


def delete_event_trigger(id_):
    writes.transaction(lambda s: s.delete(
        find_event_trigger(s, id_, write=True)))
