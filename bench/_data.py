"""Data-heavy scenarios: a list of records (~1 MB or ~10 MB of JSON) moved
and transformed through a 10-task chain, with YAQL or with Jinja.

The YAQL chain uses what real workflows use on data: ``select(dict(...))``,
``orderByDescending``, ``where``, ``$.set(...)``, ``orderBy``,
``distinct().len()``, ``select($.value).sum()``, ``first()``, ``last()``,
``toUpper()``, and two tasks pass the list through ``std.echo`` and
``task().result``. The Jinja chain does the same work with Jinja filters.
The workflow output is checked against the same computation in Python, so a
fast but wrong server fails the scenario.

Figures: seconds POST → SUCCESS, and the server's peak RSS during the
scenario (VmHWM reset through /proc/PID/clear_refs first, where allowed;
else the sampled VmRSS peak) beside the RSS before it.
"""

import json
import time

from _client import BenchError
import _servers

YAQL_CHAIN = """version: '2.0'
%(name)s:
  input: [records]
  output:
    count: <%% $.count %%>
    groups: <%% $.groups %%>
    total: <%% $.total %%>
    first: <%% $.first %%>
    last: <%% $.last %%>
  tasks:
    project:
      action: std.noop
      publish:
        recs: <%% $.records.select(dict(id => $.id, name => $.name, group => $.group, tags => $.tags, value => $.value, text => $.text)) %%>
      on-success: by_value
    by_value:
      action: std.noop
      publish:
        recs: <%% $.recs.orderByDescending($.value) %%>
      on-success: echo1
    echo1:
      action: std.echo output=<%% $.recs %%>
      publish:
        recs: <%% task().result.where($.value >= 1) %%>
      on-success: flag
    flag:
      action: std.noop
      publish:
        recs: <%% $.recs.select($.set(big, $.value > 500)) %%>
      on-success: by_id
    by_id:
      action: std.noop
      publish:
        recs: <%% $.recs.orderBy($.id) %%>
      on-success: groups
    groups:
      action: std.noop
      publish:
        groups: <%% $.recs.select($.group).distinct().len() %%>
      on-success: total
    total:
      action: std.noop
      publish:
        total: <%% $.recs.select($.value).sum() %%>
      on-success: echo2
    echo2:
      action: std.echo output=<%% $.recs %%>
      publish:
        recs: <%% task().result %%>
      on-success: ends
    ends:
      action: std.noop
      publish:
        first: <%% $.recs.first().name.toUpper() %%>
        last: <%% $.recs.last().name.toUpper() %%>
      on-success: count
    count:
      action: std.noop
      publish:
        count: <%% $.recs.len() %%>
"""

JINJA_CHAIN = """version: '2.0'
%(name)s:
  input: [records]
  output:
    count: "{{ _.count }}"
    groups: "{{ _.groups }}"
    total: "{{ _.total }}"
    first: "{{ _.first }}"
    last: "{{ _.last }}"
  tasks:
    project:
      action: std.noop
      publish:
        recs: "{{ _.records | list }}"
      on-success: by_value
    by_value:
      action: std.noop
      publish:
        recs: "{{ _.recs | sort(attribute='value', reverse=true) }}"
      on-success: echo1
    echo1:
      action: std.echo
      input:
        output: "{{ _.recs }}"
      publish:
        recs: "{{ task().result | selectattr('value', 'ge', 1) | list }}"
      on-success: flag
    flag:
      action: std.noop
      publish:
        recs: "{{ _.recs | rejectattr('value', 'gt', 100000) | list }}"
      on-success: by_id
    by_id:
      action: std.noop
      publish:
        recs: "{{ _.recs | sort(attribute='id') }}"
      on-success: groups
    groups:
      action: std.noop
      publish:
        groups: "{{ _.recs | map(attribute='group') | unique | list | length }}"
      on-success: total
    total:
      action: std.noop
      publish:
        total: "{{ _.recs | map(attribute='value') | sum }}"
      on-success: echo2
    echo2:
      action: std.echo
      input:
        output: "{{ _.recs }}"
      publish:
        recs: "{{ task().result }}"
      on-success: ends
    ends:
      action: std.noop
      publish:
        first: "{{ (_.recs | first).name | upper }}"
        last: "{{ (_.recs | last).name | upper }}"
      on-success: count
    count:
      action: std.noop
      publish:
        count: "{{ _.recs | length }}"
"""

# One record is ~173 bytes of JSON: 5,555 of them make ~0.96 MB (with one
# more field still under the default 1024 KB field size limit), 55,550
# ~9.6 MB.
RECORD_COUNT = {1: 5555, 10: 55550}


