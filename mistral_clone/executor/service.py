"""The executor service: runs actions and reports their results.

An executor receives prepared actions (``rpc.contracts.Runnable``: a python
action name and its final input), runs them in a thread pool with the
task's timeout, and reports an ``ActionResult`` to an engine: always for
synchronous actions, only on immediate failure for asynchronous ones (whose
result arrives later through the API).

In production (``track_actions=True``) an executor also makes its work
visible in the database, so that crashes are detected
(``engine/recovery.py``):

* **claim** — on receipt, ``action_executions.executor_host`` is set with an
  atomic UPDATE that only matches an unclaimed RUNNING action. A message
  delivered twice (the engine re-dispatched an action it believed lost) is
  therefore run once; an action nobody claimed was never started and can be
  re-dispatched safely. In the embedded mode the engine of the same process
  stores its actions already claimed by this executor, in the transaction
  that creates them (:meth:`Executor.run_claimed`): no claim transaction.
* **heartbeats** — every ``[action_heartbeat] check_interval`` seconds,
  ``last_heartbeat`` of every action this executor holds (queued, running,
  or whose result is being delivered) is refreshed in one UPDATE.
* **delivery** — a result is delivered with a call that is repeated
  (reaching another engine) until an engine acknowledged it.

Results are delivered in batches: the worker that finishes an action while
no delivery is under way delivers its result, and then every result that
finished meanwhile, in one call (``EngineApi.on_action_results``, one
engine transaction); the other workers go back to running actions. Under
load one call and one transaction serve many actions; alone, an action's
result leaves at once. In production the engine's answer carries back up to
as many of the actions those results started (a chain's next action) as
results were delivered, which this executor claims and runs: no message to
the executors' topic for them (``EngineApi.on_action_results``, ``take``).
The engine stores them claimed by this executor in that transaction
(``claimer``; no claim statement here), ``last_heartbeat`` unset until this
executor's first heartbeat. Should the answer never arrive (the call
failed or was repeated), this executor hands back the ones it never
received (:meth:`Executor._sweep`): the recovery check sends them again,
as when an engine dies between committing and sending. Should it die with
some on their way, they are recovered as its other claimed actions.

The claim names the executor's row in the ``services`` table (``claimer``,
see ``services/heartbeats.py``): when that row dies, engines know at once
whose actions lost their process.

**Stopping** drains (:meth:`Executor.stop`): actions that are running get up
to ``timeout`` seconds (``[DEFAULT] graceful_shutdown_timeout``) to finish
and report while the transport is still open; actions still queued are
handed back (unclaimed, so the next recovery check sends them to another
executor: they never started); actions still running at the timeout stay
claimed by this process, whose services row leaves with it, and are re-run
(``safe-rerun``) or failed by the usual rules.
"""

import concurrent.futures
import logging
import socket
import threading
import time

from mistral_clone import actions
from mistral_clone import periodic
from mistral_clone.executor import claims
from mistral_clone.rpc import contracts

LOG = logging.getLogger(__name__)

# Most results one delivery carries (one engine transaction: long ones hold
# the workflow executions' row locks longer).
MAX_RESULTS_PER_DELIVERY = 20

# How long a delivery waits for results of actions finishing with it (see
# Executor._gather): at most GATHER_MAX_SECONDS, and no longer than
# GATHER_QUIET_SECONDS after the last result queued.
GATHER_QUIET_SECONDS = 0.001
GATHER_MAX_SECONDS = 0.005


