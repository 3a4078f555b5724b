"""Budgets for one expression evaluation: CPU time and value sizes.

Two kinds of runaway expressions exist and need different brakes:

* **Long loops in Python code** (``range(0, 100000).select(range(0,
  100000)).flatten().len()``, nested Jinja ``{% for %}`` blocks, yaql's
  ``sequence()``): a watchdog thread reads the CPU clock of every thread that
  is evaluating an expression and, once a thread has used more than
  ``max_cpu_seconds`` for one evaluation, raises :class:`CpuBudgetExceeded`
  in it (``PyThreadState_SetAsyncExc``: delivered at the next bytecode the
  thread runs). CPU time, not wall time, so a loaded machine or a slow
  database read never trips it. No library does this for code running in
  the caller's own thread (they run the work in another thread and abandon
  it, which leaves it spinning), hence this small module.
* **A single C-level operation** (``pow(10, 100000000)``, ``'a' * 10**10``,
  ``1 << 10**10``) cannot be interrupted at all: :func:`check_int_result`,
  :func:`check_repeat` and :func:`check_concat` refuse such operations
  *before* they run, from the sizes of their operands.

Both raise exceptions derived from :class:`BudgetExceeded`; the evaluators
turn them into evaluation errors that name the expression.
"""

import ctypes
import os
import threading
import time

# Integers beyond this many bits are refused (about 315,000 decimal digits;
# Python itself refuses to print integers over 4,300 digits). Computing up to
# this size takes milliseconds; 10 ** 100000000 would take minutes.
MAX_INT_BITS = 1 << 20

DEFAULT_MAX_CPU_SECONDS = 30.0
DEFAULT_MAX_VALUE_SIZE = 64 * 1024 * 1024

# Bytes counted per item of a list/tuple (one pointer).
_ITEM_BYTES = 8

# How often the watchdog reads the CPU clocks of evaluating threads.
_TICK = 0.05


class BudgetExceeded(Exception):
    """An evaluation went over one of its budgets."""


class SizeBudgetExceeded(BudgetExceeded):
    pass


class CpuBudgetExceeded(BaseException):
    """Raised asynchronously in the evaluating thread.

    A BaseException so that no ``except Exception`` inside yaql, Jinja or
    our own code swallows it on its way out.
    """


class EvaluationAborted(BaseException):
    """Raised asynchronously in an evaluating thread by :func:`abort`: the
    work it belongs to is abandoned (its transaction rolls back). Not a
    :class:`CpuBudgetExceeded`: the evaluators do not turn it into an
    evaluation error."""


class Limits(object):
    max_cpu_seconds = DEFAULT_MAX_CPU_SECONDS
    max_value_size = DEFAULT_MAX_VALUE_SIZE


limits = Limits()


def configure(max_cpu_seconds=DEFAULT_MAX_CPU_SECONDS,
              max_value_size=DEFAULT_MAX_VALUE_SIZE):
    limits.max_cpu_seconds = float(max_cpu_seconds or 0)
    limits.max_value_size = int(max_value_size or 0)


# -- size guards (called before the operation) --------------------------------

def _too_large(what):
    raise SizeBudgetExceeded(
        'Expression result is too large: %s exceeds the size budget of %d '
        'bytes ([expressions] max_value_size_kb)'
        % (what, limits.max_value_size))


def check_int_result(bits):
    """Refuse an integer operation whose result would have ``bits`` bits."""
    if bits > MAX_INT_BITS:
        raise SizeBudgetExceeded(
            'Expression result is too large: an integer of about %d bits '
            '(the limit is %d bits)' % (bits, MAX_INT_BITS))


