"""XML responses (``Accept: application/xml`` or ``text/xml``), rendered by
WSME's XML renderer (``wsme.rest.xml``) as on the reference.

Handlers return JSON-ready data (dicts in the resource's attribute order,
lists, strings, numbers, booleans, ``None``) rather than WSME objects, so
this module gives WSME one return type for such data, :data:`json_ready`,
and teaches WSME's ``toxml`` to render it with WSME's own rules for the
types the reference's controllers declare:

* an object is an element with one child per attribute, in order (WSME's
  complex types);
* a list is an element with one ``<item>`` child per entry (``ArrayType``);
* ``None`` is an empty element with ``nil="true"``;
* a boolean is ``true`` / ``false``; anything else is its text.

The document element is ``<result>`` for results and ``<error>`` with
``faultcode``, ``faultstring`` and ``debuginfo`` for faults
(``wsme.rest.xml.encode_result`` / ``encode_error``).

XML request bodies are refused (415, :class:`RefuseXmlBodiesHook`).
"""

import xml.etree.ElementTree as et

from pecan import hooks
import webob.exc
import wsme.rest.xml
import wsme.types

# Offered in this order, as wsmeext.pecan does (so "application/json,
# text/xml" and "application/*" pick XML, like on the reference).
CONTENT_TYPES = ('application/xml', 'text/xml')


class JsonReadyType(wsme.types.UserType):
    """Return type of handlers whose result is JSON-ready data."""

    basetype = wsme.types.text
    name = 'json_ready'

    def tobasetype(self, value):
        return value


json_ready = JsonReadyType()
_json_ready_list = wsme.types.ArrayType(json_ready)


@wsme.rest.xml.toxml.when_object(json_ready)
def _json_ready_toxml(datatype, key, value):
    if isinstance(value, bool):
        return wsme.rest.xml.toxml(bool, key, value)
    if isinstance(value, (list, tuple)):
        return wsme.rest.xml.toxml(_json_ready_list, key, value)
    if isinstance(value, dict):
        el = et.Element(key)
        for name, item in value.items():
            el.append(wsme.rest.xml.toxml(json_ready, name, item))
        return el
    # None (nil="true") or a scalar (its text): WSME's generic rule.
    return wsme.rest.xml.toxml(wsme.types.text, key, value)


def encode_result(value):
    """``<result>...</result>`` for JSON-ready ``value`` (bytes)."""
    return wsme.rest.xml.encode_result(value, json_ready)


def encode_error(fault):
    """``<error>`` for a ``{"faultcode", "faultstring", "debuginfo"}``
    fault (bytes)."""
    return wsme.rest.xml.encode_error(None, fault)


def header(content_type):
    """The Content-Type header of an XML response (as the reference)."""
    return '%s; charset=UTF-8' % content_type


def is_xml_media_type(content_type):
    """``text/xml``, ``application/xml``, ``application/atom+xml``..."""
    media = (content_type or '').split(';', 1)[0].strip().lower()
    _, slash, subtype = media.partition('/')
    return bool(slash) and (subtype == 'xml' or subtype.endswith('+xml'))


class RefuseXmlBodiesHook(hooks.PecanHook):
    """XML is an answer format only: a request that declares an XML body
    gets 415, once its route and answer format are known (as on the
    reference; pecan words the fault for the client's ``Accept``)."""

    def before(self, state):
        if is_xml_media_type(state.request.headers.get('Content-Type')):
            raise webob.exc.HTTPUnsupportedMediaType(
                detail='XML request bodies are not supported.')
