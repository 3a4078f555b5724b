"""Side-by-side table: this run's figures beside a reference run's (a JSON
file written by ``run.py --json``, e.g. of the reference Mistral).

The reference has no inline path: every action, std.noop included, goes
through its executor. When its JSON has no ``X_executor`` figure, the
``X`` one stands for it (marked ``*``)."""

import json

# scenario -> (key in the result, higher is better)
_FIGURES = {
    'chain': ('figure', True),
    'chain_executor': ('figure', True),
    'fanout': ('figure', False),
    'fanout_executor': ('figure', False),
    'with_items': ('figure', True),
    'with_items_executor': ('figure', True),
    'start_latency': ('p50_ms', False),
    'list': ('rps_threads', True),
    'list_paged': ('rps_threads', True),
    'memory': ('figure', False),
}


def load(path):
    with open(path) as f:
        data = json.load(f)
    return data.get('meta', {}).get('label') or path, data['results']


def _value(results, name):
    key, _ = _FIGURES[name]
    r = results.get(name) or {}
    v = r.get(key)
    return v if isinstance(v, (int, float)) else None


def rows(order, ours, reference):
    """Table rows (header first): scenario, ours, reference, ours vs
    reference (how many times better)."""
    out = [('scenario', 'figure', 'ours', 'reference', 'ours vs reference')]
    for name in order:
        if name not in _FIGURES or name not in ours:
            continue
        mine = _value(ours, name)
        ref, mark = _value(reference, name), ''
        if ref is None and name.endswith('_executor'):
            ref, mark = _value(reference, name[:-len('_executor')]), '*'
        key, higher = _FIGURES[name]
        unit = (ours[name].get('unit', '') if key == 'figure' else key)
        ratio = ''
        if mine and ref:
            ratio = '%.1fx' % (mine / ref if higher else ref / mine)
        out.append((name, unit, '' if mine is None else mine,
                    '' if ref is None else '%s%s' % (ref, mark), ratio))
    return out
