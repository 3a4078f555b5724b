"""Has a SQLite database in WAL mode changed since we last looked? Asked
without SQL.

A database in WAL mode (file databases here: db/api.py) keeps its
*wal-index* in the ``-shm`` file next to it, shared (mapped) by every
process that has the database open. Its header (the first 48 bytes,
written twice, at offsets 0 and 48: https://www.sqlite.org/walformat.html,
"The WAL-Index Header") changes with every committed transaction, from
whatever process or connection: the transaction counter (``iChange``),
the last valid frame (``mxFrame``), and the salts and checksums when the
log restarts. SQLite writes the second copy, then the first; a reader
that finds both equal has a header no writer was in the middle of.

:class:`WalWatch` maps that header read-only: :meth:`WalWatch.state`
is two slices of memory, no system call. If it returns the same bytes as
before a read, no transaction committed in between, so a value read then
(db/generations.py: the lists' generation counter, issue 14: read once
per ``GET /v2/workflows``; the SELECT cost ~20 us of CPU and released the
GIL to the other 8+ threads of the embedded server) is still what the
database holds. It returns None when it cannot tell (a writer updating the
header, a header not initialised yet): then the caller reads.

The watch holds a connection of its own open on the database: SQLite
removes the ``-shm`` file when the last connection to the database closes,
and a mapping of a removed file would never change again.
"""

import logging
import mmap
import os

LOG = logging.getLogger(__name__)

HEADER = 48
# Offset of ``isInit`` in the header: 1 once the wal-index is built.
_IS_INIT = 12


class WalWatch(object):

    def __init__(self, path):
        """Raises ``ValueError`` or ``OSError`` if ``path`` (a database
        file) is not in WAL mode or its wal-index cannot be mapped."""
        import sqlite3  # only SQLite databases get here
        self._conn = None
        self._map = None
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            mode = conn.execute('PRAGMA journal_mode').fetchone()[0]
            if str(mode).lower() != 'wal':
                raise ValueError('%s is not in WAL mode' % path)
            # A read opens (and maps) the wal-index in this connection,
            # which keeps it from being removed while the watch lives.
            conn.execute('SELECT 1 FROM sqlite_master LIMIT 1').fetchall()
            fd = os.open(path + '-shm', os.O_RDONLY)
            try:
                self._map = mmap.mmap(fd, 2 * HEADER, mmap.MAP_SHARED,
                                      mmap.PROT_READ)
            finally:
                os.close(fd)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        # name -> (state, value): what read_through() read at that state.
        self._known = {}

    def state(self):
        """The header's bytes, or None when a writer is updating it."""
        try:
            m = self._map
            first = m[0:HEADER]
            if first != m[HEADER:2 * HEADER] or first[_IS_INIT] != 1:
                return None
        except (TypeError, ValueError):  # closed meanwhile
            return None
        return first

    def read_through(self, name, read):
        """``read()``'s value, kept under ``name`` and read again only
        when the database changed since it was read. ``read`` returns
        None for a value not to keep."""
        state = self.state()
        if state is not None:
            known = self._known.get(name)
            if known is not None and known[0] == state:
                return known[1]
        # The state is taken before the read: a commit in between leaves
        # the value kept under a state that is already gone (read again
        # next time), never the reverse.
        value = read()
        if state is not None and value is not None:
            self._known[name] = (state, value)
        return value

    def close(self):
        self._known = {}
        mapped, self._map = self._map, None
        if mapped is not None:
            mapped.close()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def open_watch(path):
    """A :class:`WalWatch` of the database file ``path``, or None."""
    try:
        return WalWatch(path)
    except Exception:
        LOG.debug('No WAL watch of %s', path, exc_info=True)
        return None
