"""Values that cannot be stored are refused before any SQL runs.

PostgreSQL and MySQL refuse a string longer than its ``VARCHAR(n)`` column
(with an error that quotes the statement), SQLite silently stores it, and
PostgreSQL cannot store a NUL character at all. Before each flush,
:func:`check_session` looks at the rows the API writes from user input
(definitions, environments, triggers, memberships) and raises a 400 naming
the field: the same answer on every database. Column sizes are Mistral's
(255 for names and namespaces); the API's request types check the fields
where Mistral's limit is smaller (environment and trigger names: 200).
"""

import functools
import itertools

import sqlalchemy as sa
from sqlalchemy import event

from mistral_clone import exceptions as exc
from mistral_clone.db import models

# Rows written from user input, and what the message calls them.
CHECKED = {
    models.WorkflowDefinition: 'workflow',
    models.WorkbookDefinition: 'workbook',
    models.ActionDefinition: 'action',
    models.Environment: 'environment',
    models.CronTrigger: 'cron trigger',
    models.EventTrigger: 'event trigger',
    models.ResourceMember: 'member',
}


@functools.lru_cache(maxsize=None)
def _text_columns(model):
    """(attribute, max length or None) of a model's text columns."""
    out = []
    for column in model.__table__.columns:
        ctype = column.type
        if isinstance(ctype, models.JsonEncoded):
            continue  # stored as escaped JSON text: always storable
        if isinstance(ctype, sa.types.TypeDecorator):
            ctype = ctype.impl
        if isinstance(ctype, sa.String):
            out.append((column.key, ctype.length))
    return tuple(out)


def _shown(value):
    value = value.encode('ascii', 'backslashreplace').decode('ascii')
    return value if len(value) <= 40 else value[:40] + '...'


def check_value(entity, field, value, length):
    """400 if ``value`` cannot be stored in its column."""
    if length is not None and len(value) > length:
        raise exc.InputException(
            "Invalid input: the %s %s '%s' is %d characters long; at most "
            "%d are allowed." % (entity, field, _shown(value), len(value),
                                 length))
    if '\x00' in value:
        raise exc.InputException(
            "Invalid input: the %s %s '%s' holds a NUL character."
            % (entity, field, _shown(value)))
    if not value.isascii():
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            raise exc.InputException(
                "Invalid input: the %s %s '%s' holds a lone surrogate "
                "(not valid Unicode text)." % (entity, field,
                                               _shown(value)))


def check_session(session, flush_context=None, instances=None):
    for row in itertools.chain(session.new, session.dirty):
        entity = CHECKED.get(type(row))
        if entity is None:
            continue
        values = row.__dict__  # loaded/set values only: no lazy loads
        for key, length in _text_columns(type(row)):
            value = values.get(key)
            if isinstance(value, str):
                check_value(entity, key, value, length)


def install(sessionmaker):
    """Check every flush of sessions made by ``sessionmaker``."""
    event.listen(sessionmaker, 'before_flush', check_session)
