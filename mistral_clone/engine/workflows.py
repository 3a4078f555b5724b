"""A workflow's life: start, dispatch of commands, completion.

Starting creates the execution (input checked, vars evaluated) and runs the
start commands of ``direct.py`` / ``reverse.py``; :meth:`Workflows.dispatch`
applies the commands the decisions return (run a task, fail, succeed,
pause — with what a pause defers kept as a backlog); after every task event
:meth:`Workflows.after_task_event` re-checks waiting joins and whether the
workflow is complete, and finishes it with its output or its failure
message.
"""

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone import lang
from mistral_clone.db import models
from mistral_clone.engine import changes
from mistral_clone.engine import commands as cmds
from mistral_clone.engine import dataflow
from mistral_clone.engine import direct
from mistral_clone.engine import jobs
from mistral_clone.engine import reverse
from mistral_clone.engine import states
from mistral_clone.engine.failures import cut, fmt_error
from mistral_clone.engine.workflow_run import outbound

DEFAULT_PROJECT = '<default-project>'


class Workflows:

    def __init__(self, t):
        self.t = t

    # --- start ----------------------------------------------------------------------

    def start(self, wf_def, spec_text, wf_input, description, params,
              wf_ex_id=None, parent_task=None, project_id=None, depth=0,
              defer=False):
        """Validate input, create the execution and run its start tasks.
        ``wf_def`` is the definition row (None for an inline spec);
        ``depth``: how deep a sub-workflow is under its root; ``defer``:
        its start tasks run in a job of their own (the backlog), not in
        this transaction."""
        t = self.t
        spec = lang.get_workflow_spec(
            spec_text, name=wf_def.name if wf_def is not None else None)
        wf_input = validate_input(spec, wf_input or {})
        params = dict(params or {})
        if spec.type == 'reverse':
            check_reverse_target(spec, params.get('task_name'))
        t.check_size('input', wf_input)
        t.check_size('params', params)
        now = models.utcnow()
        wf_ex_id = wf_ex_id or models.new_id()
        wf_ex = models.WorkflowExecution(
            id=wf_ex_id,
            workflow_name=wf_def.name if wf_def is not None else spec.name,
            workflow_id=wf_def.id if wf_def is not None else None,
            workflow_namespace=(wf_def.namespace or '') if wf_def is not None
            else '',
            description=description or '',
            tags=(wf_def.tags if wf_def is not None else None) or [],
            input=wf_input,
            output={},
            params=params,
            spec_text=spec_text,
            project_id=project_id or t.project_id or DEFAULT_PROJECT,
            accepted=False,
            version=0,
            created_at=now,
            updated_at=now,
            context={'__execution': {'id': wf_ex_id}},
            runtime_context={'depth': depth} if depth else {},
            task_execution_id=parent_task.id if parent_task is not None
            else None,
            root_execution_id=params.get('root_execution_id')
            if parent_task is not None else None,
        )
        changes.set_workflow_state(wf_ex, states.RUNNING)
        # Not flushed here: written with its first tasks and actions by
        # the next flush (db/writer.py inserts workflows first), in one
        # INSERT with its task count (a flush here made that an UPDATE
        # more, and a flush more, in every start).
        t.s.add(wf_ex)
        t.outbox.inputs[wf_ex.id] = wf_input
        run = t.adopt(wf_ex)
        if spec.vars:
            # All vars see the same view (one cannot use another); an error
            # rejects the start (HTTP 400, nothing stored).
            ctx = dict(wf_ex.context)
            ctx.update(run.evaluate(spec.vars, run.workflow_view()))
            wf_ex.context = ctx
            wf_ex.runtime_context = dict(wf_ex.runtime_context,
                                         var_names=list(spec.vars))
        if run.is_direct:
            start = direct.start_commands(spec)
        else:
            start = [cmds.RunTask(n, {}) for n in reverse.ready_tasks(
                spec, params['task_name'], [])]
        if defer and start:
            self.add_backlog(run, start)
            t.schedule_job(jobs.WORKFLOW_CONTINUE, {'wf_ex_id': wf_ex.id},
                           run_now=True, wf_ex_id=wf_ex.id)
            return wf_ex
        self.dispatch(run, start)
        self.check_completion(run)
        return wf_ex

    def continue_backlog(self, wf_ex_id):
        """Job: run the deferred start tasks of a RUNNING execution (a
        paused one runs them when resumed, a finished one never)."""
        if self.t.s.get(models.WorkflowExecution, wf_ex_id) is None:
            return
        run = self.t.lock(wf_ex_id)
        if run.wf_ex.state != states.RUNNING:
            return
        backlog = self.take_backlog(run)
        if backlog:
            self.dispatch(run, backlog)
        self.after_task_event(run)

    # --- commands -------------------------------------------------------------------

    def dispatch(self, run, commands):
        """Apply the commands of a decision, in ``commands.rearrange``
        order; a pause keeps what it defers as the backlog."""
        if run.wf_ex.state in states.TERMINAL:
            return
        now, backlog = cmds.rearrange(commands)
        for i, c in enumerate(now):
            state = run.wf_ex.state
            # Like the reference, tasks of one batch still start after a
            # sibling's forced failure ended the workflow; engine commands
            # and the rest of a batch after them do not.
            if state in states.TERMINAL and not (
                    state == states.ERROR and isinstance(c, cmds.RunTask)):
                return
            if state == states.PAUSED:
                self.add_backlog(run, now[i:] + backlog)
                return
            if isinstance(c, cmds.RunTask):
                self.t.tasks.run_command(run, c)
            elif c.name == 'fail':
                self.fail(run, c.msg)
            elif c.name == 'succeed':
                self.succeed(run, c.msg)
            elif c.name == 'pause':
                self.t.control.pause(run, c.msg)
                self.add_backlog(run, backlog)
                return

    def add_backlog(self, run, commands):
        commands = [c for c in commands
                    if not (isinstance(c, cmds.EngineCommand) and
                            c.name == 'pause')]
        if not commands:
            return
        rc = dict(run.wf_ex.runtime_context or {})
        rc['backlog'] = list(rc.get('backlog') or []) + [
            c.to_dict() for c in commands]
        run.wf_ex.runtime_context = rc

    def take_backlog(self, run):
        """The commands a pause deferred (removed from the execution)."""
        rc = dict(run.wf_ex.runtime_context or {})
        backlog = rc.pop('backlog', None) or []
        run.wf_ex.runtime_context = rc
        return [cmds.from_dict(d) for d in backlog]

    # --- completion -----------------------------------------------------------------

    def after_task_event(self, run):
        """After a task changed: re-evaluate waiting joins, check the end."""
        if run.wf_ex.state == states.RUNNING:
            self.t.joins.refresh_waiting(run)
        self.check_completion(run)

    def check_completion(self, run):
        wf_ex = run.wf_ex
        if wf_ex.state != states.RUNNING:
            return
        if (wf_ex.runtime_context or {}).get('backlog'):
            return
        if run.has_active_tasks():
            return
        tasks = run.task_summaries()
        final = direct.completion_state(tasks)
        if final is None:
            return
        if final == states.SUCCESS:
            self.succeed(run, None, tasks)
        elif final == states.CANCELLED:
            names = sorted({t.name for t in tasks
                            if t.state == states.CANCELLED})
            msg = 'Cancelled tasks: %s' % ', '.join(names)
            self.finish(run, states.CANCELLED, msg, {'result': msg})
        else:
            self.fail(run, self.failure_message(run))

    def final_context(self, run, tasks=None):
        """``tasks``: what run.task_summaries() gave, if known."""
        if run.is_direct:
            sources = run.loaded(direct.final_context_sources(
                run.task_summaries() if tasks is None else tasks))
        else:
            target = (run.wf_ex.params or {}).get('task_name')
            sources = [t for t in run.tasks if t.name == target][-1:]
        ctx = dataflow.merge_contexts([outbound(t) for t in sources],
                                      self.t.settings.context_versioning)
        return dataflow.strip_internal(ctx)

    def succeed(self, run, msg, tasks=None):
        final_ctx = self.final_context(run, tasks)
        output = None
        if run.spec.output:
            try:
                output = run.evaluate(run.spec.output,
                                      run.workflow_view(final_ctx))
                self.t.check_size('output', output)
            except (exc.EvaluationException,
                    exc.SizeLimitExceededException) as e:
                self.fail(
                    run, 'Failed to check and complete [wf_ex_id=%s, '
                    'wf_name=%s]: %s' % (run.wf_ex.id,
                                         run.wf_ex.workflow_name,
                                         fmt_error(e)))
                return
        if not output:
            output = final_ctx
        self.finish(run, states.SUCCESS, msg, output)

    def fail(self, run, msg):
        final_ctx = self.final_context(run)
        msg = cut(msg)
        on_error = final_ctx
        if run.spec.output_on_error:
            try:
                on_error = run.evaluate(run.spec.output_on_error,
                                        run.workflow_view(final_ctx))
            except exc.EvaluationException as e:
                msg = ("Failed to evaluate expression in output-on-error! "
                       "(output-on-error: '%s', exception: '%s' Cause: '%s'"
                       % (run.spec.output_on_error, fmt_error(e), msg))
                on_error = {}
        output = {'result': msg}
        if isinstance(on_error, dict):
            output = dataflow.deep_merge(output, on_error)
        self.finish(run, states.ERROR, msg, output)

    def finish(self, run, state, msg, output):
        """The workflow is over; a sub-workflow's parent task hears of it
        in a job of its own (it is under another workflow's lock)."""
        wf_ex = run.wf_ex
        changes.set_workflow_state(wf_ex, state, cut(msg))
        wf_ex.output = output
        rc = dict(wf_ex.runtime_context or {})
        rc.pop('backlog', None)
        wf_ex.runtime_context = rc
        if wf_ex.task_execution_id:
            self.t.schedule_job(jobs.SUBWORKFLOW_COMPLETED,
                                {'wf_ex_id': wf_ex.id}, run_now=True,
                                wf_ex_id=wf_ex.id)

    def failure_message(self, run):
        """The reference's message: failed tasks, with their failed
        actions and sub-workflows."""
        s = self.t.s
        errors = sorted(
            (t for t in run.tasks if t.state == states.ERROR and
             not t.error_handled), key=lambda t: t.name)
        listed = [t for t in errors if not _has_on_error(run, t.name)]
        blocks = []
        for t in errors:
            lines = ['  %s [task_ex_id=%s] -> %s' % (
                t.name, t.id, t.state_info)]
            for idx, ae in enumerate(s.execute(
                    sa.select(models.ActionExecution)
                    .where(models.ActionExecution.task_execution_id == t.id,
                           models.ActionExecution.state == states.ERROR)
                    .order_by(models.ActionExecution.created_at)).scalars()):
                lines.append('    [action_ex_id=%s, idx=%s]: %s' % (
                    ae.id, idx, (ae.output or {}).get('result')))
            for idx, we in enumerate(s.execute(
                    sa.select(models.WorkflowExecution)
                    .where(models.WorkflowExecution.task_execution_id == t.id,
                           models.WorkflowExecution.state == states.ERROR)
                    .order_by(models.WorkflowExecution.created_at))
                    .scalars()):
                lines.append('    [wf_ex_id=%s, idx=%s]: %s' % (
                    we.id, idx, (we.output or {}).get('result')))
            blocks.append('\n'.join(lines) + '\n')
        return 'Failure caused by error in tasks: %s\n\n%s' % (
            ', '.join(t.name for t in listed), '\n'.join(blocks))


