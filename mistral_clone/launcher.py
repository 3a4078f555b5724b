"""Wiring of services into a process.

``launch(components)`` starts any subset of api, engine, executor and
scheduler. Without ``transport_url`` (the embedded default) everything runs
in this process and RPC is a direct call; with it, each component talks to
the others over oslo.messaging and they may live in separate processes.
"""

import logging
import os
import socket

from mistral_clone import config
from mistral_clone.db import api as db_api
from mistral_clone.db import pg_prepared
from mistral_clone.rpc import clients

LOG = logging.getLogger(__name__)

COMPONENTS = ('api', 'engine', 'executor', 'scheduler')


def apply_config(conf=config.CONF, components=COMPONENTS):
    """Hand operator settings to the pure libraries (``components``: the
    services this process runs)."""
    from mistral_clone import expressions
    expressions.configure(
        allowed_languages=tuple(conf.expressions.allowed_languages),
        limit_iterators=conf.yaql.limit_iterators,
        memory_quota=conf.yaql.memory_quota,
        max_cpu_seconds=conf.expressions.max_cpu_seconds,
        max_value_size=conf.expressions.max_value_size_kb * 1024)
    if set(components) - {'api'}:
        # Actions run in engines (std.noop, std.echo...) and executors,
        # never in an API process: it imports the actions (mistral-lib,
        # std.* with smtplib and email: ~2 MB, issue 14) only to list them.
        from mistral_clone import actions
        actions.configure_http_policy(
            denied_cidrs=conf.action_std_http.denied_cidrs,
            allowed_hosts=conf.action_std_http.allowed_hosts,
            default_timeout=conf.action_std_http.default_timeout,
            max_response_size_bytes=(
                conf.action_std_http.max_response_size_bytes))
        if {'engine', 'executor'} & set(components):
            # Loaded now rather than by the first action or start (~11 ms
            # of CPU scanning entry points: on the first chain step of
            # every executor of the production bench).
            actions.system_actions()
    start_observing(conf, components)


def start_observing(conf=config.CONF, components=COMPONENTS):
    """Workflow trace and metrics of this process (see observe.py): its
    metrics are kept when something reads them, its API (``/metrics``) or
    ``[metrics] port``."""
    from mistral_clone import observe
    from mistral_clone.db import tracking
    observe.configure(conf.workflow_trace_log_name,
                      served='api' in components or bool(conf.metrics.port))
    tracking.install()


def setup_database(conf=config.CONF, upgrade=None):
    url = conf.database.connection
    if upgrade is None:
        upgrade = url.startswith('sqlite')
    pg_prepared.enable(conf.database.postgresql_prepared_writes)
    db_api.setup(url, create_tables=upgrade,
                 pool_size=conf.database.max_pool_size,
                 max_overflow=conf.database.max_overflow,
                 pool_timeout=conf.database.pool_timeout,
                 pool_recycle=conf.database.connection_recycle_time,
                 sqlite_synchronous=conf.database.sqlite_synchronous)


class Launched:
    """Handles of the running components of this process."""

    def __init__(self):
        self.engine = None
        self.executor = None
        self.scheduler = None
        self.api_server = None
        self.rpc_servers = []
        self.url = None
        self.recovery = None   # engine/recovery.ActionRecovery
        self.registry = None   # services/heartbeats registry
        self.transport = None  # production: the oslo.messaging transport
        self.metrics_server = None  # [metrics] port
        self.components = ()

    def stop(self, graceful_timeout=0):
        """Stop everything; an executor first gives its running actions
        ``graceful_timeout`` seconds to finish and report (the transport
        and the services rows stay until then)."""
        LOG.info('Stopping: %s', ', '.join(self.components) or 'nothing')
        if self.recovery is not None:
            self.recovery.stop()
        # All servers stop listening at once, then are waited for.
        for server in self.rpc_servers:
            try:
                server.stop()
            except Exception:
                LOG.debug('RPC server stop failed', exc_info=True)
        for server in self.rpc_servers:
            try:
                server.wait()
            except Exception:
                LOG.debug('RPC server stop failed', exc_info=True)
        if self.api_server is not None:
            self.api_server.shutdown()
            self.api_server.server_close()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.executor is not None:
            self.executor.stop(graceful_timeout)
        if self.engine is not None:
            self.engine.stop()
        if self.registry is not None:
            self.registry.stop()
        if self.transport is not None:
            # Stops the RPC clients' reply listener threads too.
            try:
                self.transport.cleanup()
            except Exception:
                LOG.debug('Transport cleanup failed', exc_info=True)
        clients.reset()
        LOG.info('Stopped: %s', ', '.join(self.components) or 'nothing')


