"""YAQL and Jinja expressions with Mistral's functions (pure library).

Public contract (used by lang/, engine/, actions/):

    is_expression(s) -> bool
    is_anchored_expression(s) -> bool   (schema EXPRESSION fields)
    find_expressions(s) -> [(lang, inner_text), ...]
    validate(s) -> None          raises ExpressionGrammarException (+subcls)
    validate_recursively(data) -> None
    evaluate(expression, context) -> value
                                 raises EvaluationException (+subclasses)
    evaluate_recursively(data, context) -> deep copy, string values evaluated
    ContextView(*layers)         read-only layered mapping (first layer wins)
    DataProvider                 protocol of the DB-backed functions
    set_data_provider(p) -> token; reset_data_provider(token);
    using_data_provider(p) (context manager); get_data_provider()
    configure(allowed_languages=..., limit_iterators=..., memory_quota=...,
              max_cpu_seconds=..., max_value_size=...)
    reload_functions()           re-read plugin functions
    to_plain(value)              plain JSON-friendly copy of a value

Behaviour follows docs/expressions.md (reference Mistral 23.0.0). Jinja is
consulted before YAQL: a string holding both is evaluated as Jinja only (the
``<% %>`` text stays literal) and is rejected by validation.

Performance: string "plans" (which language, whole vs embedded, the inner
texts), parsed YAQL statements, their compiled fast-path programs
(``yaql_compile``) and compiled Jinja templates/expressions are all cached
by text. See yaql_eval's module docstring.

Budgets: every evaluation runs under a CPU budget and refuses oversized
results before computing them (``budget``); exceeding either is an
evaluation error naming the expression.
"""

import collections.abc
import copy
import functools
import logging

from mistral_clone import exceptions as exc
from mistral_clone.expressions import _config
from mistral_clone.expressions import budget
from mistral_clone.expressions import patterns
from mistral_clone.expressions import yaql_chain
from mistral_clone.expressions.context import ContextView
from mistral_clone.expressions.functions import DataProvider
from mistral_clone.expressions.functions import get_data_provider
from mistral_clone.expressions.functions import reset_data_provider
from mistral_clone.expressions.functions import set_data_provider
from mistral_clone.expressions.functions import to_plain
from mistral_clone.expressions.functions import using_data_provider
from mistral_clone.expressions.patterns import find_expressions
from mistral_clone.expressions.patterns import is_anchored_expression
from mistral_clone.expressions.patterns import is_expression

__all__ = [
    'ContextView', 'DataProvider', 'EvaluationAborted', 'abort',
    'configure', 'evaluate',
    'evaluate_recursively', 'find_expressions', 'get_data_provider',
    'is_anchored_expression', 'is_expression', 'reload_functions',
    'reset_data_provider',
    'set_data_provider', 'to_plain', 'using_data_provider', 'validate',
    'validate_recursively',
]

LOG = logging.getLogger(__name__)

# yaql and Jinja (~7 MB of a process's memory) are imported on the first
# expression validated or evaluated (yaql: that is not a chain over plain
# data, see yaql_chain): executors and schedulers import this package
# (ad-hoc actions, event triggers) but seldom evaluate anything.
_evaluators = {}


def _yaql():
    module = _evaluators.get('yaql')
    if module is None:
        from mistral_clone.expressions import yaql_eval as module
        _evaluators['yaql'] = module
    return module


def _jinja():
    module = _evaluators.get('jinja')
    if module is None:
        from mistral_clone.expressions import jinja_eval as module
        _evaluators['jinja'] = module
    return module

# Stopping an evaluation from another thread (engine/service.py: a cancel).
EvaluationAborted = budget.EvaluationAborted
abort = budget.abort

JINJA = patterns.JINJA
YAQL = patterns.YAQL

MIXING_MESSAGE = ("The line already contains an expression of type '%s'. "
                  "Mixing expression types in a single line is not allowed.")

_PLAN_CACHE_SIZE = 8192


def configure(allowed_languages=_config.ALL_LANGUAGES, limit_iterators=-1,
              memory_quota=-1, max_cpu_seconds=budget.DEFAULT_MAX_CPU_SECONDS,
              max_value_size=budget.DEFAULT_MAX_VALUE_SIZE):
    """Apply operator settings; engines and caches are rebuilt lazily.

    ``max_cpu_seconds`` (0: none) bounds the CPU time of one evaluation;
    ``max_value_size`` (bytes, 0: none) the strings/lists an expression may
    build by repetition or concatenation (see ``budget``).
    """
    budget.configure(max_cpu_seconds, max_value_size)
    if isinstance(allowed_languages, str):
        allowed_languages = [x.strip() for x in allowed_languages.split(',')]
    s = _config.settings
    s.allowed_languages = frozenset(
        lang.strip().lower() for lang in allowed_languages if lang.strip())
    s.limit_iterators = int(limit_iterators)
    s.memory_quota = int(memory_quota)
    s.generation += 1


