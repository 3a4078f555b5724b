"""The system action catalogue: std.* plus plugins from entry points.

``system_actions()`` is what ``GET /v2/actions`` shows before any ad-hoc
action of the database; ``find_system_action(name)`` is the first step of
every action lookup. Plugins (group ``mistral.actions``, ``name =
module:Class``) are loaded once per process; a broken plugin is logged and
skipped. Built-in names always win over plugins.
"""

import logging
import threading
from importlib import metadata

from mistral_clone import exceptions as exc
from mistral_clone.actions import adhoc
from mistral_clone.actions import base
from mistral_clone.actions import std

LOG = logging.getLogger(__name__)

ENTRY_POINT_GROUP = 'mistral.actions'

# Descriptions are exactly what the reference's API shows (wire format).
_GENERIC_ACTION_DOC = (
    "Action.\n\n"
    "Action is a means in Mistral to perform some useful work associated "
    "with\n"
    "a workflow during its execution. Every workflow task is configured with\n"
    "an action and when the task runs it eventually delegates to the action.\n"
    "When it happens task parameters get evaluated (calculating expressions,\n"
    "if any) and are treated as action parameters. So in a regular general\n"
    "purpose languages terminology action is a method declaration and task "
    "is\n"
    "a method call.\n\n"
    "Base action class initializer doesn't have arguments. However, concrete\n"
    "action classes may have any number of parameters defining action "
    "behavior.\n"
    "These parameters must correspond to parameters declared in action\n"
    "specification (e.g. using DSL or others).")

_HTTP_DOC = (
    "HTTP action.\n\n"
    ":param url: URL for the new HTTP request.\n"
    ":param method: (optional, 'GET' by default) method for the new HTTP\n"
    "    request.\n"
    ":param params: (optional) Dictionary or bytes to be sent in the\n"
    "    query string for the HTTP request.\n"
    ":param body: (optional) Dictionary, bytes, or file-like object to send\n"
    "    in the body of the HTTP request.\n"
    ":param json: (optional) A JSON serializable Python object to send\n"
    "    in the body of the HTTP request.\n"
    ":param headers: (optional) Dictionary of HTTP Headers to send with\n"
    "    the HTTP request.\n"
    ":param cookies: (optional) Dict or CookieJar object to send with\n"
    "    the HTTP request.\n"
    ":param auth: (optional) Auth tuple to enable Basic/Digest/Custom\n"
    "    HTTP Auth.\n"
    ":param timeout: (optional) Float describing the timeout of the request\n"
    "    in seconds.\n"
    ":param allow_redirects: (optional) Boolean. Set to True if "
    "POST/PUT/DELETE\n"
    "    redirect following is allowed.\n"
    ":param proxies: (optional) Dictionary mapping protocol to the URL of\n"
    "    the proxy.\n"
    ":param verify: (optional) if ``True``, the SSL cert will be verified.\n"
    "    A CA_BUNDLE path can also be provided.")

_SSH_DOC = (
    "Runs Secure Shell (SSH) command on provided single or multiple hosts.\n\n"
    "It is allowed to provide either a single host or a list of hosts in\n"
    "action parameter 'host'. In case of a single host the action result\n"
    "will be a single value, otherwise a list of results provided in the\n"
    "same order as provided hosts.")

_JS_DOC = "Evaluates given JavaScript.\n\n    "

STD_ACTIONS = (
    ('std.async_noop', std.AsyncNoOpAction,
     'Asynchronous no-operation action.'),
    ('std.echo', std.EchoAction,
     "Echo action.\n\n"
     "This action just returns a configured value as a result without doing\n"
     "anything else. The value of such action implementation is that it\n"
     "can be used in development (for testing), demonstration and designing\n"
     "of workflows themselves where echo action can play the role of "
     "temporary\nstub."),
    ('std.email', std.SendEmailAction, _GENERIC_ACTION_DOC),
    ('std.fail', std.FailAction,
     "'Always fail' action.\n\n"
     "If you pass the `error_data` parameter, this action will be failed and\n"
     "return this data as error data. Otherwise, the action just throws an\n"
     "instance of ActionException.\n\n"
     "This behavior is useful in a number of cases, especially if we need to\n"
     "test a scenario where some of workflow tasks fail.\n\n"
     ":param error_data: Action will be failed with this data"),
    ('std.http', std.HTTPAction, _HTTP_DOC),
    ('std.javascript', std.JavaScriptAction, _JS_DOC),
    ('std.js', std.JavaScriptAction, _JS_DOC),
    ('std.mistral_http', std.MistralHTTPAction, _HTTP_DOC),
    ('std.noop', std.NoOpAction,
     "No-operation action.\n\n"
     "This action does nothing. It can be mostly useful for testing and\n"
     "debugging purposes."),
    ('std.sleep', std.SleepAction,
     "Sleep action.\n\n"
     "This action sleeps for given amount of seconds. It can be mostly "
     "useful\n"
     "for testing and debugging purposes."),
    ('std.ssh', std.SSHAction, _SSH_DOC),
    ('std.ssh_proxied', std.SSHProxiedAction, _SSH_DOC),
    ('std.test_dict', std.TestDictAction, 'Generates test dict.'),
)

