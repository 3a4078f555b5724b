"""Recognition of expression strings (no evaluation)."""

import re

YAQL = 'yaql'
JINJA = 'jinja'

# Same recognition as the reference: regex search, no DOTALL, so an
# expression can never span lines.
YAQL_RE = re.compile(r'<%.*?%>')
JINJA_EXPR_RE = re.compile(r'{{(.*?)}}')
JINJA_BLOCK_RE = re.compile(r'{%(.*?)%}')

# Anchored forms used by schema "EXPRESSION" fields.
YAQL_ANCHORED_RE = re.compile(r'^<%.*?%>\s*$')
JINJA_ANCHORED_RE = re.compile(r'^{{.*}}|{%.*%}\s*$')


def _maybe(s):
    # Cheap substring pre-check before running any regex.
    return '<%' in s or '{{' in s or '{%' in s


def is_yaql(s):
    return '<%' in s and YAQL_RE.search(s) is not None


def is_jinja(s):
    return (('{{' in s and JINJA_EXPR_RE.search(s) is not None) or
            ('{%' in s and JINJA_BLOCK_RE.search(s) is not None))


def is_expression(s):
    """True when ``s`` is a string holding a YAQL or Jinja expression."""
    if not isinstance(s, str) or not _maybe(s):
        return False
    return is_jinja(s) or is_yaql(s)


def language_of(s):
    """'jinja', 'yaql' or None: the evaluator that claims ``s``.

    Jinja is consulted first (sorted evaluator names), as in the reference.
    """
    if not isinstance(s, str) or not _maybe(s):
        return None
    if is_jinja(s):
        return JINJA
    if is_yaql(s):
        return YAQL
    return None


def is_anchored_expression(s):
    """The stricter check used for schema EXPRESSION fields."""
    if not isinstance(s, str):
        return False
    return bool(YAQL_ANCHORED_RE.search(s) or JINJA_ANCHORED_RE.search(s))


def yaql_inner(match_text):
    """Strip YAQL delimiters like the reference: chars '<%>' then spaces."""
    return match_text.strip('<%>').strip()


def find_expressions(s):
    """List of ``(lang, inner_text)`` for every expression in ``s``.

    Jinja blocks are reported with their inner text as well; order is
    Jinja expressions, Jinja blocks, then YAQL occurrences.
    """
    if not isinstance(s, str) or not _maybe(s):
        return []
    result = []
    for m in JINJA_EXPR_RE.finditer(s):
        result.append((JINJA, m.group(1).strip()))
    for m in JINJA_BLOCK_RE.finditer(s):
        result.append((JINJA, m.group(1).strip()))
    for m in YAQL_RE.finditer(s):
        result.append((YAQL, yaql_inner(m.group(0))))
    return result
