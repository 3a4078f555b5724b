"""The accept path of schema validation: each schema compiled once into
small Python functions that answer "valid or not" and nothing else.

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
(95 MB against the 80 MB target). These functions cost ~0.3 MB; in CPU
per parse of a new document (``bench/lang_parse.py``, median, alternating
runs on a loaded machine) one task 0.08 -> 0.10 ms, a 100-task chain 2.9
-> 4.0 ms, 100 tasks with expressions 7.9 -> 11.9 ms (``jsonschema`` alone
took 15 and 58 ms for the last two).

The check must answer exactly as ``jsonschema``'s validator for the
schema's draft (2020-12: the language's schemas name none) does, on any
value a YAML or JSON document holds: the functions below follow
``jsonschema``'s keyword functions and type checker one for one (``re``
for patterns, as ``jsonschema`` does; ``bool`` is no integer nor number;
an integral float is an integer; ``enum``, ``const`` and ``uniqueItems``
compare as ``jsonschema``'s ``equal``, which tells ``True`` from ``1``).
A schema using a keyword not handled here is not compiled and
``jsonschema`` validates it alone; a value the functions cannot look at
(a key that is no string where a pattern looks) raises, and
``jsonschema`` decides as well. ``tests/lang/test_fastcheck.py`` compares
both on every keyword and on thousands of generated documents.

Compiled at the first validation in a process, not at import: engines and
executors never validate.
"""

from collections.abc import Mapping
from collections.abc import Sequence
import numbers
import re
import threading

_lock = threading.Lock()


class Uncompiled(ValueError):
    """A schema uses a keyword this module does not compile."""


# Keywords that hold no constraint.
_ANNOTATIONS = frozenset(('description', 'title', 'definitions', '$defs'))


def _is_integer(x):
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x):
    return not isinstance(x, bool) and isinstance(x, numbers.Number)


_TYPES = {
    'array': lambda x: isinstance(x, list),
    'boolean': lambda x: isinstance(x, bool),
    'integer': _is_integer,
    'null': lambda x: x is None,
    'number': _is_number,
    'object': lambda x: isinstance(x, dict),
    'string': lambda x: isinstance(x, str),
}


# The types an isinstance answers alone.
_CLASSES = {'array': list, 'boolean': bool, 'null': type(None),
            'object': dict, 'string': str}


# jsonschema's equality: True is not 1, sequences and mappings compare
# item by item with the same rule.
_TRUE = object()
_FALSE = object()


def _unbool(x):
    if x is True:
        return _TRUE
    if x is False:
        return _FALSE
    return x


def equal(one, two):
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(
            equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and equal(value, two[key])
            for key, value in one.items())
    return _unbool(one) == _unbool(two)


def unique(items):
    """``uniqueItems`` as jsonschema decides it: sorted neighbours compared
    when the items sort, every pair otherwise."""
    try:
        ordered = sorted(_unbool(i) for i in items)
        return not any(equal(a, b) for a, b in zip(ordered, ordered[1:]))
    except (NotImplementedError, TypeError):
        seen = []
        for item in items:
            item = _unbool(item)
            if any(equal(other, item) for other in seen):
                return False
            seen.append(item)
        return True


def _one(checks, x):
    """``oneOf``: exactly one of ``checks`` holds."""
    found = False
    for check in checks:
        if check(x):
            if found:
                return False
            found = True
    return found