class Executor(contracts.ExecutorApi):

    def __init__(self, engine_client, workers=16, host=None,
                 track_actions=False, heartbeat_interval=0, claimer=None,
                 executors=None):
        self.engine_client = engine_client
        # A client of the executors' topic (production): deliveries then
        # take back the actions their results started (see _deliver), and
        # the ones taken while stopping are sent on through it.
        self.executors = executors
        self._engines_take = True  # False once an engine refused ``take``
        self._engines_claim = track_actions  # False once one refused
        # Actions an engine claimed for this executor that it received,
        # until their results are recorded (see _sweep).
        self._handed = set()
        self._sweep_due = False
        self.host = host or socket.gethostname()
        # What claims write in action_executions.executor_host.
        self.claimer = claimer or self.host
        self.track_actions = track_actions
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='executor')
        self._held = set()          # action ids this executor answers for
        self._held_lock = threading.Lock()
        self._results = []          # [(action_ex_id, ActionResult)] to send
        self._delivering = False    # a worker is sending results
        self._results_lock = threading.Lock()
        # Notified when a result is queued: a delivery about to leave
        # gathers the results of actions finishing at that moment.
        self._result_queued = threading.Condition(self._results_lock)
        self._unreported = 0        # actions submitted, result not queued
        self._queued = {}           # future -> action id, until it starts
        self._stopping = False
        self._heartbeats = None
        if track_actions and heartbeat_interval > 0:
            self._heartbeats = periodic.Periodic(
                self.send_heartbeats, heartbeat_interval,
                'action-heartbeats').start()

    def stop(self, timeout=0):
        """Stop: hand queued actions back, give running ones ``timeout``
        seconds to finish and report (call before the transport closes)."""
        self._stopping = True
        with self._held_lock:
            futures = dict(self._queued)
        handed_back = [a for f, a in futures.items() if f.cancel()]
        for _ in handed_back:  # they will never run
            self._done_unreported()
        running = [f for f in futures if not f.cancelled()]
        if handed_back:
            with self._held_lock:
                self._held.difference_update(handed_back)
            if self.track_actions:
                self._hand_back([a for a in handed_back if a])
        self._pool.shutdown(wait=False)
        if running:
            LOG.info('Executor %s: waiting up to %ss for %d running '
                     'action(s) to finish', self.host, timeout, len(running))
            start = time.monotonic()
            _, left = concurrent.futures.wait(running, timeout=timeout)
            if left:
                LOG.warning('Executor %s: %d action(s) still running after '
                            '%ss; the engines recover them (re-run if '
                            'safe-rerun, else failed)', self.host, len(left),
                            timeout)
            else:
                LOG.info('Executor %s: running actions finished in %.1fs',
                         self.host, time.monotonic() - start)
        if self._heartbeats is not None:
            self._heartbeats.stop()

    def _hand_back(self, action_ex_ids):
        """Unclaim actions that never started, dated so that the next
        recovery check sends them to another executor."""
        from mistral_clone.db import models
        try:
            claims.unclaim(self.claimer,
                           models.ActionExecution.id.in_(action_ex_ids))
        except Exception:
            LOG.exception('Could not hand back actions %s', action_ex_ids)
            return
        LOG.info('Executor %s: handed back %d queued action(s) that had not '
                 'started: %s', self.host, len(action_ex_ids),
                 ', '.join(action_ex_ids))

    # --- receiving ---------------------------------------------------------------

    def run_action(self, runnable):
        """Queue an action (a ``contracts.Runnable``); returns at once."""
        action_ex_id = runnable.action_ex_id
        if self._stopping:
            # Left unclaimed: the engines send it again (it never started).
            LOG.info('Executor %s is stopping: not taking action %s',
                     self.host, action_ex_id)
            return
        if self.track_actions and action_ex_id:
            try:
                claimed = self._claim_patiently(action_ex_id)
            except Exception:
                # The database stayed unreachable: leave the action
                # unclaimed. It never started, so the recovery check sends
                # it again and it runs once; running it unclaimed would run
                # it twice (the copy sent again finds it unclaimed too).
                LOG.exception('Could not claim action %s; not running it '
                              '(it will be sent again)', action_ex_id)
                return
            if not claimed:
                LOG.info('Action %s is already claimed or finished; not '
                         'running it again', action_ex_id)
                return
            with self._held_lock:
                self._held.add(action_ex_id)
        self._submit(runnable)

    def _submit(self, runnable):
        with self._results_lock:
            self._unreported += 1
        with self._held_lock:
            try:
                future = self._pool.submit(self._run, runnable)
            except BaseException:
                self._done_unreported()
                raise
            self._queued[future] = runnable.action_ex_id
        # Outside the lock: a future already done calls _forget at once,
        # in this thread.
        future.add_done_callback(self._forget)

    def _forget(self, future):
        with self._held_lock:
            self._queued.pop(future, None)

    #: Seconds a claim is tried while the database is unreachable (a
    #: restart) before the action is left to be sent again.
    claim_patience = 10.0

    def _claim_patiently(self, action_ex_id):
        return self._patiently(self._claim, action_ex_id)

    def _patiently(self, claim, ids):
        deadline = time.monotonic() + self.claim_patience
        while True:
            try:
                return claim(ids)
            except Exception as e:
                if time.monotonic() > deadline:
                    raise
                LOG.warning('Could not claim action(s) %s yet (%s); '
                            'retrying', ids, type(e).__name__)
                time.sleep(0.5)

    def run_actions(self, runnables):
        """Queue several actions (a ``contracts.Runnables``), claimed in
        one transaction; returns at once."""
        items = list(runnables.items)
        ids = [r.action_ex_id for r in items if r.action_ex_id]
        if self._stopping:
            LOG.info('Executor %s is stopping: not taking actions %s',
                     self.host, ', '.join(ids))
            return
        if not (self.track_actions and ids):
            for runnable in items:
                self._submit(runnable)
            return
        try:
            claimed = self._patiently(self._claim_many, ids)
        except Exception:
            # As in run_action: left unclaimed, they are sent again.
            LOG.exception('Could not claim actions %s; not running them '
                          '(they will be sent again)', ', '.join(ids))
            return
        for runnable in items:
            action_ex_id = runnable.action_ex_id
            if action_ex_id and action_ex_id not in claimed:
                LOG.info('Action %s is already claimed or finished; not '
                         'running it again', action_ex_id)
                continue
            if action_ex_id:
                with self._held_lock:
                    self._held.add(action_ex_id)
            try:
                self._submit(runnable)
            except RuntimeError:
                if not self._stopping:
                    raise
                # Stopping began while it was claimed (actions taken with
                # a delivery, see _deliver_taking): the pool is shut down.
                # It never started: unclaimed, it is sent again.
                self._release(action_ex_id)
                self._hand_back([action_ex_id])

    def run_claimed(self, runnables):
        """Queue actions that the engine of this process stored already
        claimed by this executor (``Engine.use_in_process_executor``): no
        claim transaction. While stopping, they are handed back (unclaimed,
        as if never received: they never started)."""
        ids = [r.action_ex_id for r in runnables]
        if self._stopping:
            LOG.info('Executor %s is stopping: not taking actions %s',
                     self.host, ', '.join(ids))
            self._hand_back(ids)
            return
        with self._held_lock:
            self._held.update(ids)
        for runnable in runnables:
            self._submit(runnable)

    def _claim_many(self, ids):
        """The ids of ``ids`` this executor claimed (executor/claims.py)."""
        return claims.claim(ids, self.claimer)

    def _claim(self, action_ex_id):
        return claims.claim_one(action_ex_id, self.claimer)

    def _release(self, action_ex_id):
        with self._held_lock:
            self._held.discard(action_ex_id)

    # --- running -----------------------------------------------------------------

    def _run(self, runnable):
        action_ex_id = runnable.action_ex_id
        result = None
        try:
            try:
                result = self.execute(runnable)
            except Exception as e:  # never lose an action silently
                LOG.exception('Executor failed on action %s', action_ex_id)
                result = contracts.ActionResult(
                    error='Executor failure: %s' % e)
        finally:
            if result is None:
                self._done_unreported()
                if self.track_actions:
                    self._release(action_ex_id)
            else:
                self._report(action_ex_id, result)

    def _done_unreported(self):
        with self._results_lock:
            self._unreported -= 1
            self._result_queued.notify_all()

    # --- delivering results ------------------------------------------------------

    def _report(self, action_ex_id, result):
        """Deliver a result: now if no delivery is under way, else with
        the next one (made by the worker delivering now)."""
        with self._results_lock:
            self._results.append((action_ex_id, result))
            self._unreported -= 1
            self._result_queued.notify_all()
            if self._delivering:
                return
            self._delivering = True
        self._deliver()

    def _gather(self):
        """Before a delivery leaves (results lock held): while other
        actions are finishing right now, let their results join it.

        Actions sent together (``run_actions``) finish together; without
        this the first result left alone and the others waited a whole
        delivery (a round trip and an engine transaction) for the next
        one. The wait ends when no action is left unreported, when none
        finished for GATHER_QUIET_SECONDS (a long action is not waited
        for), or after GATHER_MAX_SECONDS; alone, a result leaves at once.
        """
        deadline = None
        while (self._unreported > 0 and
               len(self._results) < MAX_RESULTS_PER_DELIVERY):
            now = time.monotonic()
            if deadline is None:
                deadline = now + GATHER_MAX_SECONDS
            wait = min(GATHER_QUIET_SECONDS, deadline - now)
            if wait <= 0 or not self._result_queued.wait(wait):
                return

    def _deliver(self):
        while True:
            with self._results_lock:
                self._gather()
                batch = self._results[:MAX_RESULTS_PER_DELIVERY]
                del self._results[:MAX_RESULTS_PER_DELIVERY]
                if not batch:
                    self._delivering = False
                    return
            try:
                if self.executors is not None and self._engines_take:
                    self._deliver_taking(batch)
                elif len(batch) == 1:
                    self.engine_client.on_action_complete(*batch[0])
                else:
                    self.engine_client.on_action_results(
                        contracts.ActionResults(tuple(batch)))
            except Exception:
                LOG.exception('Could not report the results of actions %s',
                              ', '.join(i for i, _ in batch))
            finally:
                if self.track_actions:
                    for action_ex_id, _ in batch:
                        self._release(action_ex_id)

    def _deliver_taking(self, batch):
        """Deliver ``batch`` and run the actions its results started that
        the engine hands back (as many as results delivered: this
        executor's share of the work stays what it was). A chain's next
        action then needs no message of its own to the executors' topic.
        Stopping, they go on to the topic (another executor runs them)."""
        results = contracts.ActionResults(tuple(batch))
        claimer = self.claimer if self._engines_claim else None
        repeats = getattr(self.engine_client, 'repeats', 0)
        try:
            answer = self._call_taking(results, len(batch), claimer)
        except Exception:
            if claimer is not None:
                self._sweep_due = True
                self._sweep()
            raise
        if claimer is not None and \
                getattr(self.engine_client, 'repeats', 0) != repeats:
            # The answer of an earlier try may have been lost, and the
            # engine that committed it claimed actions for this executor.
            self._sweep_due = True
        if answer is None:
            return
        if self._handed:
            with self._held_lock:
                self._handed.difference_update(
                    i for (i, _), ok in zip(batch, answer.answers)
                    if ok is True)
        runnables = answer.actions
        passed = runnables.items
        if answer.claimed:
            passed = self._run_handed(runnables)
        elif passed and not self._stopping:
            self.run_actions(runnables)
        if self._sweep_due:
            self._sweep()
        if passed and self._stopping:
            # Those not claimed here go to another executor; those claimed
            # here are refused by the other executors' claim.
            try:
                self.executors.run_actions(contracts.Runnables(passed))
            except Exception:
                LOG.exception('Could not send actions %s on to the '
                              'executors (they will be sent again)',
                              ', '.join(r.action_ex_id or '?'
                                        for r in passed))

    def _call_taking(self, results, take, claimer):
        """``on_action_results`` with ``take`` (and ``claimer``); None when
        the engine refused ``take`` (then delivered without)."""
        kwargs = {'claimer': claimer} if claimer else {}
        try:
            return self.engine_client.on_action_results(
                results, take=take, **kwargs)
        except Exception as e:
            if getattr(e, 'exc_type', None) != 'TypeError':
                raise
            if claimer:  # an engine without ``claimer``: take only
                LOG.warning('The engine refused to claim the actions it '
                            'hands back (%s); claiming them here', e.value)
                self._engines_claim = False
                return self._call_taking(results, take, None)
            # An engine of a version without ``take`` (a rolling upgrade):
            # deliver as before, to every engine from now on.
            LOG.warning('The engine refused a delivery taking actions back '
                        '(%s); delivering without', e.value)
            self._engines_take = False
            self.engine_client.on_action_results(results)
            return None

    def _run_handed(self, runnables):
        """Run the actions an engine handed back already claimed by this
        executor (``ResultsAnswer.claimed``). Stopping, they are handed
        back (unclaimed: they never started); those are returned."""
        ids = [r.action_ex_id for r in runnables.items]
        with self._held_lock:
            self._handed.update(ids)
            stopping = self._stopping
            if not stopping:
                self._held.update(ids)
        if stopping:
            self._hand_back(ids)
            return runnables.items
        passed = []
        for runnable in runnables.items:
            try:
                self._submit(runnable)
            except RuntimeError:
                if not self._stopping:
                    raise
                # Stopping began meanwhile (the pool is shut down).
                self._release(runnable.action_ex_id)
                self._hand_back([runnable.action_ex_id])
                passed.append(runnable)
        return tuple(passed)

    def _sweep(self):
        """After a delivery whose answer may be lost: hand back the RUNNING
        actions claimed for this executor by an engine (no heartbeat yet)
        that it never received (not in ``_handed``). Only the delivering
        thread sweeps, with no answer on its way."""
        from mistral_clone.db import models
        m = models.ActionExecution
        with self._held_lock:
            received = list(self._held | self._handed)
        conditions = [m.last_heartbeat.is_(None)]
        if received:
            conditions.append(m.id.notin_(received))
        try:
            lost = claims.unclaim(self.claimer, *conditions)
        except Exception:  # tried again after the next delivery
            LOG.exception('Could not hand back the actions claimed for '
                          'executor %s that it never got', self.host)
            return
        self._sweep_due = False
        if lost:
            LOG.warning('Executor %s: handed back %d action(s) an engine '
                        'claimed for it in an answer that never arrived; '
                        'they are sent again', self.host, lost)

    def execute(self, runnable):
        """Run the action; the ``ActionResult`` to report, or None (an
        asynchronous action reports later, through the API)."""
        try:
            action = actions.instantiate(runnable.action, runnable.input)
        except Exception as e:
            return contracts.ActionResult(
                error='Failed to instantiate an action [action=%s]: %s' % (
                    runnable.action, e))
        context = actions.make_action_context(**runnable.execution_ids())
        result = actions.run_action(action, context, runnable.timeout)
        if not actions.should_report(action, result):
            return None
        result = actions.ensure_deliverable(result, action,
                                            runnable.action_ex_id)
        return contracts.ActionResult.from_lib(result)

    # --- heartbeats --------------------------------------------------------------

    def held_actions(self):
        with self._held_lock:
            return sorted(self._held)

    def send_heartbeats(self):
        """Refresh ``last_heartbeat`` of every action held here."""
        ids = self.held_actions()
        if not ids:
            return 0
        return claims.beat(self.claimer, ids)
