"""A minimal stand-in for :mod:`mistral_clone.lang` used by the API tests.

It implements the parser contract the definitions service codes against
(parse_workflows / parse_workbook / parse_actions / workflow_fragment) with
plain YAML loading and the few checks the API tests exercise. It is installed
only when the real language package does not provide the contract yet.
"""

import json

import yaml

from mistral_clone import exceptions as exc


def _load(text):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise exc.DSLParsingException(
            'Definition could not be parsed: %s' % e)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise exc.DSLParsingException(
            'Definition could not be parsed: not a mapping')
    return data


class WorkflowSpec(object):
    def __init__(self, name, raw):
        if not isinstance(raw, dict):
            raise exc.InvalidModelException(
                "Invalid DSL: %r is not of type 'object'" % raw)
        if not raw.get('tasks'):
            raise exc.InvalidModelException(
                "Invalid DSL: Workflow doesn't have any tasks")
        self.name = name
        self.raw = raw
        self.tags = raw.get('tags') or []
        self.description = raw.get('description')
        self.input = raw.get('input') or []

    def interface(self):
        return {'input': list(self.input),
                'output': list((self.raw.get('output') or {}).keys())}

    def input_display(self):
        parts = []
        for item in self.input:
            if isinstance(item, dict):
                k, v = list(item.items())[0]
                parts.append('%s="%s"' % (k, v))
            else:
                parts.append(str(item))
        return ', '.join(parts)


class ActionSpec(object):
    def __init__(self, name, raw):
        if not isinstance(raw, dict) or 'base' not in raw:
            raise exc.InvalidModelException(
                "Invalid DSL: 'base' is a required property")
        self.name = name
        self.raw = raw
        self.description = raw.get('description')
        self.tags = raw.get('tags') or []
        self.base = raw['base']
        self.input = raw.get('input') or []

    def input_display(self):
        parts = []
        for item in self.input:
            if isinstance(item, dict):
                k, v = list(item.items())[0]
                parts.append('%s=%s' % (k, json.dumps(v)))
            else:
                parts.append(str(item))
        return ', '.join(parts)


class WorkbookSpec(object):
    def __init__(self, raw):
        if 'name' not in raw:
            raise exc.InvalidModelException(
                "Invalid DSL: 'name' is a required property")
        self.name = raw['name']
        self.tags = raw.get('tags') or []
        self.description = raw.get('description')
        self.workflows = [WorkflowSpec(n, r) for n, r in
                          (raw.get('workflows') or {}).items()]
        self.actions = [ActionSpec(n, r) for n, r in
                        (raw.get('actions') or {}).items()]


def _items(data):
    if 'version' not in data:
        raise exc.InvalidModelException(
            "Invalid DSL: 'version' is a required property")
    items = [(k, v) for k, v in data.items() if k != 'version']
    if not items:
        raise exc.InvalidModelException(
            'Invalid DSL: At least one item must be in the list')
    return items


def parse_workflows(text, validate=True):
    return [WorkflowSpec(n, r) for n, r in _items(_load(text))]


def parse_actions(text, validate=True):
    return [ActionSpec(n, r) for n, r in _items(_load(text))]


def parse_workbook(text, validate=True):
    return WorkbookSpec(_load(text))


def workflow_fragment(spec):
    return yaml.safe_dump({'version': '2.0', spec.name: spec.raw},
                          default_flow_style=False, sort_keys=False)


def install():
    """Put this module's functions on mistral_clone.lang if missing."""
    import importlib
    lang = importlib.import_module('mistral_clone.lang')
    if getattr(lang, 'parse_workflows', None) is None:
        for name in ('parse_workflows', 'parse_actions', 'parse_workbook',
                     'workflow_fragment'):
            setattr(lang, name, globals()[name])
        return True
    return False
