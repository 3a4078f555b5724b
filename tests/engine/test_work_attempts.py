"""Work that kills its engine does not poison the next engine forever:
the scheduler counts the claims of each delayed job in the claiming UPDATE
(persisted before any engine runs it), and a job claimed more than
``[engine] max_work_attempts`` times is given up — its execution fails
with a state_info that says why — instead of being handed to one engine
after another."""

import datetime
import time

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from tests import base

WF = """---
version: '2.0'
wa_delayed:
  tasks:
    t:
      action: std.echo output=1
      wait-before: 3600
"""


class WorkAttemptsTest(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_workflows(WF)

    def _job_of(self, ex_id):
        for _ in range(100):
            with db_api.session() as s:
                job = s.execute(sa.select(models.ScheduledJob).where(
                    models.ScheduledJob.workflow_execution_id == ex_id)
                ).scalars().first()
                if job is not None:
                    return job.id
            time.sleep(0.1)
        self.fail('no job')

    def _as_if_claimed(self, job_id, attempts):
        """The job is due, and was claimed ``attempts`` times by
        schedulers whose engines died (their claims went stale)."""
        long_ago = models.utcnow() - datetime.timedelta(hours=1)
        with db_api.transaction() as s:
            s.execute(sa.update(models.ScheduledJob)
                      .where(models.ScheduledJob.id == job_id)
                      .values(run_after=long_ago, captured_at=long_ago,
                              captured_by='dead', attempts=attempts))

    def test_job_under_the_limit_runs(self):
        ex = self.server.start('wa_delayed')
        self._as_if_claimed(self._job_of(ex['id']), 2)
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('SUCCESS', ex['state'], ex)

    def test_job_over_the_limit_fails_its_execution(self):
        ex = self.server.start('wa_delayed')
        self._as_if_claimed(self._job_of(ex['id']), 3)
        ex = self.server.wait(ex['id'], timeout=60)
        self.assertEqual('ERROR', ex['state'])
        self.assertIn('Gave up on task_continue', ex['state_info'])
        self.assertIn('after 3 attempts', ex['state_info'])
        m = models.ScheduledJob
        with db_api.session() as s:
            left = s.execute(sa.select(m.id).where(
                m.workflow_execution_id == ex['id'])).all()
        self.assertEqual([], left)

    def test_claims_are_counted(self):
        from mistral_clone.scheduler.service import Scheduler
        ex = self.server.start('wa_delayed')
        job_id = self._job_of(ex['id'])
        # Due, and just claimed: this server's scheduler leaves it alone
        # for captured_job_timeout (30 s), ours takes it over at once.
        now = models.utcnow()
        with db_api.transaction() as s:
            s.execute(sa.update(models.ScheduledJob)
                      .where(models.ScheduledJob.id == job_id)
                      .values(run_after=now - datetime.timedelta(hours=1),
                              captured_at=now, captured_by='dead'))

        class DyingEngine:
            def run_job(self, job_id):
                pass  # the engine died: the job stays claimed
        scheduler = Scheduler(DyingEngine(), captured_job_timeout=0.01)
        try:
            for _ in range(2):
                time.sleep(0.05)
                scheduler.run_once()
        finally:
            scheduler._pool.shutdown(wait=True)
        with db_api.session() as s:
            self.assertEqual(2, s.get(models.ScheduledJob, job_id).attempts)
