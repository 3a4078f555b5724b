"""A small, fast JSON-schema-like validator (hand written, no ``jsonschema``).

Schemas are plain dicts using the subset of JSON-schema keywords the DSL
needs: ``type``, ``enum``, ``minimum``, ``minLength``, ``pattern``,
``minItems``, ``uniqueItems``, ``items``, ``minProperties``,
``maxProperties``, ``properties``, ``patternProperties``,
``additionalProperties``, ``required``, ``oneOf``, ``anyOf``, ``not``.

``compile_schema(schema)`` turns a schema into a :class:`Checker` holding two
closures: ``is_valid(instance) -> bool`` (the hot path, allocation free) and
``errors(instance) -> list[SchemaError]`` (only used when ``is_valid`` failed).
Error messages and the choice of the single reported error mimic the
wording users know from the reference service ("Invalid DSL: <message>").
"""

import re

WEAK = frozenset(('anyOf', 'oneOf'))
STRONG = frozenset()

_TYPES = {
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'string': lambda v: isinstance(v, str),
    'boolean': lambda v: isinstance(v, bool),
    'null': lambda v: v is None,
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'integer': lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or
        (isinstance(v, float) and v.is_integer())),
}


def is_type(value, type_name):
    return _TYPES[type_name](value)


class SchemaError(object):
    __slots__ = ('message', 'validator', 'path', 'schema', 'instance',
                 'context')

    def __init__(self, message, validator, schema, instance, path=(),
                 context=()):
        self.message = message
        self.validator = validator
        self.schema = schema
        self.instance = instance
        self.path = path
        self.context = context

    def prefixed(self, elem):
        self.path = (elem,) + self.path
        return self

    def matches_type(self):
        expected = self.schema.get('type') if isinstance(
            self.schema, dict) else None
        if expected is None:
            return False
        if isinstance(expected, str):
            return is_type(self.instance, expected)
        return any(is_type(self.instance, t) for t in expected)

    def __repr__(self):
        return '<SchemaError %s at %r: %s>' % (
            self.validator, self.path, self.message)


def _path_key(path):
    # Paths may mix ints (list indexes) and strs (keys); keep them orderable.
    return tuple((0, p, '') if isinstance(p, int) else (1, 0, p)
                 for p in path)


def relevance(err):
    return (-len(err.path), _path_key(err.path), err.validator not in WEAK,
            err.validator in STRONG, not err.matches_type())


def best_match(errors):
    """Pick the single most relevant error (same heuristic users see)."""
    if not errors:
        return None
    best = max(errors, key=relevance)
    while best.context:
        ctx = sorted(best.context, key=relevance)
        if len(ctx) >= 2 and relevance(ctx[0]) == relevance(ctx[1]):
            return best
        best = ctx[0]
    return best


