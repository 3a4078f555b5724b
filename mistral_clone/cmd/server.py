"""mistral-clone-server: start the API, engine, executor and scheduler.

    mistral-clone-server [--config-file FILE] [--server all|api,engine,...]
    mistral-clone-server --version

Without a config file (or without ``transport_url`` in it) this is the
embedded default: every service in this process, RPC in-process, and a
SQLite database that creates/upgrades itself on first start. With
``transport_url``, ``--server api`` alone runs ``[api] api_workers`` API
processes (``api_workers.py``).
"""

import gc
import logging
import os
import signal
import sys
import threading

from mistral_clone import lean_imports

# What libraries import and our processes seldom use: a stand-in until its
# first use (lean_imports.defer): psutil (oslo_utils.netutils, imported by
# oslo.messaging), the importlib_metadata backport (WSME's protocol
# plugins), more_itertools (jaraco.functools, imported by cheroot) and
# asyncio (SQLAlchemy's asyncio extension; it reads asyncio.iscoroutine at
# import, answered by the stand-in). Before the imports below: the
# launcher imports SQLAlchemy.
DEFERRED_MODULES = (('psutil', ()), ('importlib_metadata', ()),
                    ('more_itertools', ()), ('asyncio', ('iscoroutine',)))
for _name, _functions in DEFERRED_MODULES:
    lean_imports.defer(_name, _functions)

from oslo_config import cfg  # noqa: E402

from mistral_clone import config  # noqa: E402
from mistral_clone import glibc  # noqa: E402
from mistral_clone import launcher  # noqa: E402
from mistral_clone import log  # noqa: E402

LOG = logging.getLogger('mistral_clone')

cli_opts = [
    cfg.StrOpt('server', default='all',
               help='Comma-separated services to run here: all, api, '
                    'engine, executor, scheduler (notifier, event-engine '
                    'and periodic are accepted as aliases/no-ops).'),
]
config.CONF.register_cli_opts(cli_opts)

ALIASES = {'periodic': 'scheduler', 'cron': 'scheduler',
           'notifier': None, 'event-engine': None}


def parse_components(value):
    names = [v.strip() for v in value.split(',') if v.strip()]
    if not names or 'all' in names:
        return list(launcher.COMPONENTS)
    result = []
    for name in names:
        name = ALIASES.get(name, name)
        if name is None:
            continue
        if name not in launcher.COMPONENTS:
            raise SystemExit('Unknown service: %s (choose from all, %s)'
                             % (name, ', '.join(launcher.COMPONENTS)))
        if name not in result:
            result.append(name)
    return result


# glibc gives each thread that finds the others' malloc arenas busy an
# arena of its own, up to 8 per CPU, and memory freed in one arena is not
# reused by another. The GIL serialises most allocations anyway: two arenas
# suffice. Measured through the bench: the embedded server's peak 117 -> 115
# MB; production engines (80 threads) showed no difference (91 MB either
# way). ``MALLOC_ARENA_MAX`` in the environment (read by glibc itself)
# takes precedence.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt parameter, glibc's malloc.h
# glibc serves blocks from 128 KB up with mmap, but raises that threshold
# (up to 32 MB) each time such a block is freed: after the first large
# JSON text, the next ones came from the heap, fragmented it and stayed in
# the RSS. A fixed threshold keeps every block of 256 KB or more in its
# own mapping, returned on free. Measured through the bench (embedded, the
# 1 MB data scenarios after the others): peak 150 -> 144 MB.
# ``MALLOC_MMAP_THRESHOLD_`` in the environment takes precedence.
MALLOC_MMAP_THRESHOLD = 256 << 10
_M_MMAP_THRESHOLD = -3


def _mallopt(env_name, param, value):
    """glibc's mallopt(param, value) unless ``env_name`` is set in the
    environment (glibc reads it itself); True when set (False: not glibc,
    or the environment decides)."""
    if os.environ.get(env_name):
        return False
    mallopt = glibc.function('mallopt')
    return mallopt is not None and bool(mallopt(param, value))


def limit_malloc_arenas(arenas=MALLOC_ARENAS):
    """mallopt(M_ARENA_MAX) before this process starts any thread."""
    return _mallopt('MALLOC_ARENA_MAX', _M_ARENA_MAX, arenas)


def fix_malloc_mmap_threshold(threshold=MALLOC_MMAP_THRESHOLD):
    """mallopt(M_MMAP_THRESHOLD)."""
    return _mallopt('MALLOC_MMAP_THRESHOLD_', _M_MMAP_THRESHOLD, threshold)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    limit_malloc_arenas()
    fix_malloc_mmap_threshold()
    config.parse_args(argv)
    conf = config.CONF
    components = parse_components(conf.server)
    workers = 1
    if components == ['api']:  # cotyledon and cheroot: the API's alone
        from mistral_clone import api_workers
        workers = api_workers.worker_count(conf, components)
    log.setup(conf)
    log.banner(conf, components)
    if 'api' in components:
        config.register_api_opts(conf)
    config.report_unknown_options(conf)
    if workers > 1:
        api_workers.run_workers(conf, workers)
        return 0
    refused = None
    try:
        launcher.setup_database(conf)
    except Exception as e:
        # Only an upgrade (SQLite) refuses a database; alembic is imported
        # by that upgrade alone, not by every production process.
        migration = sys.modules.get('mistral_clone.db.migration')
        if migration is None or not isinstance(
                e, (migration.ForeignDatabase, migration.MigrationsNotFound)):
            raise
        refused = str(e)
    if refused:  # logged outside the handler: the message, no traceback
        LOG.error('%s', refused)
        return 2
    stop = threading.Event()
    started = {}

    def on_signal(signum, frame):
        LOG.info('Signal %d received: shutting down', signum)
        stop.set()
        launched = started.get('launched')
        if launched is not None and launched.api_server is not None:
            threading.Thread(target=launched.api_server.shutdown,
                             daemon=True).start()

    # Before the services start: a SIGTERM during start-up stops them
    # cleanly too (their services rows are written first).
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    launched = started['launched'] = launcher.launch(
        components, conf, start_api_thread=False)
    # What start-up made (modules, configuration, routes, schemas) lives as
    # long as the process: out of the collector's sight, it costs no time
    # in every full collection.
    gc.collect()
    gc.freeze()
    LOG.info('mistral_clone running: %s', ', '.join(components))
    if stop.is_set():
        pass
    elif launched.api_server is not None:
        LOG.info('API listening on %s', launched.url)
        try:
            launched.api_server.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
    else:
        while not stop.wait(1):
            pass
    launched.stop(graceful_timeout=conf.graceful_shutdown_timeout)
    return 0


def run():
    """The console script: ``main``, then exit without the interpreter's
    finalisation. Once everything stopped (work handed back or reported,
    services rows removed), finalising the libraries' objects (database
    and broker connections) took 2-5 s more of an idle service's exit on
    SIGTERM (measured with tests/integration/test_production_shutdown.py);
    logs are flushed first."""
    rc = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc or 0)


if __name__ == '__main__':
    run()
