"""The import, start to end: checks, definitions, history, report.

Order: definitions and triggers first (workflows, workbooks, ad-hoc
actions, environments, cron and event triggers, members), each kind in one
transaction; then the execution history in batches of workflow executions,
one transaction per batch (a batch that hits a unique-key clash is redone
one execution at a time, so only the clashing ones are left out); then
action executions run on their own (``POST /v2/action_executions``).

Executions still running in Mistral cannot be kept as they are (no engine
of ours is working on them): unless ``running`` says to import them as
PAUSED (``'pause'``) or as failed (``'fail'``), the import refuses to start
while the source has any that are not here yet.
"""

import collections
import sys

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mistral_clone.db import models
from mistral_clone.db.mistral_import import definitions as defs
from mistral_clone.db.mistral_import import history
from mistral_clone.db.mistral_import import source as source_mod
from mistral_clone.db.mistral_import import target as target_mod
from mistral_clone.db.mistral_import.report import Report

Kind = target_mod.Kind

DEFINITION_KINDS = (
    Kind('workflows', 'workflow', 'workflow_definitions_v2',
         models.WorkflowDefinition, defs.workflow,
         ignore=('input', 'interface', 'checksum'),
         unique=('name', 'namespace', 'project_id')),
    Kind('workbooks', 'workbook', 'workbooks_v2', models.WorkbookDefinition,
         defs.workbook, unique=('name', 'namespace', 'project_id')),
    Kind('ad-hoc actions', 'action', 'action_definitions_v2',
         models.ActionDefinition, defs.action,
         unique=('name', 'namespace', 'project_id')),
    Kind('environments', 'environment', 'environments_v2',
         models.Environment, defs.environment,
         unique=('name', 'project_id')),
    # Our scheduler moves these on once a trigger fires here.
    Kind('cron triggers', 'cron trigger', 'cron_triggers_v2',
         models.CronTrigger, defs.cron_trigger,
         ignore=('next_execution_time', 'remaining_executions',
                 'updated_at'),
         unique=('name', 'project_id')),
    Kind('event triggers', 'event trigger', 'event_triggers_v2',
         models.EventTrigger, defs.event_trigger,
         unique=('exchange', 'topic', 'event', 'workflow_id', 'project_id')),
    Kind('resource members', 'member', 'resource_members_v2',
         models.ResourceMember, defs.member,
         unique=('resource_id', 'resource_type', 'member_id')),
)

# Our engine's bookkeeping is not compared (a resumed execution changes
# state, output... and is then reported as differing, which it does).
EXECUTIONS = Kind('workflow executions', 'execution',
                  'workflow_executions_v2', models.WorkflowExecution,
                  ignore=('runtime_context', 'spec_text', 'context',
                          'task_count', 'version'))
TASKS = Kind('task executions', 'task', 'task_executions_v2',
             models.TaskExecution)
ACTIONS = Kind('action executions', 'action execution',
               'action_executions_v2', models.ActionExecution)
LONE_ACTIONS = Kind('action executions run alone', 'action execution',
                    'action_executions_v2', models.ActionExecution,
                    ignore=('runtime_context', 'last_heartbeat',
                            'executor_host'))

RUNNING_CHOICES = ('refuse', 'pause', 'fail')


class Refused(Exception):
    """The import cannot (or must not) go on; nothing was written."""


def _same_database(a, b):
    try:
        a, b = make_url(a), make_url(b)
    except sa.exc.ArgumentError as e:
        raise Refused('Not a database URL: %s' % e)
    return (a.get_backend_name(), a.host, a.port, a.database) == (
        b.get_backend_name(), b.host, b.port, b.database)


