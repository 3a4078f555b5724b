"""The accept path of schema validation: each schema compiled once into
Python source (a function per sub-schema) that answers "valid or not" and
nothing else.

Why: validating with the ``jsonschema`` library made creating a workflow
about 5x slower than the hand-written validator it replaced (its profile
was ~85% ``descend``/``evolve``/``oneOf``: building an error object for
every branch of every ``oneOf`` it tried, 0.1 to 0.5 ms per task). So a
compiled check decides whether a document is valid, and only when it says
no does ``jsonschema`` validate again and word the error: messages are
exactly those of ``jsonschema``.

The compiled check was ``jsonschema-rs`` until issue 14's memory round:
its 14.8 MB library put ~7 MB of code pages (and ~2 MB of compiled
schemas) into the RSS of every API worker that validated a definition
(95 MB against the 80 MB target). These functions cost ~0.3 MB. Written
as closures calling closures they cost CPU (a 100-task chain 2.9 -> 4.0
ms per parse, 100 tasks with expressions 7.9 -> 11.9 ms); as generated
source they are within ~0.1 / ~0.5 ms of ``jsonschema-rs``
(``bench/RESULTS.md``, issue 14, helper fastcheck2): a ``oneOf`` tries
only the branches that accept the kind of value at hand, checks made of
straight conditions are inlined where they are used, pattern searches
are remembered for short texts (:class:`_Search`), and no walk of the
whole document looks for keys that are no strings (:func:`_keys`).

The check must answer exactly as ``jsonschema``'s validator for the
schema's draft (2020-12: the language's schemas name none) does, on any
value a YAML or JSON document holds: the code follows ``jsonschema``'s
keyword functions and type checker one for one (``re`` for patterns, as
``jsonschema`` does; ``bool`` is no integer nor number; an integral float
is an integer; ``enum``, ``const`` and ``uniqueItems`` compare as
``jsonschema``'s ``equal``, which tells ``True`` from ``1``). A schema
using a keyword not handled here is not compiled and ``jsonschema``
validates it alone. A key that is no string raises where a pattern meets
it (``jsonschema`` raises there too), and where a branch that searches
keys was not followed to its end (a ``oneOf`` or ``anyOf`` branch that
failed early, the schema of a ``not``: ``jsonschema`` may have gone on to
the pattern) the value is walked for such keys: raising leaves the
verdict to ``jsonschema``. ``tests/lang/test_fastcheck.py`` compares both
on every keyword, on such keys and on thousands of generated documents.

Compiled at the first validation in a process, not at import: engines and
executors never validate.
"""

import re
import threading

from mistral_clone.lang.jsonvalues import equal
from mistral_clone.lang.jsonvalues import is_integer as _is_integer
from mistral_clone.lang.jsonvalues import is_number as _is_number
from mistral_clone.lang.jsonvalues import unique

_lock = threading.Lock()


class Uncompiled(ValueError):
    """A schema uses a keyword this module does not compile."""


# Keywords that hold no constraint.
_ANNOTATIONS = frozenset(('description', 'title', 'definitions', '$defs'))


# The type names of JSON schema.
_TYPES = frozenset(('array', 'boolean', 'integer', 'null', 'number',
                    'object', 'string'))


class _Search(dict):
    """``memo[text]``: does ``pattern`` match in ``text``, remembered for
    short texts (names and expressions repeat within a document and between
    documents). A key that is no string raises, as ``re`` does."""

    __slots__ = ('_search',)

    SHORT = 80
    MAX = 512

    def __init__(self, pattern):
        super().__init__()
        self._search = re.compile(pattern).search

    def __missing__(self, text):
        found = self._search(text) is not None
        if len(text) <= self.SHORT and len(self) < self.MAX:
            self[text] = found
        return found


def _true(x):
    return True


def _false(x):
    return False


# What generated code refers to besides its constants.
def _keys(x):
    """Raises (jsonschema decides) when ``x`` holds a key that is no
    string: called where a branch that searches keys with a pattern was
    not followed to its end (a missed ``oneOf``/``anyOf`` branch, the
    schema of a ``not``), where ``jsonschema`` may raise."""
    if isinstance(x, (dict, list)) and not _string_keys(x):
        raise TypeError('a key that is no string')


