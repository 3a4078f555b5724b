"""The benchmark scenarios. Each takes a Context and returns a dict whose
``figure``/``unit`` keys are the headline number; other keys are details.
Everything a scenario creates is removed by its ``finally`` block."""

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import _data
import _servers
import _workflows as wfs
from _client import BenchError
from _client import KeepAliveGetter


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


def _list_loop(get, until, counter, lock, errors):
    n = 0
    try:
        while time.monotonic() < until:
            get()
            n += 1
    except BenchError as e:
        errors.append(e)
    with lock:
        counter[0] += n


def _getter(ctx, path, client):
    """A per-thread GET of ``path``: a ``requests`` session (the client of
    the list scenario's earlier figures) or one keep-alive ``http.client``
    connection."""
    if client == 'requests':
        import requests
        session = requests.Session()
        url = ctx.api.base + path

        def get():
            try:
                resp = session.get(url, timeout=ctx.args.http_timeout)
            except requests.RequestException as e:
                raise BenchError('GET %s failed: %s' % (path, e))
            if resp.status_code != 200:
                raise BenchError('GET %s -> HTTP %s: %s' % (
                    path, resp.status_code, resp.text[:300]))
        return get, session.close
    raw = KeepAliveGetter(ctx.api.base, ctx.args.http_timeout)
    return lambda: raw.get(path), raw.close


def _cpu_by_pid(pids):
    return {pid: _servers.cpu_seconds([pid]) for pid in pids}


def _list_rates(ctx, path, client, seconds, thread_counts):
    """GET ``path`` in a loop for ``seconds`` from each number of threads
    in turn; per count: req/s, requests, and the CPU per request of the
    client (this process) and of the server (every process of the target;
    the pids that used over 5% of it, with their share)."""
    out = {}
    for threads in thread_counts:
        getters = [_getter(ctx, path, client) for _ in range(threads)]
        counter, lock, errors = [0], threading.Lock(), []
        pids = ctx.target.all_pids()
        cpu0 = _cpu_by_pid(pids)
        client0 = time.process_time()
        t0 = time.monotonic()
        until = t0 + seconds
        workers = [threading.Thread(target=_list_loop,
                                    args=(get, until, counter, lock, errors))
                   for get, _ in getters]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds + 120)
        elapsed = time.monotonic() - t0
        client_cpu = time.process_time() - client0
        for _, close in getters:
            close()
        if errors:
            raise errors[0]
        n = counter[0]
        row = {'rps': round(n / elapsed, 1), 'requests': n,
               'client_cpu_ms_per_request': round(
                   client_cpu / max(n, 1) * 1e3, 3)}
        if pids:
            used = {pid: _servers.cpu_seconds([pid]) - cpu0[pid]
                    for pid in pids}
            total = sum(used.values())
            row['server_cpu_ms_per_request'] = round(
                total / max(n, 1) * 1e3, 3)
            row['server_cpu_share_by_pid'] = {
                str(pid): round(c / total, 2) for pid, c in used.items()
                if total and c / total > 0.05}
        out[threads] = row
    return out


def list_(ctx):
    a = ctx.args
    for _ in range(a.list_workflows):
        ctx.create(wfs.one_task(ctx.name('list')))
    listed = len(ctx.api.list_workflows()['workflows'])
    client = a.list_client or 'requests'
    rates = _list_rates(ctx, '/workflows', client, a.list_seconds,
                        (1, a.list_threads))
    seq, par = rates[1], rates[a.list_threads]
    return {'figure': '%.1f / %.1f' % (seq['rps'], par['rps']),
            'unit': 'req/s 1 / %d threads' % a.list_threads,
            'rps_sequential': seq['rps'], 'rps_threads': par['rps'],
            'threads': a.list_threads, 'workflows_listed': listed,
            'seconds_each': a.list_seconds, 'client': client,
            'sequential': seq, 'parallel': par}


def list_paged(ctx):
    """Issue 14's "50 of 300, 8 clients": ``--paged-workflows`` (300)
    one-task workflows stored, ``GET /v2/workflows?limit=50`` (the first
    page) in a loop from 1 thread, then from ``--list-threads`` (8)."""
    a = ctx.args
    batch = 50
    for first in range(0, a.paged_workflows, batch):
        names = [ctx.name('paged')
                 for _ in range(min(batch, a.paged_workflows - first))]
        ctx.create(wfs.many_one_task(names))
    path = '/workflows?limit=%d' % a.page_size
    page = ctx.api.request('GET', path).json()
    if len(page['workflows']) != min(a.page_size, a.paged_workflows) or (
            a.paged_workflows > a.page_size and 'next' not in page):
        raise BenchError('GET %s: %d workflows, next link %s' % (
            path, len(page['workflows']), 'next' in page))
    client = a.list_client or 'http'
    rates = _list_rates(ctx, path, client, a.list_seconds,
                        (1, a.list_threads))
    seq, par = rates[1], rates[a.list_threads]
    return {'figure': '%.1f / %.1f' % (seq['rps'], par['rps']),
            'unit': 'req/s 1 / %d threads' % a.list_threads,
            'rps_sequential': seq['rps'], 'rps_threads': par['rps'],
            'threads': a.list_threads, 'stored': a.paged_workflows,
            'page': a.page_size, 'seconds_each': a.list_seconds,
            'client': client, 'sequential': seq, 'parallel': par}


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
    'list_paged': list_paged,
    # 'memory' is handled by run.py (a sampler over the whole run).
})
# Each throughput scenario runs twice: with trivial actions (std.noop, which
# our engine runs inline, in its transaction) and with actions that always
# go through an executor (``*_executor``: std.sleep seconds=0, std.echo
# with a delay), as real workflows' actions do.
THROUGHPUT = ['chain', 'fanout', 'with_items']
ORDER = ['chain', 'chain_executor', 'fanout', 'fanout_executor',
         'with_items', 'with_items_executor', 'start_latency', 'create_latency',
         'list', 'list_paged'] + _data.ORDER + ['memory']
