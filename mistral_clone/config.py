"""Configuration: oslo.config options with Mistral's own group and option names.

An operator's existing ``mistral.conf`` works unchanged: every option we act on
uses Mistral's name, and options we do not implement are accepted and listed
in the log at start-up (see :func:`report_unknown_options`) instead of failing.

``list_opts`` feeds ``oslo-config-generator`` (see etc/oslo-config-generator.conf).
"""

import logging

from oslo_config import cfg

LOG = logging.getLogger(__name__)

CONF = cfg.CONF

default_opts = [
    cfg.StrOpt('transport_url', default=None, secret=True,
               help='oslo.messaging transport URL, e.g. '
                    'rabbit://guest:guest@127.0.0.1:5672/. Unset (the '
                    'embedded default) means in-process RPC: every service '
                    'must then run in the same process (--server all).'),
    cfg.BoolOpt('debug', default=False, help='Log at DEBUG level.'),
    cfg.StrOpt('log_file', default=None, help='Write the log to this file.'),
    cfg.StrOpt('control_exchange', default='openstack',
               help='Default exchange for RPC and notifications.'),
    cfg.StrOpt('host', default=None,
               help='Name of this node (defaults to the machine host name).'),
]

api_opts = [
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address the API server binds to.'),
    cfg.PortOpt('port', default=8989, help='Port the API server listens on.'),
    cfg.BoolOpt('allow_action_execution_deletion', default=False,
                help='Allow DELETE of (ad-hoc) action executions.'),
    cfg.StrOpt('validation_mode', default='mandatory',
               choices=['enabled', 'mandatory', 'disabled'],
               help='Definition validation: mandatory (always), enabled '
                    '(unless ?skip_validation), disabled (never).'),
    cfg.IntOpt('max_limit', default=1000, min=1,
               help='Maximum number of items a list request returns.'),
    cfg.IntOpt('api_workers', default=1, min=1,
               help='Number of API worker threads.'),
    cfg.IntOpt('max_request_body_size', default=10 * 1024 * 1024 - 1,
               help='Largest accepted request body, in bytes.'),
    cfg.BoolOpt('enable_info_endpoint', default=False,
                help='Serve GET /info.'),
]

pecan_opts = [
    cfg.BoolOpt('auth_enable', default=False,
                help='Put keystonemiddleware auth_token in front of the API.'),
    cfg.BoolOpt('debug', default=False, help='Pecan debug mode.'),
]

database_opts = [
    cfg.StrOpt('connection', secret=True,
               default='sqlite:///mistral_clone.sqlite',
               help='SQLAlchemy URL: sqlite:///FILE, '
                    'postgresql+psycopg2://..., mysql+pymysql://...'),
    cfg.IntOpt('max_pool_size', default=10, help='Connection pool size.'),
    cfg.IntOpt('max_overflow', default=20, help='Pool overflow.'),
    cfg.IntOpt('pool_timeout', default=30, help='Pool wait timeout (s).'),
    cfg.IntOpt('connection_recycle_time', default=3600,
               help='Recycle connections older than this (s).'),
    cfg.IntOpt('max_retries', default=10,
               help='Retries of a transaction that hit a deadlock or a '
                    'serialization failure.'),
    cfg.BoolOpt('sqlite_synchronous', default=True,
                help='fsync SQLite commits (synchronous=NORMAL in WAL mode '
                     'when true, OFF when false).'),
]

engine_opts = [
    cfg.IntOpt('execution_field_size_limit_kb', default=1024,
               help='Size limit of input/output/params/published fields; '
                    '-1 disables.'),
    cfg.IntOpt('execution_integrity_check_delay', default=20,
               help='Seconds after which a RUNNING task whose actions are '
                    'all finished is completed again; < 0 disables.'),
    cfg.StrOpt('merge_strategy', default='replace',
               choices=['replace', 'merge'],
               help='How the expression context layers combine.'),
    cfg.IntOpt('memory_limit_mb', default=0,
               help='Unused; accepted for compatibility.'),
    cfg.StrOpt('topic', default='mistral_engine', help='Engine RPC topic.'),
    cfg.IntOpt('workers', default=8, min=1,
               help='Threads of one engine process handling events.'),
    cfg.BoolOpt('inline_builtin_actions', default=True,
                help='Run trivial built-in actions (std.noop, std.echo '
                     'without delay, std.fail, std.test_dict) inside the '
                     'engine transaction instead of sending them to an '
                     'executor. Same results, much less overhead.'),
]