def reload_functions():
    """Forget loaded plugin functions and rebuild engines (after installing
    new ``mistral.expression.functions`` entry points; used by tests)."""
    from mistral_clone.expressions import functions as _functions
    _functions._plugins = None
    _yaql()._state['root'] = None
    _config.settings.generation += 1


# -- recognition plans --------------------------------------------------------

_NONE_PLAN = (None, None)


@functools.lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _plan(s):
    """(lang, payload) for a string that passed the cheap substring test.

    yaql payload: (whole_inner or None, ((match_text, inner), ...)).
    """
    if patterns.is_jinja(s):
        return (JINJA, None)
    matches = patterns.YAQL_RE.findall(s)
    if not matches:
        return _NONE_PLAN
    if len(matches) == 1 and matches[0] == s:
        return (YAQL, (patterns.yaql_inner(s), ()))
    return (YAQL, (None, tuple((m, patterns.yaql_inner(m))
                               for m in matches)))


def _get_plan(s):
    if '<%' in s or '{{' in s or '{%' in s:
        return _plan(s)
    return _NONE_PLAN


# -- validation ---------------------------------------------------------------

def validate(s):
    """Syntax-check every expression in ``s`` (no evaluation)."""
    if not isinstance(s, str):
        return
    if not ('<%' in s or '{{' in s or '{%' in s):
        return
    allowed = _config.settings.allowed_languages
    found = None
    if patterns.is_jinja(s):
        if JINJA not in allowed:
            raise exc.ExpressionGrammarException(
                _config.disabled_message(JINJA))
        _jinja().validate(s)
        found = JINJA
    if patterns.is_yaql(s):
        if found is not None:
            raise exc.ExpressionGrammarException(MIXING_MESSAGE % found)
        if YAQL not in allowed:
            raise exc.ExpressionGrammarException(
                _config.disabled_message(YAQL))
        for m in patterns.YAQL_RE.findall(s):
            # Surrounding spaces are kept here (unlike evaluation): lexical
            # error positions then match the reference ("<% [1] | x %>" ->
            # "illegal character '|' at position 5").
            inner = m.strip('<%>')
            if not yaql_chain.is_chain(inner):
                _yaql().validate_inner(inner)


def validate_recursively(data):
    """validate() every string among dict values / list items (not keys)."""
    if isinstance(data, str):
        validate(data)
    elif isinstance(data, collections.abc.Mapping):
        for value in data.values():
            validate_recursively(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            validate_recursively(item)


# -- evaluation ---------------------------------------------------------------

def _evaluate_inner(text, context, sets):
    # Chains over plain data without yaql (yaql_chain: no import of yaql
    # where every expression is one), the rest by yaql_eval.
    value = yaql_chain.evaluate(text, context, sets)
    if value is yaql_chain.NO_FAST:
        value = _yaql().evaluate_inner(text, context, sets=sets)
    return value


def _evaluate_yaql(s, payload, context):
    whole, parts = payload
    if whole is not None:
        return _evaluate_inner(whole, context, list)
    # Embedded: each occurrence replaced (sequentially, like the reference)
    # by str() of its value.
    result = s
    for match_text, inner in parts:
        value = _evaluate_inner(inner, context, set)
        result = result.replace(match_text, str(value))
    return result


def evaluate(expression, context):
    """Evaluate one value: strings with expressions are evaluated (§2),
    anything else is returned unchanged."""
    if not isinstance(expression, str):
        return expression
    lang, payload = _get_plan(expression)
    if lang is None:
        return expression
    if lang not in _config.settings.allowed_languages:
        raise exc.EvaluationException(_config.disabled_message(lang))
    if lang is YAQL or lang == YAQL:
        return _evaluate_yaql(expression, payload, context)
    return _jinja().evaluate(expression, context)


_SCALARS = (int, float, bool, type(None))


def _eval_rec(data, context):
    if isinstance(data, str):
        try:
            return evaluate(data, context)
        except AttributeError as e:
            LOG.debug('Expression %r left unevaluated: %s', data, e)
            return data
    if isinstance(data, _SCALARS):
        return data
    if isinstance(data, dict):
        return {key: _eval_rec(value, context)
                for key, value in data.items()}
    if isinstance(data, list):
        return [_eval_rec(item, context) for item in data]
    return copy.deepcopy(data)


def evaluate_recursively(data, context):
    """Deep copy of ``data`` with every string value evaluated (keys never).

    With an empty/falsy context nothing is evaluated (plain deep copy).
    """
    if not context:
        return copy.deepcopy(data)
    return _eval_rec(data, context)
