"""Where a ``POST /v2/executions`` spends its time, in-process (issue 14).

The embedded server's services (engine, in-process executor, scheduler)
are launched in this process on a fresh SQLite file, and the API's WSGI
application (middleware, access log at INFO through oslo.log, pecan,
WSME) is called with plain WSGI environs from one thread: no HTTP server,
no client. A one-task ``std.noop`` workflow is started ``--starts`` times:

* ``quiet``: each execution is waited for (to SUCCESS) before the next
  POST, so the POST runs alone;
* ``busy``: back to back, as the bench's ``start_latency`` does, the
  previous executions' follow-up work running in the engine's threads.

Per POST it prints the request thread's CPU time, the wall time of the
WSGI call (p50 / p95), the process's CPU time (the POST's share of the
follow-up work included) and the SQL statements the request thread ran;
``--calls`` adds the request thread's Python function calls (cProfile,
which the machine's load does not move), ``--profile OUT`` writes that
profile, ``--profile-followups OUT`` one of the engine threads' work.
Run it with ``PYTHONPATH=<another checkout>`` to measure that
version.

    python bench/start_cpu.py [--starts 200] [--rounds 3] [--calls]
"""

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time

import request_cpu

WORKFLOW = request_cpu.WORKFLOW


def _environ(method, path, body=b''):
    environ = request_cpu._environ(method, path, body)
    if path.endswith('/executions'):
        environ['CONTENT_TYPE'] = 'application/json'
    return environ


def _call(app, environ, expect):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen['status'] = status
    chunks = app(environ, start_response)
    body = b''.join(chunks)
    if hasattr(chunks, 'close'):  # as a WSGI server does once it wrote it
        chunks.close()
    if not seen['status'].startswith(expect):
        raise SystemExit('%s %s: %s %s' % (environ['REQUEST_METHOD'],
                                           environ['PATH_INFO'],
                                           seen['status'], body[:300]))
    return body


