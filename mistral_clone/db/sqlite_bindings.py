"""Let go of the values SQLite keeps bound to pysqlite's cached statements.

pysqlite binds every value with ``SQLITE_TRANSIENT`` (SQLite copies it) and
keeps each prepared statement in a per-connection cache; ``sqlite3_reset``
does not release the bound copies, so each variant of INSERT/UPDATE that
bound a JSON text of several MB holds that copy until the statement runs
again or the connection closes. An engine transaction running a chain of
inline tasks binds such texts through five or six statement variants:
~45 MB held at once in the 10 MB scenario of bench/.

:func:`release` calls SQLite's ``sqlite3_clear_bindings`` on the idle
statements of a connection (pysqlite binds all parameters of a statement
before each run, so clearing them changes nothing for the next one).
Python has no API for a connection's ``sqlite3 *``: it is read from the
connection object (the first field after the object header, in every
CPython release), and used only once a probe at first use showed it to be
right (the connection's change count and transaction state read both
ways), with the functions of the very SQLite library the ``_sqlite3``
module uses. Elsewhere (another Python, a check that fails) :func:`release`
does nothing and answers None: the connection is then closed after the
transaction as before (``db/api.py``).
"""

import logging
import sqlite3
import threading

LOG = logging.getLogger(__name__)

_lib = None
_checked = False
_lock = threading.Lock()


def _load():
    """SQLite's functions from the library ``_sqlite3`` uses, or None."""
    import ctypes
    import platform
    if platform.python_implementation() != 'CPython':
        return None
    try:
        import _sqlite3
        lib = ctypes.CDLL(_sqlite3.__file__)
        version = lib.sqlite3_libversion
        version.restype = ctypes.c_char_p
        if version().decode() != sqlite3.sqlite_version:
            return None
        p = ctypes.c_void_p
        for name, restype, argtypes in (
                ('sqlite3_next_stmt', p, (p, p)),
                ('sqlite3_clear_bindings', ctypes.c_int, (p,)),
                ('sqlite3_stmt_busy', ctypes.c_int, (p,)),
                ('sqlite3_total_changes', ctypes.c_int, (p,)),
                ('sqlite3_get_autocommit', ctypes.c_int, (p,))):
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
    except (ImportError, OSError, AttributeError):
        return None
    return lib


def _handle(conn):
    """The ``sqlite3 *`` of a pysqlite connection (see the docstring)."""
    import ctypes
    return ctypes.c_void_p.from_address(id(conn) +
                                        object.__basicsize__).value


def _probe(lib):
    """True when :func:`_handle` reads the right field here."""
    conn = sqlite3.connect(':memory:', isolation_level=None)
    try:
        db = _handle(conn)
        if not db:
            return False
        conn.execute('CREATE TABLE t (a)')
        conn.executemany('INSERT INTO t VALUES (?)', [(1,), (2,), (3,)])
        if lib.sqlite3_total_changes(db) != conn.total_changes or \
                lib.sqlite3_get_autocommit(db) != 1:
            return False
        conn.execute('BEGIN')
        busy = lib.sqlite3_get_autocommit(db) == 0
        conn.execute('COMMIT')
        return busy and conn.total_changes == 3
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _library():
    global _lib, _checked
    if not _checked:
        with _lock:
            if not _checked:
                lib = _load()
                if lib is not None and not _probe(lib):
                    LOG.info('Cannot release SQLite bound values here')
                    lib = None
                _lib = lib
                _checked = True
    return _lib


def release(conn):
    """Clear the bound values of ``conn``'s idle statements (a pysqlite
    connection); how many statements, or None where this is not
    supported."""
    lib = _library()
    if lib is None or not isinstance(conn, sqlite3.Connection):
        return None
    db = _handle(conn)
    if not db:  # closed
        return None
    cleared = 0
    stmt = lib.sqlite3_next_stmt(db, None)
    while stmt:
        if not lib.sqlite3_stmt_busy(stmt):
            lib.sqlite3_clear_bindings(stmt)
            cleared += 1
        stmt = lib.sqlite3_next_stmt(db, stmt)
    return cleared


def memory_used():
    """Bytes SQLite has allocated in this process (tests), or None."""
    lib = _library()
    if lib is None:
        return None
    import ctypes
    fn = lib.sqlite3_memory_used
    fn.restype = ctypes.c_int64
    return fn()
