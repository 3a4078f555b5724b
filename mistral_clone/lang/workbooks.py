"""Workbooks: schema, spec, parsing, and the source text of each member."""

from __future__ import annotations

import dataclasses

import yaml

from mistral_clone import exceptions as exc
from mistral_clone.lang import actions
from mistral_clone.lang import specs
from mistral_clone.lang import types
from mistral_clone.lang import validation
from mistral_clone.lang import workflows
from mistral_clone.lang import yaml_loader

_MEMBERS = {
    'type': 'object', 'minProperties': 1,
    'patternProperties': {
        r'^version$': {'enum': ['2.0', 2.0]},
        r'^(?!version$)[\w-]+$': types.ANY,
    },
    'additionalProperties': False,
}

_version = {'enum': ['2.0', 2.0]}
_version.update(types.VERSION)

SCHEMA = {
    'type': 'object',
    'properties': {
        'version': _version,
        'actions': _MEMBERS,
        'workflows': _MEMBERS,
        'name': types.NONEMPTY_STRING,
        'description': types.NONEMPTY_STRING,
        'tags': types.UNIQUE_STRING_LIST,
    },
    'additionalProperties': False,
    'required': ['version', 'name'],
    'definitions': {},
}

_VALIDATOR = validation.compile_schema(SCHEMA)


@specs.spec
class WorkbookSpec(specs.Spec):
    """A workbook; its workflow and action specs keep their short names
    and carry their own source block as ``definition``."""

    name: str
    version: object
    raw: dict
    description: str = None
    tags: list = ()
    workflows: list = ()
    actions: list = ()


def _members(data, section):
    return [(n, d) for n, d in (data.get(section) or {}).items()
            if n != 'version']


def parse(text, checks):
    """WorkbookSpec of a workbook document (``text`` is a str)."""
    data = yaml_loader.load(text)
    validation.check_version(data)
    checks.schema(_VALIDATOR, data)
    wb_name = data['name']
    wfs = []
    for n, d in _members(data, 'workflows'):
        if not isinstance(d, dict):
            raise exc.InvalidModelException(
                'A specification with polymorphic key must be backed by a '
                'dictionary [spec_cls=%s, data=%r]'
                % (workflows.SPEC_CLASS, d))
        wfs.append(workflows.build(n, d, checks, path=('workflows', n)))
        checks.workflow_name(n)
    acts = []
    for n, d in _members(data, 'actions'):
        acts.append(actions.build(n, d, checks, path=('actions', n)))
        validation.check_name_spaces(n)
    validation.check_name_spaces(wb_name)
    if wfs or acts:
        slices = member_slices(text)
        wfs = [_with_source(s, slices.get(('workflows', s.name)), d)
               for s, (_, d) in zip(wfs, _members(data, 'workflows'))]
        acts = [_with_source(s, slices.get(('actions', s.name)),
                             _as_written(s.raw)) for s in acts]
    return WorkbookSpec(
        name=wb_name, version=data['version'], raw=data,
        description=data.get('description'),
        tags=list(data.get('tags') or []), workflows=wfs, actions=acts)


def _with_source(spec, source, written):
    """The member spec with its stored text: its own block of the
    workbook, or a dump of it (``written``) where the block cannot be cut
    out."""
    if source is None:
        source = specs.yaml_dump({spec.name: written})
    return dataclasses.replace(spec, definition=source)


def _as_written(raw):
    d = dict(raw)
    d.pop('name', None)
    d.pop('version', None)
    return d


def member_slices(text):
    """{(section, member): source text of the member, dedented}.

    Mirrors what the reference stores for workbook members: the member's
    own block cut out of the workbook text. Members written in flow style
    (or anything unusual) are left out; callers fall back to a dump.
    """
    result = {}
    try:
        root = yaml_loader.compose(text)
    except yaml.YAMLError:
        return result
    if not isinstance(root, yaml.MappingNode):
        return result
    lines = text.splitlines(True)
    for knode, vnode in root.value:
        section = getattr(knode, 'value', None)
        if section not in ('workflows', 'actions'):
            continue
        if not isinstance(vnode, yaml.MappingNode) or vnode.flow_style:
            continue
        for mk, _ in vnode.value:
            if isinstance(mk, yaml.ScalarNode):
                block = _block(lines, mk.start_mark.line, mk.start_mark.column)
                if block is not None:
                    result[(section, mk.value)] = block
    return result


def _indent(line):
    return len(line) - len(line.lstrip(' '))


def _block(lines, start, indent):
    """Lines ``start``.. of a member whose key is at column ``indent``,
    dedented; None when the key does not start its line."""
    if _indent(lines[start] if start < len(lines) else '') != indent:
        return None
    last = start
    for j in range(start + 1, len(lines)):
        if lines[j].strip():
            if _indent(lines[j]) <= indent:
                break
            last = j
    block = ''.join(ln[min(indent, _indent(ln)):]
                    for ln in lines[start:last + 1])
    return block if block.endswith('\n') else block + '\n'
