"""Actions: the std.* catalogue, descriptors, ad-hoc actions and the runner.

Public API::

    # descriptors
    ActionDescriptor, PythonActionDescriptor, AdHocActionDescriptor,
    AdHocSpec, NO_DEFAULT, AdHocAction, descriptor_to_dict
    params_spec_from_callable(func), parse_params_spec(spec),
    check_params_against_spec(name, class_path, spec, input_dict)
    # system catalogue (std.* + `mistral.actions` entry-point plugins)
    system_actions(), find_system_action(name), instantiate(name, input),
    configure_plugins(...), reset_catalogue()
    # std.http egress policy
    configure_http_policy(denied_cidrs=, allowed_hosts=, default_timeout=,
                          max_response_size_bytes=), reset_http_policy()
    configure_javascript(implementation='auto', node_path=None)
    # executor side
    make_action_context(...), run_action(action, context, timeout=None),
    should_report(action, result), ensure_deliverable(result, action, id)

Action objects follow mistral-lib (``mistral_lib.actions.Action``,
``Result``, ``ActionContext``); custom actions written against it run
unchanged.
"""

from mistral_lib.actions import Action, Result  # noqa: F401
from mistral_lib.actions.context import ActionContext  # noqa: F401

from mistral_clone.actions.adhoc import (  # noqa: F401
    ADHOC_CLASS_PATH, NO_DEFAULT, AdHocAction, AdHocActionDescriptor,
    AdHocSpec, WAIT_SSH_DEFINITION)
from mistral_clone.actions.base import (  # noqa: F401
    ActionDescriptor, PythonActionDescriptor, as_result,
    check_params_against_spec, descriptor_to_dict, params_spec_from_callable,
    parse_params_spec)
from mistral_clone.actions.catalogue import (  # noqa: F401
    configure_plugins, find_system_action, instantiate, reset_catalogue,
    system_actions)
from mistral_clone.actions.http_policy import (  # noqa: F401
    configure_http_policy, get_http_policy, reset_http_policy)
from mistral_clone.actions.runner import (  # noqa: F401
    callback_url_for, ensure_deliverable, exception_result,
    make_action_context, run_action, should_report)
from mistral_clone.actions.std import configure_javascript  # noqa: F401