def records(n):
    return [{'id': i, 'name': 'name-%05d' % i, 'group': 'g%d' % (i % 37),
             'tags': ['t%d' % (i % 5), 't%d' % (i % 3)],
             'value': ((i * 7919) % 10007) / 10.0,
             'text': ('%05d ' % i) * 12} for i in range(n)]


def expected(recs):
    kept = sorted((r for r in recs if r['value'] >= 1), key=lambda r: r['id'])
    total = 0
    for r in kept:
        total = total + r['value']
    return {'count': len(kept),
            'groups': len({r['group'] for r in kept}),
            'total': total,
            'first': kept[0]['name'].upper(),
            'last': kept[-1]['name'].upper()}


class PeakRss(object):
    """Peak RSS of the server processes over one scenario."""

    def __init__(self, pids):
        self.pids = list(pids)
        self.reset = False
        self.sampler = None

    def start(self):
        self.before_kb = self._sum('VmRSS')
        try:
            for pid in self.pids:
                with open('/proc/%d/clear_refs' % pid, 'w') as f:
                    f.write('5')  # reset VmHWM to the current RSS
            self.reset = bool(self.pids)
        except OSError:
            self.reset = False
        self.sampler = _servers.MemorySampler(self.pids, interval=0.2)
        self.sampler.start()

    def _sum(self, field):
        return sum(_servers.kb((_servers.proc_status(p) or {}).get(field))
                   for p in self.pids)

    def stop(self):
        sampled = self.sampler.stop()
        peak = (sampled['vmhwm_mb_sum'] if self.reset
                else sampled['peak_sampled_rss_mb_sum'])
        return {'rss_before_mb': round(self.before_kb / 1024.0, 1),
                'peak_rss_mb': peak,
                'peak_from': 'VmHWM after reset' if self.reset
                else 'sampled VmRSS'}


def data_chain(lang, mb):
    template = YAQL_CHAIN if lang == 'yaql' else JINJA_CHAIN

    def scenario(ctx):
        name = ctx.name('data_%s_%dmb' % (lang, mb))
        recs = records(RECORD_COUNT[mb])
        payload = len(json.dumps(recs))
        want = expected(recs)
        ctx.create(template % {'name': name})
        pids = ctx.target.all_pids()
        rss = PeakRss(pids) if pids else None
        if rss:
            rss.start()
        t0 = time.monotonic()
        ex = ctx.start(name, {'records': recs})
        done = ctx.api.wait_executions(name, [ex['id']], ctx.args.timeout, t0)
        seconds = done[ex['id']][1]
        memory = rss.stop() if rss else {}
        got = json.loads(ctx.api.get_execution(ex['id'])['output'] or '{}')
        if lang == 'jinja':
            got = {k: _number(v) for k, v in got.items()}
        if not _same(want, got):
            raise BenchError('wrong output: %s, expected %s' % (got, want))
        result = {'figure': round(seconds, 2), 'unit': 's to SUCCESS',
                  'payload_bytes': payload, 'records': len(recs),
                  'tasks': 10, 'seconds': round(seconds, 3)}
        result.update(memory)
        if memory:
            result['peak_rss_over_payload'] = round(
                memory['peak_rss_mb'] * 1024 * 1024 / payload, 1)
            result['growth_over_payload'] = round(
                (memory['peak_rss_mb'] - memory['rss_before_mb']) *
                1024 * 1024 / payload, 1)
        return result
    return scenario


def _number(v):
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def _same(want, got):
    for key, value in want.items():
        other = got.get(key)
        if isinstance(value, float):
            if not isinstance(other, (int, float)) or \
                    abs(other - value) > 1e-6 * max(1.0, abs(value)):
                return False
        elif other != value:
            return False
    return True


SCENARIOS = {
    'data_yaql_1mb': data_chain('yaql', 1),
    'data_jinja_1mb': data_chain('jinja', 1),
    'data_yaql_10mb': data_chain('yaql', 10),
    'data_jinja_10mb': data_chain('jinja', 10),
}
ORDER = ['data_yaql_1mb', 'data_jinja_1mb', 'data_yaql_10mb',
         'data_jinja_10mb']
# The 10 MB runs need [engine] execution_field_size_limit_kb and [api]
# max_request_body_size raised on the server; servers that run.py starts get
# these unless --option sets them.
SERVER_OPTIONS = ['engine.execution_field_size_limit_kb=65536',
                  'api.max_request_body_size=67108864']
