"""Building and validating spec objects from parsed YAML data."""

import functools
import json
import re
import uuid

from mistral_clone import exceptions as exc
from mistral_clone.lang import schemas as S
from mistral_clone.lang import specs
from mistral_clone.lang import yaml_loader
from mistral_clone.lang.inline import parse_inline_params
from mistral_clone.lang.specs import NO_DEFAULT

try:
    from mistral_clone import expressions as _expressions
except Exception:  # pragma: no cover - expressions package broken/missing
    _expressions = None

_WF_SPEC_CLS = "<class 'mistral.lang.v2.workflows.WorkflowSpec'>"

DEFAULT_VERSION = '2.0'

MAX_TASK_NAME = 255
MAX_JOIN_TASK_NAME = 208

_WITH_ITEMS_RE = re.compile(
    r'^\s*([\w-]+)\s+in\s+(\[.*\]|<%.+?%>|{{.+?}})\s*$')


# --- helpers ------------------------------------------------------------------

def _schema(checker, data):
    if checker.is_valid(data):
        return
    err = checker.first_error(data)
    raise exc.InvalidModelException('Invalid DSL: %s' % err.message)


def _maybe_expression(s):
    return isinstance(s, str) and ('<%' in s or '{{' in s or '{%' in s)


@functools.lru_cache(maxsize=8192)
def _validate_cached(s):
    fn = getattr(_expressions, 'validate', None)
    if fn is not None:
        fn(s)
    return True


def validate_expression(value):
    """Syntax-check one string (no-op for non-strings / plain strings)."""
    if _maybe_expression(value):
        _validate_cached(value)


def _validate_values(d):
    """Check the string values of a dict (one level, like the reference)."""
    if isinstance(d, dict):
        for v in d.values():
            if _maybe_expression(v):
                _validate_cached(v)


def is_expression(s):
    if not _maybe_expression(s):
        return False
    fn = getattr(_expressions, 'is_expression', None)
    if fn is not None:
        return fn(s)
    return True


def is_uuid_like(val):
    """True for strings that look like a UUID (with or without dashes)."""
    if not isinstance(val, str):
        return False
    try:
        s = val.lower()
        for prefix in ('urn:', 'uuid:'):
            if s.startswith(prefix):
                s = s[len(prefix):]
        s = s.replace('{', '').replace('}', '').replace('-', '')
        return str(uuid.UUID(val)).replace('-', '') == s
    except (TypeError, ValueError, AttributeError):
        return False


def check_name_spaces(name):
    if isinstance(name, str) and ' ' in name:
        raise exc.InvalidModelException(
            "Name '%s' must not contain spaces" % name)


def check_workflow_name(name):
    if is_uuid_like(name):
        raise exc.InvalidModelException(
            'Workflow name cannot be in the format of UUID.')
    check_name_spaces(name)


def check_version(version):
    """Version check of single specs (workbooks, stored definitions)."""
    try:
        ok = str(float(version)) == '2.0'
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise exc.DSLParsingException('Unsupported DSL version: %s' % version)


def _parse_input(lst):
    result = []
    for item in lst or ():
        if isinstance(item, dict):
            for k, v in item.items():
                result.append((k, v))
        else:
            result.append((item, NO_DEFAULT))
    return result


def _str_keys(data):
    for k in data:
        if not isinstance(k, str):
            raise exc.InvalidModelException(
                "Invalid DSL: %r is not of type 'string'" % (k,))


# --- transitions ----------------------------------------------------------------

def _entry(text, guard):
    if not isinstance(text, str):
        text = str(text)
    name, params = parse_inline_params(text)
    return (name, params, guard)


