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
    if admin or project_id is None:  # (None: "IS NULL", not a parameter)
        m = models.WorkflowDefinition
        usable = sa.true() if admin else usable_by(project_id)
        own_first = project_id if admin else None
        row = None
        if _is_uuid(identifier):
            row = _first(session, m.id == identifier, usable)
        if row is None:
            row = _first(session, m.name == identifier,
                         m.namespace == namespace, usable,
                         project_id=own_first)
    else:
        params = {'identifier': identifier, 'namespace': namespace,
                  'project_id': project_id}
        row = None
        if _is_uuid(identifier):
            row = session.execute(_USABLE_BY_ID, params).scalars().first()
        if row is None:
            row = session.execute(_USABLE_BY_NAME,
                                  params).scalars().first()
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_identifier=%s, namespace=%s]'
            % (identifier, namespace))
    return row


def _usable_statement(*where):
    """The first workflow definition matching ``where`` that the project
    of the ``project_id`` parameter may use (as :func:`_first` builds it
    for :func:`usable_by`), built once: every start of an execution looks
    its workflow up, and building the statement (and its cache key from
    a fresh tree) cost about as much as running it."""
    m = models.WorkflowDefinition
    return sa.select(m).where(
        *where, usable_by(sa.bindparam('project_id'))).limit(1)


_USABLE_BY_ID = _usable_statement(
    models.WorkflowDefinition.id == sa.bindparam('identifier'))
_USABLE_BY_NAME = _usable_statement(
    models.WorkflowDefinition.name == sa.bindparam('identifier'),
    models.WorkflowDefinition.namespace == sa.bindparam('namespace'))


def find_subworkflow(session, name, namespace, parent_name, project_id):
    """The workflow a task of workflow ``parent_name`` calls ``name``, for
    an execution started in ``namespace``: the workbook-local
    ``<workbook>.<name>`` first, then ``name``; each in ``namespace``, then
    in the default namespace (the reference's order). None if
    ``project_id`` may use none of them."""
    m = models.WorkflowDefinition
    names = []
    if parent_name and '.' in parent_name:
        names.append('%s.%s' % (parent_name.rsplit('.', 1)[0], name))
    names.append(name)
    namespaces = [namespace, ''] if namespace else ['']
    usable = usable_by(project_id) if project_id is None else None
    for n in names:
        for ns in namespaces:
            if usable is None:
                row = session.execute(_USABLE_BY_NAME, {
                    'identifier': n, 'namespace': ns,
                    'project_id': project_id}).scalars().first()
            else:
                row = _first(session, m.name == n, m.namespace == ns,
                             usable)
            if row is not None:
                return row
    return None


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
