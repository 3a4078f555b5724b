"""Logging of the service processes: oslo.log with Mistral's options.

``[DEFAULT] debug``, ``log_file``, ``log_dir``, ``use_syslog``,
``syslog_log_facility``, ``use_journal``, ``use_json``, ``use_stderr``,
``default_log_levels``, ``log_config_append``, ``watch_log_file``,
``logging_context_format_string``, ... all behave as in any OpenStack
service (they are oslo.log's). Our defaults add to oslo.log's
``default_log_levels`` the libraries whose DEBUG output is noise for an
operator (``config.DEFAULT_LOG_LEVELS``): SQL echo (``sqlalchemy``) and
migrations (``alembic``) stay at WARNING even with ``debug = True``.

Every handler's formatter is wrapped by :mod:`mistral_clone.masking`, so no
password, token or URL credential reaches a log line at any level.

oslo.log's formatter is replaced by :class:`ContextFormatter`, the same text
for less CPU on INFO lines (issue 14: the engine writes ~2 trace lines per
task transition, the API one access line per request), and the loggers of
those lines skip the caller's stack walk when no format shows its fields
(:func:`skip_caller_lookup`). ``bench/log_cpu.py`` measures them.

What is logged at INFO: the start banner (:func:`banner`), one line per API
request (``api/middleware.py``), the workflow trace (``observe.py``), cron
firings, services joining and leaving, recoveries and the shutdown.
"""

import datetime
import logging
import math
import os
import re
import socket
import time

from dateutil import tz
from oslo_context import context as context_utils
from oslo_log import formatters
from oslo_log import handlers as oslo_handlers
from oslo_log import log as oslo_logging

from mistral_clone import masking
from mistral_clone import version

LOG = logging.getLogger('mistral_clone')

DOMAIN = 'mistral_clone'

# The loggers of the hot paths: the API's access log; the workflow trace's
# name is an option.
ACCESS_LOGGER = 'mistral_clone.api.access'


def setup(conf):
    """Configure the root logger from ``conf`` (after parsing it)."""
    oslo_logging.setup(conf, DOMAIN, version=version.VERSION)
    root = logging.getLogger()
    for handler in root.handlers:
        if type(handler.formatter) is formatters.ContextFormatter:
            handler.setFormatter(ContextFormatter.like(handler.formatter))
    masking.install()
    for name in (conf.workflow_trace_log_name, ACCESS_LOGGER):
        skip_caller_lookup(logging.getLogger(name), conf)
    logging.captureWarnings(True)


def banner(conf, components):
    """The start-up lines: version, services, database, transport, files."""
    mode = 'production' if conf.transport_url else 'embedded'
    LOG.info('mistral_clone %s starting (%s mode, pid %d, host %s): %s',
             version.VERSION, mode, os.getpid(),
             conf.host or socket.gethostname(), ', '.join(components))
    LOG.info('Database: %s', masking.mask_url(conf.database.connection))
    LOG.info('Transport: %s', masking.mask_url(conf.transport_url)
             if conf.transport_url else 'in-process (no broker)')
    LOG.info('Configuration files: %s',
             ', '.join(conf.config_file) if conf.config_file else 'none')
    if conf.debug:
        # oslo.config's own dump of every option, secrets masked.
        conf.log_opt_values(LOG, logging.DEBUG)


# --- cheaper INFO lines, same text -------------------------------------------

# The record's fields that findCaller fills (stack_info: only when asked).
_CALLER_FIELDS = re.compile(
    r'%\((?:pathname|filename|module|lineno|funcName|stack_info)\)')
# What logging puts in them when it does not look (logging._srcfile None).
_NO_CALLER = ('(unknown file)', 0, '(unknown function)', None)


