"""List pages rendered straight from selected columns (the fast path).

A list request whose fields all come from the resource's own columns
selects just those columns, *as stored* (see
:func:`mistral_clone.db.query.list_rows` with ``raw=True``): JSON columns
arrive as their JSON text, undecoded, and SQLite dates as their text. Each
row then becomes its wire dict with one converter per column that needs
one — no ORM object, no attribute lookups, no date parsing:

* a JSON field shown as JSON *text* (``interface``, ``params``, ``input``
  of executions, ...; WIRE.md §4) is the stored text decoded and encoded
  again with the wire's separators. That conversion is a pure function of
  the stored text, so short texts are memoised by their text: whatever row
  or process wrote it, the same text always gives the same answer (no
  invalidation needed, and nothing keyed by row id that could go stale);
* a JSON column shown as a JSON value (``tags``) is decoded into a fresh
  object for every row (nothing is shared between responses; short lists
  of strings are memoised by their text and copied);
* a date is cut to ``YYYY-MM-DD HH:MM:SS`` from SQLite's stored text, or
  formatted from the ``datetime`` other databases return;
* a field's ``from_column`` function (``tags`` of tasks, ``description`` of
  action executions) is applied last.

The result is the same, field for field and in the same order, as
:meth:`mistral_clone.api.resources.Resource.render` of the ORM row
(tests/api/test_rows.py compares both for every field combination).
"""

import datetime
import json

from mistral_clone.api import resources as res
from mistral_clone.db import models
from mistral_clone.db import packing

# Memoised JSON texts: each at most MEMO_TEXT characters, and a memo
# holds at most MEMO_ENTRIES of them and MEMO_CHARS characters (keys and
# values); it is emptied when full. Plans are kept for at most PLANS field
# tuples per resource (``fields`` comes from the client: the cache is
# emptied when full). Worst case a few MB per API process.
MEMO_ENTRIES = 4096
MEMO_TEXT = 4096
MEMO_CHARS = 256 * 1024
PLANS = 32


class Plan(object):
    """How to select and render one resource's rows for one field tuple.

    ``columns``: what to select, in order: the rendered fields, then ``id``
    if it is not one of them (``next`` links need it). ``id_index``: where
    ``id`` is in a selected row."""

    __slots__ = ('names', 'columns', 'id_index', 'converters', 'render')

    def __init__(self, names, converters):
        self.names = tuple(names)
        self.columns = list(self.names)
        if 'id' not in self.columns:
            self.columns.append('id')
        self.id_index = self.columns.index('id')
        self.converters = tuple(converters)
        self.render = _renderer(self.names, dict(self.converters))


def _renderer(names, converters):
    """``render(rows)``: the rows' wire dicts, built by one list
    comprehension written for these fields (as ``collections.namedtuple``
    writes its classes): each key a literal, each value ``row[i]`` or its
    converter's result. Per row that is one dict display, where a generic
    loop copied the row, looped over the converters and zipped the names
    (half the CPU of rendering a 50-row page); dates are converted in
    the expression itself. The names are our resources' field names,
    checked to be identifiers."""
    items = []
    namespace = {}
    for i, name in enumerate(names):
        if not name.isidentifier():
            raise ValueError('not a field name: %r' % (name,))
        if converters.get(i) is date_text:
            # date_text's common cases inline (no call per date): None,
            # and SQLite's stored text cut to its first 19 characters.
            namespace['date_text'] = date_text
            items.append("%r: None if (v := r[%d]) is None else v[:19] if "
                         "v.__class__ is str and len(v) >= 19 and "
                         "v[10] == ' ' else date_text(v)" % (name, i))
        elif i in converters:
            namespace['c%d' % i] = converters[i]
            items.append('%r: c%d(r[%d])' % (name, i, i))
        else:
            items.append('%r: r[%d]' % (name, i))
    source = 'def render(rows):\n    return [{%s} for r in rows]\n' % (
        ', '.join(items))
    exec(source, namespace)  # noqa: S102 - literal names, see above
    return namespace['render']


