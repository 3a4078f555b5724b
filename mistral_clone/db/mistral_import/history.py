"""Mapping Mistral's execution history to ours (pure).

One *unit* is a workflow execution with its task executions and their
action executions: it is written in one transaction, so it is never
half-imported. Sub-workflow executions are units of their own, linked as in
Mistral (``task_execution_id``, ``root_execution_id``).

What differs in the storage and is translated here:

* a task's inbound context: Mistral versions published keys by the md5 of
  their name (``__versions``), we by the name itself;
* the workflow text an execution runs: Mistral keeps its parsed spec (JSON);
  we keep YAML text. The definition's text is used when the execution ran
  the current definition, else a document rebuilt from the spec;
* engine bookkeeping Mistral keeps elsewhere (with-items progress, the order
  tasks were created in, the attempt a child belongs to), derived from the
  rows;
* a task's ``published_global`` (Mistral re-evaluates it at read time; we
  store it): the final value in the workflow context of each key the task
  published globally.

Unfinished executions are made resumable here (see :func:`settle`).
"""

import datetime
import hashlib
import re

from mistral_clone import lang
from mistral_clone.db.mistral_import.definitions import DEFAULT_PROJECT
from mistral_clone.db.mistral_import.definitions import spec_document
from mistral_clone.db.mistral_import.definitions import spec_from_mistral
from mistral_clone.db.mistral_import.source import loads

SUCCESS, ERROR, CANCELLED = 'SUCCESS', 'ERROR', 'CANCELLED'
PAUSED, RUNNING, DELAYED, SKIPPED = 'PAUSED', 'RUNNING', 'DELAYED', 'SKIPPED'
TERMINAL = frozenset((SUCCESS, ERROR, CANCELLED))
COMPLETED = TERMINAL | {SKIPPED}

# Claimed-by marker of actions that were in flight in Mistral: our
# heartbeat check then treats them as actions whose executor was lost
# (re-run when the task is safe-rerun, else failed with "Heartbeat wasn't
# received."), exactly as Mistral does after losing an executor;
# asynchronous ones keep waiting for their result through the API
# (PUT /v2/action_executions/ID).
IMPORTED_EXECUTOR = 'imported-from-mistral'

PAUSED_INFO = ('Paused by import-mistral: the execution was %s in Mistral '
               'when it was imported; resume it to go on.')
FAILED_INFO = ('Failed by import-mistral: the execution was %s in Mistral '
               'when it was imported.')


def versions_by_name(context):
    """Mistral's ``__versions`` (md5 of the key -> version) keyed by name."""
    if not isinstance(context, dict) or '__versions' not in context:
        return context
    hashed = context.get('__versions') or {}
    ours = {}
    for key in context:
        if key == '__versions':
            continue
        digest = hashlib.md5(key.encode('utf-8')).hexdigest()
        if digest in hashed:
            ours[key] = hashed[digest]
    converted = dict(context)
    converted['__versions'] = ours
    return converted


class SpecTexts:
    """Workflow text per (workflow id, Mistral spec), computed once.

    ``definitions`` maps a workflow definition id to ``(definition text,
    Mistral's spec JSON text)`` of the source.
    """

    def __init__(self, definitions):
        self.definitions = definitions
        self._cache = {}

    def get(self, wf_row):
        key = (wf_row['workflow_id'], wf_row['spec'])
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._compute(wf_row)
        return found

    def _compute(self, wf_row):
        """``(text, our spec or None)``."""
        name = wf_row['workflow_name']
        definition = self.definitions.get(wf_row['workflow_id'])
        if definition is not None and wf_row['spec'] and \
                _same_json(definition[1], wf_row['spec']):
            try:
                return definition[0], lang.get_workflow_spec(
                    definition[0], name=name)
            except Exception:
                pass
        spec = spec_from_mistral(wf_row['spec'], name)
        if spec is None:
            text = definition[0] if definition is not None else None
            return text, None
        return spec_document(loads(wf_row['spec'])), spec


def _same_json(a, b):
    if a == b:
        return True
    try:
        return loads(a) == loads(b)
    except ValueError:
        return False


def attempt_of(task_rc):
    """Which run of a task its children belong to (our engine's rule: the
    retry number; Mistral does not track reruns in the task)."""
    return ((task_rc or {}).get('retry_task_policy') or {}).get(
        'retry_no', 0)


# --- rows --------------------------------------------------------------------

def wf_execution(row, spec_text, spec, task_count):
    context = loads(row['context'])
    rc = {}
    var_names = list(spec.vars) if spec is not None and spec.vars else []
    if var_names:
        rc['var_names'] = var_names
    return {
        'id': row['id'],
        'workflow_name': row['workflow_name'],
        'workflow_namespace': row['workflow_namespace'] or '',
        'workflow_id': row['workflow_id'],
        'description': row['description'],
        'tags': loads(row['tags']),
        'state': row['state'],
        'state_info': row['state_info'],
        'input': loads(row['input']),
        'output': loads(row['output']),
        'params': loads(row['params']),
        'context': context,
        'runtime_context': rc,
        'spec_text': spec_text,
        'task_execution_id': row['task_execution_id'],
        'root_execution_id': row['root_execution_id'],
        'project_id': row['project_id'] or DEFAULT_PROJECT,
        'accepted': bool(row['accepted']),
        'task_count': task_count,
        'version': 0,
        'created_at': row['created_at'],
        'updated_at': row['updated_at'],
    }


