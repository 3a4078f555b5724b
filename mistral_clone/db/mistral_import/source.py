"""Reading a Mistral database: by table and column name, never writing.

The source is opened read-only where the driver allows it (SQLite in
``mode=ro``; PostgreSQL and MySQL sessions set to ``READ ONLY``); on
PostgreSQL and MySQL it is read inside ONE repeatable-read transaction, so
every batch sees the same snapshot (Mistral is meant to be stopped anyway). Tables are reflected by name (the import does not depend on
Mistral's code or on the exact column order, types or revision of its
schema); a column missing from the source reads as ``None``.

JSON columns of Mistral are text; :func:`loads` decodes them.
"""

import json
import logging

import sqlalchemy as sa
from sqlalchemy.engine import make_url

LOG = logging.getLogger(__name__)

# Table -> columns the import needs (others are ignored).
TABLES = {
    'workflow_definitions_v2': (
        'id', 'name', 'namespace', 'definition', 'spec', 'checksum', 'tags',
        'scope', 'project_id', 'created_at', 'updated_at', 'workbook_name',
        'is_system'),
    'workbooks_v2': (
        'id', 'name', 'namespace', 'definition', 'tags', 'scope',
        'project_id', 'created_at', 'updated_at'),
    'action_definitions_v2': (
        'id', 'name', 'namespace', 'definition', 'description', 'input',
        'tags', 'scope', 'project_id', 'is_system', 'workbook_name',
        'created_at', 'updated_at'),
    'environments_v2': (
        'id', 'name', 'description', 'variables', 'scope', 'project_id',
        'created_at', 'updated_at'),
    'cron_triggers_v2': (
        'id', 'name', 'pattern', 'first_execution_time',
        'next_execution_time', 'remaining_executions', 'workflow_name',
        'workflow_id', 'workflow_input', 'workflow_params', 'trust_id',
        'scope', 'project_id', 'created_at', 'updated_at'),
    'event_triggers_v2': (
        'id', 'name', 'workflow_id', 'workflow_input', 'workflow_params',
        'exchange', 'topic', 'event', 'trust_id', 'scope', 'project_id',
        'created_at', 'updated_at'),
    'resource_members_v2': (
        'id', 'resource_id', 'resource_type', 'project_id', 'member_id',
        'status', 'created_at', 'updated_at'),
    'workflow_executions_v2': (
        'id', 'workflow_name', 'workflow_namespace', 'workflow_id',
        'description', 'tags', 'state', 'state_info', 'spec', 'input',
        'output', 'params', 'context', 'runtime_context', 'accepted',
        'task_execution_id', 'root_execution_id', 'project_id',
        'created_at', 'updated_at'),
    'task_executions_v2': (
        'id', 'name', 'workflow_execution_id', 'workflow_name',
        'workflow_namespace', 'workflow_id', 'type', 'tags', 'state',
        'state_info', 'in_context', 'published', 'runtime_context',
        'next_tasks', 'has_next_tasks', 'error_handled', 'processed',
        'unique_key', 'project_id', 'started_at', 'finished_at',
        'created_at', 'updated_at'),
    'action_executions_v2': (
        'id', 'name', 'workflow_name', 'workflow_namespace',
        'task_execution_id', 'state', 'state_info', 'tags', 'description',
        'input', 'output', 'accepted', 'is_sync', 'runtime_context',
        'project_id', 'last_heartbeat', 'created_at', 'updated_at'),
}

# Without these a database is not a Mistral v2 database we can read.
REQUIRED = {
    'workflow_definitions_v2': ('id', 'name', 'definition'),
    'workflow_executions_v2': ('id', 'state', 'spec'),
    'task_executions_v2': ('id', 'name', 'workflow_execution_id', 'state'),
    'action_executions_v2': ('id', 'name', 'task_execution_id', 'state'),
}

# Mistral features this server does not have: counted and reported.
UNSUPPORTED_TABLES = {
    'code_sources': 'code sources (dynamic actions code)',
    'dynamic_action_definitions': 'dynamic actions',
}


class SourceError(Exception):
    """The source cannot be imported (not Mistral, unreadable...)."""


def loads(value):
    """A JSON column's value (Mistral stores JSON as text)."""
    if value is None or not isinstance(value, (str, bytes)):
        return value
    if not value:
        return None
    return json.loads(value)


