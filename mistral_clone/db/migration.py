"""Schema migrations (alembic), driven programmatically.

The migration scripts are written in the top-level ``alembic/`` directory of
the repository. A built distribution (wheel, or a wheel built from the sdist)
carries a copy of them as ``mistral_clone/migrations`` (see ``setup.py``); a
checkout or an editable install uses ``alembic/`` beside the package.
:func:`script_location` picks whichever is ours — never a directory that
merely has the right name (in site-packages, ``alembic/`` beside our package
is the alembic library itself).

Every command that changes a database first checks that the database is
ours (:func:`check_ours`): a database that carries another application's
alembic revision (Mistral's ``043``, say) or tables we do not know stops the
command with :class:`ForeignDatabase` before anything is written.

``mistral-clone-db-manage`` and the embedded server (whose SQLite file
upgrades itself on start) both call these functions.
"""

import io
import os

from alembic import command
from alembic.config import Config
from alembic import script as alembic_script
import sqlalchemy as sa

from mistral_clone import masking

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGED_LOCATION = os.path.join(_PACKAGE_DIR, 'migrations')
SOURCE_LOCATION = os.path.join(os.path.dirname(_PACKAGE_DIR), 'alembic')

VERSION_TABLE = 'alembic_version'
# Tables of OpenStack Mistral's schema, to name it in the refusal message.
_MISTRAL_TABLES = ('workflow_definitions_v2', 'workflow_executions_v2',
                   'task_executions_v2', 'action_executions_v2')


class MigrationsNotFound(RuntimeError):
    pass


class ForeignDatabase(RuntimeError):
    """The database belongs to another application; nothing was changed."""


def _is_ours(location):
    env = os.path.join(location, 'env.py')
    if not (os.path.isfile(env) and
            os.path.isdir(os.path.join(location, 'versions'))):
        return False
    with open(env, encoding='utf-8') as f:
        return 'mistral_clone' in f.read()


def script_location():
    """The directory of our alembic scripts (installed or in a checkout)."""
    for location in (PACKAGED_LOCATION, SOURCE_LOCATION):
        if _is_ours(location):
            return location
    raise MigrationsNotFound(
        'The mistral_clone migration scripts are missing: looked in %s and '
        '%s. Reinstall the package (a wheel carries them as '
        'mistral_clone/migrations).' % (PACKAGED_LOCATION, SOURCE_LOCATION))


def alembic_config(url, stdout=None):
    cfg = Config(stdout=stdout) if stdout is not None else Config()
    cfg.set_main_option('script_location', script_location())
    # '%' must be escaped for ConfigParser interpolation.
    cfg.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    return cfg


def _scripts(url):
    return alembic_script.ScriptDirectory.from_config(alembic_config(url))


def known_revisions(url):
    return {rev.revision for rev in _scripts(url).walk_revisions()}


def head_revision(url):
    return _scripts(url).get_current_head()


def our_tables():
    from mistral_clone.db import models
    return set(models.Base.metadata.tables)


def describe_database(url):
    """``(revisions, tables)`` of the database at ``url``."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            revisions = set()
            if VERSION_TABLE in tables:
                revisions = set(conn.execute(sa.text(
                    'SELECT version_num FROM %s' % VERSION_TABLE)).scalars())
    finally:
        engine.dispose()
    return revisions, tables - {VERSION_TABLE}


def check_ours(url, allow_unversioned=False):
    """Raise :class:`ForeignDatabase` unless ``url`` is empty or ours.

    Ours: an ``alembic_version`` with our revisions only, and no table we do
    not know. ``allow_unversioned`` accepts our tables without a version
    (what ``stamp`` is for). Returns the current revisions.
    """
    revisions, tables = describe_database(url)
    unknown_revisions = revisions - known_revisions(url)
    unknown_tables = tables - our_tables()
    if not unknown_revisions and not unknown_tables and (
            revisions or not tables or allow_unversioned):
        return revisions
    where = masking.mask_url(url)
    if unknown_revisions:
        why = ('its schema version (alembic revision %s) is not a '
               'mistral_clone revision' % ', '.join(
                   repr(r) for r in sorted(unknown_revisions)))
    elif unknown_tables:
        shown = sorted(unknown_tables)
        why = 'it holds tables mistral_clone does not know (%s%s)' % (
            ', '.join(shown[:5]), ', ...' if len(shown) > 5 else '')
    else:
        why = ('it holds mistral_clone tables but no schema version; if '
               'they match this release, record it with '
               '"mistral-clone-db-manage stamp head"')
    if any(t in tables for t in _MISTRAL_TABLES):
        why += '; it looks like an OpenStack Mistral database'
    raise ForeignDatabase(
        'Refusing to change %s: %s. Nothing was changed. Point [database] '
        'connection at a database of mistral_clone (or a new, empty one). '
        'To move from Mistral, migrate a new database with "upgrade head" '
        'and copy Mistral\'s data into it with "mistral-clone-db-manage '
        'import-mistral SOURCE_URL".' % (where, why))


def current_revision(url):
    revisions, _ = describe_database(url)
    return ', '.join(sorted(revisions)) or None


def upgrade(revision, url, sql=False, stdout=None):
    """Upgrade to ``revision``; ``(before, after)`` revisions (``None`` for
    an empty database). With ``sql`` the SQL is written to ``stdout``
    instead and the database is not touched."""
    return _migrate(command.upgrade, revision, url, sql, stdout)


def downgrade(revision, url, sql=False, stdout=None):
    return _migrate(command.downgrade, revision, url, sql, stdout)


def _migrate(run, revision, url, sql, stdout):
    cfg = alembic_config(url, stdout)
    if sql:
        if stdout is not None:
            cfg.output_buffer = stdout
        run(cfg, revision, sql=True)
        return None, None
    before = check_ours(url)
    run(cfg, revision)
    return (', '.join(sorted(before)) or None), current_revision(url)


def stamp(revision, url):
    """Record ``revision`` as the schema version without running scripts."""
    before = check_ours(url, allow_unversioned=True)
    command.stamp(alembic_config(url), revision)
    return (', '.join(sorted(before)) or None), current_revision(url)


def history(url):
    """The revisions, newest first, as text."""
    out = io.StringIO()
    command.history(alembic_config(url, out), verbose=False)
    return out.getvalue()


def revision(url, message, autogenerate=True):
    command.revision(alembic_config(url), message=message,
                     autogenerate=autogenerate)
