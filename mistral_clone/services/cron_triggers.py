"""Cron triggers: find, create, delete, and when one fires next."""

import datetime
import json

import sqlalchemy as sa

from mistral_clone import exceptions as exc
from mistral_clone.db import models
from mistral_clone.services import access
from mistral_clone.services import workflows
from mistral_clone.services import writes

M = models.CronTrigger

# Placeholder pattern of cron triggers that only have a first execution time
# (February 30th never comes).
NEVER_PATTERN = '0 0 30 2 0'


def find_cron_trigger(s, identifier, write=False):
    scope = access.own(M) if write else access.visible(M)
    row = None
    if writes.is_uuid(identifier):
        row = writes.first(s, M, M.id == identifier, scope)
    if row is None:
        row = writes.first(s, M, M.name == identifier, scope)
    if row is None:
        raise exc.DBEntityNotFoundError(
            'Cron trigger not found [identifier=%s]' % identifier)
    return row


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def next_cron_time(pattern, start):
    """First match of ``pattern`` strictly after ``start`` (naive UTC), as
    croniter computes it (a 6th field is seconds, a 7th the year)."""
    # Imported by the first cron trigger's computation: not by every API
    # process, which seldom sees one (~0.5 MB, issue 14).
    import croniter
    return croniter.croniter(pattern, start).get_next(datetime.datetime)


def _pattern_next_time(pattern, now):
    """Next match after ``now``; 400 for patterns croniter refuses or that
    never match (e.g. ``0 0 31 2 *``: the reference answers 500)."""
    import croniter
    try:
        return next_cron_time(pattern, now)
    except (ValueError, KeyError, TypeError, IndexError,
            croniter.CroniterError):
        raise exc.InvalidModelException(
            'The specified pattern is not valid: %s' % pattern)


def _first_time(first_execution_time, pattern, remaining_executions, now):
    """The parsed ``first_execution_time`` (or None), checked."""
    if not first_execution_time:
        return None
    try:
        first_time = datetime.datetime.strptime(
            first_execution_time, '%Y-%m-%d %H:%M')
    except ValueError as e:
        raise exc.InvalidModelException(str(e))
    if first_time < now + datetime.timedelta(seconds=60):
        raise exc.InvalidModelException(
            'first_execution_time must be at least 1 minute in the future.')
    if not pattern and remaining_executions and remaining_executions > 1:
        raise exc.InvalidModelException(
            'Pattern must be provided if count is superior to 1.')
    return first_time


def create_cron_trigger(name, workflow_name=None, workflow_id=None,
                        workflow_input=None, workflow_params=None,
                        pattern=None, first_execution_time=None,
                        remaining_executions=None, scope='private'):
    if not name:
        raise exc.InputException(
            'Name of the cron trigger is not provided.')
    scope = writes.check_trigger_scope(scope)
    if not pattern and not first_execution_time:
        raise exc.InvalidModelException(
            'Pattern or first_execution_time must be specified.')
    if remaining_executions is not None and remaining_executions < 1:
        # The API's body type already refuses this; other callers too.
        raise exc.InvalidModelException(
            "Invalid input for field/attribute remaining_executions. "
            "Value: '%s'. Value should be greater or equal to 1"
            % remaining_executions)
    now = _utcnow()
    first_time = _first_time(first_execution_time, pattern,
                             remaining_executions, now)
    next_time = _pattern_next_time(pattern, now) if pattern else None
    if first_time is not None:
        next_time = first_time
        if not pattern and not remaining_executions:
            remaining_executions = 1

    def _create(s):
        wf = workflows.find_workflow(s, workflow_id or workflow_name, '')
        workflows.validate_input(wf, workflow_input)
        values = {
            'name': name, 'pattern': pattern or NEVER_PATTERN,
            'first_execution_time': first_time,
            'next_execution_time': next_time,
            'remaining_executions': remaining_executions,
            'workflow_name': wf.name, 'workflow_id': wf.id,
            'workflow_input': workflow_input or {},
            'workflow_params': workflow_params or {},
            'scope': scope,
        }
        if _same_trigger_exists(s, values):
            raise writes.duplicate(M, values)
        return writes.insert(s, M, values)
    return writes.transaction(_create)


def _canonical(value):
    return json.dumps(value or {}, sort_keys=True)


def _same_trigger_exists(s, values):
    """The reference also refuses (409, naming the new trigger) a trigger
    identical to an existing one in workflow, pattern, input, params,
    count and first time. As in its SQL unique constraint, NULL never
    equals NULL: triggers without a count or a first time never clash."""
    if values['remaining_executions'] is None or \
            values['first_execution_time'] is None:
        return False
    rows = s.execute(sa.select(M).where(
        M.project_id == writes.project_id(),
        M.workflow_name == values['workflow_name'],
        M.pattern == values['pattern'],
        M.remaining_executions == values['remaining_executions'],
        M.first_execution_time == values['first_execution_time'],
    )).scalars().all()
    return any(
        _canonical(r.workflow_input) == _canonical(values['workflow_input'])
        and _canonical(r.workflow_params) ==
        _canonical(values['workflow_params'])
        for r in rows)


def delete_cron_trigger(identifier):
    writes.transaction(lambda s: s.delete(
        find_cron_trigger(s, identifier, write=True)))