_GLOBALS = {'equal': equal, 'unique': unique, '_is_number': _is_number,
            '_is_integer': _is_integer, '_true': _true, '_false': _false,
            '_keys': _keys}

# Class names generated code may use in isinstance.
_CLASS_NAMES = {'array': 'list', 'boolean': 'bool', 'null': 'NoneType',
                'object': 'dict', 'string': 'str'}
_GLOBALS['NoneType'] = type(None)


# A line of a check that can be an expression: a condition on x alone (no
# loop, no comprehension with variables of its own, no string literal
# where x could be renamed).
_SIMPLE = re.compile(r'''^if ((?:(?! for )[^'"])*): return False$''')


def _subschemas(schema):
    for key in ('anyOf', 'oneOf', 'allOf'):
        yield from schema.get(key, ())
    for key in ('not', 'items', 'additionalProperties'):
        if key in schema:
            yield schema[key]
    for key in ('properties', 'patternProperties'):
        yield from schema.get(key, {}).values()


# The kinds of value a oneOf can tell apart with one test, in the order
# tested (bool before numbers: it is an int to Python, no number to JSON).
_KINDS = (('str', 'isinstance(x, str)'), ('dict', 'isinstance(x, dict)'),
          ('list', 'isinstance(x, list)'), ('bool', 'isinstance(x, bool)'),
          ('null', 'x is None'), ('num', '_is_number(x)'))
_KIND_OF_TYPE = {'string': 'str', 'object': 'dict', 'array': 'list',
                 'boolean': 'bool', 'null': 'null', 'integer': 'num',
                 'number': 'num'}


def _kind_of_value(value):
    for kind, cls in (('bool', bool), ('str', str), ('dict', dict),
                      ('list', list)):
        if isinstance(value, cls):
            return kind
    if value is None:
        return 'null'
    return 'num' if _is_number(value) else None


def _type_test(names):
    """Source of an expression on ``x``: its type is one of ``names``."""
    if any(n not in _TYPES for n in names):
        raise Uncompiled('type %r' % (names,))
    classes = [_CLASS_NAMES[n] for n in names if n in _CLASS_NAMES]
    tests = []
    if len(classes) == 1:
        tests.append('isinstance(x, %s)' % classes[0])
    elif classes:
        tests.append('isinstance(x, (%s))' % ', '.join(classes))
    # An integer is a number; bool is neither.
    if 'number' in names:
        tests.append('_is_number(x)')
    elif 'integer' in names:
        tests.append('_is_integer(x)')
    return ' or '.join(tests)


def _only_type(schema):
    """The type names of a schema that says nothing but its type."""
    if isinstance(schema, dict) and set(schema) - _ANNOTATIONS == {'type'}:
        names = schema['type']
        return [names] if isinstance(names, str) else list(names)
    return None


