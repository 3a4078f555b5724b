"""Configuration: oslo.config options with Mistral's own group and option names.

An operator's existing ``mistral.conf`` works unchanged: every option we act on
uses Mistral's name, and options we do not implement are accepted and listed
in the log at start-up (see :func:`report_unknown_options`) instead of failing.

``list_opts`` feeds ``oslo-config-generator`` (see etc/oslo-config-generator.conf).
"""

import logging

from oslo_config import cfg

from mistral_clone import lean_imports

LOG = logging.getLogger(__name__)

CONF = cfg.CONF

default_opts = [
    cfg.StrOpt('transport_url', default=None, secret=True,
               help='oslo.messaging transport URL, e.g. '
                    'rabbit://guest:guest@127.0.0.1:5672/. Unset (the '
                    'embedded default) means in-process RPC: every service '
                    'must then run in the same process (--server all).'),
    cfg.StrOpt('control_exchange', default='openstack',
               help='Default exchange for RPC and notifications.'),
    cfg.StrOpt('host', default=None,
               help='Name of this node (defaults to the machine host name).'),
    cfg.IntOpt('graceful_shutdown_timeout', default=60, min=0,
               help='On SIGTERM/SIGINT, seconds an executor gives its '
                    'running actions to finish and report before it exits '
                    '(queued actions are handed back to other executors at '
                    'once; actions still running at the timeout are re-run '
                    'if safe-rerun, else failed, by the engines).'),
    cfg.StrOpt('workflow_trace_log_name', default='workflow_trace',
               help='Logger name of the workflow trace: one INFO line per '
                    'state change of a workflow execution, task execution '
                    'or action execution, with ids and names.'),
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
    cfg.IntOpt('api_workers', default=None, min=1,
               help='Processes serving the API when this process runs the '
                    'API alone in production mode (--server api with '
                    'transport_url set). Default: the number of CPUs. In '
                    'the embedded mode, or with other services in the same '
                    'process, the API is served by this process.'),
    cfg.IntOpt('api_threads', default=32, min=1,
               help='Request threads of each API process (production '
                    'server).'),
    cfg.BoolOpt('enable_ssl_api', default=False,
                help='Serve the API over HTTPS, with the certificate and '
                     'key of [ssl] cert_file and key_file (and client '
                     'certificates checked against [ssl] ca_file if set).'),
    cfg.StrOpt('info_json_file_path', default='info.json',
               help='Accepted for compatibility.'),
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
    cfg.BoolOpt('postgresql_prepared_writes', default=True,
                help='PostgreSQL (psycopg2): send the engine\'s writes of '
                     'execution rows as server-side prepared statements '
                     '(PREPARE once per connection, then EXECUTE), which '
                     'PostgreSQL does not parse and plan again at each '
                     'transaction. Turn it off when the connections go '
                     'through a pooler sharing server sessions between '
                     'transactions (pgbouncer in transaction or statement '
                     'mode), where a prepared statement is not found: a '
                     'process that meets one logs a warning, runs the '
                     'transaction again and writes plain statements from '
                     'then on.'),
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
    cfg.IntOpt('max_work_attempts', default=3, min=1,
               help='Times the scheduler hands one delayed job (policy '
                    'delays, timeouts, sub-workflow completions, the '
                    'follow-ups of crashed processes) to an engine. A job '
                    'handed over more often was never finished: each engine '
                    'running it died (killed, out of memory). It is then '
                    'not run again: its workflow execution fails with a '
                    'state_info that says so, instead of killing every '
                    'engine in turn forever.'),
    cfg.BoolOpt('inline_builtin_actions', default=True,
                help='Run trivial built-in actions (std.noop, std.echo '
                     'without delay, std.fail, std.test_dict) inside the '
                     'engine transaction instead of sending them to an '
                     'executor. Same results, much less overhead.'),
    cfg.IntOpt('max_subworkflow_depth', default=100, min=1,
               help='Deepest nesting of sub-workflow executions under a '
                    'root execution (the root is depth 0). A task that '
                    'would start a sub-workflow deeper fails with an error '
                    'naming this limit: a workflow that calls itself '
                    'without end stops there.'),
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

ssl_opts = [
    cfg.StrOpt('cert_file',
               help='Certificate (PEM) of the API when [api] enable_ssl_api '
                    'is set.'),
    cfg.StrOpt('key_file',
               help='Private key (PEM) of that certificate.'),
    cfg.StrOpt('ca_file',
               help='CA certificates (PEM) to verify connecting clients '
                    'with; when set, clients must present a certificate.'),
    cfg.StrOpt('ciphers',
               help='OpenSSL cipher list of the API server (default: '
                    "Python's)."),
    cfg.StrOpt('version',
               help='Minimum TLS version (TLSv1_2, TLSv1_3); default: '
                    "Python's minimum."),
]

healthcheck_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Serve GET /healthcheck (unauthenticated): 200 when '
                     'the database (and, in production mode, the broker) '
                     'answers, 503 otherwise. The checks are the '
                     'oslo.middleware healthcheck backends listed in '
                     '[healthcheck] backends.'),
]

