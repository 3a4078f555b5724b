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

A large value (:func:`encoded`: a list or dict of more than
:data:`_SLICE` items, within a few levels) is never a whole JSON text in
memory: its text is made a slice of items at a time, the same text
``encode`` makes of the whole, and compressed a megabyte at a time. (The
10 MB chains of bench/ held each 9.6 MB text beside the chain's objects
at every write of a task or action row: their peaks.)

Where SQL compares the stored text (the JSON filters of ``db/query.py``),
:class:`JsonText` reads a packed value through the ``mc_json_text`` SQL
function that :func:`register` adds to every SQLite connection.
"""

import itertools
import json
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


# Lists and dicts of more than this many items are encoded a slice at a
# time; those of fewer, one item at a time if some item inside is such a
# large list or dict (up to _DEPTH levels down); anything else in one piece.
_SLICE = 512
_DEPTH = 8


def encoded(value, encode):
    """What SQLite stores of ``value``: ``encode(value)`` (its JSON text),
    or :func:`pack` of that text when it has :data:`PACK_FROM_CHARS`
    characters or more. A large value's text is encoded and compressed a
    piece at a time (:func:`json_pieces`): the same bytes come out of
    :func:`unpack`, without the whole text in memory at any moment."""
    if not _large(value, 0):
        text = encode(value)
        return pack(text) if len(text) >= PACK_FROM_CHARS else text
    packer, out, parts, held = None, [], [], 0
    for piece in json_pieces(value, encode):
        parts.append(piece)
        held += len(piece)
        if held >= _CHUNK:  # _CHUNK >= PACK_FROM_CHARS: it will be packed
            if packer is None:
                packer = zlib.compressobj(_LEVEL)
            out.append(packer.compress(''.join(parts).encode('utf-8')))
            parts, held = [], 0
    if packer is None:
        text = ''.join(parts)
        return pack(text) if len(text) >= PACK_FROM_CHARS else text
    out.append(packer.compress(''.join(parts).encode('utf-8')))
    del parts
    out.append(packer.flush())
    return b''.join(out)


def _large(value, depth):
    """Whether ``value`` holds (or is) a list or dict of more than
    :data:`_SLICE` items, reached through smaller lists and dicts."""
    t = type(value)
    if t is dict:
        items = value.values()
    elif t is list or t is tuple:
        items = value
    else:
        return False
    if len(items) > _SLICE:
        return True
    if depth >= _DEPTH:
        return False
    for item in items:
        ti = type(item)
        if (ti is dict or ti is list or ti is tuple) and \
                _large(item, depth + 1):
            return True
    return False


def slices(value, size):
    """A list's (or tuple's) items, or a dict's, ``size`` at a time: lists
    (dicts) of them, in order."""
    n = len(value)
    if type(value) is dict:
        items = iter(value.items())
        return (dict(itertools.islice(items, size))
                for _ in range(0, n, size))
    return (list(value[i:i + size]) for i in range(0, n, size))


def json_pieces(value, encode, depth=0):
    """Pieces of ``encode(value)``, in order (their concatenation is that
    text), for ``encode`` a compact JSON encoder (separators ``,`` and
    ``:``): a large list or dict a slice of :data:`_SLICE` items at a time,
    a smaller one holding such a value an item at a time."""
    t = type(value)
    if depth >= _DEPTH or not (t is dict or t is list or t is tuple):
        yield encode(value)
        return
    if len(value) > _SLICE:
        # Each slice's text less its brackets, ',' between slices.
        yield '{' if t is dict else '['
        for i, part in enumerate(slices(value, _SLICE)):
            text = encode(part)
            yield text[1:-1] if not i else ',' + text[1:-1]
        yield '}' if t is dict else ']'
        return
    if not _large(value, depth) or (
            t is dict and not all(type(k) is str for k in value)):
        yield encode(value)
        return
    if t is dict:
        yield '{'
        for i, (key, item) in enumerate(value.items()):
            yield ('%s:' if not i else ',%s:') % encode(key)
            yield from json_pieces(item, encode, depth + 1)
        yield '}'
    else:
        yield '['
        for i, item in enumerate(value):
            if i:
                yield ','
            yield from json_pieces(item, encode, depth + 1)
        yield ']'


# Strings of at most this many characters that a large JSON text repeats
# (states, kinds, groups, tags...) are kept once by :func:`loads`:
# json.loads makes a new string for every occurrence (~50 bytes each; its
# keys it already shares). The first _SHARED_MAX distinct ones are
# remembered.
_SHARED_CHARS = 32
_SHARED_MAX = 1 << 14


def loads(text):
    """``json.loads(text)``, keeping equal short strings one object (in
    an object's values, and in lists that are such values): strings are
    immutable, so nothing else can tell. For large texts: bench/'s 9.6 MB
    of records parse into 32 MB of objects instead of 40 MB, for ~70 ms
    more."""
    memo = {}
    get = memo.get

    def shared(s):
        kept = get(s)
        if kept is None:
            if len(memo) < _SHARED_MAX:
                memo[s] = s
            return s
        return kept

    def pairs_hook(pairs):
        obj = {}
        for key, value in pairs:
            t = type(value)
            if t is str:
                if len(value) <= _SHARED_CHARS:
                    value = shared(value)
            elif t is list:
                for i, item in enumerate(value):
                    if type(item) is str and len(item) <= _SHARED_CHARS:
                        value[i] = shared(item)
            obj[key] = value
        return obj

    return json.loads(text, object_pairs_hook=pairs_hook)


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
