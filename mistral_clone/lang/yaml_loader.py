"""Safe YAML loading for definitions.

Anchors and aliases are refused: the reference never expands them either,
and refusing them closes the "billion laughs" hole.

Speed: PyYAML's constructor is pure Python even with libyaml, and it is the
dominant cost of parsing a definition. Documents are therefore built
straight from libyaml's event stream with a small constructor that only
knows the plain cases (mappings, sequences, strings, and the implicit
null/bool/int/float scalars of the YAML 1.1 safe schema). Anything else -
explicit tags, timestamps, merge keys, complex keys, several documents,
anchors/aliases - falls back to the regular (strict) SafeLoader, so results
are always exactly what ``yaml.safe_load`` would return.
"""

import yaml
from yaml import events as _ev
from yaml.resolver import Resolver

from mistral_clone import exceptions as exc

try:
    _CLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _CLoader = None

_NULL = 'tag:yaml.org,2002:null'
_BOOL = 'tag:yaml.org,2002:bool'
_INT = 'tag:yaml.org,2002:int'
_FLOAT = 'tag:yaml.org,2002:float'

_NOKEY = object()

_RESOLVERS = Resolver.yaml_implicit_resolvers
_WILDCARD = list(_RESOLVERS.get(None, []))
# The implicit resolvers to try, by first character of a plain scalar.
_BY_FIRST = {first: tuple(resolvers) + tuple(_WILDCARD)
             for first, resolvers in _RESOLVERS.items() if first is not None}
_constructor = yaml.SafeLoader('')


class _Fallback(Exception):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects anchors and aliases."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, 'found alias %r: anchors and aliases are not '
                'allowed' % event.anchor, event.start_mark)
        if getattr(event, 'anchor', None) is not None:
            raise yaml.composer.ComposerError(
                None, None, 'found anchor %r: anchors and aliases are not '
                'allowed' % event.anchor, event.start_mark)
        return super().compose_node(parent, index)


def _resolve(value):
    for tag, regexp in _BY_FIRST.get(value[:1], _WILDCARD):
        if regexp.match(value):
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return _constructor.bool_values[value.lower()]
            if tag == _INT:
                return _constructor.construct_yaml_int(
                    yaml.ScalarNode(tag, value))
            if tag == _FLOAT:
                return _constructor.construct_yaml_float(
                    yaml.ScalarNode(tag, value))
            raise _Fallback()  # timestamps, merge keys, '=' ...
    return value


# Plain scalars repeat (keys, task names, action names): their (immutable)
# values are remembered. Loading the 100-task chain of bench/ takes 0.6
# instead of 0.8 ms of CPU with it, the 100-task workflow of tests/lang 2.6
# instead of 3.4 ms.
_SCALARS = {}
_SCALARS_MAX = 4096
_SCALAR_LEN_MAX = 64


def _plain_scalar(value):
    result = _SCALARS.get(value, _NOKEY)
    if result is _NOKEY:
        result = _resolve(value)
        if len(value) <= _SCALAR_LEN_MAX:
            if len(_SCALARS) >= _SCALARS_MAX:
                _SCALARS.clear()
            _SCALARS[value] = result
    return result


def _fast_load(text):
    parser = _CLoader(text)
    try:
        get = parser.get_event
        scalar_cls = _ev.ScalarEvent
        map_start, map_end = _ev.MappingStartEvent, _ev.MappingEndEvent
        seq_start, seq_end = _ev.SequenceStartEvent, _ev.SequenceEndEvent
        skip = (_ev.StreamStartEvent, _ev.DocumentEndEvent)
        stack = []
        cur = None
        key = _NOKEY
        is_map = False
        result = None
        docs = 0
        while True:
            event = get()
            cls = event.__class__
            if cls is scalar_cls:
                if event.anchor is not None:
                    raise _Fallback()
                tag = event.tag
                if tag is None:
                    if event.implicit[0]:
                        value = _plain_scalar(event.value)
                    else:
                        value = event.value
                elif tag == '!':
                    value = event.value
                else:
                    raise _Fallback()
            elif cls is map_start or cls is seq_start:
                if event.anchor is not None or event.tag not in (None, '!'):
                    raise _Fallback()
                stack.append((cur, key, is_map))
                if cls is map_start:
                    cur = {}
                    is_map = True
                else:
                    cur = []
                    is_map = False
                key = _NOKEY
                continue
            elif cls is map_end or cls is seq_end:
                value = cur
                cur, key, is_map = stack.pop()
            elif cls is _ev.DocumentStartEvent:
                docs += 1
                if docs > 1:
                    raise _Fallback()
                continue
            elif cls is _ev.StreamEndEvent:
                break
            elif cls in skip:
                continue
            else:
                raise _Fallback()  # aliases
            if cur is None:
                result = value
            elif is_map:
                if key is _NOKEY:
                    if isinstance(value, (dict, list)) or value == '<<':
                        raise _Fallback()
                    key = value
                else:
                    cur[key] = value
                    key = _NOKEY
            else:
                cur.append(value)
        return result
    finally:
        parser.dispose()


def _error(e):
    return exc.DSLParsingException('Definition could not be parsed: %s' % e)


def load(text):
    """Parse ``text``; an empty document yields ``{}``.

    Raises DSLParsingException("Definition could not be parsed: ...").
    """
    if isinstance(text, bytes):
        text = text.decode('utf-8')
    data = _Fallback
    if _CLoader is not None:
        try:
            data = _fast_load(text)
        except _Fallback:
            data = _Fallback
        except yaml.YAMLError:
            data = _Fallback  # re-parse below for the familiar wording
        except (ValueError, TypeError, RecursionError) as e:
            raise _error(e)
    if data is _Fallback:
        try:
            data = yaml.load(text, Loader=_StrictLoader)
        except yaml.YAMLError as e:
            raise _error(e)
        except (ValueError, TypeError, RecursionError) as e:
            raise _error(e)
    return {} if data is None else data


def compose(text):
    """Node tree (used to locate workbook members in the source text)."""
    return yaml.compose(text, Loader=_CLoader or yaml.SafeLoader)