def launch(components=COMPONENTS, conf=config.CONF, api_port=None,
           api_host=None, start_api_thread=True, api_socket=None):
    """Start the given components in this process and return handles.

    ``api_socket``: a listening socket bound by a parent process (the API
    worker processes of ``api/serving.py``)."""
    from mistral_clone.services import heartbeats

    components = tuple(components)
    apply_config(conf, components)
    launched = Launched()
    launched.components = components
    host = conf.host or socket.gethostname()
    remote = bool(conf.transport_url)
    if not remote and set(components) != set(COMPONENTS):
        raise SystemExit(
            'Without [DEFAULT] transport_url every service runs in one '
            'process: use --server all (or set transport_url).')
    # Registered before any work arrives: executors claim actions under
    # their services row (engine/recovery.py). API worker processes share
    # one row per name in /v2/services.
    identity = heartbeats.process_identity()
    launched.registry = start_registry(components, conf, host,
                                       shared=api_socket is not None,
                                       identity=identity)
    claimer = None  # without a row, claims carry the executor's name only
    if launched.registry is not None and 'executor' in components:
        claimer = heartbeats.row_id('executor', executor_name(conf, host),
                                    identity)

    if not remote:
        # In-process RPC: each client is the service itself. Actions are
        # claimed and recovered as in production, so a restarted process
        # finishes the work of the one that was killed.
        from mistral_clone.engine.recovery import ActionRecovery
        from mistral_clone.engine.service import Engine
        from mistral_clone.engine.settings import EngineSettings
        from mistral_clone.executor.service import Executor
        engine = Engine(workers=conf.engine.workers,
                        settings=EngineSettings.from_conf(conf))
        executor = Executor(
            engine, workers=conf.executor.workers,
            host=executor_name(conf, host), track_actions=True,
            heartbeat_interval=conf.action_heartbeat.check_interval,
            claimer=claimer)
        engine.use_in_process_executor(executor)
        scheduler = _make_scheduler(conf, engine)
        engine.scheduler_waker = scheduler.wake
        clients.set_engine_client(engine)
        clients.set_executor_client(executor)
        launched.engine, launched.executor = engine, executor
        launched.scheduler = scheduler
        scheduler.start()
        launched.recovery = ActionRecovery.from_conf(engine, conf)
        launched.recovery.start()
    else:
        _launch_remote(components, conf, launched, host, claimer)
    if conf.metrics.port and api_socket is None:
        from mistral_clone import observe
        launched.metrics_server = observe.start_http_server(
            conf.metrics.host, conf.metrics.port)

    if 'api' in components:
        host_ = api_host or conf.api.host
        srv = make_api_server(
            conf, host_, conf.api.port if api_port is None else api_port,
            api_socket)
        launched.api_server = srv
        launched.url = '%s://%s:%d/v2' % (getattr(srv, 'scheme', 'http'),
                                          host_, srv.server_address[1])
        if start_api_thread:
            import threading
            threading.Thread(target=srv.serve_forever, daemon=True,
                             name='api').start()
    return launched


def make_api_server(conf, host, port, sock=None):
    """The API's HTTP server (cheroot, see api/serving.py and, for why the
    embedded mode uses it too, api/server.py)."""
    from mistral_clone.api import app as api_app
    from mistral_clone.api import serving
    return serving.CherootServer(host, port, api_app.setup_app(conf), conf,
                                 sock=sock)


def setup_remote_clients(conf=config.CONF):
    """RPC clients of the engine and executor topics (production mode);
    what an API process (or the WSGI application) needs."""
    from mistral_clone.rpc import servers
    transport = servers.get_transport(conf)
    engine_client = clients.RemoteEngineClient(transport, conf.engine.topic)
    executor_client = clients.RemoteExecutorClient(transport,
                                                   conf.executor.topic)
    clients.set_engine_client(engine_client)
    clients.set_executor_client(executor_client)
    return transport, engine_client, executor_client


