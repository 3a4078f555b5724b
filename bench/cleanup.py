#!/usr/bin/env python3
"""Remove leftovers of an interrupted benchmark run: every execution and
workflow whose workflow name starts with ``bench_``.

    python bench/cleanup.py --url http://127.0.0.1:8989/v2 [--prefix bench_]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _client import Api, BenchError  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--url', required=True)
    p.add_argument('--prefix', default='bench_')
    args = p.parse_args()
    api = Api(args.url)
    n_ex = n_wf = 0
    failures = 0
    for _ in range(20):  # bounded: pages of 1000
        exs = api.request('GET', '/executions', params={
            'fields': 'id,workflow_name,state', 'limit': 1000}).json()
        exs = [e for e in exs['executions']
               if (e.get('workflow_name') or '').startswith(args.prefix)]
        if not exs:
            break
        for e in exs:
            try:
                api.delete_execution(e['id'])
                n_ex += 1
            except BenchError as err:
                failures += 1
                print('execution %s: %s' % (e['id'], err))
        if failures:
            break
    wfs = api.list_workflows(fields='id,name')['workflows']
    for w in wfs:
        if w['name'].startswith(args.prefix):
            try:
                api.delete_workflow(w['name'])
                n_wf += 1
            except BenchError as err:
                failures += 1
                print('workflow %s: %s' % (w['name'], err))
    print('deleted %d executions, %d workflows; %d failures'
          % (n_ex, n_wf, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
