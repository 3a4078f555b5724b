"""YAQL: engine, parse cache, validation and evaluation.

The engine and the root context (full standard library + Mistral functions)
are built once, lazily, and rebuilt only when ``configure()`` changes the
limits. Parsed expressions are kept in an LRU cache keyed by the expression
text; evaluation then only creates a child context holding ``$``.

Micro-benchmark note (this sandbox, CPython 3.11, after the first call):

    '<% $.x %>', '<% $.a.b.c %>'  ~2-4 us   (cached plan + chain fast path)
    'a <% $.x %> b'              ~3 us
    '<% $ %>' (small context)    ~25 us   (plain copy of the view)
    '<% $.x + 1 %>'              ~350-550 us  (cached parse; the cost is
                                 yaql's own overload resolution for each
                                 operator/function call, not parsing)
    '{{ _.x }}'                  ~35 us   (cached compiled expression)
    first evaluation of a new YAQL text: + ~0.2 ms parse; once per process:
    ~0.3 s to build yaql's lexer/parser tables (configure() only copies the
    engine with new options, it does not rebuild the tables).
"""

import collections.abc  # noqa - yaql needs collections.abc imported
import functools
import re
import sys
import threading

import yaql
from yaql.language import exceptions as yaql_exc
from yaql.language import utils as yaql_utils
from yaql.language import yaqltypes

from mistral_clone import exceptions as exc
from mistral_clone.expressions import _config
from mistral_clone.expressions import context as ctx_mod
from mistral_clone.expressions import functions

# Not reachable from expressions: '$#...' cannot be lexed as a variable.
_DATA_KEY = '#mistral_data'
# Copied from the data into the YAQL context as $__env etc. (reference).
_SPECIAL_KEYS = ('__env', '__execution', '__task_execution')
PARSE_CACHE_SIZE = 4096

_lock = threading.Lock()
_state = {'generation': None, 'engine': None, 'root': None, 'base': None}


class _DataContext(yaqltypes.HiddenParameterType, yaqltypes.SmartType):
    """Hidden parameter: the data context of the current evaluation."""

    __slots__ = ()

    def __init__(self):
        super().__init__(False)

    def check(self, value, context, *args, **kwargs):
        return True

    def convert(self, value, receiver, context, function_spec, engine,
                *args, **kwargs):
        return context.get_data(_DATA_KEY)


def _register(root, name, func):
    import inspect
    try:
        first = inspect.getfullargspec(func).args[0]
    except (IndexError, TypeError):
        first = None

    def param_type(arg):
        if arg == first:
            return _DataContext()
        return None

    root.register_function(func, name=name, parameter_type_func=param_type)


def _options():
    s = _config.settings
    return {
        'yaql.limitIterators': s.limit_iterators,
        'yaql.memoryQuota': s.memory_quota,
        'yaql.convertTuplesToLists': True,
        'yaql.convertSetsToLists': False,
        'yaql.iterableDicts': False,
        'yaql.convertOutputData': True,
        'yaql.convertInputData': True,
    }


def _get_engine():
    gen = _config.settings.generation
    if _state['generation'] != gen:
        with _lock:
            if _state['generation'] != gen:
                if _state['base'] is None:
                    # Building the lexer/parser tables is the slow part
                    # (~0.3 s): done once; option changes only copy.
                    _state['base'] = yaql.YaqlFactory(
                        keyword_operator='=>',
                        allow_delegates=False).create(options=_options())
                if _state['root'] is None:
                    root = yaql.create_context()
                    for name, func in functions.all_functions().items():
                        _register(root, name, func)
                    _state['root'] = root
                _state['engine'] = _state['base'].copy(_options())
                _parse.cache_clear()
                _chain.cache_clear()
                _state['generation'] = gen
    return _state['engine'], _state['root']


_parse_lock = threading.Lock()


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(text):
    # The ply lexer/parser objects are shared and stateful.
    with _parse_lock:
        return _state['engine'](text)


def parse(text):
    """Parse ``text`` (no delimiters); raises yaql's own exceptions."""
    _get_engine()
    return _parse(text)


def validate_inner(text):
    """Syntax check of one inner YAQL expression."""
    try:
        parse(text)
    except (yaql_exc.YaqlLexicalException,
            yaql_exc.YaqlGrammarException) as e:
        raise exc.YaqlGrammarException(str(e))
    except yaql_exc.YaqlException as e:
        raise exc.YaqlGrammarException(str(e))


# -- fast path -------------------------------------------------------------
#
# ``$``, ``$.a``, ``$.a.b.c`` over mappings are by far the most common
# expressions. yaql's generic overload resolution makes them cost hundreds
# of microseconds, so such chains are resolved directly when the outcome is
# certainly what yaql would produce: every step is a Mapping that holds the
# key, and (when limits are configured) the result is a scalar or a small
# string. Anything else (missing key, list in the chain, containers under
# limits...) goes through yaql, which produces the exact result or error.

_CHAIN_RE = re.compile(r'^\$((?:\.(?!__)[A-Za-z_][A-Za-z0-9_]*)*)$')
_NOT_NAMES = frozenset(['and', 'or', 'not', 'in', 'mod', 'is', 'true',
                        'false', 'null', 'like', 'as'])
_NO_FAST = object()


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _chain(text):
    m = _CHAIN_RE.match(text)
    if m is None:
        return None
    names = tuple(m.group(1).split('.')[1:])
    if any(n in _NOT_NAMES for n in names):
        return None
    return names


def _plain_output(value):
    # What yaql's convert_output_data makes of convert_input_data(value).
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_plain_output(k): _plain_output(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_output(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {_plain_output(v) for v in value}
    return _NO_FAST


def _fast(names, data):
    value = data
    for name in names:
        if not isinstance(value, collections.abc.Mapping):
            return _NO_FAST
        try:
            value = value[name]
        except (KeyError, TypeError):
            return _NO_FAST
    s = _config.settings
    if s.limit_iterators >= 0 or s.memory_quota > 0:
        if value is None or isinstance(value, (int, float)):
            return value
        if isinstance(value, str) and (
                s.memory_quota <= 0 or
                sys.getsizeof(value, 0) <= s.memory_quota):
            return value
        return _NO_FAST
    return _plain_output(value)


def evaluate_inner(text, data_context):
    """Evaluate one inner YAQL expression; returns the converted value."""
    names = _chain(text)
    if names is not None and data_context is not None:
        value = _fast(names, data_context)
        if value is not _NO_FAST:
            return value
    engine, root = _get_engine()
    try:
        statement = _parse(text)
        context = root.create_child_context()
        context[_DATA_KEY] = data_context
        if data_context is None:
            context['$'] = None
        else:
            context['$'] = ctx_mod.to_yaql(data_context)
            get = getattr(data_context, 'get', None)
            if get is not None:
                for key in _SPECIAL_KEYS:
                    context[key] = ctx_mod.to_yaql(get(key))
        result = statement(yaql_utils.NO_VALUE, context, engine)
    except MemoryError:
        raise exc.YaqlEvaluationException(
            'Expression evaluation exceeded the available memory '
            '[expression=%s]' % text)
    except Exception as e:
        passthrough = functions.passthrough_exceptions()
        if passthrough and isinstance(e, passthrough):
            raise
        raise exc.YaqlEvaluationException(
            'Can not evaluate YAQL expression [expression=%s, error=%s]'
            % (text, _error_text(e)))
    return result


def _error_text(e):
    if isinstance(e, exc.MistralCloneError):
        return e.message
    return str(e)