def _read_only_engine(url):
    url = make_url(url)
    backend = url.get_backend_name()
    kwargs = {'poolclass': sa.pool.NullPool}
    if backend == 'sqlite':
        path = url.database
        if not path or path == ':memory:':
            raise SourceError('An in-memory SQLite database cannot be a '
                              'source; give the path of Mistral\'s file.')
        if not path.startswith('file:'):
            # The driver's own read-only mode: no write can happen.
            url = url.set(database='file:%s?mode=ro' % path,
                          query={'uri': 'true'})
        engine = sa.create_engine(url, **kwargs)
    elif backend == 'postgresql':
        kwargs['connect_args'] = {
            'options': '-c default_transaction_read_only=on'}
        engine = sa.create_engine(url, **kwargs)
    elif backend in ('mysql', 'mariadb'):
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, 'connect')
        def _read_only(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute('SET SESSION TRANSACTION READ ONLY')
            cur.close()
    else:
        raise SourceError('Unsupported source database %r: use a '
                          'PostgreSQL, MySQL/MariaDB or SQLite URL.'
                          % backend)
    return engine


class Source:
    """An open, read-only snapshot of a Mistral database."""

    def __init__(self, url):
        self.url = url
        try:
            self.engine = _read_only_engine(url)
        except sa.exc.ArgumentError as e:
            raise SourceError('Not a database URL: %s' % e)
        except ImportError as e:
            raise SourceError(
                'The database driver for %s is not installed (%s); e.g. '
                'postgresql+psycopg2://, mysql+pymysql:// or sqlite:/// '
                'work here.' % (make_url(url).drivername, e))
        try:
            self.conn = self.engine.connect()
            if self.engine.dialect.name != 'sqlite':
                self.conn = self.conn.execution_options(
                    isolation_level='REPEATABLE READ')
            self.conn.begin()
        except sa.exc.DBAPIError as e:
            self.engine.dispose()
            raise SourceError('Cannot open the source database: %s'
                              % getattr(e, 'orig', e))
        self.tables = {}
        self._reflect()

    def close(self):
        try:
            self.conn.rollback()  # nothing was written; end the snapshot
            self.conn.close()
        finally:
            self.engine.dispose()

    def _reflect(self):
        names = set(sa.inspect(self.conn).get_table_names())
        missing = [t for t in REQUIRED if t not in names]
        if missing:
            raise SourceError(
                'The source is not a Mistral database (no table %s).'
                % ', '.join(sorted(missing)))
        meta = sa.MetaData()
        for name in list(TABLES) + list(UNSUPPORTED_TABLES):
            if name in names:
                self.tables[name] = sa.Table(name, meta,
                                             autoload_with=self.conn)
        for name, columns in REQUIRED.items():
            absent = [c for c in columns
                      if c not in self.tables[name].c]
            if absent:
                raise SourceError(
                    'Table %s of the source lacks column(s) %s: not a '
                    'Mistral schema this import knows (2023.1 or later).'
                    % (name, ', '.join(absent)))
        self.has_alembic = 'alembic_version' in names

    # --- facts ---------------------------------------------------------------

    def revision(self):
        """Mistral's alembic revision, or None (schema made by create_all)."""
        if not self.has_alembic:
            return None
        row = self.conn.execute(
            sa.text('SELECT version_num FROM alembic_version')).first()
        return row[0] if row else None

    def has(self, table):
        return table in self.tables

    def indexed(self, table, column):
        """Whether some index of ``table`` starts with ``column``."""
        inspector = sa.inspect(self.conn)
        return any((i.get('column_names') or [None])[0] == column
                   for i in inspector.get_indexes(table)) or any(
            (c.get('constrained_columns') or [None])[0] == column
            for c in inspector.get_unique_constraints(table))

    def count(self, table, where=None):
        if table not in self.tables:
            return 0
        t = self.tables[table]
        q = sa.select(sa.func.count()).select_from(t)
        if where is not None:
            q = q.where(where(t))
        return self.conn.execute(q).scalar()

    def column(self, table, name):
        return self.tables[table].c[name]

    # --- reading -------------------------------------------------------------

    def _columns(self, table):
        t = self.tables[table]
        cols = [t.c[name] for name in TABLES[table] if name in t.c]
        return t, cols

    def _fill(self, table, mapping):
        row = dict(mapping)
        for name in TABLES[table]:
            row.setdefault(name, None)
        return row

    def rows(self, table, where=None, order_by=('id',)):
        """Every row of a (small) table as a dict."""
        if table not in self.tables:
            return []
        t, cols = self._columns(table)
        q = sa.select(*cols).order_by(*[t.c[c] for c in order_by])
        if where is not None:
            q = q.where(where(t))
        return [self._fill(table, r) for r in
                self.conn.execute(q).mappings()]

    def batches(self, table, size, where=None):
        """Rows of ``table`` in id order, ``size`` at a time (keyset)."""
        if table not in self.tables:
            return
        t, cols = self._columns(table)
        last = None
        while True:
            q = sa.select(*cols).order_by(t.c.id).limit(size)
            if where is not None:
                q = q.where(where(t))
            if last is not None:
                q = q.where(t.c.id > last)
            batch = [self._fill(table, r) for r in
                     self.conn.execute(q).mappings()]
            if not batch:
                return
            yield batch
            last = batch[-1]['id']
            if len(batch) < size:
                return

    def tasks_of(self, wf_ex_ids):
        """Task executions of these workflow executions."""
        t, cols = self._columns('task_executions_v2')
        q = sa.select(*cols).where(
            t.c.workflow_execution_id.in_(list(wf_ex_ids)))
        return [self._fill('task_executions_v2', r)
                for r in self.conn.execute(q).mappings()]

    def actions_of(self, task_ex_ids):
        """Action executions of these task executions."""
        t, cols = self._columns('action_executions_v2')
        q = sa.select(*cols).where(t.c.task_execution_id.in_(
            list(task_ex_ids)))
        return [self._fill('action_executions_v2', r)
                for r in self.conn.execute(q).mappings()]

    def ids(self, table, where=None):
        t = self.tables[table]
        q = sa.select(t.c.id)
        if where is not None:
            q = q.where(where(t))
        return [r[0] for r in self.conn.execute(q)]

    def names(self, table):
        """``(name, namespace)`` of rows of an unsupported table."""
        if table not in self.tables:
            return []
        t = self.tables[table]
        ns = t.c.namespace if 'namespace' in t.c else sa.literal('')
        return [tuple(r) for r in self.conn.execute(
            sa.select(t.c.name, ns).order_by(t.c.name))]


def is_mistral_database(connection):
    """True when ``connection`` (SQLAlchemy) holds Mistral's v2 tables."""
    names = set(sa.inspect(connection).get_table_names())
    return all(t in names for t in REQUIRED)
