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
    yaql's lexer and parser (from stored tables: yaql_tables; configure()
    only copies the engine with new options).
"""

import collections.abc  # noqa - yaql needs collections.abc imported
import functools
import logging
import threading

import yaql
from yaql.language import exceptions as yaql_exc
from yaql.language import utils as yaql_utils
from yaql.language import yaqltypes

from mistral_clone import exceptions as exc
from mistral_clone.expressions import _config
from mistral_clone.expressions import budget
from mistral_clone.expressions import functions
from mistral_clone.expressions import yaql_chain
from mistral_clone.expressions import yaql_compile
from mistral_clone.expressions import yaql_library
from mistral_clone.expressions import yaql_overrides
from mistral_clone.expressions import yaql_streams
from mistral_clone.expressions import yaql_tables
from mistral_clone.expressions import yaql_values as values

# Not reachable from expressions: '$#...' cannot be lexed as a variable.
_DATA_KEY = '#mistral_data'
_DATA_VAR = '$' + _DATA_KEY
MIN_FAST_QUOTA = yaql_chain.MIN_FAST_QUOTA
# Copied from the data into the YAQL context as $__env etc. (reference).
_SPECIAL_KEYS = ('__env', '__execution', '__task_execution')
PARSE_CACHE_SIZE = 4096

LOG = logging.getLogger(__name__)

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
                    # Once; option changes only copy. The parser from
                    # stored LALR tables (PLY would build them: ~2 MB of
                    # peak, 0.08 s), see yaql_tables.
                    _state['base'] = yaql_tables.Factory(
                        **yaql_tables.OPTIONS).create(options=_options())
                if _state['root'] is None:
                    root = yaql.create_context()
                    yaql_overrides.install(root)
                    funcs = functions.all_functions()
                    for name, func in funcs.items():
                        _register(root, name, func)
                    yaql_library.install_mistral_functions(funcs)
                    _state['root'] = root
                _state['engine'] = _state['base'].copy(_options())
                _parse.cache_clear()
                _chain.cache_clear()
                _program.cache_clear()
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
    if yaql_chain.is_chain(text):
        # '$' or '$.a.b' (not keywords): always valid; no parser needed
        # (an API worker's first upload no longer builds PLY's tables).
        return
    try:
        parse(text)
    except (yaql_exc.YaqlLexicalException,
            yaql_exc.YaqlGrammarException) as e:
        raise exc.YaqlGrammarException(str(e))
    except yaql_exc.YaqlException as e:
        raise exc.YaqlGrammarException(str(e))


# -- evaluation -----------------------------------------------------------
#
# Three ways, fastest first, each yielding yaql's exact result:
# 1. ``$``, ``$.a.b`` chains over mappings resolved directly (``_fast``);
# 2. the compiled program (``yaql_compile``), which abandons the attempt on
#    anything it does not mirror or on any error;
# 3. yaql's own evaluator (``_run_yaql``), always right by definition.

_NO_FAST = yaql_chain.NO_FAST
_chain = yaql_chain.chain


def _fast(names, data, sets):
    # Plain values without yaql (yaql_chain), the others here.
    value = yaql_chain.fast(names, data, sets)
    if value is not _NO_FAST:
        return value
    value = yaql_chain.lookup(names, data)
    if value is _NO_FAST:
        return value
    s = _config.settings
    if s.limit_iterators >= 0 or s.memory_quota > 0:
        # (Scalars and strings within the quota were answered above.)
        return _limited(value, sets)
    if isinstance(value, collections.abc.Mapping):
        return values.finalize(values.to_yaql(value), None, sets)
    return _NO_FAST


def _limited(value, sets):
    """What the compiled program of a ``$.a.b`` chain gives under yaql's
    limits (the defaults have them), without parsing: the value converted
    as the chain's last step converts it (``LazyFrozenDict.__getitem__``),
    yaql's memory check of that node's value (the mappings before it always
    pass), then the output conversion with the iterator limit.
    ``_NO_FAST`` where the program would step aside for yaql. Lists and
    mappings under the default limits no longer build the YAQL engine
    (PLY's tables, ~2 MB of a process's peak) for ``<% $.items %>``."""
    limits = _limits()
    if 0 < limits.quota < MIN_FAST_QUOTA:
        return _NO_FAST
    try:
        converted = values.to_yaql(value)
        if limits.quota > 0:
            limits.check_size(converted)
        return values.finalize(converted, limits, sets)
    except values.Unsupported:
        return _NO_FAST


def _limits():
    s = _config.settings
    return values.Limits(s.limit_iterators, s.memory_quota)


def _delegate(node, receiver, scope):
    """Evaluate one node with yaql in a context holding ``scope``."""
    engine, root = _state['engine'], _state['root']
    context = root.create_child_context()
    frames = []
    while scope is not None:
        frames.append(scope[0])
        scope = scope[1]
    for variables in reversed(frames):
        for key, value in variables.items():
            context[key] = value
    return node(receiver, context, engine)


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def _program(text):
    """The compiled closure of ``text``, or None (evaluate with yaql)."""
    limits = _limits()
    if 0 < limits.quota < MIN_FAST_QUOTA:
        return None
    compiler = yaql_compile.Compiler(
        _delegate, limits, yaql_library.FUNCTIONS, yaql_library.METHODS,
        yaql_streams.fuse)
    try:
        body = compiler.compile(_parse(text).expression)
    except Exception:  # pragma: no cover - unknown tree shapes
        LOG.debug('YAQL expression %r not compiled', text, exc_info=True)
        return None
    checked = limits if limits.iterators >= 0 or limits.quota > 0 else None

    def run(scope, sets):
        return values.finalize(body(scope), checked, sets)
    return run


def _root_scope(data_context):
    variables = {_DATA_VAR: data_context}
    if data_context is None:
        variables['$1'] = None
    else:
        variables['$1'] = values.to_yaql(data_context)
        get = getattr(data_context, 'get', None)
        if get is not None:
            for key in _SPECIAL_KEYS:
                variables['$' + key] = values.to_yaql(get(key))
    return (variables, None)


def _run_yaql(text, data_context):
    engine, root = _state['engine'], _state['root']
    context = root.create_child_context()
    for key, value in _root_scope(data_context)[0].items():
        context[key] = value
    return _parse(text)(yaql_utils.NO_VALUE, context, engine)


def _evaluate(text, data_context, sets, fast):
    program = _program(text) if fast else None
    if program is not None:
        try:
            return program(_root_scope(data_context), sets)
        except Exception:
            # Unsupported, or a real error: yaql gives the exact answer.
            pass
    result = _run_yaql(text, data_context)
    if sets is set or result is None or isinstance(result, (str, int,
                                                            float)):
        return result
    return _sets_to_lists(result)


def _sets_to_lists(value):
    if isinstance(value, (set, frozenset)):
        return [_sets_to_lists(v) for v in value]
    if isinstance(value, list):
        for i, v in enumerate(value):
            if not (v is None or isinstance(v, (str, int, float))):
                value[i] = _sets_to_lists(v)
        return value
    if isinstance(value, dict):
        for k, v in value.items():
            if not (v is None or isinstance(v, (str, int, float))):
                value[k] = _sets_to_lists(v)
        return value
    return functions.to_plain(value)


def evaluate_inner(text, data_context, sets=set, fast=True):
    """Evaluate one inner YAQL expression; returns the converted value.

    ``sets=list``: sets (and dictionary keys) as lists, as a whole
    expression's value is stored. ``fast=False`` skips the fast paths
    (yaql's evaluator only; used by the differential tests).
    """
    if fast:
        names = _chain(text)
        if names is not None and data_context is not None:
            value = _fast(names, data_context, sets)
            if value is not _NO_FAST:
                return value
    _get_engine()
    try:
        return budget.run(_evaluate, text, data_context, sets, fast)
    except budget.CpuBudgetExceeded:
        raise exc.YaqlEvaluationException(budget.cpu_message(text))
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


def _error_text(e):
    if isinstance(e, exc.MistralCloneError):
        return e.message
    return str(e)
