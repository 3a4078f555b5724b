"""The writes of a flush as a server-side prepared statement (PostgreSQL,
psycopg2).

``db/writer.py`` sends all the writes of a flush in one statement whose
rows are literals in ``VALUES`` lists: its text changes with the number
of rows, so PostgreSQL parses and plans it anew at every engine
transaction (about a third of the server's CPU of a transaction of ten
results went to planning it). Here the same writes take the rows of each
table as one array per column, ``unnest``-ed into the rows a ``VALUES``
list gave::

    UPDATE t SET c = v.c ... FROM unnest($1, ..., $k) AS v(c, ..., _id)
        WHERE t.id = v._id RETURNING 1
    INSERT INTO t (c, ...) SELECT * FROM unnest($1, ...)

so the text depends only on which tables and columns are written, not on
how many rows: it is ``PREPARE``-d once per connection and shape (in the
string of its first ``EXECUTE``) and run by ``EXECUTE name(ARRAY[...],
...)`` afterwards, its plan kept by the server. Each array is typed as
the writer's ``VALUES`` casts its values (strings as ``text``: a value
longer than a ``varchar(n)`` column is refused by the assignment, not
cut), so the rows stored are the same; the rows each ``UPDATE`` matched
are counted against the length of its ``id`` array, as the writer counts
them against its rows.

The statements prepared on a connection are remembered in the
connection's pool record (``info``, which lives as long as the driver's
connection; a reconnection starts afresh). A ``PREPARE`` survives the
failure of its transaction on the server while we cannot tell whether it
ran, so a name is used once only: after an error the next ``PREPARE``
takes a new name, and a connection prepares at most :data:`MAX_NAMES`
names (then its flushes go as literal statements again).

Prepared statements live in a server session: behind a pooler sharing
server sessions between clients' transactions (pgbouncer in transaction
mode) they are not found; ``[database] postgresql_prepared_writes =
false`` (:func:`enable`) turns them off. Should a write find the server
session without its statement, or with another of its name (another
process's), this process stops preparing at once and says so
(:func:`after_error`), and the transaction, failed, is run again by the
engine's retries (``db.api``: :data:`SESSION_SHARED` errors are
retryable) with literal statements.
"""

import datetime
import itertools
import logging
import operator

LOG = logging.getLogger(__name__)

# SQLSTATEs of an EXECUTE of a statement the server session does not
# hold (invalid_sql_statement_name) and of a PREPARE of a name it holds
# already (duplicate_prepared_statement): only a server session shared
# with other clients (a pooler) gives them to our writes.
SESSION_SHARED = ('26000', '42P05')

_enabled = [True]

# Names prepared per connection at most (shapes, and names given up after
# an error), then its writes go as literals.
MAX_NAMES = 100

# Statements built (texts, encoders) kept at most, for all connections.
MAX_SHAPES = 1000

_INFO_KEY = 'mistral_clone_prepared_writes'

_names = itertools.count()


def enable(on):
    """Whether flushes on PostgreSQL use prepared statements (default)."""
    _enabled[0] = bool(on)


def enabled():
    return _enabled[0]


def after_error(error):
    """A write failed with ``error`` (SQLAlchemy's ``DBAPIError``): when
    the server session did not hold what this process prepared on it (see
    :data:`SESSION_SHARED`), prepare nothing more in this process."""
    code = getattr(getattr(error, 'orig', None), 'pgcode', None)
    if code not in SESSION_SHARED or not _enabled[0]:
        return
    _enabled[0] = False
    LOG.warning('PostgreSQL answered a prepared write with "%s" (SQLSTATE '
                '%s): the database connections seem to share server '
                'sessions (a pooler such as pgbouncer in transaction mode). '
                'This process writes with plain statements from now on '
                '(the transaction is run again); set [database] '
                'postgresql_prepared_writes = false to start that way.',
                str(error.orig).strip().split('\n')[0], code)


def counts_tail(checks, commit, stale_mark):
    """What the ``SELECT`` ending a flush's ``WITH`` statement selects,
    ``checks`` being ``(rows matched, rows expected)`` SQL pairs, one per
    ``UPDATE``: the counts, or, when ``COMMIT`` follows in the same string
    (``commit``), 1 if every count matches, else an error whose text is
    ``stale_mark`` and the counts (a failing cast: the server then skips
    the ``COMMIT``). Not a constant: the planner must not fold the failing
    branch."""
    if not checks:
        return '1'
    counts = [c for c, _ in checks]
    if not commit:
        return ', '.join(counts)
    return "CASE WHEN %s THEN 1 ELSE ('%s' || %s)::integer END" % (
        ' AND '.join('%s = %s' % c for c in checks), stale_mark,
        " || ' ' || ".join(counts))


class _Shape:
    """The statement prepared for one list of jobs' statements."""

    def __init__(self, jobs, commit, stale_mark):
        parts = []
        types = []
        checks = []
        for n, (stmt, _, _) in enumerate(jobs):
            forms = _forms(stmt)
            first = len(types) + 1
            args = ', '.join('$%d' % i for i in range(
                first, first + len(forms.types)))
            types.extend(t + '[]' for t in forms.types)
            name = 'w%d' % n
            parts.append('%s AS (%s%s%s)' % (
                name, forms.head, args, forms.tail.replace(
                    '$ids', '$%d' % (first + len(forms.types) - 1))))
            if not stmt.is_insert:
                # its last array: the ids of the rows to update
                checks.append(('(SELECT count(*) FROM %s)' % name,
                               'cardinality($%d)' % len(types)))
        self.body = 'WITH %s SELECT %s' % (
            ', '.join(parts), counts_tail(checks, commit, stale_mark))
        self.types = types
        self.args = ', '.join('%s::' + t for t in types)
        self.encoders = [_ENCODERS.get(t[:-2], _as_list) for t in types]

    def prepare(self, name):
        return 'PREPARE %s (%s) AS %s;' % (name, ', '.join(self.types),
                                           self.body)

    def execute(self, name):
        return 'EXECUTE %s(%s)' % (name, self.args)


