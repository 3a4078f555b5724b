"""Cron triggers fire exactly once with several scheduler processes against
PostgreSQL (a fresh database per test), driven by a movable clock and by
real time with a seconds pattern."""

import datetime
import json
import os
import shutil
import tempfile
import time
import unittest

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import cron_triggers
from mistral_clone.services import workflows
from tests.integration import scheduler_fixtures as fx

T0 = datetime.datetime(2030, 1, 1, 0, 0, 0)
WORKERS = 4

WF = """---
version: '2.0'
cron_wf:
  input:
    - a
    - b: 2
  tasks:
    t1:
      action: std.echo output=<% $.a %>
"""


def minutes(n):
    return T0 + datetime.timedelta(minutes=n)


@unittest.skipUnless(fx.pg_available(), 'PostgreSQL is not reachable')
class CronSchedulersTest(unittest.TestCase):

    def setUp(self):
        self.db = fx.PostgresDatabase('mc_cron').create()
        self.addCleanup(self.db.drop)
        db_api.setup(self.db.url, pool_size=2, max_overflow=2)
        self.addCleanup(db_api.dispose)
        self.tmp = tempfile.mkdtemp(prefix='mc_cron_')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.workers = []
        self.addCleanup(self._stop_workers)
        self.wf = workflows.create_workflows(WF)[0]

    def _stop_workers(self):
        for w in self.workers:
            w.stop()

    # --- movable clock ------------------------------------------------------------

    def _trigger(self, name, pattern, next_time, remaining=None, **kw):
        with db_api.transaction() as s:
            row = models.CronTrigger(
                name=name, pattern=pattern, next_execution_time=next_time,
                remaining_executions=remaining, workflow_name='cron_wf',
                workflow_id=self.wf.id, workflow_input={'a': name},
                workflow_params=kw.get('params', {}),
                first_execution_time=kw.get('first'),
                scope='private', project_id='<default-project>')
            s.add(row)
        return row.id

    def _set_clock(self, when):
        text = when.isoformat()
        tmp = self.clock + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, self.clock)

        def all_passed():
            for path in self.outs:
                try:
                    with open(path + '.progress') as f:
                        if f.read() != text:
                            return False
                except OSError:
                    return False
            return True
        fx.wait_for(all_passed, 20, interval=0.002,
                    message='every scheduler to pass at %s' % text)
        for w in self.workers:
            self.assertTrue(w.alive(), 'a scheduler process died')

    def _fired(self):
        counts = {}
        for rec in fx.read_records(self.outs):
            name = rec['input']['a']
            counts[name] = counts.get(name, 0) + 1
        return counts

    def test_exactly_once_with_movable_clock_and_catch_up(self):
        every5 = self._trigger('every5', '*/5 * * * *', minutes(5),
                               params={'env': {'k': 'v'}})
        self._trigger('count3', '* * * * *', minutes(1), remaining=3)
        self._trigger('once', cron_triggers.NEVER_PATTERN, minutes(30),
                      remaining=1, first=minutes(30))
        # Fires at the first time, then per pattern.
        self._trigger('first_then_10', '*/10 * * * *', minutes(3),
                      first=minutes(3))
        self.clock = os.path.join(self.tmp, 'clock')
        self.outs = [os.path.join(self.tmp, 'out%d' % i)
                     for i in range(WORKERS)]
        self.workers = [fx.Worker('cron', self.db.url, out, self.clock)
                        for out in self.outs]
        # One simulated hour in 30 s steps, every scheduler polling at each.
        for step in range(121):
            self._set_clock(T0 + datetime.timedelta(seconds=30 * step))
        self.assertEqual({'every5': 12, 'count3': 3, 'once': 1,
                          'first_then_10': 7}, self._fired())
        with db_api.session() as s:
            names = set(s.execute(sa.select(models.CronTrigger.name))
                        .scalars())
            self.assertEqual({'every5', 'first_then_10'}, names)
            row = s.get(models.CronTrigger, every5)
            self.assertEqual(minutes(65), row.next_execution_time)

        # Four hours of downtime: one catch-up run each, then the schedule
        # resumes from "now" (no burst of the 48 missed periods).
        self._set_clock(minutes(300))
        self.assertEqual(13, self._fired()['every5'])
        self.assertEqual(8, self._fired()['first_then_10'])
        with db_api.session() as s:
            self.assertEqual(minutes(305), s.get(
                models.CronTrigger, every5).next_execution_time)
        self._set_clock(minutes(300.5))
        self.assertEqual(13, self._fired()['every5'])
        self._set_clock(minutes(305))
        self.assertEqual(14, self._fired()['every5'])

        records = fx.read_records(self.outs)
        self.assertGreater(len({r['pid'] for r in records}), 1,
                           'the work should be spread over the schedulers')
        rec = [r for r in records if r['input']['a'] == 'every5'][0]
        self.assertEqual(self.wf.id, rec['workflow_identifier'])
        self.assertEqual({'env': {'k': 'v'}}, rec['params'])
        self.assertEqual('<default-project>', rec['project_id'])
        self.assertEqual({
            'description': "Workflow execution created by cron trigger "
                           "'(%s)'." % every5,
            'triggered_by': {'type': 'cron_trigger', 'id': every5}},
            json.loads(rec['description']))

    # --- real time, real engines ----------------------------------------------------

    def test_seconds_pattern_full_stacks(self):
        """Three whole services (engine, executor, scheduler, API) share the
        database; a trigger firing every second with a count of 5 starts
        exactly 5 executions, then disappears."""
        trigger = cron_triggers.create_cron_trigger(
            'every_second', workflow_name='cron_wf',
            workflow_input={'a': 'tick'}, pattern='* * * * * *',
            remaining_executions=5)
        unlimited = cron_triggers.create_cron_trigger(
            'every_2s', workflow_name='cron_wf',
            workflow_input={'a': 'tock'}, pattern='* * * * * */2')
        self.workers = [fx.Worker('full', self.db.url) for _ in range(3)]

        def executions():
            M = models.WorkflowExecution
            with db_api.session() as s:
                return s.execute(sa.select(
                    M.state, M.input, M.created_at, M.description,
                    M.workflow_name)).all()

        def gone():
            with db_api.session() as s:
                return s.get(models.CronTrigger, trigger.id) is None
        fx.wait_for(gone, 30, interval=0.1, message='the trigger to run out')
        # Let the unlimited one run a few seconds more, then stop it.
        time.sleep(3)
        cron_triggers.delete_cron_trigger(unlimited.id)

        def all_done():
            exs = executions()
            return all(e.state == 'SUCCESS' for e in exs) and exs
        exs = fx.wait_for(all_done, 20, interval=0.1,
                          message='executions to finish')
        ticks = [e for e in exs if e.input['a'] == 'tick']
        tocks = [e for e in exs if e.input['a'] == 'tock']
        self.assertEqual(5, len(ticks))
        for e in ticks:
            self.assertEqual({'a': 'tick', 'b': 2}, e.input)
            self.assertEqual('cron_wf', e.workflow_name)
            self.assertEqual(trigger.id, json.loads(e.description)[
                'triggered_by']['id'])
        # Exactly-once is proven with the movable clock above; here, with
        # real time and three schedulers polling every second, the firings
        # must not be multiplied. No wall-clock bound (a loaded machine
        # delays claims): count the 2-second periods the firings spread
        # over, by their own timestamps. One firing per period, plus at
        # most one late catch-up per period, stays <= 2 per period;
        # three schedulers each firing would make it 3.
        self.assertGreaterEqual(len(tocks), 3)
        created = sorted(e.created_at for e in tocks)
        periods = int((created[-1] - created[0]).total_seconds() // 2) + 1
        self.assertLessEqual(len(tocks), 2 * periods + 1,
                             [str(c) for c in created])
