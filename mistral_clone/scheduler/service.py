"""The scheduler service: delayed jobs and cron triggers.

Delayed work (wait-before/after, retry delays, timeouts, follow-ups whose
immediate dispatch was lost) lives in the ``scheduled_jobs`` table. Any
number of schedulers may poll it: a job is *claimed* with an atomic UPDATE
(only one scheduler's update matches), then handed to an engine which runs
it in a transaction that deletes the row — so each job runs once. A claim
older than ``[scheduler] captured_job_timeout`` is considered abandoned (its
scheduler or engine died) and the job is claimed again.
"""

import datetime
import logging
import random
import socket
import os
import threading

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models

LOG = logging.getLogger(__name__)


class Scheduler:

    def __init__(self, engine_client, fixed_delay=0.2, random_delay=0.1,
                 batch_size=100, captured_job_timeout=30, name=None,
                 periodic_tasks=()):
        self.engine_client = engine_client
        self.fixed_delay = fixed_delay
        self.random_delay = random_delay
        self.batch_size = batch_size
        self.captured_job_timeout = captured_job_timeout
        self.name = name or '%s-%s' % (socket.gethostname(), os.getpid())
        self.periodic_tasks = list(periodic_tasks)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name='scheduler')
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
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
        self._wake.set()

    def _loop(self):
        while not self._stop.is_set():
            next_due = None
            try:
                next_due = self.run_once()
            except Exception:
                LOG.exception('Scheduler iteration failed')
            for task in self.periodic_tasks:
                try:
                    task()
                except Exception:
                    LOG.exception('Periodic task %s failed', task)
            delay = self.fixed_delay + random.uniform(0, self.random_delay)
            if next_due is not None:
                delay = max(0.0, min(delay, next_due))
            self._wake.wait(delay)
            self._wake.clear()

    def run_once(self):
        """Claim and hand over due jobs; seconds until the next one is due."""
        now = models.utcnow()
        stale = now - datetime.timedelta(seconds=self.captured_job_timeout)
        with db_api.session() as s:
            rows = s.execute(
                sa.select(models.ScheduledJob.id)
                .where(models.ScheduledJob.run_after <= now)
                .where(sa.or_(models.ScheduledJob.captured_at.is_(None),
                              models.ScheduledJob.captured_at < stale))
                .order_by(models.ScheduledJob.run_after)
                .limit(self.batch_size)).scalars().all()
            upcoming = s.execute(
                sa.select(sa.func.min(models.ScheduledJob.run_after))
                .where(models.ScheduledJob.run_after > now)).scalar()
        for job_id in rows:
            if self._claim(job_id, now, stale):
                try:
                    self.engine_client.run_job(job_id)
                except Exception:
                    LOG.exception('Could not hand job %s to an engine',
                                  job_id)
        if upcoming is None:
            return None
        return max(0.0, (upcoming - models.utcnow()).total_seconds())

    def _claim(self, job_id, now, stale):
        @db_api.retry_on_conflict
        def claim():
            with db_api.transaction() as s:
                return s.execute(
                    sa.update(models.ScheduledJob)
                    .where(models.ScheduledJob.id == job_id)
                    .where(sa.or_(models.ScheduledJob.captured_at.is_(None),
                                  models.ScheduledJob.captured_at < stale))
                    .values(captured_at=now, captured_by=self.name)
                ).rowcount
        return bool(claim())
