"""The ``/v2`` controller: one attribute per resource collection."""

import pecan
import webob.exc

from mistral_clone import context
from mistral_clone.api import expose
from mistral_clone.api.controllers.v2 import action_executions
from mistral_clone.api.controllers.v2 import actions
from mistral_clone.api.controllers.v2 import admin_only
from mistral_clone.api.controllers.v2 import cron_triggers
from mistral_clone.api.controllers.v2 import environments
from mistral_clone.api.controllers.v2 import event_triggers
from mistral_clone.api.controllers.v2 import executions
from mistral_clone.api.controllers.v2 import openapi
from mistral_clone.api.controllers.v2 import services
from mistral_clone.api.controllers.v2 import tasks
from mistral_clone.api.controllers.v2 import workbooks
from mistral_clone.api.controllers.v2 import workflows


class V2Controller(object):
    workflows = workflows.WorkflowsController()
    workbooks = workbooks.WorkbooksController()
    actions = actions.ActionsController()
    environments = environments.EnvironmentsController()
    executions = executions.ExecutionsController()
    tasks = tasks.TasksController()
    action_executions = action_executions.ActionExecutionsController()
    cron_triggers = cron_triggers.CronTriggersController()
    event_triggers = event_triggers.EventTriggersController()
    services = services.ServicesController()
    code_sources = admin_only.CodeSourcesController()
    dynamic_actions = admin_only.DynamicActionsController()
    docs = openapi.DocsController()

    @expose.negotiated()
    def index(self, *args, **kw):
        if not pecan.request.path.endswith('/'):
            # Raised, so pecan words it for the client's Accept.
            raise webob.exc.HTTPFound(
                location=context.ctx().host_url + '/v2/')
        return expose.document({'uri': context.ctx().host_url + '/v2'})


pecan.route(V2Controller, 'openapi.json',
            openapi.DocumentController(V2Controller))
