"""Mapping Mistral's definition, trigger and member rows to ours (pure).

Each function takes a source row (a dict of Mistral's columns) and returns
the values of our row, or ``None`` when the row is not copied (the caller
counts it as skipped with :data:`SKIPPED_REASON`). Ids, names, namespaces,
scope, project ids, tags, timestamps and definitions are kept as they are.

Mistral computes a workflow's ``input`` and ``interface`` from its parsed
spec at read time; we store them. They are computed here by our language
parser from the definition text (exactly what our API shows for a
definition uploaded to us), falling back to the spec Mistral stored when our
parser rejects the text (the workflow is still copied, with a warning: it
cannot be started here until it is fixed).
"""

import json

from mistral_clone import lang
from mistral_clone.db.mistral_import.source import loads

DEFAULT_PROJECT = '<default-project>'


class Skip(Exception):
    """This row is not copied; the message says why."""


def _common(row):
    return {
        'id': row['id'],
        'project_id': row['project_id'] or DEFAULT_PROJECT,
        'created_at': row['created_at'],
        'updated_at': row['updated_at'],
    }


def _scoped(row):
    values = _common(row)
    values['scope'] = row['scope'] or 'private'
    return values


def _named(row):
    values = _scoped(row)
    values.update(name=row['name'], namespace=row['namespace'] or '',
                  definition=row['definition'],
                  tags=loads(row['tags']) or [])
    return values


# --- workflow text from the spec Mistral stored ------------------------------

# Keys Mistral adds to every task of a stored spec (not DSL keywords).
_ADDED_TASK_KEYS = ('name', 'version', 'type')


def spec_document(spec):
    """A YAML document equivalent to a Mistral workflow spec (a dict).

    Mistral keeps the parsed spec of the workflow an execution runs, with
    ``name``/``version`` added to the workflow and ``name``/``version``/
    ``type`` to every task. Removing them gives back what was written.
    """
    spec = dict(spec)
    name = spec.pop('name')
    version = spec.pop('version', '2.0')
    tasks = {}
    for task_name, task in (spec.get('tasks') or {}).items():
        task = dict(task)
        for key in _ADDED_TASK_KEYS:
            task.pop(key, None)
        tasks[task_name] = task
    if 'tasks' in spec:
        spec['tasks'] = tasks
    # JSON is YAML: no re-quoting surprises for expressions.
    return json.dumps({'version': version, name: spec}, indent=1,
                      sort_keys=False)


def spec_from_mistral(spec_json, name):
    """Our spec of the workflow spec Mistral stored (JSON text), or None
    when there is none or our parser rejects it."""
    spec = loads(spec_json) if spec_json else None
    if not spec:
        return None
    try:
        return lang.get_workflow_spec(spec_document(spec), name=name)
    except Exception:
        return None


# --- definitions -------------------------------------------------------------

def workflow(row, warn):
    if row.get('is_system'):
        raise Skip('system workflow')
    values = _named(row)
    values['checksum'] = row['checksum']
    try:
        spec = lang.get_workflow_spec(row['definition'], name=row['name'])
    except Exception as e:
        warn('workflow %s (id %s): our parser rejects its definition (%s); '
             'copied, but it cannot run here until it is fixed'
             % (row['name'], row['id'], getattr(e, 'message', e)))
        spec = spec_from_mistral(row['spec'], row['name'])
    values['input'] = spec.input_display() if spec is not None else None
    values['interface'] = spec.interface() if spec is not None else None
    return values


def workbook(row, warn):
    return _named(row)


def _builtin_action(name):
    """Our built-in action of that name, if any (lazy: the catalogue loads
    action plugins)."""
    from mistral_clone.actions import catalogue
    return catalogue.find_system_action(name)


def action(row, warn):
    if row.get('is_system'):
        raise Skip('system action')
    builtin = _builtin_action(row['name'])
    if builtin is not None:
        # e.g. std.wait_ssh, an ad-hoc action Mistral keeps in its database
        # and we ship built in.
        mine = getattr(builtin, 'definition', None)
        if mine is not None and (mine or '').strip() != (
                row['definition'] or '').strip():
            warn('action %s (id %s) differs from our built-in action of '
                 'that name: not copied' % (row['name'], row['id']))
        raise Skip('built in here')
    values = _named(row)
    values.update(description=row['description'], input=row['input'],
                  is_system=False)
    return values


def environment(row, warn):
    values = _scoped(row)
    values.update(name=row['name'], description=row['description'],
                  variables=loads(row['variables']))
    return values


def _trigger(row, keys):
    values = _scoped(row)
    values.update((key, row[key]) for key in keys)
    values['workflow_input'] = loads(row['workflow_input'])
    values['workflow_params'] = loads(row['workflow_params'])
    return values


def cron_trigger(row, warn):
    return _trigger(row, ('name', 'pattern', 'first_execution_time',
                          'next_execution_time', 'remaining_executions',
                          'workflow_name', 'workflow_id', 'trust_id'))


def event_trigger(row, warn):
    return _trigger(row, ('name', 'workflow_id', 'exchange', 'topic',
                          'event', 'trust_id'))


def member(row, warn):
    values = _common(row)
    for key in ('resource_id', 'resource_type', 'member_id', 'status'):
        values[key] = row[key]
    return values
