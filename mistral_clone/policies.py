"""Every access rule of the API, in code, with Mistral's names.

Each rule is an ``oslo_policy.DocumentedRuleDefault``: its name
(``<resource>:<operation>``, Mistral's own), its default check string, a
description and the API operations it guards. Operators override any of
them in ``[oslo_policy] policy_file`` (YAML); ``tox -e genpolicy`` writes
every rule, commented out, to ``etc/policy.yaml.sample``
(``oslopolicy-sample-generator --namespace mistral_clone``), and
``oslopolicy-policy-generator`` / ``oslopolicy-list-redundant`` work too
(entry points ``oslo.policy.policies`` and ``oslo.policy.enforcer``).

Defaults mirror the reference: ordinary operations are ``admin_or_owner``
(the target is the caller's own project, so any member of the project
passes), while listing other projects' resources (``*:list:all_projects``),
making definitions public (``*:publicize``) and the ``/code_sources`` and
``/dynamic_actions`` APIs are ``admin_only``.
"""

import importlib.metadata
import logging

from oslo_policy import _checks
from oslo_policy import policy

LOG = logging.getLogger(__name__)

CHECK_PLUGINS = 'oslo.policy.rule_checks'


class _DeferredCheck:
    """One ``oslo.policy.rule_checks`` plugin (``http:``/``https:`` checks),
    imported the first time a rule uses its kind.

    oslo.policy imports every plugin when it parses its first rule, and its
    HTTP check brings ``requests`` (with urllib3, charset_normalizer, idna:
    ~4.5 MB of every API process, issue 14) though no rule of ours, nor
    usually an operator's, calls a URL. A plugin that fails to import is
    passed over, as oslo.policy's plugin loader does: the rule gets the
    check it would have got without it."""

    def __init__(self, entry_point):
        self.entry_point = entry_point
        self.plugin = None

    def __call__(self, kind, match):
        plugin = self.plugin
        if plugin is None:
            try:
                plugin = self.plugin = self.entry_point.load()
            except Exception as e:
                LOG.error('Could not load %r: %s', self.entry_point.name, e)
                registered = _checks.registered_checks
                plugin = registered.get(kind) or registered.get(None)
                if plugin is None:
                    return _checks.FalseCheck()
        return plugin(kind, match)


def _defer_check_plugins():
    """Stand a :class:`_DeferredCheck` for each plugin in oslo.policy's
    table of plugins, unless something already filled it."""
    if getattr(_checks, 'extension_checks', False) is None:
        _checks.extension_checks = {
            ep.name: _DeferredCheck(ep)
            for ep in importlib.metadata.entry_points(group=CHECK_PLUGINS)}


_defer_check_plugins()

ADMIN_ONLY = 'rule:admin_only'
ADMIN_OR_OWNER = 'rule:admin_or_owner'

BASE_RULES = [
    policy.RuleDefault(
        'admin_only', 'is_admin:True',
        description='Only administrators (a context whose is_admin is '
                    'set, see context_is_admin).'),
    policy.RuleDefault(
        'admin_or_owner', 'is_admin:True or project_id:%(project_id)s',
        description='Administrators, or members of the project that owns '
                    'the resource.'),
    policy.RuleDefault(
        'context_is_admin', 'role:admin',
        description='Who is an administrator: decides the is_admin flag of '
                    'every request context.'),
]

_CRUD = {'create': ADMIN_OR_OWNER, 'delete': ADMIN_OR_OWNER,
         'get': ADMIN_OR_OWNER, 'list': ADMIN_OR_OWNER,
         'update': ADMIN_OR_OWNER}
# Definitions: owned by a project, made public by an administrator, listed
# across projects by an administrator.
_SHAREABLE = dict(_CRUD, **{'list:all_projects': ADMIN_ONLY,
                            'publicize': ADMIN_ONLY})
_ADMIN_ONLY_CRUD = dict.fromkeys(
    ('create', 'delete', 'get', 'list', 'publicize', 'update'), ADMIN_ONLY)