def _launch_remote(components, conf, launched, host, claimer=None):
    """Production: each component talks to the others over oslo.messaging;
    engines and executors serve their topics (executors under their
    ``[executor] host`` name, which ``target:`` addresses)."""
    # Each service's modules only where it runs: an API process imports
    # no engine (issue 14: memory of every API worker).
    from mistral_clone.rpc import contracts
    from mistral_clone.rpc import servers

    transport, engine_client, executor_client = setup_remote_clients(conf)
    launched.transport = transport
    if {'engine', 'executor'} & set(components):
        # Engines send actions, executors deliver results (calls).
        servers.warm_up(transport, replies='executor' in components)
    if 'engine' in components:
        from mistral_clone.engine.recovery import ActionRecovery
        from mistral_clone.engine.service import Engine
        from mistral_clone.engine.settings import EngineSettings
        engine = Engine(executor_client=executor_client,
                        workers=conf.engine.workers,
                        settings=EngineSettings.from_conf(conf),
                        send_after_answer=True)
        launched.engine = engine
        # The state changes of a transaction are reported once the caller
        # has its answer (db_api.hooks_after_block).
        server = servers.make_server(
            transport, conf.engine.topic, '%s-%s' % (host, os.getpid()),
            engine, contracts.EngineApi, around=db_api.hooks_after_block)
        servers.start_server(server, conf,
                             max_threads=engine_rpc_threads(conf))
        launched.rpc_servers.append(server)
        launched.recovery = ActionRecovery.from_conf(engine, conf)
        launched.recovery.start()
    if 'executor' in components:
        from mistral_clone.executor.service import Executor
        executor = Executor(
            engine_client, workers=conf.executor.workers,
            host=executor_name(conf, host), track_actions=True,
            heartbeat_interval=conf.action_heartbeat.check_interval,
            claimer=claimer, executors=executor_client)
        launched.executor = executor
        server = servers.make_server(transport, conf.executor.topic,
                                     executor.host, executor,
                                     contracts.ExecutorApi)
        servers.start_server(server, conf, max_threads=conf.executor.workers)
        launched.rpc_servers.append(server)
    if 'scheduler' in components:
        scheduler = _make_scheduler(conf, engine_client)
        launched.scheduler = scheduler
        scheduler.start()


def engine_rpc_threads(conf):
    """At most as many engine RPC handler threads as database connections
    (``max_pool_size + max_overflow``, 30 by default): each handler runs
    a transaction, and the threads beyond the pool only waited for a
    connection (up to ``pool_timeout``) while costing the engine memory
    (production bench: 74 -> 42 threads, VmHWM -1 MB). None (no cap) for
    an unlimited overflow."""
    db = conf.database
    if db.max_overflow < 0:
        return None
    return db.max_pool_size + db.max_overflow


def _make_scheduler(conf, engine_client):
    from mistral_clone.scheduler.service import Scheduler
    return Scheduler(
        engine_client, fixed_delay=conf.scheduler.fixed_delay,
        random_delay=conf.scheduler.random_delay,
        batch_size=conf.scheduler.batch_size,
        captured_job_timeout=conf.scheduler.captured_job_timeout,
        periodic_tasks=_periodic_tasks(conf, engine_client))


def executor_name(conf, host=None):
    return conf.executor.host or host or conf.host or socket.gethostname()


def start_registry(components, conf=config.CONF, host=None, shared=False,
                   identity=None):
    """Register this process's services in the services table (heartbeat
    thread); the registry, or None when the database refused."""
    from mistral_clone.services import heartbeats
    host = host or conf.host or socket.gethostname()
    names = {c: (executor_name(conf, host) if c == 'executor' else host)
             for c in components}
    registry = heartbeats.ServiceRegistry(
        names, host, interval=conf.coordination.heartbeat_interval,
        shared=shared, identity=identity)
    try:
        registry.start()
    except Exception:
        LOG.exception('Could not register the services of this process')
        return None
    return registry


def _periodic_tasks(conf, engine_client):
    """Work the scheduler service runs besides delayed jobs: cron triggers
    and, when there is a broker to listen to (``transport_url``), the event
    engine (event triggers need a transport_url: the embedded mode has no
    notifications to receive)."""
    from mistral_clone.scheduler import cron
    from mistral_clone.scheduler import events
    tasks = []
    if conf.cron_trigger.enabled:
        tasks.append(cron.make_periodic(conf, engine_client))
    if conf.transport_url:
        tasks.append(events.make_periodic(conf, engine_client))
    return tasks
