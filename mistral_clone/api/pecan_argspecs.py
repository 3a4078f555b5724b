"""Memoised controller signatures for pecan: the one pecan patch we keep.

Pecan inspects controller signatures on every request: ``pecan.core``
(which query arguments to pass), ``pecan.rest`` (``RestController``
dispatch) and ``pecan.routing`` (``_route`` lookups) each call
``pecan.util.getargspec``, which drills through decorator closures with
``inspect`` every time, and offers no setting to avoid it (the ``argspec``
that ``expose`` records is not consulted on these paths). Controllers are
long-lived and their signatures never change, so :func:`install` memoises
the lookup per callable in those three modules.

Measured (CPU time per in-process WSGI request, median of 1500): GET of
one workflow 1.7 ms without, 0.9 ms with; a 400 for a malformed query
argument 0.85 ms without, 0.15 ms with. Also patching ``pecan.util``
itself (its internal recursion) made no difference, so it is left alone.
"""

import functools

import pecan.core
import pecan.rest
import pecan.routing
import pecan.util

_MODULES = (pecan.core, pecan.rest, pecan.routing)


def install():
    """Idempotent: replace the modules' ``getargspec`` with a memoised one."""
    if getattr(pecan.core.getargspec, '_memoised', False):
        return
    original = pecan.util.getargspec
    cached = functools.lru_cache(maxsize=4096)(original)

    def getargspec(method):
        try:
            return cached(method)
        except TypeError:  # an unhashable callable
            return original(method)
    getargspec._memoised = True
    for module in _MODULES:
        module.getargspec = getargspec
