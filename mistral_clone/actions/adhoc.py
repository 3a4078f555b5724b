"""Ad-hoc actions: a declared input, a base action and input/output mappings.

An ad-hoc descriptor wraps a language spec (``lang.get_action_spec``) or the
small ``AdHocSpec`` below. Its base is found through a ``find_base(name,
namespace)`` callable supplied by whoever builds the descriptor (system
catalogue plus the ad-hoc actions of the database), so chains
``adhoc -> adhoc -> std.*`` resolve lazily, at instantiation time, exactly
like the reference (a missing base is only noticed when the action runs).
"""

import copy
import json

from mistral_clone import exceptions as exc
from mistral_clone import expressions
from mistral_clone.actions import base as base_mod
from mistral_clone.lang.inline import parse_inline_params
# Marks a required input (AdHocSpec.input and lang's specs alike).
from mistral_clone.lang.specs import NO_DEFAULT

ADHOC_CLASS_PATH = 'mistral.actions.adhoc.AdHocAction'


class AdHocSpec(object):
    """Minimal ad-hoc action spec (same attributes as lang's spec)."""

    def __init__(self, name, base, base_input=None, input=None, output=None,
                 description=None, tags=None):
        self.name = name
        self.base = base
        self.base_input = base_input
        self.input = input or []
        self.output = output
        self.description = description
        self.tags = tags


def input_pairs(spec_input):
    """Normalise a declared input to ``[(name, default | NO_DEFAULT)]``.

    Accepts lang's pairs, or the raw YAML forms (``["a", {"b": 1}]`` / dict).
    """
    if not spec_input:
        return []
    if isinstance(spec_input, dict):
        return list(spec_input.items())
    pairs = []
    for item in spec_input:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            pairs.append((item[0], item[1]))
        elif isinstance(item, dict):
            pairs.extend(item.items())
        else:
            pairs.append((item, NO_DEFAULT))
    return pairs


def params_spec_from_input(spec_input):
    parts = []
    for name, default in input_pairs(spec_input):
        if default is NO_DEFAULT:
            parts.append(str(name))
        else:
            parts.append('%s=%s' % (name, json.dumps(default)))
    return ', '.join(parts)


def split_base(base):
    """``"std.echo output=1"`` -> ``("std.echo", {"output": 1})``."""
    base = (base or '').strip()
    if ' ' not in base:
        return base, {}
    name, params = parse_inline_params(base)
    return name, dict(params or {})


class AdHocAction(object):
    """The runnable object of an ad-hoc action: delegates to its base."""

    def __init__(self, base_action, name=None):
        self.base_action = base_action
        self.adhoc_name = name

    def run(self, context):
        return self.base_action.run(context)

    def is_sync(self):
        return self.base_action.is_sync()

    def __repr__(self):
        return '<%s object at 0x%x>' % (ADHOC_CLASS_PATH, id(self))


