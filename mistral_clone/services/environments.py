"""Environments: find, create, update, delete."""

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.services import access
from mistral_clone.services import writes

M = models.Environment

KEYS = ['name', 'description', 'variables', 'scope']


def find_environment(s, name, write=False):
    # Fetched by name, an environment is the caller's own, admins included
    # (lists show admins every project's, as on the reference).
    row = writes.first(s, M, M.name == name,
                       access.visible(M, admin_sees_all=False))
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Environment not found [name=%s]' % name)
    return writes.found(row, write)


def _checked(values):
    if set(values) - set(KEYS):
        raise exc.InputException(
            'Please, check your environment definition. Only: %s are '
            'allowed as definition keys.' % KEYS)
    if not values.get('name'):
        raise exc.InputException('Name of the environment is not provided.')
    values = dict(values)
    if 'scope' in values:
        values['scope'] = writes.check_scope(values['scope'])
    return values


def create_environment(values):
    values = _checked(values)
    values['scope'] = writes.check_scope(values.get('scope'))
    return writes.transaction(lambda s: writes.insert(s, M, values))


def update_environment(values):
    values = _checked(values)
    return writes.transaction(lambda s: writes.update(
        s, find_environment(s, values['name'], write=True), values))


def delete_environment(name):
    writes.transaction(lambda s: s.delete(
        find_environment(s, name, write=True)))