def _parse_next(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [_entry(value, None)]
    if isinstance(value, dict):
        return [_entry(k, g) for k, g in value.items()]
    result = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                result.extend(_entry(k, g) for k, g in item.items())
            else:
                result.append(_entry(item, None))
    return result


def _parse_clause(value):
    """Clause from a raw (schema-valid) on-* value; validates expressions."""
    if value is None:
        return specs.EMPTY_CLAUSE
    if isinstance(value, dict):
        # A mapping is always the advanced form: only 'publish'/'next' count
        # (a bare "{task: <% guard %>}" therefore yields no transition).
        entries = _parse_next(value.get('next'))
        branch = glob = atomic = None
        has_publish = False
        pub = value.get('publish')
        if isinstance(pub, dict):
            has_publish = True
            if not any(k in pub for k in ('branch', 'global', 'atomic')):
                raise exc.InvalidModelException(
                    "Either 'branch', 'global' or 'atomic' must be "
                    "specified: ")
            branch = pub.get('branch')
            glob = pub.get('global')
            atomic = pub.get('atomic')
            _validate_values(branch)
            _validate_values(glob)
            _validate_values(atomic)
    else:
        entries = _parse_next(value)
        branch = glob = atomic = None
        has_publish = False
    for _, _, guard in entries:
        validate_expression(guard)
    return specs.Clause(entries, branch, glob, atomic, has_publish)


# --- policies -------------------------------------------------------------------

def _parse_retry(value):
    if value is None:
        return None
    if isinstance(value, str):
        _, data = parse_inline_params(value)
    else:
        data = value
    _schema(S.CHECK_RETRY, data)
    for key in ('count', 'delay', 'break-on', 'continue-on'):
        validate_expression(data.get(key))
    return specs.RetrySpec(data.get('count'), data.get('delay'),
                           data.get('break-on'), data.get('continue-on'),
                           raw=value)


_POLICY_KEYS = ('wait-before', 'wait-after', 'timeout', 'pause-before',
                'concurrency', 'fail-on')


def _validate_policies(data):
    for key in _POLICY_KEYS:
        validate_expression(data.get(key))


def _active_number(v):
    if isinstance(v, str):
        return True
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and
            v > 0)


def _active_truthy(v):
    return bool(v)


def _resolve(own, default, active):
    if own is not None and active(own):
        return own
    if default is not None:
        return default
    return own


def _to_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


# --- task-defaults ----------------------------------------------------------------

def build_task_defaults(data):
    _schema(S.CHECK_TASK_DEFAULTS, data)
    _validate_policies(data)
    validate_expression(data.get('safe-rerun'))
    clauses = {}
    for kind in specs.TRANSITION_KINDS:
        clauses[kind] = _parse_clause(data.get(kind))
    return specs.TaskDefaultsSpec(
        raw=data,
        retry=_parse_retry(data.get('retry')),
        wait_before=data.get('wait-before'),
        wait_after=data.get('wait-after'),
        timeout=data.get('timeout'),
        pause_before=data.get('pause-before'),
        concurrency=data.get('concurrency'),
        fail_on=data.get('fail-on'),
        on_complete=data.get('on-complete'),
        on_success=data.get('on-success'),
        on_error=data.get('on-error'),
        on_skip=data.get('on-skip'),
        safe_rerun=data.get('safe-rerun'),
        requires=_to_list(data.get('requires')),
        clauses=clauses,
    )


# --- tasks ------------------------------------------------------------------------

def _parse_with_items(value, raw):
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    result = []
    for item in items:
        m = _WITH_ITEMS_RE.match(item) if isinstance(item, str) else None
        if not m:
            raise exc.InvalidModelException(
                "Wrong format of 'with-items' property. Please use format "
                "'var in {[some, list] | <%% $.array %%> }: %r" % (raw,))
        var, coll = m.group(1), m.group(2)
        if coll.startswith('['):
            try:
                coll = json.loads(coll)
            except ValueError as e:
                raise exc.InvalidModelException(
                    "Invalid array in 'with-items' clause: %s, error: %s"
                    % (coll, e))
        else:
            validate_expression(coll)
        result.append((var, coll))
    return result


