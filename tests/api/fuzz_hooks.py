"""schemathesis hooks of the fuzz test (``tests/api/test_fuzz.py``).

The schemathesis CLI loads this module through ``SCHEMATHESIS_HOOKS``. It
keeps the fuzzer inside two fences, and nothing else:

* **Nothing leaves the machine.** schemathesis learns names from responses
  (``GET /actions`` lists ``std.http``, ``std.ssh``, ``std.email``): a run
  of any system action but the harmless ones is sent as ``std.echo``.
* **The definitions the test made before the run are not targeted.** The
  fuzzer may legitimately update or delete what it can name; a valid
  request naming one of them gets another name. Their survival then shows
  that no other request (malformed, partial, crashing) touched them.
"""

import json
import os

import schemathesis

SAFE_ACTIONS = frozenset(['std.noop', 'std.echo', 'std.fail',
                          'std.async_noop', 'std.test_dict'])
SYSTEM_ACTIONS = frozenset(json.loads(
    os.environ.get('MISTRAL_CLONE_FUZZ_SYSTEM_ACTIONS', '[]')))
PROTECTED = frozenset(json.loads(
    os.environ.get('MISTRAL_CLONE_FUZZ_PROTECTED', '[]')))
WRITES = ('PUT', 'DELETE', 'POST')


def _unprotected(value):
    if isinstance(value, str) and value in PROTECTED:
        return value + '-fuzz'
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    method = case.method.upper()
    body = case.body
    if case.path == '/action_executions' and method == 'POST' and \
            isinstance(body, dict):
        name = body.get('name')
        if isinstance(name, str) and name not in SAFE_ACTIONS and (
                name in SYSTEM_ACTIONS or name.startswith('std.')):
            body['name'] = 'std.echo'
    if method not in WRITES:
        return
    if case.path_parameters:
        for key, value in list(case.path_parameters.items()):
            case.path_parameters[key] = _unprotected(value)
    if isinstance(body, dict) and method == 'PUT':
        for key in ('name', 'id'):
            if key in body:
                body[key] = _unprotected(body[key])
    elif isinstance(body, str) and method == 'PUT':
        for name in PROTECTED:
            if name in body:
                case.body = body = body.replace(name, name + '-fuzz')
