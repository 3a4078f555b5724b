"""CPU per request of the API's WSGI application (no HTTP server).

The whole application as ``setup_app()`` builds it (middleware, access log
at INFO to a file through oslo.log and the masking formatter, pecan, WSME)
over a fresh SQLite file holding 60 workflows, called with plain WSGI
environs from one thread. Figures are thread CPU time per request, best
of three rounds: they hardly move on a busy machine.

    python bench/request_cpu.py ['/v2/workflows?limit=50' ...] [--requests 2000]

``/v2/workflows?limit=1`` is close to the fixed cost of any request.
``--calls`` adds the Python function calls per request (cProfile's count,
over 200 requests): a figure the machine's load does not move. ``--rows N``
stores N workflows (default 60).
"""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time

WORKFLOW = ("---\nversion: '2.0'\nNAME:\n  tasks:\n    t1:\n"
            "      action: std.noop\n")


def _environ(method, path, body=b''):
    path, _, query = path.partition('?')
    return {'REQUEST_METHOD': method, 'PATH_INFO': path,
            'QUERY_STRING': query, 'SERVER_NAME': 'localhost',
            'SERVER_PORT': '80', 'HTTP_HOST': 'localhost',
            'REMOTE_ADDR': '127.0.0.1', 'SERVER_PROTOCOL': 'HTTP/1.1',
            'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(body),
            'wsgi.errors': sys.stderr, 'wsgi.version': (1, 0),
            'wsgi.multithread': True, 'wsgi.multiprocess': False,
            'wsgi.run_once': False, 'CONTENT_TYPE': 'text/plain',
            'CONTENT_LENGTH': str(len(body))}


def _call(app, environ, expect):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen['status'] = status
    body = b''.join(app(environ, start_response))
    if not seen['status'].startswith(expect):
        raise SystemExit('%s %s: %s %s' % (environ['REQUEST_METHOD'],
                                           environ['PATH_INFO'],
                                           seen['status'], body[:200]))


def _calls(app, path, requests=200):
    import cProfile
    import pstats
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        _call(app, _environ('GET', path), '200')
    profile.disable()
    return pstats.Stats(profile).total_calls / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('paths', nargs='*',
                        default=['/v2/workflows?limit=1',
                                 '/v2/workflows?limit=50'])
    parser.add_argument('--requests', type=int, default=2000)
    parser.add_argument('--rows', type=int, default=60)
    parser.add_argument('--calls', action='store_true')
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='mc_request_cpu_')
    try:
        from mistral_clone import config
        from mistral_clone import log
        config.parse_args([])
        config.CONF.set_override('log_file', os.path.join(tmp, 'api.log'))
        log.setup(config.CONF)
        from mistral_clone.db import api as db_api
        db_api.setup('sqlite:///%s' % os.path.join(tmp, 'db.sqlite'),
                     create_tables=True)
        from mistral_clone.api import app as app_module
        app = app_module.setup_app()
        for i in range(args.rows):
            body = WORKFLOW.replace('NAME', 'wf%03d' % i).encode()
            _call(app, _environ('POST', '/v2/workflows', body), '201')
        for path in args.paths:
            for _ in range(200):
                _call(app, _environ('GET', path), '200')
            rounds = []
            for _ in range(3):
                started = time.thread_time()
                for _ in range(args.requests):
                    _call(app, _environ('GET', path), '200')
                rounds.append((time.thread_time() - started) /
                              args.requests * 1e3)
            calls = ''
            if args.calls:
                calls = ', %d Python calls/request' % _calls(app, path)
            print('%-28s %.3f ms CPU/request (rounds: %s)%s' % (
                path, min(rounds), ', '.join('%.3f' % r for r in rounds),
                calls))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
