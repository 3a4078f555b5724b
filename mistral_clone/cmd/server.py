"""mistral-clone-server: start the API, engine, executor and scheduler.

    mistral-clone-server [--config-file FILE] [--server all|api,engine,...]

Without a config file (or without ``transport_url`` in it) this is the
embedded default: every service in this process, RPC in-process, and a
SQLite database that creates/upgrades itself on first start.
"""

import logging
import signal
import sys
import threading

from oslo_config import cfg

from mistral_clone import config
from mistral_clone import launcher
from mistral_clone import masking

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


def setup_logging(conf):
    level = logging.DEBUG if conf.debug else logging.INFO
    handlers = None
    if conf.log_file:
        handlers = [logging.FileHandler(conf.log_file)]
    logging.basicConfig(
        level=level, handlers=handlers,
        format='%(asctime)s %(process)d %(levelname)s %(name)s %(message)s')
    # Passwords and tokens never reach the log (request bodies, SQL echo).
    masking.install()
    # Third-party chatter.
    for noisy in ('oslo_messaging', 'amqp', 'kombu', 'stevedore',
                  'keystonemiddleware', 'pecan', 'sqlalchemy'):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if conf.debug else logging.WARNING)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config.parse_args(argv)
    conf = config.CONF
    setup_logging(conf)
    config.report_unknown_options(conf)
    components = parse_components(conf.server)
    launcher.setup_database(conf)
    launched = launcher.launch(components, conf, start_api_thread=False)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
        if launched.api_server is not None:
            threading.Thread(target=launched.api_server.shutdown,
                             daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    LOG.info('mistral_clone running: %s', ', '.join(components))
    if launched.api_server is not None:
        LOG.info('API listening on %s', launched.url)
        try:
            launched.api_server.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
    else:
        while not stop.wait(1):
            pass
    launched.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
