"""The engine service: the operations other tiers call (over RPC or
in-process). Each operation is one retried transaction through
:class:`~mistral_clone.engine.handler.Handler`, followed by dispatching the
effects it produced (actions to executors, immediate follow-up jobs)."""

import concurrent.futures
import logging

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.engine import action_glue
from mistral_clone.engine import handler as handler_mod
from mistral_clone.engine import states
from mistral_clone.rpc import contracts

LOG = logging.getLogger(__name__)

DEFAULT_PROJECT = '<default-project>'


class Engine(contracts.EngineApi):

    def __init__(self, executor_client=None, scheduler_waker=None,
                 workers=8):
        self.executor_client = executor_client
        self.scheduler_waker = scheduler_waker
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='engine')

    def stop(self):
        self._pool.shutdown(wait=False)

    # --- plumbing ---------------------------------------------------------------

    def _run(self, fn, *args, project_id=None, answer_first=False,
             **kwargs):
        """Run ``fn(handler, ...)`` in one retried transaction, then dispatch
        its effects. ``answer_first``: trivial actions queued by ``fn`` run
        in a follow-up transaction so the caller gets its answer now."""
        @db_api.retry_on_conflict
        def attempt():
            with db_api.transaction() as s:
                h = handler_mod.Handler(
                    s, action_glue.Resolver(s, project_id or
                                            DEFAULT_PROJECT),
                    project_id=project_id)
                result = fn(h, *args, **kwargs)
                if answer_first:
                    h.defer_inline()
                else:
                    h.drain_inline()
                return result, h.outbox
        result, outbox = attempt()
        self._dispatch(outbox)
        return result

    def _dispatch(self, outbox):
        for runnable in outbox.actions:
            try:
                self.executor_client.run_action(runnable)
            except Exception:
                LOG.exception('Could not send action %s to an executor',
                              runnable.action_ex_id)
        if outbox.inline:
            self._pool.submit(self._run_safely, self._run,
                              lambda h: h.run_inline_batch(outbox.inline))
        for job_id in outbox.jobs_now:
            self._pool.submit(self._run_job_safely, job_id)
        if outbox.wake_scheduler and self.scheduler_waker is not None:
            self.scheduler_waker()

    @staticmethod
    def _run_safely(fn, *args):
        try:
            fn(*args)
        except Exception:
            LOG.exception('Follow-up work failed')

    def _run_job_safely(self, job_id):
        try:
            self.run_job(job_id)
        except Exception:
            LOG.exception('Job %s failed', job_id)

    # --- workflows ---------------------------------------------------------------

    def start_workflow(self, workflow_identifier, namespace='', input=None,
                       description='', params=None, execution_id=None,
                       source_execution_id=None, project_id=None):
        """Start a workflow; returns a snapshot of the new execution as
        committed (``models.snapshot``)."""
        project_id = project_id or DEFAULT_PROJECT

        def do(h):
            s = h.s
            if execution_id:
                existing = s.get(models.WorkflowExecution, execution_id)
                if existing is not None:
                    return models.snapshot(existing)
            wf_def = find_workflow(s, workflow_identifier, namespace or '',
                                   project_id)
            p = dict(params or {})
            p['namespace'] = wf_def.namespace
            p['env'] = resolve_env(s, p.get('env'), p.get('evaluate_env',
                                                          True), project_id)
            wf_ex = h.create_workflow_execution(
                wf_def, wf_def.definition, input or {}, description or '',
                p, wf_ex_id=execution_id, project_id=project_id)
            s.flush()
            return models.snapshot(wf_ex)
        return self._run(do, project_id=project_id, answer_first=True)

    # State changes answer with a snapshot of the execution as committed
    # (trivial follow-up work may change it right after).

    def pause_workflow(self, wf_ex_id, msg=None):
        def do(h):
            tx = h.lock_wf(wf_ex_id)
            h.pause_workflow(tx, msg)
            h.s.flush()
            return models.snapshot(tx.wf_ex)
        return self._run(do)

    def resume_workflow(self, wf_ex_id, env=None):
        def do(h):
            tx = h.lock_wf(wf_ex_id)
            h.resume_workflow(tx, env)
            h.s.flush()
            return models.snapshot(tx.wf_ex)
        return self._run(do, answer_first=True)

    def stop_workflow(self, wf_ex_id, state, msg=None):
        def do(h):
            tx = h.lock_wf(wf_ex_id)
            h.stop_workflow(tx, state, msg)
            h.s.flush()
            return models.snapshot(tx.wf_ex)
        return self._run(do)

    def update_workflow_env(self, wf_ex_id, env):
        def do(h):
            tx = h.lock_wf(wf_ex_id)
            if tx.wf_ex.state not in (states.IDLE, states.PAUSED,
                                      states.ERROR):
                raise exc.NotAllowedException(
                    'Updating env to workflow execution is only permitted '
                    'if it is in IDLE, PAUSED, or ERROR state.')
            h.merge_env(tx, env or {})
        self._run(do)

    # --- tasks -----------------------------------------------------------------

    def rerun_task(self, task_ex_id, reset=True, env=None):
        def do(h):
            from mistral_clone.engine import control
            control.rerun_task(h, task_ex_id, reset, env)
        self._run(do, answer_first=True)

    def skip_task(self, task_ex_id):
        def do(h):
            from mistral_clone.engine import control
            control.skip_task(h, task_ex_id)
        self._run(do, answer_first=True)

    # --- actions -----------------------------------------------------------------

    def on_action_complete(self, action_ex_id, result):
        def do(h):
            action_ex = h.s.get(models.ActionExecution, action_ex_id)
            if action_ex is None:
                return False
            return h.on_action_complete(action_ex, result)
        return self._run(do)

    def start_action(self, action_name, action_input=None, namespace='',
                     description='', params=None, project_id=None):
        from mistral_clone.engine import control
        return control.start_action(self, action_name, action_input or {},
                                    namespace or '', params or {},
                                    project_id or DEFAULT_PROJECT)

    def complete_action(self, action_ex_id, state, output):
        from mistral_clone.engine import control
        return control.complete_action(self, action_ex_id, state, output)

    def update_action_state(self, action_ex_id, state):
        from mistral_clone.engine import control
        return control.update_action_state(self, action_ex_id, state)

    # --- jobs -------------------------------------------------------------------

    def run_job(self, job_id):
        """Run one scheduled job; exactly one caller wins the row."""
        def do(h):
            job = h.s.get(models.ScheduledJob, job_id)
            if job is None:
                return False
            deleted = h.s.execute(
                sa.delete(models.ScheduledJob)
                .where(models.ScheduledJob.id == job_id)).rowcount
            if not deleted:
                return False
            target = getattr(h, job.target, None)
            if target is None:
                LOG.error('Unknown job target %s', job.target)
                return False
            target(**(job.args or {}))
            return True
        return self._run(do)

    # --- crash recovery (engine/recovery.py) -------------------------------------

    def recover_action(self, action_ex_id, stale_seconds,
                       undispatched_seconds):
        """Re-send, re-run or fail one stuck action (see
        ``Handler.recover_action``); what was done, or None."""
        return self._run(lambda h: h.recover_action(
            action_ex_id, stale_seconds, undispatched_seconds))


