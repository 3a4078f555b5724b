"""The accept path of schema validation, compiled: ``jsonschema-rs``.

Why: validating with the ``jsonschema`` library made creating a workflow
about 5x slower than the hand-written validator it replaced. Measured with
``bench/lang_parse.py`` (CPU per parse of a new document, median):

======================  ============  ==========  ========================
document                hand-written  jsonschema  jsonschema-rs accepts,
                        (before)      alone       jsonschema explains
======================  ============  ==========  ========================
one task                0.05 ms       0.18 ms     0.05 ms
100-task chain          3.0 ms        15 ms       2.2 ms
100 tasks, expressions  8.8 ms        58 ms       5.6 ms
======================  ============  ==========  ========================

(the last column also has the YAML loader's scalar memo, 0.2-0.9 ms).

The profile was ~85% jsonschema (``descend``/``evolve``/``oneOf``, 0.1 to
0.5 ms per task); jsonschema-rs validates the 101 tasks of the last
document in 0.17 ms. So a compiled validator decides whether a
document is valid, and only when it says no does ``jsonschema`` validate
again and word the error: messages are exactly those of ``jsonschema``.

For that, jsonschema-rs must never accept what ``jsonschema`` refuses
(refusing more is harmless: ``jsonschema`` gets the last word). Both
implement the same keywords of the same draft; what differs:

* Regular expressions. jsonschema-rs reads ``pattern`` as ECMA 262 (``{{``
  is not a regex there, ``\\w`` is ASCII only), Python's ``re`` has its own
  ``\\w``/``\\s`` (Unicode, ``str.isalnum``/``str.isspace``) and its ``$``
  also matches before a final newline. :func:`translate` rewrites each
  pattern into the syntax both read the same way: ``\\w``, ``\\s``, ``\\S``
  become explicit character classes holding exactly the characters Python's
  ``re`` matches (listed once per process from ``re`` itself), ``.``
  becomes ``[^\\n]``, a final ``$`` becomes ``\\n?$``, literal braces are
  escaped. Anything else (lookahead, classes, backreferences...) is not
  translated, and that schema is validated by ``jsonschema`` alone.
* Values that are not JSON (YAML dates, binary, sets), keys that are not
  strings, strings with lone surrogates, integers beyond 64 bits (older
  releases): jsonschema-rs raises, and ``jsonschema`` decides.
* NaN and infinities are numbers to ``jsonschema``; jsonschema-rs takes
  them for no type at all (0.34, the last release for Python 3.9: for
  null). The language's schemas accept null only where they accept any
  number, their one ``not`` looks at a task mapping, and the branches of
  their ``oneOf`` that can both match are strings or mappings, never
  numbers: this can only refuse more.

``tests/lang/test_fastcheck.py`` compares both on the patterns character
by character and on whole documents.

The classes and the compiled validators are built at the first validation
in a process (about 65 ms of CPU, once: 50 for the classes, 15 to compile;
3.3 MB, and 2.6 MB for jsonschema-rs itself), not at import: processes
that only run stored definitions never validate.
"""

import collections
import re
import sys
import threading

_lock = threading.Lock()
_classes = {}


class Untranslatable(ValueError):
    """A pattern uses syntax :func:`translate` does not rewrite."""


_PLANE = 65536


def characters(plane):
    """The code points of one plane (``plane * 65536`` onwards), in order
    (surrogates stand as U+FFFD)."""
    raw = bytearray(4 * _PLANE)
    # Little-endian UTF-32, built a byte column at a time (a Python loop
    # over the code points costs ~0.3 s for all planes).
    raw[0::4] = bytes(range(256)) * 256
    raw[1::4] = b''.join(bytes([b]) * 256 for b in range(256))
    raw[2::4] = bytes([plane]) * _PLANE
    return bytes(raw).decode('utf-32-le', 'replace')


