"""The cheaper INFO lines of log.setup (issue 14) write the same bytes as
oslo.log's stock set-up: trace and access lines, secrets, exceptions,
non-ASCII text, request contexts, DEBUG lines with the caller, odd times
and time zones."""

import datetime
import io
import itertools
import logging
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

from dateutil import tz
from oslo_context import context as oslo_context
from oslo_log import formatters
from oslo_log import log as oslo_logging

from mistral_clone import config
from mistral_clone import log
from mistral_clone import masking
from mistral_clone import observe
from mistral_clone import version

WF = '0b7a3c52-8f6e-4d51-9b1e-3c2f4a6d7e80'
TASK = '5e1f0c9a-2b3d-4e6f-8a7b-9c0d1e2f3a4b'
ACTION = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a'

# Record times: ordinary, whole seconds (oslo.log adds ".000000"),
# microseconds rounding up into the next second or down to none, the same
# second twice, a second later.
CLOCK = (1764581479.123456, 1764581480.0, 1764581480.9999996,
         1764581481.0000004, 1764581481.5, 1764581481.5000015,
         1764581482.25)

HOT_LOGGERS = ('workflow_trace', log.ACCESS_LOGGER)


def _emit(conf):
    """Every kind of line, from the same call sites for both set-ups."""
    trace = logging.getLogger(conf.workflow_trace_log_name)
    access = logging.getLogger(log.ACCESS_LOGGER)
    other = logging.getLogger('mistral_clone.test_log')
    observe.workflow_state_changed(WF, 'wf', None, 'RUNNING')
    observe.task_state_changed(TASK, 't1', WF, 'wf', 'RUNNING', 'SUCCESS')
    observe.task_state_changed(
        TASK, 'tâche_日本_İ', WF, 'flujo_ñ', 'RUNNING', 'ERROR',
        state_info='Échec: http://bob:hunter2@example.com/x '
                   'password=hunter2 {"auth": ["u", "hunter2"]}')
    observe.workflow_state_changed(WF, 'wf password: hunter2', 'RUNNING',
                                   'ERROR', state_info='token=hunter2',
                                   parent_task_id=TASK)
    observe.action_state_changed(ACTION, 'std.sleep', TASK, 'RUNNING',
                                 'SUCCESS', 0.25)  # DEBUG
    ctx = oslo_context.RequestContext(
        request_id='req-5960104f-3008-46b3-ae41-6a3a959d1de3',
        global_request_id='req-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
        user_id='u1', project_id='p1', overwrite=False)
    for values in (ctx.get_logging_values(),
                   oslo_context.RequestContext(
                       request_id='req-1', auth_token='hunter2',
                       overwrite=False).get_logging_values()):
        access.info('%s "%s %s%s" status: %d len: %s time: %.4f',
                    '127.0.0.1', 'GET', '/v2/workflows', '?limit=50', 200,
                    '2', 0.0012, extra={'context': values})
    access.info('%s "%s %s%s"', '::1', 'POST', '/v2/exécutions',
                '?password=hunter2', extra={'context': {}})
    oslo_context.RequestContext(request_id='req-thread', user_id='u2',
                                overwrite=True)
    try:
        trace.info('in a request: %s', 'x')
        other.info('in a request too')
    finally:
        oslo_context._request_store.__dict__.pop('context', None)
    other.info('instance %s', 'x', extra={'instance': {'uuid': 'i-1'}})
    other.info('instance uuid', extra={'instance_uuid': 'i-2'})
    other.info('resource', extra={'resource': 'r-1', 'color': 'c'})
    try:
        raise ValueError('bad password=hunter2 é')
    except ValueError:
        other.exception('failed %s', 'x')
        other.warning('warned while handling a ValueError')
    try:
        raise RuntimeError('boom')
    except RuntimeError:
        other.warning('warned while handling')
        trace.info('info with exc_info', exc_info=True)
        other.error('error without exc_info')
    trace.info('with stack', stack_info=True)
    other.info('bytes %s and %%', b'\xc3\xa9')
    other.debug('debug %s', 'line')
    other.log(25, 'between INFO and WARNING')
    other.log(15, 'between DEBUG and INFO')


class SameBytesTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_test_log_')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        root = logging.getLogger()
        saved = (list(root.handlers), root.level)

        def restore():
            root.handlers[:] = saved[0]
            root.setLevel(saved[1])
            for name in HOT_LOGGERS:
                logging.getLogger(name).__dict__.pop('findCaller', None)
            observe.configure(served=False)
            config.parse_args([])
        self.addCleanup(restore)

    def _write(self, stock, options, stream=False):
        path = os.path.join(self.tmp, 'conf')
        out = os.path.join(self.tmp, 'out.log')
        if os.path.exists(out):
            os.unlink(out)
        with open(path, 'w') as f:
            f.write('[DEFAULT]\n')
            if not stream:
                f.write('log_file = %s\n' % out)
            for name, value in options.items():
                f.write('%s = %s\n' % (name, value))
        config.parse_args(['--config-file', path])
        conf = config.CONF
        for name in HOT_LOGGERS:
            logging.getLogger(name).__dict__.pop('findCaller', None)
        # No request context left in this thread by another test.
        oslo_context._request_store.__dict__.pop('context', None)
        buffer = io.StringIO()
        clock = itertools.cycle(CLOCK)
        with mock.patch('sys.stderr', buffer), \
                mock.patch('sys.stdout', buffer):
            if stock:  # masking as it was: every key looked for
                oslo_logging.setup(conf, log.DOMAIN, version=version.VERSION)
                masking.install()
            else:
                log.setup(conf)
        observe.configure(conf.workflow_trace_log_name, served=False)
        # Lines and clock of this thread only (other tests' threads may
        # still run in this process).
        me = threading.get_ident()
        real_time = time.time
        for handler in logging.getLogger().handlers:
            handler.addFilter(lambda record: record.thread == me)
        # (New prometheus children read the clock too.)
        with mock.patch.object(observe, '_m', lambda: observe._UNREAD), \
                mock.patch('time.time', lambda: next(clock)
                           if threading.get_ident() == me else real_time()), \
                mock.patch.object(masking, '_may_hold_key',
                                  masking._always if stock
                                  else masking._may_hold_key):
            _emit(conf)
        for handler in logging.getLogger().handlers:
            handler.flush()
        if stream:
            return buffer.getvalue().encode('utf-8')
        with open(out, 'rb') as f:
            return f.read()

    def assertSameBytes(self, options=None, stream=False):
        options = dict(options or {})
        # From the same line: stack_info shows it.
        stock, ours = [self._write(s, options, stream) for s in (True, False)]
        self.assertEqual(stock.decode('utf-8').splitlines(),
                         ours.decode('utf-8').splitlines())
        self.assertEqual(stock, ours)
        self.assertIn(b'bob:***@example.com/x password=***', ours)
        self.assertIn(b'workflow_trace', ours)
        return ours

    def test_defaults(self):
        self.assertSameBytes()
        self.assertEqual(
            {'workflow_trace': True, log.ACCESS_LOGGER: True},
            {name: 'findCaller' in logging.getLogger(name).__dict__
             for name in HOT_LOGGERS})

    def test_info_lines_take_the_fast_path(self):
        seen = []
        fast = log.ContextFormatter._format_info

        def spy(formatter, record, *args):
            seen.append(record.name)
            return fast(formatter, record, *args)
        with mock.patch.object(log.ContextFormatter, '_format_info', spy):
            self.assertSameBytes()
        self.assertIn('workflow_trace', seen)
        self.assertIn(log.ACCESS_LOGGER, seen)

    def test_stream(self):
        self.assertSameBytes(stream=True)
        self.assertSameBytes({'use_stderr': 'true'}, stream=True)
        self.assertSameBytes({'use_stderr': 'true', 'log_color': 'true'},
                             stream=True)

    def test_file_and_stderr(self):  # two handlers format each record
        self.assertSameBytes({'use_stderr': 'true'})

    def test_json(self):  # oslo.log's JSON formatter shows the caller
        self.assertSameBytes({'use_json': 'true'})
        self.assertNotIn('findCaller',
                         logging.getLogger('workflow_trace').__dict__)

    def test_debug_lines_show_their_caller(self):
        text = self.assertSameBytes({'debug': 'true'})
        self.assertIn(b"DEBUG workflow_trace [-] Action 'std.sleep'", text)
        self.assertIn(b'action_state_changed', text)
        self.assertIn(b'observe.py:', text)

    def test_formats_with_iso_time_identity_and_caller(self):
        self.assertSameBytes({
            'logging_context_format_string':
                '%(isotime)s %(process)d %(levelname)s %(name)s '
                '[%(global_request_id)s %(request_id)s %(user_identity)s] '
                '%(instance)s%(message)s %(error_summary)s %(lineno)d',
            'logging_default_format_string':
                '%(isotime)s %(levelname)s %(name)s [-] %(funcName)s '
                '%(color)s%(resource)s%(message)s',
            'logging_user_identity_format': '%(user)s/%(tenant)s %(foo)s',
        })
        self.assertNotIn('findCaller',
                         logging.getLogger('workflow_trace').__dict__)

    def test_formats_without_caller(self):
        self.assertSameBytes({
            'logging_default_format_string':
                '%(isotime)s %(asctime)s %(levelname)s %(name)s '
                '%(error_summary)s [%(user_identity)s] %(message)s',
            'log_date_format': '%Y%m%d %H.%M.%S %Z',
            'logging_user_identity_format': '%s',
        })
        self.assertIn('findCaller',
                      logging.getLogger('workflow_trace').__dict__)

    def test_time_zones(self):
        saved = os.environ.get('TZ')

        def restore():
            if saved is None:
                os.environ.pop('TZ', None)
            else:
                os.environ['TZ'] = saved
            time.tzset()
        self.addCleanup(restore)
        for zone in ('IST-5:30', 'CET-1CEST,M3.5.0,M10.5.0/3',
                     'XYZ+3:15:30', 'UTC0'):
            os.environ['TZ'] = zone
            time.tzset()
            self.assertSameBytes({'logging_default_format_string':
                                  '%(isotime)s %(asctime)s %(message)s'})


