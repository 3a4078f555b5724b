"""Mistral v2 workflow language: parsing and validation (pure, no I/O).

Public API
----------
``parse_workflows(text) -> list[WorkflowSpec]``
    Workflow list document (``version`` + one or more workflows).
``parse_workbook(text) -> WorkbookSpec``
    Workbook (members keep their SHORT names).
``parse_actions(text) -> list[ActionSpec]``
    Ad-hoc action list document.
``get_workflow_spec(definition_text, name=None) -> WorkflowSpec``
``get_action_spec(definition_text, name=None) -> ActionSpec``
    Parse ONE stored definition (a list document holding the workflow, a
    ``version: '2.0'\\n<name>: ...`` fragment or a workbook member slice
    without ``version``). ``name`` selects the member when the text holds
    several (ad-hoc action definitions store the whole document) and becomes
    the spec's name (e.g. ``wb.wf`` for a workbook member stored as ``wf:``).
    Results are cached (LRU keyed by md5 of the text + name): the same object
    is returned for the same text, so specs must be treated as immutable.
``workflow_fragment(spec) -> str``
    YAML stored per workflow when a document holds several workflows
    (``yaml.safe_dump({'version': <doc version>, name: <dict as written>})``)
    or the member's source block for workbook workflows.
``parse_inline_params(text) -> (name, params)``
    The ``name k=v ...`` one-liner parser (dsl.md section 4).
``NO_DEFAULT``
    Sentinel default of required inputs.

Errors: ``DSLParsingException`` (YAML errors, "Definition could not be
parsed: ..."), ``InvalidModelException`` ("Invalid DSL: ..." and semantic
errors), ``ExpressionGrammarException`` subclasses (expression syntax).
All are HTTP 400.
"""

import collections
import hashlib
import threading

from mistral_clone.lang import parser as _parser
from mistral_clone.lang.inline import parse_inline_params
from mistral_clone.lang.specs import (  # noqa: F401
    ActionSpec, Clause, ENGINE_COMMANDS, NO_DEFAULT, PoliciesSpec, RetrySpec,
    TaskDefaultsSpec, TaskSpec, TRANSITION_KINDS, WorkbookSpec, WorkflowSpec)

__all__ = [
    'parse_workflows', 'parse_workbook', 'parse_actions',
    'get_workflow_spec', 'get_action_spec', 'workflow_fragment',
    'parse_inline_params', 'NO_DEFAULT', 'ENGINE_COMMANDS',
    'TRANSITION_KINDS', 'WorkflowSpec', 'TaskSpec', 'TaskDefaultsSpec',
    'ActionSpec', 'WorkbookSpec', 'Clause', 'RetrySpec', 'PoliciesSpec',
    'is_uuid_like', 'clear_cache', 'CACHE_SIZE',
]

CACHE_SIZE = 1024

is_uuid_like = _parser.is_uuid_like


def parse_workflows(text):
    """Parse a workflow list document into WorkflowSpecs (document order)."""
    return _parser.parse_workflows(text)


def parse_workbook(text):
    """Parse a workbook document into a WorkbookSpec."""
    return _parser.parse_workbook(text)


def parse_actions(text):
    """Parse an ad-hoc action list document into ActionSpecs."""
    return _parser.parse_actions(text)


def workflow_fragment(spec):
    """YAML text stored for ``spec`` when it shares its source document."""
    return spec.fragment()


class _LRU(object):
    def __init__(self, size):
        self._size = size
        self._data = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            existing = self._data.get(key)
            if existing is not None:
                # Keep the first object: callers may compare identities.
                self._data.move_to_end(key)
                return existing
            self._data[key] = value
            if len(self._data) > self._size:
                self._data.popitem(last=False)
            return value

    def clear(self):
        with self._lock:
            self._data.clear()

    def __len__(self):
        return len(self._data)


_wf_cache = _LRU(CACHE_SIZE)
_action_cache = _LRU(CACHE_SIZE)


def _key(text, name):
    if isinstance(text, str):
        text = text.encode('utf-8')
    return hashlib.md5(text).hexdigest(), name


def get_workflow_spec(definition_text, name=None):
    """Cached WorkflowSpec of one stored workflow definition."""
    key = _key(definition_text, name)
    spec = _wf_cache.get(key)
    if spec is None:
        spec = _wf_cache.put(
            key, _parser.parse_single_workflow(definition_text, name))
    return spec


def get_action_spec(definition_text, name=None):
    """Cached ActionSpec of one stored ad-hoc action definition."""
    key = _key(definition_text, name)
    spec = _action_cache.get(key)
    if spec is None:
        spec = _action_cache.put(
            key, _parser.parse_single_action(definition_text, name))
    return spec


def clear_cache():
    """Forget cached specs and expression validations (e.g. after the
    allowed expression languages were reconfigured)."""
    _wf_cache.clear()
    _action_cache.clear()
    _parser._validate_cached.cache_clear()