def _published_global(task_row, spec, context):
    if spec is None or task_row['state'] not in (SUCCESS, ERROR, SKIPPED):
        return None
    task_spec = spec.tasks.get(task_row['name'])
    if task_spec is None:
        return None
    _branch, glob = task_spec.publish_for(task_row['state'])
    if not glob:
        return None
    context = context or {}
    return {k: context.get(k) for k in glob}


def task_execution(row, seq, spec, context):
    return {
        'id': row['id'],
        'name': row['name'],
        'workflow_execution_id': row['workflow_execution_id'],
        'workflow_name': row['workflow_name'],
        'workflow_namespace': row['workflow_namespace'] or '',
        'workflow_id': row['workflow_id'],
        'type': row['type'] or 'ACTION',
        'tags': loads(row['tags']),
        'state': row['state'],
        'state_info': row['state_info'],
        'in_context': versions_by_name(loads(row['in_context'])),
        'published': loads(row['published']),
        'published_global': _published_global(row, spec, context),
        'runtime_context': loads(row['runtime_context']),
        'engine_data': None,
        'next_tasks': loads(row['next_tasks']),
        'has_next_tasks': bool(row['has_next_tasks']),
        'error_handled': bool(row['error_handled']),
        'processed': bool(row['processed']),
        'unique_key': row['unique_key'],
        'project_id': row['project_id'] or DEFAULT_PROJECT,
        'started_at': row['started_at'],
        'finished_at': row['finished_at'],
        'seq': seq,
        'created_at': row['created_at'],
        'updated_at': row['updated_at'],
    }


def action_execution(row, wf_ex_id):
    return {
        'id': row['id'],
        'name': row['name'],
        'workflow_name': row['workflow_name'],
        'workflow_namespace': row['workflow_namespace'] or '',
        'task_execution_id': row['task_execution_id'],
        'workflow_execution_id': wf_ex_id,
        'state': row['state'],
        'state_info': row['state_info'],
        'tags': loads(row['tags']),
        'description': row['description'],
        'input': loads(row['input']),
        'output': loads(row['output']),
        'accepted': bool(row['accepted']),
        'is_sync': True if row['is_sync'] is None else bool(row['is_sync']),
        'runtime_context': loads(row['runtime_context']),
        'project_id': row['project_id'] or DEFAULT_PROJECT,
        'last_heartbeat': row['last_heartbeat'],
        'executor_host': None,
        'created_at': row['created_at'],
        'updated_at': row['updated_at'],
    }


def unit(wf_row, task_rows, action_rows, spec_texts):
    """Our rows ``(wf_ex, [tasks], [actions])`` of one source execution."""
    spec_text, spec = spec_texts.get(wf_row)
    ordered = sorted(task_rows, key=lambda t: (
        t['created_at'] is None, t['created_at'] or 0, t['id']))
    wf_ex = wf_execution(wf_row, spec_text, spec, len(ordered))
    tasks = [task_execution(t, i + 1, spec, wf_ex['context'])
             for i, t in enumerate(ordered)]
    actions = [action_execution(a, wf_row['id']) for a in sorted(
        action_rows, key=lambda a: (a['created_at'] is None,
                                    a['created_at'] or 0, a['id']))]
    return wf_ex, tasks, actions


# --- unfinished executions ---------------------------------------------------

def is_unfinished(state):
    return state not in TERMINAL


def needs_decision(state):
    """States an import cannot keep as they are (no engine of ours is
    working on them): everything unfinished but PAUSED."""
    return state not in TERMINAL and state != PAUSED


def claim_in_flight(actions, now):
    """Actions that were running in Mistral look, to our engine, like
    actions whose executor was lost (see :data:`IMPORTED_EXECUTOR`)."""
    for a in actions:
        if a['state'] in (RUNNING, PAUSED):
            a['executor_host'] = IMPORTED_EXECUTOR
            a['last_heartbeat'] = a['last_heartbeat'] or now


