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
    if not admin:
        return _find_usable(session, identifier, namespace, project_id)
    m = models.WorkflowDefinition
    usable = sa.true()
    own_first = project_id
    row = None
    if _is_uuid(identifier):
        row = _first(session, m.id == identifier, usable)
    if row is None:
        row = _first(session, m.name == identifier,
                     m.namespace == namespace, usable, project_id=own_first)
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_identifier=%s, namespace=%s]'
            % (identifier, namespace))
    return row


def _find_usable(session, identifier, namespace, project_id):
    """:func:`find_workflow` for a project (not an admin's lookup), through
    statements built once: building and keying them cost an engine more
    than running them, at every start of an execution."""
    row = None
    params = {'project_id': project_id}
    if _is_uuid(identifier):
        row = session.execute(_usable_statement('id'), dict(
            params, id=identifier)).scalars().first()
    if row is None:
        row = session.execute(_usable_statement('name'), dict(
            params, name=identifier, namespace=namespace)).scalars().first()
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_identifier=%s, namespace=%s]'
            % (identifier, namespace))
    return row


_usable_statements = {}


def _usable_statement(by):
    """The statement of :func:`_find_usable` looking a workflow up ``by``
    id or name (and namespace): what :func:`_first` builds with
    :func:`usable_by`, with the values as parameters."""
    q = _usable_statements.get(by)
    if q is None:
        m = models.WorkflowDefinition
        if by == 'id':
            where = [m.id == sa.bindparam('id')]
        else:
            where = [m.name == sa.bindparam('name'),
                     m.namespace == sa.bindparam('namespace')]
        q = _usable_statements[by] = sa.select(m).where(
            *where, usable_by(sa.bindparam('project_id'))).limit(1)
    return q


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
    usable = usable_by(project_id)
    for n in names:
        for ns in namespaces:
            row = _first(session, m.name == n, m.namespace == ns, usable)
            if row is not None:
                return row
    return None


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