executor_opts = [
    cfg.StrOpt('type', default='local', choices=['local', 'remote'],
               help='local: run actions in the engine process; remote: send '
                    'them over RPC to executor services.'),
    cfg.StrOpt('host', default=None,
               help='Name of this executor, used by task "target:".'),
    cfg.StrOpt('topic', default='mistral_executor',
               help='Executor RPC topic.'),
    cfg.IntOpt('workers', default=16, min=1,
               help='Concurrent actions one executor process runs.'),
]

scheduler_opts = [
    cfg.FloatOpt('fixed_delay', default=0.2,
                 help='Seconds between polls of the scheduled-jobs table.'),
    cfg.FloatOpt('random_delay', default=0.1,
                 help='Random extra seconds added to each poll.'),
    cfg.IntOpt('batch_size', default=100,
               help='Jobs claimed by one poll.'),
    cfg.IntOpt('captured_job_timeout', default=30,
               help='Seconds after which a claimed job whose claimer did '
                    'not finish it is claimed again.'),
    cfg.IntOpt('pickup_job_after', default=60,
               help='Accepted for compatibility.'),
]

cron_trigger_opts = [
    cfg.BoolOpt('enabled', default=True, help='Fire cron triggers.'),
    cfg.IntOpt('execution_interval', default=1, min=1,
               help='Seconds between cron trigger checks.'),
    cfg.BoolOpt('run_in_api', default=False,
                help='Accepted for compatibility (cron runs in the '
                     'scheduler service).'),
]

event_engine_opts = [
    cfg.StrOpt('event_definitions_cfg_file', default=None,
               help='YAML file of event definitions.'),
    cfg.StrOpt('topic', default='mistral_event_engine',
               help='Event engine RPC topic.'),
    cfg.StrOpt('listener_pool_name', default='events',
               help='Notification listener pool name.'),
]

action_heartbeat_opts = [
    cfg.IntOpt('max_missed_heartbeats', default=15, min=0,
               help='Missed heartbeats before a running action is failed; '
                    '0 disables the check.'),
    cfg.IntOpt('check_interval', default=20, min=0,
               help='Seconds between heartbeat checks; 0 disables.'),
    cfg.IntOpt('batch_size', default=10, min=0,
               help='Actions failed per check.'),
    cfg.IntOpt('first_heartbeat_timeout', default=60, min=0,
               help='Seconds after which an action that no executor has '
                    'claimed (its dispatch message was lost: an engine '
                    'died between commit and send, or the broker dropped '
                    'it) is sent to the executors again. Safe: an executor '
                    'claims an action atomically before running it, so it '
                    'never runs twice. 0 disables.'),
]

coordination_opts = [
    cfg.FloatOpt('heartbeat_interval', default=5.0, min=0.1,
                 help='Seconds between the heartbeats each service process '
                      'writes to the services table (GET /v2/services); a '
                      'service missing 3 heartbeats is listed no more.'),
]

action_std_http_opts = [
    cfg.ListOpt('denied_cidrs',
                default=['127.0.0.0/8', '::1/128', '169.254.0.0/16',
                         'fe80::/10', '0.0.0.0/8'],
                help='std.http refuses hosts resolving into these networks.'),
    cfg.ListOpt('allowed_hosts', default=[],
                help='If set, std.http only calls these hosts.'),
    cfg.IntOpt('default_timeout', default=60,
               help='std.http timeout (s); 0 = none.'),
    cfg.IntOpt('max_response_size_bytes', default=5 * 1024 * 1024,
               help='Largest accepted response; 0 = unlimited.'),
]

expressions_opts = [
    cfg.ListOpt('allowed_languages', default=['yaql', 'jinja'],
                help='Expression languages allowed in definitions.'),
    cfg.FloatOpt('max_cpu_seconds', default=30.0, min=0,
                 help='CPU seconds one YAQL or Jinja evaluation may use; '
                      'beyond it the evaluation fails with an error naming '
                      'the expression (the task fails). 0 = no limit.'),
    cfg.IntOpt('max_value_size_kb', default=65536, min=0,
               help='Largest string or list (8 bytes per item) an '
                    'expression may build by repetition or concatenation; '
                    'integers are limited to 2**20 bits. Checked before '
                    'the operation runs. 0 = no limit.'),
]

