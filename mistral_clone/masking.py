"""Keep secrets out of log output.

:func:`mask` hides, in any text:

- the values of ``password``, ``token``, ``auth_token``, ``secret`` and
  similar keys (``"password": "..."``, ``'auth_token': '...'``,
  ``password=...``) — ``oslo_utils.strutils.mask_password``;
- the password of credentials in URLs (``rabbit://user:***@host``,
  ``postgresql://mistral:***@db/...``, several hosts too);
- the password of an ``auth`` pair, as std.http takes it
  (``"auth": ["user", "***"]``, ``'auth': ('user', '***')``);
- the SQL statement, its bound parameters and the driver's ``DETAIL`` line
  (which quotes the row's values) in the text of a database error
  (SQLAlchemy's ``[SQL: ...]`` / ``[parameters: ...]`` blocks): a traceback
  logged by any service — an engine that met a database error, say — names
  the error and its code, never the statement or the values.

:class:`MaskingFormatter` runs every formatted log line through
:func:`mask`, message and traceback alike, at every level. :func:`install`
wraps the formatter of each handler of the root logger with it, so it
covers everything: our own request logs, SQLAlchemy's echo of row values at
DEBUG (workflow inputs and environments), third-party libraries. The cost
is a few us per line: ``mask_password`` and our regular expressions only run
when a candidate (one of its keys, ``://`` with an ``@``, ``auth``) is in
the text.
"""

import logging
import re

from oslo_utils import strutils

MASK = '***'

# scheme://netloc: the netloc may hold several "user:password@host" parts
# separated by commas (oslo.messaging's failover URLs).
_URL = re.compile(r'(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)'
                  r'(?P<netloc>[^/\s\'"?#]*)')
_CREDENTIALS = re.compile(r'(?P<user>^|(?<=,))(?P<name>[^:@,]*):'
                          r'(?P<password>[^@,]*)@')
# "auth": ["user", "password"] / 'auth': ('user', 'password') /
# auth=['user', 'password'] / YAML's auth: [user, password] — keep the
# user, hide the password.
_AUTH_PAIR = re.compile(
    r'''(?P<head>["']?\bauth["']?\s*[:=]\s*[\[(]\s*(?P<q1>["']?)'''
    r'''[^,\]\)\n]*?(?P=q1)\s*,\s*(?P<q2>["']?))'''
    r'''[^\]\)\n]*?(?P<tail>(?P=q2)\s*[\])])''')
# YAML's block list:  auth:\n  - user\n  - password
_AUTH_BLOCK = re.compile(r'(?P<head>\bauth:[ \t]*\n[ \t]*-[^\n]*\n'
                         r'[ \t]*-[ \t]*)[^\n]+')


# SQLAlchemy's StatementError text: "...\n[SQL: stmt]\n[parameters: ...]\n"
# (the statement may span lines; it ends at the "]" closing its line).
_SQL_BLOCK = re.compile(r'\[(?:SQL|parameters): .*?\](?=\n|$)', re.S)
# PostgreSQL's "DETAIL:  Key (name)=(value) already exists." and friends.
_SQL_DETAIL = re.compile(r'^DETAIL: .*$', re.M)


def mask_sql(text):
    """``text`` without the statements, parameters and value details of
    database errors."""
    if '[SQL: ' not in text and '[parameters: ' not in text:
        return text
    text = _SQL_BLOCK.sub(
        lambda m: ('[SQL statement hidden]' if m.group(0).startswith('[SQL')
                   else '[parameters hidden]'), text)
    return _SQL_DETAIL.sub('DETAIL: (hidden)', text)


def _mask_netloc(match):
    netloc = match.group('netloc')
    if '@' not in netloc:
        return match.group(0)
    masked = _CREDENTIALS.sub(
        lambda m: '%s:%s@' % (m.group('name'), MASK), netloc)
    return match.group('scheme') + masked


def mask_url(text):
    """Hide the passwords of URL credentials in ``text``."""
    if '://' not in text or '@' not in text:
        return text
    return _URL.sub(_mask_netloc, text)


def mask(text):
    """``text`` with every secret we can recognise replaced by ``***``."""
    if not text:
        return text
    # URLs first: a password in a URL may contain a key name that
    # mask_password would cut in the middle.
    text = mask_sql(mask_url(text))
    if 'auth' in text:
        text = _AUTH_PAIR.sub(
            lambda m: m.group('head') + MASK + m.group('tail'), text)
        text = _AUTH_BLOCK.sub(lambda m: m.group('head') + MASK, text)
    if _KEYS is not None:
        # mask_password lowers the whole text once per key it knows (~35)
        # to find none in most lines: look for them in one lowered copy.
        lowered = text.lower()
        if not _may_hold_key(lowered):
            return text
        if not any(key in lowered for key in _KEYS):
            return text
    return strutils.mask_password(text, secret=MASK)


# The keys mask_password looks for (None: unknown in this oslo.utils
# version: it is always called).
_KEYS = getattr(strutils, '_SANITIZE_KEYS', None)


def _has_needle(lowered):
    """Whether ``lowered`` holds a part of one of _KEYS: a text holding
    none of these holds no key. Looking for the 35 keys one by one took
    5 us of the ~7 us of mask() per trace line (bench/log_cpu.py, issue
    14); these few take ~0.7 us (written out: a loop over them, or a
    regular expression, takes ~2.4 us)."""
    return ('pass' in lowered or 'token' in lowered or 'secret' in lowered
            or 'key' in lowered or 'pswd' in lowered or 'kek' in lowered
            or 'fsid' in lowered or 'cookie' in lowered
            or 'credential' in lowered or 'configdrive' in lowered
            or 'swifthash' in lowered)


def _always(lowered):
    return True


# A version of oslo.utils with a key that _has_needle misses: every key is
# looked for.
_may_hold_key = _has_needle if _KEYS is not None and all(
    _has_needle(key.lower()) for key in _KEYS) else _always


class MaskingFormatter(logging.Formatter):
    """Masks what another formatter produced: the message, the traceback
    and the error summary oslo.log appends (an exception's text may quote
    SQL parameters, URLs or request bodies)."""

    def __init__(self, inner=None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record):
        return mask(self.inner.format(record))

    def __getattr__(self, name):  # the wrapped formatter's own settings
        return getattr(self.inner, name)


def install(logger=None):
    """Wrap the formatter of every handler of ``logger`` (root) once."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not isinstance(handler.formatter, MaskingFormatter):
            handler.setFormatter(MaskingFormatter(handler.formatter))
