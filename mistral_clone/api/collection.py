"""The one helper behind every list endpoint.

It validates the common query parameters with Mistral's messages, turns the
filter parameters into ``(field, op, value)`` triples, runs ONE query through
:func:`mistral_clone.db.query.list_rows`, renders the rows and builds the
``next`` link exactly as the reference does (WIRE.md §6)::

    $U/v2/workflows?sort_keys=name,id&sort_dirs=asc,asc&name=has:foo&limit=2
        &marker=<last id>&fields=id,name
"""

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import list_cache
from mistral_clone.api import rows as rows_plan
from mistral_clone.db import api as db_api
from mistral_clone.db import generations
from mistral_clone.db import models
from mistral_clone.db import query
from mistral_clone.services import access

FORBIDDEN = policy.FORBIDDEN

# Lists answered from memory while the database's generation counter of
# their table is unchanged (api/list_cache.py, db/generations.py): model ->
# (counter name, the process's cache).
CACHED = {
    models.WorkflowDefinition: (generations.WORKFLOW_DEFINITIONS,
                                list_cache.ListCache()),
}


class ListParams(object):
    """Validated paging/sorting/projection parameters of one list request."""

    def __init__(self, resource, limit=None, sort_keys='created_at',
                 sort_dirs='asc', fields='', default_sort='created_at'):
        self.resource = resource
        self.requested_limit = validate_limit(limit)
        max_limit = config.CONF.api.max_limit
        if self.requested_limit is None:
            self.page_size = max_limit
        else:
            self.page_size = min(self.requested_limit, max_limit)
        sort_keys = sort_keys or default_sort
        sort_dirs = sort_dirs or 'asc'
        # The checks are pure functions of the resource and these strings:
        # their results are kept (lists handed out as fresh copies).
        memo_key = (resource, sort_keys, sort_dirs, fields)
        try:
            checked = _checked.get(memo_key)
        except TypeError:  # lists given by a caller
            memo_key = checked = None
        if checked is None:
            keys, dirs = validate_sort(resource, sort_keys, sort_dirs)
            checked = (tuple(keys), tuple(dirs),
                       tuple(validate_fields(resource, fields)))
            if memo_key is not None:
                if len(_checked) >= CHECKED_ENTRIES:
                    _checked.clear()
                _checked[memo_key] = checked
        self.sort_keys = list(checked[0])
        self.sort_dirs = list(checked[1])
        self.fields = list(checked[2])


# ListParams' checked sorting and fields by (resource, sort_keys,
# sort_dirs, fields) strings; emptied when full (the strings come from
# clients).
CHECKED_ENTRIES = 256
_checked = {}


def validate_limit(limit):
    if limit is None:
        return None
    if limit <= 0:
        raise exc.InvalidQueryError('Limit must be positive.')
    return limit


def split_csv(value):
    if not value:
        return []
    return [v.strip() for v in value.split(',') if v.strip()]


def validate_sort(resource, sort_keys, sort_dirs):
    """(keys, dirs) of a list request, checked in the reference's order.

    A key named twice sorts once (by its first position), so repeated keys
    are dropped before anything else; directions stay positional and are
    then compared with the distinct keys: ``sort_keys=id,id&
    sort_dirs=asc,asc`` is one key with two directions, a 400.
    """
    keys = split_csv(sort_keys) if isinstance(sort_keys, str) else \
        list(sort_keys)
    keys = list(dict.fromkeys(keys))
    dirs = split_csv(sort_dirs) if isinstance(sort_dirs, str) else \
        list(sort_dirs)
    if len(dirs) > len(keys):
        raise exc.InvalidQueryError(
            'Length of sort_keys must be equal or greater than sort_dirs.')
    for d in dirs:
        if d not in ('asc', 'desc'):
            raise exc.InvalidQueryError(
                "Unknown sort direction, must be 'desc' or 'asc'.")
    for key in keys:
        if not _is_sortable(resource.model, key):
            raise exc.InvalidQueryError(
                'Sort key supplied is invalid: %s' % key)
    dirs += ['asc'] * (len(keys) - len(dirs))
    if 'id' not in keys:
        keys.append('id')
        dirs.append('asc')
    return keys, dirs


def _is_sortable(model, key):
    attr = getattr(model, key, None)
    return attr is not None and hasattr(attr, 'property') and \
        hasattr(attr.property, 'columns')


def validate_fields(resource, fields):
    names = split_csv(fields)
    if not names:
        return []
    unknown = [n for n in names if n not in resource.by_name]
    if unknown:
        raise exc.InvalidQueryError(
            'Some fields do not exist  [%s], please choose from [%s]' % (
                ', '.join(unknown), ', '.join(resource.field_names)))
    if 'id' not in names:
        names.insert(0, 'id')
    return names


def single_fields(resource, fields, shown=None):
    """``fields=`` of a single-row GET that ignores unknown names, as the
    reference does for workflows, triggers and action executions: ``id``
    plus the asked-for names among ``shown`` (default: every field); ``[]``
    when nothing was asked for."""
    names = set(split_csv(fields))
    if not names:
        return []
    return [n for n in (shown or resource.field_names)
            if n in names or n == 'id']


def parse_filters(filters):
    """[(name, raw)] → [(name, op, value)], skipping absent parameters."""
    out = []
    for name, raw in filters:
        if raw is None:
            continue
        op, value = query.parse_filter_value(raw)
        out.append((name, op, value))
    return out


