"""Schema migrations (alembic), driven programmatically.

The migration scripts live in the top-level ``alembic/`` directory of the
repository; ``mistral-clone-db-manage upgrade head`` and the embedded server
both call :func:`upgrade`.
"""

import os

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))), 'alembic')


def alembic_config(url):
    cfg = Config()
    cfg.set_main_option('script_location', SCRIPT_LOCATION)
    # '%' must be escaped for ConfigParser interpolation.
    cfg.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    return cfg


def upgrade(revision, url):
    command.upgrade(alembic_config(url), revision)


def downgrade(revision, url):
    command.downgrade(alembic_config(url), revision)


def current(url):
    command.current(alembic_config(url), verbose=True)


def revision(url, message, autogenerate=True):
    command.revision(alembic_config(url), message=message,
                     autogenerate=autogenerate)
