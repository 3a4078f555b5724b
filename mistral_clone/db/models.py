"""SQLAlchemy models of every resource the API exposes, plus engine bookkeeping.

Column names follow the resource fields of the Mistral v2 API so that the
shared query helper (db/query.py) can filter and sort on API field names
directly. JSON values are stored as text (portable across SQLite, PostgreSQL
and MySQL) through :class:`JsonEncoded`.
"""

import datetime
import json
import uuid

import sqlalchemy as sa
from sqlalchemy.ext import compiler
from sqlalchemy import orm

from mistral_clone.db import packing


def utcnow():
    """Naive UTC now, second precision is applied when rendered."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def new_id():
    return str(uuid.uuid4())


# The two MySQL-specific column types are named in MySQL's DDL only, not
# taken from SQLAlchemy's MySQL dialect: importing that dialect (with its
# eight drivers' modules) cost every process ~1 MB on PostgreSQL and SQLite
# (issue 14). Values are handled as for any Text and DateTime, as they were.

class LongText(sa.Text):
    """Text; ``LONGTEXT`` on MySQL (its TEXT holds 64 KB)."""


class DateTime(sa.DateTime):
    """DateTime; ``DATETIME(6)`` on MySQL. Microseconds matter for default
    created_at ordering; MySQL drops them unless asked."""


@compiler.compiles(LongText, 'mysql')
def _mysql_long_text(type_, type_compiler, **kw):
    return 'LONGTEXT'


@compiler.compiles(DateTime, 'mysql')
def _mysql_datetime(type_, type_compiler, **kw):
    return 'DATETIME(6)'


class JsonEncoded(sa.types.TypeDecorator):
    """A JSON value stored as text (:class:`LongText`: LONGTEXT on MySQL);
    on SQLite, a long text is stored compressed (``db/packing.py``)."""

    impl = LongText
    cache_ok = True

    # Most JSON values an engine transaction writes and reads are empty
    # (next_tasks, tags, runtime contexts...): they skip the encoder and
    # the decoder (a fresh object each time: values are mutable).

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not value and type(value) in _EMPTY_TEXTS:
            return _EMPTY_TEXTS[type(value)]
        if getattr(dialect, 'name', None) == 'sqlite':
            return packing.encoded(value, _encode)
        return _encode(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if type(value) is bytes:
            return packing.loads(packing.unpack(value))
        if value == '{}':
            return {}
        if value == '[]':
            return []
        return _decode(value)


_EMPTY_TEXTS = {dict: '{}', list: '[]'}


def _json_default(obj):
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, datetime.datetime):
        return obj.strftime('%Y-%m-%d %H:%M:%S')
    return str(obj)


# One encoder and one decoder for every value (json.dumps with options
# builds a new encoder at each call: a row has several JSON columns).
_encode = json.JSONEncoder(separators=(',', ':'), default=_json_default).encode
_decode = json.JSONDecoder().decode


class Base(orm.DeclarativeBase):
    pass


class _Timestamps:
    created_at = sa.Column(DateTime(), default=utcnow, nullable=False)
    updated_at = sa.Column(DateTime(), nullable=True, onupdate=utcnow)


class _Definition(_Timestamps):
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    name = sa.Column(sa.String(255), nullable=False)
    namespace = sa.Column(sa.String(255), nullable=False, default='')
    definition = sa.Column(LongText(), nullable=True)
    tags = sa.Column(JsonEncoded(), nullable=True)
    scope = sa.Column(sa.String(80), nullable=False, default='private')
    project_id = sa.Column(sa.String(80), nullable=False)


class WorkflowDefinition(_Definition, Base):
    __tablename__ = 'workflow_definitions'
    __table_args__ = (
        sa.UniqueConstraint('name', 'namespace', 'project_id',
                            name='uq_workflow_name_ns_project'),
        sa.Index('ix_workflow_definitions_project_id', 'project_id'),
        # The default list order (created_at, then id).
        sa.Index('ix_workflow_definitions_created_at_id', 'created_at',
                 'id'),
    )
    checksum = sa.Column(sa.String(32), nullable=True)
    input = sa.Column(sa.Text(), nullable=True)
    interface = sa.Column(JsonEncoded(), nullable=True)


class WorkbookDefinition(_Definition, Base):
    __tablename__ = 'workbook_definitions'
    __table_args__ = (
        sa.UniqueConstraint('name', 'namespace', 'project_id',
                            name='uq_workbook_name_ns_project'),
    )


class ActionDefinition(_Definition, Base):
    """Ad-hoc actions (system actions are not stored)."""
    __tablename__ = 'action_definitions'
    __table_args__ = (
        sa.UniqueConstraint('name', 'namespace', 'project_id',
                            name='uq_action_name_ns_project'),
    )
    description = sa.Column(sa.Text(), nullable=True)
    input = sa.Column(sa.Text(), nullable=True)
    is_system = sa.Column(sa.Boolean, nullable=False, default=False)


class Environment(_Timestamps, Base):
    __tablename__ = 'environments'
    __table_args__ = (
        sa.UniqueConstraint('name', 'project_id',
                            name='uq_environment_name_project'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    name = sa.Column(sa.String(255), nullable=False)
    description = sa.Column(sa.Text(), nullable=True)
    variables = sa.Column(JsonEncoded(), nullable=True)
    scope = sa.Column(sa.String(80), nullable=False, default='private')
    project_id = sa.Column(sa.String(80), nullable=False)


class _CreatedByTheHundred:
    """Constructor of the rows an engine transaction creates at every step
    (a task and its action) or start (a workflow execution): column values
    go straight into the new instance's dict, which is what the flush INSERTs for a pending row,
    without an attribute event each (~15 per row). ``state``, whose
    changes are seen through attribute events (db/tracking.py), and any
    non-column attribute go through ``setattr``; an unknown name is a
    TypeError, as with the default constructor."""

    def __init__(self, **kwargs):
        cls = type(self)
        plain = cls.__dict__.get('_plain_columns')
        if plain is None:
            plain = frozenset(c.key for c in sa.inspect(cls).column_attrs
                              if c.key != 'state')
            cls._plain_columns = plain
        values = self.__dict__
        for key, value in kwargs.items():
            if key in plain:
                values[key] = value
            elif hasattr(cls, key):
                setattr(self, key, value)
            else:
                raise TypeError('%r is an invalid keyword argument for %s'
                                % (key, cls.__name__))


class WorkflowExecution(_CreatedByTheHundred, _Timestamps, Base):
    __tablename__ = 'workflow_executions'
    __table_args__ = (
        sa.Index('ix_wf_ex_project_created', 'project_id', 'created_at'),
        sa.Index('ix_wf_ex_state', 'state'),
        sa.Index('ix_wf_ex_task_execution_id', 'task_execution_id'),
        sa.Index('ix_wf_ex_root_execution_id', 'root_execution_id'),
        sa.Index('ix_wf_ex_workflow_name', 'workflow_name'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    workflow_name = sa.Column(sa.String(255), nullable=True)
    workflow_namespace = sa.Column(sa.String(255), nullable=False, default='')
    workflow_id = sa.Column(sa.String(36), nullable=True)
    description = sa.Column(sa.Text(), nullable=True)
    tags = sa.Column(JsonEncoded(), nullable=True)
    state = sa.Column(sa.String(20), nullable=False)
    state_info = sa.Column(LongText(), nullable=True)
    input = sa.Column(JsonEncoded(), nullable=True)
    output = sa.Column(JsonEncoded(), nullable=True)
    params = sa.Column(JsonEncoded(), nullable=True)
    # Workflow (global) context: __execution, vars, global publishes.
    context = sa.Column(JsonEncoded(), nullable=True)
    # Engine bookkeeping: backlog of commands saved by 'pause', etc.
    runtime_context = sa.Column(JsonEncoded(), nullable=True)
    # Text of the definition the execution runs (the definition may change or
    # be deleted while it runs); parsed specs are cached by its checksum.
    spec_text = sa.Column(LongText(), nullable=True)
    task_execution_id = sa.Column(sa.String(36), nullable=True)
    root_execution_id = sa.Column(sa.String(36), nullable=True)
    project_id = sa.Column(sa.String(80), nullable=False)
    # As a sub-workflow: whether its result counts for the parent task
    # (retries and reruns un-accept earlier attempts).
    accepted = sa.Column(sa.Boolean, nullable=False, default=False)
    # Number of task executions created so far (their ``seq``).
    task_count = sa.Column(sa.Integer, nullable=False, default=0)
    # Bumped by every engine transaction: optimistic guard and a cheap way to
    # detect concurrent modification.
    version = sa.Column(sa.Integer, nullable=False, default=0)


class TaskExecution(_CreatedByTheHundred, _Timestamps, Base):
    __tablename__ = 'task_executions'
    __table_args__ = (
        sa.Index('ix_task_ex_wf_ex_id', 'workflow_execution_id'),
        sa.Index('ix_task_ex_state', 'state'),
        sa.UniqueConstraint('unique_key', name='uq_task_ex_unique_key'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    name = sa.Column(sa.String(255), nullable=False)
    workflow_execution_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('workflow_executions.id', ondelete='CASCADE'),
        nullable=False)
    workflow_name = sa.Column(sa.String(255), nullable=True)
    workflow_namespace = sa.Column(sa.String(255), nullable=False, default='')
    workflow_id = sa.Column(sa.String(36), nullable=True)
    type = sa.Column(sa.String(10), nullable=False, default='ACTION')
    tags = sa.Column(JsonEncoded(), nullable=True)
    state = sa.Column(sa.String(20), nullable=False)
    state_info = sa.Column(LongText(), nullable=True)
    in_context = sa.Column(JsonEncoded(), nullable=True)
    published = sa.Column(JsonEncoded(), nullable=True)
    published_global = sa.Column(JsonEncoded(), nullable=True)
    runtime_context = sa.Column(JsonEncoded(), nullable=True)
    # Engine bookkeeping not shown by the API (with-items progress, rerun
    # count, the state a wait-after delay interrupted).
    engine_data = sa.Column(JsonEncoded(), nullable=True)
    next_tasks = sa.Column(JsonEncoded(), nullable=True)
    has_next_tasks = sa.Column(sa.Boolean, nullable=False, default=False)
    error_handled = sa.Column(sa.Boolean, nullable=False, default=False)
    processed = sa.Column(sa.Boolean, nullable=False, default=False)
    unique_key = sa.Column(sa.String(255), nullable=True)
    project_id = sa.Column(sa.String(80), nullable=False)
    started_at = sa.Column(DateTime(), nullable=True)
    finished_at = sa.Column(DateTime(), nullable=True)
    # Order of creation inside one workflow execution (DB order in Mistral).
    seq = sa.Column(sa.Integer, nullable=False, default=0)

    # Declared so the unit of work inserts parents before children; never
    # loaded (lazy='noload') — the engine queries what it needs.
    workflow_execution = orm.relationship(
        'WorkflowExecution', lazy='noload', viewonly=False,
        passive_deletes=True)


class ActionExecution(_CreatedByTheHundred, _Timestamps, Base):
    __tablename__ = 'action_executions'
    __table_args__ = (
        sa.Index('ix_action_ex_task_ex_id', 'task_execution_id'),
        sa.Index('ix_action_ex_state', 'state'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    name = sa.Column(sa.String(255), nullable=False)
    workflow_name = sa.Column(sa.String(255), nullable=True)
    workflow_namespace = sa.Column(sa.String(255), nullable=True, default='')
    task_execution_id = sa.Column(
        sa.String(36),
        sa.ForeignKey('task_executions.id', ondelete='CASCADE'),
        nullable=True)
    # Denormalised for cheap cascade deletes and listings.
    workflow_execution_id = sa.Column(sa.String(36), nullable=True)
    state = sa.Column(sa.String(20), nullable=False)
    state_info = sa.Column(LongText(), nullable=True)
    tags = sa.Column(JsonEncoded(), nullable=True)
    description = sa.Column(sa.Text(), nullable=True, default='')
    input = sa.Column(JsonEncoded(), nullable=True)
    output = sa.Column(JsonEncoded(), nullable=True)
    accepted = sa.Column(sa.Boolean, nullable=False, default=False)
    is_sync = sa.Column(sa.Boolean, nullable=False, default=True)
    runtime_context = sa.Column(JsonEncoded(), nullable=True)
    project_id = sa.Column(sa.String(80), nullable=False)
    last_heartbeat = sa.Column(DateTime(), nullable=True)
    # Executor that owns the running action (for heartbeats / targeting).
    executor_host = sa.Column(sa.String(255), nullable=True)

    task_execution = orm.relationship('TaskExecution', lazy='noload',
                                      passive_deletes=True)


class CronTrigger(_Timestamps, Base):
    __tablename__ = 'cron_triggers'
    __table_args__ = (
        sa.UniqueConstraint('name', 'project_id',
                            name='uq_cron_trigger_name_project'),
        sa.Index('ix_cron_next_execution_time', 'next_execution_time'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    name = sa.Column(sa.String(255), nullable=False)
    pattern = sa.Column(sa.String(100), nullable=True)
    first_execution_time = sa.Column(DateTime(), nullable=True)
    next_execution_time = sa.Column(DateTime(), nullable=False)
    remaining_executions = sa.Column(sa.Integer, nullable=True)
    workflow_name = sa.Column(sa.String(255), nullable=True)
    workflow_id = sa.Column(sa.String(36), nullable=True)
    workflow_input = sa.Column(JsonEncoded(), nullable=True)
    workflow_params = sa.Column(JsonEncoded(), nullable=True)
    scope = sa.Column(sa.String(80), nullable=False, default='private')
    project_id = sa.Column(sa.String(80), nullable=False)
    trust_id = sa.Column(sa.String(80), nullable=True)


class EventTrigger(_Timestamps, Base):
    __tablename__ = 'event_triggers'
    __table_args__ = (
        sa.UniqueConstraint('exchange', 'topic', 'event', 'workflow_id',
                            'project_id', name='uq_event_trigger'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    name = sa.Column(sa.String(255), nullable=True)
    workflow_id = sa.Column(sa.String(36), nullable=False)
    workflow_input = sa.Column(JsonEncoded(), nullable=True)
    workflow_params = sa.Column(JsonEncoded(), nullable=True)
    exchange = sa.Column(sa.String(255), nullable=False)
    topic = sa.Column(sa.String(255), nullable=False)
    event = sa.Column(sa.String(255), nullable=False)
    scope = sa.Column(sa.String(80), nullable=False, default='private')
    project_id = sa.Column(sa.String(80), nullable=False)
    trust_id = sa.Column(sa.String(80), nullable=True)


class ResourceMember(_Timestamps, Base):
    __tablename__ = 'resource_members'
    __table_args__ = (
        sa.UniqueConstraint('resource_id', 'resource_type', 'member_id',
                            name='uq_resource_member'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    resource_id = sa.Column(sa.String(80), nullable=False)
    resource_type = sa.Column(sa.String(50), nullable=False,
                              default='workflow')
    project_id = sa.Column(sa.String(80), nullable=False)
    member_id = sa.Column(sa.String(80), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default='pending')


class Generation(Base):
    """A counter bumped, in the writing transaction, by database triggers
    on the tables a cached list is read from (alembic revision 003): see
    db/generations.py."""
    __tablename__ = 'generations'
    name = sa.Column(sa.String(64), primary_key=True)
    value = sa.Column(sa.BigInteger(), nullable=False)


class ScheduledJob(Base):
    """Delayed work that must survive restarts (policies, timeouts, ...).

    A job is claimed by setting ``captured_at``/``captured_by`` in an atomic
    UPDATE; a claim older than ``[scheduler] captured_job_timeout`` is
    considered abandoned and may be claimed again.
    """
    __tablename__ = 'scheduled_jobs'
    __table_args__ = (
        sa.Index('ix_scheduled_jobs_run_after', 'run_after'),
        sa.UniqueConstraint('key', name='uq_scheduled_jobs_key'),
    )
    id = sa.Column(sa.String(36), primary_key=True, default=new_id)
    run_after = sa.Column(DateTime(), nullable=False)
    target = sa.Column(sa.String(255), nullable=False)
    args = sa.Column(JsonEncoded(), nullable=True)
    # Optional de-duplication key (e.g. one join refresh per task).
    key = sa.Column(sa.String(255), nullable=True)
    workflow_execution_id = sa.Column(sa.String(36), nullable=True,
                                      index=True)
    captured_at = sa.Column(DateTime(), nullable=True)
    captured_by = sa.Column(sa.String(255), nullable=True)
    # Claims so far, counted in the claiming UPDATE (before any engine
    # runs the job): a job whose engines keep dying is given up.
    attempts = sa.Column(sa.Integer(), nullable=False, default=0,
                         server_default='0')
    created_at = sa.Column(DateTime(), default=utcnow, nullable=False)


class ServiceHeartbeat(Base):
    """Live services (one row per running service process)."""
    __tablename__ = 'services'
    id = sa.Column(sa.String(255), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    type = sa.Column(sa.String(50), nullable=False)
    host = sa.Column(sa.String(255), nullable=True)
    started_at = sa.Column(DateTime(), default=utcnow, nullable=False)
    last_heartbeat = sa.Column(DateTime(), default=utcnow, nullable=False)


def snapshot(row):
    """Plain, RPC-safe copy of a row's columns (datetimes as ISO text).

    Engines answer with a snapshot taken in their transaction, so callers see
    the state they committed even if follow-up work has changed it since.
    """
    values = {}
    keys = _column_keys(type(row))
    for key, value in zip(keys, loaded_values(row, keys)):
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        values[key] = value
    return values


def loaded_values(row, names):
    """The attributes ``names`` of ``row``: a loaded attribute's value is
    its entry in the instance's dict (what the attribute would return,
    without a Python call of its instrumentation per read); the others
    (expired, deferred) through the attribute, which loads them."""
    loaded = row.__dict__
    return [loaded[n] if n in loaded else getattr(row, n) for n in names]


def _column_keys(model):
    keys = model.__dict__.get('_snapshot_keys')
    if keys is None:
        keys = tuple(c.key for c in model.__table__.columns)
        model._snapshot_keys = keys
    return keys


def from_snapshot(model, values):
    """A detached ``model`` instance rebuilt from :func:`snapshot` output."""
    data = dict(values)
    for column in model.__table__.columns:
        value = data.get(column.key)
        if isinstance(value, str) and isinstance(column.type, (
                sa.DateTime, sa.types.TypeDecorator)) and \
                column.key.endswith('_at'):
            data[column.key] = datetime.datetime.fromisoformat(value)
    return model(**data)
