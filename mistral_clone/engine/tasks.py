"""A task's life: creation, start, completion, publish, transitions.

A ``RunTask`` command creates a task execution (or, for a join, finds the
waiting one) and starts it: the before-start policies may hold or delay it,
then its kind (single or with-items, ``Transaction.kind_of``) starts its
work. When the work is done the task completes: it publishes, the
after-completion policies may delay or retry it, and its transitions fire
(``direct.py`` / ``reverse.py`` decide, ``Workflows.dispatch`` applies).
"""

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.engine import changes
from mistral_clone.engine import commands as cmds
from mistral_clone.engine import dataflow
from mistral_clone.engine import direct
from mistral_clone.engine import policies
from mistral_clone.engine import reverse
from mistral_clone.engine import states
from mistral_clone.engine.failures import ForcedFailure
from mistral_clone.engine.failures import completion_error
from mistral_clone.engine.failures import cut
from mistral_clone.engine.workflow_run import outbound


class Tasks:

    def __init__(self, t):
        self.t = t

    # --- creation -------------------------------------------------------------------

    def run_command(self, run, c):
        """Apply a ``RunTask`` command."""
        task_spec = run.spec.tasks.get(c.name)
        if task_spec is None:
            raise exc.WorkflowException('Task %s not found in workflow %s'
                                        % (c.name, run.spec.name))
        if run.is_direct and task_spec.join:
            self.t.joins.run(run, task_spec)
            return
        task_ex = self.new(run, task_spec, states.IDLE, c.in_context,
                           c.triggered_by)
        self.start(run, task_ex, task_spec)

    def new(self, run, task_spec, state, in_context, triggered_by,
            unique_key=None):
        """A new task execution of ``task_spec`` in ``state``."""
        wf_ex = run.wf_ex
        rc = {}
        if triggered_by:
            rc['triggered_by'] = triggered_by
        now = models.utcnow()
        # The columns left NULL are given too (None): read on a new row,
        # each then comes from the row's dict, not through SQLAlchemy's
        # lookup of an attribute never set.
        task_ex = models.TaskExecution(
            id=models.new_id(),
            name=task_spec.name,
            workflow_execution_id=wf_ex.id,
            workflow_name=wf_ex.workflow_name,
            workflow_namespace=wf_ex.workflow_namespace,
            workflow_id=wf_ex.workflow_id,
            type=task_spec.type,
            tags=list(task_spec.tags or []),
            in_context=in_context or {},
            runtime_context=rc,
            next_tasks=[],
            has_next_tasks=False,
            error_handled=False,
            processed=False,
            unique_key=unique_key,
            project_id=wf_ex.project_id,
            seq=run.next_seq(),
            created_at=now,
            updated_at=now,
            state_info=None,
            engine_data=None,
            started_at=None,
            finished_at=None,
        )
        changes.set_task_state(task_ex, state)
        self.t.add_task(run, task_ex)
        return task_ex

    # --- start ----------------------------------------------------------------------

    def start(self, run, task_ex, task_spec, run_policies=True,
              indexes=None):
        """Run the before-start policies, then the task's work (for a
        with-items rerun: only the items at ``indexes``)."""
        try:
            if run_policies and self.t.policies.before_start(
                    run, task_ex, task_spec):
                return  # held or delayed
            state = task_ex.state
            if state != states.RUNNING:
                started_at = task_ex.started_at
                if started_at is None or state in (
                        states.IDLE, states.WAITING):
                    task_ex.started_at = started_at or models.utcnow()
                changes.set_task_state(task_ex, states.RUNNING)
            self.t.kind_of(task_spec).start(run, task_ex, task_spec,
                                            indexes)
        except ForcedFailure as f:
            self.force_fail(run, task_ex, f.message)

    # --- completion -----------------------------------------------------------------

    def complete(self, run, task_ex, state, state_info, run_policies=True):
        """The task's work ended in ``state``: publish, apply the
        after-completion policies, fire its transitions."""
        try:
            task_spec = run.task_spec(task_ex)
            changes.set_task_state(task_ex, state, cut(state_info))
            self.publish(run, task_ex, task_spec, state)
            if run_policies and state in (states.SUCCESS, states.ERROR):
                if self.t.policies.after_complete(run, task_ex, task_spec):
                    return  # delayed (wait-after, retry)
            self.finish(run, task_ex, task_spec)
        except ForcedFailure as f:
            self.force_fail(run, task_ex, f.message)

    def publish(self, run, task_ex, task_spec, state):
        if state not in (states.SUCCESS, states.ERROR, states.SKIPPED):
            return
        branch, glob = task_spec.publish_for(state)
        if not branch and not glob:
            if branch is not None:
                task_ex.published = {}
            return
        view = run.view(task_ex, task_ex.in_context)
        try:
            if branch is not None:
                published = run.evaluate(branch, view)
                self.t.check_size('published', published)
                task_ex.published = published
            if glob:
                values = run.evaluate(glob, view)
                ctx = dict(run.wf_ex.context or {})
                ctx.update(values)
                run.wf_ex.context = ctx
                task_ex.published_global = values
        except (exc.EvaluationException, exc.SizeLimitExceededException) as e:
            raise completion_error(run, task_ex, e)

    def finish(self, run, task_ex, task_spec):
        """The task is final: mark it, apply keep-result, fire transitions
        (once the workflow runs: a paused one fires them on resume)."""
        task_ex.finished_at = models.utcnow()
        if not policies.keep_result(task_spec):
            self.t.s.execute(
                sa.update(models.ActionExecution)
                .where(models.ActionExecution.task_execution_id == task_ex.id)
                .values(output={}))
        wf_state = run.wf_ex.state
        if wf_state == states.PAUSED:
            task_ex.processed = False
            return
        if wf_state != states.RUNNING:
            task_ex.processed = True
            return
        self.process_transitions(run, task_ex, task_spec)

    def process_transitions(self, run, task_ex, task_spec):
        task_ex.processed = True
        if not run.is_direct:
            commands = self._reverse_commands(run)
            if commands:
                task_ex.next_tasks = [[c.name, None] for c in commands]
                task_ex.has_next_tasks = True
            self.t.workflows.dispatch(run, commands)
            return
        out_ctx = outbound(task_ex)
        evaluate = run.evaluator(run.view(task_ex, out_ctx))
        try:
            fired = direct.fired_transitions(task_spec, task_ex.state,
                                             evaluate)
            commands, next_tasks, handled = direct.next_commands(
                task_ex, fired, out_ctx, evaluate)
        except exc.EvaluationException as e:
            raise completion_error(run, task_ex, e)
        task_ex.next_tasks = next_tasks
        task_ex.has_next_tasks = bool(next_tasks)
        if task_ex.state == states.ERROR:
            task_ex.error_handled = handled
        self.t.workflows.dispatch(run, commands)

    def _reverse_commands(self, run):
        target = (run.wf_ex.params or {}).get('task_name')
        commands = []
        for name in reverse.ready_tasks(run.spec, target, run.tasks):
            sources = reverse.required_sources(run.spec, name, run.tasks)
            ctx = dataflow.merge_contexts(
                [outbound(t) for t in sources],
                self.t.settings.context_versioning)
            commands.append(cmds.RunTask(name, ctx))
        return commands

    def force_fail(self, run, task_ex, message):
        """Forced failure: the task and its workflow fail at once."""
        changes.set_task_state(task_ex, states.ERROR, cut(message))
        task_ex.finished_at = models.utcnow()
        task_ex.processed = True
        if run.wf_ex.state in (states.RUNNING, states.PAUSED, states.ERROR):
            self.t.workflows.fail(run, message)

    def unaccept_children(self, task_ex, only_failed=False):
        """Earlier attempts' results stop counting (retry, rerun)."""
        for model in (models.ActionExecution, models.WorkflowExecution):
            q = sa.update(model).where(
                model.task_execution_id == task_ex.id)
            if only_failed:
                q = q.where(model.state.in_((states.ERROR,
                                             states.CANCELLED)))
            self.t.s.execute(q.values(accepted=False))
