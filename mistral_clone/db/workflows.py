"""Which workflow definitions a project may use, and finding one.

One visibility rule for every lookup — the API's ``/workflows/{id}``,
starting an execution (API, cron and event triggers) and a task's
sub-workflow: a project may use its **own** workflows, **public** ones, and
those **shared** with it through a member entry it **accepted**
(``/workflows/{id}/members``).
"""

import uuid

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import models


def shared_with(project_id, resource_type='workflow'):
    """Subquery: ids of resources shared with ``project_id`` (accepted)."""
    m = models.ResourceMember
    return sa.select(m.resource_id).where(
        m.member_id == project_id, m.resource_type == resource_type,
        m.status == 'accepted')


def usable_by(project_id):
    """WHERE clause: workflow definitions ``project_id`` may use."""
    m = models.WorkflowDefinition
    return sa.or_(m.project_id == project_id, m.scope == 'public',
                  m.id.in_(shared_with(project_id)))


def _first(session, *where, project_id=None):
    m = models.WorkflowDefinition
    q = sa.select(m).where(*where)
    if project_id is not None:
        # Several projects' rows may match (an admin's lookup): own first.
        q = q.order_by(sa.case((m.project_id == project_id, 0), else_=1))
    return session.execute(q.limit(1)).scalars().first()


def find_workflow(session, identifier, namespace, project_id, admin=False):
    """A workflow by id, or by name in ``namespace``, that ``project_id``
    may use (``admin``: any project's, its own first);
    ``DBEntityNotFoundError`` (404) otherwise."""
    namespace = namespace or ''
    row = None
    if admin:
        m = models.WorkflowDefinition
        if _is_uuid(identifier):
            row = _first(session, m.id == identifier, sa.true())
        if row is None:
            row = _first(session, m.name == identifier,
                         m.namespace == namespace, sa.true(),
                         project_id=project_id)
    else:
        if _is_uuid(identifier):
            row = _usable(session, _USABLE_BY_ID, project_id,
                          identifier=identifier)
        if row is None:
            row = _usable(session, _USABLE_BY_NAME, project_id,
                          identifier=identifier, namespace=namespace)
    if row is None:
        raise _not_found(identifier, namespace)
    return row


def _not_found(identifier, namespace):
    return exc.DBEntityNotFoundError(
        'Workflow not found [workflow_identifier=%s, namespace=%s]'
        % (identifier, namespace))


def _usable_statement(*where, columns=None):
    """The first workflow definition matching ``where`` that the project
    of the ``project_id`` parameter may use (as :func:`_first` builds it
    for :func:`usable_by`), built once: every start of an execution looks
    its workflow up, and building the statement (and its cache key from
    a fresh tree) cost about as much as running it. ``columns``: those
    instead of the ORM entity (plain rows)."""
    return sa.select(*(columns or (models.WorkflowDefinition,))).where(
        *where, usable_by(sa.bindparam('project_id'))).limit(1)


def _usable(session, statement, project_id, **params):
    """The first row of ``statement`` (``_USABLE_BY_ID`` or
    ``_USABLE_BY_NAME``) that ``project_id`` may use, or None; a None
    project means "IS NULL", which no parameter says: its statement is
    built for it."""
    if project_id is None:
        m = models.WorkflowDefinition
        if statement is _USABLE_BY_ID:
            where = [m.id == params['identifier']]
        else:
            where = [m.name == params['identifier'],
                     m.namespace == params['namespace']]
        return _first(session, *where, usable_by(None))
    params['project_id'] = project_id
    return session.execute(statement, params).scalars().first()


_USABLE_BY_ID = _usable_statement(
    models.WorkflowDefinition.id == sa.bindparam('identifier'))
_USABLE_BY_NAME = _usable_statement(
    models.WorkflowDefinition.name == sa.bindparam('identifier'),
    models.WorkflowDefinition.namespace == sa.bindparam('namespace'))


def find_for_start(session, identifier, namespace, project_id,
                   execution_id=None):
    """``(definition, existing)`` for starting ``identifier`` (as
    :func:`find_workflow` finds it) as execution ``execution_id``:
    ``existing`` is True when that execution is stored already (a start
    repeated by its caller; ``definition`` may then be None), else the
    definition row's ``id``, ``name``, ``namespace``, ``tags`` and
    ``definition``; ``DBEntityNotFoundError`` (404) if neither.

    One statement built once (``_START_BY_ID``, ``_START_BY_NAME``) answers
    both questions, with plain rows: a start looked the execution up with
    ``Session.get`` and then loaded the definition as an ORM object, two
    round trips and ~300 Python calls more per start (bench/start_pg.py)."""
    namespace = namespace or ''
    if project_id is None:  # no parameter says "IS NULL" (see _usable)
        if execution_id and _exists(session, execution_id):
            return None, True
        return find_workflow(session, identifier, namespace, None), False
    params = {'project_id': project_id, 'identifier': identifier,
              'namespace': namespace, 'execution_id': execution_id}
    row = None
    if _is_uuid(identifier):
        row = session.execute(_START_BY_ID, params).first()
    if row is None:
        row = session.execute(_START_BY_NAME, params).first()
    if row is not None:
        return row, row.existing is not None
    if execution_id and _exists(session, execution_id):
        return None, True
    raise _not_found(identifier, namespace)


def _exists(session, execution_id):
    return session.execute(_EXECUTION_EXISTS,
                           {'execution_id': execution_id}).first() is not None


def _start_statement(*where):
    """:func:`_usable_statement` for a start: the definition's columns a
    start uses (Core columns: plain rows), and the id of the execution of
    the ``execution_id`` parameter if it is stored (NULL otherwise)."""
    d = models.WorkflowDefinition.__table__.c
    existing = _EXECUTION_EXISTS.scalar_subquery()
    return _usable_statement(*where, columns=(
        d.id, d.name, d.namespace, d.tags, d.definition,
        existing.label('existing')))


_EXECUTION_EXISTS = sa.select(models.WorkflowExecution.__table__.c.id).where(
    models.WorkflowExecution.__table__.c.id == sa.bindparam('execution_id'))
_START_BY_ID = _start_statement(
    models.WorkflowDefinition.__table__.c.id == sa.bindparam('identifier'))
_START_BY_NAME = _start_statement(
    models.WorkflowDefinition.__table__.c.name == sa.bindparam('identifier'),
    models.WorkflowDefinition.__table__.c.namespace ==
    sa.bindparam('namespace'))


def find_subworkflow(session, name, namespace, parent_name, project_id):
    """The workflow a task of workflow ``parent_name`` calls ``name``, for
    an execution started in ``namespace``: the workbook-local
    ``<workbook>.<name>`` first, then ``name``; each in ``namespace``, then
    in the default namespace (the reference's order). None if
    ``project_id`` may use none of them."""
    names = []
    if parent_name and '.' in parent_name:
        names.append('%s.%s' % (parent_name.rsplit('.', 1)[0], name))
    names.append(name)
    namespaces = [namespace, ''] if namespace else ['']
    for n in names:
        for ns in namespaces:
            row = _usable(session, _USABLE_BY_NAME, project_id,
                          identifier=n, namespace=ns)
            if row is not None:
                return row
    return None


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
