"""The one way definitions and triggers are written.

Every create, update or delete runs in ONE database transaction
(:func:`transaction`), so a document that fails half-way (a workbook whose
third workflow is invalid, a duplicate name discovered by the unique
constraint) writes nothing. Unique-name races are settled by the database
constraints: :func:`insert` and :func:`update` flush, and the
``IntegrityError`` becomes a 409 with the reference's ``Duplicate entry for
...`` message.

Also here: the lookups every resource shares (:func:`first`,
:func:`found`), scope checks and the ``[api] validation_mode`` rule.
"""

import uuid as uuid_lib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import errors as db_errors
from mistral_clone.db import models
from mistral_clone.services import access

SCOPES = ('private', 'public')

# Unique constraints as the reference names them in its 409 messages.
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


def transaction(fn):
    """``fn(session)`` in one transaction; a stray IntegrityError becomes
    db/errors.py's statement-free error."""
    try:
        with db_api.transaction() as s:
            return fn(s)
    except sa_exc.IntegrityError as e:
        # A constraint the explicit flushes did not attribute (the message
        # names it, never the values: db/errors.py).
        raise db_errors.translate(e)


def duplicate(model, values):
    """The reference's 409 for a second ``model`` row like ``values``."""
    entity, fields = _UNIQUE[model]
    # The reference prints None for the project of a no-auth request.
    shown = ['None' if f == 'project_id' else str(values.get(f, ''))
             for f in fields]
    return exc.DBDuplicateEntryError('Duplicate entry for %s %s: %s' % (
        entity, list(fields), ', '.join(shown)))


def _flush(s, row):
    try:
        s.flush()
    except sa_exc.IntegrityError:
        model = type(row)
        raise duplicate(model, {f: getattr(row, f) for f in _UNIQUE[model][1]})


def project_id():
    """The caller's project."""
    return context.ctx().project_id


def insert(s, model, values):
    """A new ``model`` row of the caller's project."""
    row = model(project_id=project_id(), **values)
    s.add(row)
    _flush(s, row)
    return row


def update(s, row, values):
    """``row`` with ``values`` written and ``updated_at`` refreshed."""
    for k, v in values.items():
        setattr(row, k, v)
    row.updated_at = models.utcnow()
    _flush(s, row)
    return row


def first(s, model, *where):
    """The first ``model`` row matching ``where``; the caller's own row
    first when several projects' rows match (an admin's lookups)."""
    q = sa.select(model).where(*where)
    if hasattr(model, 'project_id'):
        q = q.order_by(access.own_first(model))
    return s.execute(q.limit(1)).scalars().first()


def found(row, write):
    """A visible row; writes to other projects' rows are refused (403)."""
    if row is not None and write:
        access.check_access(row)
    return row


def by_name(s, model, name, namespace, write, not_found):
    """The visible ``model`` row called ``name`` in ``namespace``, else
    DBEntityNotFoundError(``not_found``)."""
    row = first(s, model, model.name == name,
                model.namespace == (namespace or ''), access.visible(model))
    if row is None:
        raise exc.DBEntityNotFoundError(not_found)
    return found(row, write)


def is_uuid(value):
    try:
        uuid_lib.UUID(str(value))
        return True
    except (ValueError, TypeError, AttributeError):
        return False


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


def should_validate(skip_requested=False):
    """Whether a workflow or workbook upload is validated.

    ``[api] validation_mode``: ``mandatory`` (default) always validates,
    ``disabled`` never, ``enabled`` unless the request asked to skip it
    (``?skip_validation``). Ad-hoc actions are always validated.
    """
    mode = config.CONF.api.validation_mode
    if mode == 'mandatory':
        return True
    if mode == 'disabled':
        return False
    return not skip_requested
