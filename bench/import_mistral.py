"""How fast ``import-mistral`` copies a large Mistral database.

    python bench/import_mistral.py [--executions 100000]
        [--source sqlite|postgresql] [--target sqlite|postgresql]
        [--batch-size 200] [--keep]

Builds a Mistral database (Mistral 23.0.0's table layout) holding about
``--executions`` workflow executions: copies of the finished executions
recorded from the real Mistral for the import tests (successes, failures,
with-items, sub-workflows, joins, retries...), every copy with new ids
(references between rows and ids inside texts follow). Then runs the real
command, ``mistral-clone-db-manage --config-file OUR.conf import-mistral
SOURCE --no-progress``, into a new database of ours, and prints its wall
time, executions/s and rows/s, then checks the copied counts and that a
second run copies nothing. PostgreSQL databases (127.0.0.1:5432, user
postgres) get unique names and are dropped at the end.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.db.mistral_import import base  # noqa: E402

TERMINAL = ('SUCCESS', 'ERROR', 'CANCELLED')
BIN = os.path.dirname(sys.executable)


def _trees():
    """Finished root executions with all their rows."""
    wf_exs = base.source_rows('workflow_executions_v2')
    tasks = base.source_rows('task_executions_v2')
    actions = base.source_rows('action_executions_v2')
    by_root = {}
    for ex in wf_exs:
        root = ex['root_execution_id'] or ex['id']
        by_root.setdefault(root, []).append(ex)
    trees = []
    for root, members in by_root.items():
        if any(m['state'] not in TERMINAL for m in members):
            continue
        ids = {m['id'] for m in members}
        t = [x for x in tasks if x['workflow_execution_id'] in ids]
        tids = {x['id'] for x in t}
        a = [x for x in actions if x['task_execution_id'] in tids]
        trees.append((members, t, a))
    return trees


def _cloner(tree):
    members, tasks, actions = tree
    old = [r['id'] for part in tree for r in part]
    pattern = re.compile('|'.join(re.escape(i) for i in old))

    def clone():
        new = {i: str(uuid.uuid4()) for i in old}

        def fix(row):
            out = {}
            for k, v in row.items():
                if isinstance(v, str) and len(v) >= 36:
                    v = pattern.sub(lambda m: new[m.group(0)], v)
                out[k] = v
            return out
        return ([fix(r) for r in members], [fix(r) for r in tasks],
                [fix(r) for r in actions])
    return clone


def generate(url, executions):
    """Mistral's tables at ``url`` with the definitions and ~N executions."""
    base.build_source(url)
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    names = ('workflow_executions_v2', 'task_executions_v2',
             'action_executions_v2')
    tables = [sa.Table(n, meta, autoload_with=engine) for n in names]
    with engine.begin() as conn:
        for t in tables[::-1]:
            conn.execute(t.delete())
    clones = [_cloner(t) for t in _trees()]
    per_round = sum(len(t[0]) for t in _trees())
    rounds = max(1, executions // per_round)
    made = [0, 0, 0]
    started = time.time()
    batch = [[], [], []]
    for r in range(rounds):
        for clone in clones:
            for i, rows in enumerate(clone()):
                batch[i].extend(rows)
        if len(batch[0]) >= 5000 or r == rounds - 1:
            with engine.begin() as conn:
                for i, table in enumerate(tables):
                    if batch[i]:
                        conn.execute(table.insert(), batch[i])
                        made[i] += len(batch[i])
            batch = [[], [], []]
    engine.dispose()
    print('source: %d workflow executions, %d task executions, %d action '
          'executions (built in %.0f s)' % (made[0], made[1], made[2],
                                            time.time() - started))
    return made


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import(conf, source, *extra):
    """``(wall seconds, CPU seconds of the command, process)``."""
    started, cpu = time.time(), _cpu()
    p = subprocess.run(
        [os.path.join(BIN, 'mistral-clone-db-manage'), '--config-file',
         conf, 'import-mistral', source, '--no-progress'] + list(extra),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return time.time() - started, _cpu() - cpu, p


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--executions', type=int, default=100000)
    parser.add_argument('--source', choices=('sqlite', 'postgresql'),
                        default='sqlite')
    parser.add_argument('--target', choices=('sqlite', 'postgresql'),
                        default='sqlite')
    parser.add_argument('--batch-size', type=int, default=200)
    parser.add_argument('--keep', action='store_true',
                        help='keep the databases (their URLs are printed)')
    args = parser.parse_args(argv)
    dbs = base.Databases()
    try:
        source = getattr(dbs, args.source)('mistral')
        target = getattr(dbs, args.target)('ours')
        made = generate(source, args.executions)
        conf = os.path.join(dbs.tmp, 'ours.conf')
        with open(conf, 'w') as f:
            f.write('[database]\nconnection = %s\n' % target)
        seconds, cpu, p = _import(conf, source, '--batch-size',
                                  str(args.batch_size))
        print(p.stdout)
        if p.returncode != 0:
            print('import failed (exit %d)' % p.returncode)
            return 1
        rows = sum(made)
        print('import-mistral %s -> %s: %d executions (%d rows) in %.1f s '
              '(%.1f s CPU of the command; load average %.1f): %.0f '
              'executions/s, %.0f rows/s' % (
                  args.source, args.target, made[0], rows, seconds, cpu,
                  os.getloadavg()[0], made[0] / seconds, rows / seconds))
        copied = base.table_rows(target, 'workflow_executions')
        again, _, p = _import(conf, source)
        print('second run (copies nothing): %.1f s, exit %d, %d executions '
              'here' % (again, p.returncode, copied))
        if copied != made[0] or p.returncode != 0:
            print(p.stdout)
            return 1
        if args.keep:
            print('kept: source %s, ours %s' % (source, target))
            dbs.servers = []
            return 0
        return 0
    finally:
        if not args.keep:
            dbs.cleanup()


if __name__ == '__main__':
    sys.exit(main())
