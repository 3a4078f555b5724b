"""The engine service: the operations other tiers call (over RPC or
in-process), the ``contracts.EngineApi``.

Each operation is one retried transaction (``transaction.Transaction``)
followed by dispatching the effects it produced: actions to executors,
trivial actions and immediate jobs to this engine's worker threads, a
wake-up to the scheduler.
"""

import concurrent.futures
import functools
import logging
import threading

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.db import api as db_api
from mistral_clone.db import errors as db_errors
from mistral_clone.db import models
from mistral_clone.db import workflows as db_workflows
from mistral_clone.engine import action_glue
from mistral_clone.engine import api_actions
from mistral_clone.engine import jobs
from mistral_clone.engine import recovery
from mistral_clone.engine import rerun
from mistral_clone.engine.settings import EngineSettings
from mistral_clone.engine.transaction import Transaction
from mistral_clone.rpc import contracts

LOG = logging.getLogger(__name__)

DEFAULT_PROJECT = '<default-project>'

# Most actions one message to the executors carries: a fan-out's actions
# still spread over several executors.
ACTIONS_PER_MESSAGE = 10

# How long a stopping engine waits for the actions its sender threads still
# have to send (see Engine.stop).
SEND_DRAIN_SECONDS = 5.0

# Most threads sending actions after the answers (Engine._dispatch): each
# send waits for the broker's confirmation, and a burst of starts on a
# loaded machine would queue behind one thread; started only when the ones
# there are all busy.
SENDER_THREADS = 4


class Abandoned(exc.WorkflowException):
    """Work rolled back because its execution is being stopped."""


class Stopped(Abandoned):
    """Work refused: this engine was stopped."""


