"""WSME user types shared by the resource bodies and query parameters."""

import json
import uuid as uuid_lib

import wsme.exc
from wsme import types as wtypes


class JsonType(wtypes.UserType):
    """A JSON object given either as an object or as JSON text.

    Non-JSON text raises ValueError, which WSME reports as ``Invalid input for
    field/attribute <arg>. ...``; JSON that is not an object is refused with
    Mistral's ``JsonType field value must be a dictionary [actual=...]``.
    """

    basetype = wtypes.text
    name = 'json'

    def validate(self, value):
        if value is None:
            return None
        if isinstance(value, (str, bytes)):
            value = json.loads(value) if value else {}
        if not isinstance(value, dict):
            raise wsme.exc.ClientSideError(
                'JsonType field value must be a dictionary [actual=%s]'
                % (value,))
        return value

    def frombasetype(self, value):
        return self.validate(value)


class UuidType(wtypes.UserType):
    """A UUID string (query parameters such as ``marker``)."""

    basetype = wtypes.text
    name = 'uuid'

    @staticmethod
    def validate(value):
        if value is None:
            return None
        try:
            uuid_lib.UUID(str(value))
        except (ValueError, TypeError, AttributeError):
            raise ValueError('Expected a uuid but received %s.' % value)
        return value

    def frombasetype(self, value):
        return self.validate(value)


class AnyType(wtypes.UserType):
    """Any JSON value, as it is (e.g. an action execution's ``output``, the
    JSON-ready result of a handler)."""

    basetype = wtypes.text
    name = 'any'


jsontype = JsonType()
uuid = UuidType()
anytype = AnyType()
