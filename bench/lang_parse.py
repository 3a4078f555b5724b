"""CPU cost of parsing and validating new definitions (no server).

What ``POST /v2/workflows`` spends in ``mistral_clone.lang`` for a document
it has not seen before: YAML, JSON schema, expression syntax, specs.
Each run uses a new workflow name, so the parse cache never answers;
expression syntax checks are memoised per expression text, and the
expressions repeat between runs, as they do between uploads of similar
documents (a first warm-up parse fills that memo).

    python bench/lang_parse.py [--runs 30] [--profile big100]

Figures are CPU time (``time.process_time``) per parse, median and best of
``--runs``: unlike wall-clock time they hardly move on a busy machine.
"""

import argparse
import cProfile
import importlib.util
import os
import pstats
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _workflows as wfs  # noqa: E402


def _test_documents():
    # Loaded by path: with PYTHONPATH naming another checkout, that one's
    # mistral_clone is measured on this checkout's documents.
    path = os.path.join(os.path.dirname(HERE), 'tests', 'lang',
                        'documents.py')
    spec = importlib.util.spec_from_file_location('lang_documents', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The 100-task workflow of tests/lang: expressions, publish, retry
# defaults, two clauses per task.
big_workflow = _test_documents().big_workflow


DOCUMENTS = {
    'small': wfs.one_task,
    'chain100': lambda name: wfs.chain(name, 100),
    'fanout100': lambda name: wfs.fanout(name, 100),
    'big100': lambda name: big_workflow(100, prefix=name),
}


def measure(lang, make, runs):
    lang.parse_workflows(make('warmup'))
    times = []
    for i in range(runs):
        text = make('run%d_%d' % (i, time.monotonic_ns()))
        t0 = time.process_time()
        lang.parse_workflows(text)
        times.append(time.process_time() - t0)
    return statistics.median(times) * 1000, min(times) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--runs', type=int, default=30)
    p.add_argument('--documents', default=','.join(DOCUMENTS))
    p.add_argument('--profile', metavar='DOCUMENT',
                   help='cProfile 20 parses of DOCUMENT instead')
    args = p.parse_args()
    import mistral_clone.lang as lang
    if args.profile:
        make = DOCUMENTS[args.profile]
        lang.parse_workflows(make('warmup'))
        texts = [make('prof%d' % i) for i in range(20)]
        prof = cProfile.Profile()
        prof.enable()
        for text in texts:
            lang.parse_workflows(text)
        prof.disable()
        pstats.Stats(prof).sort_stats('cumulative').print_stats(40)
        pstats.Stats(prof).sort_stats('tottime').print_stats(25)
        return
    print('mistral_clone.lang from %s' % os.path.dirname(lang.__file__))
    for name in args.documents.split(','):
        median, best = measure(lang, DOCUMENTS[name], args.runs)
        print('%-10s  median %6.2f ms  best %6.2f ms  CPU per parse'
              % (name, median, best))


if __name__ == '__main__':
    main()
