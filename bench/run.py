#!/usr/bin/env python3
"""Benchmarks for a Mistral v2 API server (mistral_clone or the reference).

    python bench/run.py [--url URL [--pid PID[,PID]] [--pid-tree]
                         | --start-embedded | --start-production]
                        [--scenarios chain,chain_executor,fanout,
                                     fanout_executor,with_items,
                                     with_items_executor,start_latency,
                                     create_latency,list,list_paged,
                                     data_yaql_1mb,
                                     data_jinja_1mb,data_yaql_10mb,
                                     data_jinja_10mb,memory]
                        [--json OUT] [--reference JSON] [-v]

Everything goes over raw HTTP (requests); timings are taken on the client.
See bench/README.md for what each scenario measures.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _compare  # noqa: E402
import _data  # noqa: E402
import _scenarios as sc  # noqa: E402
from _client import Api, BenchError  # noqa: E402
import _servers  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument('--url', help='an already running server, e.g. '
                      'http://127.0.0.1:8989/v2')
    mode.add_argument('--start-embedded', action='store_true',
                      help='start mistral-clone-server (SQLite, temp dir, '
                      'free port), run, stop it')
    mode.add_argument('--start-production', action='store_true',
                      help='start api + engines + executors + scheduler as '
                      'separate processes over RabbitMQ + PostgreSQL')
    p.add_argument('--scenarios', default=','.join(sc.ORDER),
                   help='comma-separated subset of: %s' % ','.join(sc.ORDER))
    p.add_argument('--json', metavar='OUT', help='write results as JSON')
    p.add_argument('--pid', default='',
                   help='--url mode: server pid(s) for the memory figure')
    p.add_argument('--pid-tree', action='store_true',
                   help='also count all descendants of --pid (e.g. the '
                   'reference master pid and its forked workers)')
    p.add_argument('--label', default='', help='free text stored in JSON')
    p.add_argument('--reference', metavar='JSON',
                   help='a JSON file of another run (e.g. of the reference '
                   'Mistral): its figures are printed beside ours')
    p.add_argument('--server-bin', help='mistral-clone-server to start')
    p.add_argument('--port', type=int, default=0,
                   help='API port of a started server (default: a free one)')
    p.add_argument('--keep-logs', action='store_true',
                   help='keep the temp dir of started servers')
    p.add_argument('--no-bytecode-cache', action='store_true',
                   help='do not compile the started server\'s '
                   'mistral_clone to .pyc first (by default it is, as an '
                   'installed package is; with PYTHONDONTWRITEBYTECODE set '
                   'and no .pyc left by an earlier run, every process then '
                   'compiles it from source, the condition of runs before '
                   '2026-11-30 23:30 UTC)')
    p.add_argument('--option', action='append', default=[],
                   metavar='SECTION.KEY=VALUE',
                   help='extra config for started servers, repeatable, e.g. '
                   'database.sqlite_synchronous=False')
    p.add_argument('--engines', type=int, default=2)
    p.add_argument('--executors', type=int, default=2)
    p.add_argument('--nice', type=int, default=None,
                   help='renice the server process(es) (with --pid-tree '
                   'their descendants too) and this client to N, e.g. -10 '
                   'to shield the measurement from other load (root only)')
    p.add_argument('-v', '--verbose', action='store_true')
    g = p.add_argument_group('sizes and limits')
    g.add_argument('--timeout', type=float, default=900,
                   help='max seconds to wait for executions per step')
    g.add_argument('--http-timeout', type=float, default=120)
    g.add_argument('--smoke-timeout', type=float, default=60)
    g.add_argument('--chain-tasks', type=int, default=20)
    g.add_argument('--chain-executions', type=int, default=20)
    g.add_argument('--start-threads', type=int, default=4,
                   help='chain: POST the executions from this many threads '
                   '(the reference API listens with backlog 5 and resets '
                   'connections beyond that)')
    g.add_argument('--fanout-branches', type=int, default=100)
    g.add_argument('--fanout-runs', type=int, default=3)
    g.add_argument('--items', type=int, default=500)
    g.add_argument('--items-concurrency', type=int, default=25)
    g.add_argument('--starts', type=int, default=100)
    g.add_argument('--create-small', type=int, default=20)
    g.add_argument('--create-big', type=int, default=5)
    g.add_argument('--list-workflows', type=int, default=50)
    g.add_argument('--list-seconds', type=float, default=5)
    g.add_argument('--list-threads', type=int, default=8)
    g.add_argument('--paged-workflows', type=int, default=300,
                   help='list_paged: workflows stored')
    g.add_argument('--page-size', type=int, default=50,
                   help='list_paged: the limit of each GET')
    g.add_argument('--list-client', choices=('http', 'requests'),
                   help='HTTP client of the list loops: one keep-alive '
                   'http.client connection per thread (default of '
                   'list_paged) or requests (default of list)')
    args = p.parse_args(argv)
    args.scenario_list = [s.strip() for s in args.scenarios.split(',')
                          if s.strip()]
    unknown = [s for s in args.scenario_list if s not in sc.ORDER]
    if unknown:
        p.error('unknown scenario(s): %s' % ', '.join(unknown))
    return args


def machine_info():
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ''
    try:
        with open('/proc/meminfo') as f:
            mem = f.readline().split(':', 1)[1].strip()
    except OSError:
        pass
    return {'cpus': os.cpu_count(), 'cpu_model': cpu, 'mem_total': mem,
            'python': platform.python_version(),
            'kernel': platform.release()}


def _role_cpu(target):
    """``{role: {pid: cpu seconds}}`` of the target's roles, or None."""
    roles = target.cpu_by_role()
    if not roles:
        return None
    return {role: {pid: _servers.cpu_seconds([pid]) for pid in pids}
            for role, pids in roles.items()}


