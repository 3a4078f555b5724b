"""/v2/services: the live services (rows of the ``services`` table)."""

import sqlalchemy as sa
from pecan import rest

from mistral_clone import policy
from mistral_clone.api import expose
from mistral_clone.db import api as db_api
from mistral_clone.db import models


class ServicesController(rest.RestController):

    @expose.wsexpose(None)
    def get_all(self):
        policy.enforce('services:list')
        m = models.ServiceHeartbeat
        with db_api.session() as s:
            rows = s.execute(sa.select(m.name, m.type).order_by(
                m.type, m.name)).all()
        return {'services': [{'name': r.name, 'type': r.type}
                             for r in rows]}
