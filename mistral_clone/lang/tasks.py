"""Tasks and ``task-defaults``: schemas, specs and how they are built."""

from __future__ import annotations

import copy
import json
import re

from mistral_clone import exceptions as exc
from mistral_clone.lang import policies
from mistral_clone.lang import specs
from mistral_clone.lang import transitions
from mistral_clone.lang import types
from mistral_clone.lang import validation
from mistral_clone.lang.inline import parse_inline_params

MAX_NAME = 255
MAX_JOIN_NAME = 208

_ACTION_XOR_WORKFLOW = [
    {'not': {'type': 'object', 'required': ['action', 'workflow']}},
    {'oneOf': [{'type': 'object', 'required': ['action']},
               {'type': 'object', 'required': ['workflow']}]},
]

_ON_CLAUSES = {kind: transitions.SCHEMA for kind in (
    'on-complete', 'on-success', 'on-error', 'on-skip')}


def _task_schema(wf_type):
    props = {
        'type': {'enum': [wf_type]},
        'action': types.NONEMPTY_STRING,
        'workflow': types.NONEMPTY_STRING,
        'input': {'oneOf': [types.NONEMPTY_DICT, types.NONEMPTY_STRING]},
        'with-items': types.STRING_OR_UNIQUE_STRING_LIST,
        'publish': types.NONEMPTY_DICT,
        'publish-on-error': types.NONEMPTY_DICT,
        'publish-on-skip': types.NONEMPTY_DICT,
    }
    props.update(policies.PROPERTIES)
    props.update({
        'target': types.NONEMPTY_STRING,
        'keep-result': types.EXPRESSION_OR_BOOLEAN,
        'safe-rerun': types.EXPRESSION_OR_BOOLEAN,
    })
    if wf_type == 'direct':
        props['join'] = {'oneOf': [{'enum': ['all', 'one']},
                                   types.POSITIVE_INTEGER]}
        props.update(_ON_CLAUSES)
    else:
        props['requires'] = types.STRING_OR_UNIQUE_STRING_LIST
    return {
        'type': 'object',
        'properties': types.with_meta(props),
        'additionalProperties': False,
        'anyOf': _ACTION_XOR_WORKFLOW,
        'required': ['version', 'name'],
        'definitions': {},
    }


DIRECT_SCHEMA = _task_schema('direct')
REVERSE_SCHEMA = _task_schema('reverse')

_defaults_props = dict(policies.PROPERTIES)
_defaults_props.update(_ON_CLAUSES)
_defaults_props.update({
    'safe-rerun': types.EXPRESSION_OR_BOOLEAN,
    'requires': types.STRING_OR_UNIQUE_STRING_LIST,
})

DEFAULTS_SCHEMA = {
    'type': 'object',
    'properties': types.with_meta(_defaults_props),
    'additionalProperties': False,
    'definitions': {},
}

_VALIDATORS = {'direct': validation.compile_schema(DIRECT_SCHEMA),
               'reverse': validation.compile_schema(REVERSE_SCHEMA)}
_OBJECT = validation.compile_schema(types.OBJECT)
_DEFAULTS = validation.compile_schema(DEFAULTS_SCHEMA)

_WITH_ITEMS_RE = re.compile(
    r'^\s*([\w-]+)\s+in\s+(\[.*\]|<%.+?%>|{{.+?}})\s*$')

SUCCESS = 'SUCCESS'
ERROR = 'ERROR'
SKIPPED = 'SKIPPED'


@specs.spec
class TaskDefaultsSpec(specs.Spec):
    """``task-defaults``: policies, clauses and requirements every task of
    the workflow inherits (already applied to the task specs)."""

    raw: dict
    retry: policies.RetrySpec = None
    wait_before: object = None
    wait_after: object = None
    timeout: object = None
    pause_before: object = None
    concurrency: object = None
    fail_on: object = None
    safe_rerun: object = None
    requires: list = ()
    clauses: dict = None