def plan_for(resource, fields=None):
    """The :class:`Plan` of ``resource`` for ``fields`` (default: its
    default fields), or None when a field needs more than its own column."""
    names = tuple(fields) if fields else resource.default_fields
    cache = resource.__dict__.setdefault('_plans', {})
    try:
        return cache[names]
    except KeyError:
        pass
    plan = _compile(resource, names)
    if len(cache) >= PLANS:
        cache.clear()
    cache[names] = plan
    return plan


def _compile(resource, names):
    ordered = resource.ordered(names)
    converters = []
    for i, name in enumerate(ordered):
        f = resource.by_name.get(name)
        if f is None or not resource.is_selectable(name) or (
                f.from_column is not None and f.kind == res.DATE):
            return None
        convert = _converter(f, resource.model)
        if convert is not None:
            converters.append((i, convert))
    return Plan(ordered, converters)


def _converter(field, model):
    """One column's converter, or None when its stored value is sent as
    it is. The steps of ``Resource.render``: the column's value (decoded
    if JSON), then ``from_column``, then the field's kind."""
    column = getattr(model, field.name).property.columns[0]
    stored_json = isinstance(column.type, models.JsonEncoded)
    if field.from_column is None:
        if field.kind == res.DATE:
            return date_text
        if field.kind == res.JSON:
            if stored_json:
                return json_texts(field.empty)
            return lambda value, _e=field.empty: res.json_text(value, _e)
        return json_values() if stored_json else None
    steps = [json_values()] if stored_json else []
    steps.append(field.from_column)
    if field.kind == res.JSON:
        steps.append(lambda value, _e=field.empty: res.json_text(value, _e))

    def convert(value):
        for step in steps:
            value = step(value)
        return value
    return convert


def date_text(value):
    """``YYYY-MM-DD HH:MM:SS`` of a stored date (text or datetime)."""
    if value is None:
        return None
    if type(value) is str:
        if len(value) >= 19 and value[10] == ' ':
            return value[:19]
        value = datetime.datetime.fromisoformat(value)
    return res.fmt_date(value)


def json_values():
    """Stored JSON text -> its value, a fresh object each time. Short lists
    of strings (tags) are memoised by their text and handed out as copies
    (strings are immutable, so nothing is shared that could be changed);
    anything else is decoded every time."""
    memo = _Memo()

    def convert(text):
        if text is None:
            return None
        if type(text) is bytes:  # packed on SQLite (db/packing.py)
            return json.loads(packing.unpack(text))
        strings = memo.get(text)
        if strings is not None:
            return list(strings)
        value = json.loads(text)
        if type(value) is list and len(text) <= MEMO_TEXT and all(
                type(v) is str for v in value):
            memo.put(text, tuple(value), 2 * len(text))
        return value
    convert.memo = memo
    return convert


def json_texts(empty):
    """Stored JSON text -> the wire's JSON text (``empty`` for None)."""
    memo = _Memo()

    def convert(text):
        if text is None:
            return empty
        if type(text) is bytes:  # packed on SQLite (db/packing.py)
            return res.json_text(json.loads(packing.unpack(text)), empty)
        wire = memo.get(text)
        if wire is None:
            wire = res.json_text(json.loads(text), empty)
            if len(text) <= MEMO_TEXT:
                memo.put(text, wire, len(text) + len(wire))
        return wire
    convert.memo = memo
    return convert


class _Memo(dict):
    """A dict emptied when it reaches MEMO_ENTRIES entries or MEMO_CHARS
    characters (as counted by :meth:`put`)."""

    __slots__ = ('chars',)

    def __init__(self):
        super().__init__()
        self.chars = 0

    def put(self, key, value, chars):
        if len(self) >= MEMO_ENTRIES or self.chars + chars > MEMO_CHARS:
            self.clear()
            self.chars = 0
        self[key] = value
        self.chars += chars
