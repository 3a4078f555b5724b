"""A SQLite file database set up through ``db/api.py`` for one test."""

import os
import tempfile

from mistral_clone.db import api


def engine_with_table(test, columns):
    """The engine of a new SQLite file (removed after ``test``) holding
    ``t (id INTEGER PRIMARY KEY, <columns>)``."""
    tmp = tempfile.TemporaryDirectory()
    test.addCleanup(tmp.cleanup)
    engine = api.setup('sqlite:///' + os.path.join(tmp.name, 'db'))
    test.addCleanup(api.dispose)
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE t (id INTEGER PRIMARY KEY, %s)'
                             % columns)
    return engine
