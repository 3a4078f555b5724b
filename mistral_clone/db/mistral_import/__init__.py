"""Moving in from Mistral: copy an existing Mistral database into ours.

``mistral-clone-db-manage --config-file OUR.conf import-mistral SOURCE_URL``
reads a Mistral database (PostgreSQL, MySQL/MariaDB or SQLite; Mistral
2023.1 or later) by table and column name and copies definitions, triggers,
members and the execution history into our database, keeping ids, so that
our API answers for the same ids what Mistral answered.

Modules: ``source`` (read-only reading of Mistral's tables), ``definitions``
and ``history`` (pure mapping of Mistral's rows to ours), ``target`` (new
rows only, conflicts reported, never an overwrite), ``runner`` (the order
of work, batches, unfinished executions), ``report`` (counts, progress),
``cli`` (the db-manage sub-command).
"""
