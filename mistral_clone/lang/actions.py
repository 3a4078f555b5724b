"""Ad-hoc actions: schema, spec and how one is built."""

from __future__ import annotations

import json

from mistral_clone.lang import specs
from mistral_clone.lang import types
from mistral_clone.lang import validation
from mistral_clone.lang.inline import parse_inline_params

SCHEMA = {
    'type': 'object',
    'properties': types.with_meta({
        'base': types.NONEMPTY_STRING,
        'base-input': types.NONEMPTY_DICT,
        'input': types.UNIQUE_STRING_OR_ONE_KEY_DICT_LIST,
        'output': types.ANY_NULLABLE,
    }),
    'required': ['base', 'version', 'name'],
    'additionalProperties': False,
    'definitions': {},
}

_VALIDATOR = validation.compile_schema(SCHEMA)


@specs.spec
class ActionSpec(specs.Spec):
    """An ad-hoc action: ``base`` (its one-liner's name), ``base_params``
    (the one-liner's parameters), ``base_input`` (those under
    ``base-input``), declared ``input`` as ``[(name, default), ...]`` and
    the ``output`` transformation. ``definition`` is the text stored for
    it."""

    name: str
    base: str
    raw: dict
    description: str = None
    tags: list = ()
    base_params: dict = None
    base_input: dict = None
    input: list = ()
    output: object = None
    definition: str = None

    def input_display(self):
        """``a, b=2, c="x"`` (JSON defaults); None without an input
        section."""
        if not self.input and 'input' not in self.raw:
            return None
        return ', '.join(
            n if d is specs.NO_DEFAULT else '%s=%s' % (n, json.dumps(d))
            for n, d in self.input)


def build(name, data, checks, display_name=None, definition=None, path=()):
    """ActionSpec of ``name: data`` found at ``path`` (``display_name``,
    e.g. ``wb.act`` for a workbook member, becomes the spec's name)."""
    raw = data
    if isinstance(data, dict):
        raw = dict(data)
        raw['name'] = display_name or name
        raw['version'] = specs.DEFAULT_VERSION
    checks.schema(_VALIDATOR, raw, path)
    base, base_params = parse_inline_params(raw['base'])
    checks.values(base_params)
    base_input_raw = raw.get('base-input') or {}
    checks.values(base_input_raw)
    base_input = dict(base_params)
    base_input.update(base_input_raw)
    output = raw.get('output')
    checks.expression(output)
    return ActionSpec(
        name=raw['name'], base=base, raw=raw,
        description=raw.get('description'), tags=list(raw.get('tags') or []),
        base_params=base_params, base_input=base_input,
        input=specs.parse_input(raw.get('input')), output=output,
        definition=definition)
