"""Keep secrets out of log output.

:class:`MaskingFilter` runs every log record through
``oslo_utils.strutils.mask_password``, which replaces the values of
``password``, ``token``, ``auth_token``, ``secret`` and similar keys
(``"password": "..."``, ``'auth_token': '...'``, ``password=...``) with
``***``. It is attached to the handlers of the root logger, so it covers
everything: our own request logs, SQLAlchemy's echo of row values at DEBUG
(workflow inputs and environments), third-party libraries. The cost is a
substring scan per record: ``mask_password`` returns at once when no
sensitive key appears in the message.
"""

import logging

from oslo_utils import strutils


class MaskingFilter(logging.Filter):

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken record: let logging report it
            return True
        masked = strutils.mask_password(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def install(logger=None):
    """Attach one MaskingFilter to every handler of ``logger`` (root)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
