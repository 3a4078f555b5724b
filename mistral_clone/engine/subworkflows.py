"""Sub-workflow executions of tasks: start and completion.

An item of a ``workflow:`` task starts a child execution in the same
transaction. The child is found with ``db.workflows.find_subworkflow`` in
the namespace the *root* execution was started with (``params.namespace``,
passed down to every child — not the namespace where the parent's own
definition was found), falling back to the default namespace. The child's
``params`` are, in this order: ``root_execution_id``, ``task_execution_id``,
``index`` (of the with-items item), ``namespace``, ``notify`` (if the parent
has one), ``env: {}`` (a child's ``env()`` reads the root's env), then the
task's input keys the child does not declare.

A child is one level deeper than its parent (``runtime_context.depth``;
the root is 0). A task that would start a child deeper than ``[engine]
max_subworkflow_depth`` fails instead, naming the limit: a workflow calling
itself without end stops there. Children started by a start task of a
child started in the same transaction nest the engine's call stack; past
:data:`INLINE_NESTING` of them in one transaction, a child runs its start
tasks in a job of its own (``jobs.WORKFLOW_CONTINUE``).

When the child finishes, ``Workflows.finish`` schedules a
``subworkflow_completed`` job: the parent task goes on in a transaction of
its own, under its workflow's lock.
"""

import logging

from mistral_clone import exceptions as exc
from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.db import workflows as db_workflows
from mistral_clone.engine import changes
from mistral_clone.engine import states
from mistral_clone.engine.failures import fmt_error
from mistral_clone.engine.workflow_run import attempt_of


LOG = logging.getLogger(__name__)

#: Sub-workflows started inside one another's start in one transaction
#: before the next one's start tasks are deferred to a job. Each level
#: costs a dozen Python frames: 20 stays far below the recursion limit.
INLINE_NESTING = 20

# Keys of a child's params the engine relies on (which parent task and
# item a child belongs to): a task input of the same name does not replace
# them.
_ENGINE_PARAMS = frozenset(('root_execution_id', 'task_execution_id',
                            'index'))


class SubWorkflowNotFound(exc.WorkflowException):
    """No sub-workflow of that name is visible to the task."""


def started_namespace(wf_ex):
    """The namespace ``wf_ex``'s tree was started with (where sub-workflows
    are looked up first)."""
    namespace = (wf_ex.params or {}).get('namespace')
    if namespace is None:
        return wf_ex.workflow_namespace or ''
    return namespace if isinstance(namespace, str) else str(namespace)


def depth_of(wf_ex):
    """How deep ``wf_ex`` is under its root execution (root: 0)."""
    return (wf_ex.runtime_context or {}).get('depth', 0)


class SubWorkflows:

    def __init__(self, t):
        self.t = t

    def find(self, run, name):
        """The definition of the sub-workflow ``name`` a task of ``run``
        calls; :class:`SubWorkflowNotFound` if there is none."""
        wf_ex = run.wf_ex
        namespace = started_namespace(wf_ex)
        wf_def = db_workflows.find_subworkflow(
            self.t.s, name, namespace, wf_ex.workflow_name,
            wf_ex.project_id)
        if wf_def is None:
            raise SubWorkflowNotFound(
                'Failed to find workflow [name=%s] [namespace=%s]' % (
                    name, namespace))
        return wf_def

    def start(self, run, task_ex, task_spec, name, task_input, index,
              wf_def=None):
        """Start the child execution of one item (``wf_def``: the child's
        definition, if already found)."""
        t = self.t
        wf_ex = run.wf_ex
        item_done = t.kind_of(task_spec).item_done
        if wf_def is None:
            try:
                wf_def = self.find(run, name)
            except SubWorkflowNotFound as e:
                item_done(run, task_ex, task_spec, states.ERROR, fmt_error(e))
                return
        root_id = wf_ex.root_execution_id or wf_ex.id
        depth = depth_of(wf_ex) + 1
        limit = t.settings.max_subworkflow_depth
        if depth > limit:
            msg = ('Failed to start sub-workflow [name=%s]: the maximum '
                   'sub-workflow depth of %d ([engine] max_subworkflow_depth)'
                   ' would be exceeded [depth=%d, root_execution_id=%s]' % (
                       wf_def.name, limit, depth, root_id))
            LOG.warning('Task %s [task_ex_id=%s]: %s', task_ex.name,
                        task_ex.id, msg)
            item_done(run, task_ex, task_spec, states.ERROR, msg)
            return
        child_spec = lang.get_workflow_spec(wf_def.definition,
                                             name=wf_def.name)
        params = {
            'root_execution_id': root_id,
            'task_execution_id': task_ex.id,
            'index': index or 0,
            'namespace': (wf_ex.params or {}).get(
                'namespace', started_namespace(wf_ex)),
        }
        notify = (wf_ex.params or {}).get('notify')
        if notify:
            params['notify'] = notify
        params['env'] = {}
        declared = {n for n, _ in child_spec.input}
        child_input = {}
        for k, v in (task_input or {}).items():
            if k in declared:
                child_input[k] = v
            elif k not in _ENGINE_PARAMS:
                params[k] = v
        t.nesting += 1
        try:
            child = t.workflows.start(
                wf_def, wf_def.definition, child_input,
                'sub-workflow execution', params, parent_task=task_ex,
                project_id=wf_ex.project_id, depth=depth,
                defer=t.nesting > INLINE_NESTING)
        except (exc.InputException, exc.WorkflowException,
                exc.SizeLimitExceededException) as e:
            item_done(run, task_ex, task_spec, states.ERROR, fmt_error(e))
            return
        finally:
            t.nesting -= 1
        child.root_execution_id = root_id
        child.accepted = False
        rc = dict(child.runtime_context or {})
        rc['attempt'] = attempt_of(task_ex)
        child.runtime_context = rc

    def completed(self, wf_ex_id):
        """Job: the child ``wf_ex_id`` finished; its parent task goes on
        if the child belongs to the task's current attempt."""
        t = self.t
        child = t.s.get(models.WorkflowExecution, wf_ex_id)
        if child is None or not child.task_execution_id:
            return
        task_ex = t.get_task_ex(child.task_execution_id)
        if task_ex is None:
            return
        run = t.lock(task_ex.workflow_execution_id)
        if task_ex.state not in (states.RUNNING, states.PAUSED):
            return
        if child.accepted or (child.runtime_context or {}).get(
                'attempt', 0) != attempt_of(task_ex):
            return
        child.accepted = True
        task_spec = run.task_spec(task_ex)
        if child.state == states.SUCCESS:
            state, info = states.SUCCESS, None
        elif child.state == states.CANCELLED:
            state = states.CANCELLED
            info = child.state_info or (
                'Cancelled subworkflow [execution_id=%s]' % child.id)
        else:
            state = states.ERROR
            info = child.state_info or (
                'Failed subworkflow [execution_id=%s]' % child.id)
        if task_ex.state == states.PAUSED:
            changes.set_task_state(task_ex, states.RUNNING)
        t.kind_of(task_spec).item_done(run, task_ex, task_spec, state, info)
        t.workflows.after_task_event(run)
