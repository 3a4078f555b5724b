"""``/code_sources`` and ``/dynamic_actions``: admin-only by policy.

The no-auth context is not an admin, so every call answers 403 like the
reference; with auth, non-admins get the same answer (``code_sources:*`` and
``dynamic_actions:*`` default to ``admin_only``). These APIs are not
implemented: an admin the policy lets through gets 501.
"""

import pecan

from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import expose

_OPERATIONS = {'GET': 'list', 'POST': 'create', 'PUT': 'update',
               'DELETE': 'delete'}


def _answer(collection, has_id):
    method = pecan.request.method
    op = _OPERATIONS.get(method, 'list')
    if method == 'GET' and has_id:
        op = 'get'
    try:
        policy.enforce('%s:%s' % (collection, op))
    except exc.NotAllowedException as e:
        return expose.wsme_fault(403, e.message)
    return expose.wsme_fault(
        501, 'The %s API is not implemented by this server.' % collection)


class AdminOnlyController(object):

    def __init__(self, collection):
        self.collection = collection

    @pecan.expose()
    def _lookup(self, *remainder):
        return _Item(self.collection), ()

    @pecan.expose()
    def index(self, *args, **kw):
        return _answer(self.collection, False)


class _Item(object):

    def __init__(self, collection):
        self.collection = collection

    @pecan.expose()
    def index(self, *args, **kw):
        return _answer(self.collection, True)