class Import:
    """One run of ``import-mistral``."""

    def __init__(self, source_url, target_url, dry_run=False,
                 running='refuse', batch_size=200, progress=True,
                 out=sys.stdout):
        if running not in RUNNING_CHOICES:
            raise Refused('--running must be one of %s'
                          % ', '.join(RUNNING_CHOICES))
        if _same_database(source_url, target_url):
            raise Refused('The source is our own database: give the URL '
                          'of the Mistral database to import from.')
        self.dry_run = dry_run
        self.running = running
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.report = Report(out, dry_run)
        self.now = models.utcnow()
        self.source_url = source_url
        self.target_url = target_url
        self.src = None
        self.tgt = None

    # --- entry ---------------------------------------------------------------

    def run(self):
        """Import; returns the :class:`Report` (raises :class:`Refused`)."""
        try:
            self.src = source_mod.Source(self.source_url)
        except source_mod.SourceError as e:
            raise Refused(str(e))
        try:
            self.tgt = target_mod.Target(self.target_url)
            if self.tgt.looks_like_mistral():
                raise Refused('Our database (--config-file [database] '
                              'connection) holds Mistral\'s tables: point '
                              'it at a new database of ours.')
            self.report.start(self._shown(self.source_url),
                              self.src.revision())
            self._check_unfinished()
            if not self.dry_run and self.tgt.ensure_schema():
                self.report.note('Created our schema (as upgrade head).')
            self._copy_definitions()
            self._copy_history()
            self._copy_lone_actions()
            self._unsupported()
        finally:
            self.src.close()
            if self.tgt is not None:
                self.tgt.close()
        self.report.finish()
        return self.report

    @staticmethod
    def _shown(url):
        return make_url(url).render_as_string(hide_password=True)

    # --- unfinished executions -----------------------------------------------

    def _check_unfinished(self):
        states = collections.Counter(
            state for (state,) in self.src.conn.execute(
                sa.select(self.src.column('workflow_executions_v2',
                                          'state'))))
        undecided = [s for s in states if history.needs_decision(s)]
        paused = states.get(history.PAUSED, 0)
        if paused:
            self.report.note('%d PAUSED execution(s): imported PAUSED, '
                             'resumable here.' % paused)
        if not undecided:
            return
        ids = self.src.ids('workflow_executions_v2',
                           lambda t: t.c.state.in_(undecided))
        with target_mod.transaction() as s:
            here = set(self.tgt.existing(s, models.WorkflowExecution, ids))
        waiting = [i for i in ids if i not in here]
        if not waiting:
            return
        what = ', '.join('%d %s' % (states[s], s) for s in sorted(undecided))
        if self.running == 'refuse':
            message = (
                '%d execution(s) are not finished in Mistral (%s) and not '
                'here yet. Let them finish or pause them in Mistral first, '
                'or import them PAUSED (--running pause: resume them here) '
                'or as failed (--running fail).' % (len(waiting), what))
            if not self.dry_run:
                raise Refused(message)
            self.report.blocker(message)
        else:
            self.report.note('%d unfinished execution(s) (%s): imported %s.'
                             % (len(waiting), what, 'PAUSED'
                                if self.running == 'pause' else 'as ERROR'))

    # --- definitions ---------------------------------------------------------

    def _copy_definitions(self):
        for kind in DEFINITION_KINDS:
            tally = self.report.tally(kind)
            rows = []
            for row in self.src.rows(kind.table):
                tally.source += 1
                try:
                    rows.append(kind.mapper(row, self.report.warn))
                except defs.Skip as e:
                    tally.skipped += 1
                    self.report.skip(kind, row, str(e))
            with target_mod.transaction() as s:
                new, same, conflicts = self.tgt.classify(s, kind, rows)
                if not self.dry_run:
                    self.tgt.insert(s, kind.model, new)
            tally.copied += len(new)
            tally.same += same
            self.report.conflicts(conflicts)

    # --- history -------------------------------------------------------------

    def _definition_texts(self):
        t = self.src.tables['workflow_definitions_v2']
        spec = t.c.spec if 'spec' in t.c else sa.literal(None)
        return {r[0]: (r[1], r[2]) for r in self.src.conn.execute(
            sa.select(t.c.id, t.c.definition, spec))}

    def _copy_history(self):
        spec_texts = history.SpecTexts(self._definition_texts())
        total = self.src.count('workflow_executions_v2')
        if total > self.batch_size * 10 and not self.src.indexed(
                'action_executions_v2', 'task_execution_id'):
            self.report.warn(
                'Mistral\'s action_executions_v2 has no index on '
                'task_execution_id (a schema made without Mistral\'s '
                'migrations): each batch reads that whole table; a larger '
                '--batch-size makes the import faster.')
        bar = self.report.progress(total, 'executions', self.progress)
        try:
            for batch in self.src.batches('workflow_executions_v2',
                                          self.batch_size):
                self._history_batch(batch, spec_texts)
                bar.update(len(batch))
        finally:
            bar.close()

    def _history_batch(self, batch, spec_texts):
        ex_tally = self.report.tally(EXECUTIONS)
        ex_tally.source += len(batch)
        with target_mod.transaction() as s:
            mine = self.tgt.existing(s, models.WorkflowExecution,
                                     [r['id'] for r in batch])
        wanted = [r for r in batch if r['id'] not in mine or
                  history.is_unfinished(r['state'])]
        tasks = self.src.tasks_of([r['id'] for r in wanted]) \
            if wanted else []
        actions = self.src.actions_of([t['id'] for t in tasks]) \
            if tasks else []
        parents = self._parent_attempts(batch)
        sub_workflows = self._sub_workflows(tasks)
        tasks_by, actions_by = _group(tasks, 'workflow_execution_id'), \
            _group(actions, 'task_execution_id')
        units, conflicts = [], []
        for row in batch:
            my_tasks = tasks_by.get(row['id'], [])
            my_actions = [a for t in my_tasks
                          for a in actions_by.get(t['id'], ())]
            wf_ex, t_rows, a_rows = history.unit(row, my_tasks, my_actions,
                                                 spec_texts)
            jobs = history.settle(wf_ex, t_rows, a_rows, self.running,
                                  self.now, parents.get(row['id']),
                                  sub_workflows)
            ours = mine.get(row['id'])
            if ours is None:
                units.append((wf_ex, t_rows, a_rows, jobs))
                continue
            diff = target_mod.differences(EXECUTIONS, ours, wf_ex)
            if diff:
                conflicts.append(target_mod.Conflict(
                    EXECUTIONS, wf_ex, 'differs here in %s; ours is kept'
                    % ', '.join(diff)))
            else:
                ex_tally.same += 1
        self.report.conflicts(conflicts)
        if self.dry_run:
            self._count_units(units)
        else:
            self._write_units(units)

    def _parent_attempts(self, batch):
        """Attempt number of the parent task of unfinished sub-workflows."""
        want = {r['task_execution_id']: r['id'] for r in batch
                if r['task_execution_id'] and
                history.is_unfinished(r['state'])}
        if not want:
            return {}
        t = self.src.tables['task_executions_v2']
        found = {}
        for task_id, rc in self.src.conn.execute(
                sa.select(t.c.id, t.c.runtime_context)
                .where(t.c.id.in_(list(want)))):
            found[want[task_id]] = history.attempt_of(
                source_mod.loads(rc))
        return found

    def _sub_workflows(self, tasks):
        """Child executions of unfinished sub-workflow tasks."""
        ids = [t['id'] for t in tasks if t['type'] == 'WORKFLOW' and
               t['state'] not in history.COMPLETED]
        if not ids:
            return {}
        t = self.src.tables['workflow_executions_v2']
        found = {}
        for task_id, state, accepted, params in self.src.conn.execute(
                sa.select(t.c.task_execution_id, t.c.state, t.c.accepted,
                          t.c.params).where(t.c.task_execution_id.in_(ids))):
            found.setdefault(task_id, []).append({
                'state': state, 'accepted': bool(accepted),
                'index': (source_mod.loads(params) or {}).get('index', 0)})
        return found

    def _count_units(self, units):
        self.report.tally(EXECUTIONS).copied += len(units)
        self.report.tally(TASKS).copied += sum(len(u[1]) for u in units)
        self.report.tally(ACTIONS).copied += sum(len(u[2]) for u in units)

    def _insert_units(self, s, units):
        self.tgt.insert(s, models.WorkflowExecution, [u[0] for u in units])
        self.tgt.insert(s, models.TaskExecution,
                        [t for u in units for t in u[1]])
        self.tgt.insert(s, models.ActionExecution,
                        [a for u in units for a in u[2]])
        self.tgt.add_jobs(s, [(u[0]['id'], job) for u in units
                              for job in u[3]], self.now)

    def _write_units(self, units):
        if not units:
            return
        try:
            with target_mod.transaction() as s:
                self._insert_units(s, units)
            self._count_units(units)
            return
        except sa.exc.IntegrityError:
            pass
        # Find the clashing executions: one transaction each.
        for unit in units:
            try:
                with target_mod.transaction() as s:
                    self._insert_units(s, [unit])
            except sa.exc.IntegrityError as e:
                self.report.conflicts([target_mod.Conflict(
                    EXECUTIONS, unit[0], 'clashes with a row here (%s); '
                    'not copied' % _first_line(e.orig))])
                continue
            self._count_units([unit])

    # --- action executions run on their own ----------------------------------

    def _copy_lone_actions(self):
        tally = self.report.tally(LONE_ACTIONS)
        for batch in self.src.batches(
                'action_executions_v2', self.batch_size,
                lambda t: t.c.task_execution_id.is_(None)):
            tally.source += len(batch)
            rows = [history.action_execution(r, None) for r in batch]
            history.claim_in_flight(rows, self.now)
            with target_mod.transaction() as s:
                new, same, conflicts = self.tgt.classify(s, LONE_ACTIONS,
                                                         rows)
                if not self.dry_run:
                    self.tgt.insert(s, models.ActionExecution, new)
                    self.tgt.add_jobs(s, [
                        (None, history.lost_action_job(a['id']))
                        for a in new if a['is_sync'] and
                        a['executor_host'] == history.IMPORTED_EXECUTOR],
                        self.now)
            tally.copied += len(new)
            tally.same += same
            self.report.conflicts(conflicts)

    def _unsupported(self):
        for table, what in source_mod.UNSUPPORTED_TABLES.items():
            names = self.src.names(table)
            if names:
                self.report.warn(
                    'not copied: %d %s (this server has none): %s' % (
                        len(names), what, ', '.join(
                            '%s%s' % (n, ' (namespace %s)' % ns if ns
                                      else '') for n, ns in names[:10])))


def _group(rows, key):
    grouped = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else \
        type(error).__name__
