"""oslo.messaging transport and servers exposing the engine and executor.

oslo.messaging registers its own options (``transport_url`` with a
``rabbit://`` default, ``[oslo_messaging_rabbit]``, ``rpc_response_timeout``
...) on the ConfigOpts it is given. Ours declares ``transport_url`` with an
*unset* default (unset = embedded mode), which would clash, so the transport
gets its own ConfigOpts parsed from the same configuration files, and our
``transport_url`` is handed over explicitly.
"""

import logging

from oslo_config import cfg

from mistral_clone.rpc import contracts

LOG = logging.getLogger(__name__)

ALLOWED_EXMODS = ['mistral_clone.exceptions']

_messaging_conf = None


def messaging_conf(conf):
    """A ConfigOpts over the same files, owned by oslo.messaging."""
    global _messaging_conf
    if _messaging_conf is None:
        mconf = cfg.ConfigOpts()
        files = list(getattr(conf, 'config_file', None) or [])
        dirs = list(getattr(conf, 'config_dir', None) or [])
        args = []
        for f in files:
            args += ['--config-file', f]
        for d in dirs:
            args += ['--config-dir', d]
        mconf(args=args, project='mistral_clone', default_config_files=[])
        # Some oslo.messaging modules register their options on cfg.CONF
        # only (at import: metrics, tracing), yet read them from the
        # transport's conf: mirror those groups.
        import oslo_messaging  # noqa: F401  (imports those modules)
        for group in list(cfg.CONF.keys()):
            if not group.startswith('oslo_messaging'):
                continue
            opts = [info['opt'] for info in
                    cfg.CONF._groups[group]._opts.values()]
            mconf.register_opts(opts, group=group)
        _messaging_conf = mconf
    return _messaging_conf


def get_transport(conf, url=None):
    import oslo_messaging as messaging
    mconf = messaging_conf(conf)
    _lengthen_busy_polls()
    return messaging.get_rpc_transport(
        mconf, url=url or conf.transport_url,
        allowed_remote_exmods=ALLOWED_EXMODS)


def rpc_response_timeout(conf):
    """``[DEFAULT] rpc_response_timeout`` as oslo.messaging reads it."""
    mconf = messaging_conf(conf)
    try:
        return mconf.rpc_response_timeout
    except cfg.NoSuchOptError:
        return 60


def _endpoint(service, api):
    """An endpoint object exposing the operations of ``api``
    (``contracts.EngineApi`` or ``ExecutorApi``) of ``service``; arguments
    that travel as a contract type are decoded from their wire form, and
    an answer of a contract type (one with ``to_wire``, such as
    ``contracts.ResultsAnswer``) is sent in its wire form."""
    import oslo_messaging as messaging

    class Endpoint(object):
        target = messaging.Target(version='1.0')

    def make(name):
        decoders = contracts.decoders(api, name)

        def method(self, ctxt, **kwargs):
            for arg, decode in decoders.items():
                if kwargs.get(arg) is not None:
                    kwargs[arg] = decode(kwargs[arg])
            answer = getattr(service, name)(**kwargs)
            to_wire = getattr(answer, 'to_wire', None)
            return answer if to_wire is None else to_wire()
        method.__name__ = name
        return method

    for name in contracts.operations(api):
        setattr(Endpoint, name, make(name))
    return Endpoint()


# An idle RabbitMQ listener of oslo.messaging waits for messages in slices
# that grow to ACK_REQUEUE_EVERY_SECONDS_MAX (5 s), and a server's stop()
# waits for the current slice to end: idle services took 4-6 s to exit on
# SIGTERM (measured with tests/integration/test_production_shutdown.py). One
# second slices make them exit in ~1 s; waking an idle listener once a
# second costs nothing measurable.
IDLE_POLL_SECONDS = 1.0