def build_task(name, data, wf_type, defaults):
    if not isinstance(data, dict):
        raise exc.InvalidModelException(
            "Invalid DSL: %r is not of type 'object'" % (data,))
    raw = dict(data)
    raw['type'] = wf_type
    raw['name'] = name
    raw['version'] = DEFAULT_VERSION
    _schema(S.CHECK_DIRECT_TASK if wf_type == 'direct'
            else S.CHECK_REVERSE_TASK, raw)

    join = raw.get('join')
    if len(name) > MAX_TASK_NAME:
        raise exc.InvalidModelException(
            "The length of a '%s' task name must not exceed %s symbols"
            % (name, MAX_TASK_NAME))
    if join is not None and join != 0 and len(name) > MAX_JOIN_TASK_NAME:
        raise exc.InvalidModelException(
            "The length of a '%s' join task name must not exceed %s symbols"
            % (name, MAX_JOIN_TASK_NAME))

    action = workflow = None
    inline = {}
    if 'action' in raw:
        action, inline = parse_inline_params(raw['action'])
    elif 'workflow' in raw:
        workflow, inline = parse_inline_params(raw['workflow'])
    for v in inline.values():
        validate_expression(v)

    task_input = raw.get('input')
    if isinstance(task_input, str):
        validate_expression(task_input)
    elif task_input is None:
        task_input = {}
    else:
        _validate_values(task_input)

    publish = raw.get('publish')
    publish_on_error = raw.get('publish-on-error')
    publish_on_skip = raw.get('publish-on-skip')
    _validate_values(publish)
    _validate_values(publish_on_error)
    _validate_values(publish_on_skip)

    with_items = _parse_with_items(raw.get('with-items'), raw)

    _validate_policies(raw)
    validate_expression(raw.get('keep-result'))
    validate_expression(raw.get('safe-rerun'))
    retry = _parse_retry(raw.get('retry'))

    d = defaults
    policies = specs.PoliciesSpec(
        pause_before=_resolve(raw.get('pause-before'),
                              d and d.pause_before, _active_truthy),
        wait_before=_resolve(raw.get('wait-before'),
                             d and d.wait_before, _active_number),
        wait_after=_resolve(raw.get('wait-after'),
                            d and d.wait_after, _active_number),
        timeout=_resolve(raw.get('timeout'), d and d.timeout,
                         _active_number),
        retry=retry if retry is not None else (d and d.retry or None),
        concurrency=_resolve(raw.get('concurrency'), d and d.concurrency,
                             _active_truthy),
        fail_on=_resolve(raw.get('fail-on'), d and d.fail_on,
                         _active_truthy),
    )

    safe_rerun = raw.get('safe-rerun')
    if safe_rerun is None:
        safe_rerun = d.safe_rerun if d is not None else None
    if safe_rerun is None:
        safe_rerun = False

    own_clauses = effective = None
    requires = []
    if wf_type == 'direct':
        own_clauses = {}
        effective = {}
        for kind in specs.TRANSITION_KINDS:
            own = _parse_clause(raw.get(kind))
            own_clauses[kind] = own
            if own.entries or d is None or not d.clauses[kind].entries:
                effective[kind] = own
            else:
                entries = [e for e in d.clauses[kind].entries
                           if e[0] != name]
                effective[kind] = specs.Clause(
                    entries, own.publish_branch, own.publish_global,
                    own.publish_atomic, own.has_publish)
        if join == 'one':
            join = 1
        elif join == 'all':
            pass
        elif join is not None:
            join = int(join) or None
    else:
        join = None
        for r in _to_list(raw.get('requires')) + (d.requires if d else []):
            if r != name and r not in requires:
                requires.append(r)

    return specs.TaskSpec(
        name=name,
        workflow_type=wf_type,
        description=raw.get('description'),
        tags=list(raw.get('tags') or []),
        action=action,
        action_is_expression=bool(action) and is_expression(action),
        workflow=workflow,
        inline_params=inline,
        input=task_input,
        publish=publish,
        publish_on_error=publish_on_error,
        publish_on_skip=publish_on_skip,
        with_items=with_items,
        keep_result=raw.get('keep-result', True),
        target=raw.get('target'),
        safe_rerun=safe_rerun,
        join=join,
        type='WORKFLOW' if workflow is not None else 'ACTION',
        raw=raw,
        policies=policies,
        requires=requires,
        _clauses=effective,
        _own_clauses=own_clauses,
    )


# --- workflows --------------------------------------------------------------------

def build_workflow(name, data, doc_version=DEFAULT_VERSION, display_name=None,
                   check_names=True):
    """WorkflowSpec for one ``name: {...}`` item (schema + semantics)."""
    raw = dict(data)
    raw['name'] = display_name or name
    raw['version'] = DEFAULT_VERSION

    wf_type = raw.get('type', 'direct')
    if not isinstance(wf_type, str) or wf_type not in ('direct', 'reverse'):
        raise exc.InvalidModelException(
            'Failed to find a specification class to instantiate '
            '[spec_cls=%s, data=%r]' % (_WF_SPEC_CLS, raw))

    _schema(S.CHECK_WORKFLOW, raw)
    tasks_data = raw['tasks']
    _str_keys(tasks_data)

    td = raw.get('task-defaults')
    defaults = build_task_defaults(td) if td is not None else None

    output = raw.get('output') or {}
    _validate_values(output)
    wf_vars = raw.get('vars') or {}
    _validate_values(wf_vars)

    tasks = {}
    for t_name, t_data in tasks_data.items():
        tasks[t_name] = build_task(t_name, t_data, wf_type, defaults)

    inbound = start = None
    if wf_type == 'direct':
        inbound, start = _check_direct(raw['name'], tasks, defaults)
    else:
        _check_reverse(tasks, defaults)

    if check_names:
        check_workflow_name(name)

    return specs.WorkflowSpec(
        name=raw['name'],
        local_name=name,
        version=DEFAULT_VERSION,
        type=wf_type,
        description=raw.get('description'),
        tags=list(raw.get('tags') or []),
        input=_parse_input(raw.get('input')),
        output=output,
        output_on_error=raw.get('output-on-error') or {},
        vars=wf_vars,
        task_defaults=defaults,
        tasks=tasks,
        raw=raw,
        _inbound=inbound,
        _start=start,
        _doc_version=doc_version,
        _written=data,
    )


