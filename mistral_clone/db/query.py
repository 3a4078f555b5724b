"""The one query helper behind every list endpoint: filters, sorting, paging.

Filters arrive already parsed as ``(field, op, value)`` triples with Mistral's
operators (``eq neq in nin gt gte lt lte has``); values are converted to the
column's type here. Paging is keyset paging after a marker row, with ``id``
appended as a tie-breaker so pages never overlap or skip rows.
"""

import datetime
import json

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.db import packing

OPERATORS = ('eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'has')


def parse_filter_value(raw):
    """'gte:5' → ('gte', '5'); 'in:a,b' → ('in', ['a', 'b']); 'x' → ('eq', 'x')."""
    if isinstance(raw, str) and ':' in raw:
        op, _, rest = raw.partition(':')
        if op in OPERATORS:
            if op in ('in', 'nin'):
                return op, [v for v in rest.split(',')] if rest else []
            return op, rest
    return 'eq', raw


def _column(model, field):
    col = getattr(model, field, None)
    if col is None or not hasattr(col, 'property'):
        return None
    return col


def _convert(column, value):
    """Convert a query-string value to the column's Python type."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_convert(column, v) for v in value]
    ctype = column.property.columns[0].type
    if isinstance(ctype, sa.types.TypeDecorator) and not isinstance(
            ctype, models.JsonEncoded):
        ctype = ctype.impl
    if isinstance(ctype, models.JsonEncoded):
        return value
    if isinstance(ctype, sa.Boolean):
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v in ('true', '1', 'yes', 'on', 't', 'y'):
            return True
        if v in ('false', '0', 'no', 'off', 'f', 'n'):
            return False
        raise exc.InvalidQueryError(
            'Invalid value for boolean filter %s: %s' % (column.key, value))
    if isinstance(ctype, sa.Integer):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise exc.InvalidQueryError(
                'Invalid value for integer filter %s: %s'
                % (column.key, value))
    if isinstance(ctype, sa.DateTime):
        if isinstance(value, datetime.datetime):
            return value
        return parse_datetime(value, column.key)
    return value


def parse_datetime(value, what='date'):
    text = str(value).strip().replace('T', ' ')
    if text.endswith('Z'):
        text = text[:-1]
    for fmt in ('%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S',
                '%Y-%m-%d %H:%M', '%Y-%m-%d'):
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise exc.InvalidQueryError('Invalid date for %s: %s' % (what, value))


def _json_text(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return json.dumps(value, separators=(',', ':'))


def filter_clause(model, field, op, value):
    column = _column(model, field)
    if column is None:
        raise exc.InvalidQueryError('Unknown filter: %s' % field)
    ctype = column.property.columns[0].type
    if isinstance(ctype, models.JsonEncoded):
        return _json_filter(column, field, op, value)
    value = _convert(column, value)
    if op == 'eq':
        return column.is_(None) if value is None else column == value
    if op == 'neq':
        return column.is_not(None) if value is None else sa.or_(
            column != value, column.is_(None))
    if op == 'in':
        return column.in_(value)
    if op == 'nin':
        return sa.or_(column.not_in(value), column.is_(None))
    if op == 'gt':
        return column > value
    if op == 'gte':
        return column >= value
    if op == 'lt':
        return column < value
    if op == 'lte':
        return column <= value
    if op == 'has':
        return column.contains(str(value), autoescape=True)
    raise exc.InvalidQueryError('Unknown filter operator: %s' % op)


def _json_filter(column, field, op, value):
    # Compare against the stored JSON text (unpacked on SQLite: see
    # db/packing.py); typed as text, the bound values are not JSON-encoded
    # a second time by JsonEncoded.
    column = packing.JsonText(column)
    if field == 'tags':
        # tags=a,b: resources having all listed tags (JSON text contains
        # each tag as an encoded string).
        tags = value if isinstance(value, list) else (
            [t for t in str(value).split(',') if t] if value else [])
        clauses = [column.contains(json.dumps(t), autoescape=True)
                   for t in tags]
        if op in ('neq', 'nin'):
            return sa.not_(sa.and_(*clauses)) if clauses else sa.false()
        return sa.and_(*clauses) if clauses else sa.true()
    if op == 'has':
        return column.contains(str(value), autoescape=True)
    if op in ('in', 'nin'):
        texts = [_json_text(v) for v in value]
        return column.in_(texts) if op == 'in' else column.not_in(texts)
    text = _json_text(value)
    if op == 'eq':
        return column == text
    if op == 'neq':
        return column != text
    raise exc.InvalidQueryError(
        'Operator %s is not supported for %s' % (op, field))


def apply_filters(query, model, filters):
    for field, op, value in filters or ():
        query = query.where(filter_clause(model, field, op, value))
    return query


def apply_sort_and_marker(query, model, sort_keys, sort_dirs, marker_row,
                          explicit_nulls=False):
    """ORDER BY the keys and, after a marker row, keep rows that follow it."""
    keys = list(sort_keys or [])
    dirs = list(sort_dirs or [])
    dirs += ['asc'] * (len(keys) - len(dirs))
    if 'id' not in keys:
        keys.append('id')
        dirs.append('asc')
    cols = []
    for key in keys:
        col = _column(model, key)
        if col is None:
            raise exc.InvalidQueryError('Sort key supplied is invalid: %s'
                                        % key)
        cols.append(col)
    if marker_row is not None:
        ors = []
        for i, col in enumerate(cols):
            mval = getattr(marker_row, keys[i])
            crit = [_equal_or_both_null(cols[j], getattr(marker_row, keys[j]))
                    for j in range(i)]
            crit.append(_after(col, mval, dirs[i]))
            ors.append(sa.and_(*crit))
        query = query.where(sa.or_(*ors))
    if explicit_nulls:
        # PostgreSQL sorts NULLs last ascending; align it with SQLite/MySQL.
        order = [c.desc().nulls_last() if d == 'desc' else
                 c.asc().nulls_first() for c, d in zip(cols, dirs)]
    else:
        order = [c.desc() if d == 'desc' else c.asc()
                 for c, d in zip(cols, dirs)]
    return query.order_by(*order)


def _equal_or_both_null(col, value):
    return col.is_(None) if value is None else col == value


def _after(col, value, direction):
    # NULLs sort first ascending (SQLite, MySQL) — treat them so everywhere.
    if direction == 'desc':
        if value is None:
            return sa.false()
        return sa.or_(col < value, col.is_(None))
    if value is None:
        return col.is_not(None)
    return col > value


def stored(model, name, dialect_name):
    """Column ``name`` selected as stored: a JSON column's text, undecoded;
    on SQLite a date's text (``YYYY-MM-DD HH:MM:SS.ffffff``), unparsed."""
    column = getattr(model, name)
    ctype = column.property.columns[0].type
    if isinstance(ctype, models.JsonEncoded) or (
            dialect_name == 'sqlite' and isinstance(ctype, sa.DateTime)):
        return sa.type_coerce(column, sa.Text()).label(name)
    return column


_BY_POSITION = {'_result_disable_adapt_to_context': True}

# Built list statements kept for re-use (see list_rows' ``reuse_key``):
# up to this many, the table emptied when full.
STATEMENTS = 256
_statements = {}


def _statement_key(model, filters, sort_keys, sort_dirs, marker_row, limit,
                   columns, raw, dialect_name, reuse_key):
    """Everything a list statement is built from, or None if that cannot
    be a key (an unhashable or long filter value)."""
    keys = list(sort_keys or ())
    marker = None
    if marker_row is not None:
        marker = tuple(getattr(marker_row, k) for k in keys + ['id'])
    parts = []
    for field, op, value in filters or ():
        if isinstance(value, list):
            value = tuple(value)
        if len(repr(value)) > 256:
            return None
        parts.append((field, op, value))
    key = (model, tuple(columns or ()), raw, dialect_name, tuple(parts),
           tuple(keys), tuple(sort_dirs or ()), marker, limit, reuse_key)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def list_rows(session, model, filters=None, sort_keys=None, sort_dirs=None,
              marker_row=None, limit=None, extra_where=(), columns=None,
              raw=False, reuse_key=None):
    """Rows of ``model`` matching filters, sorted, after the marker.

    ``columns``: select these columns (rows of values) rather than ORM
    objects; ``raw``: select them as stored (:func:`stored`), and run the
    query on the session's connection (no ORM result processing).
    ``extra_where``: more WHERE clauses, or a function returning them.
    ``reuse_key``: a hashable value that, with the other arguments,
    determines ``extra_where`` (e.g. the caller's project for a visibility
    clause): the statement is then built once and executed again for the
    same arguments, which spares SQLAlchemy's construction and cache-key
    work on every request (the values are part of the key, so a re-used
    statement is exactly the one that would have been built)."""
    dialect_name = session.get_bind().dialect.name
    key = None
    if reuse_key is not None:
        key = _statement_key(model, filters, sort_keys, sort_dirs,
                             marker_row, limit, columns, raw, dialect_name,
                             reuse_key)
    kept = _statements.get(key) if key is not None else None
    if kept is None:
        query = _build(model, filters, sort_keys, sort_dirs, marker_row,
                       limit, extra_where, columns, raw, dialect_name)
        kept = (query, None)
        if key is not None:
            if columns and raw:
                kept = (query, _driver_select(query, session))
            if len(_statements) >= STATEMENTS:
                _statements.clear()
            _statements[key] = kept
    query, driver = kept
    if driver is not None and not session.in_transaction():
        rows = db_api.read_rows(*driver)
        if rows is not None:
            return rows
    if columns and raw:
        # Rows are read by position: SQLAlchemy's re-keying of a cached
        # compilation's result columns to this statement object (done for
        # every execution of a statement built anew or kept here, ~15% of
        # a 50-row list's CPU) is not needed; the ORM sets the same option.
        return session.connection().execute(
            query, execution_options=_BY_POSITION).all()
    result = session.execute(query)
    return result.all() if columns else result.scalars().all()


def kept_rows(model, filters=None, sort_keys=None, sort_dirs=None,
              limit=None, columns=None, reuse_key=None):
    """The rows :func:`list_rows` would return for these arguments (raw,
    no marker), read by the driver from the statement kept for them,
    without a session; None when no such statement is kept yet, when a
    transaction is open (its own changes must show) or when the driver
    failed: the caller then calls :func:`list_rows`."""
    if reuse_key is None or not columns or db_api.in_transaction():
        return None
    key = _statement_key(model, filters, sort_keys, sort_dirs, None, limit,
                         columns, True, db_api.dialect_name(), reuse_key)
    kept = _statements.get(key) if key is not None else None
    if kept is None or kept[1] is None:
        return None
    return db_api.read_rows(*kept[1])


def _driver_select(statement, session):
    """``(sql, parameters)`` of ``statement`` for the database driver
    itself, or None when SQLAlchemy must run it.

    A kept raw list statement runs again and again with the same values;
    through a session each run cost a connection's transaction (SQLite: our
    ``BEGIN``), SQLAlchemy's execution context and result, a rollback and
    the session's bookkeeping: ~230 us of a ~130 us query (issue 14). Its
    SQL text and parameters are computed here once, by SQLAlchemy's own
    compiler and the bound types' bind processors, and
    :func:`mistral_clone.db.api.read_rows` runs them on a pooled connection.
    Only for statements whose columns come back as SQLAlchemy would return
    them (no result processor for this database: no booleans on SQLite)
    and that need no rendering at run time (expanding ``IN`` lists)."""
    try:
        dialect = session.get_bind().dialect
        for column in statement.selected_columns:
            impl = column.type.dialect_impl(dialect)
            if impl.result_processor(dialect, None) is not None:
                return None
        compiled = statement.compile(dialect=dialect)
        if 'POSTCOMPILE' in compiled.string:
            return None
        values = compiled.construct_params()

        def bound(name):
            impl = compiled.binds[name].type.dialect_impl(dialect)
            process = impl.bind_processor(dialect)
            return process(values[name]) if process else values[name]
        if compiled.positional:
            params = tuple(bound(n) for n in compiled.positiontup)
        else:
            params = {n: bound(n) for n in values}
    except Exception:  # anything unexpected: SQLAlchemy runs it
        return None
    return compiled.string, params


def _build(model, filters, sort_keys, sort_dirs, marker_row, limit,
           extra_where, columns, raw, dialect_name):
    if columns:
        if raw:
            query = sa.select(*[stored(model, c, dialect_name)
                                for c in columns])
        else:
            query = sa.select(*[getattr(model, c) for c in columns])
    else:
        query = sa.select(model)
    if callable(extra_where):
        extra_where = extra_where()
    for clause in extra_where:
        query = query.where(clause)
    query = apply_filters(query, model, filters)
    query = apply_sort_and_marker(
        query, model, sort_keys, sort_dirs, marker_row,
        explicit_nulls=dialect_name == 'postgresql')
    if limit is not None:
        query = query.limit(limit)
    return query