def _has_on_error(run, task_name):
    spec = run.spec.tasks[task_name]
    clause = spec.transitions('on-error') if run.is_direct else None
    return bool(clause and clause.entries)


def check_reverse_target(spec, task_name):
    """A reverse workflow needs ``params.task_name`` naming one of its
    tasks (the reference's message otherwise)."""
    if not task_name or task_name not in spec.tasks:
        shown = dict(spec.raw)
        shown['tasks'] = {n: t.raw for n, t in spec.tasks.items()}
        raise exc.WorkflowException(
            'Invalid task name [wf_spec=ReverseWorkflowSpec %s, '
            'task_name=%s]' % (shown, task_name))


def validate_input(spec, given):
    """Check given input against the declared input; fill defaults."""
    declared = [n for n, _ in spec.input]
    missing = [n for n, d in spec.input
               if d is lang.NO_DEFAULT and n not in given]
    unexpected = [k for k in given if k not in declared]
    if missing or unexpected:
        cls = 'ReverseWorkflowSpec' if spec.type == 'reverse' else \
            'DirectWorkflowSpec'
        parts = ['name=%s' % spec.name, 'class=%s' % cls]
        if missing:
            parts.append('missing=%s' % missing)
        if unexpected:
            parts.append('unexpected=%s' % unexpected)
        raise exc.InputException('Invalid input [%s]' % ', '.join(parts))
    return {name: given[name] if name in given else default
            for name, default in spec.input}
