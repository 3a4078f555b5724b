"""The benchmark scenarios. Each takes a Context and returns a dict whose
``figure``/``unit`` keys are the headline number; other keys are details.
Everything a scenario creates is removed by its ``finally`` block."""

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import _data
import _workflows as wfs
from _client import BenchError


class Context(object):
    def __init__(self, api, args, target):
        self.api = api
        self.args = args
        self.target = target
        self.prefix = 'bench_%s' % uuid.uuid4().hex[:8]
        self._n = 0
        self.workflows = []
        self.executions = []

    def name(self, what):
        self._n += 1
        return '%s_%s_%d' % (self.prefix, what, self._n)

    def log(self, msg):
        if self.args.verbose:
            print('#   %s' % msg, flush=True)

    def create(self, definition):
        created = self.api.create_workflows(definition)
        self.workflows.extend(w['name'] for w in created)
        return created

    def start(self, wf_name, wf_input=None):
        ex = self.api.start_execution(wf_name, wf_input)
        self.executions.append(ex['id'])
        return ex

    def cleanup(self):
        """Delete this scenario's executions, then its workflows."""
        errors = []
        for ex_id in self.executions:
            try:
                self.api.delete_execution(ex_id)
            except BenchError as e:
                errors.append(str(e))
        self.executions = []
        for name in self.workflows:
            try:
                self.api.delete_workflow(name)
            except BenchError as e:
                errors.append(str(e))
        self.workflows = []
        if errors:
            print('# cleanup problems: %d, first: %s'
                  % (len(errors), errors[0][:300]), flush=True)


def pct(values, p):
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return float('nan')
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def ms(x):
    return round(x * 1000.0, 1)


def smoke(ctx):
    """One trivial execution must reach SUCCESS, else nothing else will."""
    name = ctx.name('smoke')
    ctx.create(wfs.one_task(name))
    t0 = time.monotonic()
    ex = ctx.start(name)
    ctx.api.wait_executions(name, [ex['id']], ctx.args.smoke_timeout, t0)
    return {'seconds': round(time.monotonic() - t0, 3)}


def start_many(ctx, name, count, wf_input=None, threads=None):
    """Start ``count`` executions, concurrently when ``threads``."""
    if not threads:
        return [ctx.start(name, wf_input)['id'] for _ in range(count)]
    with ThreadPoolExecutor(threads) as pool:
        futs = [pool.submit(ctx.api.start_execution, name, wf_input)
                for _ in range(count)]
        ids = []
        first_error = None
        for f in futs:
            try:
                ids.append(f.result()['id'])
            except BenchError as e:
                first_error = first_error or e
        ctx.executions.extend(ids)
        if first_error:
            raise first_error
        return ids


def chain(ctx, action='std.noop'):
    a = ctx.args
    name = ctx.name('chain')
    ctx.create(wfs.chain(name, a.chain_tasks, action))
    t0 = time.monotonic()
    ids = start_many(ctx, name, a.chain_executions,
                     threads=a.start_threads)
    t_started = time.monotonic() - t0
    done = ctx.api.wait_executions(name, ids, a.timeout, t0)
    total = max(t for _, t in done.values())
    transitions = a.chain_tasks * a.chain_executions
    return {'figure': round(transitions / total, 1),
            'unit': 'task transitions/s',
            'tasks': a.chain_tasks, 'executions': a.chain_executions,
            'action': action, 'seconds': round(total, 3),
            'start_threads': a.start_threads,
            'seconds_to_start_all': round(t_started, 3)}


def fanout(ctx, action='std.noop'):
    a = ctx.args
    name = ctx.name('fanout')
    ctx.create(wfs.fanout(name, a.fanout_branches, action))
    times = []
    for i in range(a.fanout_runs):
        t0 = time.monotonic()
        ex = ctx.start(name)
        done = ctx.api.wait_executions(name, [ex['id']], a.timeout, t0)
        times.append(done[ex['id']][1])
        ctx.log('fanout run %d: %.3f s' % (i + 1, times[-1]))
    return {'figure': round(statistics.median(times), 3),
            'unit': 's to SUCCESS (median)',
            'branches': a.fanout_branches, 'runs': a.fanout_runs,
            'action': action,
            'seconds_each': [round(t, 3) for t in times]}


def with_items(ctx, action=wfs.INLINE_ITEM_ACTION):
    a = ctx.args
    name = ctx.name('items')
    ctx.create(wfs.with_items(name, a.items_concurrency, action))
    items = list(range(a.items))
    t0 = time.monotonic()
    ex = ctx.start(name, {'items': items})
    done = ctx.api.wait_executions(name, [ex['id']], a.timeout, t0)
    total = done[ex['id']][1]
    return {'figure': round(a.items / total, 1), 'unit': 'items/s',
            'items': a.items, 'concurrency': a.items_concurrency,
            'action': action,
            'seconds': round(total, 3)}


