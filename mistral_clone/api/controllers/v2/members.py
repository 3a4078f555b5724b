"""``/<resource>/{id}/members``: sharing a private resource with projects.

The owner shares (``POST {"member_id": P}`` → status ``pending``), the
member project accepts or rejects (``PUT .../members/P {"status": ...}``);
while accepted, the resource is visible to, and usable by, project P (see
:mod:`mistral_clone.services.access`). The owner lists every member and
removes them; a member sees only its own membership.

Sharing needs authentication (project identities): with ``[pecan]
auth_enable = False`` every call answers the reference's 400 text fault
(``{"faultstring"}``), before any argument is looked at. Behind Keystone
these are JSON controllers (WSME arguments and faults, XML on request), as
on the reference; the body argument is ``member_info``.
"""

import pecan
from pecan import rest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from wsme import types as wtypes

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import access
from mistral_clone.services import workflows

AUTH_REQUIRED = ('Resource sharing feature can only be supported with '
                 'authentication enabled.')
STATUSES = ('pending', 'accepted', 'rejected')
M = models.ResourceMember


def render(row):
    return res.MEMBER.render(row)


class Member(wtypes.Base):
    """The body of POST/PUT (WSME names it in its messages)."""
    id = wtypes.text
    resource_id = wtypes.text
    resource_type = wtypes.text
    project_id = wtypes.text
    member_id = wtypes.text
    status = wtypes.Enum(str, *STATUSES)
    created_at = wtypes.text
    updated_at = wtypes.text


def _not_found(resource_id, member_id):
    return exc.DBEntityNotFoundError(
        'Resource member not found [resource_id=%s, member_id=%s]'
        % (resource_id, member_id))


def _related(resource_id, resource_type, project_id):
    """Memberships the caller may read: as owner or as the member."""
    return (M.resource_id == resource_id, M.resource_type == resource_type,
            sa.or_(M.project_id == project_id, M.member_id == project_id))


class MembersController(rest.RestController):

    def __init__(self, resource_type):
        super().__init__()
        self.resource_type = resource_type

    @pecan.expose()
    def _route(self, args, request=None):
        if not config.CONF.pecan.auth_enable:
            return self._sharing_needs_auth, []
        return super()._route(args, request)

    @pecan.expose(content_type=expose.JSON)
    def _sharing_needs_auth(self, *args, **kw):
        return expose.json_response(400, {'faultstring': AUTH_REQUIRED})

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, resource_id, member_id):
        policy.enforce('members:get')
        project_id = context.ctx().project_id
        with db_api.session() as s:
            row = s.execute(sa.select(M).where(
                M.member_id == member_id,
                *_related(resource_id, self.resource_type, project_id))
            ).scalars().first()
            if row is None:
                raise _not_found(resource_id, member_id)
            return render(row)

    @expose.wsexpose(None, wtypes.text)
    def get_all(self, resource_id):
        policy.enforce('members:list')
        project_id = context.ctx().project_id
        with db_api.session() as s:
            rows = s.execute(sa.select(M).where(
                *_related(resource_id, self.resource_type, project_id))
                .order_by(M.created_at, M.id)).scalars().all()
            return {'members': [render(r) for r in rows]}

    @expose.wsexpose(None, wtypes.text, body=Member, status_code=201)
    def post(self, resource_id, member_info):
        policy.enforce('members:create')
        member_id = member_info.member_id
        if not member_id:
            raise exc.WorkflowException('Member id must be provided.')
        owner = context.ctx().project_id
        try:
            with db_api.transaction() as s:
                wf = workflows.find_workflow(s, resource_id)
                access.check_access(wf)
                if wf.scope != 'private':
                    raise exc.WorkflowException(
                        'Only private resource could be shared.')
                row = M(resource_id=wf.id, resource_type=self.resource_type,
                        project_id=wf.project_id or owner,
                        member_id=member_id, status='pending')
                s.add(row)
                s.flush()
                return render(row)
        except sa_exc.IntegrityError:
            raise exc.DBDuplicateEntryError(
                "Duplicate entry for ResourceMember ['resource_id', "
                "'resource_type', 'member_id']: %s, %s, %s"
                % (resource_id, self.resource_type, member_id))

    @expose.wsexpose(None, wtypes.text, wtypes.text, body=Member)
    def put(self, resource_id, member_id, member_info):
        policy.enforce('members:update')
        status = member_info.status
        if not status:
            raise exc.WorkflowException('Status must be provided.')
        # Only the member itself decides about a sharing.
        if member_id != context.ctx().project_id:
            raise _not_found(resource_id, member_id)
        with db_api.transaction() as s:
            row = s.execute(sa.select(M).where(
                M.resource_id == resource_id,
                M.resource_type == self.resource_type,
                M.member_id == member_id)).scalars().first()
            if row is None:
                raise _not_found(resource_id, member_id)
            row.status = status
            row.updated_at = models.utcnow()
            s.flush()
            return render(row)

    @expose.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, resource_id, member_id):
        policy.enforce('members:delete')
        ctx = context.ctx()
        with db_api.transaction() as s:
            where = [M.resource_id == resource_id,
                     M.resource_type == self.resource_type,
                     M.member_id == member_id]
            if not ctx.is_admin:
                where.append(M.project_id == ctx.project_id)
            row = s.execute(sa.select(M).where(*where)).scalars().first()
            if row is None:
                raise _not_found(resource_id, member_id)
            s.delete(row)
