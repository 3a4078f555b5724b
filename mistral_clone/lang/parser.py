"""Documents to specs: workflow lists, action lists, workbooks, and single
stored definitions.

Uploads are checked in full unless the caller turns validation off (the
reference's ``?skip_validation``); definitions read back from the database
were checked when they were stored and are only built. Either way, data a
spec cannot be built from at all (``tasks: 5``) is refused with the message
full validation gives: never a crash.
"""

import dataclasses
import functools

from mistral_clone import exceptions as exc
from mistral_clone.lang import actions
from mistral_clone.lang import specs
from mistral_clone.lang import types
from mistral_clone.lang import validation
from mistral_clone.lang import workbooks
from mistral_clone.lang import workflows
from mistral_clone.lang import yaml_loader

LIST_SCHEMA = {
    'type': 'object',
    'properties': {'version': types.VERSION},
    'additionalProperties': types.NONEMPTY_DICT,
    'required': ['version'],
    'definitions': {},
}

_LIST = validation.compile_schema(LIST_SCHEMA)
_OBJECT = validation.compile_schema(types.OBJECT)

# What builders raise on data of the wrong shape (a list where a mapping
# belongs, ...) when nothing was validated first.
_SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def _checks(validate):
    return validation.FULL if validate else validation.STRUCTURE


def _build_anyway(parse):
    """``parse(text, checks)`` that, when called without validation on
    data it cannot build from, reports what validation finds instead."""
    @functools.wraps(parse)
    def wrapper(text, validate=True, **kwargs):
        if isinstance(text, bytes):
            text = text.decode('utf-8')
        if validate:
            return parse(text, validation.FULL, **kwargs)
        try:
            return parse(text, validation.STRUCTURE, **kwargs)
        except _SHAPE_ERRORS:
            return parse(text, validation.FULL, **kwargs)
    return wrapper


def _list_items(data, checks):
    """Member names of a workflow or action list document."""
    checks.schema(_LIST, data)
    validation.FULL.schema(_OBJECT, data)
    validation.string_keys(data, ())
    names = [k for k in data if k != 'version']
    if not names:
        raise exc.InvalidModelException(
            'At least one item must be in the list [data=%r].' % (data,))
    validation.check_version(data, older_accepted=True)
    return names


@_build_anyway
def parse_workflows(text, checks):
    """WorkflowSpecs of a workflow list document, in document order."""
    data = yaml_loader.load(text)
    result = []
    for name in _list_items(data, checks):
        spec = workflows.build(name, data[name], checks)
        checks.workflow_name(name)
        result.append(spec)
    if len(result) == 1:
        return [dataclasses.replace(result[0], definition=text)]
    # Each workflow of a longer document is stored on its own.
    version = data.get('version', specs.DEFAULT_VERSION)
    return [dataclasses.replace(spec, definition=specs.yaml_dump(
        {'version': version, spec.name: data[spec.name]}))
        for spec in result]


def parse_actions(text):
    """ActionSpecs of an ad-hoc action list document (always validated:
    the reference ignores ``skip_validation`` for actions)."""
    if isinstance(text, bytes):
        text = text.decode('utf-8')
    data = yaml_loader.load(text)
    result = []
    for name in _list_items(data, validation.FULL):
        result.append(actions.build(name, data[name], validation.FULL,
                                    definition=text))
        validation.check_name_spaces(name)
    return result


parse_workbook = _build_anyway(workbooks.parse)


# --- single stored definitions ----------------------------------------------

def _select(data, name, kind):
    validation.FULL.schema(_OBJECT, data)
    members = [k for k in data if k != 'version']
    if name is not None:
        for key in (name, name.rsplit('.', 1)[-1]):
            if key in data and key != 'version':
                return key
    if len(members) == 1:
        return members[0]
    if not members:
        raise exc.InvalidModelException(
            'At least one item must be in the list [data=%r].' % (data,))
    raise exc.InvalidModelException(
        "%s '%s' not found in the definition" % (kind, name))


@_build_anyway
def parse_single_workflow(text, checks, name=None):
    """The workflow of one stored definition: a list document holding it,
    a ``version: '2.0'\\n<name>: ...`` fragment or a workbook member slice
    without ``version``. ``name`` selects the member and names the spec."""
    data = yaml_loader.load(text)
    key = _select(data, name, 'Workflow')
    validation.FULL.schema(_OBJECT, data[key], (key,))
    spec = workflows.build(key, data[key], checks, display_name=name or key)
    return dataclasses.replace(spec, definition=text)


@_build_anyway
def parse_single_action(text, checks, name=None):
    """The ad-hoc action ``name`` of a stored definition (the whole action
    document, or a workbook member slice)."""
    data = yaml_loader.load(text)
    key = _select(data, name, 'Action')
    return actions.build(key, data[key], checks, display_name=name or key,
                         definition=text)