def check_all_projects(all_projects, collection='workflows'):
    """``all_projects=true`` needs ``<collection>:list:all_projects``
    (admin by default); returns whether to skip scoping."""
    if not all_projects:
        return False
    policy.enforce('%s:list:all_projects' % collection)
    return True


def visibility_clause(model, ctx=None):
    """Rows the current project may see (see services/access.py): its own,
    public ones, and workflows shared with it."""
    return access.visible(model, ctx)


def render_filter(name, op, value):
    if isinstance(value, list):
        value = repr(value)
    return '%s=%s:%s' % (name, op, value)


def next_link(collection, params, filters, last_marker, extra=()):
    parts = ['sort_keys=%s' % ','.join(params.sort_keys),
             'sort_dirs=%s' % ','.join(params.sort_dirs)]
    parts.extend(render_filter(n, op, v) for n, op, v in filters)
    parts.extend('%s=%s' % kv for kv in extra)
    parts.append('limit=%d' % params.page_size)
    parts.append('marker=%s' % last_marker)
    if params.fields:
        parts.append('fields=%s' % ','.join(params.fields))
    return '%s/v2/%s?%s' % (context.ctx().host_url, collection,
                            '&'.join(parts))


def get_collection(resource, params, filters=(), marker=None,
                   all_projects=False, extra_where=(), link_collection=None,
                   render_fields=None, key=None, scoped=True,
                   link_extra=()):
    """List ``resource`` rows; returns the response dict.

    ``filters``: ``[(param name, raw query value)]`` in the order their
    parameters are declared (the order they appear in ``next`` links).
    ``render_fields``: the field tuple for unprojected rows.
    """
    policy.enforce('%s:list' % resource.collection)
    parsed = parse_filters(filters)
    skip_scope = check_all_projects(all_projects, resource.collection)
    model = resource.model
    ctx = context.ctx()
    scope = scoped and not skip_scope
    cache = None if extra_where else CACHED.get(model)
    if cache is not None:
        cache_key = _cache_key(resource, params, parsed, marker, scope, ctx,
                               key, link_collection, render_fields,
                               link_extra)
        version = None
        if cache_key is not None:
            # Read before the rows (db/generations.py).
            version = generations.read(cache[0])
        if version is None:
            cache = None
        else:
            version = (db_api.get_engine(), version)
            body = cache[1].get(cache_key, version)
            if body is not None:
                return body

    def where():
        clauses = list(extra_where)
        if scope:
            clauses.append(visibility_clause(model, ctx))
        return clauses
    # Without the caller's own clauses, the statement is determined by the
    # arguments of list_rows and the caller's scope: built once, re-used.
    reuse_key = None if extra_where else (
        scope, ctx.project_id, ctx.is_admin)
    fields = params.fields or render_fields
    # Fields of the rows' own columns: select just those, as stored, and
    # render them without ORM objects (api/rows.py); computed fields need
    # the full row.
    plan = rows_plan.plan_for(resource, fields)
    list_args = dict(filters=parsed, sort_keys=params.sort_keys,
                     sort_dirs=params.sort_dirs, limit=params.page_size,
                     columns=plan.columns if plan else None,
                     reuse_key=reuse_key)
    rows = None
    if marker is None and plan is not None:
        # No marker row to look up: the kept statement, if any, runs on
        # the driver without a session (db/query.py).
        rows = query.kept_rows(model, **list_args)
    if rows is None:
        with db_api.session() as s:
            marker_row = None
            if marker is not None:
                marker_row = s.get(model, marker)
                if marker_row is None:
                    raise exc.DBEntityNotFoundError(
                        resource.marker_not_found(marker))
            rows = query.list_rows(s, model, marker_row=marker_row,
                                   extra_where=where, raw=plan is not None,
                                   **list_args)
            if plan is None:
                items = resource.render_many(rows, fields)
                last_id = rows[-1].id if rows else None
    if plan is not None:
        items = plan.render(rows)
        last_id = rows[-1][plan.id_index] if rows else None
    body = {key or resource.collection: items}
    if rows and len(rows) == params.page_size:
        body['next'] = next_link(link_collection or resource.collection,
                                 params, parsed, last_id, link_extra)
    if cache is not None:
        return cache[1].put(cache_key, version, body)
    return body


def _cache_key(resource, params, parsed, marker, scope, ctx, *more):
    """Everything but the rows that a list answer is made from, or None
    when that is not a key (an unhashable or long filter value)."""
    values = []
    for name, op, value in parsed:
        if isinstance(value, list):
            value = tuple(value)
        values.append((name, op, value))
    key = (resource, tuple(params.sort_keys), tuple(params.sort_dirs),
           tuple(params.fields), params.page_size, tuple(values), marker,
           scope, ctx.project_id, ctx.is_admin, ctx.host_url,
           tuple(tuple(m) if isinstance(m, (list, tuple)) else m
                 for m in more))
    try:
        hash(key)
    except TypeError:
        return None
    if marker is not None and len(str(marker)) > 256 or any(
            len(str(v)) > 256 for _, _, v in values):
        return None
    return key


def list_response(resource, marker, limit, sort_keys, sort_dirs, fields,
                  filters=(), **kwargs):
    """A list request's answer: its paging parameters checked
    (:class:`ListParams`) and :func:`get_collection` called with
    ``filters`` and ``kwargs``."""
    params = ListParams(resource, limit, sort_keys, sort_dirs, fields)
    return get_collection(resource, params, filters=filters, marker=marker,
                          **kwargs)


def project_fields(item, fields):
    """Keep only ``fields`` (plus id) of an already rendered item."""
    if not fields:
        return item
    return {k: item.get(k) for k in fields}
