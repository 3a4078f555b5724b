"""WSME user types shared by the resource bodies and query parameters."""

import json
import uuid as uuid_lib

import wsme.exc
from wsme import types as wtypes

from mistral_clone.db import packing
from mistral_clone.db import query


# A large request body's JSON fields are parsed before WSME reads the body
# (api/big_bodies.py), which then holds a marker in their place: the
# request's environ maps each marker to its parsed value. A marker starts
# with a NUL character, which no client's JSON reaches WSME with
# (api/hygiene.py refuses it).
ASIDE_KEY = 'mistral_clone.parsed_aside'
ASIDE_MARKER = '\x00parsed aside: '
_MISSING = object()


def _set_aside(marker):
    """The value this request set aside for ``marker``, or _MISSING."""
    import pecan
    try:
        return pecan.request.environ[ASIDE_KEY][marker]
    except Exception:  # noqa: no request, or nothing set aside
        return _MISSING


class JsonType(wtypes.UserType):
    """A JSON object given either as an object or as JSON text.

    As on the reference: an object (or null) is taken as it is; text is
    parsed as JSON, and must give an object (or null), else Mistral's
    ``JsonType field value must be a dictionary [actual=...]``; any other
    JSON value (a number, a list, a boolean) is not JSON *text*. Both kinds
    of parse error are ValueErrors, which WSME reports against the whole
    body: ``Invalid input for field/attribute <arg>. Value: '...'. <why>``.
    """

    basetype = wtypes.text
    name = 'json'

    def validate(self, value):
        if value is None or isinstance(value, dict):
            return value
        if type(value) is str and value.startswith(ASIDE_MARKER):
            parsed = _set_aside(value)
            if parsed is not _MISSING:
                return parsed
        if not isinstance(value, (str, bytes)):
            # ValueError: WSME reports it against the whole body.
            raise ValueError('the JSON object must be str, bytes or '
                             'bytearray, not %s' % type(value).__name__)
        value = (packing.loads(value) if len(value) >= packing.PACK_FROM_CHARS
                 else json.loads(value))
        if value is not None and not isinstance(value, dict):
            raise wsme.exc.ClientSideError(
                'JsonType field value must be a dictionary [actual=%s]'
                % (value,))
        return value

    def frombasetype(self, value):
        return self.validate(value)


def check_uuid(raw):
    """The uuid a uuid-typed parameter names, as the reference reads it.

    The value may carry a list-filter operator (``eq:<uuid>``,
    ``neq:<uuid>``...); what follows it must be one uuid (``in:``/``nin:``
    give a list, which is refused). Raises ValueError, which WSME reports as
    ``Invalid input for field/attribute <arg>. Value: '<raw>'. unable to
    convert to uuid. Error: Expected a uuid but received <value>.``
    """
    _op, value = query.parse_filter_value(raw)
    try:
        uuid_lib.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise ValueError('Expected a uuid but received %s.' % (value,))
    return value


class UuidType(wtypes.UserType):
    """A uuid naming one row: ``marker`` and ids in paths (the bare uuid,
    any operator prefix dropped)."""

    basetype = wtypes.text
    name = 'uuid'

    @staticmethod
    def validate(value):
        if value is None:
            return None
        return check_uuid(value)

    def frombasetype(self, value):
        return self.validate(value)


class UuidFilterType(UuidType):
    """A list filter on a uuid column (``workflow_id``, ``project_id``...):
    checked like :class:`UuidType`, passed on with its operator."""

    # WSME names the type in its messages ("unable to convert to uuid").
    name = 'uuid'

    @staticmethod
    def validate(value):
        if value is None:
            return None
        check_uuid(value)
        return value


class ReadOnlyType(wtypes.UserType):
    """An attribute a client may not set (a body's ``project_id``): any
    value but null is refused with ``Cannot set read only field.``"""

    basetype = wtypes.text
    name = 'readonly'

    def __init__(self, attribute):
        self.attribute = attribute

    def validate(self, value):
        raise wsme.exc.InvalidInput(self.attribute, value,
                                    'Cannot set read only field.')

    def frombasetype(self, value):
        return self.validate(value)


jsontype = JsonType()
uuid = UuidType()
uuid_filter = UuidFilterType()
