"""Ad-hoc action definitions: find, create, update, delete, validate.

Ad-hoc actions are always validated, whatever ``validation_mode`` and
``?skip_validation`` say (as on the reference). System actions are not
stored and cannot be changed.
"""

from mistral_clone import exceptions as exc
from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.services import writes

M = models.ActionDefinition


def values(spec, namespace, scope, name=None):
    """Row values of an action spec (``name`` for workbook members)."""
    return {
        'name': name or spec.name,
        'namespace': namespace,
        'definition': spec.definition or '',
        'description': spec.description,
        'input': spec.input_display() if spec.input else None,
        'tags': list(spec.tags or []),
        'scope': scope,
        'is_system': False,
    }


def validate_actions(text):
    lang.parse_actions(text)


def find_action(s, name, namespace='', write=False, key='name',
                what='Action'):
    return writes.by_name(s, M, name, namespace, write,
                          '%s not found [%s=%s, namespace=%s]'
                          % (what, key, name, namespace or ''))


def _find_own(s, name, namespace, change):
    row = find_action(s, name, namespace, write=True, key='action_name',
                      what='Action definition')
    if row.is_system:
        raise exc.InvalidActionException(
            'Attempt to %s a system action: %s' % (change, row.name))
    return row


def create_actions(text, namespace='', scope='private'):
    namespace = namespace or ''
    scope = writes.check_scope(scope)
    specs = lang.parse_actions(text)
    return writes.transaction(lambda s: [
        writes.insert(s, M, values(spec, namespace, scope))
        for spec in specs])


def update_actions(text, identifier=None, namespace='', scope=None):
    namespace = namespace or ''
    scope = writes.check_scope(scope)
    specs = lang.parse_actions(text)
    if identifier is not None and len(specs) > 1:
        raise exc.InputException(
            'More than one actions are not supported for update with '
            'identifier. [identifier: %s]' % identifier)

    def _update(s, spec):
        row = _find_own(s, identifier or spec.name, namespace, 'modify')
        return writes.update(s, row, values(spec, row.namespace, scope))
    return writes.transaction(lambda s: [_update(s, spec) for spec in specs])


def delete_action(name, namespace=''):
    writes.transaction(lambda s: s.delete(
        _find_own(s, name, namespace, 'delete')))
