"""What the service tells its operators: the workflow trace and the metrics.

A leaf module (logging and prometheus_client only): the engine, executor,
scheduler, recovery and API call one function here where something happens,
and this module turns it into

- a line of the **workflow trace** logger (Mistral's ``workflow_trace``,
  renamed by ``[DEFAULT] workflow_trace_log_name``): every committed state
  change of a workflow execution or task execution at INFO, of an action
  execution at DEBUG, with ids and names;
- **Prometheus metrics** (``prometheus_client``), served as ``GET /metrics``
  by the API (:func:`exposition`) and, for processes without an API, on a
  port of their own (``[metrics] port``, :func:`start_http_server`).

Multi-process API servers (our ``[api] api_workers``, gunicorn, uwsgi) use
prometheus_client's multiprocess mode: when ``PROMETHEUS_MULTIPROC_DIR`` is
set before this module is first imported, every process writes its numbers
there and any of them answers ``/metrics`` for all (``cmd/server.py`` sets
it up for its own workers).
"""

import logging
import os
import threading

LOG = logging.getLogger(__name__)

TRACE = logging.getLogger('workflow_trace')

MULTIPROCESS = bool(os.environ.get('PROMETHEUS_MULTIPROC_DIR'))

FINAL_STATES = ('SUCCESS', 'ERROR', 'CANCELLED')

# Seconds: from a millisecond std.noop to hour-long actions.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                     10, 30, 60, 300, 900, 3600, float('inf'))
_API_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                2.5, 5, 10, float('inf'))


class _Metrics:
    """This process's Prometheus metrics."""

    def __init__(self, prometheus_client):
        p = prometheus_client
        self.WORKFLOWS_STARTED = p.Counter(
            'mistral_workflow_executions_started',
            'Workflow executions started (kind: root or subworkflow).',
            ['kind'])
        self.WORKFLOWS_FINISHED = p.Counter(
            'mistral_workflow_executions_finished',
            'Workflow executions that reached a final state.', ['state'])
        self.TASK_TRANSITIONS = p.Counter(
            'mistral_task_transitions',
            'Committed state changes of task executions, by the state '
            'entered.', ['state'])
        self.ACTIONS_FINISHED = p.Counter(
            'mistral_action_executions_finished',
            'Action executions that reached a final state.', ['state'])
        self.ACTION_DURATION = p.Histogram(
            'mistral_action_execution_duration_seconds',
            'Seconds from the creation of an action execution to its '
            'result.', ['state'], buckets=_DURATION_BUCKETS)
        self.JOB_LAG = p.Histogram(
            'mistral_scheduled_job_lag_seconds',
            'Seconds between the time a delayed job was due and its claim '
            'by a scheduler.', buckets=_DURATION_BUCKETS)
        self.CRON_FIRINGS = p.Counter(
            'mistral_cron_trigger_firings',
            'Executions started by cron triggers.')
        self.RECOVERIES = p.Counter(
            'mistral_action_recoveries',
            'Stuck actions fixed by the recovery check (outcome: lost = '
            'dispatch lost and sent again, rerun = executor lost and '
            'safe-rerun, failed = executor lost: failed with "Heartbeat '
            'wasn\'t received.").', ['outcome'])
        self.API_REQUESTS = p.Histogram(
            'mistral_api_request_duration_seconds',
            'API requests by route, method and status, with their '
            'duration.', ['method', 'route', 'status'],
            buckets=_API_BUCKETS)


class _Unread:
    """Every metric of a process whose metrics nobody can read."""

    def labels(self, *values):
        return self

    def inc(self, amount=1):
        pass

    def observe(self, amount):
        pass

    def __getattr__(self, name):  # WORKFLOWS_STARTED, JOB_LAG...
        return self


# The metrics are made at their first use, with prometheus_client, unless
# configure() said nobody reads them: an engine, executor or scheduler
# without ``[metrics] port`` (only API processes answer ``/metrics``) then
# never imports prometheus_client and the standard library's HTTP server,
# client and URL modules it brings (~1-1.5 MB of each such process, issue
# 14). Once read (configure(served=True), /metrics), they are the real
# ones for good (what was counted unread before is not there).
_served = True
_real = None
_metrics_lock = threading.Lock()
_UNREAD = _Unread()
_scrape_collectors = []


def _m():
    if _real is not None:
        return _real
    if not _served:
        return _UNREAD
    return _real_metrics()


def _real_metrics():
    global _real
    with _metrics_lock:
        if _real is None:
            import prometheus_client
            _real = _Metrics(prometheus_client)
    return _real


def configure(trace_log_name='workflow_trace', served=True):
    """Apply ``[DEFAULT] workflow_trace_log_name``; ``served=False``: this
    process's metrics are read by nobody (no API, no ``[metrics] port``),
    so they are not kept (unless made already)."""
    global TRACE, _served
    TRACE = logging.getLogger(trace_log_name)
    _served = served
    if served:  # every family on /metrics from the start
        _real_metrics()


