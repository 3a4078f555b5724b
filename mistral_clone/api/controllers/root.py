"""Root documents: ``/``, ``/maintenance``, ``/info`` and the ``/v2`` tree."""

import pecan

from mistral_clone import config
from mistral_clone import context
from mistral_clone.api import expose
from mistral_clone.api.controllers.v2 import root as v2_root


class RootController(object):
    v2 = v2_root.V2Controller()

    @expose.negotiated()
    def index(self, *args, **kw):
        """The versions document, for any method (as the reference)."""
        host = context.ctx().host_url
        return expose.document({'versions': [{
            'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'href': host + '/v2', 'target': 'v2',
                       'rel': 'self'}]}]})

    @pecan.expose(content_type=expose.JSON)
    def maintenance(self):
        return expose.json_response(200, {'status': 'RUNNING'})

    @pecan.expose(content_type=expose.JSON)
    def info(self):
        if not config.CONF.api.enable_info_endpoint:
            return expose.json_response(
                400, {'faultstring': 'Info endpoint disabled.'})
        return expose.json_response(200, {'server': 'mistral_clone'})
