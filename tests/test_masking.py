"""Secrets never reach a log line (issue 13, item 8): masking of every
kind of secret, through a real formatter, tracebacks included."""

import logging
import unittest

from mistral_clone import masking


class MaskTest(unittest.TestCase):

    def test_password_keys(self):
        for text in ('{"password": "hunter2"}', "{'auth_token': 'hunter2'}",
                     'password=hunter2', '"secret": "hunter2"'):
            self.assertNotIn('hunter2', masking.mask(text), text)

    def test_url_credentials(self):
        self.assertEqual(
            'rabbit://guest:***@h1:5672,bob:***@h2:5672/vhost',
            masking.mask('rabbit://guest:hunter2@h1:5672,bob:pw@h2:5672/'
                         'vhost'))
        self.assertEqual(
            "{'url': 'https://me:***@api.example.com/x?y=1'}",
            masking.mask("{'url': 'https://me:hunter2@api.example.com/"
                         "x?y=1'}"))
        # A user without a password, an @ in a path: untouched.
        for text in ('http://me@host/x', 'http://host/a@b', 'mailto:a@b'):
            self.assertEqual(text, masking.mask(text))

    def test_auth_pairs(self):
        self.assertEqual('"auth": ["bob", "***"]',
                         masking.mask('"auth": ["bob", "hunter2"]'))
        self.assertEqual("{'auth': ('bob', '***')}",
                         masking.mask("{'auth': ('bob', 'hunter2')}"))
        self.assertEqual("auth=['bob', '***'] x",
                         masking.mask("auth=['bob', 'hunter2'] x"))
        # YAML, as request bodies carry definitions.
        self.assertEqual('auth: [bob, ***]\n',
                         masking.mask('auth: [bob, hunter2]\n'))
        self.assertEqual('  auth:\n    - bob\n    - ***\n  url: x',
                         masking.mask('  auth:\n    - bob\n    - hunter2\n'
                                      '  url: x'))
        self.assertEqual('oauth: [a, b]', masking.mask('oauth: [a, b]'))

    def test_url_passwords_holding_key_names(self):
        self.assertEqual('url: http://bob:***@127.0.0.1:9/x',
                         masking.mask('url: http://bob:SeCrEt-pw@127.0.0.1'
                                      ':9/x'))

    def test_formatter_masks_messages_and_tracebacks(self):
        lines = []

        class Keep(logging.Handler):
            def emit(self, record):
                lines.append(self.format(record))

        logger = logging.getLogger('mc.test.masking.tb')
        logger.propagate = False
        handler = Keep()
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        masking.install(logger)
        masking.install(logger)  # idempotent
        self.assertIsInstance(handler.formatter, masking.MaskingFormatter)
        self.assertNotIsInstance(handler.formatter.inner,
                                 masking.MaskingFormatter)
        try:
            raise ValueError('cannot reach postgresql://u:hunter2@db/x')
        except ValueError:
            logger.exception('input %s', {'auth': ['u', 'hunter3']})
        text = '\n'.join(lines)
        self.assertIn('ValueError', text)
        self.assertNotIn('hunter2', text)
        self.assertNotIn('hunter3', text)

    def test_database_errors_lose_statement_parameters_and_details(self):
        import sqlalchemy as sa
        engine = sa.create_engine('sqlite://')
        with engine.connect() as conn:
            conn.exec_driver_sql('CREATE TABLE t (a TEXT UNIQUE)')
            conn.exec_driver_sql("INSERT INTO t VALUES ('LeakMe123')")
            try:
                conn.execute(sa.text('INSERT INTO t\nVALUES (:a)'),
                             {'a': 'LeakMe123'})
            except sa.exc.IntegrityError as e:
                text = masking.mask(str(e))
        self.assertIn('UNIQUE constraint failed', text)
        self.assertIn('[SQL statement hidden]', text)
        self.assertIn('[parameters hidden]', text)
        self.assertNotIn('LeakMe123', text)
        self.assertNotIn('INSERT', text)
        pg = ('(psycopg2.errors.UniqueViolation) duplicate key value '
              'violates unique constraint "x"\nDETAIL:  Key (name)=(LeakMe123)'
              ' already exists.\n\n[SQL: INSERT INTO x (name) VALUES '
              '(%(name)s)]\n(Background on this error at: https://x/e/gkpj)')
        masked = masking.mask(pg)
        self.assertNotIn('LeakMe123', masked)
        self.assertNotIn('INSERT', masked)
        self.assertIn('UniqueViolation', masked)
        # Text that is no database error keeps its brackets and DETAIL.
        self.assertEqual('DETAIL: [x]', masking.mask('DETAIL: [x]'))
