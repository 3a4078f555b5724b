"""Checks of the workflow language: JSON schema (the ``jsonschema`` library),
expression syntax and names.

Each spec module declares its schema once, at import
(:func:`compile_schema`), compiled on its first validation (engines and
executors never validate); a compiled twin (plain Python functions, see
:mod:`mistral_clone.lang.fastcheck`) accepts valid documents, and
``jsonschema`` validates only what that twin refuses, to find and word the
error. A schema violation is reported as the reference
does, ``Invalid DSL: <jsonschema's best match>``, followed by where it is, in
jsonschema's own words, counted from the workflow (action, workbook) being
defined::

    Invalid DSL: 'abc' is not valid under any of the given schemas

    On instance['tasks']['t1']['retry']['count']:
        'abc'

(the reference prints the location relative to whichever sub-spec it was
validating, and a dump of the schema, which we leave out).

What a parse checks is a :class:`Checks` object: :data:`FULL` on upload,
:data:`STRUCTURE` for definitions stored without validation
(``?skip_validation``, ``[api] validation_mode = disabled``) and when a
stored definition is read back to run it. The builders call the same checks
either way; with :data:`STRUCTURE` only what the spec cannot be built
without is refused.
"""

import functools
import pprint
import textwrap
import uuid

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.lang import fastcheck


class Schema(object):
    """A schema compiled for validation: ``jsonschema``'s validator of the
    draft ``jsonschema.validate`` would pick (the reference validates that
    way) and its compiled twin for the accept path."""

    def __init__(self, schema):
        self.schema = schema
        self._validator = None
        self.fast = fastcheck.FastCheck(schema)
        # ``{'type': 'object'}`` (``types.OBJECT``) accepts exactly the
        # dicts (jsonschema's type checker): answered without a validator.
        # A stored definition read back to run it is checked against it:
        # no compiled check for an isinstance (engines never compile one).
        self._any_mapping = schema == {'type': 'object'}

    @property
    def validator(self):
        # Built on first use, and jsonschema imported then (with its format
        # checkers, ~3 MB): only a parse with FULL checks (an upload, in
        # an API process) validates; engines and executors never do.
        if self._validator is None:
            from jsonschema import validators
            self._validator = validators.validator_for(self.schema)(
                self.schema)
        return self._validator

    def best_error(self, instance):
        """None when ``instance`` is valid, else the error jsonschema's
        ``best_match`` picks."""
        if self._any_mapping and isinstance(instance, dict):
            return None
        if self.fast.accepts(instance):
            return None
        from jsonschema import exceptions as schema_exceptions
        return schema_exceptions.best_match(
            self.validator.iter_errors(instance))


def compile_schema(schema):
    """:class:`Schema` of ``schema``."""
    return Schema(schema)


# The offending value is shown up to this many characters (a missing
# ``version`` would otherwise print the whole document).
SHOWN_MAX = 2000


def invalid(message, path, instance):
    """``InvalidModelException`` for ``message`` about ``instance`` found
    at ``path`` (keys and indexes from the definition's root)."""
    where = 'instance' + ''.join('[%r]' % (p,) for p in path)
    shown = textwrap.indent(
        pprint.pformat(instance, width=72, sort_dicts=False), '    ')
    if len(shown) > SHOWN_MAX:
        shown = shown[:SHOWN_MAX] + ' ...'
    return exc.InvalidModelException('Invalid DSL: %s\n\nOn %s:\n%s' % (
        message, where, shown))


def string_keys(data, path):
    """Names (dict keys) must be strings; jsonschema cannot match a
    pattern against anything else."""
    for key in data:
        if not isinstance(key, str):
            raise invalid("%r is not of type 'string'" % (key,), path, key)


def _all_string_keys(value, path):
    """:func:`string_keys` for every mapping in ``value``, in document
    order."""
    if isinstance(value, dict):
        string_keys(value, path)
        for key, item in value.items():
            _all_string_keys(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _all_string_keys(item, path + (index,))


def maybe_expression(value):
    return isinstance(value, str) and (
        '<%' in value or '{{' in value or '{%' in value)


@functools.lru_cache(maxsize=8192)
def _syntax_checked(text):
    expressions.validate(text)
    return True


def forget_checked_expressions():
    """Expression syntax is memoised; forget it (e.g. after the allowed
    expression languages were reconfigured)."""
    _syntax_checked.cache_clear()


def is_expression(value):
    return maybe_expression(value) and expressions.is_expression(value)


def is_uuid_like(value):
    """True for strings that look like a UUID (with or without dashes)."""
    if not isinstance(value, str):
        return False
    try:
        s = value.lower()
        for prefix in ('urn:', 'uuid:'):
            if s.startswith(prefix):
                s = s[len(prefix):]
        s = s.replace('{', '').replace('}', '').replace('-', '')
        return str(uuid.UUID(value)).replace('-', '') == s
    except (TypeError, ValueError, AttributeError):
        return False


def check_name_spaces(name):
    """Definition names never contain spaces (checked even without
    validation, like the reference's database layer does)."""
    if isinstance(name, str) and ' ' in name:
        raise exc.InvalidModelException(
            "Name '%s' must not contain spaces" % name)


def check_version(document, older_accepted=False):
    """Documents say ``version: '2.0'`` when they say a version at all
    (checked even without validation, as the reference does for workbooks).

    ``older_accepted`` (workflow and action documents): the reference takes
    any version there and runs the text as 2.0, and texts marked ``1.0``
    do exist, so older versions pass; a version this language does not
    know yet (``3.0``) or one that is no number is refused, where the
    reference would silently run it as 2.0.
    """
    if not isinstance(document, dict) or 'version' not in document:
        return
    version = document['version']
    try:
        number = float(version)
    except (TypeError, ValueError):
        number = None
    ok = number is not None and (
        number == 2.0 or (older_accepted and 0 < number < 2.0))
    if not ok:
        raise exc.DSLParsingException('Unsupported DSL version: %s' % version)


class Checks(object):
    """What a parse refuses: everything (``enabled``) or only what a spec
    cannot be built from."""

    def __init__(self, enabled):
        self.enabled = enabled

    def schema(self, compiled, instance, path=()):
        """Refuse ``instance`` unless it matches the :class:`Schema`
        ``compiled``."""
        if not self.enabled:
            return
        try:
            error = compiled.best_error(instance)
        except TypeError:
            # jsonschema matches key patterns with re, which raises on a
            # key that is no string (YAML's ``1:``): refused, not a crash.
            _all_string_keys(instance, tuple(path))
            raise
        if error is None:
            return
        raise invalid(error.message, tuple(path) + tuple(error.absolute_path),
                      error.instance)

    def expression(self, value):
        """Syntax-check one string (plain strings and non-strings pass)."""
        if self.enabled and maybe_expression(value):
            _syntax_checked(value)

    def values(self, data):
        """Syntax-check the string values of a dict, one level deep like
        the reference (nested values are checked when evaluated)."""
        if self.enabled and isinstance(data, dict):
            for value in data.values():
                if maybe_expression(value):
                    _syntax_checked(value)

    def workflow_name(self, name):
        check_name_spaces(name)
        if self.enabled and is_uuid_like(name):
            raise exc.InvalidModelException(
                'Workflow name cannot be in the format of UUID.')


FULL = Checks(True)
STRUCTURE = Checks(False)
