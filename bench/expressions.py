#!/usr/bin/env python3
"""In-process cost of YAQL queries over a list, beside the equivalent Python
comprehension (and beside plain yaql, the reference's evaluator).

    python bench/expressions.py [--records 5555] [--plain] [--json OUT]

Each figure is the best of several runs in thread CPU time (robust against
other load on the machine). The YAQL figure is the whole evaluation as the
engine calls it: recognition, input conversion, the query, output
conversion; "limits" with the server's default yaql limits
(``[yaql] limit_iterators = 100000``, ``memory_quota = 10000000``).
``--plain`` also times yaql's own evaluator (the fallback, and
what the reference runs; slow: minutes for the whole table).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mistral_clone import expressions  # noqa: E402
from mistral_clone.expressions import yaql_eval  # noqa: E402
import _data  # noqa: E402


# The server's defaults ([yaql] limit_iterators, memory_quota): yaql's
# limits are then checked on every node the fast path evaluates.
LIMITS = {'limit_iterators': 100000, 'memory_quota': 10000000}


def queries():
    """(YAQL expression, equivalent Python over the plain records)."""
    def total(rs):
        t = 0
        for r in rs:
            t = t + r['value']
        return t
    return [
        ('$.recs.select(dict(id => $.id, name => $.name))',
         lambda rs: [{'id': r['id'], 'name': r['name']} for r in rs]),
        ('$.recs.where($.value > 100).select($.name)',
         lambda rs: [r['name'] for r in rs if r['value'] > 100]),
        ('$.recs.orderByDescending($.value).select($.id)',
         lambda rs: [r['id'] for r in sorted(rs, key=lambda r: r['value'],
                                             reverse=True)]),
        ('$.recs.select($.group).distinct().len()',
         lambda rs: len(dict.fromkeys(r['group'] for r in rs))),
        ('$.recs.select($.value).sum()', total),
        ('$.recs.select($.set(flag, true))',
         lambda rs: [dict(r, flag=True) for r in rs]),
        ('$.recs.where($.id mod 2 = 0).len()',
         lambda rs: len([r for r in rs if r['id'] % 2 == 0])),
    ]


def best(func, runs):
    func()
    times = []
    for _ in range(runs):
        t = time.thread_time()
        func()
        times.append(time.thread_time() - t)
    return min(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--records', type=int, default=_data.RECORD_COUNT[1])
    p.add_argument('--runs', type=int, default=7)
    p.add_argument('--plain', action='store_true',
                   help="also time yaql's own evaluator (slow)")
    p.add_argument('--json', metavar='OUT')
    args = p.parse_args(argv)
    recs = json.loads(json.dumps(_data.records(args.records)))
    context = expressions.ContextView({'recs': recs})
    rows = [('query', 'YAQL ms', 'Python ms', 'ratio', 'limits ms',
             'ratio') + (('plain yaql ms',) if args.plain else ())]
    results = []
    for text, python in queries():
        want = python(recs)
        timed = []
        for limits in ({}, LIMITS):
            expressions.configure(**limits)
            got = expressions.evaluate('<% ' + text + ' %>', context)
            if isinstance(want, float) and \
                    abs(got - want) > 1e-6 * abs(want) or \
                    not isinstance(want, float) and got != want:
                raise SystemExit('wrong result for %s' % text)
            timed.append(best(lambda: expressions.evaluate(
                '<% ' + text + ' %>', context), args.runs))
        expressions.configure()
        fast, limited = timed
        py = best(lambda: python(recs), args.runs)
        row = {'query': text, 'yaql_ms': round(fast * 1000, 2),
               'python_ms': round(py * 1000, 2),
               'ratio': round(fast / py, 1),
               'limits_ms': round(limited * 1000, 2),
               'limits_ratio': round(limited / py, 1)}
        if args.plain:
            row['plain_yaql_ms'] = round(1000 * best(
                lambda: yaql_eval.evaluate_inner(text, context, fast=False),
                1), 1)
        results.append(row)
        rows.append(tuple(str(v) for v in row.values()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print('# %d records (%d bytes of JSON), best of %d, thread CPU time'
          % (len(recs), len(json.dumps(recs)), args.runs))
    for n, r in enumerate(rows):
        print('  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            print('  '.join('-' * w for w in widths))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'records': len(recs), 'limits': LIMITS,
                       'queries': results}, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