def skip_caller_lookup(logger, conf):
    """Spare ``logger`` the walk up the stack that finds who logged (file,
    line, function: ~2 us per line, bench/log_cpu.py) when nothing shows it.

    Only when the lines of ``logger`` go to the root logger's handlers
    alone, as ``setup`` made them (stream or file, syslog: our masking
    formatter over oslo.log's ContextFormatter; not JSON, journald or a
    ``log_config_append`` file, which may show these fields), and neither
    the context, default nor exception format shows them. At each line the
    stack is still walked when the logger may write DEBUG lines (oslo.log's
    ``logging_debug_format_suffix`` shows the caller; ``debug`` is mutable),
    when ``stack_info`` is asked for, or when handlers changed since.
    Returns whether the walk is skipped.
    """
    logger.__dict__.pop('findCaller', None)
    formats = (conf.logging_context_format_string,
               conf.logging_default_format_string,
               conf.logging_exception_prefix)
    if any(_CALLER_FIELDS.search(fmt or '') for fmt in formats):
        return False
    root = logging.getLogger()
    for handler in root.handlers:
        formatter = handler.formatter
        if not isinstance(handler, (logging.StreamHandler,
                                    oslo_handlers.OSSysLogHandler)) or \
                not isinstance(formatter, masking.MaskingFormatter) or \
                not isinstance(formatter.inner, formatters.ContextFormatter):
            return False
    parent = logger
    while parent is not None and parent is not root:
        if parent.handlers:
            return False
        parent = parent.parent
    handlers = list(root.handlers)
    walk = logging.Logger.findCaller

    def find_caller(stack_info=False, stacklevel=1):
        if stack_info or logger.isEnabledFor(logging.DEBUG) or \
                logger.handlers or root.handlers != handlers:
            # One more frame (this one) between the caller and logging.
            return walk(logger, stack_info, stacklevel + 1)
        return _NO_CALLER
    logger.findCaller = find_caller
    return True


def _tz_state():
    """What ``time.localtime`` and dateutil's ``tzlocal`` depend on (changed
    by ``time.tzset()`` only)."""
    return time.timezone, time.altzone, time.daylight, time.tzname


