"""Immutable spec objects produced by the parser.

Attribute values that are containers (dicts/lists taken from the YAML) are
shared by every user of a cached spec: treat them as read-only. The spec
objects themselves refuse attribute assignment.
"""

import copy
import json


class _NoDefault(object):
    """Sentinel: a declared input without default (a required input)."""

    __slots__ = ()

    def __repr__(self):
        return 'NO_DEFAULT'

    def __reduce__(self):
        return (_get_no_default, ())

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


NO_DEFAULT = _NoDefault()


def _get_no_default():
    return NO_DEFAULT


ENGINE_COMMANDS = frozenset(('noop', 'fail', 'succeed', 'pause'))

TRANSITION_KINDS = ('on-success', 'on-error', 'on-complete', 'on-skip')

SUCCESS = 'SUCCESS'
ERROR = 'ERROR'
SKIPPED = 'SKIPPED'


class _Frozen(object):
    __slots__ = ()

    def _init(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        raise AttributeError('%s is immutable' % type(self).__name__)

    def __delattr__(self, name):
        raise AttributeError('%s is immutable' % type(self).__name__)

    # pickle/copy support despite the immutability guard
    def __getstate__(self):
        state = {}
        for cls in type(self).__mro__:
            for k in getattr(cls, '__slots__', ()):
                if hasattr(self, k):
                    state[k] = getattr(self, k)
        return state

    def __setstate__(self, state):
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def __repr__(self):
        name = getattr(self, 'name', None)
        return '<%s %s>' % (type(self).__name__, name)


def merge_dicts(left, right):
    """Deep merge ``right`` into a copy of ``left`` (right wins)."""
    result = dict(left)
    for k, v in right.items():
        if isinstance(v, dict) and isinstance(result.get(k), dict):
            result[k] = merge_dicts(result[k], v)
        else:
            result[k] = v
    return result


class RetrySpec(_Frozen):
    """``retry`` policy: raw values (ints or expression strings)."""

    __slots__ = ('count', 'delay', 'break_on', 'continue_on', 'raw')

    def __init__(self, count, delay, break_on=None, continue_on=None,
                 raw=None):
        self._init(count=count, delay=delay, break_on=break_on,
                   continue_on=continue_on, raw=raw)

    def __eq__(self, other):
        return (isinstance(other, RetrySpec) and
                (self.count, self.delay, self.break_on, self.continue_on) ==
                (other.count, other.delay, other.break_on, other.continue_on))

    def __hash__(self):
        return hash((RetrySpec, repr(self.count), repr(self.delay)))

    def __repr__(self):
        return ('RetrySpec(count=%r, delay=%r, break_on=%r, continue_on=%r)'
                % (self.count, self.delay, self.break_on, self.continue_on))


class PoliciesSpec(_Frozen):
    """Task policies resolved against task-defaults ("active" rules)."""

    __slots__ = ('pause_before', 'wait_before', 'wait_after', 'timeout',
                 'retry', 'concurrency', 'fail_on')

    def __init__(self, **kwargs):
        for k in self.__slots__:
            object.__setattr__(self, k, kwargs.get(k))

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return 'PoliciesSpec(%s)' % ', '.join(
            '%s=%r' % (k, getattr(self, k)) for k in self.__slots__
            if getattr(self, k) is not None)


class Clause(_Frozen):
    """One transition clause (on-success/on-error/on-complete/on-skip).

    ``entries``: list of ``(target_name, params_dict, guard_or_None)`` in
    document order; engine commands (fail/succeed/pause/noop) are kept as
    names with their params. ``publish_branch``/``publish_global``: dicts
    from the advanced ``publish:`` form (or None).
    """

    __slots__ = ('entries', 'publish_branch', 'publish_global',
                 'publish_atomic', 'has_publish')

    def __init__(self, entries=(), publish_branch=None, publish_global=None,
                 publish_atomic=None, has_publish=False):
        self._init(entries=list(entries), publish_branch=publish_branch,
                   publish_global=publish_global,
                   publish_atomic=publish_atomic, has_publish=has_publish)

    def names(self):
        return [e[0] for e in self.entries]

    def __bool__(self):
        return bool(self.entries)

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __repr__(self):
        return 'Clause(%r, branch=%r, global=%r)' % (
            self.entries, self.publish_branch, self.publish_global)


EMPTY_CLAUSE = Clause()


class TaskDefaultsSpec(_Frozen):
    """``task-defaults`` section: raw values of the allowed keys."""

    __slots__ = ('raw', 'retry', 'wait_before', 'wait_after', 'timeout',
                 'pause_before', 'concurrency', 'fail_on', 'on_complete',
                 'on_success', 'on_error', 'on_skip', 'safe_rerun',
                 'requires', 'clauses')

    def __init__(self, **kwargs):
        for k in self.__slots__:
            object.__setattr__(self, k, kwargs.get(k))

    def get(self, key, default=None):
        return self.raw.get(key, default)

    def __repr__(self):
        return '<TaskDefaultsSpec %r>' % (self.raw,)


class TaskSpec(_Frozen):
    """One task. See the package docstring for the attribute contract."""

    __slots__ = (
        'name', 'workflow_type', 'description', 'tags', 'action',
        'action_is_expression', 'workflow', 'inline_params', 'input',
        'publish', 'publish_on_error', 'publish_on_skip', 'with_items',
        'keep_result', 'target', 'safe_rerun', 'join', 'type', 'raw',
        'policies', 'requires', '_clauses', '_own_clauses')

    def __init__(self, **kwargs):
        for k in self.__slots__:
            object.__setattr__(self, k, kwargs.get(k))

    # --- convenience -----------------------------------------------------
    @property
    def spec(self):
        """The task spec dict as stored on task executions."""
        return self.raw

    @property
    def merged_input(self):
        """Inline params merged under ``input`` (``input`` keys win).

        A string (expression) ``input`` is returned unchanged: it is
        evaluated first and merged by the engine.
        """
        if isinstance(self.input, str):
            return self.input
        if not self.inline_params:
            return self.input
        result = dict(self.inline_params)
        result.update(self.input)
        return result

    @property
    def is_join(self):
        return self.join is not None

    @property
    def retry(self):
        return self.policies.retry

    def get_policy(self, key):
        return getattr(self.policies, key.replace('-', '_'))

    # --- direct workflow transitions --------------------------------------
    def transitions(self, kind):
        """Effective clause for ``kind`` (task-defaults already applied)."""
        if self._clauses is None:
            return EMPTY_CLAUSE
        return self._clauses.get(kind, EMPTY_CLAUSE)

    def own_transitions(self, kind):
        """The task's own clause, without task-defaults."""
        if self._own_clauses is None:
            return EMPTY_CLAUSE
        return self._own_clauses.get(kind, EMPTY_CLAUSE)

    def next_task_names(self):
        """All names in all effective clauses (guards ignored)."""
        result = []
        for kind in TRANSITION_KINDS:
            for entry in self.transitions(kind).entries:
                result.append(entry[0])
        return result

    def publish_for(self, state):
        """``(branch_or_None, global_or_None)`` published for final ``state``.

        Reproduces the combination the reference engine implements
        (dsl.md 7.3), including its merge quirks. Expressions are not
        evaluated. Returned dicts are fresh copies.
        """
        if state == SUCCESS:
            plain = self.publish
            clause_kind = 'on-success'
        elif state == ERROR:
            plain = self.publish_on_error
            clause_kind = 'on-error'
        elif state == SKIPPED:
            plain = self.publish_on_skip
            clause_kind = 'on-skip'
        else:
            return None, None

        # (branch, global) pairs; None part = absent.
        spec = None
        if plain:
            spec = [dict(plain), None]

        complete = self.own_transitions('on-complete')
        if complete.has_publish:
            if spec is not None:
                # Merge into the plain publish: only the parts the plain
                # publish has survive (so on-complete's global is lost).
                if spec[0] is not None and complete.publish_branch:
                    spec[0] = merge_dicts(spec[0], complete.publish_branch)
            else:
                spec = [complete.publish_branch, complete.publish_global]

        clause = self.own_transitions(clause_kind)
        if clause.has_publish:
            x_branch = clause.publish_branch
            x_global = clause.publish_global
            if spec is not None:
                if x_branch and spec[0]:
                    x_branch = merge_dicts(x_branch, spec[0])
                if x_global and spec[1]:
                    x_global = merge_dicts(x_global, spec[1])
            spec = [x_branch, x_global]

        if spec is None:
            return None, None
        branch, glob = spec
        return (copy.deepcopy(branch) if branch else None,
                copy.deepcopy(glob) if glob else None)


class WorkflowSpec(_Frozen):
    """One workflow (direct or reverse). ``local_name``: its name as
    written in its definition (``wf`` for the workbook workflow ``wb.wf``).
    """

    __slots__ = (
        'name', 'local_name', 'version', 'type', 'description', 'tags',
        'input', 'output', 'output_on_error', 'vars', 'task_defaults',
        'tasks', 'raw',
        '_inbound', '_start', '_definition', '_fragment', '_doc_version',
        '_written')

    def __init__(self, **kwargs):
        for k in self.__slots__:
            object.__setattr__(self, k, kwargs.get(k))

    @property
    def definition(self):
        """Text the reference stores as this workflow's definition."""
        if self._definition is not None:
            return self._definition
        return self.fragment()

    def fragment(self):
        if self._fragment is None:
            object.__setattr__(self, '_fragment', _dump_fragment(
                self._doc_version, self.name, self._raw_as_written()))
        return self._fragment

    def _raw_as_written(self):
        if self._written is not None:
            return self._written
        raw = dict(self.raw)
        raw.pop('name', None)
        raw.pop('version', None)
        return raw

    def get_task(self, name):
        return self.tasks.get(name)

    def get_tasks(self):
        return list(self.tasks.values())

    @property
    def input_names(self):
        return [n for n, _ in self.input]

    def input_defaults(self):
        return {n: d for n, d in self.input if d is not NO_DEFAULT}

    def required_inputs(self):
        return [n for n, d in self.input if d is NO_DEFAULT]

    def interface(self):
        return {
            'input': [n if d is NO_DEFAULT else {n: d}
                      for n, d in self.input],
            'output': list(self.output or {}),
        }

    def input_display(self):
        parts = []
        for n, d in self.input:
            if d is NO_DEFAULT:
                parts.append(n)
            else:
                parts.append('%s="%s"' % (n, d))
        return ', '.join(parts)

    # --- direct -----------------------------------------------------------
    def start_task_names(self):
        return list(self._start or ())

    def start_tasks(self):
        return [self.tasks[n] for n in self.start_task_names()]

    def inbound_task_names(self, name):
        if self._inbound is None:
            return []
        return list(self._inbound.get(name, ()))

    # --- reverse ----------------------------------------------------------
    def requires(self, task_name):
        task = self.tasks.get(task_name)
        return list(task.requires) if task is not None else []


class ActionSpec(_Frozen):
    """Ad-hoc action."""

    __slots__ = ('name', 'description', 'tags', 'base', 'base_input',
                 'base_params', 'input', 'output', 'raw', '_definition')

    def __init__(self, **kwargs):
        for k in self.__slots__:
            object.__setattr__(self, k, kwargs.get(k))

    @property
    def definition(self):
        return self._definition

    @property
    def input_names(self):
        return [n for n, _ in self.input]

    def input_defaults(self):
        return {n: d for n, d in self.input if d is not NO_DEFAULT}

    def input_display(self):
        """``a, b=2, c="x"`` (JSON defaults); None when no input section."""
        if not self.input and 'input' not in self.raw:
            return None
        parts = []
        for n, d in self.input:
            if d is NO_DEFAULT:
                parts.append(n)
            else:
                parts.append('%s=%s' % (n, json.dumps(d)))
        return ', '.join(parts)


class WorkbookSpec(_Frozen):
    __slots__ = ('name', 'description', 'tags', 'version', 'workflows',
                 'actions', 'raw')

    def __init__(self, **kwargs):
        for k in self.__slots__:
            object.__setattr__(self, k, kwargs.get(k))

    def get_workflow(self, name):
        for w in self.workflows:
            if w.name == name:
                return w
        return None

    def get_action(self, name):
        for a in self.actions:
            if a.name == name:
                return a
        return None


def yaml_dump(data):
    import yaml
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def _dump_fragment(version, name, raw):
    return yaml_dump({'version': version, name: raw})