@specs.spec
class TaskSpec(specs.Spec):
    """One task, task-defaults applied.

    ``raw`` is the task as written plus ``type``/``name``/``version`` (what
    task executions store as their spec). ``type`` is ``ACTION`` or
    ``WORKFLOW``; ``join`` is None, ``'all'`` or a count; ``requires``
    (reverse workflows) lists the task's own and inherited requirements.
    """

    name: str
    raw: dict
    type: str
    action: str = None
    action_is_expression: bool = False
    workflow: str = None
    inline_params: dict = None
    input: object = None
    publish: dict = None
    publish_on_error: dict = None
    publish_on_skip: dict = None
    with_items: list = None
    keep_result: object = True
    target: str = None
    safe_rerun: object = False
    join: object = None
    policies: policies.PoliciesSpec = None
    requires: list = ()
    description: str = None
    tags: list = ()
    clauses: dict = None
    own_clauses: dict = None

    def transitions(self, kind):
        """Effective clause for ``kind`` (task-defaults already applied)."""
        return (self.clauses or {}).get(kind, transitions.EMPTY)

    def own_transitions(self, kind):
        """The task's own clause, without task-defaults."""
        return (self.own_clauses or {}).get(kind, transitions.EMPTY)

    def publish_for(self, state):
        """``(branch_or_None, global_or_None)`` published for final ``state``.

        Reproduces the combination the reference engine implements
        (dsl.md 7.3), including its merge quirks. Expressions are not
        evaluated. Returned dicts are fresh copies.
        """
        if state == SUCCESS:
            plain, clause_kind = self.publish, 'on-success'
        elif state == ERROR:
            plain, clause_kind = self.publish_on_error, 'on-error'
        elif state == SKIPPED:
            plain, clause_kind = self.publish_on_skip, 'on-skip'
        else:
            return None, None

        # (branch, global) pairs; None part = absent.
        pair = [dict(plain), None] if plain else None

        complete = self.own_transitions('on-complete')
        if complete.has_publish:
            if pair is not None:
                # Merged into the plain publish: only the parts the plain
                # publish has survive (so on-complete's global is lost).
                if pair[0] is not None and complete.publish_branch:
                    pair[0] = specs.merge_dicts(pair[0],
                                                complete.publish_branch)
            else:
                pair = [complete.publish_branch, complete.publish_global]

        clause = self.own_transitions(clause_kind)
        if clause.has_publish:
            x_branch, x_global = clause.publish_branch, clause.publish_global
            if pair is not None:
                if x_branch and pair[0]:
                    x_branch = specs.merge_dicts(x_branch, pair[0])
                if x_global and pair[1]:
                    x_global = specs.merge_dicts(x_global, pair[1])
            pair = [x_branch, x_global]

        if pair is None:
            return None, None
        branch, glob = pair
        return (copy.deepcopy(branch) if branch else None,
                copy.deepcopy(glob) if glob else None)


# --- task-defaults ----------------------------------------------------------

def build_defaults(data, checks, path):
    """TaskDefaultsSpec of a ``task-defaults`` section found at ``path``."""
    checks.schema(_DEFAULTS, data, path)
    policies.check_expressions(data, checks)
    checks.expression(data.get('safe-rerun'))
    clauses = {kind: transitions.parse(data.get(kind), checks)
               for kind in specs.TRANSITION_KINDS}
    return TaskDefaultsSpec(
        raw=data, clauses=clauses,
        retry=policies.parse_retry(data.get('retry'), checks,
                                   path + ('retry',)),
        wait_before=data.get('wait-before'),
        wait_after=data.get('wait-after'),
        timeout=data.get('timeout'),
        pause_before=data.get('pause-before'),
        concurrency=data.get('concurrency'),
        fail_on=data.get('fail-on'),
        safe_rerun=data.get('safe-rerun'),
        requires=specs.to_list(data.get('requires')),
    )


# --- tasks: one function per part of a task ---------------------------------

def _raw(name, data, wf_type, checks, path):
    """The task as written plus type/name/version, schema-checked."""
    checks.schema(_OBJECT, data, path)
    raw = dict(data)
    raw['type'] = wf_type
    raw['name'] = name
    raw['version'] = specs.DEFAULT_VERSION
    checks.schema(_VALIDATORS[wf_type], raw, path)
    return raw


def _check_name_length(name, raw, checks):
    if not checks.enabled:
        return
    if len(name) > MAX_NAME:
        raise exc.InvalidModelException(
            "The length of a '%s' task name must not exceed %s symbols"
            % (name, MAX_NAME))
    join = raw.get('join')
    if join is not None and join != 0 and len(name) > MAX_JOIN_NAME:
        raise exc.InvalidModelException(
            "The length of a '%s' join task name must not exceed %s symbols"
            % (name, MAX_JOIN_NAME))