def _not_found(name):
    return exc.InvalidModelException("Task '%s' not found." % name)


def _check_direct(wf_name, tasks, defaults):
    if defaults is not None:
        for clause in defaults.clauses.values():
            for target, _, _ in clause.entries:
                if target not in tasks and target not in specs.ENGINE_COMMANDS:
                    raise _not_found(target)

    inbound = {n: [] for n in tasks}
    for t in tasks.values():
        for kind in specs.TRANSITION_KINDS:
            for target, _, _ in t.transitions(kind).entries:
                lst = inbound.get(target)
                if lst is None:
                    if target not in specs.ENGINE_COMMANDS:
                        raise _not_found(target)
                    continue
                if t.name not in lst:
                    lst.append(t.name)

    for t in tasks.values():
        if t.join is None:
            continue
        count = len(inbound[t.name])
        if t.join == 'all':
            if count == 0:
                raise exc.InvalidModelException(
                    "No inbound tasks for task with 'join: all' "
                    "[task_name=%s]" % t.name)
        elif count < t.join:
            raise exc.InvalidModelException(
                "Not enough inbound tasks for task with 'join' [task_name=%s,"
                " join=%s, inbound_tasks=%s]" % (t.name, t.join, count))

    start = [n for n, lst in inbound.items() if not lst]
    if not start:
        raise exc.InvalidModelException(
            'Failed to find start tasks in direct workflow. There must be at '
            'least one task without inbound transition.[workflow_name=%s]'
            % wf_name)
    return inbound, start


def _check_reverse(tasks, defaults):
    if defaults is not None:
        for r in defaults.requires:
            if r not in tasks:
                raise _not_found(r)
    for t in tasks.values():
        for r in _to_list(t.raw.get('requires')):
            if r not in tasks:
                raise _not_found(r)


# --- actions ----------------------------------------------------------------------

def build_action(name, data, display_name=None, check_names=True):
    if isinstance(data, dict):
        raw = dict(data)
        raw['name'] = display_name or name
        raw['version'] = DEFAULT_VERSION
    else:
        raw = data
    _schema(S.CHECK_ACTION, raw)
    base, base_params = parse_inline_params(raw['base'])
    for v in base_params.values():
        validate_expression(v)
    base_input_raw = raw.get('base-input') or {}
    _validate_values(base_input_raw)
    base_input = dict(base_params)
    base_input.update(base_input_raw)
    output = raw.get('output')
    if isinstance(output, str):
        validate_expression(output)
    if check_names:
        check_name_spaces(name)
    return specs.ActionSpec(
        name=raw['name'],
        description=raw.get('description'),
        tags=list(raw.get('tags') or []),
        base=base,
        base_params=base_params,
        base_input=base_input,
        input=_parse_input(raw.get('input')),
        output=output,
        raw=raw,
    )


# --- documents --------------------------------------------------------------------

def _list_items(data):
    _schema(S.CHECK_LIST_DOCUMENT, data)
    _str_keys(data)
    names = [k for k in data if k != 'version']
    if not names:
        raise exc.InvalidModelException(
            'At least one item must be in the list [data=%r].' % (data,))
    return names


def parse_workflows(text):
    data = yaml_loader.load(text)
    names = _list_items(data)
    version = data['version']
    # Like workbooks (the reference accepts any version here).
    check_version(version)
    result = [build_workflow(n, data[n], version) for n in names]
    if len(result) == 1:
        object.__setattr__(result[0], '_definition', _as_text(text))
    return result


def parse_actions(text):
    data = yaml_loader.load(text)
    names = _list_items(data)
    check_version(data['version'])
    text = _as_text(text)
    result = []
    for n in names:
        spec = build_action(n, data[n])
        object.__setattr__(spec, '_definition', text)
        result.append(spec)
    return result


