"""Task kinds: how a started task runs its work, and when it is done.

A task's work is one or more *items*, each one action execution or one
sub-workflow execution. :class:`SingleRun` (a plain task) runs one item
and completes with it; ``with_items.WithItems`` runs one item per element
of its collections, a few at a time. ``Transaction.kind_of(task_spec)`` is
the one place that tells them apart; both offer the same four operations:

* ``start(run, task_ex, task_spec, indexes=None)`` — start the work
  (each through ``start_work``);
* ``item_done(run, task_ex, task_spec, state, state_info)`` — an item's
  action or sub-workflow finished;
* ``item_of(run, task_ex, task_spec, index)`` — the item values an item's
  expressions see (to prepare its action again after an executor loss);
* ``rerun_indexes(task_ex, old_runtime_context, reset)`` — which items a
  rerun starts (None: all).
"""

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.engine.failures import ForcedFailure
from mistral_clone.engine.failures import run_task_error


class TaskKind:

    def __init__(self, t):
        self.t = t

    def start_work(self, run, task_ex, task_spec, index, name, task_input,
                   view, found=None):
        """Start the action or sub-workflow ``name`` of one item (``index``
        None for a plain task). ``found``, if already known: the
        sub-workflow's definition, or the checked action and input."""
        if task_spec.workflow:
            self.t.subworkflows.start(run, task_ex, task_spec, name,
                                      task_input, index, wf_def=found)
        else:
            self.t.actions.start(run, task_ex, task_spec, name, task_input,
                                 index, view, checked=found)


class SingleRun(TaskKind):
    """A plain task: one action or sub-workflow. Its input and action or
    sub-workflow name that cannot be evaluated fail the workflow."""

    def start(self, run, task_ex, task_spec, indexes=None):
        view = run.view(task_ex, task_ex.in_context)
        try:
            task_input = task_input_of(run, task_spec, view)
            name = work_name(run, task_spec, view)
        except ForcedFailure:
            raise
        except Exception as e:
            raise run_task_error(run, task_ex, e)
        self.start_work(run, task_ex, task_spec, None, name, task_input,
                        view)

    def item_done(self, run, task_ex, task_spec, state, state_info):
        self.t.tasks.complete(run, task_ex, state, state_info)

    def item_of(self, run, task_ex, task_spec, index):
        return None

    def rerun_indexes(self, task_ex, old_runtime_context, reset):
        return None


def work_name(run, task_spec, view):
    """The name of the task's sub-workflow or action, evaluated against
    ``view`` if it is an expression."""
    if task_spec.workflow:
        name = task_spec.workflow
        if expressions.is_expression(name):
            name = run.evaluate(name, view)
        return name
    name = task_spec.action or 'std.noop'
    if task_spec.action_is_expression or expressions.is_expression(name):
        name = run.evaluate(name, view) or 'std.noop'
    return name


def task_input_of(run, task_spec, view):
    """The task's input (inline parameters and ``input:``), evaluated."""
    raw = task_spec.input
    if isinstance(raw, str):
        value = run.evaluate(raw, view)
        if not isinstance(value, dict):
            raise exc.InputException(
                'Wrong dynamic input for task: %s. Dict type is expected.'
                ' Actual type: %s, Actual value: %s' % (
                    task_spec.name, type(value).__name__, value))
        data = dict(task_spec.inline_params or {})
        data.update(value)
        return data
    data = dict(task_spec.inline_params or {})
    data.update(raw or {})
    return run.evaluate(data, view) if data else {}
