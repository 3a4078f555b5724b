"""mistral-clone-db-manage: schema migrations.

    mistral-clone-db-manage [--config-file FILE] upgrade [head|REV]
    mistral-clone-db-manage [--config-file FILE] downgrade REV
    mistral-clone-db-manage [--config-file FILE] current
    mistral-clone-db-manage [--config-file FILE] import-mistral SOURCE_URL
"""

import sys

from oslo_config import cfg

from mistral_clone import config
from mistral_clone.db import migration
from mistral_clone.db.mistral_import import cli as import_cli


def _add_commands(subparsers):
    p = subparsers.add_parser('upgrade', help='Upgrade the schema.')
    p.add_argument('revision', nargs='?', default='head')
    p = subparsers.add_parser('downgrade', help='Downgrade the schema.')
    p.add_argument('revision')
    subparsers.add_parser('current', help='Show the current revision.')
    # Accepted for compatibility with mistral-db-manage; the std actions
    # are built in and need no population.
    subparsers.add_parser('populate', help='No-op (actions are built in).')
    import_cli.add_command(subparsers)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                handler=_add_commands)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config.CONF.register_cli_opt(command_opt)
    config.parse_args(argv)
    url = config.CONF.database.connection
    name = config.CONF.command.name
    if name == 'upgrade':
        migration.upgrade(config.CONF.command.revision, url)
    elif name == 'downgrade':
        migration.downgrade(config.CONF.command.revision, url)
    elif name == 'current':
        migration.current(url)
    elif name == import_cli.COMMAND:
        return import_cli.main(config.CONF)
    return 0


if __name__ == '__main__':
    sys.exit(main())