def start_latency(ctx):
    a = ctx.args
    name = ctx.name('start')
    ctx.create(wfs.one_task(name))
    lat = []
    ids = []
    for _ in range(a.starts):
        t = time.monotonic()
        ex = ctx.start(name)
        lat.append(time.monotonic() - t)
        ids.append(ex['id'])
    # Let the background work drain so it does not bleed into the next
    # scenario (not timed).
    t0 = time.monotonic()
    ctx.api.wait_executions(name, ids, a.timeout)
    drain = time.monotonic() - t0
    return {'figure': '%s / %s' % (ms(pct(lat, 50)), ms(pct(lat, 95))),
            'unit': 'ms p50 / p95',
            'p50_ms': ms(pct(lat, 50)), 'p95_ms': ms(pct(lat, 95)),
            'mean_ms': ms(statistics.mean(lat)), 'max_ms': ms(max(lat)),
            'starts': a.starts, 'drain_seconds_after': round(drain, 3)}


def _create_delete(ctx, make, count):
    lat = []
    for _ in range(count):
        name = ctx.name('create')
        definition = make(name)
        t = time.monotonic()
        ctx.create(definition)
        lat.append(time.monotonic() - t)
        ctx.api.delete_workflow(name, missing_ok=False)
        ctx.workflows.remove(name)
    return lat


def create_latency(ctx):
    a = ctx.args
    small = _create_delete(ctx, wfs.one_task, a.create_small)
    big = _create_delete(ctx, lambda n: wfs.chain(n, 100), a.create_big)
    return {'figure': '%s / %s' % (ms(statistics.median(small)),
                                   ms(statistics.median(big))),
            'unit': 'ms p50 small / 100-task',
            'small_p50_ms': ms(statistics.median(small)),
            'small_n': len(small),
            'big_p50_ms': ms(statistics.median(big)), 'big_n': len(big),
            'small_all_ms': [ms(x) for x in small],
            'big_all_ms': [ms(x) for x in big]}


def _list_loop(api, until, counter, lock, errors):
    n = 0
    try:
        while time.monotonic() < until:
            api.request('GET', '/workflows')
            n += 1
    except BenchError as e:
        errors.append(e)
    with lock:
        counter[0] += n


def list_(ctx):
    a = ctx.args
    for _ in range(a.list_workflows):
        ctx.create(wfs.one_task(ctx.name('list')))
    listed = len(ctx.api.list_workflows()['workflows'])
    results = {}
    for threads in (1, a.list_threads):
        counter, lock, errors = [0], threading.Lock(), []
        t0 = time.monotonic()
        until = t0 + a.list_seconds
        workers = [threading.Thread(target=_list_loop,
                                    args=(ctx.api, until, counter, lock,
                                          errors))
                   for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(a.list_seconds + 120)
        elapsed = time.monotonic() - t0
        if errors:
            raise errors[0]
        results[threads] = counter[0] / elapsed
    return {'figure': '%.1f / %.1f' % (results[1], results[a.list_threads]),
            'unit': 'req/s 1 / %d threads' % a.list_threads,
            'rps_sequential': round(results[1], 1),
            'rps_threads': round(results[a.list_threads], 1),
            'threads': a.list_threads, 'workflows_listed': listed,
            'seconds_each': a.list_seconds}


def chain_executor(ctx):
    return chain(ctx, wfs.EXECUTOR_TASK_ACTION)


def fanout_executor(ctx):
    return fanout(ctx, wfs.EXECUTOR_TASK_ACTION)


def with_items_executor(ctx):
    return with_items(ctx, wfs.EXECUTOR_ITEM_ACTION)


SCENARIOS = dict(_data.SCENARIOS, **{
    'chain': chain,
    'chain_executor': chain_executor,
    'fanout': fanout,
    'fanout_executor': fanout_executor,
    'with_items': with_items,
    'with_items_executor': with_items_executor,
    'start_latency': start_latency,
    'create_latency': create_latency,
    'list': list_,
    # 'memory' is handled by run.py (a sampler over the whole run).
})
# Each throughput scenario runs twice: with trivial actions (std.noop, which
# our engine runs inline, in its transaction) and with actions that always
# go through an executor (``*_executor``: std.sleep seconds=0, std.echo
# with a delay), as real workflows' actions do.
THROUGHPUT = ['chain', 'fanout', 'with_items']
ORDER = ['chain', 'chain_executor', 'fanout', 'fanout_executor',
         'with_items', 'with_items_executor', 'start_latency', 'create_latency',
         'list'] + _data.ORDER + ['memory']
