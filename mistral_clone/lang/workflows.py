"""Workflows (direct and reverse): schema, spec, how one is built and the
task graph checks."""

from __future__ import annotations

import functools

from mistral_clone import exceptions as exc
from mistral_clone.lang import specs
from mistral_clone.lang import tasks as task_specs
from mistral_clone.lang import types
from mistral_clone.lang import validation

SPEC_CLASS = "<class 'mistral.lang.v2.workflows.WorkflowSpec'>"

TYPES = ('direct', 'reverse')

SCHEMA = {
    'properties': {
        'tasks': {
            'type': 'object', 'minProperties': 1,
            'patternProperties': {r'^\w+$': types.NONEMPTY_DICT},
        },
        'type': {'enum': ['reverse', 'direct']},
        'task-defaults': types.NONEMPTY_DICT,
        'input': types.UNIQUE_STRING_OR_ONE_KEY_DICT_LIST,
        'output': types.NONEMPTY_DICT,
        'output-on-error': types.NONEMPTY_DICT,
        'vars': types.NONEMPTY_DICT,
        'tags': types.UNIQUE_STRING_LIST,
    },
    'required': ['tasks'],
    'definitions': {},
}

_VALIDATOR = validation.compile_schema(SCHEMA)


@specs.spec
class WorkflowSpec(specs.Spec):
    """One workflow.

    ``raw`` is the workflow as written plus ``name``/``version``;
    ``input`` is ``[(name, default or NO_DEFAULT), ...]``; ``definition``
    is the text the reference stores for it (the document itself when it
    holds only this workflow, else a fragment of its own); ``local_name``
    is its name as written in its document (``wf`` for the workbook
    workflow ``wb.wf``).
    """

    name: str
    type: str
    tasks: dict
    raw: dict
    version: str = specs.DEFAULT_VERSION
    description: str = None
    tags: list = ()
    input: list = ()
    output: dict = None
    output_on_error: dict = None
    vars: dict = None
    task_defaults: task_specs.TaskDefaultsSpec = None
    inbound: dict = None
    start: list = ()
    definition: str = None
    local_name: str = None

    def interface(self):
        return {
            'input': [n if d is specs.NO_DEFAULT else {n: d}
                      for n, d in self.input],
            'output': list(self.output or {}),
        }

    def input_display(self):
        """The reference's ``input`` field: ``a, b="2"``."""
        return ', '.join(n if d is specs.NO_DEFAULT else '%s="%s"' % (n, d)
                         for n, d in self.input)

    # --- direct -----------------------------------------------------------
    @functools.cached_property
    def has_joins(self):
        """Whether a task of this direct workflow joins (computed once:
        the engine asks after every task event)."""
        return self.type == 'direct' and any(
            t.join for t in self.tasks.values())

    def start_task_names(self):
        return list(self.start)

    def inbound_task_names(self, name):
        return list((self.inbound or {}).get(name, ()))

    # --- reverse ----------------------------------------------------------
    def requires(self, task_name):
        task = self.tasks.get(task_name)
        return list(task.requires) if task is not None else []


def build(name, data, checks, display_name=None, path=()):
    """WorkflowSpec of ``name: data`` found at ``path`` (``display_name``,
    e.g. ``wb.wf`` for a workbook member, becomes the spec's name)."""
    raw = dict(data)
    raw['name'] = display_name or name
    raw['version'] = specs.DEFAULT_VERSION
    wf_type = raw.get('type', 'direct')
    if not isinstance(wf_type, str) or wf_type not in TYPES:
        raise exc.InvalidModelException(
            'Failed to find a specification class to instantiate '
            '[spec_cls=%s, data=%r]' % (SPEC_CLASS, raw))
    checks.schema(_VALIDATOR, raw, path)
    tasks_data = raw['tasks']
    validation.string_keys(tasks_data, path + ('tasks',))
    td = raw.get('task-defaults')
    defaults = None if td is None else task_specs.build_defaults(
        td, checks, path + ('task-defaults',))
    output = raw.get('output') or {}
    checks.values(output)
    wf_vars = raw.get('vars') or {}
    checks.values(wf_vars)
    tasks = {t_name: task_specs.build(t_name, t_data, wf_type, defaults,
                                      checks, path + ('tasks', t_name))
             for t_name, t_data in tasks_data.items()}
    inbound = start = None
    if wf_type == 'direct':
        inbound, start = _direct_graph(raw['name'], tasks, defaults, checks)
    elif checks.enabled:
        _check_reverse(tasks, defaults)
    return WorkflowSpec(
        name=raw['name'], local_name=name, type=wf_type, tasks=tasks,
        raw=raw,
        description=raw.get('description'), tags=list(raw.get('tags') or []),
        input=specs.parse_input(raw.get('input')), output=output,
        output_on_error=raw.get('output-on-error') or {}, vars=wf_vars,
        task_defaults=defaults, inbound=inbound, start=start or [])


def _not_found(name):
    return exc.InvalidModelException("Task '%s' not found." % name)


def _direct_graph(wf_name, tasks, defaults, checks):
    """``({task: [inbound task names]}, [start task names])``.

    Transitions to unknown tasks are refused even without validation (the
    reference accepts them there and fails the execution when one fires;
    our engine cannot run them). With checks on, joins without enough
    inbound tasks and workflows without a start task are refused too.
    """
    if defaults is not None:
        for clause in defaults.clauses.values():
            for target, _, _ in clause.entries:
                if target not in tasks and target not in specs.ENGINE_COMMANDS:
                    raise _not_found(target)
    inbound = {n: [] for n in tasks}
    for t in tasks.values():
        for kind in specs.TRANSITION_KINDS:
            for target, _, _ in t.transitions(kind).entries:
                sources = inbound.get(target)
                if sources is None:
                    if target not in specs.ENGINE_COMMANDS:
                        raise _not_found(target)
                elif t.name not in sources:
                    sources.append(t.name)
    start = [n for n, sources in inbound.items() if not sources]
    if checks.enabled:
        _check_joins(tasks, inbound)
        if not start:
            raise exc.InvalidModelException(
                'Failed to find start tasks in direct workflow. There must '
                'be at least one task without inbound transition.'
                '[workflow_name=%s]' % wf_name)
    return inbound, start


def _check_joins(tasks, inbound):
    for t in tasks.values():
        if t.join is None:
            continue
        count = len(inbound[t.name])
        if t.join == 'all':
            if count == 0:
                raise exc.InvalidModelException(
                    "No inbound tasks for task with 'join: all' "
                    "[task_name=%s]" % t.name)
        elif count < t.join:
            raise exc.InvalidModelException(
                "Not enough inbound tasks for task with 'join' "
                "[task_name=%s, join=%s, inbound_tasks=%s]"
                % (t.name, t.join, count))


def _check_reverse(tasks, defaults):
    if defaults is not None:
        for r in defaults.requires:
            if r not in tasks:
                raise _not_found(r)
    for t in tasks.values():
        for r in specs.to_list(t.raw.get('requires')):
            if r not in tasks:
                raise _not_found(r)