class _Compiler(object):
    """Compiles a schema into Python source, one function per sub-schema
    (a sub-schema used in several places, the same dict: the task schema's
    clause and expression schemas, once), executed once: the checks run
    as straight-line code, not closures calling closures."""

    def __init__(self):
        self._done = {}
        self._searching = {}
        self._inline = {'_true': 'True', '_false': 'False'}
        self._lines = []
        self._env = dict(_GLOBALS)

    def compile(self, schema):
        name = self._function(schema)
        source = '\n'.join(self._lines)
        self._lines = []
        exec(compile(source, '<fastcheck>', 'exec'), self._env)
        return self._env[name]

    def _searches_keys(self, schema):
        """True when ``schema`` (or a sub-schema) matches a pattern
        against keys: where ``jsonschema`` raises on a key that is no
        string."""
        if not isinstance(schema, dict):
            return False
        found = self._searching.get(id(schema))
        if found is None:
            found = bool(schema.get('patternProperties')) or any(
                self._searches_keys(sub) for sub in _subschemas(schema))
            self._searching[id(schema)] = found
        return found

    def _call(self, schema, var='x'):
        """Source of an expression: ``schema`` accepts ``var``."""
        name = self._function(schema)
        expression = self._inline.get(name)
        if expression is None:
            return '%s(%s)' % (name, var)
        return '(%s)' % re.sub(r'\bx\b', var, expression)

    def _reaches_keys(self, schema, kind):
        """Whether ``jsonschema`` may search keys with a pattern when it
        validates a value of ``kind`` against ``schema``: its keywords for
        objects and arrays pass over other values, whatever ``type``
        says."""
        if not isinstance(schema, dict):
            return False
        if kind == 'dict' and self._searches_keys(schema):
            return True
        if kind == 'list' and 'items' in schema and self._searches_keys(
                schema['items']):
            return True
        subs = list(schema.get('anyOf', ())) + list(
            schema.get('oneOf', ())) + list(schema.get('allOf', ()))
        if 'not' in schema:
            subs.append(schema['not'])
        return any(self._reaches_keys(sub, kind) for sub in subs)

    def _kinds(self, schema):
        """The kinds of value (:data:`_KINDS`) ``schema`` can accept,
        None when that is more than those (anything)."""
        if schema is True or not isinstance(schema, dict):
            return None
        kinds = None
        if 'type' in schema:
            names = _only_type({'type': schema['type']})
            if any(n not in _TYPES for n in names):
                return None
            kinds = frozenset(_KIND_OF_TYPE[n] for n in names)
        for key in ('enum', 'const'):
            if key in schema:
                values = schema[key] if key == 'enum' else [schema[key]]
                found = frozenset(_kind_of_value(v) for v in values)
                if None not in found:
                    kinds = found if kinds is None else kinds & found
        for key in ('oneOf', 'anyOf'):
            if schema.get(key):
                branches = [self._kinds(s) for s in schema[key]]
                if None not in branches:
                    found = frozenset().union(*branches)
                    kinds = found if kinds is None else kinds & found
        for sub in schema.get('allOf', ()):
            found = self._kinds(sub)
            if found is not None:
                kinds = found if kinds is None else kinds & found
        return kinds

    def _const(self, value):
        name = '_c%d' % len(self._env)
        self._env[name] = value
        return name

    def _function(self, schema):
        if schema is True:
            return '_true'
        if schema is False:
            return '_false'
        if not isinstance(schema, dict):
            raise Uncompiled(repr(schema))
        found = self._done.get(id(schema))
        if found is not None:
            return found[1]
        name = '_s%d' % len(self._done)
        # The schema is kept: its id stays its own.
        self._done[id(schema)] = (schema, name)
        body = self._body(schema)
        conditions = [_SIMPLE.match(line) for line in body]
        if all(conditions):
            # Straight conditions on x: also inlined where it is used.
            expression = ' and '.join(
                'not (%s)' % c.group(1) for c in conditions) or 'True'
            if len(expression) <= 300:
                self._inline[name] = expression
        self._lines.append('def %s(x):' % name)
        self._lines.extend('    ' + line for line in body)
        self._lines.append('    return True')
        return name

    def _body(self, schema):
        out = []
        handled = set(_ANNOTATIONS)
        known = None
        if 'type' in schema:
            handled.add('type')
            names = _only_type({'type': schema['type']})
            out.append('if not (%s): return False' % _type_test(names))
            if len(names) == 1:
                known = _CLASS_NAMES.get(names[0])
        for key in ('enum', 'const'):
            if key in schema:
                handled.add(key)
                self._enum(schema[key] if key == 'enum' else [schema[key]],
                           out)
        if 'anyOf' in schema:
            handled.add('anyOf')
            self._any_of(schema['anyOf'], out)
        if 'oneOf' in schema:
            handled.add('oneOf')
            self._one_of(schema['oneOf'], out)
        if 'allOf' in schema:
            handled.add('allOf')
            for sub in schema['allOf']:
                out.append('if not %s: return False' % self._call(sub))
        if 'not' in schema:
            handled.add('not')
            out.append('if %s: return False' % self._call(schema['not']))
            if self._searches_keys(schema['not']):
                out.append('_keys(x)')
        for cls, part in (('str', self._strings), ('list', self._arrays),
                          ('dict', self._objects), (None, self._numbers)):
            lines = part(schema, handled)
            if not lines:
                continue
            if cls is not None and cls == known:
                out.extend(lines)
            else:
                out.append('if %s:' % ('isinstance(x, %s)' % cls if cls
                                       else '_is_number(x)'))
                out.extend('    ' + line for line in lines)
        unknown = set(schema) - handled
        if unknown:
            raise Uncompiled(', '.join(sorted(unknown)))
        return out

    def _enum(self, values, out):
        values = tuple(values)
        generic = 'any(equal(v, x) for v in %s)' % self._const(values)
        if values and all(type(v) is str for v in values):
            # equal() of a string is ==: a set answers for a string.
            out.append('if not (x in %s if type(x) is str else %s): '
                       'return False' % (self._const(frozenset(values)),
                                         generic))
        else:
            out.append('if not %s: return False' % generic)

    def _any_of(self, subs, out):
        names = [_only_type(s) for s in subs]
        if subs and all(names):
            # Types only (ANY): one test of their union.
            union = []
            for n in names:
                union.extend(t for t in n if t not in union)
            out.append('if not (%s): return False' % _type_test(union))
            return
        calls = ' or '.join(self._call(s) for s in subs)
        out.append('if not (%s): return False' % (calls or 'False'))
        if any(self._searches_keys(s) for s in subs[:-1]):
            out.append('_keys(x)')

    def _one_of(self, subs, out):
        functions = [self._call(s) for s in subs]
        kinds = [self._kinds(s) for s in subs]
        if len(subs) > 1 and None not in kinds:
            self._one_of_by_kind(subs, functions, kinds, out)
            return
        if len(functions) == 2:
            out.append('if %s is %s: return False' % tuple(functions))
        else:
            out.append('if (%s) != 1: return False' % (
                ' + '.join(functions) or '0'))
        if any(self._searches_keys(s) for s in subs):
            out.append('_keys(x)')

    def _one_of_by_kind(self, subs, functions, kinds, out):
        """A oneOf whose branches each accept some kinds of value only:
        for the kind of x, only the branches that accept it are tried
        (the others fail on their type in jsonschema too)."""
        first = True
        for kind, test in _KINDS:
            tried = [i for i, k in enumerate(kinds) if kind in k]
            if not tried:
                continue
            out.append('%s %s:' % ('if' if first else 'elif', test))
            first = False
            calls = [functions[i] for i in tried]
            if len(calls) == 1:
                out.append('    if not %s: return False' % calls[0])
            elif len(calls) == 2:
                out.append('    if %s is %s: return False' % tuple(calls))
            else:
                out.append('    if (%s) != 1: return False'
                           % ' + '.join(calls))
            # A branch that searches keys and was not followed to its end.
            missed = [i for i in range(len(subs)) if not (
                len(tried) == 1 and i == tried[0])]
            if kind in ('dict', 'list') and any(
                    self._reaches_keys(subs[i], kind) for i in missed):
                out.append('    _keys(x)')
        # Another value (a tuple, a date: no JSON): every branch is tried,
        # as jsonschema does (enum's equality takes a tuple for a list).
        rest = ['if (%s) != 1: return False' % ' + '.join(functions),
                '_keys(x)']
        if first:
            out.extend(rest)
        else:
            out.append('else:')
            out.extend('    ' + line for line in rest)

    @staticmethod
    def _sizes(schema, handled, low_key, high_key):
        """``minLength``/``maxLength`` and their like: bounds of len()."""
        out = []
        if low_key in schema:
            handled.add(low_key)
            out.append('if len(x) < %r: return False' % (schema[low_key],))
        if high_key in schema:
            handled.add(high_key)
            out.append('if len(x) > %r: return False' % (schema[high_key],))
        return out

    def _bound(self, value):
        return repr(value) if type(value) in (int, float) and (
            value == value and abs(value) != float('inf')) \
            else self._const(value)

    def _strings(self, schema, handled):
        out = self._sizes(schema, handled, 'minLength', 'maxLength')
        if 'pattern' in schema:
            handled.add('pattern')
            out.append('if not %s[x]: return False' % self._const(
                _Search(schema['pattern'])))
        return out

    def _numbers(self, schema, handled):
        out = []
        if 'minimum' in schema:
            handled.add('minimum')
            out.append('if x < %s: return False' % self._bound(
                schema['minimum']))
        if 'maximum' in schema:
            handled.add('maximum')
            out.append('if x > %s: return False' % self._bound(
                schema['maximum']))
        return out

    def _arrays(self, schema, handled):
        out = self._sizes(schema, handled, 'minItems', 'maxItems')
        if 'items' in schema:
            handled.add('items')
            if schema['items'] is not True:
                out.append('for i in x:')
                out.append('    if not %s: return False' % self._call(
                    schema['items'], 'i'))
        if 'uniqueItems' in schema:
            handled.add('uniqueItems')
            if schema['uniqueItems']:
                out.append('if not unique(x): return False')
        return out

    def _objects(self, schema, handled):
        out = self._sizes(schema, handled, 'minProperties', 'maxProperties')
        if 'required' in schema:
            handled.add('required')
            for name in schema['required']:
                out.append('if %s not in x: return False' % (
                    repr(name) if type(name) is str else self._const(name)))
        props = schema.get('properties', {})
        pattern_props = schema.get('patternProperties', {})
        loop = []
        if 'properties' in schema:
            handled.add('properties')
            named = {k: self._function(s) for k, s in props.items()}
            # The functions themselves, by name, once the source has run.
            table = self._const(named)
            self._lines.append('%s = {k: globals()[f] for k, f in %s.items()}'
                               % (table, table))
            loop.append('f = %s.get(k)' % table)
            loop.append('if f is not None and not f(v): return False')
        if 'patternProperties' in schema:
            handled.add('patternProperties')
            for pattern, sub in pattern_props.items():
                search = self._const(_Search(pattern))
                # Searched even for a schema that accepts anything:
                # jsonschema raises on a key that is no string.
                loop.append('if %s[k] and not %s: return False' % (
                    search, self._call(sub, 'v')))
        if 'additionalProperties' in schema:
            handled.add('additionalProperties')
            self._additional(schema['additionalProperties'], props,
                             pattern_props, loop)
        if loop:
            out.append('for k, v in x.items():')
            out.extend('    ' + line for line in loop)
        return out

    def _additional(self, schema, props, pattern_props, loop):
        if schema is True:
            return
        if not (schema is False or isinstance(schema, dict)):
            raise Uncompiled('additionalProperties %r' % (schema,))
        extra = 'f is None' if props else 'True'
        # jsonschema joins the patterns with "|" and searches once.
        joined = '|'.join(pattern_props)
        if joined:
            extra += ' and not %s[k]' % self._const(_Search(joined))
        if schema is False and loop and loop[-1] == (
                'if f is not None and not f(v): return False'):
            # Named or refused.
            loop[-1] = 'if f is None or not f(v): return False'
        elif schema is False:
            loop.append('if %s: return False' % extra)
        else:
            loop.append('if %s and not %s: return False' % (
                extra, self._call(schema, 'v')))


