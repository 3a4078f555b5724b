"""Delayed work (``scheduled_jobs``) with several scheduler processes
against PostgreSQL: each job is handed over once, on time, and a job whose
claimer died is claimed again after ``captured_job_timeout``."""

import datetime
import os
import shutil
import tempfile
import time
import unittest

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from tests.integration import scheduler_fixtures as fx


@unittest.skipUnless(fx.pg_available(), 'PostgreSQL is not reachable')
class ScheduledJobsTest(unittest.TestCase):

    def setUp(self):
        self.db = fx.PostgresDatabase('mc_jobs').create()
        self.addCleanup(self.db.drop)
        db_api.setup(self.db.url, pool_size=2, max_overflow=2)
        self.addCleanup(db_api.dispose)
        self.tmp = tempfile.mkdtemp(prefix='mc_jobs_')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.workers = []
        self.addCleanup(lambda: [w.stop() for w in self.workers])

    def add_jobs(self, delays, **extra):
        now = models.utcnow()
        with db_api.transaction() as s:
            jobs = [models.ScheduledJob(
                run_after=now + datetime.timedelta(seconds=d),
                target='noop', args={}, **extra) for d in delays]
            s.add_all(jobs)
        return [j.id for j in jobs]

    def remaining(self):
        with db_api.session() as s:
            return s.execute(sa.select(sa.func.count()).select_from(
                models.ScheduledJob)).scalar()

    def start(self, n, timeout=30, mode='run'):
        outs = [os.path.join(self.tmp, 'out%d_%d' % (len(self.workers), i))
                for i in range(n)]
        self.workers += [fx.Worker('jobs', self.db.url, out, timeout, mode)
                         for out in outs]
        fx.wait_for(lambda: all(os.path.exists(o + '.ready') for o in outs),
                    20, message='the schedulers to start')
        return outs

    def test_each_job_runs_once_and_on_time(self):
        outs = self.start(4)
        # 80 jobs due over the next 3 seconds, some already due. (The
        # recording client commits once per job, ~50-70 ms on this
        # PostgreSQL: the load stays below what four schedulers absorb.)
        ids = self.add_jobs([(i % 31) / 10.0 - 0.5 for i in range(80)])
        inserted = models.utcnow()
        try:
            fx.wait_for(lambda: self.remaining() == 0, 20,
                        message='every job to run')
        except AssertionError:
            for w in self.workers:
                w.stop()
                print(w.stderr[-3000:])
            raise
        records = [r for r in fx.read_records(outs) if r['deleted']]
        self.assertEqual(sorted(ids), sorted(r['job'] for r in records))
        handed = [r['job'] for r in fx.read_records(outs)]
        self.assertEqual(len(handed), len(set(handed)),
                         'a job was handed over twice')
        self.assertGreater(len({r['pid'] for r in records}), 1)
        lags = []
        for r in records:
            run_after = datetime.datetime.fromisoformat(r['run_after'])
            at = datetime.datetime.fromisoformat(r['at'])
            self.assertGreaterEqual(at, run_after, 'a job ran early')
            lags.append((at - max(run_after, inserted)).total_seconds())
        self.assertLess(max(lags), 1.0, sorted(lags)[-10:])

    def test_abandoned_claim_is_taken_again(self):
        # A claimer that records the job but never finishes it, then dies.
        hung = self.start(1, timeout=2, mode='hang')
        job, = self.add_jobs([0.2])
        fx.wait_for(lambda: fx.read_records(hung), 10,
                    message='the first claim')
        self.workers[0].kill()
        with db_api.session() as s:
            row = s.get(models.ScheduledJob, job)
            self.assertIsNotNone(row.captured_at)
            claimed_at = row.captured_at
        # Schedulers with captured_job_timeout=2 take it over once the
        # claim is 2 s old, and only then.
        outs = self.start(3, timeout=2)
        ready = models.utcnow()
        fx.wait_for(lambda: self.remaining() == 0, 15,
                    message='the job to be claimed again')
        records = fx.read_records(outs)
        self.assertEqual([job], [r['job'] for r in records])
        took_over = datetime.datetime.fromisoformat(records[0]['at'])
        self.assertGreaterEqual((took_over - claimed_at).total_seconds(), 2)
        due = max(ready, claimed_at + datetime.timedelta(seconds=2))
        # Promptly (generous for a loaded machine; the next poll is 0.1 s).
        self.assertLess((took_over - due).total_seconds(), 10.0)

    def test_recent_claim_is_left_alone(self):
        job, = self.add_jobs([-1], captured_at=models.utcnow(),
                             captured_by='alive-elsewhere')
        outs = self.start(2, timeout=30)
        time.sleep(2.5)
        self.assertEqual([], fx.read_records(outs))
        self.assertEqual(1, self.remaining())