# --- state changes (the workflow trace) --------------------------------------

_children = {}
# At most this many kept (an API client may send any method).
_CHILDREN_KEPT = 4096


def _child(metric, *values):
    """``metric.labels(*values)``, looked up once per values: labels()
    checks its arguments and takes a lock at every call (~1.5 us), and
    every task transition makes several, every API request one."""
    key = (metric,) + values
    child = _children.get(key)
    if child is None:
        child = metric.labels(*values)
        if len(_children) >= _CHILDREN_KEPT:
            _children.clear()
        _children[key] = child
    return child


def _transition(old, new):
    return '[%s -> %s]' % (old or 'new', new)


def _info(state_info):
    if not state_info:
        return ''
    text = str(state_info)
    return ', state_info: %s' % (text if len(text) <= 500 else
                                 text[:500] + '...')


def workflow_state_changed(wf_ex_id, workflow_name, old, new,
                           state_info=None, parent_task_id=None):
    if old is None or old == 'IDLE' and new == 'RUNNING':
        _child(_m().WORKFLOWS_STARTED,
               'subworkflow' if parent_task_id else 'root').inc()
    if new in FINAL_STATES and old not in FINAL_STATES:
        _child(_m().WORKFLOWS_FINISHED, new).inc()
    if TRACE.isEnabledFor(logging.INFO):
        TRACE.info("Workflow '%s' %s (execution_id=%s%s)%s", workflow_name,
                   _transition(old, new), wf_ex_id,
                   ', parent task_id=%s' % parent_task_id
                   if parent_task_id else '', _info(state_info))


def task_state_changed(task_ex_id, task_name, wf_ex_id, workflow_name, old,
                       new, state_info=None):
    _child(_m().TASK_TRANSITIONS, new).inc()
    if TRACE.isEnabledFor(logging.INFO):
        TRACE.info("Task '%s' %s (task_id=%s, workflow '%s', execution_id=%s)"
                   "%s", task_name, _transition(old, new), task_ex_id,
                   workflow_name, wf_ex_id, _info(state_info))


def action_state_changed(action_ex_id, action_name, task_ex_id, old, new,
                         duration=None, state_info=None):
    final = new in FINAL_STATES and old not in FINAL_STATES
    if final:
        _child(_m().ACTIONS_FINISHED, new).inc()
        if duration is not None:
            _child(_m().ACTION_DURATION, new).observe(max(0.0, duration))
    # At DEBUG: the task's line tells the outcome at INFO (with the
    # action's error); one line per action would double an engine's log.
    if TRACE.isEnabledFor(logging.DEBUG):
        TRACE.debug("Action '%s' %s (action_execution_id=%s%s)%s%s",
                    action_name, _transition(old, new), action_ex_id,
                    ', task_id=%s' % task_ex_id if task_ex_id else '',
                    ' in %.3fs' % duration if final and duration is not None
                    else '', _info(state_info))


# --- the rest of the service -------------------------------------------------

def cron_trigger_fired(trigger_name, trigger_id, workflow, project_id):
    _m().CRON_FIRINGS.inc()
    LOG.info("Cron trigger '%s' (id=%s) fired: starting workflow %s for "
             "project %s", trigger_name, trigger_id, workflow, project_id)


def jobs_claimed(lags):
    """Delayed jobs a scheduler claimed, with their lateness in seconds."""
    for lag in lags:
        _m().JOB_LAG.observe(max(0.0, lag))


def recovered(outcome, action_ex_id):
    """The recovery check fixed a stuck action (the engine logged how)."""
    _m().RECOVERIES.labels(outcome).inc()
    LOG.debug('Recovered action execution %s: %s', action_ex_id, outcome)


def api_request(method, route, status, seconds):
    _child(_m().API_REQUESTS, method, route, str(status)).observe(seconds)


# --- exposition --------------------------------------------------------------

def add_scrape_collector(collector):
    """A collector computed at scrape time (e.g. the jobs backlog, read
    from the database); registered once per process."""
    if collector in _scrape_collectors:
        return
    _scrape_collectors.append(collector)
    if not MULTIPROCESS and _served:
        import prometheus_client
        prometheus_client.REGISTRY.register(collector)


def _registry():
    import prometheus_client
    _real_metrics()
    if not MULTIPROCESS:
        return prometheus_client.REGISTRY
    from prometheus_client import multiprocess
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in _scrape_collectors:
        registry.register(collector)
    return registry


def exposition(accept=None):
    """``(content_type, body)`` of ``GET /metrics``."""
    from prometheus_client import exposition as expo
    encoder, content_type = expo.choose_encoder(accept or '')
    return content_type, encoder(_registry())


def start_http_server(host, port):
    """Serve this process's ``/metrics`` on ``host:port`` (a daemon
    thread); returns the server."""
    import prometheus_client
    server, _thread = prometheus_client.start_http_server(
        port, addr=host, registry=_registry())
    LOG.info('Metrics of this process on http://%s:%d/metrics', host,
             server.server_address[1])
    return server
