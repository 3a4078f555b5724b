"""Firing cron triggers (lifecycle.md §8).

Every ``[cron_trigger] execution_interval`` seconds each scheduler looks for
triggers due within the next 2 seconds. A trigger is *claimed* by moving its
``next_execution_time`` forward with an UPDATE that only matches the value
that was read (optimistic lock): with several schedulers at once exactly one
wins and starts exactly one execution.

As the reference, a trigger is due when ``next_execution_time < now + 2 s``
(it may start up to two seconds early), ``remaining_executions`` counts
down and the firing that brings it to zero deletes the trigger (same
optimistic guard); ``null`` means unlimited.

Catch-up policy: after downtime a trigger fires once (late), and its next
time is the first match after *now* — missed periods are not replayed, so a
scheduler coming back never bursts duplicates.
"""

import datetime
import json
import logging
import time

import sqlalchemy as sa

from mistral_clone import observe
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services.cron_triggers import NEVER_PATTERN
from mistral_clone.services.cron_triggers import next_cron_time as next_time

LOG = logging.getLogger(__name__)

HORIZON = 2  # seconds: how early a due trigger may fire (the reference's)


def due_triggers(session, now, horizon=HORIZON):
    limit = now + datetime.timedelta(seconds=horizon)
    return session.execute(
        sa.select(models.CronTrigger)
        .where(models.CronTrigger.next_execution_time < limit)
        .order_by(models.CronTrigger.next_execution_time)
        .limit(100)).scalars().all()


def claim(trigger, now):
    """Advance (or delete) the trigger if nobody else did; True if we won."""
    remaining = trigger.remaining_executions
    if remaining is not None and remaining > 0:
        remaining -= 1
    with db_api.transaction() as s:
        M = models.CronTrigger
        guard = sa.and_(M.id == trigger.id,
                        M.next_execution_time == trigger.next_execution_time)
        if remaining == 0:
            return s.execute(sa.delete(M).where(guard)).rowcount == 1
        base = max(now, trigger.next_execution_time)
        nxt = next_time(trigger.pattern or NEVER_PATTERN, base)
        return s.execute(
            sa.update(M).where(guard).values(
                next_execution_time=nxt, remaining_executions=remaining,
                updated_at=models.utcnow())).rowcount == 1


def fire(engine_client, trigger):
    description = json.dumps({
        'description': "Workflow execution created by cron trigger "
                       "'(%s)'." % trigger.id,
        'triggered_by': {'type': 'cron_trigger', 'id': trigger.id},
    })
    engine_client.start_workflow(
        workflow_identifier=trigger.workflow_id,
        input=trigger.workflow_input or {},
        params=dict(trigger.workflow_params or {}),
        description=description,
        project_id=trigger.project_id)


def process_cron_triggers(engine_client, now=None):
    """One pass; returns the number of executions started."""
    now = now or models.utcnow()
    with db_api.session() as s:
        triggers = due_triggers(s, now)
        for t in triggers:
            s.expunge(t)
    started = 0
    for trigger in triggers:
        try:
            won = db_api.retry_on_conflict(claim)(trigger, now)
        except Exception:
            LOG.exception('Could not claim cron trigger %s', trigger.id)
            continue
        if not won:
            continue
        try:
            observe.cron_trigger_fired(trigger.name, trigger.id,
                                       trigger.workflow_name,
                                       trigger.project_id)
            fire(engine_client, trigger)
            started += 1
        except Exception:
            LOG.exception('Cron trigger %s failed to start its workflow',
                          trigger.name)
    return started


def make_periodic(conf, engine_client):
    interval = conf.cron_trigger.execution_interval
    state = {'last': 0.0}

    def periodic():
        now = time.monotonic()
        if now - state['last'] < interval:
            return
        state['last'] = now
        process_cron_triggers(engine_client)
    periodic.__name__ = 'cron_triggers'
    return periodic
