"""db/errors.py: database errors as clients and logs may see them."""

import unittest

import oslo_messaging as messaging
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from mistral_clone import exceptions as exc
from mistral_clone.db import errors

SECRET = 'LeakMe123'


def _sqlite_error(*statements):
    engine = sa.create_engine('sqlite://', hide_parameters=True)
    with engine.connect() as conn:
        conn.execute(sa.text('CREATE TABLE t (name VARCHAR(5) UNIQUE NOT '
                             'NULL, secret TEXT)'))
        try:
            for statement, params in statements:
                conn.execute(sa.text(statement), params)
        except sa_exc.SQLAlchemyError as e:
            return e
    raise AssertionError('no error')


class TranslateTest(unittest.TestCase):

    def assertClean(self, error, translated):
        for text in (translated.message, errors.describe(error)):
            self.assertNotIn(SECRET, text)
            self.assertNotIn('INSERT', text)
            self.assertNotIn('SELECT', text)
        # hide_parameters: not even the original error text has values.
        self.assertNotIn(SECRET, str(error))

    def test_unique_violation_is_409(self):
        insert = ('INSERT INTO t VALUES (:n, :s)', {'n': 'a', 's': SECRET})
        e = _sqlite_error(insert, insert)
        t = errors.translate(e)
        self.assertIsInstance(t, exc.DBDuplicateEntryError)
        self.assertEqual(409, t.http_code)
        self.assertEqual('Duplicate entry: the unique columns t.name already '
                         'holds these values.', t.message)
        self.assertClean(e, t)

    def test_other_integrity_errors_are_400(self):
        e = _sqlite_error(('INSERT INTO t VALUES (NULL, :s)',
                           {'s': SECRET}))
        t = errors.translate(e)
        self.assertEqual(400, t.http_code)
        self.assertClean(e, t)

    def test_missing_database_object_is_503(self):
        e = _sqlite_error(('SELECT * FROM nowhere WHERE x = :s',
                           {'s': SECRET}))
        t = errors.translate(e)
        self.assertEqual(503, t.http_code)
        self.assertEqual('The database is unavailable; try again later.',
                         t.message)
        self.assertClean(e, t)
        self.assertEqual('OperationalError / OperationalError',
                         errors.describe(e))

    def test_driver_refusals_are_400(self):
        e = sa_exc.StatementError(
            'A string literal cannot contain NUL (0x00) characters.',
            'SELECT * FROM t WHERE name = %(name)s', {'name': SECRET},
            ValueError('A string literal cannot contain NUL (0x00) '
                       'characters.'), hide_parameters=True)
        t = errors.translate(e)
        self.assertEqual(400, t.http_code)
        self.assertClean(e, t)
        t = errors.translate(UnicodeEncodeError('utf-8', 'x\ud800', 1, 2,
                                                'surrogates not allowed'))
        self.assertEqual(400, t.http_code)

    def test_data_error_is_400(self):
        e = sa_exc.DataError('INSERT INTO t VALUES (%(s)s)', {'s': SECRET},
                             Exception('value too long for type character '
                                       'varying(5)'), hide_parameters=True)
        t = errors.translate(e)
        self.assertEqual(400, t.http_code)
        self.assertIn('does not fit its database column', t.message)
        self.assertClean(e, t)

    def test_errors_from_an_engine_over_rpc(self):
        e = messaging.RemoteError('DataError', '(psycopg2.errors....) value '
                                  'too long [SQL: INSERT ...]', 'trace')
        self.assertEqual(400, errors.translate(e).http_code)
        self.assertEqual('DataError', errors.describe(e))
        e = messaging.RemoteError('OperationalError', 'server closed')
        self.assertEqual(503, errors.translate(e).http_code)
        self.assertIsNone(errors.translate(messaging.RemoteError(
            'KeyError', 'x')))

    def test_other_errors_are_not_database_errors(self):
        for e in (ValueError('x'), KeyError('x'),
                  exc.InputException('x')):
            self.assertIsNone(errors.translate(e))
