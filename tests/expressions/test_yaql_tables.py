"""``yaql_tables``: yaql's parser from stored LALR tables.

The stored module must be exactly what PLY builds for yaql's grammar (a
yaql release that changes the grammar fails here: regenerate with
``python -m mistral_clone.expressions.yaql_tables``), and the engines
made with it must parse every expression as yaql's own factory does: the
same trees, the same errors.
"""

import collections.abc  # noqa: F401 - yaql needs it imported
import os
import unittest

import yaml
import yaql
from yaql.language import exceptions as yaql_exc

from mistral_clone.expressions import yaql_eval
from mistral_clone.expressions import yaql_tables

_HERE = os.path.dirname(os.path.abspath(__file__))

BAD = ['$.', '$.a +', '(1', '[1, 2', '{a => }', '1 2', '$.a[', 'f(,)',
       '$a.b..c', '"unterminated', '1 +* 2', '#', '$.x => 1', 'a.b(c=)',
       '', '   ', '$.a | b', 'not', '->']


def _corpus():
    with open(os.path.join(_HERE, 'data', 'yaql_corpus.yaml')) as f:
        return [e['expression'] for e in yaml.safe_load(f)]


def _parsed(engine, text):
    try:
        return ('tree', str(engine(text)))
    except yaql_exc.YaqlException as e:
        return ('error', type(e).__name__, str(e))


class YaqlTablesTest(unittest.TestCase):

    def test_stored_tables_are_plys(self):
        path = os.path.join(os.path.dirname(yaql_tables.__file__),
                            '_yaql_tables.py')
        with open(path) as f:
            self.assertEqual(yaql_tables.module_text(), f.read())

    def _engines(self, **options):
        ours = yaql_tables.Factory(**options).create()
        theirs = yaql.YaqlFactory(**options).create()
        return ours, theirs

    def test_parses_as_yaql(self):
        ours, theirs = self._engines(**yaql_tables.OPTIONS)
        texts = _corpus() + BAD + ['$.a and $.b or not $.c',
                                   'let(x => 1) -> $x + 2',
                                   '$.l.where($ > 1).select($ * 2)',
                                   '[1, 2][0] + {a => 1}.a', '-$.a mod 3']
        for text in texts:
            self.assertEqual(_parsed(theirs, text), _parsed(ours, text),
                             text)
        # Evaluation through the whole engine, as yaql_eval sets it up.
        self.assertEqual(7, yaql_eval.evaluate_inner(
            '$.a * 2 + len($.l)', {'a': 2, 'l': [1, 2, 3]}))

    def test_our_engines_use_the_stored_tables(self):
        f = yaql_tables.Factory(**yaql_tables.OPTIONS)
        names = f._name_generator()
        operators = f._build_operator_table(names)
        module = f._create_parser(f._create_lexer(operators), operators)
        self.assertIsNotNone(yaql_tables.stored_parser(module))

    def test_another_grammar_is_built_by_ply(self):
        # allow_delegates adds a rule: the stored tables are not its.
        f = yaql_tables.Factory(keyword_operator='=>', allow_delegates=True)
        names = f._name_generator()
        operators = f._build_operator_table(names)
        module = f._create_parser(f._create_lexer(operators), operators)
        self.assertIsNone(yaql_tables.stored_parser(module))
        ours, theirs = self._engines(keyword_operator='=>',
                                     allow_delegates=True)
        for text in ['$.a', '$f(1)', '$.x.y(2) + 1'] + BAD:
            self.assertEqual(_parsed(theirs, text), _parsed(ours, text),
                             text)