def check_mul(a, b):
    """``a * b`` for numbers, strings and sequences."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        if a and b:
            check_int_result(a.bit_length() + b.bit_length())
    elif isinstance(a, int) and not isinstance(b, (int, float)):
        check_repeat(b, a)
    elif isinstance(b, int) and not isinstance(a, (int, float)):
        check_repeat(a, b)


def check_pow(a, b, modulo=None):
    if (modulo is None and isinstance(a, int) and isinstance(b, int) and
            not isinstance(a, bool) and b > 1 and abs(a) > 1):
        check_int_result((abs(a).bit_length() - 1) * b + 1)


def check_shift_left(value, bits):
    if isinstance(value, int) and isinstance(bits, int) and value:
        check_int_result(value.bit_length() + max(bits, 0))


def check_repeat(seq, count):
    """``seq * count`` for strings, lists and tuples."""
    cap = limits.max_value_size
    if cap <= 0 or not isinstance(count, int) or count <= 1:
        return
    try:
        n = len(seq)
    except TypeError:
        return
    unit = 1 if isinstance(seq, (str, bytes)) else _ITEM_BYTES
    if n * unit * count > cap:
        _too_large('repeating a value of length %d %d times' % (n, count))


def check_concat(a, b):
    """``a + b`` for strings, lists and tuples."""
    cap = limits.max_value_size
    if cap <= 0:
        return
    unit = 1 if isinstance(a, str) else _ITEM_BYTES
    try:
        if (len(a) + len(b)) * unit > cap:
            _too_large('joining values of lengths %d and %d'
                       % (len(a), len(b)))
    except TypeError:
        return


# -- CPU watchdog -------------------------------------------------------------

def _set_async_exc(ident, exception):
    """Schedule ``exception`` in thread ``ident`` (None: cancel)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident),
        ctypes.py_object(exception) if exception is not None else None)


_lock = threading.Lock()
# thread ident -> _Entry of the evaluation running in that thread
_active = {}
_wake = threading.Event()
_watchdog = {'thread': None}


class _Entry(object):
    __slots__ = ('ident', 'clock', 'deadline', 'fired')

    def __init__(self, ident, clock, deadline):
        self.ident = ident
        self.clock = clock
        self.deadline = deadline
        self.fired = False


def _thread_cpu_clock(ident):
    try:
        return time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return None


def _watch():
    while True:
        if not _active:
            _wake.wait()
            _wake.clear()
            continue
        time.sleep(_TICK)
        for entry in list(_active.values()):
            if entry.fired:
                continue
            try:
                used = time.clock_gettime(entry.clock)
            except OSError:
                continue
            if used < entry.deadline:
                continue
            with _lock:
                if _active.get(entry.ident) is entry and not entry.fired:
                    entry.fired = True
                    _set_async_exc(entry.ident, CpuBudgetExceeded)


def _ensure_watchdog():
    thread = _watchdog['thread']
    if thread is not None and thread.is_alive():
        return
    with _lock:
        thread = _watchdog['thread']
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_watch, daemon=True,
                                      name='expression-cpu-watchdog')
            _watchdog['thread'] = thread
            thread.start()


def _after_fork_in_child():
    # The watchdog thread does not exist in a forked child; evaluations
    # of the parent's other threads do not either.
    global _lock
    _lock = threading.Lock()
    _active.clear()
    _wake.clear()
    _watchdog['thread'] = None


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _disarm(entry):
    with _lock:
        if _active.get(entry.ident) is entry:
            del _active[entry.ident]
        fired = entry.fired
    if fired:
        # Drop the exception if it has not been delivered yet.
        _set_async_exc(entry.ident, None)


def abort(ident):
    """Stop the evaluation running in thread ``ident`` (if any) with
    :class:`EvaluationAborted`; True if one was running."""
    with _lock:
        entry = _active.get(ident)
        if entry is None or entry.fired:
            return False
        entry.fired = True
        _set_async_exc(ident, EvaluationAborted)
        return True


def run(func, *args):
    """Call ``func(*args)`` within the CPU budget of one evaluation.

    Nested calls (an expression evaluated while another one runs in the
    same thread) share the outer budget. Raises :class:`CpuBudgetExceeded`
    when the budget is used up.
    """
    seconds = limits.max_cpu_seconds
    ident = threading.get_ident()
    if seconds <= 0 or ident in _active:
        return func(*args)
    clock = _thread_cpu_clock(ident)
    if clock is None:  # pragma: no cover - not Linux
        return func(*args)
    entry = _Entry(ident, clock, time.clock_gettime(clock) + seconds)
    _active[ident] = entry
    _ensure_watchdog()
    _wake.set()
    try:
        try:
            return func(*args)
        finally:
            _disarm(entry)
    except (CpuBudgetExceeded, EvaluationAborted):
        # Delivered while the finally clause ran: make sure it is done.
        _disarm(entry)
        raise


def cpu_message(expression):
    return ('Expression evaluation used more than its CPU budget of %g '
            'seconds ([expressions] max_cpu_seconds) [expression=%s]'
            % (limits.max_cpu_seconds, expression))
