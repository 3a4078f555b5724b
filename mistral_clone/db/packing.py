"""Large JSON values stored compressed on SQLite.

SQLite keeps a row in one record: every INSERT or UPDATE of a row builds
the whole record in memory, beside SQLite's own copy of each bound value
(pysqlite binds with ``SQLITE_TRANSIENT``), and an UPDATE of any column
reads the old record back first. With JSON texts of several MB this is the
largest cost of an engine transaction: measured in the 10 MB chains of
bench/ (RSS read before and VmHWM after each statement),
``UPDATE task_executions SET published=?`` on a row already holding a
9.6 MB ``in_context`` took +34-36 MB inside SQLite, an INSERT of one such
value +17-18 MB, whatever the Python side did.

PostgreSQL compresses such values out of line by itself (TOAST), and
InnoDB keeps them off-page: neither rewrites a large value that an UPDATE
does not change. On SQLite, :class:`~mistral_clone.db.models.JsonEncoded`
stores a JSON text of :data:`PACK_FROM_CHARS` characters or more as its
zlib-compressed UTF-8 (level 1: the records of bench/ shrink ~7.5x, and
compressing costs ~3 ms per MB of text, less than SQLite saves writing
and reading the uncompressed pages). SQLite keeps such a value as a BLOB
in the column (its TEXT affinity leaves BLOBs alone); reading it back
gives bytes, which :func:`stored_text` turns into the JSON text again.
Shorter values, and every value on other databases, are stored as text, as
before; both forms can sit in one column (a database written before this
change reads the same).

Where SQL compares the stored text (the JSON filters of ``db/query.py``),
:class:`JsonText` reads a packed value through the ``mc_json_text`` SQL
function that :func:`register` adds to every SQLite connection.
"""

import zlib

import sqlalchemy as sa
from sqlalchemy.ext import compiler

# JSON texts from this many characters on are packed (SQLite only).
PACK_FROM_CHARS = 256 << 10
# Characters compressed at a time: the text's UTF-8 is never whole.
_CHUNK = 1 << 20
_LEVEL = 1


def pack(text):
    """The zlib-compressed UTF-8 of ``text`` (bytes)."""
    packer = zlib.compressobj(_LEVEL)
    parts = [packer.compress(text[i:i + _CHUNK].encode('utf-8'))
             for i in range(0, len(text), _CHUNK)]
    parts.append(packer.flush())
    return b''.join(parts)


def unpack(data):
    """The JSON text that :func:`pack` compressed."""
    return zlib.decompress(data).decode('utf-8')


def stored_text(value):
    """A JSON column's stored value as its JSON text (None stays None)."""
    if type(value) is bytes:
        return unpack(value)
    return value


def register(dbapi_conn):
    """Add ``mc_json_text(value)`` (:func:`stored_text`) to a SQLite
    connection."""
    dbapi_conn.create_function('mc_json_text', 1, stored_text,
                               deterministic=True)


class JsonText(sa.sql.expression.FunctionElement):
    """A JSON column's JSON text in SQL: the column itself, except on
    SQLite where a packed (BLOB) value is unpacked first."""

    type = sa.Text()
    inherit_cache = True
    name = 'json_text'


@compiler.compiles(JsonText)
def _json_text(element, sql_compiler, **kw):
    return sql_compiler.process(list(element.clauses)[0], **kw)


@compiler.compiles(JsonText, 'sqlite')
def _json_text_sqlite(element, sql_compiler, **kw):
    column = sql_compiler.process(list(element.clauses)[0], **kw)
    return ("CASE WHEN typeof(%s) = 'blob' THEN mc_json_text(%s) ELSE %s "
            "END" % (column, column, column))