def _equal(a, b):
    """Equality where booleans never equal numbers (JSON semantics)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return (isinstance(b, dict) and len(a) == len(b) and
                all(k in b and _equal(v, b[k]) for k, v in a.items()))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b) and
                all(_equal(x, y) for x, y in zip(a, b)))
    if isinstance(b, (dict, list)):
        return False
    return a == b


def _unique(items):
    n = len(items)
    if n < 2:
        return True
    if all(isinstance(i, str) for i in items):
        return len(set(items)) == n
    for i in range(n):
        for j in range(i + 1, n):
            if _equal(items[i], items[j]):
                return False
    return True


class Checker(object):
    __slots__ = ('schema', 'is_valid', 'errors')

    def __init__(self, schema, is_valid, errors):
        self.schema = schema
        self.is_valid = is_valid
        self.errors = errors

    def first_error(self, instance):
        """None if valid, else the best-matching SchemaError."""
        if self.is_valid(instance):
            return None
        return best_match(self.errors(instance))


def compile_schema(schema):
    """Compile a schema dict into a :class:`Checker`."""
    parts = []  # list of (keyword, valid_fn, errors_fn)

    for kw, val in schema.items():
        fn = _KEYWORDS.get(kw)
        if fn is None:
            continue
        built = fn(val, schema)
        if built is not None:
            parts.append((kw,) + built)

    valid_fns = tuple(p[1] for p in parts)

    if not valid_fns:
        def is_valid(inst):
            return True
    elif len(valid_fns) == 1:
        is_valid = valid_fns[0]
    else:
        def is_valid(inst):
            for f in valid_fns:
                if not f(inst):
                    return False
            return True

    def errors(inst):
        result = []
        for kw, vf, ef in parts:
            if vf(inst):
                continue
            for err in ef(inst):
                if err.validator is None:
                    err.validator = kw
                    err.schema = schema
                    err.instance = inst
                result.append(err)
        return result

    return Checker(schema, is_valid, errors)


def _new(message, context=()):
    return SchemaError(message, None, None, None, (), context)


# --- keywords ---------------------------------------------------------------

def _kw_type(val, schema):
    types = [val] if isinstance(val, str) else list(val)
    checks = tuple(_TYPES[t] for t in types)
    if len(checks) == 1:
        valid = checks[0]
    else:
        def valid(inst):
            return any(c(inst) for c in checks)
    msg_types = ', '.join(repr(t) for t in types)

    def errors(inst):
        return [_new('%r is not of type %s' % (inst, msg_types))]
    return valid, errors


def _kw_enum(val, schema):
    def valid(inst):
        return any(_equal(inst, e) for e in val)

    def errors(inst):
        return [_new('%r is not one of %r' % (inst, val))]
    return valid, errors


def _is_num(inst):
    return isinstance(inst, (int, float)) and not isinstance(inst, bool)


def _kw_minimum(val, schema):
    def valid(inst):
        return not _is_num(inst) or inst >= val

    def errors(inst):
        return [_new('%r is less than the minimum of %r' % (inst, val))]
    return valid, errors


def _kw_min_length(val, schema):
    word = 'should be non-empty' if val == 1 else 'is too short'

    def valid(inst):
        return not isinstance(inst, str) or len(inst) >= val

    def errors(inst):
        return [_new('%r %s' % (inst, word))]
    return valid, errors


def _kw_pattern(val, schema):
    rx = re.compile(val)

    def valid(inst):
        return not isinstance(inst, str) or rx.search(inst) is not None

    def errors(inst):
        return [_new('%r does not match %r' % (inst, val))]
    return valid, errors


def _kw_min_items(val, schema):
    word = 'should be non-empty' if val == 1 else 'is too short'

    def valid(inst):
        return not isinstance(inst, list) or len(inst) >= val

    def errors(inst):
        return [_new('%r %s' % (inst, word))]
    return valid, errors


def _kw_unique(val, schema):
    if not val:
        return None

    def valid(inst):
        return not isinstance(inst, list) or _unique(inst)

    def errors(inst):
        return [_new('%r has non-unique elements' % (inst,))]
    return valid, errors


def _kw_items(val, schema):
    sub = compile_schema(val)
    sub_valid = sub.is_valid

    def valid(inst):
        if not isinstance(inst, list):
            return True
        for item in inst:
            if not sub_valid(item):
                return False
        return True

    def errors(inst):
        result = []
        for i, item in enumerate(inst):
            if not sub_valid(item):
                result.extend(e.prefixed(i) for e in sub.errors(item))
        return result
    return valid, errors


def _kw_min_properties(val, schema):
    word = ('should be non-empty' if val == 1
            else 'does not have enough properties')

    def valid(inst):
        return not isinstance(inst, dict) or len(inst) >= val

    def errors(inst):
        return [_new('%r %s' % (inst, word))]
    return valid, errors


def _kw_max_properties(val, schema):
    def valid(inst):
        return not isinstance(inst, dict) or len(inst) <= val

    def errors(inst):
        if val == 0:
            return [_new('%r is expected to be empty' % (inst,))]
        return [_new('%r has too many properties' % (inst,))]
    return valid, errors


def _kw_properties(val, schema):
    subs = tuple((name, compile_schema(s)) for name, s in val.items())

    def valid(inst):
        if not isinstance(inst, dict):
            return True
        for name, sub in subs:
            if name in inst and not sub.is_valid(inst[name]):
                return False
        return True

    def errors(inst):
        result = []
        for name, sub in subs:
            if name in inst and not sub.is_valid(inst[name]):
                result.extend(e.prefixed(name) for e in sub.errors(inst[name]))
        return result
    return valid, errors


def _kw_pattern_properties(val, schema):
    subs = tuple((re.compile(p), compile_schema(s)) for p, s in val.items())

    def valid(inst):
        if not isinstance(inst, dict):
            return True
        for rx, sub in subs:
            for k, v in inst.items():
                if rx.search(k) and not sub.is_valid(v):
                    return False
        return True

    def errors(inst):
        result = []
        for rx, sub in subs:
            for k, v in inst.items():
                if rx.search(k) and not sub.is_valid(v):
                    result.extend(e.prefixed(k) for e in sub.errors(v))
        return result
    return valid, errors


def _kw_additional_properties(val, schema):
    props = frozenset(schema.get('properties', ()))
    pats = tuple(re.compile(p) for p in schema.get('patternProperties', ()))

    def extras(inst):
        return [k for k in inst
                if k not in props and not any(rx.search(k) for rx in pats)]

    if isinstance(val, dict):
        sub = compile_schema(val)

        def valid(inst):
            if not isinstance(inst, dict):
                return True
            for k in extras(inst):
                if not sub.is_valid(inst[k]):
                    return False
            return True

        def errors(inst):
            result = []
            for k in extras(inst):
                if not sub.is_valid(inst[k]):
                    result.extend(e.prefixed(k) for e in sub.errors(inst[k]))
            return result
        return valid, errors

    if val:
        return None

    def valid(inst):
        if not isinstance(inst, dict):
            return True
        for k in inst:
            if k not in props and not any(rx.search(k) for rx in pats):
                return False
        return True

    def errors(inst):
        ex = sorted(extras(inst), key=str)
        if 'patternProperties' in schema:
            verb = 'does' if len(ex) == 1 else 'do'
            patterns = ', '.join(
                repr(p) for p in sorted(schema['patternProperties']))
            return [_new('%s %s not match any of the regexes: %s' % (
                ', '.join(repr(e) for e in ex), verb, patterns))]
        verb = 'was' if len(ex) == 1 else 'were'
        return [_new('Additional properties are not allowed (%s %s '
                     'unexpected)' % (', '.join(repr(e) for e in ex), verb))]
    return valid, errors


def _kw_required(val, schema):
    def valid(inst):
        if not isinstance(inst, dict):
            return True
        for name in val:
            if name not in inst:
                return False
        return True

    def errors(inst):
        return [_new('%r is a required property' % (name,))
                for name in val if name not in inst]
    return valid, errors


def _kw_one_of(val, schema):
    subs = tuple(compile_schema(s) for s in val)

    def valid(inst):
        found = False
        for sub in subs:
            if sub.is_valid(inst):
                if found:
                    return False
                found = True
        return found

    def errors(inst):
        all_errors = []
        first = None
        for i, sub in enumerate(subs):
            if sub.is_valid(inst):
                first = i
                break
            all_errors.extend(sub.errors(inst))
        if first is None:
            return [_new('%r is not valid under any of the given schemas'
                         % (inst,), context=all_errors)]
        more = [s.schema for s in subs[first + 1:] if s.is_valid(inst)]
        more.append(subs[first].schema)
        return [_new('%r is valid under each of %s' % (
            inst, ', '.join(repr(s) for s in more)))]
    return valid, errors


def _kw_any_of(val, schema):
    subs = tuple(compile_schema(s) for s in val)

    def valid(inst):
        for sub in subs:
            if sub.is_valid(inst):
                return True
        return False

    def errors(inst):
        all_errors = []
        for sub in subs:
            all_errors.extend(sub.errors(inst))
        return [_new('%r is not valid under any of the given schemas'
                     % (inst,), context=all_errors)]
    return valid, errors


def _kw_not(val, schema):
    sub = compile_schema(val)

    def valid(inst):
        return not sub.is_valid(inst)

    def errors(inst):
        return [_new('%r should not be valid under %r' % (inst, val))]
    return valid, errors


_KEYWORDS = {
    'type': _kw_type,
    'enum': _kw_enum,
    'minimum': _kw_minimum,
    'minLength': _kw_min_length,
    'pattern': _kw_pattern,
    'minItems': _kw_min_items,
    'uniqueItems': _kw_unique,
    'items': _kw_items,
    'minProperties': _kw_min_properties,
    'maxProperties': _kw_max_properties,
    'properties': _kw_properties,
    'patternProperties': _kw_pattern_properties,
    'additionalProperties': _kw_additional_properties,
    'required': _kw_required,
    'oneOf': _kw_one_of,
    'anyOf': _kw_any_of,
    'not': _kw_not,
}
