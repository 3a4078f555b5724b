"""``/code_sources`` and ``/dynamic_actions``: admin-only by policy.

The no-auth context is not an admin, so every call answers 403 like the
reference; with auth, non-admins get the same answer.
"""

import pecan

from mistral_clone.api import expose

FORBIDDEN = 'Operation forbidden (insufficient permissions)'


class AdminOnlyController(object):

    @pecan.expose()
    def _lookup(self, *remainder):
        return _Forbidden(), ()

    @pecan.expose()
    def index(self, *args, **kw):
        return expose.wsme_fault(403, FORBIDDEN)


class _Forbidden(object):

    @pecan.expose()
    def index(self, *args, **kw):
        return expose.wsme_fault(403, FORBIDDEN)
