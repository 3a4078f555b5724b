"""A large JSON request body parsed once, its JSON fields set aside.

WSME reads a request body twice (``expose.wsexpose``'s check, then
``wsmeext``), each time holding at once the body's bytes, their text, the
text of each JSON-typed field (an execution's ``input`` is sent as JSON
text inside the JSON body) and that field's parsed value: for a 10 MB
execution input, ~75 MB of one request at its peak (bench/RESULTS.md,
issue 15), the largest moment of the 10 MB chains of bench/.

:func:`set_aside` (run before WSME reads a body of :data:`LARGE` bytes or
more) parses the body itself, lets go of its bytes, parses each of the
body type's :class:`~mistral_clone.api.types.JsonType` fields (their
texts are let go once all parsed), and hands WSME the same
body with a marker in place of each such field: its ``JsonType`` answers
a marker with the value parsed here (``api/types.py``). What WSME then
converts and checks, and every answer, error or not, is what it makes of
the original body: a body that does not parse, is not an object, or
whose JSON field is not what ``JsonType`` accepts, gets the answer it
always got: a body that is no JSON object is left as it came; one whose
field ``JsonType`` refuses, or that WSME refuses with its fields set
aside, is handed to WSME as the same JSON object (:func:`put_back`),
nothing set aside.
"""

import io
import json

import wsme.rest.json
import wsme.types

from mistral_clone.api import types
from mistral_clone.db import packing

# Bodies from this many bytes on are read here first.
LARGE = 256 << 10

_JSON = types.JsonType()


def set_aside(funcdef, request):
    """Parse a large JSON body of ``request`` for ``funcdef`` (a WSME
    function definition with a body type) and put a marked body in its
    place. Returns the fields' original values (for :func:`put_back`),
    or None when nothing was set aside: a small body, one that is not a
    JSON object, or a JSON field ``JsonType`` refuses."""
    environ = request.environ
    body_type = funcdef.body_type
    if body_type is None or not environ.get('webob.is_body_seekable') or \
            request.content_type not in wsme.rest.json.accept_content_types:
        return None
    body = request.body
    if len(body) < LARGE:
        return None
    try:
        # As WSME reads it: UTF-8 (api/hygiene.py refused anything else).
        data = packing.loads(body.decode('utf-8'))
    except (ValueError, RecursionError):
        return None
    if type(data) is not dict:
        return None
    # The body's bytes are let go (api/serving.py's buffer held them).
    environ['wsgi.input'] = io.BytesIO()
    del body
    aside = {}
    for attr in wsme.types.list_attributes(body_type):
        name = attr.name
        if isinstance(attr.datatype, types.JsonType) and \
                isinstance(data.get(name), (str, dict)):
            try:
                aside[name] = _JSON.validate(data[name])
            except Exception:  # noqa: WSME reads and refuses it
                aside = None
                break
    originals = None
    if aside:
        originals = {}
        for name, value in aside.items():
            originals[name] = data[name]
            data[name] = types.ASIDE_MARKER + name
        environ[types.ASIDE_KEY] = {types.ASIDE_MARKER + name: value
                                    for name, value in aside.items()}
        originals = (data, originals)
    del aside
    _put(environ, data)
    return originals


def put_back(request, originals):
    """The body as it came (the same JSON object), nothing set aside: for
    WSME to answer a body it refuses exactly as it always did (its
    messages may quote the whole body)."""
    data, values = originals
    data.update(values)
    let_go(request.environ)
    _put(request.environ, data)


def _put(environ, data):
    # The same JSON object WSME would have read (what it converts is what
    # it would have converted), as the request's body.
    body = json.dumps(data).encode('utf-8')
    environ['wsgi.input'] = io.BytesIO(body)
    environ['CONTENT_LENGTH'] = str(len(body))


def let_go(environ):
    """Forget what :func:`set_aside` set aside (the handler has it)."""
    environ.pop(types.ASIDE_KEY, None)