def settle(wf_ex, tasks, actions, running, now, parent_attempt=None,
           sub_workflows=None):
    """Make an unfinished execution safe to keep here.

    ``running`` says what to do with one that was still running in
    Mistral: ``'pause'`` (keep it, PAUSED, resumable) or ``'fail'`` (stop
    it: the execution and its unfinished tasks and actions become ERROR).
    PAUSED executions stay PAUSED and resume on our engine.
    ``sub_workflows`` maps the id of an unfinished task to its child
    executions (``state``, ``accepted``, ``index``).

    Returns the scheduled jobs our engine needs to go on, as ``(target,
    args, seconds from now)``: the end of the delay of DELAYED tasks, and
    for each synchronous action that was
    in flight the verdict Mistral gives an action whose executor is gone
    (failed with "Heartbeat wasn't received.", or run again when its task
    is safe-rerun).
    """
    claim_in_flight(actions, now)
    if not is_unfinished(wf_ex['state']):
        return []
    was = wf_ex['state']
    if needs_decision(was):
        if running == 'fail':
            _fail(wf_ex, tasks, actions, FAILED_INFO % was, now)
            return []
        wf_ex['state'] = PAUSED
        wf_ex['state_info'] = PAUSED_INFO % was
        for t in tasks:
            if t['type'] == 'WORKFLOW' and t['state'] == RUNNING:
                t['state'] = PAUSED  # its child is paused too
    if wf_ex['task_execution_id'] and parent_attempt is not None:
        rc = dict(wf_ex['runtime_context'] or {})
        rc['attempt'] = parent_attempt
        wf_ex['runtime_context'] = rc
    by_task = {}
    for a in actions:
        by_task.setdefault(a['task_execution_id'], []).append(a)
    jobs = []
    for t in tasks:
        if t['state'] in COMPLETED:
            continue
        children = [dict(a, index=(a['runtime_context'] or {}).get(
            'index', 0)) for a in by_task.get(t['id'], [])]
        for a in by_task.get(t['id'], []):
            if a['executor_host'] != IMPORTED_EXECUTOR:
                continue
            rc = dict(a['runtime_context'] or {})
            rc['attempt'] = attempt_of(t['runtime_context'])
            a['runtime_context'] = rc
            if a['is_sync']:
                jobs.append(lost_action_job(a['id']))
        if t['type'] == 'WORKFLOW':
            children = (sub_workflows or {}).get(t['id'], [])
        _items_progress(t, children)
        job = _delayed_job(t, children, now)
        if job is not None:
            jobs.append(job)
    return jobs


def lost_action_job(action_ex_id):
    """Our engine's verdict on an action whose executor is gone, soon
    after our engine starts (a heartbeat older than a second is stale)."""
    return ('recover_action', {'action_ex_id': action_ex_id,
                               'stale_seconds': 1,
                               'undispatched_seconds': 0}, 5)


def _fail(wf_ex, tasks, actions, info, now):
    wf_ex['state'] = ERROR
    wf_ex['state_info'] = info
    output = dict(wf_ex['output'] or {})
    output['result'] = info
    wf_ex['output'] = output
    for t in tasks:
        if t['state'] not in COMPLETED:
            t.update(state=ERROR, state_info=info, finished_at=now,
                     processed=True)
    for a in actions:
        if a['state'] not in COMPLETED:
            a.update(state=ERROR, state_info=info,
                     output={'result': info}, accepted=False)


def _items_progress(task, children):
    """Our engine's with-items bookkeeping of an unfinished task."""
    rc = task['runtime_context'] or {}
    wi = rc.get('with_items')
    if not isinstance(wi, dict):
        return
    count = wi.get('count') or 0
    # Results of earlier attempts (before a retry) are not accepted.
    current = [c for c in children
               if c['state'] not in COMPLETED or c['accepted']]
    started = {c['index'] for c in current}
    running = sum(1 for c in current if c['state'] not in COMPLETED)
    capacity = rc.get('concurrency') or count
    items = {'pending': [i for i in range(count) if i not in started],
             'running': running, 'capacity': capacity}
    if any(c['state'] == ERROR and c['accepted'] for c in current):
        items['failed'] = True
    if any(c['state'] == CANCELLED and c['accepted'] for c in current):
        items['cancelled'] = True
    ed = dict(task['engine_data'] or {})
    ed['items'] = items
    task['engine_data'] = ed


_DELAY = re.compile(r'\[delay=(\d+)\]')


def _delayed_job(task, children, now):
    """The job that ends the delay of a DELAYED task (Mistral's own
    delayed calls are not copied): when the delay would have ended in
    Mistral (its start is the task's last update; state_info says how
    long), or at once if that time has passed. Our engine holds it while
    the execution is paused."""
    if task['state'] != DELAYED:
        return None
    info = task['state_info'] or ''
    found = _DELAY.search(info)
    since = task['updated_at'] or task['started_at'] or now
    due = since + datetime.timedelta(seconds=int(found.group(1))) \
        if found else now
    delay = max(0.0, (due - now).total_seconds())
    if "'wait-after'" in info:
        failed = any(c['state'] == ERROR and c['accepted'] for c in children)
        ed = dict(task['engine_data'] or {})
        ed['completed_state'] = [ERROR if failed else SUCCESS, None]
        task['engine_data'] = ed
        return 'task_wait_after_done', {'task_ex_id': task['id']}, delay
    args = {'task_ex_id': task['id']}
    if "'retry'" in info:
        args['retry'] = True
    return 'task_continue', args, delay
