"""initial schema

Revision ID: 001
Revises: 
Create Date: 2026-11-23 11:42:26.290793
"""
from alembic import op
import sqlalchemy as sa
import mistral_clone.db.models
from sqlalchemy.dialects import mysql

revision = '001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('action_definitions',
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('input', sa.Text(), nullable=True),
    sa.Column('is_system', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('tags', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'namespace', 'project_id', name='uq_action_name_ns_project')
    )
    op.create_table('cron_triggers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('pattern', sa.String(length=100), nullable=True),
    sa.Column('first_execution_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('next_execution_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('remaining_executions', sa.Integer(), nullable=True),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_input', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('workflow_params', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('trust_id', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'project_id', name='uq_cron_trigger_name_project')
    )
    with op.batch_alter_table('cron_triggers', schema=None) as batch_op:
        batch_op.create_index('ix_cron_next_execution_time', ['next_execution_time'], unique=False)

    op.create_table('environments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('variables', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'project_id', name='uq_environment_name_project')
    )
    op.create_table('event_triggers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('workflow_id', sa.String(length=36), nullable=False),
    sa.Column('workflow_input', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('workflow_params', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('exchange', sa.String(length=255), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('event', sa.String(length=255), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('trust_id', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exchange', 'topic', 'event', 'workflow_id', 'project_id', name='uq_event_trigger')
    )
    op.create_table('resource_members',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('resource_id', sa.String(length=80), nullable=False),
    sa.Column('resource_type', sa.String(length=50), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('member_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resource_id', 'resource_type', 'member_id', name='uq_resource_member')
    )
    op.create_table('scheduled_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('run_after', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('args', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('key', sa.String(length=255), nullable=True),
    sa.Column('workflow_execution_id', sa.String(length=36), nullable=True),
    sa.Column('captured_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('captured_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', name='uq_scheduled_jobs_key')
    )
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_jobs_run_after', ['run_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_jobs_workflow_execution_id'), ['workflow_execution_id'], unique=False)

    op.create_table('services',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('started_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('last_heartbeat', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('workbook_definitions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('tags', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'namespace', 'project_id', name='uq_workbook_name_ns_project')
    )
    op.create_table('workflow_definitions',
    sa.Column('checksum', sa.String(length=32), nullable=True),
    sa.Column('input', sa.Text(), nullable=True),
    sa.Column('interface', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('namespace', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('tags', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'namespace', 'project_id', name='uq_workflow_name_ns_project')
    )
    with op.batch_alter_table('workflow_definitions', schema=None) as batch_op:
        batch_op.create_index('ix_workflow_definitions_project_id', ['project_id'], unique=False)

    op.create_table('workflow_executions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=False),
    sa.Column('workflow_id', sa.String(length=36), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('tags', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_info', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('input', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('output', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('params', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('context', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('runtime_context', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('spec_text', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('task_execution_id', sa.String(length=36), nullable=True),
    sa.Column('root_execution_id', sa.String(length=36), nullable=True),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('task_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workflow_executions', schema=None) as batch_op:
        batch_op.create_index('ix_wf_ex_project_created', ['project_id', 'created_at'], unique=False)
        batch_op.create_index('ix_wf_ex_root_execution_id', ['root_execution_id'], unique=False)
        batch_op.create_index('ix_wf_ex_state', ['state'], unique=False)
        batch_op.create_index('ix_wf_ex_task_execution_id', ['task_execution_id'], unique=False)
        batch_op.create_index('ix_wf_ex_workflow_name', ['workflow_name'], unique=False)

    op.create_table('task_executions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('workflow_execution_id', sa.String(length=36), nullable=False),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=False),
    sa.Column('workflow_id', sa.String(length=36), nullable=True),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('tags', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_info', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('in_context', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('published', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('published_global', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('runtime_context', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('engine_data', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('next_tasks', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('has_next_tasks', sa.Boolean(), nullable=False),
    sa.Column('error_handled', sa.Boolean(), nullable=False),
    sa.Column('processed', sa.Boolean(), nullable=False),
    sa.Column('unique_key', sa.String(length=255), nullable=True),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('started_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('finished_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['workflow_execution_id'], ['workflow_executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unique_key', name='uq_task_ex_unique_key')
    )
    with op.batch_alter_table('task_executions', schema=None) as batch_op:
        batch_op.create_index('ix_task_ex_state', ['state'], unique=False)
        batch_op.create_index('ix_task_ex_wf_ex_id', ['workflow_execution_id'], unique=False)

    op.create_table('action_executions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('workflow_name', sa.String(length=255), nullable=True),
    sa.Column('workflow_namespace', sa.String(length=255), nullable=True),
    sa.Column('task_execution_id', sa.String(length=36), nullable=True),
    sa.Column('workflow_execution_id', sa.String(length=36), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_info', sa.Text().with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('tags', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('input', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('output', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('is_sync', sa.Boolean(), nullable=False),
    sa.Column('runtime_context', mistral_clone.db.models.JsonEncoded(), nullable=True),
    sa.Column('project_id', sa.String(length=80), nullable=False),
    sa.Column('last_heartbeat', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('executor_host', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.ForeignKeyConstraint(['task_execution_id'], ['task_executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_executions', schema=None) as batch_op:
        batch_op.create_index('ix_action_ex_state', ['state'], unique=False)
        batch_op.create_index('ix_action_ex_task_ex_id', ['task_execution_id'], unique=False)



def downgrade():
    # Dropping a table drops its indexes; children before parents.
    for table in ('action_executions', 'task_executions',
                  'workflow_executions', 'scheduled_jobs', 'services',
                  'resource_members', 'event_triggers', 'cron_triggers',
                  'environments', 'action_definitions',
                  'workbook_definitions', 'workflow_definitions'):
        op.drop_table(table)
