"""Writing into our database: new rows only, never an overwrite.

Rows are told apart by id. A source row whose id is not here is *new* and
inserted; one whose id is here with the same values (in the columns
:class:`Kind` compares) is *already here* and left alone, which makes a
second import a no-op; one whose id is here with other values, or whose
unique name is taken here by another id, is a *conflict*: ours is kept and
the conflict reported. Inserts go through SQLAlchemy Core ``executemany``
in one transaction per batch (our models' column types encode JSON).
"""

import dataclasses
import datetime
import typing

import sqlalchemy as sa

from mistral_clone.db import api as db_api
from mistral_clone.db import models


@dataclasses.dataclass
class Kind:
    """One kind of row the import copies."""
    label: str              # plural, for the report
    singular: str           # for conflict messages
    table: str              # Mistral's table
    model: typing.Any       # our model
    mapper: typing.Callable = None
    # Columns compared to decide "already here" vs "conflict"; derived or
    # run-time columns (our scheduler's, our engine's) are left out.
    ignore: tuple = ()
    unique: tuple = ()      # our unique name columns besides the id

    def compared(self, values):
        return [c for c in values if c not in self.ignore]


class Conflict:
    def __init__(self, kind, values, why):
        self.kind = kind
        self.values = values
        self.why = why

    def __str__(self):
        name = self.values.get('name') or self.values.get(
            'workflow_name') or self.values.get('member_id') or ''
        label = '%s %s' % (self.kind.singular, name) if name else \
            self.kind.singular
        return '%s (id %s): %s' % (label, self.values['id'], self.why)


def _normal(value):
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    return value


def differences(kind, mine, theirs):
    """Compared columns whose values differ (sorted)."""
    return sorted(c for c in kind.compared(theirs)
                  if _normal(mine.get(c)) != _normal(theirs.get(c)))


class Target:
    """Our database, through the project's one engine and transaction."""

    def __init__(self, url):
        self.url = url
        db_api.setup(url)
        names = set(sa.inspect(db_api.get_engine()).get_table_names())
        self.has_schema = 'workflow_executions' in names
        self._unique = {}

    def ensure_schema(self):
        """Our schema at alembic head (as ``upgrade head``); True when the
        database was new."""
        new = not self.has_schema
        db_api.upgrade_to_head(self.url)
        self.has_schema = True
        return new

    def close(self):
        db_api.dispose()

    def looks_like_mistral(self):
        from mistral_clone.db.mistral_import.source import \
            is_mistral_database
        with db_api.get_engine().connect() as conn:
            return is_mistral_database(conn)

    # --- reading ours --------------------------------------------------------

    def existing(self, s, model, ids):
        """``{id: {column: value}}`` of our rows among ``ids``."""
        if not self.has_schema or not ids:
            return {}
        table = model.__table__
        found = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in s.execute(sa.select(table).where(
                    table.c.id.in_(chunk))).mappings():
                found[row['id']] = dict(row)
        return found

    def taken_names(self, s, kind):
        """``{unique tuple: id}`` of our rows of a definition kind."""
        if not kind.unique:
            return {}
        cached = self._unique.get(kind.label)
        if cached is None:
            cached = {}
            if self.has_schema:
                table = kind.model.__table__
                cols = [table.c[c] for c in kind.unique]
                for row in s.execute(sa.select(table.c.id, *cols)):
                    cached[tuple(row[1:])] = row[0]
            self._unique[kind.label] = cached
        return cached

    # --- deciding and writing ------------------------------------------------

    def classify(self, s, kind, rows):
        """Split mapped rows into ``(new, same_count, conflicts)``."""
        mine = self.existing(s, kind.model, [r['id'] for r in rows])
        taken = self.taken_names(s, kind)
        new, same, conflicts = [], 0, []
        for values in rows:
            ours = mine.get(values['id'])
            if ours is not None:
                diff = differences(kind, ours, values)
                if diff:
                    conflicts.append(Conflict(
                        kind, values, 'differs here in %s; ours is kept'
                        % ', '.join(diff)))
                else:
                    same += 1
                continue
            if kind.unique:
                key = tuple(values[c] for c in kind.unique)
                other = taken.get(key)
                if other is not None and other != values['id']:
                    conflicts.append(Conflict(
                        kind, values, 'the name is taken here by id %s'
                        % other))
                    continue
                taken[key] = values['id']
            new.append(values)
        return new, same, conflicts

    @staticmethod
    def insert(s, model, rows):
        if rows:
            s.execute(sa.insert(model.__table__), rows)

    @staticmethod
    def add_jobs(s, jobs, now):
        """Our scheduled jobs ``[(wf_ex_id, (target, args, delay))]``."""
        rows = [{'id': models.new_id(),
                 'run_after': now + datetime.timedelta(seconds=delay),
                 'target': target, 'args': args, 'key': None,
                 'workflow_execution_id': wf_id, 'captured_at': None,
                 'captured_by': None, 'created_at': now}
                for wf_id, (target, args, delay) in jobs]
        Target.insert(s, models.ScheduledJob, rows)


def transaction():
    return db_api.transaction()
