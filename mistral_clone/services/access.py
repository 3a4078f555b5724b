"""Who may see and who may change a row: multi-tenancy in one place.

The rules of the reference:

* every row carries the ``project_id`` of the project that created it;
* a project sees its own rows, plus *public* workflows, workbooks, actions,
  environments and event triggers of other projects, plus workflows shared
  with it through an *accepted* membership (``/workflows/{id}/members``);
* executions, tasks, action executions and cron triggers are always
  private (a ``scope`` column on a cron trigger changes nothing);
* rows of other projects that are not visible do not exist for the caller
  (404 with the usual "not found" text, never 403);
* a visible row of another project (public or shared) may be used but not
  changed: updates and deletes answer 403 ``Can not access <Model> resource
  of other projects, ID: <id>``, unless the caller is an admin;
* admins are not scoped (the ``admin`` role, ``context_is_admin``): lists
  and lookups show every project's rows (``?project_id=X`` narrows a list to
  project X, private rows included), except an environment fetched by name,
  which stays the caller's own (as on the reference); where a name matches
  rows of several projects, the caller's own row wins.
"""

import sqlalchemy as sa

from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone.db import models

# Models whose rows are never visible to other projects, whatever `scope`.
ALWAYS_PRIVATE = (models.WorkflowExecution, models.TaskExecution,
                  models.ActionExecution, models.CronTrigger)

# Models whose rows can be shared through resource members, by type name.
SHARABLE = {models.WorkflowDefinition: 'workflow'}

RUNTIME = (models.WorkflowExecution, models.TaskExecution,
           models.ActionExecution)


def shared_ids(project_id, resource_type='workflow'):
    """Subquery: ids of resources shared with ``project_id`` (accepted)."""
    m = models.ResourceMember
    return sa.select(m.resource_id).where(
        m.member_id == project_id, m.resource_type == resource_type,
        m.status == 'accepted')


def visible(model, ctx=None, admin_sees_all=True):
    """WHERE clause: rows of ``model`` the caller may see (admins: all,
    unless ``admin_sees_all`` is False)."""
    ctx = ctx or context.ctx()
    if ctx.is_admin and admin_sees_all:
        return sa.true()
    own = model.project_id == ctx.project_id
    if model in ALWAYS_PRIVATE or not hasattr(model, 'scope'):
        return own
    clauses = [own, model.scope == 'public']
    res_type = SHARABLE.get(model)
    # Without authentication nothing can be shared (members answer 400).
    if res_type and ctx.auth_enabled:
        clauses.append(model.id.in_(shared_ids(ctx.project_id, res_type)))
    return sa.or_(*clauses)


def own_first(model, ctx=None):
    """ORDER BY clause putting the caller's own rows first (a name lookup
    that admins see across projects picks their own row)."""
    return sa.case((model.project_id == (ctx or context.ctx()).project_id,
                    0), else_=1)


def own(model, ctx=None):
    """WHERE clause: rows of ``model`` owned by the caller's project."""
    return model.project_id == (ctx or context.ctx()).project_id


def runtime_lookup(model, ctx=None):
    """WHERE clause for fetching a runtime row by id (admins: any)."""
    ctx = ctx or context.ctx()
    if ctx.is_admin:
        return sa.true()
    return own(model, ctx)


def check_access(row, ctx=None):
    """403 unless the caller may modify ``row`` (owner or admin)."""
    ctx = ctx or context.ctx()
    if ctx.is_admin or row.project_id == ctx.project_id:
        return
    raise exc.NotAllowedException(
        'Can not access %s resource of other projects, ID: %s'
        % (type(row).__name__, row.id))
