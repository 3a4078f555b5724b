"""The C library's functions, where it is glibc (not musl or macOS's).

Used for glibc's malloc controls: ``mallopt`` at start-up
(``cmd/server.py``) and ``malloc_trim`` after transactions that handled
large values (``db/api.py``).
"""


def function(name):
    """The C library's function ``name``, or None where it has none."""
    try:
        import ctypes
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None
