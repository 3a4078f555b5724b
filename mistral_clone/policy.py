"""Access control: oslo.policy with Mistral's rule names and defaults.

Every API handler calls :func:`enforce` with its rule (``workflows:create``,
``executions:list:all_projects``, ...) before doing anything. Defaults mirror
the reference: ordinary operations are ``admin_or_owner`` (the target is the
caller's own project, so any authenticated project member passes), listing
other projects' resources (``*:list:all_projects``), making definitions
public (``*:publicize``) and the
``/code_sources`` and ``/dynamic_actions`` APIs are ``admin_only``.

The rules, with their defaults and documentation, are in
:mod:`mistral_clone.policies`. Operators override any rule in
``[oslo_policy] policy_file`` (``policy.yaml`` found next to the config
file; ``etc/policy.yaml.sample`` lists every rule, commented out). A denied
call answers 403 with the reference's text, ``Operation forbidden
(insufficient permissions)``.

With ``[pecan] auth_enable = False`` the context is the non-admin
``<default-project>``: policies still apply, which is why ``all_projects``
and ``scope=public`` answer 403 there, exactly as on the reference.
"""

import threading
import time

from oslo_policy import policy as oslo_policy

from mistral_clone import config
from mistral_clone import context
from mistral_clone import exceptions as exc
from mistral_clone import policies

FORBIDDEN = 'Operation forbidden (insufficient permissions)'


def list_rules():
    """Every rule with its default (defined in :mod:`policies`)."""
    return policies.list_rules()


RULE_NAMES = frozenset(r.name for r in list_rules())

_lock = threading.Lock()
_enforcer = None

# oslo.policy costs ~0.4 ms per check (it searches for the policy file and
# inspects every check's signature each time). Decisions are a pure function
# of (rule, target, credentials) for a given rule set, so they are memoised;
# the memo is dropped every RELOAD_INTERVAL seconds, which is also how soon
# an edited policy file takes effect.
RELOAD_INTERVAL = 1.0
_decisions = {}
_decisions_since = [0.0]
_MAX_DECISIONS = 10000


def get_enforcer(conf=None):
    """The process's enforcer (also the ``oslo.policy.enforcer`` entry
    point of the oslopolicy-* tools, which call it without arguments)."""
    global _enforcer
    if conf is None and _enforcer is None and not config.CONF.config_file \
            and getattr(config.CONF, '_args', None) is None:
        config.parse_args([])
    if _enforcer is None:
        with _lock:
            if _enforcer is None:
                enforcer = oslo_policy.Enforcer(conf or config.CONF)
                enforcer.register_defaults(list_rules())
                _enforcer = enforcer
    return _enforcer


def reset():
    """Forget the enforcer (tests, or after changing the config)."""
    global _enforcer
    with _lock:
        if _enforcer is not None:
            _enforcer.clear()
        _enforcer = None
        _decisions.clear()


def _freeze(values):
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                        for k, v in values.items()))


def _decide(rule, ctx, target=None, creds=None):
    now = time.monotonic()
    if now - _decisions_since[0] > RELOAD_INTERVAL or \
            len(_decisions) > _MAX_DECISIONS:
        _decisions.clear()
        _decisions_since[0] = now
    # Everything the credentials and default target are made of.
    key = (rule, ctx.project_id, ctx.user_id, tuple(ctx.roles),
           ctx.is_admin, ctx.user_domain_id, ctx.project_domain_id,
           creds is not None, _freeze(target) if target else None)
    allowed = _decisions.get(key)
    if allowed is None:
        allowed = bool(get_enforcer().enforce(
            rule, _target(ctx, target),
            creds if creds is not None else ctx.to_policy_values()))
        _decisions[key] = allowed
    return allowed


def _target(ctx, target):
    values = {'project_id': ctx.project_id, 'user_id': ctx.user_id}
    values.update(target or {})
    return values


def enforce(rule, ctx=None, target=None):
    """Raise a 403 (``NotAllowedException``) unless ``rule`` allows it."""
    if rule not in RULE_NAMES:
        raise ValueError('Unknown policy rule %s' % rule)
    ctx = ctx or context.ctx()
    if not _decide(rule, ctx, target):
        raise exc.NotAllowedException(FORBIDDEN)


def check(rule, ctx=None, target=None):
    """Whether ``rule`` allows the call (no exception)."""
    try:
        enforce(rule, ctx, target)
    except exc.NotAllowedException:
        return False
    return True


def check_is_admin(ctx):
    creds = ctx.to_policy_values()
    creds['is_admin'] = False
    return _decide('context_is_admin', ctx, creds=creds)


def enforce_scope(collection, scope):
    """Creating/updating with ``scope=public`` needs
    ``<collection>:publicize``."""
    if scope == 'public':
        enforce('%s:publicize' % collection)