# After each message the slices start again at ACK_REQUEUE_EVERY_SECONDS_MIN
# (1 ms) and double: a listener receiving a message every 20 ms woke up ~5
# times in between (each a kombu drain with a socket timeout), so a busy
# engine or executor spent more on waking up than on receiving. The wake-ups
# only serve acknowledgements queued by other threads, which RPC messages
# do not use (RPC servers and reply waiters acknowledge in the polling
# thread, on receipt; notification listeners' acks wait at most this); a
# message that arrives ends a slice at once whatever its length.
BUSY_POLL_SECONDS = 0.25


def _amqpdriver():
    try:
        from oslo_messaging._drivers import amqpdriver
    except ImportError:  # another driver: nothing to tune
        return None
    return amqpdriver


def _shorten_idle_polls():
    # impl_rabbit derives an option's bound (kombu_reconnect_delay, default
    # 1.0) from the maximum when it is imported: imported first, whatever
    # the order (a server made before any transport, as in tests).
    try:
        from oslo_messaging._drivers import impl_rabbit  # noqa: F401
    except ImportError:
        pass
    amqpdriver = _amqpdriver()
    if amqpdriver and \
            amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX > IDLE_POLL_SECONDS:
        amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MAX = IDLE_POLL_SECONDS


def _lengthen_busy_polls():
    amqpdriver = _amqpdriver()
    if amqpdriver and \
            amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN < BUSY_POLL_SECONDS:
        amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN = BUSY_POLL_SECONDS


def make_server(transport, topic, server_name, service, api, around=None):
    """An RPC server of ``service`` on ``topic`` for the operations of
    ``api``. ``around``: a context manager factory; each message is
    handled, and answered, inside ``with around():`` (what its exit does
    comes after the caller's answer has left)."""
    import oslo_messaging as messaging
    _shorten_idle_polls()
    _lengthen_busy_polls()
    target = messaging.Target(topic=topic, server=server_name,
                              version='1.0')
    from mistral_clone.rpc import pools
    server = pools.use_lazy_pool(messaging.get_rpc_server(
        transport, target, [_endpoint(service, api)],
        executor='threading'))
    if around is not None:
        _handle_around(server, around)
    return server


def _handle_around(server, around):
    # oslo.messaging's server hands each message to its pool as
    # ``self._process_incoming(incoming)``, which dispatches it and sends
    # the answer: an attribute of the instance wraps both.
    process = server._process_incoming

    def process_around(incoming):
        with around():
            return process(incoming)
    server._process_incoming = process_around


def start_server(server, conf, max_threads=None):
    """``server.start()``; with ``max_threads``, its pool has at most that
    many threads whatever ``executor_thread_pool_size`` (64 by default)
    allows.

    Executors pass their ``[executor] workers``: their RPC handlers only
    claim the actions and queue them for those workers, so more handler
    threads than workers only wait for database connections, and each
    thread an idle executor kept cost its memory (production bench: 86
    threads, VmHWM 81.2 MB; capped at 16, 80.0 MB)."""
    size = None
    if max_threads:
        size = min(max_threads, messaging_conf(conf).executor_thread_pool_size)
    server.start(override_pool_size=size)


def warm_up(transport, replies=False):
    """Open, in a background thread, what this process's first message
    would open: a pooled sending connection and, with ``replies`` (a
    process making calls: an executor delivering results), the reply queue
    and its listening connection. The first delivery of a fresh executor
    took ~45-60 ms more than the next ones (TCP and AMQP handshakes, queue
    declaration: measured with oslo.messaging 18.3 on RabbitMQ 3.x here),
    on the critical path of the work it carried. Failures are only logged:
    the first message opens them then, as before."""
    import threading
    driver = getattr(transport, '_driver', None)
    get_connection = getattr(driver, '_get_connection', None)
    if get_connection is None:  # another driver: nothing to open ahead
        return None

    def run():
        try:
            with get_connection():
                pass
            if replies and hasattr(driver, '_get_reply_q'):
                driver._get_reply_q()
        except Exception as e:
            LOG.info('RPC connections not opened ahead (%s); the first '
                     'message opens them', e)
    thread = threading.Thread(target=run, name='rpc-warm-up', daemon=True)
    thread.start()
    return thread