def parse_workbook(text):
    text = _as_text(text)
    data = yaml_loader.load(text)
    if isinstance(data, dict) and 'version' in data:
        check_version(data['version'])
    _schema(S.CHECK_WORKBOOK, data)
    wb_name = data['name']

    workflows = []
    wf_data = data.get('workflows') or {}
    for n, d in wf_data.items():
        if n == 'version':
            continue
        if not isinstance(d, dict):
            raise exc.InvalidModelException(
                'A specification with polymorphic key must be backed by a '
                'dictionary [spec_cls=%s, data=%r]' % (_WF_SPEC_CLS, d))
        workflows.append(build_workflow(n, d, DEFAULT_VERSION))

    actions = []
    for n, d in (data.get('actions') or {}).items():
        if n == 'version':
            continue
        actions.append(build_action(n, d))

    check_name_spaces(wb_name)

    if workflows or actions:
        slices = _member_slices(text)
        for spec in workflows:
            frag = slices.get(('workflows', spec.name))
            if frag is None:
                frag = specs.yaml_dump({spec.name: spec._written})
            object.__setattr__(spec, '_fragment', frag)
            object.__setattr__(spec, '_definition', frag)
        for spec in actions:
            frag = slices.get(('actions', spec.name))
            if frag is None:
                frag = specs.yaml_dump({spec.name: _unwritten(spec.raw)})
            object.__setattr__(spec, '_definition', frag)

    return specs.WorkbookSpec(
        name=wb_name,
        description=data.get('description'),
        tags=list(data.get('tags') or []),
        version=data['version'],
        workflows=workflows,
        actions=actions,
        raw=data,
    )


def _unwritten(raw):
    d = dict(raw)
    d.pop('name', None)
    d.pop('version', None)
    return d


def _as_text(text):
    if isinstance(text, bytes):
        return text.decode('utf-8')
    return text


def _member_slices(text):
    """{(section, member): source text of the member, dedented}.

    Mirrors what the reference stores for workbook members: the member's
    own block cut out of the workbook text. Members written in flow style
    (or anything unusual) are left out; callers fall back to a dump.
    """
    import yaml
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
            if not isinstance(mk, yaml.ScalarNode):
                continue
            start = mk.start_mark.line
            indent = mk.start_mark.column
            line = lines[start] if start < len(lines) else ''
            if len(line) - len(line.lstrip(' ')) != indent:
                continue
            last = start
            j = start + 1
            while j < len(lines):
                cur = lines[j]
                stripped = cur.strip()
                if stripped:
                    if len(cur) - len(cur.lstrip(' ')) <= indent:
                        break
                    last = j
                j += 1
            block = []
            for ln in lines[start:last + 1]:
                cut = min(indent, len(ln) - len(ln.lstrip(' ')))
                block.append(ln[cut:])
            frag = ''.join(block)
            if not frag.endswith('\n'):
                frag += '\n'
            result[(section, mk.value)] = frag
    return result


# --- single stored definitions ---------------------------------------------------

def _select(data, name, kind):
    if not isinstance(data, dict):
        raise exc.InvalidModelException(
            "Invalid DSL: %r is not of type 'object'" % (data,))
    members = [k for k in data if k != 'version']
    if name is not None:
        if name in data and name != 'version':
            return name
        short = name.rsplit('.', 1)[-1]
        if short in data and short != 'version':
            return short
    if len(members) == 1:
        return members[0]
    if not members:
        raise exc.InvalidModelException(
            'At least one item must be in the list [data=%r].' % (data,))
    raise exc.InvalidModelException(
        "%s '%s' not found in the definition" % (kind, name))


def parse_single_workflow(text, name=None):
    text = _as_text(text)
    data = yaml_loader.load(text)
    key = _select(data, name, 'Workflow')
    wf_data = data[key]
    if not isinstance(wf_data, dict):
        raise exc.InvalidModelException(
            "Invalid DSL: %r is not of type 'object'" % (wf_data,))
    spec = build_workflow(key, wf_data, data.get('version', DEFAULT_VERSION),
                          display_name=name or key, check_names=False)
    object.__setattr__(spec, '_definition', text)
    return spec


def parse_single_action(text, name=None):
    text = _as_text(text)
    data = yaml_loader.load(text)
    key = _select(data, name, 'Action')
    spec = build_action(key, data[key], display_name=name or key,
                        check_names=False)
    object.__setattr__(spec, '_definition', text)
    return spec