class Engine(contracts.EngineApi):

    def __init__(self, executor_client=None, scheduler_waker=None,
                 workers=8, settings=None, send_after_answer=False):
        self.executor_client = executor_client
        self.scheduler_waker = scheduler_waker
        self.settings = settings or EngineSettings()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='engine')
        # ``send_after_answer`` (executors over RPC): the messages taking a
        # transaction's actions to the executors leave from threads of
        # their own, so that the caller's answer does not wait for them
        # (see _dispatch); the first one starts at the first send.
        self._sender = concurrent.futures.ThreadPoolExecutor(
            max_workers=SENDER_THREADS, thread_name_prefix='engine-send') \
            if send_after_answer else None
        self._sends = set()         # sends submitted, not done
        self._sends_lock = threading.Lock()
        # The claim name of an executor in this process (embedded mode,
        # see use_in_process_executor), or None.
        self.claimer = None
        # thread ident -> the transaction it runs (to abort evaluations)
        self._working = {}
        self._stopped = False

    def stop(self):
        """Stop: no transaction starts from now on. Work still arriving
        (a result an in-process executor reports after its own stop, a
        queued follow-up) is refused before any statement: the process
        may have been set up for another database meanwhile (an embedded
        server stopped, the next one started), which such work must not
        touch: a stopped server's action reporting during a Mistral import
        kept a connection to the new database open, so its file was copied
        without the write-ahead log's content (all of the import)."""
        self._stopped = True
        self._pool.shutdown(wait=False)
        if self._sender is not None:
            self._drain_sender()

    def _drain_sender(self):
        """Let the sender threads send what committed transactions left
        them (up to SEND_DRAIN_SECONDS: what is still unsent then is sent
        again by the recovery check, as after a crash between commit and
        send)."""
        self._sender.shutdown(wait=False)
        with self._sends_lock:
            pending = set(self._sends)
        _, left = concurrent.futures.wait(pending, SEND_DRAIN_SECONDS)
        if left:
            LOG.warning('Actions still unsent after %ss at stop: the '
                        'recovery check sends them again',
                        SEND_DRAIN_SECONDS)

    def use_in_process_executor(self, executor):
        """Send actions to ``executor``, an ``executor.service.Executor``
        of this process: they are stored already claimed by it (one
        transaction fewer per action) and handed to its ``run_claimed``."""
        self.executor_client = executor
        self.claimer = executor.claimer if executor.track_actions else None

    # --- plumbing ---------------------------------------------------------------

    def _run(self, fn, project_id=None, answer_first=False, take=0,
             known_inputs=None, claimer=None):
        """Run ``fn(transaction)`` in one retried transaction, then dispatch
        its effects. ``answer_first``: trivial actions queued by ``fn`` run
        in a follow-up transaction so the caller gets its answer now.
        ``take``: ``(result, runnables)``, up to ``take`` of the actions to
        send (none with a ``target``) given to the caller instead; with
        ``claimer``, synchronous ones stored claimed by it
        (``ActionRuns.hand_over``).
        ``known_inputs``: ``Outbox.inputs`` of the transaction before."""
        ident = threading.get_ident()

        @db_api.retry_on_conflict
        def attempt():
            t = None
            try:
                with db_api.transaction() as s:
                    # Here, not before: a stop while this waited for the
                    # write lock counts too; the session holds no
                    # connection yet.
                    if self._stopped:
                        raise Stopped('The engine is stopped')
                    t = Transaction(
                        s, self.settings,
                        action_glue.Resolver(s, project_id or
                                             DEFAULT_PROJECT),
                        project_id=project_id, claimer=self.claimer,
                        known_inputs=known_inputs)
                    self._working[ident] = t
                    result = fn(t)
                    if answer_first:
                        t.actions.defer_inline()
                    else:
                        t.actions.drain_inline()
                    if take and claimer:
                        t.outbox.handed = t.actions.hand_over(take, claimer)
                    return result, t.outbox
            finally:
                # Committed or rolled back: freed now, not by the cyclic
                # garbage collector (Transaction.close).
                if t is not None:
                    t.close()
        try:
            result, outbox = attempt()
        except expressions.EvaluationAborted:
            raise Abandoned(
                'Abandoned: the execution was cancelled or failed by a user '
                'while an expression was being evaluated for it') from None
        finally:
            self._working.pop(ident, None)
        outbox.stored = {}  # rows: not kept by follow-ups
        if take:
            taken = outbox.handed if claimer else _take_actions(outbox, take)
            self._dispatch(outbox)
            return result, taken
        self._dispatch(outbox)
        return result

    def abort_evaluations(self, wf_ex_id):
        self._abort_evaluations(wf_ex_id)

    def _abort_evaluations(self, wf_ex_id):
        """Abort the expressions this process is evaluating for the
        execution tree of ``wf_ex_id``: their transactions, which hold its
        row lock, roll back at once instead of after the CPU budget (a
        cancel or force-fail answers promptly; the work was for an
        execution that is being finished anyway)."""
        for ident, t in list(self._working.items()):
            try:
                if t.holds(wf_ex_id) and expressions.abort(ident):
                    LOG.warning('Aborted an expression evaluation of '
                                'execution %s: it is being stopped',
                                wf_ex_id)
            except Exception:
                LOG.debug('Could not look at a transaction', exc_info=True)

    def _dispatch(self, outbox):
        if outbox.actions:
            if self._sender is None:
                self._send_actions(outbox.actions)
            else:
                # After commit, as before; only no longer before the
                # answer: a start request waited for these messages
                # (publisher-confirmed, ~10 ms each on a loaded machine).
                # Crash safety is unchanged: an action committed and not
                # sent is sent again by the recovery check.
                try:
                    sending = self._sender.submit(self._send_actions,
                                                  outbox.actions)
                except RuntimeError:  # stopped
                    self._send_actions(outbox.actions)
                else:
                    with self._sends_lock:
                        self._sends.add(sending)
                    sending.add_done_callback(self._sent)
        if outbox.claimed:
            self._send(self.executor_client.run_claimed, outbox.claimed,
                       outbox.claimed)
        if outbox.inline:
            self._pool.submit(self._safely, functools.partial(
                self._run, known_inputs=outbox.inputs),
                lambda t: t.actions.run_inline_batch(outbox.inline))
        for job_id in outbox.jobs_now:
            self._pool.submit(self._safely, self.run_job, job_id)
        if outbox.wake_scheduler and self.scheduler_waker is not None:
            self.scheduler_waker()

    def _sent(self, sending):
        with self._sends_lock:
            self._sends.discard(sending)

    def _send_actions(self, actions):
        # Actions go to the executors in messages of up to
        # ACTIONS_PER_MESSAGE (one message per action cost more than the
        # rest of an action's round trip); a ``target:`` names its executor.
        anywhere = [r for r in actions if not r.target]
        for runnable in actions:
            if runnable.target or len(anywhere) == 1:
                self._send(self.executor_client.run_action, runnable,
                           [runnable])
        if len(anywhere) > 1:
            for i in range(0, len(anywhere), ACTIONS_PER_MESSAGE):
                chunk = tuple(anywhere[i:i + ACTIONS_PER_MESSAGE])
                self._send(self.executor_client.run_actions,
                           contracts.Runnables(chunk), chunk)

    @staticmethod
    def _send(send, what, runnables):
        try:
            send(what)
        except Exception:
            LOG.exception('Could not send actions %s to an executor',
                          ', '.join(r.action_ex_id or '?' for r in runnables))

    @staticmethod
    def _safely(fn, *args):
        try:
            fn(*args)
        except Abandoned as e:
            LOG.info('Follow-up work abandoned: %s', e)
        except Exception:
            LOG.exception('Follow-up work failed: %s%r', getattr(
                fn, '__name__', fn), args)

    # --- workflows ---------------------------------------------------------------

    def start_workflow(self, workflow_identifier, namespace='', input=None,
                       description='', params=None, execution_id=None,
                       source_execution_id=None, project_id=None):
        project_id = project_id or DEFAULT_PROJECT

        def do(t):
            s = t.s
            # The definition, and whether this start was made already (a
            # caller repeating it: the execution as stored), in one
            # statement.
            wf_def, existing = db_workflows.find_for_start(
                s, workflow_identifier, namespace or '', project_id,
                execution_id)
            if existing:
                return models.snapshot(s.get(models.WorkflowExecution,
                                             execution_id))
            p = dict(params or {})
            # As on the reference: the namespace the execution was started
            # with (where its sub-workflows are looked up) is the request's
            # workflow_namespace, else the one given in params, else the
            # namespace of the definition found.
            if namespace:
                p['namespace'] = namespace
            elif 'namespace' not in p:
                p['namespace'] = wf_def.namespace
            p['env'] = resolve_env(s, p.get('env'),
                                   p.get('evaluate_env', True), project_id)
            wf_ex = t.workflows.start(
                wf_def, wf_def.definition, input or {}, description or '',
                p, wf_ex_id=execution_id, project_id=project_id)
            s.flush()
            return models.snapshot(wf_ex)
        return self._run(do, project_id=project_id, answer_first=True)

    # State changes answer with a snapshot of the execution as committed
    # (trivial follow-up work may change it right after).

    def _change(self, wf_ex_id, change, answer_first=False):
        def do(t):
            run = t.lock(wf_ex_id)
            change(t, run)
            t.s.flush()
            return models.snapshot(run.wf_ex)
        return self._run(do, answer_first=answer_first)

    def pause_workflow(self, wf_ex_id, msg=None):
        return self._change(wf_ex_id,
                            lambda t, run: t.control.pause(run, msg))

    def resume_workflow(self, wf_ex_id, env=None):
        return self._change(wf_ex_id,
                            lambda t, run: t.control.resume(run, env),
                            answer_first=True)

    def stop_workflow(self, wf_ex_id, state, msg=None):
        if state != 'SUCCESS':
            self._abort_evaluations(wf_ex_id)
        return self._change(wf_ex_id,
                            lambda t, run: t.control.stop(run, state, msg))

    def update_workflow_env(self, wf_ex_id, env):
        self._run(lambda t: t.control.update_env(t.lock(wf_ex_id), env))

    # --- tasks -----------------------------------------------------------------

    def rerun_task(self, task_ex_id, reset=True, env=None):
        self._run(lambda t: rerun.rerun_task(t, task_ex_id, reset, env),
                  answer_first=True)

    def skip_task(self, task_ex_id):
        self._run(lambda t: rerun.skip_task(t, task_ex_id),
                  answer_first=True)

    # --- actions -----------------------------------------------------------------

    def on_action_complete(self, action_ex_id, result):
        return self._run(
            lambda t: t.actions.complete_many([(action_ex_id, result)])[0])

    def on_action_results(self, results, take=0, claimer=None):
        """Several results in one transaction: the workflow executions they
        concern are locked and loaded once however many of their actions
        finished (a fan-out's branches), and one commit serves them all.
        Should the transaction fail for a reason other than a conflict, the
        results are processed one by one, so that one bad result does not
        hold back the others.

        ``take`` (an executor delivering, see ``contracts.EngineApi``): the
        answer is a ``contracts.ResultsAnswer`` carrying up to ``take`` of
        the actions the results started, which the executor runs: a chain
        of actions then costs one message (the delivery) and its answer per
        step, not also a message to the executors' topic. ``claimer`` (the
        executor's claim name): those actions are stored claimed by it
        (``ActionRuns.hand_over``): no claim statement of its own, one
        database round trip less per step."""
        items = list(results.items)
        if len(items) == 1 and not take:
            return [self.on_action_complete(*items[0])]

        def do(t):
            return t.actions.complete_many(items)
        try:
            if take:
                answers, taken = self._run(do, take=take, claimer=claimer)
                return contracts.ResultsAnswer(
                    answers, contracts.Runnables(tuple(taken)),
                    claimed=bool(claimer))
            return self._run(do)
        except Exception as e:
            if db_errors.is_unavailable(e):
                # The caller repeats the delivery (one by one would fail
                # alike, and a result answered for is not delivered again).
                raise
            LOG.warning('Processing %d action results together failed (%s);'
                        ' processing them one by one', len(items), e)
        answers = []
        for action_ex_id, result in items:
            try:
                answers.append(self.on_action_complete(action_ex_id, result))
            except Exception as e:
                if db_errors.is_unavailable(e):
                    raise
                LOG.exception('Could not process the result of action %s',
                              action_ex_id)
                answers.append(False)
        if take:
            return contracts.ResultsAnswer(answers)
        return answers

    def start_action(self, action_name, action_input=None, namespace='',
                     description='', params=None, project_id=None):
        project_id = project_id or DEFAULT_PROJECT
        plan = api_actions.prepare(action_name, action_input or {},
                                   namespace or '', params or {}, project_id,
                                   self.settings)
        if plan.run_here:
            return api_actions.run_unsaved(plan)
        return self._run(lambda t: api_actions.create(t, plan),
                         project_id=project_id, answer_first=True)

    def complete_action(self, action_ex_id, state, output):
        result = api_actions.result_of(state, output)
        if result is None:
            return self.update_action_state(action_ex_id, state)
        return self._run(lambda t: api_actions.complete(t, action_ex_id,
                                                        result))

    def update_action_state(self, action_ex_id, state):
        return self._run(lambda t: api_actions.update_state(
            t, action_ex_id, state))

    # --- jobs -------------------------------------------------------------------

    def run_job(self, job_id):
        """Run one scheduled job; exactly one caller wins the row."""
        def do(t):
            job = t.s.get(models.ScheduledJob, job_id)
            if job is None:
                return False
            deleted = t.s.execute(
                sa.delete(models.ScheduledJob)
                .where(models.ScheduledJob.id == job_id)).rowcount
            if not deleted:
                return False
            if jobs.exhausted(job, self.settings.max_work_attempts):
                return jobs.give_up(t, job)
            return jobs.run(t, job.target, job.args)
        return self._run(do)

    # --- crash recovery (engine/recovery.py) -------------------------------------

    def recover_action(self, action_ex_id, stale_seconds,
                       undispatched_seconds, claimer_dead_seconds=0):
        return self._run(lambda t: recovery.recover_action(
            t, action_ex_id, stale_seconds, undispatched_seconds,
            claimer_dead_seconds))


def _take_actions(outbox, count):
    """Remove up to ``count`` runnables without a ``target`` from
    ``outbox.actions``; those runnables."""
    taken, kept = [], []
    for runnable in outbox.actions:
        if len(taken) < count and not runnable.target:
            taken.append(runnable)
        else:
            kept.append(runnable)
    outbox.actions = kept
    return taken


def resolve_env(session, env, evaluate_env=True, project_id=None):
    """An execution's ``env`` param: a dict, or the name of a stored
    environment; evaluated against itself unless ``evaluate_env`` is
    false."""
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
