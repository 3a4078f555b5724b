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
(JSON text, dates on SQLite), as an executemany. With psycopg2 a flush's
writes are one statement, one round trip, every update's matched rows
counted by it (:func:`_together`), and the last flush of a commit carries
the ``COMMIT``.
Then the session is told the objects are stored and clean, as the unit of work tells it after its own
writes (``Session._register_persistent``): in the identity map, pending
no more, their history reset; a failure rolls the session's transaction
back as a failed flush does. Deleted rows and every other model are left
to the unit of work, which then has little or nothing to do. Attribute
events (the state-change trace of ``db/tracking.py``), row locks and the
session's reads are unchanged: only who writes the rows differs.
"""

import inspect
import operator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm
from sqlalchemy.orm import exc as orm_exc
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy import util

from mistral_clone.db import models
from mistral_clone.db import pg_prepared

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
        self.columns = frozenset(self.keys)
        # The columns whose values are not compared with ``==`` (none
        # today), each with its type's comparison.
        self.compare = {c.key: c.type.compare_values
                        for c in self.table.columns
                        if not _compared_by_equality(c.type)}
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
        self.names = tuple(names)
        # (position, processor, type of the values it gives back as they
        # are) of each parameter with a processor: a bool for a Boolean
        # column where the database has booleans (the processor checks it
        # is one and gives it back) is not processed.
        self.processed = tuple(
            (i, p, bool if _native_boolean(columns.get(
                n if n != '_id' else 'id'), dialect) else None)
            for i, (n, p) in enumerate(self.plan) if p is not None)
        self.table_name = stmt.table.name
        self.is_insert = isinstance(stmt, sa.sql.Insert)
        if dialect.driver == 'psycopg2':
            self._values_forms(stmt, dialect)

    def _values_forms(self, stmt, dialect):
        """The statement's forms for :func:`_together`: an INSERT's
        ``INSERT INTO t (...) VALUES``, whose rows are given ``(%s, ...)``
        each, as PostgreSQL coerces them to the columns'; an UPDATE's
        ``UPDATE t SET c = v.c ... FROM (VALUES`` and the rest after the
        rows. There each parameter is cast to its column's type (a
        ``VALUES`` list alone gives an untyped NULL or string no other
        type than text), strings to ``text``: an explicit cast to
        ``varchar(n)`` cuts a longer value where the assignment refuses it
        as before."""
        quote = dialect.identifier_preparer.quote
        columns = stmt.table.c
        names = [n for n, _ in self.plan]
        # for db/pg_prepared.py too
        self.quoted = [quote(n) for n in names]
        self.quoted_table = quote(stmt.table.name)
        self.types = [_cast_type(columns[n if n != '_id' else 'id'], dialect)
                      for n in names]
        if self.is_insert:
            head, _, row = self.sql.partition(' VALUES ')
            self._head = head + ' VALUES '
            self._row = row
            return
        table = self.quoted_table
        self._row = '(' + ', '.join('%s::' + t for t in self.types) + ')'
        self._head = 'UPDATE %s SET %s FROM (VALUES ' % (table, ', '.join(
            '%s = v.%s' % (n, n) for n in self.quoted[:-1]))
        self._tail = ') AS v(%s) WHERE %s.id = v._id RETURNING 1' % (
            ', '.join(self.quoted), table)

    def insert_sql(self, rows):
        """The INSERT of ``rows`` rows, in one statement (psycopg2)."""
        return self._head + ', '.join([self._row] * rows)

    def update_sql(self, rows):
        """The UPDATE of ``rows`` rows by id, in one statement (psycopg2),
        giving a row for each row matched."""
        return self._head + ', '.join([self._row] * rows) + self._tail

    def params(self, rows):
        """The driver's parameters for ``rows`` (mappings by column key, a
        key missing is NULL): a tuple per row."""
        names = self.names
        processed = self.processed
        out = []
        for row in rows:
            values = list(map(row.get, names))
            for i, process, unchanged in processed:
                v = values[i]
                if v is not None and type(v) is not unchanged:
                    values[i] = process(v)
            out.append(tuple(values))
        return out

    def execute(self, connection, params):
        """Run for ``params`` (of :meth:`params`); its rowcount."""
        result = connection.exec_driver_sql(
            self.sql, params if len(params) > 1 else params[0])
        return result.rowcount


def _native_boolean(column, dialect):
    """True when ``column`` is a Boolean with SQLAlchemy's own bind
    processor and ``dialect`` stores booleans as such: the processor then
    gives a bool back unchanged."""
    impl = column.type.dialect_impl(dialect)
    return isinstance(impl, sa.Boolean) and \
        type(impl).bind_processor is sa.Boolean.bind_processor and \
        dialect.supports_native_boolean


def _cast_type(column, dialect):
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, sa.types.TypeDecorator):
        impl = impl.impl_instance
    if isinstance(impl, sa.String):
        return 'text'
    return impl.compile(dialect=dialect)


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
    # execution context, which ours do not use: the function itself (the
    # wrapper's __wrapped__, functools.update_wrapper) is called.
    plain = getattr(fn, '__wrapped__', None)
    if plain is not None and not any(
            p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                p.POSITIONAL_OR_KEYWORD)
            for p in inspect.signature(plain).parameters.values()):
        return plain
    return lambda: fn(None)


def _compared_by_equality(type_):
    """True when ``type_`` compares values as ``==`` does (its
    ``compare_values`` or, for a TypeDecorator, its impl's is
    TypeEngine's)."""
    base = sa.types.TypeEngine.compare_values
    method = type(type_).compare_values
    if method is sa.types.TypeDecorator.compare_values:
        method = type(type_.impl_instance).compare_values
    return method is base


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
    # The last flush of a commit, with nothing left to the unit of work:
    # with psycopg2 the COMMIT can go in the writes' string (_together).
    last = session.info.pop(_COMMITTING, False) and not deleted
    for obj in new:
        if type(obj) in _WRITTEN:
            by_model.setdefault(type(obj), ([], []))[0].append(obj)
        else:
            last = False
    for obj in dirty:
        if type(obj) in _WRITTEN and obj not in deleted:
            by_model.setdefault(type(obj), ([], []))[1].append(obj)
        else:
            last = False
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
        _run(connection, jobs, last)
        session._register_persistent(states)
        transaction.commit()
    except BaseException:
        with util.safe_reraise():
            transaction.rollback(_capture_exception=True)


_WRITTEN = frozenset(MODELS)


_id_of = operator.attrgetter('id')


def _insert(dialect, table, objs, states, jobs):
    rows = []
    defaults = table.defaults.items()
    for obj in objs:
        state = instance_state(obj)
        values = state.dict
        for attr, default in defaults:
            if attr not in values or values[attr] is None:
                values[attr] = default()
        rows.append(values)
        states.add(state)
    stmt = table.insert(dialect)
    jobs.append((stmt, stmt.params(rows), None))


def _update(dialect, table, objs, states, jobs):
    groups = {}
    columns = table.columns
    compare = table.compare
    # In primary key order, as the unit of work updates rows (one order
    # of row locks for every process).
    objs.sort(key=_id_of)
    for obj in objs:
        state = instance_state(obj)
        values = state.dict
        changed = []
        for attr, old in state.committed_state.items():
            if attr not in columns:
                continue  # not a column (a relationship: never written)
            value = values[attr]
            if old is orm.attributes.NO_VALUE or (
                    compare[attr](value, old) if attr in compare
                    else value == old) is not True:
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


def _run(connection, jobs, last=False):
    """Run the statements of ``jobs`` (``(statement, parameters, table
    name if the rows matched are checked)``) in order, each alone, or
    with psycopg2 as one statement (:func:`_together`); ``last``: the
    last flush of a commit, nothing else to write."""
    if not jobs:
        return  # rows changed back to their stored values only
    if connection.dialect.driver == 'psycopg2':
        return _together(connection, jobs, last and _commits_itself(
            connection))
    for stmt, params, checked in jobs:
        rowcount = stmt.execute(connection, params)
        if checked is not None and rowcount != len(params):
            _stale(checked, len(params), rowcount)


def _together(connection, jobs, commit=False):
    """With psycopg2 (PostgreSQL), all the writes of a flush in one
    statement, one round trip: each job a data-modifying ``WITH`` query,
    its rows in one ``VALUES`` list (an ``INSERT`` of several rows; an
    ``UPDATE ... FROM (VALUES ...)`` joining the rows to change by id),
    then a ``SELECT`` of the rows each ``UPDATE`` matched (its
    ``RETURNING``): every update is checked, a row gone raises
    ``StaleDataError`` as the unit of work's check did. PostgreSQL
    parses and plans one statement per flush where it did one per row
    (two thirds of its CPU per engine transaction went there: bench/
    engine_pg.py, bench/RESULTS.md); a new action's foreign key to its
    task, inserted by the same statement, is checked at the statement's
    end, when both are there. The parameters are interpolated by
    psycopg2, on our side.

    ``commit`` (the last flush of a commit, the transaction begun by
    ``db/pg_transactions.py``): ``COMMIT`` follows in the same string,
    the round trip of the commit saved. psycopg2 then answers for the
    ``COMMIT`` only, so the rows matched are checked by the ``SELECT``
    itself: a count other than expected fails it (the text of the counts
    cast to an integer, :data:`_STALE_MARK`), the server skips the
    ``COMMIT`` and the transaction fails; the error becomes the same
    ``StaleDataError``. SQLAlchemy's commit then finds no transaction
    open on the server and sends nothing."""
    counted = [(stmt.table_name, len(params)) for stmt, params, _ in jobs
               if not stmt.is_insert]
    found = pg_prepared.enabled() and pg_prepared.statement(
        connection, jobs, commit, _STALE_MARK)
    if found:
        sql, args, prepared = found
    else:
        sql, args = _literal_statement(jobs, commit)
        prepared = None
    if commit:
        try:
            connection.exec_driver_sql(sql + ';COMMIT', args)
        except sa.exc.DBAPIError as e:
            found = _stale_counts(e)
            if found is None:
                pg_prepared.after_error(e)
                raise
            if prepared is not None:
                prepared()  # the error came from its EXECUTE
            _check_counts(counted, found)
            raise
        if prepared is not None:
            prepared()
        return
    try:
        result = connection.exec_driver_sql(sql, args)
    except sa.exc.DBAPIError as e:
        pg_prepared.after_error(e)
        raise
    if prepared is not None:
        prepared()
    if counted:
        _check_counts(counted, result.one())


def _literal_statement(jobs, commit):
    """The statement of :func:`_together` with every value a literal
    (``VALUES`` lists); its text and arguments."""
    parts = []
    args = []
    checks = []
    for n, (stmt, params, _) in enumerate(jobs):
        name = 'w%d' % n
        if stmt.is_insert:
            sql = stmt.insert_sql(len(params))
        else:
            sql = stmt.update_sql(len(params))
            checks.append(('(SELECT count(*) FROM %s)' % name,
                           '%d' % len(params)))
        parts.append('%s AS (%s)' % (name, sql))
        for row in params:
            args.extend(row)
    tail = pg_prepared.counts_tail(checks, commit, _STALE_MARK)
    return 'WITH %s SELECT %s' % (', '.join(parts), tail), tuple(args)


# The text of the error of a write that found rows gone (_together).
_STALE_MARK = 'mistral_clone rows matched: '


def _stale_counts(error):
    """The counts of rows matched in the error of :func:`_together`'s
    check, or None for any other error."""
    text = str(getattr(error, 'orig', error))
    at = text.find(_STALE_MARK)
    if at < 0 or getattr(error.orig, 'pgcode', None) != '22P02':
        return None
    digits = text[at + len(_STALE_MARK):].split('"')[0].split()
    return [int(d) for d in digits]


def _check_counts(counted, found):
    for (table_name, expected), n in zip(counted, found):
        if n != expected:
            _stale(table_name, expected, n)


def _commits_itself(connection):
    """True when the transaction of ``connection`` was begun by
    ``db/pg_transactions.py`` (the driver in autocommit), whose commit
    sends nothing once the server has none open."""
    return bool(getattr(connection.connection.dbapi_connection,
                        'autocommit', False))


def _stale(table_name, expected, matched):
    raise orm_exc.StaleDataError(
        "UPDATE statement on table '%s' expected to update %d row(s); %d "
        "were matched." % (table_name, expected, matched))


_COMMITTING = 'writer_committing'


def _before_commit(session):
    # Not for a savepoint's: its COMMIT would end the whole transaction.
    if session.get_nested_transaction() is None:
        session.info[_COMMITTING] = True


def _forget(session, *args):
    session.info.pop(_COMMITTING, None)


def install(sessionmaker):
    """Write execution rows so at every flush of ``sessionmaker``'s
    sessions."""
    event.listen(sessionmaker, 'before_flush', write)
    event.listen(sessionmaker, 'before_commit', _before_commit)
    for name in ('after_commit', 'after_rollback', 'after_soft_rollback'):
        event.listen(sessionmaker, name, _forget)