# --- lookups shared with the API ------------------------------------------------

def find_workflow(session, identifier, namespace, project_id):
    # Own, public, or shared with the project (accepted membership).
    shared = sa.select(models.ResourceMember.resource_id).where(
        models.ResourceMember.member_id == project_id,
        models.ResourceMember.resource_type == 'workflow',
        models.ResourceMember.status == 'accepted')
    q = sa.select(models.WorkflowDefinition).where(sa.or_(
        models.WorkflowDefinition.project_id == project_id,
        models.WorkflowDefinition.scope == 'public',
        models.WorkflowDefinition.id.in_(shared)))
    row = None
    if _looks_like_uuid(identifier):
        row = session.execute(
            q.where(models.WorkflowDefinition.id == identifier)
        ).scalars().first()
    if row is None:
        row = session.execute(
            q.where(models.WorkflowDefinition.name == identifier,
                    models.WorkflowDefinition.namespace == (namespace or ''))
        ).scalars().first()
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Workflow not found [workflow_identifier=%s, namespace=%s]'
            % (identifier, namespace or ''))
    return row


def _looks_like_uuid(value):
    import uuid
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def resolve_env(session, env, evaluate_env=True, project_id=None):
    if env is None:
        return {}
    if isinstance(env, str):
        row = session.execute(
            sa.select(models.Environment)
            .where(models.Environment.name == env)
            .where(sa.or_(models.Environment.project_id == project_id,
                          models.Environment.scope == 'public'))
        ).scalars().first()
        if row is None:
            raise exc.InputException('Environment is not found: %s' % env)
        env = dict(row.variables or {})
    elif not isinstance(env, dict):
        raise exc.InputException(
            'Unexpected value type for environment [env=%s, type=%s]'
            % (env, type(env)))
    if evaluate_env is not False and env:
        try:
            env = expressions.evaluate_recursively(env, {'__env': env})
        except exc.EvaluationException as e:
            raise exc.InputException(str(e))
    return env
