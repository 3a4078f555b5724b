"""Memory and CPU of a process's first YAQL expression (issue 14).

Runs in a fresh interpreter: imports what an engine imports before its
first expression (``mistral_clone.engine.service`` and the expressions
package, yaql's limits at the server's defaults), reads VmRSS/VmHWM,
evaluates ``<% $.items %>`` through
``mistral_clone.expressions.evaluate`` (the first one imports yaql and our
evaluator; before 2026-11-30 it also built the YAQL engine, PLY's tables,
for a list under yaql's limits), reads them again, then one more
expression that needs yaql's parser (``<% $.items.len() + 1 %>``).

    python bench/yaql_first.py [--runs N] [--steps]

``--steps`` also prints VmRSS after each module import of the first
expression, in import order (a ``sys.meta_path`` hook reading
/proc/self/status after each top-level module finished loading).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _status():
    out = {}
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(('VmRSS:', 'VmHWM:')):
                key, value = line.split(':')
                out[key] = int(value.split()[0]) / 1024.0
    return out


def _cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(steps):
    import importlib
    importlib.import_module('mistral_clone.engine.service')  # an engine's
    from mistral_clone import expressions
    # [yaql] limit_iterators and memory_quota at their defaults, as a
    # server configures them (config.py).
    expressions.configure(limit_iterators=100000, memory_quota=10000000)
    before = _status()
    loaded = []
    if steps:
        import importlib.abc

        class Hook(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                loaded.append((name, _status()['VmRSS']))
                return None
        sys.meta_path.insert(0, Hook())
    cpu0, t0 = _cpu(), time.perf_counter()
    assert expressions.evaluate('<% $.items %>', {'items': [1, 2]}) == [1, 2]
    cpu1, t1 = _cpu(), time.perf_counter()
    after = _status()
    assert expressions.evaluate('<% $.items.len() + 1 %>',
                                {'items': [1, 2]}) == 3
    after2 = _status()
    print(json.dumps({
        'before_rss': before['VmRSS'], 'before_hwm': before['VmHWM'],
        'after_rss': after['VmRSS'], 'after_hwm': after['VmHWM'],
        'after2_rss': after2['VmRSS'], 'after2_hwm': after2['VmHWM'],
        'first_cpu_s': cpu1 - cpu0, 'first_wall_s': t1 - t0,
        'steps': loaded}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--runs', type=int, default=3)
    p.add_argument('--steps', action='store_true')
    p.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.steps)
    for _ in range(a.runs):
        cmd = [sys.executable, os.path.abspath(__file__), '--child']
        if a.steps:
            cmd.append('--steps')
        r = json.loads(subprocess.check_output(cmd))
        print('RSS %.1f -> %.1f MB (+%.2f), VmHWM %.1f -> %.1f MB (+%.2f), '
              'after a yaql-evaluated one VmHWM %.1f; first expression '
              '%.3f s CPU, %.3f s wall' % (
                  r['before_rss'], r['after_rss'],
                  r['after_rss'] - r['before_rss'], r['before_hwm'],
                  r['after_hwm'], r['after_hwm'] - r['before_hwm'],
                  r['after2_hwm'], r['first_cpu_s'], r['first_wall_s']))
        if a.steps:
            prev = r['before_rss']
            for name, rss in r['steps']:
                print('  %+.2f before %s' % (rss - prev, name))
                prev = rss
            print('  %+.2f rest' % (r['after_rss'] - prev))


if __name__ == '__main__':
    main()
