"""Execution rows written with prebuilt statements at each flush.

Every engine transaction inserts a task execution and its action execution
and updates the workflow, task and action rows of each step. SQLAlchemy's
unit of work sent the same few statements as we do here, but spent more
than half of a transition's CPU deciding them (registering every object,
sorting dependencies, collecting each row's history, the post-fetch) and
running them (a compiled-cache lookup and parameter construction per
row). Before each flush of a session (:func:`install`: the
``before_flush`` event), the new and changed rows of the three execution
models are written here instead, with the same columns and values:

* new rows: one ``INSERT`` per table for all of them, in foreign key
  order (workflows, tasks, actions), every column given. As the ORM does,
  a column with a default that is unset or None gets its default, which
  is set on the object too (``created_at``, ``workflow_namespace``...);
* changed rows, in primary key order as the ORM orders them: one
  ``UPDATE ... WHERE id = ?`` per table and set of changed columns, with
  the columns whose value differs from the loaded one (compared as the
  ORM compares them) plus ``updated_at`` (its ``onupdate``) unless it was
  set. Where the driver reports the rows a statement matched, a row that
  is gone raises ``StaleDataError`` as the ORM's flush did.

Each statement is compiled once per dialect and run through the driver
(``Connection.exec_driver_sql``: the engine's events see it as any
statement), its parameters processed by the columns' own bind processors
(JSON text, dates on SQLite), as an executemany. psycopg2 takes several
statements in one string: there a flush's statements are sent together,
one round trip where there were up to five, the rows matched by the
updates that are checked counted by a last statement of the string.
Then the session is told the objects are stored and clean, as the unit of work tells it after its own
writes (``Session._register_persistent``): in the identity map, pending
no more, their history reset; a failure rolls the session's transaction
back as a failed flush does. Deleted rows and every other model are left
to the unit of work, which then has little or nothing to do. Attribute
events (the state-change trace of ``db/tracking.py``), row locks and the
session's reads are unchanged: only who writes the rows differs.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm
from sqlalchemy.orm import exc as orm_exc
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy import util

from mistral_clone.db import models

# In foreign key order: tasks refer to workflows, actions to tasks.
MODELS = (models.WorkflowExecution, models.TaskExecution,
          models.ActionExecution)

_NO_VALUE = object()


class _Table:
    """What the writer needs of one model, built once."""

    def __init__(self, model):
        self.model = model
        self.table = model.__table__
        mapper = sa.inspect(model)
        # Attributes are named as their columns in these models.
        self.keys = [c.key for c in self.table.columns]
        assert all(mapper.get_property_by_column(c).key == c.key
                   for c in self.table.columns)
        # column key -> a function giving the column's default
        self.defaults = {}
        self.onupdate = {}
        for column in self.table.columns:
            default = column.default
            if default is not None and default.is_callable:
                self.defaults[column.key] = _caller(default.arg)
            elif default is not None and default.is_scalar:
                self.defaults[column.key] = _constant(default.arg)
            if column.onupdate is not None:
                assert column.onupdate.is_callable
                self.onupdate[column.key] = _caller(column.onupdate.arg)
        self.compare = {c.key: c.type.compare_values
                        for c in self.table.columns}
        self._statements = {}

    def insert(self, dialect):
        """The INSERT of every column."""
        return self._statement(dialect, None)

    def update(self, dialect, keys):
        """The UPDATE of the columns ``keys`` of the row ``_id``."""
        return self._statement(dialect, keys)

    def _statement(self, dialect, keys):
        key = (keys, type(dialect), dialect.paramstyle)
        found = self._statements.get(key)
        if found is None:
            if keys is None:
                stmt = sa.insert(self.table)
            else:
                stmt = sa.update(self.table).where(
                    self.table.c.id == sa.bindparam('_id')).values(
                        {self.table.c[k]: sa.bindparam(k) for k in keys})
            found = self._statements[key] = _Statement(stmt, dialect)
            # _run finds an updated row's id last.
            assert keys is None or found.plan[-1][0] == '_id'
        return found


class _Statement:
    """A statement compiled for one dialect, run with the parameters
    processed as SQLAlchemy processes them (the columns' bind processors:
    JSON text, dates on SQLite...) but without its per-execution work
    (compiled-cache lookup, parameter construction for each row)."""

    def __init__(self, stmt, dialect):
        compiled = stmt.compile(dialect=_positional(dialect))
        self.sql = compiled.string
        columns = stmt.table.c
        processors = []
        names = compiled.positiontup
        for name in names:
            column = columns.get(name if name != '_id' else 'id')
            processors.append(column.type.dialect_impl(dialect)
                              .bind_processor(dialect))
        self.plan = tuple(zip(names, processors))

    def params(self, rows):
        """The driver's parameters for ``rows`` (mappings by column key, a
        key missing is NULL): a tuple per row."""
        plan = self.plan
        return [tuple([v if (v := row.get(n)) is None or p is None
                       else p(v) for n, p in plan])
                for row in rows]

    def execute(self, connection, params):
        """Run for ``params`` (of :meth:`params`); its rowcount."""
        result = connection.exec_driver_sql(
            self.sql, params if len(params) > 1 else params[0])
        return result.rowcount


def _positional(dialect):
    """``dialect``, or for a driver taking ``%(name)s`` parameters
    (psycopg2, PyMySQL) the same dialect with ``%s`` ones, which these
    drivers take too: a row is then a tuple, cheaper to build and to
    interpolate than a dict."""
    if dialect.positional:
        return dialect
    if dialect.paramstyle != 'pyformat':
        raise NotImplementedError('paramstyle %s' % dialect.paramstyle)
    return type(dialect)(paramstyle='format')


def _caller(fn):
    # SQLAlchemy wraps a default taking no argument into one taking the
    # execution context (which ours do not use).
    return lambda: fn(None)


def _constant(value):
    return lambda: value


_tables = {}


def _table(model):
    found = _tables.get(model)
    if found is None:
        found = _tables[model] = _Table(model)
    return found


def write(session, flush_context=None, instances=None):
    """Write the session's new and changed execution rows (see the module
    docstring); the ``before_flush`` listener."""
    new = session.new
    dirty = session.dirty
    if not new and not dirty:
        return
    deleted = session.deleted
    by_model = {}
    for obj in new:
        if type(obj) in _WRITTEN:
            by_model.setdefault(type(obj), ([], []))[0].append(obj)
    for obj in dirty:
        if type(obj) in _WRITTEN and obj not in deleted:
            by_model.setdefault(type(obj), ([], []))[1].append(obj)
    if not by_model:
        return
    # As the unit of work does: the writes in a subtransaction of the
    # session's, whose failure rolls the session's back (the session then
    # wants a rollback before any other work).
    transaction = session._autobegin_t()._begin()
    try:
        connection = session.connection()
        dialect = connection.dialect
        states = set()
        jobs = []
        for model in MODELS:
            found = by_model.get(model)
            if found is None:
                continue
            table = _table(model)
            inserted, updated = found
            # Updates first, as the unit of work orders a table's rows.
            if updated:
                _update(dialect, table, updated, states, jobs)
            if inserted:
                _insert(dialect, table, inserted, states, jobs)
        _run(connection, jobs)
        session._register_persistent(states)
        transaction.commit()
    except BaseException:
        with util.safe_reraise():
            transaction.rollback(_capture_exception=True)


_WRITTEN = frozenset(MODELS)


def _id_of(obj):
    return obj.id


def _insert(dialect, table, objs, states, jobs):
    rows = []
    defaults = table.defaults
    for obj in objs:
        state = instance_state(obj)
        values = state.dict
        for attr, default in defaults.items():
            if values.get(attr) is None:
                values[attr] = default()
        rows.append(values)
        states.add(state)
    stmt = table.insert(dialect)
    jobs.append((stmt, stmt.params(rows), None))


def _update(dialect, table, objs, states, jobs):
    groups = {}
    compare = table.compare
    # In primary key order, as the unit of work updates rows (one order
    # of row locks for every process).
    objs.sort(key=_id_of)
    for obj in objs:
        state = instance_state(obj)
        values = state.dict
        changed = []
        for attr, old in state.committed_state.items():
            cmp = compare.get(attr)
            if cmp is None:
                continue  # not a column (a relationship: never written)
            value = values[attr]
            if old is orm.attributes.NO_VALUE or cmp(value, old) is not True:
                changed.append(attr)
        if changed:
            for attr, make in table.onupdate.items():
                if attr not in changed:
                    values[attr] = make()
                    changed.append(attr)
            changed.sort()
            params = {key: values[key] for key in changed}
            params['_id'] = values['id']
            groups.setdefault(tuple(changed), []).append(params)
        states.add(state)
    for keys, rows in groups.items():
        stmt = table.update(dialect, keys)
        # Rows matched are checked where the driver tells them, as the
        # unit of work checks them.
        checked = dialect.supports_sane_multi_rowcount if len(rows) > 1 \
            else dialect.supports_sane_rowcount
        jobs.append((stmt, stmt.params(rows),
                     table.table.name if checked else None))


def _run(connection, jobs):
    """Run the statements of ``jobs`` (``(statement, parameters, table
    name if the rows matched are checked)``) in order, each alone, or
    with psycopg2 (which takes several statements in one string, its
    parameters interpolated on our side) all in one string: one round
    trip instead of one per statement. There the rows matched by the
    checked updates are counted by a last statement of the string, which
    psycopg2 answers: each updated row is locked from its UPDATE on, so
    it is found then exactly when its UPDATE matched it."""
    if not jobs:
        return  # rows changed back to their stored values only
    if len(jobs) == 1 or connection.dialect.driver != 'psycopg2':
        for stmt, params, checked in jobs:
            rowcount = stmt.execute(connection, params)
            if checked is not None and rowcount != len(params):
                _stale(checked, len(params), rowcount)
        return
    sql = []
    args = []
    counts = []
    for stmt, params, checked in jobs:
        sql.extend([stmt.sql] * len(params))
        for row in params:
            args.extend(row)
        if checked is not None:
            counts.append((checked, [row[-1] for row in params]))
    count_args = []
    if counts:
        # The row id is the last parameter of an UPDATE (WHERE id = ...).
        sql.append('SELECT ' + ', '.join(
            '(SELECT count(*) FROM %s WHERE id IN (%s))' % (
                name, ', '.join(['%s'] * len(ids)))
            for name, ids in counts))
        for _, ids in counts:
            count_args.extend(ids)
    result = connection.exec_driver_sql(';'.join(sql),
                                        tuple(args + count_args))
    if counts:
        for (name, ids), found in zip(counts, result.one()):
            if found != len(ids):
                _stale(name, len(ids), found)


def _stale(table_name, expected, matched):
    raise orm_exc.StaleDataError(
        "UPDATE statement on table '%s' expected to update %d row(s); %d "
        "were matched." % (table_name, expected, matched))


def install(sessionmaker):
    """Write execution rows so at every flush of ``sessionmaker``'s
    sessions."""
    event.listen(sessionmaker, 'before_flush', write)