def _all(checks):
    """One function for a list of checks (the common lengths unrolled)."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda x: a(x) and b(x)
    return lambda x: _every(checks, x)


def _every(checks, x):
    for check in checks:
        if not check(x):
            return False
    return True


def _some(checks, x):
    for check in checks:
        if check(x):
            return True
    return False


class _Compiler(object):
    """Compiles a schema; a sub-schema used in several places (the same
    dict: the task schema's clause and expression schemas) once."""

    def __init__(self):
        self._done = {}

    def compile(self, schema):
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Uncompiled(repr(schema))
        key = id(schema)
        found = self._done.get(key)
        if found is None:
            found = self._done[key] = (schema, self._node(schema))
        return found[1]

    def _node(self, schema):
        any_value, objects, strings, arrays, numbers_ = [], [], [], [], []
        handled = set(_ANNOTATIONS)
        classes = None
        if 'type' in schema:
            handled.add('type')
            names = schema['type']
            names = [names] if isinstance(names, str) else list(names)
            if any(n not in _TYPES for n in names):
                raise Uncompiled('type %r' % (names,))
            if all(n in _CLASSES for n in names) and not (
                    'boolean' in names and len(names) > 1):
                # isinstance with a tuple: bool is tested alone (it is
                # an int, but no "integer" nor "number" here).
                classes = tuple(_CLASSES[n] for n in names)
            else:
                tests = tuple(_TYPES[n] for n in names)
                any_value.append(lambda x: any(t(x) for t in tests))
        for key in ('enum', 'const'):
            if key in schema:
                handled.add(key)
                values = (schema[key] if key == 'enum'
                          else [schema[key]])
                any_value.append(lambda x, vs=tuple(values): any(
                    equal(v, x) for v in vs))
        for key, combine in (('anyOf', any), ('oneOf', None),
                             ('allOf', all)):
            if key in schema:
                handled.add(key)
                subs = tuple(self.compile(s) for s in schema[key])
                if combine is None:
                    any_value.append(lambda x, subs=subs: _one(subs, x))
                elif combine is any:
                    any_value.append(lambda x, subs=subs: _some(subs, x))
                else:
                    any_value.append(lambda x, subs=subs: _every(subs, x))
        if 'not' in schema:
            handled.add('not')
            sub = self.compile(schema['not'])
            any_value.append(lambda x: not sub(x))
        self._strings(schema, strings, handled)
        self._numbers(schema, numbers_, handled)
        self._arrays(schema, arrays, handled)
        self._objects(schema, objects, handled)
        unknown = set(schema) - handled
        if unknown:
            raise Uncompiled(', '.join(sorted(unknown)))
        return self._combine(classes, any_value, objects, strings, arrays,
                             numbers_)

    @staticmethod
    def _combine(classes, any_value, objects, strings, arrays, numbers_):
        first = _all(any_value)
        on_object = _all(objects)
        on_string = _all(strings)
        on_array = _all(arrays)
        on_number = _all(numbers_)
        if classes is not None and first is None:
            # The usual leaf: a type and what it says of that type.
            if classes == (str,) and on_string is not None:
                return lambda x: isinstance(x, str) and on_string(x)
            if classes == (dict,) and on_object is not None:
                return lambda x: isinstance(x, dict) and on_object(x)
            if not (on_object or on_string or on_array or on_number):
                return lambda x: isinstance(x, classes)
        if not (on_object or on_string or on_array or on_number):
            if classes is None:
                return first or (lambda x: True)
            return lambda x: isinstance(x, classes) and first(x)

        def check(x):
            if classes is not None and not isinstance(x, classes):
                return False
            if first is not None and not first(x):
                return False
            if isinstance(x, dict):
                return on_object is None or on_object(x)
            if isinstance(x, str):
                return on_string is None or on_string(x)
            if isinstance(x, list):
                return on_array is None or on_array(x)
            if on_number is not None and _is_number(x):
                return on_number(x)
            return True
        return check

    @staticmethod
    def _sizes(schema, checks, handled, low_key, high_key):
        """``minLength``/``maxLength`` and their like: bounds of len()."""
        if low_key in schema:
            handled.add(low_key)
            low = schema[low_key]
            checks.append(lambda x: not len(x) < low)
        if high_key in schema:
            handled.add(high_key)
            high = schema[high_key]
            checks.append(lambda x: not len(x) > high)

    def _strings(self, schema, checks, handled):
        self._sizes(schema, checks, handled, 'minLength', 'maxLength')
        if 'pattern' in schema:
            handled.add('pattern')
            search = re.compile(schema['pattern']).search
            checks.append(lambda x: search(x) is not None)

    @staticmethod
    def _numbers(schema, checks, handled):
        if 'minimum' in schema:
            handled.add('minimum')
            low = schema['minimum']
            checks.append(lambda x: not x < low)
        if 'maximum' in schema:
            handled.add('maximum')
            high = schema['maximum']
            checks.append(lambda x: not x > high)

    def _arrays(self, schema, checks, handled):
        self._sizes(schema, checks, handled, 'minItems', 'maxItems')
        if 'items' in schema:
            handled.add('items')
            item = self.compile(schema['items'])
            checks.append(lambda x: all(item(i) for i in x))
        if 'uniqueItems' in schema:
            handled.add('uniqueItems')
            if schema['uniqueItems']:
                checks.append(unique)

    def _objects(self, schema, checks, handled):
        self._sizes(schema, checks, handled, 'minProperties', 'maxProperties')
        if 'required' in schema:
            handled.add('required')
            names = tuple(schema['required'])
            checks.append(lambda x: all(n in x for n in names))
        props = schema.get('properties', {})
        pattern_props = schema.get('patternProperties', {})
        if 'properties' in schema:
            handled.add('properties')
            named = {k: self.compile(s) for k, s in props.items()}

            def properties(x):
                for k, v in x.items():
                    check = named.get(k)
                    if check is not None and not check(v):
                        return False
                return True
            checks.append(properties)
        searches = ()
        if 'patternProperties' in schema:
            handled.add('patternProperties')
            searches = tuple((re.compile(p).search, self.compile(s))
                             for p, s in pattern_props.items())
            checks.append(lambda x: all(
                check(v) for search, check in searches
                for k, v in x.items() if search(k)))
        if 'additionalProperties' in schema:
            handled.add('additionalProperties')
            extra = self._additional(schema['additionalProperties'],
                                     props, pattern_props)
            if extra is not None:
                checks.append(extra)

    def _additional(self, schema, props, pattern_props):
        # jsonschema joins the patterns with "|" and searches once.
        joined = '|'.join(pattern_props)
        search = re.compile(joined).search if joined else None

        def extras(x):
            return [k for k in x if k not in props and
                    not (search is not None and search(k))]
        if isinstance(schema, dict):
            sub = self.compile(schema)
            return lambda x: all(sub(x[k]) for k in extras(x))
        if schema is True:
            return None
        if schema is False:
            return lambda x: not extras(x)
        raise Uncompiled('additionalProperties %r' % (schema,))


def _string_keys(value):
    """True when every mapping in ``value`` has string keys only. Where a
    pattern meets another key, ``jsonschema`` raises, unless its order of
    evaluation stopped before it (``not``, ``oneOf``): such documents are
    left to it whole."""
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
            return _string_keys(instance) and bool(check(instance))
        except Exception:
            # Something jsonschema raises on too, or decides otherwise
            # (a key that is no string where a pattern looks): jsonschema
            # decides.
            return False