def _role_cpu_since(target, before):
    """CPU seconds of each role since ``before`` (processes that started
    meanwhile, e.g. new database backends, count whole)."""
    out = {}
    for role, pids in (_role_cpu(target) or {}).items():
        old = before.get(role, {})
        out[role] = round(sum(max(0.0, cpu - old.get(pid, 0.0))
                              for pid, cpu in pids.items()), 2)
    return out


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def make_target(args):
    if args.url:
        pids = [int(x) for x in args.pid.split(',') if x.strip()]
        return _servers.UrlTarget(args.url, pids, args.pid_tree)
    options = list(args.option)
    for default in _data.SERVER_OPTIONS:
        # The 10 MB data scenarios need larger field and body size limits.
        if not any(o.startswith(default.partition('=')[0] + '=')
                   for o in options):
            options.insert(0, default)
    kw = {'server_bin': args.server_bin, 'keep': args.keep_logs,
          'extra_options': options,
          'bytecode_cache': not args.no_bytecode_cache,
          'port': args.port}
    if args.start_embedded:
        return _servers.EmbeddedTarget(**kw)
    return _servers.ProductionTarget(engines=args.engines,
                                     executors=args.executors, **kw)


def renice(target, value):
    pids = target.all_pids()
    done = []
    # Linux nice values are per thread: renice every existing thread
    # (threads created later inherit from their creator).
    for pid in [os.getpid()] + sorted(set(pids)):
        try:
            tids = [int(t) for t in os.listdir('/proc/%d/task' % pid)]
        except OSError:
            tids = [pid]
        for tid in tids:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, value)
            except OSError as e:
                raise BenchError('cannot renice %d to %d: %s'
                                 % (tid, value, e))
        done.append(pid)
    return done