metrics_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Serve GET /metrics (Prometheus text format, '
                     'unauthenticated) on the API.'),
    cfg.PortOpt('port', default=0,
                help='Serve /metrics of this process on its own port too '
                     '(0: no). Engine, executor and scheduler processes '
                     'have no API: give each its own port (e.g. in a '
                     'second --config-file) to scrape them.'),
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address of that metrics port.'),
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
                      'service missing 3 heartbeats is listed no more, and '
                      'the synchronous actions its executor was running are '
                      're-run (safe-rerun) or failed by the engines.'),
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

GROUPS = [
    (None, default_opts),
    ('api', api_opts),
    ('ssl', ssl_opts),
    ('healthcheck', healthcheck_opts),
    ('metrics', metrics_opts),
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


# Libraries whose options we use, registered up front so that the sample,
# ``report_unknown_options`` and the middleware all see one definition.
# oslo.middleware's are the exception: importing any of its modules imports
# all of its middlewares (webob, jinja2, greenlet: some 7 MB), which only a
# process serving the API needs; ``register_api_opts`` adds them there.
def _register_library_opts(conf):
    from oslo_log import log
    from oslo_policy import opts as policy_opts
    try:
        log.register_options(conf)
    except cfg.ArgsAlreadyParsedError:
        # Imported by a tool that parsed its command line already (the
        # oslopolicy-* generators load our enforcer): the same options,
        # without their command-line form (oslo.log's own opts listing).
        from oslo_log import _options
        for _group, opts in _options.list_opts():
            conf.register_opts(opts)
    policy_opts.set_defaults(conf)


# The groups of oslo.middleware's options (``[healthcheck]`` holds ours too).
API_LIBRARY_GROUPS = frozenset(['cors', 'oslo_middleware', 'healthcheck'])


def register_api_opts(conf=CONF):
    """oslo.middleware's options (``[cors]``, ``[oslo_middleware]``,
    ``[healthcheck]`` backends) with our defaults: called by the API's
    application set-up and by a server that runs the API, before its
    configuration is judged. Idempotent."""
    lean_imports.oslo_middleware()
    from oslo_middleware import cors
    from oslo_middleware.healthcheck import opts as healthcheck
    from oslo_middleware import http_proxy_to_wsgi
    _set_middleware_defaults()
    conf.register_opts(cors.CORS_OPTS, group='cors')
    conf.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')
    conf.register_opts(healthcheck.HEALTHCHECK_OPTS, group='healthcheck')


def api_opts_registered(conf=CONF):
    return 'cors' in conf


# oslo.log's default levels, plus the libraries whose DEBUG output is noise
# for an operator (SQL echo, migrations, AMQP frames, routing).
DEFAULT_LOG_LEVELS = [
    'alembic=WARN', 'kombu=WARN', 'pecan=WARN', 'wsme=WARN', 'yaql=WARN',
    'cheroot=WARN', 'cotyledon=WARN', 'prometheus_client=WARN',
]

# Headers a browser may send to / read from the API (CORS), as Mistral.
CORS_ALLOW_HEADERS = ['X-Auth-Token', 'X-Identity-Status', 'X-Roles',
                      'X-Service-Catalog', 'X-User-Id', 'X-Tenant-Id',
                      'X-Project-Id', 'X-User-Name', 'X-Project-Name',
                      'Content-Type', 'X-OpenStack-Request-ID']
CORS_EXPOSE_HEADERS = ['X-Auth-Token', 'X-Subject-Token', 'X-Service-Token',
                       'X-Project-Id', 'X-User-Name', 'X-Project-Name',
                       'X-OpenStack-Request-ID']
CORS_ALLOW_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH']


def set_lib_defaults():
    """Our defaults for library options (also the
    ``oslo.config.opts.defaults`` entry point of the sample generator)."""
    _set_log_defaults()
    _set_middleware_defaults()


def _set_log_defaults():
    from oslo_log import log
    log.set_defaults(default_log_levels=(
        log.get_default_log_levels() + DEFAULT_LOG_LEVELS))


def _set_middleware_defaults():
    lean_imports.oslo_middleware()
    from oslo_middleware import cors
    from oslo_middleware.healthcheck import opts as healthcheck
    cors.set_defaults(allow_headers=CORS_ALLOW_HEADERS,
                      expose_headers=CORS_EXPOSE_HEADERS,
                      allow_methods=CORS_ALLOW_METHODS)
    cfg.set_defaults(healthcheck.HEALTHCHECK_OPTS,
                     backends=['mistral_clone_database',
                               'mistral_clone_broker'])


def _register(conf):
    for group, opts in GROUPS:
        conf.register_opts(opts, group=group)
    _register_library_opts(conf)


_set_log_defaults()
_register(CONF)


def list_opts():
    """Entry point for oslo-config-generator (namespace mistral_clone)."""
    return [(g or 'DEFAULT', opts) for g, opts in GROUPS]


def parse_args(argv=None, default_config_files=None):
    from mistral_clone import version
    CONF(argv if argv is not None else [], project='mistral_clone',
         version=version.VERSION, default_config_files=default_config_files)


# Groups that libraries register only when they are used (auth_token,
# the RabbitMQ driver, ...): their options are not ours to judge.
LAZY_GROUPS = frozenset([
    'keystone_authtoken', 'oslo_messaging_rabbit',
    'oslo_messaging_notifications', 'oslo_messaging_kafka',
    'oslo_concurrency'])
# oslo.messaging's [DEFAULT] options (registered with the transport).
LAZY_DEFAULTS = frozenset([
    'rpc_response_timeout', 'executor_thread_pool_size',
    'rpc_conn_pool_size', 'conn_pool_min_size', 'conn_pool_ttl',
    'rpc_ping_enabled'])


def report_unknown_options(conf=CONF):
    """Log options found in the config files that we do not act upon.

    oslo.config silently ignores unregistered options; an operator pointing
    us at a mistral.conf deserves to know which settings have no effect
    (e.g. ``[profiler]``: there is no osprofiler here).
    """
    unknown = []
    # A process without the API leaves oslo.middleware's groups unjudged.
    skipped = LAZY_GROUPS
    if not api_opts_registered(conf):
        skipped = skipped | API_LIBRARY_GROUPS
    try:
        sections = conf._namespace._parsed if conf._namespace else []
    except AttributeError:  # pragma: no cover - oslo.config internals moved
        sections = []
    for parsed in sections:
        for section, values in parsed.items():
            if section in skipped:
                continue
            for name in values:
                if not _is_registered(conf, section, name):
                    unknown.append('%s.%s' % (section, name))
    if unknown:
        LOG.info('Options accepted but not used by mistral_clone: %s',
                 ', '.join(sorted(set(unknown))))
    return unknown


def _is_registered(conf, section, name):
    if section == 'DEFAULT':
        return name in LAZY_DEFAULTS or name in conf
    try:
        return name in conf[section]
    except cfg.NoSuchOptError:
        return False
