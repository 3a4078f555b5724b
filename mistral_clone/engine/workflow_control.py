"""Pause, resume and stop a workflow execution — and, as the reference does,
its running sub-workflows (down the tree) and the tasks and workflows that
wait for it (up the tree)."""

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.engine import changes
from mistral_clone.engine import states
from mistral_clone.engine.failures import ForcedFailure


class WorkflowControl:

    def __init__(self, t):
        self.t = t

    # --- pause ----------------------------------------------------------------------

    def pause(self, run, msg=None):
        wf_ex = run.wf_ex
        if wf_ex.state == states.PAUSED:
            return
        if wf_ex.state != states.RUNNING:
            raise exc.WorkflowException(
                "Can't change workflow execution state from %s to PAUSED. "
                "[workflow=%s, execution_id=%s]" % (
                    wf_ex.state, wf_ex.workflow_name, wf_ex.id))
        for r, children in self._subtree(run, states.RUNNING):
            for child, task_ex in children:
                if child.state == states.RUNNING:
                    changes.set_task_state(task_ex, states.PAUSED)
            changes.set_workflow_state(r.wf_ex, states.PAUSED, msg)
        self._pause_parent(run)

    def _pause_parent(self, run):
        while True:
            task_ex, parent = self._parent_task(run, states.RUNNING)
            if task_ex is None:
                return
            changes.set_task_state(task_ex, states.PAUSED)
            if parent.wf_ex.state != states.RUNNING:
                return
            changes.set_workflow_state(parent.wf_ex, states.PAUSED)
            run = parent

    # --- resume ---------------------------------------------------------------------

    def resume(self, run, env=None):
        """Resume a PAUSED (or IDLE) execution; False if it was neither.
        Its paused sub-workflows resume first, the deepest first."""
        wf_ex = run.wf_ex
        if wf_ex.state not in (states.PAUSED, states.IDLE):
            return False
        if env:
            run.merge_env(env)
        for r, children in reversed(self._subtree(run, states.PAUSED)):
            self._resume_one(r, children, r is run)
        return True

    def _resume_one(self, run, children, top):
        """Resume one execution whose paused children already resumed
        (``top``: the one asked for, which resumes its parents too)."""
        t = self.t
        wf_ex = run.wf_ex
        for child, task_ex in children:
            if task_ex.state == states.PAUSED:
                changes.set_task_state(task_ex, states.RUNNING)
        changes.set_workflow_state(wf_ex, states.RUNNING, None)
        if top:
            self._resume_parent(run)
        else:
            self._resume_parent_task(run)
        # Tasks that completed while paused fire their transitions now.
        for task_ex in list(run.tasks):
            if states.is_completed(task_ex.state) and not task_ex.processed:
                if wf_ex.state != states.RUNNING:
                    break
                try:
                    t.tasks.process_transitions(run, task_ex,
                                                run.task_spec(task_ex))
                except ForcedFailure as f:
                    t.tasks.force_fail(run, task_ex, f.message)
        backlog = t.workflows.take_backlog(run)
        if backlog and wf_ex.state == states.RUNNING:
            t.workflows.dispatch(run, backlog)
        # Tasks held by pause-before start now (without re-running the
        # before-start policies).
        for task_ex in list(run.tasks):
            if wf_ex.state != states.RUNNING:
                break
            if task_ex.state == states.IDLE:
                t.tasks.start(run, task_ex, run.task_spec(task_ex),
                              run_policies=False)
        t.workflows.after_task_event(run)

    def _resume_parent_task(self, run):
        """A resumed child's task runs again (its parent resumes next)."""
        parent_task_id = run.wf_ex.task_execution_id
        task_ex = self.t.get_task_ex(parent_task_id) if parent_task_id \
            else None
        if task_ex is not None and task_ex.state == states.PAUSED:
            changes.set_task_state(task_ex, states.RUNNING)

    def _resume_parent(self, run):
        while True:
            task_ex, parent = self._parent_task(run, states.PAUSED)
            if task_ex is None:
                return
            changes.set_task_state(task_ex, states.RUNNING)
            if parent.wf_ex.state != states.PAUSED or any(
                    t.state == states.PAUSED for t in parent.tasks):
                return
            changes.set_workflow_state(parent.wf_ex, states.RUNNING, None)
            run = parent

    # --- stop -----------------------------------------------------------------------

    def stop(self, run, state, msg=None):
        """Finish the execution as ``state`` (SUCCESS, ERROR, CANCELLED);
        cancelling cancels its running sub-workflows too."""
        t = self.t
        wf_ex = run.wf_ex
        if states.is_terminal(wf_ex.state):
            return
        if state == states.SUCCESS:
            if wf_ex.state == states.PAUSED:
                raise exc.WorkflowException(
                    "Can't change workflow execution state from PAUSED to "
                    "SUCCESS. [workflow=%s, execution_id=%s]" % (
                        wf_ex.workflow_name, wf_ex.id))
            t.workflows.succeed(run, msg)
        elif state == states.ERROR:
            if wf_ex.state != states.RUNNING:
                return
            t.workflows.fail(run, msg)
        elif state == states.CANCELLED:
            for r, children in self._subtree(run, None):
                t.workflows.finish(r, states.CANCELLED, msg, {'result': msg})
                for child, task_ex in children:
                    changes.set_task_state(task_ex, states.CANCELLED, msg)
                    task_ex.finished_at = models.utcnow()
                    task_ex.processed = True
                    child.accepted = True

    def update_env(self, run, env):
        if run.wf_ex.state not in (states.IDLE, states.PAUSED,
                                   states.ERROR):
            raise exc.NotAllowedException(
                'Updating env to workflow execution is only permitted if it '
                'is in IDLE, PAUSED, or ERROR state.')
        run.merge_env(env or {})

    # --- the tree ---------------------------------------------------------------------

    def _subtree(self, run, state):
        """``[(run, its active children)]`` of ``run`` and, breadth first,
        of every active descendant (only those in ``state`` if given) —
        a loop, not a recursion: trees of any depth."""
        order = []
        frontier = [run]
        while frontier:
            nxt = []
            for r in frontier:
                children = self._active_children(r)
                order.append((r, children))
                nxt.extend(self.t.run_of(c) for c, _ in children
                           if state is None or c.state == state)
            frontier = nxt
        return order

    def _parent_task(self, run, state):
        """``(task, locked parent run)`` that started this sub-workflow, if
        that task is in ``state``; else ``(None, None)``."""
        parent_task_id = run.wf_ex.task_execution_id
        task_ex = self.t.get_task_ex(parent_task_id) if parent_task_id \
            else None
        if task_ex is None or task_ex.state != state:
            return None, None
        return task_ex, self.t.lock(task_ex.workflow_execution_id)

    def _active_children(self, run):
        """``[(sub-workflow execution, its task)]`` still running."""
        task_ids = [t.id for t in run.tasks
                    if t.type == 'WORKFLOW' and not states.is_completed(
                        t.state)]
        if not task_ids:
            return []
        by_id = {t.id: t for t in run.tasks}
        children = self.t.s.execute(
            sa.select(models.WorkflowExecution)
            .where(models.WorkflowExecution.task_execution_id.in_(task_ids))
        ).scalars().all()
        return [(c, by_id[c.task_execution_id]) for c in children
                if not states.is_terminal(c.state)]
