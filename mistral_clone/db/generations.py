"""Generation counters: has anything a cached list shows changed?

The ``generations`` table (alembic revision 003) holds one counter per
cached list. Database triggers bump it in the same transaction as every
write of the tables the list is read from (``workflow_definitions``:
``workflow_definitions`` and ``resource_members``), whichever process or
host writes, whatever code path: a reader that sees value *g* sees every
row change committed with or before *g*.

So a cache that reads the counter *before* it reads the rows, and keeps
what it read under that value, never answers from an entry older than the
database it just looked at: an entry made from rows newer than *g* is
kept under *g* and only misses (the counter has moved on by then).

:func:`read` is one primary-key SELECT on a pooled connection, through the
driver (``db_api.read_rows``): no session, no transaction. It returns None
(do not cache) when there is no counter row (a database created from the
models rather than the migrations, or MySQL, where no triggers are made),
inside a transaction (its own uncommitted changes are not counted) or when
the read failed.
"""

from mistral_clone.db import api as db_api

WORKFLOW_DEFINITIONS = 'workflow_definitions'

_SQL = {
    'sqlite': 'SELECT value FROM generations WHERE name = ?',
    'postgresql': 'SELECT value FROM generations WHERE name = %s',
}


def read(name):
    """The counter ``name``, or None: see the module docstring."""
    if db_api.in_transaction():
        return None
    try:
        sql = _SQL.get(db_api.dialect_name())
    except RuntimeError:  # no database set up
        return None
    if sql is None:
        return None
    rows = db_api.read_rows(sql, (name,))
    if not rows:
        return None
    return rows[0][0]
