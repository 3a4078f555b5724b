"""/v2/executions: workflow executions and their sub-resources."""

import sqlalchemy as sa
from pecan import rest
from wsme import types as wtypes

from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import policy
from mistral_clone.api import collection
from mistral_clone.api import engine_glue
from mistral_clone.api import expose
from mistral_clone.api import resources as res
from mistral_clone.api import types
from mistral_clone.api.controllers.v2 import tasks as tasks_ctl
from mistral_clone.db import api as db_api
from mistral_clone.db import models
from mistral_clone.services import resources as runtime

R = res.EXECUTION
STATES = ('RUNNING', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED')
_ROW_ATTRIBUTES = frozenset(sa.inspect(models.WorkflowExecution).attrs.keys())


def _single_fields(fields):
    """``fields=`` of a single execution GET: a name must be a field of
    the resource or an attribute of the stored row (shown only if it is a
    field), as on the reference."""
    names = collection.split_csv(fields)
    for n in names:
        if n not in R.by_name and n not in _ROW_ATTRIBUTES:
            raise exc.InputException("Field '%s' does not exist." % n)
    if not names:
        return []
    return ['id'] + [n for n in names if n in R.by_name and n != 'id']


def _render_by_id(id_, fields):
    with db_api.session() as s:
        return R.render(runtime.find_execution(s, id_), fields)


class SubExecutionsController(rest.RestController):
    """/executions/{id}/executions: the execution tree, root first."""

    @expose.wsexpose(None, types.uuid, int, bool)
    def get_all(self, id, max_depth=-1, errors_only=False):
        policy.enforce('executions:get')
        with db_api.session() as s:
            runtime.find_execution(s, id)
            ids = runtime.execution_tree_ids(s, id, max_depth)
            rows = {r.id: r for r in s.execute(sa.select(models.
                    WorkflowExecution).where(models.WorkflowExecution.id.in_(
                        ids))).scalars()}
            ordered = [rows[i] for i in ids if i in rows]
            if errors_only:
                ordered = [r for r in ordered if r.state == 'ERROR']
            return {'executions': R.render_many(
                ordered, res.EXECUTION_LIST_FIELDS)}


class ReportController(rest.RestController):
    """/executions/{id}/report (WIRE.md §8)."""

    @expose.wsexpose(None, types.uuid, bool, int, bool)
    def get_all(self, workflow_execution_id, errors_only=False, max_depth=-1,
                statistics_only=False):
        policy.enforce('executions:get')
        from mistral_clone.api import report
        return report.build(workflow_execution_id, errors_only, max_depth,
                            statistics_only)


class ExecutionsController(rest.RestController):
    tasks = tasks_ctl.ExecutionTasksController()
    executions = SubExecutionsController()
    report = ReportController()

    @expose.wsexpose(None, wtypes.text, wtypes.text)
    def get_one(self, id, fields=''):
        policy.enforce('executions:get')
        fields = _single_fields(fields)
        return _render_by_id(id, fields or res.EXECUTION_GET_FIELDS)

    @expose.wsexpose(None, types.uuid, int, wtypes.text, wtypes.text,
                     wtypes.text, wtypes.text, types.uuid_filter,
                     wtypes.text, wtypes.text, wtypes.text,
                     types.uuid_filter, types.uuid_filter, wtypes.text,
                     wtypes.text, wtypes.text, wtypes.text, wtypes.text,
                     wtypes.text, bool, types.uuid_filter, bool, wtypes.text)
    def get_all(self, marker=None, limit=None, sort_keys='created_at',
                sort_dirs='asc', fields='', workflow_name=None,
                workflow_id=None, description=None, tags=None, params=None,
                task_execution_id=None, root_execution_id=None, state=None,
                state_info=None, input=None, output=None, created_at=None,
                updated_at=None, include_output=False, project_id=None,
                all_projects=False, nulls=''):
        lp = collection.ListParams(R, limit, sort_keys, sort_dirs, fields)
        if project_id is not None:
            # Naming a project is listing across projects (admins only by
            # default), whichever project it names, as on the reference.
            policy.enforce('executions:list:all_projects')
        where = []
        for key in collection.split_csv(nulls):
            if not R.is_column(key):
                raise exc.InvalidQueryError(
                    'Unknown field for nulls: %s' % key)
            where.append(getattr(R.model, key).is_(None))
        filters = [('workflow_name', workflow_name),
                   ('workflow_id', workflow_id),
                   ('description', description), ('tags', tags),
                   ('params', params),
                   ('task_execution_id', task_execution_id),
                   ('root_execution_id', root_execution_id),
                   ('state', state), ('state_info', state_info),
                   ('input', input), ('output', output),
                   ('created_at', created_at), ('updated_at', updated_at),
                   ('project_id', project_id)]
        render = res.EXECUTION_POST_FIELDS if include_output else \
            res.EXECUTION_LIST_FIELDS
        return collection.get_collection(
            R, lp, filters=filters, marker=marker,
            all_projects=all_projects, extra_where=where,
            render_fields=render)

    @expose.wsexpose(None, body=res.ExecutionBody, status_code=201)
    def post(self, wf_ex):
        policy.enforce('executions:create')
        v = res.body_dict(wf_ex)
        project_id = context.ctx().project_id
        if v.get('id'):
            with db_api.session() as s:
                row = s.get(models.WorkflowExecution, v['id'])
                if row is not None:
                    if row.project_id != project_id:
                        # Another project's execution: not ours to show.
                        raise exc.DBDuplicateEntryError(
                            "Duplicate entry for WorkflowExecution ['id']: "
                            "%s" % v['id'])
                    return R.render(row, res.EXECUTION_POST_FIELDS)
        source_id = v.get('source_execution_id')
        if source_id:
            with db_api.session() as s:
                src = runtime.find_execution(s, source_id)
                base = {'workflow_id': src.workflow_id,
                        'workflow_namespace': src.workflow_namespace,
                        'input': src.input, 'params': src.params,
                        'description': src.description}
            for key, value in base.items():
                v.setdefault(key, value)
            v['description'] = ('%s Based on the execution \'%s\'' % (
                v.get('description') or '', source_id)).strip()
        identifier = v.get('workflow_id') or v.get('workflow_name')
        if not identifier:
            raise exc.InputException(
                'Workflow ID or workflow name must be provided. Workflow ID '
                'is recommended.')
        params = dict(v.get('params') or {})
        # The parsed input is held by the snapshot only from here on: it is
        # let go once rendered, before the response's JSON is encoded (a
        # large input's objects take ~4x its text; bench/RESULTS.md).
        wf_input = v.pop('input', None) or {}
        if wf_ex.input is not wtypes.Unset:
            del wf_ex.input
        started = engine_glue.engine().start_workflow(
            identifier, namespace=v.get('workflow_namespace') or '',
            input=wf_input, description=v.get('description')
            or '', params=params, execution_id=v.get('id'),
            source_execution_id=source_id, project_id=project_id)
        del wf_input
        # Render the execution as the engine committed it (RUNNING): its
        # first tasks may already be running in a follow-up transaction.
        return R.render(models.from_snapshot(models.WorkflowExecution,
                                             started),
                        res.EXECUTION_POST_FIELDS)

    @expose.wsexpose(None, wtypes.text, body=res.ExecutionBody)
    def put(self, id, wf_ex):
        """Update one execution: its description, its env, or its state.

        As on the reference, the execution is looked up before the body is
        judged (an unknown id is a 404 whatever the body), and an empty
        description or env counts as not given.
        """
        policy.enforce('executions:update')
        v = res.body_dict(wf_ex)
        with db_api.session() as s:
            runtime.find_execution(s, id)
        state = v.get('state')
        description = v.get('description') or None
        env = (v.get('params') or {}).get('env')
        if not (state or description or env):
            raise exc.InputException(
                'The property state, description, or env is not provided '
                'for update.')
        if description and state:
            raise exc.InputException(
                'The property description must be updated separately from '
                'state.')
        if env and state and state != 'RUNNING':
            raise exc.InputException(
                'The property env can only be updated when workflow '
                'execution is not running or on resume from pause.')
        if state and state not in STATES:
            # The reference's text, with its unbalanced quote.
            raise exc.InputException(
                'Cannot change state to %s. Allowed states are: \'%s'
                % (state, ', '.join(STATES)))
        client = engine_glue.engine()
        if not state:
            # Description and env together: the env first, so a refused env
            # (the execution is running) leaves the description as it was.
            if env:
                client.update_workflow_env(id, env)
            if description:
                runtime.update_execution_description(id, description)
            hidden = ('input', 'output') if env else ('params', 'input',
                                                     'output')
            return _render_by_id(id, [f for f in res.EXECUTION_POST_FIELDS
                                      if f not in hidden])
        msg = v.get('state_info')
        if state == 'PAUSED':
            committed = client.pause_workflow(id, msg)
        elif state == 'RUNNING':
            committed = client.resume_workflow(id, env=env)
        else:
            committed = client.stop_workflow(id, state, msg)
        if isinstance(committed, dict):
            return R.render(models.from_snapshot(models.WorkflowExecution,
                                                 committed),
                            res.EXECUTION_POST_FIELDS)
        return _render_by_id(id, res.EXECUTION_POST_FIELDS)

    @expose.wsexpose(None, wtypes.text, bool, status_code=204)
    def delete(self, id, force=False):
        policy.enforce('executions:delete')
        runtime.delete_execution(id, force)
