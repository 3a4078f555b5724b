"""CPU per INFO log line of the hot paths, logging set up as a production
process does (issue 14).

``config.parse_args`` on a config file (``debug = False``, as
``bench/run.py`` writes it), then ``log.setup`` (oslo.log's handlers and
ContextFormatter, our masking formatter), in two set-ups:

* ``file``: ``log_file`` set (oslo.log's WatchedFileHandler);
* ``stdout``: no ``log_file`` (oslo.log's StreamHandler on stdout; here
  stdout is a file, as under ``bench/run.py``).

and two kinds of lines:

* ``trace``: the engine's workflow trace, ``observe.task_state_changed``
  (one ``workflow_trace`` INFO line, ``Task 't7' [RUNNING -> SUCCESS]
  (task_id=..., workflow '...', execution_id=...)``), as ``db/tracking``
  calls it after a transaction; no request context (engine threads have
  none); metrics unread (an engine without ``[metrics] port``);
* ``access``: the API's access log middleware (``RequestId`` +
  ``AccessLog``) around an application that only answers ``200`` with a
  ``Content-Length``: one ``mistral_clone.api.access`` INFO line per call.
  ``access-off`` is the same call with that logger at WARNING: the
  difference is the line's own cost.

Each figure is thread CPU time per line (per call for access), the best
of ``--rounds`` rounds of ``--lines`` lines: it hardly moves on a busy
machine. ``--calls`` adds cProfile's Python function calls per line (a
figure the machine's load does not move), ``--profile KIND`` prints
cProfile's top functions for one kind (``trace`` / ``access``) with the
``--setup`` given; ``--kind`` and ``--setup`` restrict the run. Run with
``PYTHONPATH=<another checkout>`` to measure that version; the bytes
written are the same either way (the last line of each kind is printed
with ``--show``).

    python bench/log_cpu.py [--lines 5000] [--rounds 5] [--calls]
    python bench/log_cpu.py --profile trace --setup file
"""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time

WF_EX = '0b7a3c52-8f6e-4d51-9b1e-3c2f4a6d7e80'
TASK_EX = '5e1f0c9a-2b3d-4e6f-8a7b-9c0d1e2f3a4b'
WF_NAME = 'bench_k3j2h1_chain_executor'


def _setup(tmp, setup):
    """Logging of a production process; returns the file it writes."""
    from mistral_clone import config
    from mistral_clone import log
    from mistral_clone import observe
    conf_path = os.path.join(tmp, 'bench.conf')
    out = os.path.join(tmp, 'service.log')
    with open(conf_path, 'w') as f:
        f.write('[DEFAULT]\ndebug = False\n')
        if setup == 'file':
            f.write('log_file = %s\n' % out)
    config.parse_args(['--config-file', conf_path])
    saved = sys.stdout
    if setup == 'stdout':
        sys.stdout = open(out, 'w')  # what bench/run.py's processes have
    try:
        log.setup(config.CONF)
    finally:
        sys.stdout = saved
    observe.configure(config.CONF.workflow_trace_log_name, served=False)
    return out


def _trace_line():
    from mistral_clone import observe

    def one(i):
        observe.task_state_changed(TASK_EX, 't%d' % (i % 20), WF_EX,
                                   WF_NAME, 'RUNNING', 'SUCCESS')
    return one


def _access_call():
    from mistral_clone.api import middleware

    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', '2')])
        return [b'{}']

    wsgi = middleware.RequestId(middleware.AccessLog(app, False))

    def start_response(status, headers, exc_info=None):
        pass

    def one(i):
        environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/v2/workflows',
                   'QUERY_STRING': 'limit=50', 'REMOTE_ADDR': '127.0.0.1',
                   'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
                   'wsgi.input': io.BytesIO(b'')}
        wsgi(environ, start_response)
    return one


def _time(one, lines, rounds):
    for i in range(min(lines, 500)):  # warm up
        one(i)
    best = None
    for _ in range(rounds):
        started = time.thread_time()
        for i in range(lines):
            one(i)
        took = (time.thread_time() - started) / lines * 1e6
        best = took if best is None else min(best, took)
    return best


def _calls(one, lines=500):
    import cProfile
    import pstats
    profile = cProfile.Profile()
    profile.enable()
    for i in range(lines):
        one(i)
    profile.disable()
    return pstats.Stats(profile).total_calls / lines


def _profile(one, lines):
    import cProfile
    import pstats
    profile = cProfile.Profile()
    profile.enable()
    for i in range(lines):
        one(i)
    profile.disable()
    pstats.Stats(profile).sort_stats('tottime').print_stats(25)


def _last_line(path):
    with open(path, 'rb') as f:
        return f.read().splitlines()[-1].decode('utf-8', 'replace')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lines', type=int, default=5000)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--calls', action='store_true')
    parser.add_argument('--show', action='store_true')
    parser.add_argument('--setup', choices=('file', 'stdout'),
                        action='append')
    parser.add_argument('--profile', choices=('trace', 'access'))
    parser.add_argument('--kind', choices=('trace', 'access'),
                        action='append')
    args = parser.parse_args()
    setups = args.setup or ['file', 'stdout']
    import logging
    from oslo_context import context as oslo_context
    for setup in setups:
        # No request context left by the previous set-up's access calls.
        oslo_context._request_store.__dict__.pop('context', None)
        tmp = tempfile.mkdtemp(prefix='mc_log_cpu_')
        try:
            out = _setup(tmp, setup)
            kinds = (('trace', _trace_line()), ('access', _access_call()))
            if args.profile:
                one = dict(kinds)[args.profile]
                _time(one, 500, 1)
                _profile(one, args.lines)
                continue
            access_log = logging.getLogger('mistral_clone.api.access')
            for kind, one in kinds:
                if args.kind and kind not in args.kind:
                    continue
                took = _time(one, args.lines, args.rounds)
                calls = ''
                if args.calls:
                    calls = ', %d Python calls' % _calls(one)
                print('%-7s %-11s %6.1f us CPU/line%s' % (setup, kind, took,
                                                         calls))
                if args.show:
                    print('   ', _last_line(out))
            if args.kind and 'access' not in args.kind:
                continue
            access_log.setLevel(logging.WARNING)
            took = _time(dict(kinds)['access'], args.lines, args.rounds)
            access_log.setLevel(logging.NOTSET)
            print('%-7s %-11s %6.1f us CPU/call (no line)' % (
                setup, 'access-off', took))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