class Statements(object):
    """SQL statements run by one thread (cursor executions)."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.thread = None
        self.count = 0
        self.texts = []
        self.keep = False

        @event.listens_for(engine, 'before_cursor_execute')
        def _count(conn, cursor, statement, *args):
            if threading.get_ident() == self.thread:
                self.count += 1
                if self.keep:
                    self.texts.append(statement.split('\n')[0][:100])


def _wait_done(ex_ids, timeout=60):
    from mistral_clone.db import api as db_api
    from mistral_clone.db import models
    deadline = time.monotonic() + timeout
    pending = set(ex_ids)
    while pending:
        with db_api.session() as s:
            for ex_id in list(pending):
                row = s.get(models.WorkflowExecution, ex_id)
                if row is not None and row.state in ('SUCCESS', 'ERROR'):
                    if row.state == 'ERROR':
                        raise SystemExit('execution %s: ERROR' % ex_id)
                    pending.discard(ex_id)
        if pending:
            if time.monotonic() > deadline:
                raise SystemExit('executions did not finish: %d' %
                                 len(pending))
            time.sleep(0.002)


def _round(app, body, starts, quiet, stmts, profile=None):
    thread_cpu, wall, ids = [], [], []
    me = threading.get_ident()
    stmts.count = 0
    proc0 = time.process_time()
    for _ in range(starts):
        env = _environ('POST', '/v2/executions', body)
        w = time.perf_counter()
        c = time.thread_time()
        stmts.thread = me
        if profile is not None:
            profile.enable()
        out = _call(app, env, '201')
        if profile is not None:
            profile.disable()
        stmts.thread = None
        thread_cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
        ex_id = json.loads(out)['id']
        ids.append(ex_id)
        if quiet:
            _wait_done([ex_id])
    _wait_done(ids)
    proc = time.process_time() - proc0
    wall.sort()
    return {'cpu_ms': statistics.median(thread_cpu) * 1e3,
            'cpu_mean_ms': statistics.mean(thread_cpu) * 1e3,
            'p50_ms': wall[len(wall) // 2] * 1e3,
            'p95_ms': wall[int(len(wall) * 0.95)] * 1e3,
            'process_cpu_ms': proc / starts * 1e3,
            'statements': stmts.count / starts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--starts', type=int, default=200)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--port', type=int, default=0,
                        help="the (unused) API server's port")
    parser.add_argument('--calls', action='store_true')
    parser.add_argument('--statements', action='store_true',
                        help='print the statements of one quiet POST')
    parser.add_argument('--profile', help='write a cProfile of the '
                        'request thread over one busy round here')
    parser.add_argument('--profile-followups', help="write a cProfile of "
                        "the engine threads' work over one busy round here")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='mc_start_cpu_')
    launched = None
    try:
        from mistral_clone import config
        from mistral_clone import log
        conf_path = os.path.join(tmp, 'start.conf')
        with open(conf_path, 'w') as f:
            f.write('[DEFAULT]\ndebug = False\n\n[database]\nconnection = '
                    'sqlite:///%s\n\n[pecan]\nauth_enable = False\n'
                    % os.path.join(tmp, 'db.sqlite'))
        config.parse_args(['--config-file', conf_path])
        config.CONF.set_override('log_file', os.path.join(tmp, 'api.log'))
        log.setup(config.CONF)
        config.register_api_opts(config.CONF)
        from mistral_clone import launcher
        launcher.setup_database(config.CONF)
        launched = launcher.launch(launcher.COMPONENTS, config.CONF,
                                   api_port=args.port, api_host='127.0.0.1',
                                   start_api_thread=False)
        from mistral_clone.api import app as app_module
        from mistral_clone.db import api as db_api
        from mistral_clone.api import serving
        # The application as the HTTP server calls it (api/serving.py).
        app = serving._WholeBody(app_module.setup_app(config.CONF))
        stmts = Statements(db_api.get_engine())
        _call(app, _environ('POST', '/v2/workflows',
                            WORKFLOW.replace('NAME', 'wf_start').encode()),
              '201')
        body = json.dumps({'workflow_name': 'wf_start'}).encode()
        _round(app, body, 20, False, stmts)  # warm up
        if args.statements:
            stmts.keep = True
            stmts.texts = []
            _round(app, body, 1, True, stmts)
            stmts.keep = False
            print('statements of one POST (request thread):')
            for text in stmts.texts:
                print('   ', text)
        for mode in ('quiet', 'busy'):
            rounds = [_round(app, body, args.starts, mode == 'quiet', stmts)
                      for _ in range(args.rounds)]
            best = min(rounds, key=lambda r: r['cpu_ms'])
            print('%-5s request thread CPU %.3f ms/POST (median; rounds %s), '
                  'wall p50 %s / p95 %s ms, process CPU %s ms/POST, '
                  '%.1f statements' % (
                      mode, best['cpu_ms'],
                      ', '.join('%.3f' % r['cpu_ms'] for r in rounds),
                      '/'.join('%.2f' % r['p50_ms'] for r in rounds),
                      '/'.join('%.2f' % r['p95_ms'] for r in rounds),
                      '/'.join('%.2f' % r['process_cpu_ms'] for r in rounds),
                      best['statements']))
        if args.profile_followups:
            import cProfile
            import pstats
            followups = cProfile.Profile(time.thread_time)
            engine = launched.engine
            lock = threading.Lock()
            plain = engine._safely

            def profiled(fn, *a):
                with lock:  # one engine thread profiled at a time
                    followups.enable()
                    try:
                        plain(fn, *a)
                    finally:
                        followups.disable()
            engine._safely = profiled
            n = min(args.starts, 100)
            _round(app, body, n, False, stmts)
            engine._safely = plain
            followups.dump_stats(args.profile_followups)
            print('busy  %d Python calls/POST (engine threads)' % (
                pstats.Stats(followups).total_calls / n))
        if args.calls or args.profile:
            import cProfile
            import pstats
            profile = cProfile.Profile(time.thread_time)
            n = min(args.starts, 100)
            _round(app, body, n, False, stmts, profile=profile)
            if args.profile:
                profile.dump_stats(args.profile)
            print('busy  %d Python calls/POST (request thread)' % (
                pstats.Stats(profile).total_calls / n))
    finally:
        if launched is not None:
            launched.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
