"""Database errors as clients and operators may see them.

A driver's error text carries the SQL statement, and SQLAlchemy appends the
bound parameters — secrets included (an environment's ``variables``, a
workflow's input defaults). Neither may reach a client or an INFO log.

* The engine is created with ``hide_parameters=True`` (:mod:`.api`), so no
  error text anywhere holds parameter values.
* :func:`translate` turns a database error into one of our exceptions with
  a fixed, statement-free message and the right status: a unique violation
  409, a value the database refuses (too long, out of range, not valid
  text) 400, a lost or unreachable database 503, anything else 500.
* :func:`describe` is what the log line shows: the error class and the
  database's error code, never the statement.

Errors that come back from an engine over RPC (an oslo.messaging
``RemoteError``) are recognised by the exception class name they carry.
"""

from sqlalchemy import exc as sa_exc

from mistral_clone import exceptions as exc


class DatabaseUnavailable(exc.MistralCloneError):
    """The database could not be reached; the request may be retried."""
    http_code = 503


class DatabaseError(exc.MistralCloneError):
    http_code = 500


_MESSAGES = {
    'duplicate': 'Duplicate entry: %s already holds these values.',
    'integrity': 'Invalid input: the values break a database constraint '
                 '(%s).',
    'data': 'Invalid input: a value does not fit its database column (too '
            'long, out of range or not valid text).',
    'text': 'Invalid input: text holds a lone surrogate or a character the '
            'database cannot store.',
    'unavailable': 'The database is unavailable; try again later.',
    'internal': 'Internal database error; the server log has the details.',
}

# SQLAlchemy / DB-API class names, as a RemoteError names them.
_KIND_BY_NAME = {
    'IntegrityError': 'integrity', 'DataError': 'data',
    'OperationalError': 'unavailable', 'InterfaceError': 'unavailable',
    'DisconnectionError': 'unavailable', 'TimeoutError': 'unavailable',
    'DatabaseUnavailable': 'unavailable',
    'ProgrammingError': 'internal', 'InternalError': 'internal',
    'NotSupportedError': 'internal', 'DatabaseError': 'internal',
    'DBAPIError': 'internal', 'StatementError': 'internal',
}

_UNIQUE_CODES = ('23505', 1062, 1586, 'UNIQUE constraint failed')


def _orig(error):
    return getattr(error, 'orig', None)


def _code(error):
    """The database's own error code (SQLSTATE, MySQL errno), if any."""
    orig = _orig(error)
    code = getattr(orig, 'pgcode', None)
    if code:
        return code
    args = getattr(orig, 'args', ())
    if args and isinstance(args[0], int):
        return args[0]
    return None


def _constraint(error):
    orig = _orig(error)
    diag = getattr(orig, 'diag', None)
    name = getattr(diag, 'constraint_name', None)
    if name:
        return 'the unique constraint %s' % name
    text = str(orig or '')
    if text.startswith('UNIQUE constraint failed:'):
        # SQLite names the columns, not the values.
        return 'the unique columns %s' % text.split(':', 1)[1].strip()
    return 'a stored item'


def _is_unique_violation(error):
    code = _code(error)
    return code in _UNIQUE_CODES or str(_orig(error) or '').startswith(
        'UNIQUE constraint failed')


def _kind(error):
    if isinstance(error, UnicodeEncodeError):
        return 'text'
    if isinstance(error, sa_exc.IntegrityError):
        return 'duplicate' if _is_unique_violation(error) else 'integrity'
    if isinstance(error, sa_exc.DataError):
        return 'data'
    if isinstance(error, sa_exc.StatementError) and isinstance(
            _orig(error), (ValueError, UnicodeEncodeError)):
        # Raised by the driver before sending (e.g. psycopg2 on a NUL).
        return 'text'
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError,
                          sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return 'unavailable'
    if isinstance(error, sa_exc.SQLAlchemyError):
        return 'internal'
    remote = getattr(error, 'exc_type', None)
    if remote is not None and type(error).__name__ == 'RemoteError':
        return _KIND_BY_NAME.get(remote)
    return None


def translate(error):
    """Our exception for a database ``error``, or None if it is not one.

    Only surrogates raise :class:`UnicodeEncodeError` on the way to the
    database, so that one is treated as a database error too.
    """
    kind = _kind(error)
    if kind is None:
        return None
    if kind == 'duplicate':
        return exc.DBDuplicateEntryError(
            _MESSAGES['duplicate'] % _constraint(error))
    if kind == 'integrity':
        return exc.InputException(_MESSAGES['integrity'] % (
            _code(error) or 'constraint'))
    if kind in ('data', 'text'):
        return exc.InputException(_MESSAGES[kind])
    if kind == 'unavailable':
        return DatabaseUnavailable(_MESSAGES['unavailable'])
    return DatabaseError(_MESSAGES['internal'])


def is_unavailable(error):
    """Whether ``error`` says the database could not be reached (ours, or
    a driver's error that :func:`translate` reads so)."""
    return isinstance(error, DatabaseUnavailable) or isinstance(
        translate(error), DatabaseUnavailable)


def describe(error):
    """A log-safe one-liner: class and database error code only."""
    name = getattr(error, 'exc_type', None) or type(error).__name__
    orig = _orig(error)
    parts = [name]
    if orig is not None:
        parts.append(type(orig).__name__)
    code = _code(error)
    if code is not None:
        parts.append('code %s' % code)
    return ' / '.join(parts)
