"""The with-items task kind (dsl.md §6): one action or sub-workflow per
item of the task's collections, at most ``concurrency`` at a time.

Bookkeeping lives in the task execution: ``runtime_context.with_items``
(``count``, ``capacity``: what the API shows) and ``engine_data.items``
(``pending`` indexes, ``running`` count, ``capacity``, and whether an item
``failed`` or was ``cancelled``). The task completes once no item is
pending or running: ERROR if one failed, CANCELLED if one was cancelled.

Items start in batches (as many as there is room for); what a batch runs
is prepared before any of it starts (:meth:`WithItems._prepare`): the item
is in scope for the item's input only, never for the action or
sub-workflow name or ``target`` (as on the reference).
"""

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.db import models
from mistral_clone.engine import states
from mistral_clone.engine.action_runs import target_of
from mistral_clone.engine.failures import ForcedFailure
from mistral_clone.engine.failures import fmt_error
from mistral_clone.engine.failures import run_task_error
from mistral_clone.engine.subworkflows import SubWorkflowNotFound
from mistral_clone.engine.task_kinds import TaskKind
from mistral_clone.engine.task_kinds import task_input_of
from mistral_clone.engine.task_kinds import work_name


class WithItems(TaskKind):

    def __init__(self, t):
        super().__init__(t)
        # Collections evaluated in this transaction, by task execution id.
        self._items = {}

    def start(self, run, task_ex, task_spec, indexes=None):
        """Evaluate the collections and start the first items (only those
        at ``indexes`` for a rerun of the failed ones)."""
        view = run.view(task_ex, task_ex.in_context)
        try:
            items = self.values(run, task_ex, task_spec, view)
        except ForcedFailure:
            raise
        except Exception as e:
            raise run_task_error(run, task_ex, e)
        count = len(items)
        rc = dict(task_ex.runtime_context or {})
        concurrency = self.t.policies.concurrency(run, task_ex, task_spec,
                                                  view)
        rc['with_items'] = {'count': count,
                            'capacity': concurrency or None}
        if concurrency:
            rc['concurrency'] = concurrency
        task_ex.runtime_context = rc
        if indexes is None:
            indexes = list(range(count))
        ed = dict(task_ex.engine_data or {})
        ed['items'] = {'pending': list(indexes), 'running': 0,
                       'capacity': concurrency or count}
        task_ex.engine_data = ed
        if not indexes:
            self.t.tasks.complete(run, task_ex, states.SUCCESS, None)
            return
        self._start_pending(run, task_ex, task_spec, items)

    def values(self, run, task_ex, task_spec, view):
        """``[{var: value}]``, one dict per item."""
        values = {}
        length = None
        for var, collection in task_spec.with_items:
            if isinstance(collection, str):
                with expressions.using_data_provider(self.t.provider):
                    value = expressions.evaluate(collection, view)
            else:
                value = collection
            if isinstance(value, dict) or not hasattr(value, '__iter__'):
                raise exc.InputException(
                    'Wrong input format for: %s. Iterable type is expected '
                    'for each value.' % {var: value})
            value = list(value)
            values[var] = value
            if length is None:
                length = len(value)
            elif len(value) != length:
                raise exc.InputException(
                    'Wrong input format for: %s. All arrays must have the '
                    'same length.' % values)
        return [{var: values[var][i] for var in values}
                for i in range(length or 0)]

    def _start_pending(self, run, task_ex, task_spec, items=None):
        """Start pending items while there is capacity."""
        ed = dict(task_ex.engine_data)
        wi = dict(ed['items'])
        capacity = wi['capacity']
        pending = list(wi.get('pending') or [])
        if items is None and pending:
            items = self._items.get(task_ex.id)
            if items is None:
                items = self.values(run, task_ex, task_spec,
                                    run.view(task_ex, task_ex.in_context))
        self._items[task_ex.id] = items
        to_start = []
        while pending and wi.get('running', 0) < capacity:
            to_start.append(pending.pop(0))
            wi['running'] = wi.get('running', 0) + 1
        wi['pending'] = pending
        ed['items'] = wi
        task_ex.engine_data = ed
        works = self._prepare(run, task_ex, task_spec,
                              [(i, items[i]) for i in to_start])
        for work in works or ():
            self.start_work(run, task_ex, task_spec, *work)
            if task_ex.state != states.RUNNING:
                return

    def _prepare(self, run, task_ex, task_spec, batch):
        """What each ``(index, item)`` of ``batch`` runs, as on the
        reference. First every item's input (the item in scope). Then, item
        by item: its ``target`` (which sees the item's input) and the action
        or sub-workflow name, both in the task's context *without* the
        item; the action or sub-workflow they name; the input checked
        against the action's parameters. An input that cannot be evaluated
        or does not fit the action fails the workflow; the other failures
        are the task's own error (its ``on-error`` applies). Either way
        nothing of the batch starts (None then)."""
        prepared = []
        for index, item in batch:
            view = run.view(task_ex, task_ex.in_context, item)
            try:
                task_input = task_input_of(run, task_spec, view)
            except ForcedFailure:
                raise
            except Exception as e:
                raise run_task_error(run, task_ex, e)
            prepared.append((index, task_input, view))
        plain = run.view(task_ex, task_ex.in_context)
        works = []
        try:
            for index, task_input, view in prepared:
                if task_spec.workflow:
                    name = work_name(run, task_spec, plain)
                    found = self.t.subworkflows.find(run, name)
                else:
                    target_of(run, task_ex, task_spec, task_input)
                    name = work_name(run, task_spec, plain)
                    self.t.actions.resolve(run, name)
                    found = self.t.actions.checked(run, task_ex, task_spec,
                                                   name, task_input)
                works.append((index, name, task_input, view, found))
        except (exc.EvaluationException, exc.ActionNotFoundError,
                SubWorkflowNotFound) as e:
            self.t.tasks.complete(run, task_ex, states.ERROR, fmt_error(e))
            return None
        return works

    def item_done(self, run, task_ex, task_spec, state, state_info):
        ed = dict(task_ex.engine_data or {})
        wi = dict(ed.get('items') or {})
        wi['running'] = max(0, wi.get('running', 1) - 1)
        if state == states.CANCELLED:
            wi['cancelled'] = True
        elif state == states.ERROR:
            wi['failed'] = True
        ed['items'] = wi
        task_ex.engine_data = ed
        tasks = self.t.tasks
        if wi.get('cancelled'):
            tasks.complete(run, task_ex, states.CANCELLED,
                           'One or more actions was cancelled.')
        elif wi.get('pending'):
            self._start_pending(run, task_ex, task_spec)
        elif wi.get('running', 0) > 0:
            return
        elif wi.get('failed'):
            tasks.complete(run, task_ex, states.ERROR,
                           'One or more actions had failed.')
        else:
            tasks.complete(run, task_ex, states.SUCCESS, None)

    def item_of(self, run, task_ex, task_spec, index):
        items = self.values(run, task_ex, task_spec,
                            run.view(task_ex, task_ex.in_context))
        return items[index]

    def rerun_indexes(self, task_ex, old_runtime_context, reset):
        """Without ``reset``: the items that did not succeed."""
        old = old_runtime_context.get('with_items')
        if reset or old is None:
            return None
        done = self._succeeded(task_ex)
        return [i for i in range(old.get('count', 0)) if i not in done]

    def _succeeded(self, task_ex):
        """Indexes of the items whose accepted result is a success."""
        workflow = task_ex.type == 'WORKFLOW'
        model = models.WorkflowExecution if workflow else \
            models.ActionExecution
        rows = self.t.s.execute(sa.select(model).where(
            model.task_execution_id == task_ex.id,
            model.accepted.is_(True),
            model.state == states.SUCCESS)).scalars()
        return {((r.params if workflow else r.runtime_context) or {}).get(
            'index', 0) for r in rows}