class _Forms:
    __slots__ = ('head', 'tail', 'types')


def _forms(stmt):
    """The ``unnest`` forms of a writer statement (built once)."""
    forms = _forms_of.get(stmt)
    if forms is not None:
        return forms
    forms = _Forms()
    forms.types = stmt.types
    table, names = stmt.quoted_table, stmt.quoted
    if stmt.is_insert:
        forms.head = 'INSERT INTO %s (%s) SELECT * FROM unnest(' % (
            table, ', '.join(names))
        forms.tail = ')'
    else:
        forms.head = 'UPDATE %s SET %s FROM unnest(' % (table, ', '.join(
            '%s = v.%s' % (n, n) for n in names[:-1]))
        # The rows found by their ids first: a generic plan does not know
        # how many rows unnest gives (it guesses 100) and may else join
        # them to a scan of the whole table.
        forms.tail = (') AS v(%s) WHERE %s.id = ANY($ids) AND %s.id = v._id'
                      ' RETURNING 1' % (', '.join(names), table, table))
    _forms_of[stmt] = forms
    return forms


_forms_of = {}


def _prepared(connection):
    """The statements prepared on ``connection``'s driver connection:
    ``{shape key: name}``, with the names used so far under None."""
    info = connection.connection.info
    found = info.get(_INFO_KEY)
    if found is None:
        found = info[_INFO_KEY] = {None: 0}
    return found


def statement(connection, jobs, commit, stale_mark):
    """The SQL string and the arguments running ``jobs`` (see
    ``writer._together``) as a prepared statement, and a function to call
    once it ran (or None); None when the connection has prepared all it
    may. ``stale_mark``: the text of the
    error of a count not matched (``writer._STALE_MARK``)."""
    prepared = _prepared(connection)
    key = (commit,) + tuple((stmt, stmt.is_insert) for stmt, _, _ in jobs)
    shape = _shapes.get(key)
    if shape is None:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        shape = _shapes[key] = _Shape(jobs, commit, stale_mark)
    name = prepared.get(key)
    if name is None:
        if prepared[None] >= MAX_NAMES:
            return None
        prepared[None] += 1
        name = 'mistral_w%d' % next(_names)
        sql = shape.prepare(name) + shape.execute(name)
        done = _Remember(prepared, key, name)
    else:
        sql = shape.execute(name)
        done = None
    columns = [column for _, params, _ in jobs for column in zip(*params)]
    return sql, tuple(map(operator.call, shape.encoders, columns)), done


# Arrays are sent as the text of an array (``{"a","b",NULL}``, one string
# the server reads with the array type's input function) where the values
# allow it simply: psycopg2's ``ARRAY[...]`` of one literal per value
# costs more to build here and to parse there. Any other value (a
# datetime with a time zone, a string with a NUL, which the driver
# refuses...) and the column goes as a list, adapted by the driver as the
# writer's literals are.

def _as_list(values):
    return list(values)


def _text_array(values):
    try:
        joined = '\x00'.join(values)
    except TypeError:  # a None, or not a string
        if values.count(None) == len(values):
            return '{%s}' % ','.join(['NULL'] * len(values))
        if not all(v is None or type(v) is str and '\x00' not in v
                   for v in values):
            return list(values)
        return '{%s}' % ','.join([
            'NULL' if v is None else '"%s"' % _escaped(v) for v in values])
    if joined.count('\x00') != len(values) - 1:
        return list(values)  # a NUL in a value
    if '"' in joined or '\\' in joined:
        joined = _escaped(joined)
    return '{"%s"}' % joined.replace('\x00', '","')


def _escaped(text):
    """``text`` as in a double-quoted element of an array's text."""
    return text.replace('\\', '\\\\').replace('"', '\\"')


def _timestamp_array(values):
    for v in values:
        if v is not None and (type(v) is not datetime.datetime
                              or v.tzinfo is not None):
            return list(values)
    return '{%s}' % ','.join(['NULL' if v is None else v.isoformat()
                              for v in values])


def _boolean_array(values):
    text = []
    for v in values:
        if v is True:
            text.append('t')
        elif v is False:
            text.append('f')
        elif v is None:
            text.append('NULL')
        else:
            return list(values)
    return '{%s}' % ','.join(text)


def _integer_array(values):
    if not all(v is None or type(v) is int for v in values):
        return list(values)
    return '{%s}' % ','.join(['NULL' if v is None else str(v)
                              for v in values])


_ENCODERS = {'text': _text_array,
             'TIMESTAMP WITHOUT TIME ZONE': _timestamp_array,
             'BOOLEAN': _boolean_array, 'INTEGER': _integer_array}


class _Remember:
    """Called once a ``PREPARE`` ran: its name is kept."""

    def __init__(self, prepared, key, name):
        self.prepared, self.key, self.name = prepared, key, name

    def __call__(self):
        self.prepared[self.key] = self.name


_shapes = {}
