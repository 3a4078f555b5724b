"""Applying the task policies: the shell around the pure ``policies.py``.

``policies.py`` decides (hold, arm a timeout, wait, retry, fail-on); this
room evaluates nothing itself: it hands the decisions an ``evaluate``
callback over the task's view, then applies what they return to the task
execution, and schedules the delayed work as jobs (``jobs.py``) that come
back here when they are due.
"""

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.engine import changes
from mistral_clone.engine import jobs
from mistral_clone.engine import policies
from mistral_clone.engine import states
from mistral_clone.engine.failures import ForcedFailure
from mistral_clone.engine.failures import run_task_error
from mistral_clone.engine.workflow_run import outbound


class TaskPolicies:

    def __init__(self, t):
        self.t = t

    def _decide(self, run, task_ex, decision, *args):
        """Call a pure decision; a bad value or expression is a forced
        failure of the task, with the reference's message."""
        try:
            return decision(*args)
        except exc.EvaluationException as e:
            raise run_task_error(run, task_ex, e)
        except policies.InvalidPolicyValue as e:
            raise run_task_error(run, task_ex, e, hint=False)

    def _evaluate(self, run, task_ex, extra=None):
        """``evaluate(data)`` over the task's view, built at its first
        call: most tasks have no policy value to evaluate."""
        view = []

        def evaluate(data):
            if not view:
                view.append(run.view(task_ex, task_ex.in_context, extra))
            return run.evaluate(data, view[0])
        return evaluate

    # --- hooks called by the task room --------------------------------------------

    def before_start(self, run, task_ex, task_spec):
        """True if the task was held (pause-before) or delayed
        (wait-before) and must not start now."""
        rc = dict(task_ex.runtime_context or {})
        for d in self._decide(run, task_ex, policies.before_start,
                              task_spec.policies, rc,
                              self._evaluate(run, task_ex)):
            if isinstance(d, policies.Hold):
                changes.set_task_state(task_ex, states.IDLE, d.info)
                if run.wf_ex.state == states.RUNNING:
                    self.t.control.pause(run, None)
                return True
            if isinstance(d, policies.ArmTimeout):
                self.t.schedule_job(d.job, {'task_ex_id': task_ex.id,
                                            'timeout': d.seconds},
                                    delay=d.seconds, wf_ex_id=run.wf_ex.id)
            elif isinstance(d, policies.WaitBefore):
                rc['wait_before_policy'] = {'skip': True}
                task_ex.runtime_context = rc
                if task_ex.started_at is None:
                    task_ex.started_at = models.utcnow()
                self._delay(run, task_ex, d, {'task_ex_id': task_ex.id})
                return True
        return False

    def after_complete(self, run, task_ex, task_spec):
        """True if the completed task was delayed (wait-after, retry) and
        must not fire its transitions yet."""
        p = task_spec.policies
        rc = dict(task_ex.runtime_context or {})
        evaluate = self._evaluate(run, task_ex)
        wait = self._decide(run, task_ex, policies.wait_after, p, rc,
                            evaluate)
        if wait is not None:
            rc['wait_after_policy'] = {'skip': True}
            task_ex.runtime_context = rc
            ed = dict(task_ex.engine_data or {})
            ed['completed_state'] = [task_ex.state, task_ex.state_info]
            task_ex.engine_data = ed
            self._delay(run, task_ex, wait, {'task_ex_id': task_ex.id})
            return True
        if self._decide(run, task_ex, policies.fail_on, p, task_ex.state,
                        evaluate):
            changes.set_task_state(task_ex, states.ERROR,
                                   policies.FAIL_ON_INFO)
        if p.retry is None:
            return False
        retry = self._decide(
            run, task_ex, policies.retry, p, task_ex.state, rc, evaluate,
            self._evaluate(run, task_ex, outbound(task_ex)))
        if retry is None:
            return False
        self.t.tasks.unaccept_children(task_ex)
        rc['retry_task_policy'] = {'retry_no': retry.retry_no}
        rc.pop('wait_after_policy', None)
        task_ex.runtime_context = rc
        self._delay(run, task_ex, retry, {'task_ex_id': task_ex.id,
                                          'retry': True})
        return True

    def _delay(self, run, task_ex, decision, job_args):
        changes.set_task_state(task_ex, states.RUNNING_DELAYED,
                               decision.info)
        self.t.schedule_job(decision.job, job_args, delay=decision.seconds,
                            wf_ex_id=run.wf_ex.id)

    # --- values the work needs --------------------------------------------------------

    def concurrency(self, run, task_ex, task_spec, view):
        return self._decide(run, task_ex, policies.concurrency,
                            task_spec.policies, run.evaluator(view))

    def action_timeout(self, run, task_ex, task_spec, view):
        return self._decide(run, task_ex, policies.action_timeout,
                            task_spec.policies, run.evaluator(view))

    # --- jobs: a delay is over (jobs.py) --------------------------------------------

    def delay_over(self, task_ex_id, retry=False):
        """A wait-before or retry delay is over: run the task's work."""
        t = self.t
        task_ex = t.get_task_ex(task_ex_id)
        if task_ex is None:
            return
        run = t.lock(task_ex.workflow_execution_id)
        if task_ex.state not in (states.RUNNING_DELAYED, states.WAITING):
            return
        if run.wf_ex.state == states.PAUSED:
            t.schedule_job(jobs.TASK_CONTINUE, {'task_ex_id': task_ex_id,
                                                'retry': retry},
                           delay=1, wf_ex_id=run.wf_ex.id)
            return
        if run.wf_ex.state != states.RUNNING:
            return
        task_spec = run.task_spec(task_ex)
        changes.set_task_state(task_ex, states.RUNNING, None)
        if retry:
            task_ex.published = None
        try:
            t.kind_of(task_spec).start(run, task_ex, task_spec)
        except ForcedFailure as f:
            t.tasks.force_fail(run, task_ex, f.message)
        t.workflows.after_task_event(run)

    def wait_after_over(self, task_ex_id):
        """A wait-after delay is over: the task completes as it had."""
        t = self.t
        task_ex = t.get_task_ex(task_ex_id)
        if task_ex is None:
            return
        run = t.lock(task_ex.workflow_execution_id)
        if task_ex.state != states.RUNNING_DELAYED or \
                states.is_terminal(run.wf_ex.state):
            return
        ed = dict(task_ex.engine_data or {})
        state, info = ed.pop('completed_state', [states.SUCCESS, None])
        task_ex.engine_data = ed
        t.tasks.complete(run, task_ex, state, info)
        t.workflows.after_task_event(run)

    def timed_out(self, task_ex_id, timeout):
        """The timeout policy fired: fail the task if it still runs."""
        t = self.t
        task_ex = t.get_task_ex(task_ex_id)
        if task_ex is None:
            return
        run = t.lock(task_ex.workflow_execution_id)
        if states.is_terminal(run.wf_ex.state):
            return
        rc = task_ex.runtime_context or {}
        if task_ex.state == states.RUNNING_DELAYED and not (
                rc.get('wait_before_policy') and
                not rc.get('retry_task_policy')):
            return
        if task_ex.state not in (states.RUNNING, states.RUNNING_DELAYED,
                                 states.PAUSED):
            return
        if rc.get('retry_task_policy'):
            return  # not re-armed for retries
        changes.set_task_state(task_ex, states.RUNNING)
        t.tasks.complete(run, task_ex, states.ERROR,
                         'Task timed out [timeout(s)=%s].' % timeout)
        t.workflows.after_task_event(run)
