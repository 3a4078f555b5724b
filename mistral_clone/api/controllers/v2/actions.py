"""/v2/actions: system actions plus ad-hoc action definitions.

System actions (``std.*`` and plugins) come from :mod:`mistral_clone.actions`
and are never stored; they are listed together with the ad-hoc ones, sorted
by name by default. Unlike other lists, ``marker`` is an action *name* and the
page starts at it.
"""

from pecan import rest
from wsme import types as wtypes

from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api.controllers.v2 import validation
from mistral_clone.api.controllers.v2.workflows import write_params
from mistral_clone.db import api as db_api
from mistral_clone.db import query
from mistral_clone.services import actions as service

R = res.ACTION


def _system_actions():
    """The catalogue of system actions (:mod:`mistral_clone.actions`),
    imported by the first request that needs it: an API process that is
    never asked for an action does not hold the actions' code (issue 14)."""
    from mistral_clone import actions
    return actions


def render_system(desc):
    return {
        'id': desc.name, 'name': desc.name, 'is_system': False,
        'input': desc.params_spec or '', 'description': desc.description,
        'tags': None, 'definition': '', 'scope': None, 'project_id': None,
        'created_at': '', 'updated_at': '', 'namespace': '',
    }


def _matches(value, op, wanted):
    if op in ('in', 'nin'):
        hit = str(value) in [str(w) for w in wanted]
        return hit if op == 'in' else not hit
    if op == 'has':
        return value is not None and str(wanted) in str(value)
    text = '' if value is None else str(value)
    if op == 'eq':
        return text == str(wanted)
    if op == 'neq':
        return text != str(wanted)
    if value is None:
        return False
    return {'gt': text > wanted, 'gte': text >= wanted,
            'lt': text < wanted, 'lte': text <= wanted}[op]


def _system_matches(item, filters):
    for name, op, value in filters:
        if name == 'tags':
            return False  # system actions have no tags
        if not _matches(item.get(name), op, value):
            return False
    return True


def _sort_value(v):
    # None/'' first ascending, like the database.
    return (v is not None and v != '', '' if v is None else str(v))


class ActionsController(rest.RestController):
    validate = validation.ValidateController(service.validate_actions)

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, identifier, namespace=''):
        policy.enforce('actions:get')
        with db_api.session() as s:
            try:
                return R.render(service.find_action(
                    s, identifier, namespace))
            except exc.DBEntityNotFoundError:
                desc = _system_actions().find_system_action(identifier)
                if desc is None:
                    raise
                return render_system(desc)

    @expose.wsexpose(None, wtypes.text, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_keys='name',
                sort_dirs='asc', fields='', name=None, scope=None,
                tags=None, created_at=None, updated_at=None,
                description=None, definition=None, is_system=None,
                input=None, namespace=''):
        policy.enforce('actions:list')
        if is_system is not None:
            raise exc.InvalidQueryError(
                'Filtering actions by is_system is not supported: every '
                'action reports is_system=false.')
        # `fields` is accepted and ignored, as on the reference.
        params = collection.ListParams(R, limit, sort_keys, sort_dirs, '',
                                       default_sort='name')
        filters = collection.parse_filters([
            ('name', name), ('scope', scope), ('tags', tags),
            ('created_at', created_at), ('updated_at', updated_at),
            ('description', description), ('definition', definition),
            ('input', input), ('namespace', namespace)])
        with db_api.session() as s:
            rows = query.list_rows(
                s, R.model, filters=filters,
                extra_where=[collection.visibility_clause(R.model)])
            items = R.render_many(rows)
        items.extend(item for item in map(render_system,
                                          _system_actions().system_actions())
                     if _system_matches(item, filters))
        for key, direction in reversed(list(zip(params.sort_keys,
                                                params.sort_dirs))):
            items.sort(key=lambda i: _sort_value(i.get(key)),
                       reverse=direction == 'desc')
        if marker is not None:
            names = [i['name'] for i in items]
            items = items[names.index(marker):] if marker in names else []
        items = items[:params.page_size]
        body = {'actions': items}
        if items and len(items) == params.page_size:
            body['next'] = collection.next_link(
                'actions', params, filters, items[-1]['id'])
        return body

    @expose.textexpose(status=201)
    def post(self, **kw):
        policy.enforce('actions:create')
        params = write_params()
        policy.enforce_scope('actions', params['scope'])
        rows = service.create_actions(expose.request_text(), **params)
        return expose.Reply(
            {'actions': [R.render(r, res.ACTION_POST_FIELDS)
                         for r in rows]}, 201, expose.JSON_UTF8)

    @expose.textexpose()
    def put(self, identifier=None, **kw):
        policy.enforce('actions:update')
        params = write_params()
        policy.enforce_scope('actions', params['scope'])
        rows = service.update_actions(expose.request_text(),
                                      identifier=identifier, **params)
        return {'actions': [R.render(r) for r in rows]}

    @expose.wsexpose(None, wtypes.text, wtypes.text, status_code=204)
    def delete(self, identifier, namespace=''):
        policy.enforce('actions:delete')
        service.delete_action(identifier, namespace)