def print_table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for n, r in enumerate(rows):
        print('  '.join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            print('  '.join('-' * w for w in widths))


def _sigterm(signum, frame):
    raise KeyboardInterrupt()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _sigterm)  # clean up and stop servers
    target = make_target(args)
    results = {}
    meta = {'date': datetime.datetime.now().isoformat(timespec='seconds'),
            'argv': sys.argv, 'label': args.label,
            'machine': machine_info(), 'loadavg_1m_start': loadavg()}
    failed = False
    sampler = None
    try:
        target.start()
        meta['target'] = target.description
        meta['url'] = target.url
        api = Api(target.url, timeout=args.http_timeout)
        print('# target: %s' % target.description, flush=True)
        if not api.ping(timeout=10):
            raise BenchError('no answer from GET %s/workflows' % api.base)
        if args.nice is not None:
            meta['nice'] = renice(target, args.nice)
            print('# reniced to %d: pids %s' % (args.nice, meta['nice']))

        if 'memory' in args.scenario_list:
            pids = target.pids()
            if pids:
                sampler = _servers.MemorySampler(
                    pids, include_children=target.include_children)
                sampler.start()
            else:
                print('# memory: no server pid known (use --pid with --url)')

        ctx = sc.Context(api, args, target)
        try:
            s = sc.smoke(ctx)
        except BenchError as e:
            raise BenchError('smoke test failed, the server does not run a '
                             'one-task std.noop workflow to SUCCESS: %s' % e)
        finally:
            ctx.cleanup()
        print('# smoke: one-task execution SUCCESS in %.3f s' % s['seconds'],
              flush=True)

        for name in args.scenario_list:
            if name == 'memory':
                continue
            ctx = sc.Context(api, args, target)
            print('# %s ...' % name, flush=True)
            t0 = time.monotonic()
            pids = target.all_pids()
            cpu0 = _servers.cpu_seconds(pids)
            roles0 = _role_cpu(target)
            try:
                res = sc.SCENARIOS[name](ctx)
                res['wall_seconds'] = round(time.monotonic() - t0, 1)
                if pids:
                    # Server CPU time (all processes) for the whole
                    # scenario, setup and drain included: robust against
                    # other load on the machine, unlike wall-clock figures.
                    res['server_cpu_seconds'] = round(
                        _servers.cpu_seconds(pids) - cpu0, 2)
                res['loadavg_1m_after'] = loadavg()
                if sampler is not None:
                    # Where each process's peak grows, scenario by scenario.
                    res['vmhwm_mb_after'] = sampler.peaks_by_name(
                        target.pid_names())
                if roles0:
                    res['cpu_seconds_by_role'] = _role_cpu_since(target,
                                                                 roles0)
                print('%-15s %s %s  (server CPU %s s, wall %s s)'
                      % (name, res['figure'], res['unit'],
                         res.get('server_cpu_seconds', '?'),
                         res['wall_seconds']), flush=True)
                if 'peak_rss_mb' in res:
                    print('%-15s RSS %s MB before, peak %s MB: growth %sx '
                          'the %d-byte payload' % (
                              '', res['rss_before_mb'], res['peak_rss_mb'],
                              res.get('growth_over_payload', '?'),
                              res['payload_bytes']), flush=True)
            except BenchError as e:
                failed = True
                res = {'error': str(e)}
                print('%-15s FAILED: %s' % (name, e), flush=True)
            finally:
                ctx.cleanup()
                target.check_alive()
            results[name] = res
    except BenchError as e:
        failed = True
        print('ERROR: %s' % e, file=sys.stderr, flush=True)
        results.setdefault('_error', str(e))
    except KeyboardInterrupt:
        failed = True
        results.setdefault('_error', 'interrupted')
    except Exception:
        failed = True
        traceback.print_exc()
        results.setdefault('_error', traceback.format_exc(limit=3))
    finally:
        if sampler is not None:
            names = target.pid_names()
            mem = sampler.stop()
            mem['vmhwm_mb_by_name'] = {
                names.get(int(p), p): v
                for p, v in mem['vmhwm_mb_per_pid'].items()}
            mem['figure'] = mem['vmhwm_mb_sum']
            mem['unit'] = 'MB peak RSS (sum of VmHWM over %d process(es))' \
                % len(mem['pids'])
            results['memory'] = mem
            print('%-15s %s %s' % ('memory', mem['figure'], mem['unit']),
                  flush=True)
        try:
            target.stop()
        except Exception as e:  # never leave a server behind silently
            print('# stopping the server failed: %s' % e, file=sys.stderr)
            failed = True

    meta['loadavg_1m_end'] = loadavg()
    if not args.nice and (meta['loadavg_1m_start'] or 0) > (os.cpu_count() or 1):
        print('# note: load average %.1f at start on %d CPUs: wall-clock '
              'figures are unreliable (see --nice, server CPU s)'
              % (meta['loadavg_1m_start'], os.cpu_count()))
    rows = [('scenario', 'figure', 'unit', 'server CPU s', 'wall s')]
    for name in sc.ORDER:
        if name in results:
            r = results[name]
            rows.append((name, r.get('figure', 'FAILED'),
                         r.get('unit', r.get('error', '')[:60]),
                         r.get('server_cpu_seconds', ''),
                         r.get('wall_seconds', '')))
    if len(rows) > 1:
        print()
        print_table(rows)
    if args.reference:
        label, ref = _compare.load(args.reference)
        print()
        print('# beside %s (%s)' % (label, args.reference))
        print_table(_compare.rows(sc.ORDER, results, ref))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'meta': meta, 'results': results}, f, indent=2,
                      sort_keys=True)
        print('# JSON written to %s' % args.json)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