class IsoTimeTest(unittest.TestCase):

    def test_same_as_oslo_log(self):
        stock = formatters.ContextFormatter()
        ours = log.ContextFormatter()
        rng = random.Random(14)
        times = [rng.uniform(0, 2e9) for _ in range(2000)]
        times += [float(rng.randrange(2 ** 31)) for _ in range(50)]
        times += [t + d for t in (1764581480.0, 1.0) for d in
                  (0.0000004, 0.0000005, 0.0000015, 0.9999995, 0.9999996,
                   -0.0000004)]
        for created in sorted(times):
            a = logging.makeLogRecord({'created': created})
            b = logging.makeLogRecord({'created': created})
            stock._compute_iso_time(a)
            ours._compute_iso_time(b)
            self.assertEqual(a.isotime, b.isotime, repr(created))
            self.assertEqual(stock.formatTime(a, '%Y-%m-%d %H:%M:%S'),
                             ours.formatTime(b, '%Y-%m-%d %H:%M:%S'))

    def test_reference(self):
        record = logging.makeLogRecord({'created': 0.5})
        log.ContextFormatter()._compute_iso_time(record)
        self.assertEqual(
            datetime.datetime.fromtimestamp(0.5).replace(
                tzinfo=tz.tzlocal()).isoformat(), record.isotime)


class MaskTest(unittest.TestCase):

    def test_needles_cover_every_key(self):
        self.assertIs(masking._has_needle, masking._may_hold_key)
        for key in masking._KEYS:
            self.assertTrue(masking._has_needle(key.lower()), key)

    def test_same_as_looking_for_every_key(self):
        texts = ['plain', 'İstanbul PASSWORD=x', 'x'] + [
            '%s %s=hunter2 "%s": "hunter2"' % (k, k.upper(), k)
            for k in masking._KEYS]
        for text in texts:
            with mock.patch.object(masking, '_may_hold_key',
                                   masking._always):
                expected = masking.mask(text)
            self.assertEqual(expected, masking.mask(text), text)


class CallerTest(unittest.TestCase):

    def test_only_when_nothing_shows_it(self):
        logger = logging.getLogger('mistral_clone.test_log.caller')
        self.addCleanup(logger.__dict__.pop, 'findCaller', None)
        self.addCleanup(logger.setLevel, logging.NOTSET)
        config.parse_args([])
        self.addCleanup(config.parse_args, [])
        records = []

        class Keep(logging.StreamHandler):
            def emit(self, record):
                records.append(record)
        keep = Keep()
        keep.setFormatter(masking.MaskingFormatter(log.ContextFormatter()))
        root = logging.getLogger()
        here = 'test_only_when_nothing_shows_it'
        with mock.patch.object(root, 'handlers', [keep]):
            self.assertTrue(log.skip_caller_lookup(logger, config.CONF))
            logger.warning('skipped')
            self.assertEqual('(unknown function)', records[-1].funcName)
            logger.warning('asked', stack_info=True)
            self.assertEqual(here, records[-1].funcName)
            self.assertIn('Stack (most recent call last)',
                          records[-1].stack_info)
            logger.setLevel(logging.DEBUG)  # the debug suffix shows it
            logger.warning('debug on')
            self.assertEqual(here, records[-1].funcName)
            logger.setLevel(logging.NOTSET)
            logger.addHandler(keep)
            logger.propagate = False
            try:
                logger.warning('own handler')
            finally:
                logger.removeHandler(keep)
                logger.propagate = True
            self.assertEqual(here, records[-1].funcName)
        with mock.patch.object(root, 'handlers', [keep, Keep()]):
            logger.warning('handlers changed')
            self.assertEqual(here, records[-1].funcName)
            self.assertEqual(__file__, records[-1].pathname)
            # A handler with another formatter may show the caller.
            self.assertFalse(log.skip_caller_lookup(logger, config.CONF))
        self.assertNotIn('findCaller', logger.__dict__)


if __name__ == '__main__':
    sys.exit(unittest.main())
