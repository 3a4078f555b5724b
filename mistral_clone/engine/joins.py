"""Join tasks (dsl.md §5.7): one execution per join, WAITING until
``direct.join_state`` says enough inbound tasks triggered it (it then
starts with their merged contexts) or that it never can (it fails)."""

from mistral_clone.db import models
from mistral_clone.engine import changes
from mistral_clone.engine import dataflow
from mistral_clone.engine import direct
from mistral_clone.engine import states
from mistral_clone.engine.workflow_run import outbound


class Joins:

    def __init__(self, t):
        self.t = t

    def run(self, run, task_spec):
        """A transition reached join ``task_spec``: find or create its one
        execution and see whether it may start."""
        key = 'join-task-%s-%s' % (run.wf_ex.id, task_spec.name)
        task_ex = None
        for t in run.tasks:  # joins need the full list anyway
            if t.unique_key == key:
                task_ex = t
                break
        if task_ex is None:
            task_ex = self.t.tasks.new(run, task_spec, states.WAITING, {},
                                       None, unique_key=key)
        elif task_spec.join != 'all' and states.is_completed(task_ex.state):
            # Reference quirk kept on purpose (dsl.md §5.7): an inbound task
            # completing after a partial join ran puts the same join
            # execution back to WAITING; it runs again and re-fires its
            # transitions.
            changes.set_task_state(task_ex, states.WAITING, None)
            task_ex.processed = False
            task_ex.finished_at = None
            task_ex.next_tasks = []
            task_ex.has_next_tasks = False
        if task_ex.state == states.WAITING:
            self.refresh(run, task_ex, task_spec)

    def refresh(self, run, task_ex, task_spec):
        """Start or fail a waiting join if its inbound tasks decided it."""
        logical, sources, info = direct.join_state(run.spec, task_spec,
                                                   run.tasks)
        if logical == states.WAITING:
            task_ex.state_info = info
            return
        task_ex.in_context = dataflow.merge_contexts(
            [outbound(t) for t in sources],
            self.t.settings.context_versioning)
        rc = dict(task_ex.runtime_context or {})
        rc['triggered_by'] = [{'task_id': t.id,
                               'event': _event_of(t, task_spec.name)}
                              for t in sources]
        task_ex.runtime_context = rc
        if logical == states.RUNNING:
            task_ex.state_info = None
            self.t.tasks.start(run, task_ex, task_spec)
        else:
            changes.set_task_state(task_ex, states.RUNNING)
            task_ex.started_at = models.utcnow()
            self.t.tasks.complete(run, task_ex, states.ERROR, info)

    def refresh_waiting(self, run):
        """After any task event: the waiting joins may be decided now."""
        for t in run.waiting_joins():
            if t.state == states.WAITING and \
                    run.wf_ex.state == states.RUNNING:
                spec = run.spec.tasks[t.name]
                if spec.join:
                    self.refresh(run, t, spec)


def _event_of(src, name):
    for n, ev in src.next_tasks or []:
        if n == name:
            return ev
    return None
