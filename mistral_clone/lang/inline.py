"""Parser of the one-line ``name key=value ...`` syntax (dsl.md section 4).

Used for ``action:``/``workflow:`` strings, retry one-liners, engine command
parameters in transitions and ad-hoc action ``base`` strings.
"""

import json
import re

_EXPR_NAME_RE = re.compile(r'^\s*(<%.*?%>|{{.*?}})')
_NAME_RE = re.compile(r'^\s*([\w.]+[^=(\s"]*)')
_PARAM_RE = re.compile(
    r'([-_\w]+)=('
    r'"[^"]*"'            # double-quoted string
    r"|'[^']*'"           # single-quoted string
    r'|<%.*?%>'           # YAQL expression
    r'|{{.*?}}|{%.*?%}'   # Jinja expression / block
    r'|\[.*\]'            # JSON list, greedy up to the last ']'
    r'|true|false|null'
    r'|\d+)')


def _convert(raw):
    if raw[:1] in ('"', "'") and len(raw) >= 2:
        return raw[1:-1]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_inline_params(text):
    """Split ``"std.echo output='x' n=1"`` into ``('std.echo', {...})``.

    Quirks kept on purpose (they are what users observe): values that are
    not quoted strings, expressions, ``[...]`` lists, ``true``/``false``/
    ``null`` or digits are silently dropped (bare words, negative numbers,
    dicts); ``1.5`` yields ``1``; later duplicates win.
    """
    if not isinstance(text, str):
        return text, {}
    if ' ' not in text:
        return text, {}
    m = _EXPR_NAME_RE.match(text) or _NAME_RE.match(text)
    name = m.group(1) if m else text.strip()
    params = {}
    for key, raw in _PARAM_RE.findall(text):
        params[key] = _convert(raw)
    return name, params
