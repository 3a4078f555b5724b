"""Jinja: sandboxed environment, compile cache, validation and evaluation.

One ``SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True,
lstrip_blocks=True)`` per configuration generation; compiled templates and
compiled expressions are kept in LRU caches keyed by their text.
"""

import functools
import operator
import threading

import jinja2
from jinja2 import sandbox

from mistral_clone import exceptions as exc
from mistral_clone.expressions import _config
from mistral_clone.expressions import budget
from mistral_clone.expressions import functions
from mistral_clone.expressions import patterns
from mistral_clone.expressions import yaql_plain

CACHE_SIZE = 4096


class _Environment(sandbox.SandboxedEnvironment):
    """Sandbox that also refuses results of '*' and '**' over the size
    budget (``budget``): one C-level operation cannot be interrupted."""

    intercepted_binops = frozenset(['*', '**'])

    def call_binop(self, context, op, left, right):
        if op == '*':
            budget.check_mul(left, right)
            return operator.mul(left, right)
        if op == '**':
            budget.check_pow(left, right)
            return operator.pow(left, right)
        return super().call_binop(context, op, left, right)


_lock = threading.Lock()
_state = {'generation': None, 'env': None, 'globals': ()}


def _make_env():
    env = _Environment(undefined=jinja2.StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True)
    # As filters the piped value binds to the hidden context argument (a
    # reference quirk: "{{ [1] | json_dump }}" fails); call them as functions.
    for name, func in functions.all_functions().items():
        env.filters[name] = func
    return env


def _get_env():
    gen = _config.settings.generation
    if _state['generation'] != gen:
        with _lock:
            if _state['generation'] != gen:
                env = _make_env()
                _state['globals'] = tuple(
                    (name, functions.jinja_task_ if name == 'task' else func)
                    for name, func in functions.all_functions().items())
                _template.cache_clear()
                _expression.cache_clear()
                _state['env'] = env
                _state['generation'] = gen
    return _state['env']


@functools.lru_cache(maxsize=CACHE_SIZE)
def _template(text):
    return _state['env'].from_string(text)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _expression(text):
    return _state['env'].compile_expression(text, undefined_to_none=False)


def validate(text):
    """Parse the whole string as a template (syntax only)."""
    env = _get_env()
    try:
        env.parse(text)
    except jinja2.TemplateSyntaxError as e:
        raise exc.JinjaGrammarException("Syntax error '%s'." % e.message)


def _bound_functions(data_context):
    partial = functools.partial
    return {name: partial(func, data_context)
            for name, func in _state['globals']}


def evaluate(expression, data_context):
    """Evaluate a Jinja string (whole ``{{ }}`` → native value, else the
    rendered template)."""
    _get_env()
    try:
        return budget.run(_evaluate, expression, data_context)
    except budget.CpuBudgetExceeded:
        raise exc.JinjaEvaluationException(budget.cpu_message(expression))


def _evaluate(expression, data_context):
    try:
        m = patterns.JINJA_EXPR_RE.search(expression)
        if m is None:
            # Reference quirk: no '{{ }}' at all -> IndexError.
            raise IndexError('list index out of range')
        variables = _bound_functions(data_context)
        variables['_'] = data_context
        if m.group(0) == expression:
            result = _expression(m.group(1))(**variables)
            # Force StrictUndefined to raise (only a whole undefined
            # result does: the text of a list or dict shows its undefined
            # items as 'Undefined'; for a large list that text was a
            # copy of the data the size of its repr, made for nothing).
            if isinstance(result, jinja2.Undefined):
                str(result)
            return _plain(result)
        return _template(expression).render(variables)
    except MemoryError:
        raise exc.JinjaEvaluationException(
            'Expression evaluation exceeded the available memory '
            '[expression=%s]' % expression)
    except Exception as e:
        passthrough = functions.passthrough_exceptions()
        if passthrough and isinstance(e, passthrough):
            raise
        msg = e.message if isinstance(e, exc.MistralCloneError) else str(e)
        # Users match on the reference's wording, which names its own class.
        msg = msg.replace(_VIEW_TYPE_NAME, 'mistral.workflow.data_flow.'
                                           'ContextView')
        raise exc.JinjaEvaluationException(
            'Can not evaluate Jinja expression [expression=%s, error=%s]'
            % (expression, msg))


_VIEW_TYPE_NAME = 'mistral_clone.expressions.context.ContextView'


def _plain(result):
    """A whole expression's result as plain data: the result itself where
    it already is (dicts with scalar keys, lists, scalars), as YAQL's
    results are (``yaql_plain.plain_shared``): records a filter passed
    through (``sort``, ``selectattr``, ``list``, ``first``...) are not
    copied, so a chain of tasks transforming a large list holds one set of
    records, not one per task (evaluated values are never changed in
    place). Anything else (tuples, generators, mappings that are not
    dicts, context views) is converted by ``functions.to_plain``."""
    try:
        return yaql_plain.plain_shared(result)
    except yaql_plain.Unsupported:
        return functions.to_plain(result)
