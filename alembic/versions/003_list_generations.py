"""workflow definitions: an index for the default list order, and a
generation counter bumped by every change of what a workflow list shows

Revision ID: 003
Revises: 002
Create Date: 2026-12-01 04:15:00

``generations`` holds one row per cached list (``name``, ``value``). The
row ``workflow_definitions`` is bumped, in the writing transaction, by
triggers on ``workflow_definitions`` and on ``resource_members`` (sharing
changes which workflows a project sees): every write, whatever code, process
or host makes it, changes the counter the API's list cache
(``api/list_cache.py``) checks before answering from memory.

Triggers are created on SQLite and PostgreSQL only. Elsewhere (MySQL) no
row is inserted, and a list with no generation row is never cached.

SQLite drops a table's triggers with the table: a later migration that
recreates ``workflow_definitions`` or ``resource_members`` (alembic's batch
mode does) must create them again (``create_triggers``);
tests/db/test_generations.py checks every write path at head.
"""
from alembic import op
import sqlalchemy as sa

revision = '003'
down_revision = '002'
branch_labels = None
depends_on = None

NAME = 'workflow_definitions'
# The tables whose changes change a workflow list.
SOURCES = ('workflow_definitions', 'resource_members')
EVENTS = ('INSERT', 'UPDATE', 'DELETE')


def _sqlite_trigger(table, event):
    return 'gen_%s_%s' % (table, event.lower())


def create_triggers(bind):
    """The triggers of this revision on ``bind``'s database (True), or
    nothing where they are not supported (False)."""
    dialect = bind.dialect.name
    if dialect == 'sqlite':
        for table in SOURCES:
            for event in EVENTS:
                op.execute(
                    "CREATE TRIGGER %s AFTER %s ON %s BEGIN "
                    "UPDATE generations SET value = value + 1 "
                    "WHERE name = '%s'; END"
                    % (_sqlite_trigger(table, event), event, table, NAME))
        return True
    if dialect == 'postgresql':
        op.execute(
            "CREATE FUNCTION mc_bump_generation() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE generations SET value = value + 1 "
            "WHERE name = TG_ARGV[0]; RETURN NULL; END $$")
        for table in SOURCES:
            # Once per statement (a bulk write bumps it once).
            op.execute(
                "CREATE TRIGGER gen_%s AFTER INSERT OR UPDATE OR DELETE "
                "OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE PROCEDURE "
                "mc_bump_generation('%s')" % (table, table, NAME))
        return True
    return False


def drop_triggers(bind):
    dialect = bind.dialect.name
    if dialect == 'sqlite':
        for table in SOURCES:
            for event in EVENTS:
                op.execute('DROP TRIGGER IF EXISTS %s'
                           % _sqlite_trigger(table, event))
    elif dialect == 'postgresql':
        for table in SOURCES:
            op.execute('DROP TRIGGER IF EXISTS gen_%s ON %s'
                       % (table, table))
        op.execute('DROP FUNCTION IF EXISTS mc_bump_generation()')


def upgrade():
    with op.batch_alter_table('workflow_definitions', schema=None) as batch:
        batch.create_index('ix_workflow_definitions_created_at_id',
                           ['created_at', 'id'], unique=False)
    generations = op.create_table(
        'generations',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name'))
    if create_triggers(op.get_bind()):
        op.bulk_insert(generations, [{'name': NAME, 'value': 1}])


def downgrade():
    drop_triggers(op.get_bind())
    op.drop_table('generations')
    with op.batch_alter_table('workflow_definitions', schema=None) as batch:
        batch.drop_index('ix_workflow_definitions_created_at_id')