# collection -> (noun, path of one item, {operation: default})
_RESOURCES = {
    'action_executions': (
        'action execution', '/v2/action_executions/{action_execution_id}',
        _CRUD),
    'actions': (
        'ad-hoc action', '/v2/actions/{action_id}',
        dict(_CRUD, publicize=ADMIN_ONLY)),
    'code_sources': (
        'code source', '/v2/code_sources/{code_source_id}',
        _ADMIN_ONLY_CRUD),
    'cron_triggers': (
        'cron trigger', '/v2/cron_triggers/{cron_trigger_id}',
        {k: v for k, v in _SHAREABLE.items() if k != 'update'}),
    'dynamic_actions': (
        'dynamic action', '/v2/dynamic_actions/{dynamic_action_id}',
        _ADMIN_ONLY_CRUD),
    'environments': (
        'environment', '/v2/environments/{environment_name}', _SHAREABLE),
    'event_triggers': (
        'event trigger', '/v2/event_triggers/{event_trigger_id}',
        _SHAREABLE),
    'executions': (
        'workflow execution', '/v2/executions/{execution_id}',
        dict(_CRUD, **{'list:all_projects': ADMIN_ONLY})),
    'members': (
        'resource member',
        '/v2/{resource_type}/{resource_id}/members/{member_id}', _CRUD),
    'services': (
        'service', None, {'list': ADMIN_OR_OWNER}),
    'tasks': (
        'task execution', '/v2/tasks/{task_id}',
        {k: _CRUD[k] for k in ('get', 'list', 'update')}),
    'workbooks': (
        'workbook', '/v2/workbooks/{workbook_name}', _SHAREABLE),
    'workflows': (
        'workflow', '/v2/workflows/{workflow_id}', _SHAREABLE),
}

# Collections reached under another path too.
_EXTRA_LIST_PATHS = {
    'tasks': ['/v2/executions/{execution_id}/tasks'],
    'action_executions': ['/v2/tasks/{task_id}/action_executions',
                          '/v2/executions/{execution_id}/action_executions'],
    'executions': ['/v2/tasks/{task_id}/executions'],
}

_DESCRIPTIONS = {
    'create': 'Create %(a)s %(noun)s.',
    'delete': 'Delete %(a)s %(noun)s.',
    'get': 'Show one %(noun)s.',
    'list': 'List the %(noun)ss the caller may see.',
    'update': 'Update %(a)s %(noun)s.',
    'list:all_projects': 'List the %(noun)ss of every project '
                         '(all_projects=true, project_id=...).',
    'publicize': 'Create or update a public (scope=public) %(noun)s, '
                 'visible to every project.',
}


def _collection_path(collection, item_path):
    if collection == 'members':
        return item_path.rsplit('/', 1)[0]
    return '/v2/%s' % collection


def _operations(collection, item_path, operation):
    base = _collection_path(collection, item_path)
    if operation == 'create':
        return [('POST', base)]
    if operation == 'list':
        return [('GET', p) for p in
                [base] + _EXTRA_LIST_PATHS.get(collection, [])]
    if operation == 'list:all_projects':
        return [('GET', base + '?all_projects=true')]
    if operation == 'publicize':
        ops = [('POST', base + '?scope=public')]
        if item_path:
            ops.append(('PUT', item_path + '?scope=public'))
        return ops
    method = {'get': 'GET', 'update': 'PUT', 'delete': 'DELETE'}[operation]
    return [(method, item_path)]


def list_rules():
    """Every rule with its default (the ``oslo.policy.policies`` entry
    point)."""
    rules = list(BASE_RULES)
    for collection, (noun, item_path, ops) in sorted(_RESOURCES.items()):
        for operation, check in sorted(ops.items()):
            rules.append(policy.DocumentedRuleDefault(
                name='%s:%s' % (collection, operation),
                check_str=check,
                description=_DESCRIPTIONS[operation] % {
                    'noun': noun, 'a': 'an' if noun[0] in 'aeiou' else 'a'},
                operations=[{'method': m, 'path': p} for m, p in
                            _operations(collection, item_path, operation)]))
    return rules
