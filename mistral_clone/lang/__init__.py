"""Mistral v2 workflow language: parsing and validation (pure, no I/O).

Public API
----------
``parse_workflows(text, validate=True) -> list[WorkflowSpec]``
    Workflow list document (``version`` + one or more workflows).
``parse_workbook(text, validate=True) -> WorkbookSpec``
    Workbook (members keep their SHORT names).
``parse_actions(text) -> list[ActionSpec]``
    Ad-hoc action list document (always validated, like the reference).
``get_workflow_spec(definition_text, name=None) -> WorkflowSpec``
``get_action_spec(definition_text, name=None) -> ActionSpec``
    Parse ONE stored definition (a list document holding the workflow, a
    ``version: '2.0'\\n<name>: ...`` fragment or a workbook member slice
    without ``version``). ``name`` selects the member when the text holds
    several (ad-hoc action definitions store the whole document) and becomes
    the spec's name (e.g. ``wb.wf`` for a workbook member stored as ``wf:``).
    Stored definitions were validated when they were stored (or stored
    without validation on purpose), so they are only built, as the
    reference does when it runs them.
``parse_inline_params(text) -> (name, params)``
    The ``name k=v ...`` one-liner parser (dsl.md section 4).
``NO_DEFAULT``
    Sentinel default of required inputs.

Every result is cached (LRU keyed by the md5 of the text and the
arguments): a document uploaded again is not parsed and validated again,
and the same spec objects are returned for the same text.

Each spec's ``definition`` is the text stored for it: the document itself
when it holds one workflow, else the workflow's own fragment (``version``
plus the workflow as written) or, in a workbook, the member's source block.

``validate=False`` (the reference's ``?skip_validation``) builds the specs
without the JSON schema, expression syntax and semantic checks; YAML errors,
an unknown workflow type, malformed ``with-items``, names with spaces and
data no spec can be built from are still refused.

Errors: ``DSLParsingException`` (YAML errors, "Definition could not be
parsed: ..."), ``InvalidModelException`` ("Invalid DSL: ..." and semantic
errors), ``ExpressionGrammarException`` subclasses (expression syntax).
All are HTTP 400.
"""

import collections
import hashlib
import threading

from mistral_clone.lang import parser
from mistral_clone.lang import validation
from mistral_clone.lang.actions import ActionSpec
from mistral_clone.lang.inline import parse_inline_params
from mistral_clone.lang.policies import PoliciesSpec, RetrySpec
from mistral_clone.lang.specs import (
    ENGINE_COMMANDS, NO_DEFAULT, TRANSITION_KINDS)
from mistral_clone.lang.tasks import TaskDefaultsSpec, TaskSpec
from mistral_clone.lang.transitions import Clause
from mistral_clone.lang.workbooks import WorkbookSpec
from mistral_clone.lang.workflows import WorkflowSpec

__all__ = [
    'parse_workflows', 'parse_workbook', 'parse_actions',
    'get_workflow_spec', 'get_action_spec', 'parse_inline_params',
    'clear_cache', 'NO_DEFAULT', 'ENGINE_COMMANDS', 'TRANSITION_KINDS',
    'WorkflowSpec', 'TaskSpec', 'TaskDefaultsSpec', 'ActionSpec',
    'WorkbookSpec', 'Clause', 'RetrySpec', 'PoliciesSpec',
]

CACHE_SIZE = 1024
# Also bounded by the size of the texts cached: a parsed spec takes tens of
# times its text's size, so a thousand large documents would hold hundreds
# of MB (measured: bench/ peak RSS).
CACHE_TEXT_BYTES = 2 * 1024 * 1024
# Uploaded documents (parse_workflows/_workbook/_actions: an API process
# validating definitions) are asked for again only when the same text comes
# back soon (validated, then created; a retried request): a few are kept.
# What they hold is ~50 times their text (5 uploads of a 100-task chain,
# 27 KB, kept 1.5 MB of specs in an API worker): 2 MB of text was up to
# ~100 MB in a long-running API process.
DOCUMENT_CACHE_SIZE = 16
DOCUMENT_CACHE_TEXT_BYTES = 128 * 1024


class _LRU(object):
    def __init__(self, size, max_weight=None):
        self._size = size
        self._max_weight = max_weight
        self._weight = 0
        self._data = collections.OrderedDict()   # key -> (value, weight)
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            self._data.move_to_end(key)
            return entry[0]

    def put(self, key, value, weight=0):
        with self._lock:
            existing = self._data.get(key)
            if existing is not None:
                # Keep the first object: callers may compare identities.
                self._data.move_to_end(key)
                return existing[0]
            self._data[key] = (value, weight)
            self._weight += weight
            while len(self._data) > 1 and (
                    len(self._data) > self._size or
                    (self._max_weight is not None and
                     self._weight > self._max_weight)):
                _, (_, w) = self._data.popitem(last=False)
                self._weight -= w
            return value

    def clear(self):
        with self._lock:
            self._data.clear()
            self._weight = 0


_wf_cache = _LRU(CACHE_SIZE, CACHE_TEXT_BYTES)
_action_cache = _LRU(CACHE_SIZE, CACHE_TEXT_BYTES)
_document_cache = _LRU(DOCUMENT_CACHE_SIZE, DOCUMENT_CACHE_TEXT_BYTES)
_CACHES = (_wf_cache, _action_cache, _document_cache)


def _key(text, extra):
    if isinstance(text, str):
        text = text.encode('utf-8')
    return hashlib.md5(text).hexdigest(), extra


def _memo(cache, text, extra, build):
    """``build()``, once per (checksum of ``text``, ``extra``)."""
    key = _key(text, extra)
    value = cache.get(key)
    if value is None:
        value = cache.put(key, build(), len(text or ''))
    return value


def parse_workflows(text, validate=True):
    """WorkflowSpecs of a workflow list document, in document order."""
    return list(_memo(_document_cache, text, ('workflows', validate),
                      lambda: tuple(parser.parse_workflows(text, validate))))


def parse_workbook(text, validate=True):
    """WorkbookSpec of a workbook document."""
    return _memo(_document_cache, text, ('workbook', validate),
                 lambda: parser.parse_workbook(text, validate))


def parse_actions(text):
    """ActionSpecs of an ad-hoc action list document (always validated)."""
    return list(_memo(_document_cache, text, 'actions',
                      lambda: tuple(parser.parse_actions(text))))


def get_workflow_spec(definition_text, name=None):
    """Cached WorkflowSpec of one stored workflow definition."""
    return _memo(_wf_cache, definition_text, name,
                 lambda: parser.parse_single_workflow(
                     definition_text, validate=False, name=name))


def get_action_spec(definition_text, name=None):
    """Cached ActionSpec of one stored ad-hoc action definition."""
    return _memo(_action_cache, definition_text, name,
                 lambda: parser.parse_single_action(
                     definition_text, validate=False, name=name))


def clear_cache():
    """Forget cached specs and expression validations (e.g. after the
    allowed expression languages were reconfigured)."""
    for cache in _CACHES:
        cache.clear()
    validation.forget_checked_expressions()