def _call(raw, checks):
    """What the task runs: ``action`` or ``workflow`` with the inline
    parameters of its one-liner."""
    action = workflow = None
    inline = {}
    if 'action' in raw:
        action, inline = parse_inline_params(raw['action'])
    elif 'workflow' in raw:
        workflow, inline = parse_inline_params(raw['workflow'])
    checks.values(inline)
    return {'action': action, 'workflow': workflow, 'inline_params': inline,
            'action_is_expression': validation.is_expression(action),
            'type': 'WORKFLOW' if workflow is not None else 'ACTION'}


def _data(raw, checks):
    """Input, publish and result options (``keep-result`` is checked with
    the policies, in the reference's order)."""
    task_input = raw.get('input')
    if isinstance(task_input, str):
        checks.expression(task_input)
    else:
        checks.values(task_input)
    for key in ('publish', 'publish-on-error', 'publish-on-skip'):
        checks.values(raw.get(key))
    return {'input': {} if task_input is None else task_input,
            'publish': raw.get('publish'),
            'publish_on_error': raw.get('publish-on-error'),
            'publish_on_skip': raw.get('publish-on-skip'),
            'keep_result': raw.get('keep-result', True),
            'target': raw.get('target')}


def _with_items(raw, checks):
    """``[(variable, list_or_expression), ...]`` or None."""
    value = raw.get('with-items')
    if value is None:
        return None
    result = []
    for item in [value] if isinstance(value, str) else value:
        m = _WITH_ITEMS_RE.match(item) if isinstance(item, str) else None
        if not m:
            raise exc.InvalidModelException(
                "Wrong format of 'with-items' property. Please use format "
                "'var in {[some, list] | <%% $.array %%> }: %r" % (raw,))
        var, collection = m.group(1), m.group(2)
        if collection.startswith('['):
            try:
                collection = json.loads(collection)
            except ValueError as e:
                raise exc.InvalidModelException(
                    "Invalid array in 'with-items' clause: %s, error: %s"
                    % (collection, e))
        else:
            checks.expression(collection)
        result.append((var, collection))
    return result


def _policies(raw, defaults, checks, path):
    """Policies and safe-rerun, task-defaults applied."""
    policies.check_expressions(raw, checks)
    checks.expression(raw.get('keep-result'))
    checks.expression(raw.get('safe-rerun'))
    retry = policies.parse_retry(raw.get('retry'), checks, path + ('retry',))
    safe_rerun = raw.get('safe-rerun')
    if safe_rerun is None and defaults is not None:
        safe_rerun = defaults.safe_rerun
    return {'policies': policies.resolve(raw, retry, defaults),
            'safe_rerun': False if safe_rerun is None else safe_rerun}


def _direct_flow(name, raw, defaults, checks):
    """Clauses (own and effective) and ``join`` of a direct workflow task."""
    own = {kind: transitions.parse(raw.get(kind), checks)
           for kind in specs.TRANSITION_KINDS}
    effective = {kind: transitions.inherit(
        own[kind], defaults and defaults.clauses[kind], name)
        for kind in specs.TRANSITION_KINDS}
    join = raw.get('join')
    if join == 'one':
        join = 1
    elif join is not None and join != 'all':
        join = int(join) or None
    return {'clauses': effective, 'own_clauses': own, 'join': join}


def _requires(name, raw, defaults):
    """Requirements of a reverse workflow task (own, then inherited)."""
    requires = []
    inherited = defaults.requires if defaults is not None else []
    for r in specs.to_list(raw.get('requires')) + list(inherited):
        if r != name and r not in requires:
            requires.append(r)
    return {'requires': requires}


def build(name, data, wf_type, defaults, checks, path):
    """TaskSpec of task ``name`` (``data`` as written, found at ``path``)
    of a ``wf_type`` workflow whose task-defaults are ``defaults``."""
    raw = _raw(name, data, wf_type, checks, path)
    _check_name_length(name, raw, checks)
    # Checked in this order, which decides the error a task with several
    # reports.
    call = _call(raw, checks)
    task_data = _data(raw, checks)
    with_items = _with_items(raw, checks)
    task_policies = _policies(raw, defaults, checks, path)
    if wf_type == 'direct':
        flow = _direct_flow(name, raw, defaults, checks)
    else:
        flow = _requires(name, raw, defaults)
    return TaskSpec(
        name=name, raw=raw, description=raw.get('description'),
        tags=list(raw.get('tags') or []), with_items=with_items, **call,
        **task_data, **task_policies, **flow)