class ContextFormatter(formatters.ContextFormatter):
    """oslo.log's ``ContextFormatter``: the same text, the same attributes
    left on the record, for less CPU.

    Measured with ``bench/log_cpu.py`` (trace line, no ``log_file``): of
    ~48-55 us of CPU per line, the stock ``format()`` took ~19 us, of which
    ~6 us to make its ISO time (a new dateutil ``tzlocal`` per record, whose
    ``utcoffset`` is Python code, and ``datetime.fromtimestamp``'s search
    for a fold), ~2 us for ``asctime`` and ~1 us per option read from
    oslo.config; the whole line now takes ~26 us. Here:

    - INFO-level records (between DEBUG and WARNING) without exception,
      ``instance`` / ``instance_uuid``, or context other than a plain dict
      (the access log's) take :meth:`_format_info`: the steps of the stock
      ``format()`` for such a record, with the options read once (none of
      them is mutable: only ``debug`` and ``log_config_append`` are) and one
      ``PercentStyle`` per format; every other record takes the stock
      ``format()``;
    - the ISO time and ``asctime`` come from one ``time.localtime`` per
      second (``asctime`` only shows whole seconds; the ISO time adds the
      microseconds as ``fromtimestamp`` rounds them and the zone's fixed
      offset; in a zone with DST, as oslo.log but with one ``tzlocal``).

    ``tests/test_log.py`` compares the bytes written through this and
    through the stock formatter.
    """

    _BLANKS = ('color', 'user_identity', 'resource', 'user_name',
               'project_name', 'global_request_id')

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._options = None
        self._styles = {}
        self._tz = (None, None, None)  # tz state, tzlocal, fixed offset
        self._last_second = (None,)

    @classmethod
    def like(cls, other):
        """This formatter with the settings of a stock one."""
        return cls(project=other.project, version=other.version,
                   datefmt=other.datefmt, config=other.conf)

    def format(self, record):
        d = record.__dict__
        if (logging.DEBUG < record.levelno < logging.WARNING
                and not record.exc_info and not d.get('instance')
                and not d.get('instance_uuid')):
            context = d['context'] if 'context' in d else \
                context_utils.get_current()
            if not context or type(context) is dict:
                return self._format_info(record, d, context)
        return super().format(record)

    def _read_options(self):
        conf = self.conf
        identity = conf.logging_user_identity_format
        # The keys the identity format looks up (it asks a mapping whose
        # missing and false values are "-" for them).
        looked_up = []

        class Probe(dict):
            def __getitem__(self, key):
                looked_up.append(key)
                return '-'
        try:
            identity % Probe()
        except Exception:  # the stock format() says what is wrong
            looked_up = None
        if not looked_up:  # "%s" would show the whole mapping
            looked_up = None
        self._options = (conf.logging_context_format_string,
                         conf.logging_default_format_string, identity,
                         looked_up)
        return self._options

    def _style_of(self, fmt):
        """``(style, error_summary)`` for a format of an INFO record."""
        known = self._styles.get(fmt)
        if known is None:
            known = self._styles[fmt] = (
                logging.PercentStyle(fmt),
                '-' if '%(error_summary)s' in fmt else '')
        return known

    def _format_info(self, record, d, context):
        context_fmt, default_fmt, identity, looked_up = (
            self._options or self._read_options())
        record.project = self.project
        record.version = self.version
        if context:
            if looked_up is None:
                return super().format(record)
            d.update(context)
        d['instance'] = ''
        for key in self._BLANKS:
            if key not in d:
                d[key] = ''
        if context:
            d['user_identity'] = identity % {
                key: context.get(key) or '-' for key in looked_up}
        style, error_summary = self._style_of(
            context_fmt if d.get('request_id') else default_fmt)
        d['error_summary'] = error_summary
        self._compute_iso_time(record)
        self._style = style  # what logging.Formatter.format uses
        self._fmt = style._fmt
        try:
            return logging.Formatter.format(self, record)
        except TypeError as err:  # as the stock format()
            record.msg = (
                f'Error formatting log line msg={record.msg!r} err={err!r}'
            ).replace('%', '*')
            return logging.Formatter.format(self, record)

    def _second(self, second):
        """``(key, localtime, ISO text, strftime texts)`` of a whole second
        (the last one asked: lines come in time order)."""
        key = (second, _tz_state())
        known = self._last_second
        if known[0] != key:
            if key[1] != self._tz[0]:
                tzinfo = tz.tzlocal()
                offset = tzinfo.utcoffset(None)  # None: the zone has DST
                suffix = None if offset is None else datetime.datetime(
                    2000, 1, 1, tzinfo=datetime.timezone(offset)
                ).isoformat()[19:]
                self._tz = key[1], tzinfo, suffix
            local = time.localtime(second)
            known = self._last_second = (
                key, local, '%04d-%02d-%02dT%02d:%02d:%02d' % (
                    local[0], local[1], local[2], local[3], local[4],
                    min(59, local[5])), {})
        return known

    def _compute_iso_time(self, record):
        # datetime.fromtimestamp(created) looks for a fold (up to 3 calls of
        # localtime) and dateutil's tzlocal.utcoffset is Python code: ~4 us
        # per line. Same text: the whole second and the microseconds as
        # fromtimestamp rounds them, localtime once per second, the zone's
        # fixed offset (a zone with DST: as oslo.log, one tzlocal).
        created = record.created
        frac, whole = math.modf(created)
        micro = round(frac * 1e6)  # half to even, as fromtimestamp
        if micro >= 1000000:
            micro -= 1000000
            whole += 1.0
        if micro < 0:  # before 1970: as oslo.log
            iso = datetime.datetime.fromtimestamp(created).replace(
                tzinfo=tz.tzlocal()).isoformat()
        else:
            _key, _local, base, _texts = self._second(int(whole))
            suffix = self._tz[2]
            if suffix is None:
                iso = datetime.datetime.fromtimestamp(created).replace(
                    tzinfo=self._tz[1]).isoformat()
            elif micro:
                iso = '%s.%06d%s' % (base, micro, suffix)
            else:
                iso = base + suffix
        if created == int(created):  # as oslo.log: always microseconds
            iso = '%s.000000%s' % (iso[:-6], iso[-6:])
        record.isotime = iso

    def formatTime(self, record, datefmt=None):
        # time.strftime of time.localtime(created): whole seconds only.
        if not datefmt or self.converter is not time.localtime:
            return super().formatTime(record, datefmt)
        _key, local, _base, texts = self._second(math.floor(record.created))
        text = texts.get(datefmt)
        if text is None:
            text = texts[datefmt] = time.strftime(datefmt, local)
        return text