#: the reference keeps std.wait_ssh as a public ad-hoc action of its DB
WAIT_SSH_PROJECT_ID = '<default-project>'

_settings = {
    'load_action_plugins': True,
    'only_builtin_actions': False,
    'allowlist': (),
    'denylist': (),
}
_lock = threading.Lock()
_cache = None  # {name: descriptor}


def configure_plugins(load_action_plugins=True, only_builtin_actions=False,
                      allowlist=(), denylist=()):
    """Apply ``[legacy_action_provider]`` options; resets the catalogue."""
    _settings.update(
        load_action_plugins=load_action_plugins,
        only_builtin_actions=only_builtin_actions,
        allowlist=tuple(allowlist or ()),
        denylist=tuple(denylist or ()),
    )
    reset_catalogue()


def reset_catalogue():
    """Forget the loaded catalogue (next call reloads plugins)."""
    global _cache
    with _lock:
        _cache = None


def _builtin_descriptors():
    found = {}
    for name, cls, description in STD_ACTIONS:
        found[name] = base.PythonActionDescriptor(
            name, cls, description=description, is_system=True)
    found['std.wait_ssh'] = adhoc.AdHocActionDescriptor(
        adhoc.WAIT_SSH_SPEC, namespace='', project_id=WAIT_SSH_PROJECT_ID,
        find_base=lambda name, namespace: find_system_action(name),
        definition=adhoc.WAIT_SSH_DEFINITION, scope='public',
        is_system=True)
    return found


def _entry_points():
    try:
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except TypeError:  # very old importlib.metadata
        return list(metadata.entry_points().get(ENTRY_POINT_GROUP, ()))


def _allowed(name):
    allow, deny = _settings['allowlist'], _settings['denylist']
    if allow:
        return name in allow
    return name not in deny


def _plugin_descriptors(taken):
    found = {}
    for ep in _entry_points():
        name = ep.name
        if name in taken or name in found:
            LOG.warning('Action plugin %s (%s) ignored: name already used',
                        name, ep.value)
            continue
        if not _allowed(name):
            continue
        try:
            cls = ep.load()
            if not isinstance(cls, type):
                raise TypeError('%r is not a class' % (cls,))
            found[name] = base.PythonActionDescriptor(name, cls,
                                                      is_system=True)
        except Exception:
            LOG.exception('Failed to load action plugin %s (%s); skipped',
                          name, ep.value)
    return found


def _catalogue():
    global _cache
    cache = _cache
    if cache is not None:
        return cache
    with _lock:
        if _cache is None:
            found = _builtin_descriptors()
            if (_settings['load_action_plugins'] and
                    not _settings['only_builtin_actions']):
                found.update(_plugin_descriptors(set(found)))
            _cache = found
        return _cache


def system_actions():
    """All system descriptors, sorted by name."""
    cat = _catalogue()
    return [cat[name] for name in sorted(cat)]


def find_system_action(name):
    """The system descriptor called ``name`` or None."""
    return _catalogue().get(name)


def instantiate(name, action_input):
    """An instance of the system action ``name`` (what executors run: the
    engine resolved ad-hoc actions to their python base already)."""
    desc = find_system_action(name)
    if desc is None:
        raise exc.InvalidActionException(
            'Failed to find action [action_name=%s, namespace=]' % name)
    return desc.instantiate(action_input or {}, None)