def _string_keys(value):
    """True when every mapping in ``value`` has string keys only (see
    :func:`_keys`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return False
            if isinstance(item, (dict, list)) and not _string_keys(item):
                return False
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and not _string_keys(item):
                return False
    return True


def compile_schema(schema):
    """A function ``check(instance) -> bool`` answering as ``jsonschema``'s
    validator of ``schema`` (2020-12) would; :class:`Uncompiled` when
    ``schema`` uses a keyword this module does not handle."""
    return _Compiler().compile(schema)


class FastCheck(object):
    """``accepts(instance)``: True only if ``schema`` accepts ``instance``;
    False when it does not, or when that is for ``jsonschema`` to say."""

    def __init__(self, schema):
        self._schema = schema
        self._check = None
        self._compiled = False

    def _compile(self):
        with _lock:
            if not self._compiled:
                try:
                    self._check = compile_schema(self._schema)
                except Uncompiled:
                    self._check = None
                self._compiled = True
        return self._check

    def accepts(self, instance):
        check = self._check
        if check is None:
            if self._compiled:
                return False
            check = self._compile()
            if check is None:
                return False
        try:
            return bool(check(instance))
        except Exception:
            # Something jsonschema raises on too, or decides otherwise
            # (a key that is no string where a pattern looks): jsonschema
            # decides.
            return False
