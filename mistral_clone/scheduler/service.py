"""The scheduler service: delayed jobs and cron triggers.

Delayed work (wait-before/after, retry delays, timeouts, follow-ups whose
immediate dispatch was lost) lives in the ``scheduled_jobs`` table. Any
number of schedulers may poll it: a job is *claimed* with an atomic UPDATE
(only one scheduler's update matches), then handed to an engine which runs
it in a transaction that deletes the row — so each job runs once. A claim
older than ``[scheduler] captured_job_timeout`` is considered abandoned (its
scheduler or engine died) and the job is claimed again.
"""

import concurrent.futures
import datetime
import logging
import os
import socket

import sqlalchemy as sa

from mistral_clone import periodic
from mistral_clone import observe
from mistral_clone.db import api as db_api
from mistral_clone.db import models

LOG = logging.getLogger(__name__)


class Scheduler:

    def __init__(self, engine_client, fixed_delay=0.2, random_delay=0.1,
                 batch_size=100, captured_job_timeout=30, name=None,
                 periodic_tasks=(), handover_threads=8):
        self.engine_client = engine_client
        self.fixed_delay = fixed_delay
        self.random_delay = random_delay
        self.batch_size = batch_size
        self.captured_job_timeout = captured_job_timeout
        self.name = name or '%s-%s' % (socket.gethostname(), os.getpid())
        self.periodic_tasks = list(periodic_tasks)
        # Claimed jobs are handed over concurrently: with an in-process
        # engine ``run_job`` runs the job itself, and one slow job must not
        # hold back the others claimed in the same batch.
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=handover_threads, thread_name_prefix='job-handover')
        # Polls every fixed_delay (+ up to random_delay), sooner when the
        # next job is due sooner or an engine scheduled one (wake).
        self._loop = periodic.Periodic(
            self._iteration, fixed_delay, 'scheduler',
            random_extra=random_delay, run_first=True, returns_due=True)

    def start(self):
        self._loop.start()

    def stop(self):
        self._loop.stop()
        self._pool.shutdown(wait=True)
        # Periodic tasks that run threads of their own (the event engine)
        # stop with the scheduler.
        for task in self.periodic_tasks:
            stop = getattr(task, 'stop', None)
            if stop is not None:
                try:
                    stop()
                except Exception:
                    LOG.exception('Could not stop periodic task %s', task)

    def wake(self):
        self._loop.wake()

    def _iteration(self):
        """Due jobs, then the periodic tasks; seconds until the next job
        is due (None: none is)."""
        next_due = None
        try:
            next_due = self.run_once()
        except Exception:
            LOG.exception('Scheduler iteration failed')
        for task in self.periodic_tasks:
            if self._loop.stopped:
                break
            try:
                task()
            except Exception:
                LOG.exception('Periodic task %s failed', task)
        return next_due

    def run_once(self):
        """Claim and hand over due jobs; seconds until the next one is due."""
        now = models.utcnow()
        stale = now - datetime.timedelta(seconds=self.captured_job_timeout)
        if db_api.dialect_name() in ('postgresql', 'sqlite'):
            claimed = self._claim_batch(now, stale)
        else:
            claimed = [(job_id, run_after) for job_id, run_after
                       in self._due(now, stale)
                       if self._claim(job_id, now, stale)]
        observe.jobs_claimed((now - run_after).total_seconds()
                             for _, run_after in claimed)
        claimed = [job_id for job_id, _ in claimed]
        for job_id in claimed:
            self._pool.submit(self._hand_over, job_id)
        with db_api.session() as s:
            upcoming = s.execute(
                sa.select(sa.func.min(models.ScheduledJob.run_after))
                .where(models.ScheduledJob.run_after > now)).scalar()
        if upcoming is None:
            return None
        return max(0.0, (upcoming - models.utcnow()).total_seconds())

    def _hand_over(self, job_id):
        try:
            self.engine_client.run_job(job_id)
        except Exception:
            LOG.exception('Could not hand job %s to an engine', job_id)

    def _claimable(self, now, stale):
        M = models.ScheduledJob
        return (M.run_after <= now,
                sa.or_(M.captured_at.is_(None), M.captured_at < stale))

    def _due(self, now, stale):
        M = models.ScheduledJob
        with db_api.session() as s:
            return s.execute(
                sa.select(M.id, M.run_after)
                .where(*self._claimable(now, stale))
                .order_by(M.run_after).limit(self.batch_size)).all()

    def _claim_batch(self, now, stale):
        """One UPDATE claims up to ``batch_size`` due jobs. On PostgreSQL
        ``FOR UPDATE SKIP LOCKED`` lets concurrent schedulers take disjoint
        batches instead of queueing behind each other row by row (one
        commit per batch, not per job); SQLite has a single writer."""
        M = models.ScheduledJob
        due = (sa.select(M.id).where(*self._claimable(now, stale))
               .order_by(M.run_after).limit(self.batch_size))
        if not db_api.is_sqlite():
            due = due.with_for_update(skip_locked=True)

        @db_api.retry_on_conflict
        def claim():
            with db_api.transaction() as s:
                return s.execute(
                    sa.update(M)
                    .where(M.id.in_(due.scalar_subquery()),
                           *self._claimable(now, stale))
                    .values(captured_at=now, captured_by=self.name,
                            attempts=M.attempts + 1)
                    .returning(M.id, M.run_after)
                    .execution_options(synchronize_session=False)
                ).all()
        return sorted(claim(), key=lambda r: r[1])

    def _claim(self, job_id, now, stale):
        M = models.ScheduledJob

        @db_api.retry_on_conflict
        def claim():
            with db_api.transaction() as s:
                return s.execute(
                    sa.update(models.ScheduledJob)
                    .where(models.ScheduledJob.id == job_id)
                    .where(sa.or_(models.ScheduledJob.captured_at.is_(None),
                                  models.ScheduledJob.captured_at < stale))
                    .values(captured_at=now, captured_by=self.name,
                            attempts=M.attempts + 1)
                ).rowcount
        return bool(claim())
