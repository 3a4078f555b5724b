"""Answers of list GETs kept in memory until the database changes.

``GET /v2/workflows?limit=50`` returns the same page again and again until
a workflow is written (issue 14). An entry is kept under the key of
everything the answer is made from besides the rows (the resource, the
checked paging, sorting, projection and filter values, the marker, the
caller's project, admin flag and scope, the URL prefix of the ``next``
link) and under the *version* of the rows it was read from: the
database's generation counter of that table (:mod:`mistral_clone.db.
generations`), read before the rows. A request is answered from an entry
only when the counter still has that value, so a write committed by any
process on any host is seen by the next request, as without the cache.

Policy checks, parameter checks and the parsing of the query run for every
request (they come before :meth:`ListCache.get`); what is skipped is the
query, the rendering of the rows and, on the fast path
(:mod:`mistral_clone.api.fast_lists`), the JSON encoding: an entry is a
:class:`CachedBody`, the answer's dict with its encoded JSON.

Per process, bounded: at most :data:`ENTRIES` entries and
:data:`MAX_BYTES` of encoded JSON (each held once as a dict, once as
bytes), least recently used first out; answers over :data:`ENTRY_BYTES`
are not kept.
"""

import collections
import json
import threading

ENTRIES = 64
MAX_BYTES = 1024 * 1024
ENTRY_BYTES = 256 * 1024


class CachedBody(dict):
    """A list answer (read only: it is shared by every request it
    answers) and ``encoded``, its JSON as the fast path sends it."""

    __slots__ = ('encoded',)


def encode(body):
    """A list answer's JSON, as :mod:`~mistral_clone.api.fast_lists`
    sends it (and WSME's JSON renderer writes it)."""
    encoded = getattr(body, 'encoded', None)
    if encoded is not None:
        return encoded
    return json.dumps(body).encode('ascii')


class ListCache(object):

    def __init__(self, entries=ENTRIES, max_bytes=MAX_BYTES,
                 entry_bytes=ENTRY_BYTES):
        self.entries = entries
        self.max_bytes = max_bytes
        self.entry_bytes = entry_bytes
        self._lock = threading.Lock()
        self._items = collections.OrderedDict()  # key -> (version, body)
        self._bytes = 0
        self._version = None

    def get(self, key, version):
        """The body kept for ``key`` at ``version``, or None."""
        with self._lock:
            if not self._at(version):
                return None
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key, version, body):
        """Keep ``body`` (a dict) for ``key`` at ``version``; returns the
        :class:`CachedBody` to answer with."""
        cached = CachedBody(body)
        cached.encoded = json.dumps(body).encode('ascii')
        size = len(cached.encoded)
        if size > self.entry_bytes:
            return cached
        with self._lock:
            if not self._at(version):
                return cached
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1].encoded)
            self._items[key] = (version, cached)
            self._bytes += size
            while len(self._items) > self.entries or \
                    self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped.encoded)
        return cached

    def clear(self):
        with self._lock:
            self._clear()
            self._version = None

    def _at(self, version):
        """Under the lock: whether entries may be read and kept at
        ``version``. A newer version (the rows changed, or the database
        is another one) empties the cache first: nothing kept is an answer
        any more. An older one (a slow reader, read before a newer version
        was seen) is refused, the newer entries kept."""
        if version == self._version:
            return True
        if self._version is not None and _older(version, self._version):
            return False
        self._clear()
        self._version = version
        return True

    def _clear(self):
        self._items.clear()
        self._bytes = 0

    def __len__(self):
        return len(self._items)


def _older(version, than):
    """Whether ``version`` (``(source, counter)``) is an earlier counter
    of the same source as ``than``."""
    try:
        return version[0] is than[0] and version[1] < than[1]
    except (TypeError, IndexError):
        return False
