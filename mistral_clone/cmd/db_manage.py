"""mistral-clone-db-manage: the database schema.

    mistral-clone-db-manage [--config-file FILE] upgrade [head|REV] [--sql]
    mistral-clone-db-manage [--config-file FILE] downgrade REV [--sql]
    mistral-clone-db-manage [--config-file FILE] stamp REV
    mistral-clone-db-manage [--config-file FILE] current
    mistral-clone-db-manage [--config-file FILE] history
    mistral-clone-db-manage [--config-file FILE] import-mistral SOURCE_URL
    mistral-clone-db-manage --version

Each command is one function (``cmd_<name>``) registered in ``COMMANDS``
with the function adding its arguments; add a command by adding both.
Commands that change a database refuse one that is not ours (another
application's alembic revision, e.g. Mistral's ``043``, or unknown tables)
with a clear message and exit status 2, before writing anything.
"""

import sys

from oslo_config import cfg

from mistral_clone import config
from mistral_clone import masking
from mistral_clone.db import migration
from mistral_clone.db.mistral_import import cli as import_cli


def _print(text):
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def _where(conf):
    return masking.mask_url(conf.database.connection)


def _changed(conf, what, before, after):
    if before == after:
        _print('%s: already at %s; nothing to do.' % (_where(conf),
                                                      after or 'nothing'))
    else:
        _print('%s: %s from %s to %s.' % (_where(conf), what,
                                          before or 'an empty schema',
                                          after or 'an empty schema'))


# --- commands ---------------------------------------------------------------

def args_upgrade(parser):
    parser.add_argument('revision', nargs='?', default='head')
    parser.add_argument('--sql', action='store_true',
                        help='Print the SQL instead of running it '
                             '(START:END revisions, e.g. base:head).')


def cmd_upgrade(conf, args):
    return _migrate(conf, args, migration.upgrade, 'upgraded')


def args_downgrade(parser):
    parser.add_argument('revision')
    parser.add_argument('--sql', action='store_true',
                        help='Print the SQL instead of running it.')


def cmd_downgrade(conf, args):
    return _migrate(conf, args, migration.downgrade, 'downgraded')


def _migrate(conf, args, run, what):
    if args.sql:
        run(args.revision, conf.database.connection, sql=True,
            stdout=sys.stdout)
        return 0
    before, after = run(args.revision, conf.database.connection)
    _changed(conf, what, before, after)
    return 0


def args_stamp(parser):
    parser.add_argument('revision')


def cmd_stamp(conf, args):
    before, after = migration.stamp(args.revision, conf.database.connection)
    _changed(conf, 'schema version recorded', before, after)
    return 0


def args_current(parser):
    pass


def cmd_current(conf, args):
    url = conf.database.connection
    revision = migration.current_revision(url)
    head = migration.head_revision(url)
    _print('%s: %s%s' % (_where(conf), revision or 'no schema version',
                         ' (head)' if revision == head else
                         ' (head is %s)' % head))
    return 0


def args_history(parser):
    pass


def cmd_history(conf, args):
    sys.stdout.write(migration.history(conf.database.connection))
    return 0


def args_populate(parser):
    pass


def cmd_populate(conf, args):
    # Accepted for compatibility with mistral-db-manage: the std actions
    # are built in and need no population.
    _print('Nothing to populate: the std actions are built in.')
    return 0


COMMANDS = {
    'upgrade': (args_upgrade, cmd_upgrade, 'Upgrade the schema.'),
    'downgrade': (args_downgrade, cmd_downgrade, 'Downgrade the schema.'),
    'stamp': (args_stamp, cmd_stamp,
              'Record a schema version without running migrations.'),
    'current': (args_current, cmd_current,
                'Show the schema version of the database.'),
    'history': (args_history, cmd_history, 'List the schema versions.'),
    'populate': (args_populate, cmd_populate,
                 'Compatibility no-op (actions are built in).'),
    import_cli.COMMAND: (import_cli.add_arguments, import_cli.main,
                         import_cli.HELP),
}


def _add_commands(subparsers):
    for name, (add_args, _run, help_text) in COMMANDS.items():
        add_args(subparsers.add_parser(name, help=help_text))


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                handler=_add_commands)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    conf = config.CONF
    conf.register_cli_opt(command_opt)
    config.parse_args(argv)
    from mistral_clone import log
    log.setup(conf)
    run = COMMANDS[conf.command.name][1]
    try:
        return run(conf, conf.command)
    except (migration.ForeignDatabase, migration.MigrationsNotFound) as e:
        sys.stderr.write('%s\n' % e)
        return 2


if __name__ == '__main__':
    sys.exit(main())