class AdHocActionDescriptor(base_mod.ActionDescriptor):
    kind = 'adhoc'
    class_path = ADHOC_CLASS_PATH

    def __init__(self, spec, namespace='', project_id=None, find_base=None,
                 definition=None, scope='private', is_system=False,
                 id=None, created_at=None, updated_at=None):
        super().__init__(
            spec.name, getattr(spec, 'description', None),
            params_spec_from_input(getattr(spec, 'input', None)),
            namespace, project_id, scope,
            getattr(spec, 'tags', None))
        self.spec = spec
        self.find_base = find_base
        self.definition = (definition if definition is not None
                           else getattr(spec, 'definition', '') or '')
        self.is_system = is_system
        self.id = id
        self.created_at = created_at
        self.updated_at = updated_at

    # -- chain ----------------------------------------------------------------

    @property
    def base_name(self):
        return split_base(self.spec.base)[0]

    def effective_base_input(self):
        """Inline base params overlaid by explicit base-input (which wins).

        Inline params come either still inside ``base`` or already split by
        lang into ``base_params``.
        """
        _name, inline = split_base(self.spec.base)
        merged = dict(inline)
        merged.update(getattr(self.spec, 'base_params', None) or {})
        merged.update(self.spec.base_input or {})
        return merged

    def resolve_chain(self):
        """``([self, adhoc base, ...], final python descriptor)``."""
        chain = [self]
        seen = {(self.name, self.namespace)}
        current = self
        while True:
            base_name = current.base_name
            base = (current.find_base(base_name, current.namespace)
                    if current.find_base else None)
            if base is None:
                raise exc.ActionException(
                    'Failed to find base action [action_name=%s namespace=%s] '
                    % (base_name, current.namespace))
            if not isinstance(base, AdHocActionDescriptor):
                return chain, base
            key = (base.name, base.namespace)
            if key in seen:
                raise exc.ActionException(
                    'Found a cycle in an ad-hoc action chain '
                    '[action_name=%s, duplicate_action_name=%s]'
                    % (self.name, base.name))
            seen.add(key)
            chain.append(base)
            current = base

    def _with_defaults(self, values):
        filled = dict(values)
        for name, default in input_pairs(self.spec.input):
            if name not in filled and default is not NO_DEFAULT:
                filled[name] = copy.deepcopy(default)
        return filled

    # -- descriptor API -------------------------------------------------------

    def input_with_defaults(self, input_dict):
        """What was given plus the defaults of this action's declared
        input (``input: [a, b: 2]``), as the reference records it."""
        return self._with_defaults(input_dict or {})

    def base_call(self, input_dict, wf_ctx=None):
        """``(python descriptor, its input)`` this action boils down to:
        defaults filled and ``base-input`` evaluated at every chain level."""
        chain, python_desc = self.resolve_chain()
        values = dict(input_dict or {})
        for level in chain:
            values = level._with_defaults(values)
            base_input = level.effective_base_input()
            if base_input:
                values = expressions.evaluate_recursively(
                    base_input,
                    expressions.ContextView(values, wf_ctx or {}))
            else:
                values = {}
        return python_desc, values

    def instantiate(self, input_dict, wf_ctx=None):
        python_desc, values = self.base_call(input_dict, wf_ctx)
        return AdHocAction(python_desc.instantiate(values, wf_ctx), self.name)

    def post_process_result(self, result):
        result = base_mod.as_result(result)
        try:
            chain, _ = self.resolve_chain()
        except exc.ActionException:
            chain = [self]
        for level in reversed(chain):  # innermost transformer first
            result = level._transform_result(result)
        return result

    def _transform_result(self, result):
        output = self.spec.output
        if output is None or not result.is_success():
            return result
        if not result.data:
            # Reference quirk: no evaluation on falsy data, spec as is.
            return type(result)(data=copy.deepcopy(output))
        return type(result)(data=expressions.evaluate_recursively(
            output, result.data))

    def to_dict(self):
        d = super().to_dict()
        d['base'] = self.base_name
        d['id'] = self.id
        return d

    def __repr__(self):
        return 'AdHoc action [name=%s, definition=%s]' % (
            self.name, self.definition)


# --- std.wait_ssh: an ad-hoc action the reference ships in its database ------

WAIT_SSH_DEFINITION = """---
version: '2.0'

std.wait_ssh:
    description: Simple SSH command.
    base: std.ssh
    base-input:
      host: <% $.host %>
      username: <% $.username %>
      password: <% $.password %>
      cmd: 'ls -l'
    input:
     - host
     - username
     - password
"""

WAIT_SSH_SPEC = AdHocSpec(
    name='std.wait_ssh',
    description='Simple SSH command.',
    base='std.ssh',
    base_input={
        'host': '<% $.host %>',
        'username': '<% $.username %>',
        'password': '<% $.password %>',
        'cmd': 'ls -l',
    },
    input=['host', 'username', 'password'],
    tags=[],
)