def all_characters():
    """Every code point in order (surrogates stand as U+FFFD)."""
    return ''.join(characters(plane)
                   for plane in range((sys.maxunicode + 1) // _PLANE))


def _spans(key):
    """``(start, stop)`` of the runs of code points ``re`` calls ``\\key``,
    found a plane at a time (a string of every code point at once would
    take ~13 MB of memory for a moment, in every process)."""
    spans = []
    pattern = re.compile('\\%s+' % key)
    for plane in range((sys.maxunicode + 1) // _PLANE):
        base = plane * _PLANE
        for m in pattern.finditer(characters(plane)):
            a, b = m.start() + base, m.end() + base
            if spans and spans[-1][1] == a:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
    return spans


def _class(name):
    """The body of a character class (no brackets) holding the characters
    of ``re``'s ``\\w`` (``name='w'``) or ``\\s`` (``'s'``)."""
    if not _classes:
        _classes.update({key: ''.join(
            chr(a) if a == b - 1 else '%s-%s' % (chr(a), chr(b - 1))
            for a, b in _spans(key)) for key in ('w', 's')})
    return _classes[name]


# Characters taken literally by Python's re, ECMA 262 and Rust's regex
# alike, and those all three take escaped with a backslash.
_LITERAL = frozenset(
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    '_ <>%=-,:')
_ESCAPED = frozenset('()[]{}.*+?|^$\\')
_QUANTIFIERS = frozenset('*+?')


def translate(pattern):
    """``pattern`` (Python ``re`` syntax) written so that ECMA 262 and
    Rust's regex match exactly the strings Python's ``re.search`` does.

    Raises :class:`Untranslatable` for syntax outside the small subset the
    language's schemas use.
    """
    out = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == '\\':
            if i + 1 >= n:
                raise Untranslatable(pattern)
            e = pattern[i + 1]
            if e in ('w', 's'):
                out.append('[%s]' % _class(e))
            elif e in ('W', 'S'):
                out.append('[^%s]' % _class(e.lower()))
            elif e in _ESCAPED:
                out.append('\\' + e)
            else:
                raise Untranslatable(pattern)
            i += 2
            continue
        if c == '.':
            out.append('[^\n]')
        elif c == '$':
            if i != n - 1:
                raise Untranslatable(pattern)
            # Python's $ also matches before a newline ending the string.
            out.append('\n?$')
        elif c == '^':
            out.append(c)
        elif c == '{':
            # A brace opens a repetition count only before a digit or a
            # comma in Python's re; else it is a literal (as in "{{").
            if i + 1 < n and (pattern[i + 1].isdigit()
                              or pattern[i + 1] == ','):
                raise Untranslatable(pattern)
            out.append('\\{')
        elif c == '}':
            out.append('\\}')
        elif c == '(':
            if pattern.startswith('(?', i):
                if not pattern.startswith('(?:', i):
                    raise Untranslatable(pattern)
                out.append('(?:')
                i += 3
                depth += 1
                continue
            out.append(c)
            depth += 1
        elif c == ')':
            depth -= 1
            if depth < 0:
                raise Untranslatable(pattern)
            out.append(c)
        elif c in _QUANTIFIERS or c == '|':
            out.append(c)
        elif c in _LITERAL:
            out.append(c)
        else:
            raise Untranslatable(pattern)
        i += 1
    if depth:
        raise Untranslatable(pattern)
    return ''.join(out)


# Keywords whose value is one schema, a list of schemas or a mapping of
# names to schemas, and keywords that hold no schema. A schema using any
# other keyword is not translated (jsonschema validates it alone).
_ONE_SCHEMA = frozenset(('items', 'additionalProperties', 'not'))
_SCHEMA_LIST = frozenset(('anyOf', 'oneOf', 'allOf'))
_SCHEMA_MAP = frozenset(('properties', 'definitions', '$defs'))
_PLAIN = frozenset((
    'type', 'enum', 'const', 'required', 'minLength', 'maxLength',
    'minimum', 'maximum', 'minItems', 'maxItems', 'uniqueItems',
    'minProperties', 'maxProperties', 'description', 'title'))


def _has_pattern(schema):
    if isinstance(schema, dict):
        return ('pattern' in schema or 'patternProperties' in schema or
                any(_has_pattern(v) for v in schema.values()))
    if isinstance(schema, list):
        return any(_has_pattern(v) for v in schema)
    return False


class _Translation(object):
    """``schema`` for jsonschema-rs: patterns translated, and each
    sub-schema with a pattern that ``schema`` uses in several places (the
    same dict) written once, under ``$defs``, and referred to. The task
    schema holds 200 patterns, mostly copies of the clause and expression
    sub-schemas, and jsonschema-rs compiles every copy: all the language's
    validators took 32 ms and 18.5 MB of memory, now 13 ms and 3.3 MB."""

    def __init__(self, schema):
        self._uses = collections.Counter()
        self._count(schema)
        self._defs = {}
        self._names = {}
        self.result = self._schema(schema)
        if self._defs:
            if '$defs' in self.result:
                raise Untranslatable('$defs')
            self.result['$defs'] = self._defs

    def _count(self, value):
        if isinstance(value, dict):
            self._uses[id(value)] += 1
            if self._uses[id(value)] > 1:
                return
            value = list(value.values())
        if isinstance(value, list):
            for item in value:
                self._count(item)

    def _sub(self, schema):
        if not (isinstance(schema, dict) and self._uses[id(schema)] > 1
                and _has_pattern(schema)):
            return self._schema(schema)
        name = self._names.get(id(schema))
        if name is None:
            name = self._names[id(schema)] = 'shared%d' % len(self._names)
            self._defs[name] = self._schema(schema)
        return {'$ref': '#/$defs/' + name}

    def _schema(self, schema):
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, dict):
            raise Untranslatable(repr(schema))
        result = {}
        for key, value in schema.items():
            if key == 'pattern':
                value = translate(value)
            elif key == 'patternProperties':
                value = {translate(p): self._sub(s)
                         for p, s in value.items()}
            elif key in _ONE_SCHEMA:
                value = self._sub(value)
            elif key in _SCHEMA_LIST:
                value = [self._sub(s) for s in value]
            elif key in _SCHEMA_MAP:
                value = {k: self._sub(s) for k, s in value.items()}
            elif key not in _PLAIN:
                raise Untranslatable(key)
            result[key] = value
        return result


def _translate_schema(schema):
    """A copy of ``schema`` for jsonschema-rs (see :class:`_Translation`)."""
    return _Translation(schema).result


class FastCheck(object):
    """``accepts(instance)``: True only if ``schema`` accepts ``instance``;
    False when it does not, or when that is for ``jsonschema`` to say."""

    def __init__(self, schema):
        self._schema = schema
        self._validator = None
        self._compiled = False

    def _compile(self):
        # Imported here, not at the top: 2.6 MB and ~25 ms that processes
        # which never validate (engines, executors) need not pay.
        import jsonschema_rs
        with _lock:
            if not self._compiled:
                try:
                    self._validator = jsonschema_rs.Draft202012Validator(
                        _translate_schema(self._schema))
                except Untranslatable:
                    self._validator = None
                self._compiled = True
        return self._validator

    def accepts(self, instance):
        validator = self._validator
        if validator is None:
            if self._compiled:
                return False
            validator = self._compile()
            if validator is None:
                return False
        try:
            return validator.is_valid(instance)
        except Exception:
            # Not JSON (a date, a set, a non-string key...): jsonschema
            # decides. What jsonschema-rs raises differs between releases
            # (ValueError; a SystemError around a UnicodeEncodeError).
            return False
