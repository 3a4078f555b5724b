"""Helpers of the differential tests: run one YAQL expression through the
fast path and through yaql's own evaluator (ours, and plain yaql as Mistral
configures it) and describe the outcome so that two outcomes compare equal
only when value, types, ordering or error message are the same."""

import collections.abc  # noqa - yaql needs it imported
import re

import yaql
from yaql.language import utils as yaql_utils

from mistral_clone import exceptions as exc
from mistral_clone.expressions import functions
from mistral_clone.expressions import yaql_eval
from mistral_clone.expressions import yaql_values

_ADDRESS = re.compile(r' at 0x[0-9a-f]+')

# Not deterministic between two evaluations.
NONDETERMINISTIC = ('uuid(', 'now(', 'random(', 'utcnow(', 'localtz(')


def describe(value):
    """A structure equal for equal values of identical types."""
    t = type(value)
    if t is dict:
        return ('dict', [(describe(k), describe(v)) for k, v in value.items()])
    if t is list or t is tuple or t is yaql_values.OrderedKeys:
        return (t.__name__, [describe(v) for v in value])
    if t is set or t is frozenset:
        return (t.__name__, sorted(repr(describe(v)) for v in value))
    if t is float and value != value:
        return ('float', 'nan')
    return (t.__name__, repr(value))


def outcome(func, *args, **kwargs):
    try:
        return ('value', describe(func(*args, **kwargs)))
    except exc.MistralCloneError as e:
        return ('error', type(e).__name__, _ADDRESS.sub('', str(e)))


def ours(text, context, fast, sets=list):
    return outcome(yaql_eval.evaluate_inner, text, context, sets=sets,
                   fast=fast)


def embedded(text, context, fast):
    """str() of the value, as in an embedded expression 'x <% ... %> y'."""
    try:
        return ('value', str(yaql_eval.evaluate_inner(
            text, context, sets=set, fast=fast)))
    except exc.MistralCloneError as e:
        return ('error', type(e).__name__, _ADDRESS.sub('', str(e)))


class PlainYaql(object):
    """yaql exactly as Mistral sets it up: no fast path, no overrides."""

    def __init__(self, limit_iterators=-1, memory_quota=-1):
        self.engine = yaql.YaqlFactory(
            keyword_operator='=>', allow_delegates=False).create(options={
                'yaql.limitIterators': limit_iterators,
                'yaql.memoryQuota': memory_quota,
                'yaql.convertTuplesToLists': True,
                'yaql.convertSetsToLists': False,
                'yaql.iterableDicts': False,
                'yaql.convertOutputData': True,
                'yaql.convertInputData': True,
            })
        self.root = yaql.create_context()
        for name, func in functions.all_functions().items():
            yaql_eval._register(self.root, name, func)

    def evaluate(self, text, data):
        context = self.root.create_child_context()
        context[yaql_eval._DATA_KEY] = data
        context['$'] = yaql_utils.convert_input_data(data)
        for key in yaql_eval._SPECIAL_KEYS:
            context[key] = yaql_utils.convert_input_data(data.get(key))
        try:
            return self.engine(text).evaluate(context=context)
        except Exception as e:
            raise exc.YaqlEvaluationException(
                'Can not evaluate YAQL expression [expression=%s, error=%s]'
                % (text, e))

    def outcome(self, text, data):
        return outcome(self.evaluate, text, data)


def keys_as_sets(described):
    """Our ordered dictionary keys compared with plain yaql's sets."""
    if isinstance(described, tuple) and described and \
            described[0] == 'OrderedKeys':
        return ('set', sorted(repr(keys_as_sets(v)) for v in described[1]))
    if isinstance(described, tuple):
        return tuple(keys_as_sets(v) for v in described)
    if isinstance(described, list):
        return [keys_as_sets(v) for v in described]
    return described