yaql_opts = [
    cfg.IntOpt('limit_iterators', default=100000,
               help='Largest number of elements a YAQL iterator may yield '
                    '(-1 = unlimited).'),
    cfg.IntOpt('memory_quota', default=10000000,
               help='Largest size (in elements/characters) of a value built '
                    'by YAQL (-1 = unlimited).'),
    cfg.BoolOpt('convert_input_data', default=True, help='yaql option.'),
    cfg.BoolOpt('convert_output_data', default=True, help='yaql option.'),
    cfg.BoolOpt('convert_tuples_to_lists', default=True, help='yaql option.'),
    cfg.BoolOpt('convert_sets_to_lists', default=False, help='yaql option.'),
    cfg.BoolOpt('iterable_dicts', default=False, help='yaql option.'),
    cfg.StrOpt('keyword_operator', default='=>', help='yaql option.'),
    cfg.BoolOpt('allow_delegates', default=False, help='yaql option.'),
]

context_versioning_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Version published keys so join merges prefer the '
                     'most recently published value.'),
]

notifier_opts = [
    cfg.StrOpt('type', default='local', choices=['local', 'remote'],
               help='Where notifications are published from.'),
    cfg.StrOpt('notify', default=None,
               help='JSON list of publishers added to every execution.'),
]

execution_expiration_policy_opts = [
    cfg.IntOpt('evaluation_interval', default=None,
               help='Minutes between expiration runs (unset disables).'),
    cfg.IntOpt('older_than', default=None,
               help='Delete finished root executions older than this '
                    '(minutes).'),
    cfg.IntOpt('max_finished_executions', default=0,
               help='Keep at most this many finished root executions.'),
    cfg.IntOpt('batch_size', default=0, help='Deletions per transaction.'),
    cfg.ListOpt('ignored_states', default=[],
                help='Terminal states never expired.'),
]

legacy_action_provider_opts = [
    cfg.BoolOpt('load_action_plugins', default=True,
                help='Load actions from the mistral.actions entry points.'),
    cfg.BoolOpt('only_builtin_actions', default=False,
                help='Only the std.* actions.'),
    cfg.ListOpt('allowlist', default=[], help='Action names to load.'),
    cfg.ListOpt('denylist', default=[], help='Action names to skip.'),
]

oslo_policy_opts = [
    cfg.StrOpt('policy_file', default='policy.yaml',
               help='Policy overrides file.'),
]

GROUPS = [
    (None, default_opts),
    ('api', api_opts),
    ('pecan', pecan_opts),
    ('database', database_opts),
    ('engine', engine_opts),
    ('executor', executor_opts),
    ('scheduler', scheduler_opts),
    ('cron_trigger', cron_trigger_opts),
    ('event_engine', event_engine_opts),
    ('action_heartbeat', action_heartbeat_opts),
    ('coordination', coordination_opts),
    ('action_std_http', action_std_http_opts),
    ('expressions', expressions_opts),
    ('yaql', yaql_opts),
    ('context_versioning', context_versioning_opts),
    ('notifier', notifier_opts),
    ('execution_expiration_policy', execution_expiration_policy_opts),
    ('legacy_action_provider', legacy_action_provider_opts),
]


def _register(conf):
    for group, opts in GROUPS:
        conf.register_opts(opts, group=group)


_register(CONF)


def list_opts():
    """Entry point for oslo-config-generator (namespace mistral_clone)."""
    return [(g or 'DEFAULT', opts) for g, opts in GROUPS]


def parse_args(argv=None, default_config_files=None):
    CONF(argv if argv is not None else [], project='mistral_clone',
         default_config_files=default_config_files)


def report_unknown_options(conf=CONF):
    """Log options found in the config files that we do not act upon.

    oslo.config silently ignores unregistered options; an operator pointing
    us at a mistral.conf deserves to know which settings have no effect.
    """
    known = {}
    for group, opts in GROUPS:
        known[(group or 'DEFAULT')] = {o.dest for o in opts}
    ignored_groups = {'keystone_authtoken', 'oslo_messaging_rabbit',
                      'oslo_messaging_notifications', 'oslo_policy',
                      'oslo_concurrency', 'profiler',
                      'oslo_middleware', 'cors'}
    # oslo.messaging's own options (see rpc/servers.py).
    known['DEFAULT'] |= {'rpc_response_timeout', 'executor_thread_pool_size',
                         'rpc_conn_pool_size', 'conn_pool_min_size',
                         'conn_pool_ttl'}
    unknown = []
    try:
        sections = conf._namespace._parsed if conf._namespace else []
    except AttributeError:  # pragma: no cover - oslo.config internals moved
        sections = []
    for parsed in sections:
        for section, values in parsed.items():
            if section in ignored_groups:
                continue
            names = known.get(section)
            for name in values:
                if names is None or name not in names:
                    unknown.append('%s.%s' % (section, name))
    if unknown:
        LOG.info('Options accepted but not used by mistral_clone: %s',
                 ', '.join(sorted(unknown)))
    return unknown
