"""``import-mistral``: the sub-command of mistral-clone-db-manage.

    mistral-clone-db-manage --config-file OUR.conf import-mistral SOURCE_URL
        [--dry-run] [--running {refuse,pause,fail}] [--batch-size N]
        [--no-progress]

Exit status: 0 done (or nothing to do), 1 done but some source rows
conflict with ours (listed; ours are kept), 2 refused (nothing written),
130 interrupted (run it again to finish).
"""

import logging
import sys

from mistral_clone.db.mistral_import import runner

LOG = logging.getLogger(__name__)

COMMAND = 'import-mistral'


def add_command(subparsers):
    p = subparsers.add_parser(
        COMMAND, help='Copy definitions, triggers and execution history '
        'from a Mistral database (read only) into ours.')
    p.add_argument('source_url', metavar='SOURCE_URL',
                   help='SQLAlchemy URL of the Mistral database, e.g. '
                        'postgresql+psycopg2://user:pw@host/mistral')
    p.add_argument('--dry-run', action='store_true',
                   help='Only print what would be copied and the '
                        'conflicts; write nothing.')
    p.add_argument('--running', choices=runner.RUNNING_CHOICES,
                   default='refuse',
                   help='Executions still running in Mistral: refuse to '
                        'import (default), import them PAUSED (resumable '
                        'here) or import them as failed (ERROR).')
    p.add_argument('--batch-size', type=int, default=200,
                   help='Workflow executions per transaction (default '
                        '200).')
    p.add_argument('--no-progress', action='store_true',
                   help='No progress bar.')


def main(conf, out=sys.stdout, err=sys.stderr):
    """Run with the parsed command (``conf.command``); the exit status."""
    cmd = conf.command
    if not logging.getLogger().handlers:
        # The report says it all on the terminal; with a configured log
        # (log_file...) the record goes there too.
        logging.getLogger('mistral_clone').addHandler(logging.NullHandler())
    try:
        report = runner.Import(
            cmd.source_url, conf.database.connection, dry_run=cmd.dry_run,
            running=cmd.running, batch_size=cmd.batch_size,
            progress=not cmd.no_progress and err.isatty(), out=out).run()
    except runner.Refused as e:
        LOG.error('import-mistral refused: %s', e)
        print('import-mistral: %s' % e, file=err)
        return 2
    except KeyboardInterrupt:
        # Every batch is its own transaction: what was copied stays.
        print('import-mistral: interrupted; run the same command again to '
              'finish (it copies only what is not here yet).', file=err)
        return 130
    if report.blockers:
        return 2
    return 0 if report.ok else 1
