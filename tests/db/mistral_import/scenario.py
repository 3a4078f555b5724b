"""The Mistral data set the import tests use, and how it was recorded.

Not a test: a tool for re-recording ``fixtures/`` against the real Mistral
(23.0.0, started with ``start-reference-mistral.sh NAME PORT postgres``):

1. ``python -m tests.db.mistral_import.scenario fill URL`` creates, through
   Mistral's API, workflows in two namespaces, a workbook, ad-hoc actions,
   environments, cron and event triggers and executions that succeed, fail,
   use with-items, sub-workflows, joins, retries, global publishes, pause
   (before a task; by the user while an action runs), wait before a task,
   wait for an asynchronous action, and are still running.
2. Stop Mistral (all its processes): what was running stays RUNNING in its
   database, as when an operator stops Mistral to move.
3. Start Mistral's API alone on the same database (``mistral-server --server
   api``) and run ``... scenario record URL DB_URL OUT_DIR``: it records
   the rows of Mistral's tables (``rows.json``), their layout
   (``layout.json``) and Mistral's answers to GET requests for every
   resource (``answers.json``).
"""

import datetime
import json
import os
import sys
import time

import requests
import sqlalchemy as sa

WORKFLOWS = """
version: '2.0'
hello:
  tags: [demo, greeting]
  input:
    - name
    - greeting: Hello
  vars:
    punct: '!'
  output:
    text: <% $.text %>
  tasks:
    say:
      action: std.echo output="<% $.greeting %>, <% $.name %><% $.punct %>"
      publish:
        text: <% task().result %>

failing:
  description: fails on purpose
  tasks:
    first:
      action: std.echo output=1
      publish:
        one: <% task().result %>
      on-success: boom
    boom:
      action: std.fail error_data="bad things"
      publish-on-error:
        err: <% task().result %>

handled:
  tasks:
    t1:
      action: std.fail
      on-error: recover
    recover:
      action: std.noop

items:
  input:
    - names: [a, b, c, d]
  tasks:
    each:
      with-items: n in <% $.names %>
      concurrency: 2
      action: std.echo output="item <% $.n %>"
      publish:
        all: <% task().result %>
      on-success: sum
    sum:
      action: std.echo output=<% len($.all) %>
      publish:
        total: <% task().result %>

child:
  input:
    - v
  output:
    doubled: <% $.v * 2 %>
  tasks:
    calc:
      action: std.noop

parent:
  tasks:
    call:
      workflow: child v=21
      publish:
        got: <% task().result.doubled %>
      on-success: fanout
    fanout:
      with-items: v in <% [1, 2] %>
      workflow: child v=<% $.v %>
      on-complete: bad_child
    bad_child:
      workflow: failing

joins:
  tasks:
    a:
      action: std.echo output="a"
      publish:
        va: <% task().result %>
      on-success: j
    b:
      action: std.echo output="b"
      publish:
        vb: <% task().result %>
      on-success: j
    j:
      join: all
      action: std.echo output="<% $.va %><% $.vb %>"
      publish:
        joined: <% task().result %>

globals:
  vars:
    v1: one
  tasks:
    g:
      action: std.echo output=42
      on-success:
        publish:
          branch:
            local: 1
          global:
            shared: 42
        next: h
    h:
      action: std.echo output=<% $.shared %>
      publish:
        seen: <% task().result %>

reverse_wf:
  type: reverse
  tasks:
    r1:
      action: std.echo output="r1"
    r2:
      action: std.echo output="r2"
      requires: [r1]

retrying:
  tasks:
    r:
      action: std.fail
      retry:
        count: 2
        delay: 0

with_env:
  tasks:
    e:
      action: std.echo output=<% env().greeting %>
      publish:
        from_env: <% task().result %>

pause_before:
  input:
    - x: 1
  tasks:
    step1:
      action: std.echo output=<% $.x %>
      publish:
        s1: <% task().result %>
      on-success: step2
    step2:
      pause-before: true
      action: std.echo output="<% $.s1 %> then 2"
      publish:
        s2: <% task().result %>
      on-success: step3
    step3:
      action: std.noop

sleeper:
  input:
    - secs: 2
  tasks:
    nap:
      action: std.sleep seconds=<% $.secs %>
      on-success: after
    after:
      action: std.echo output="woke"
      publish:
        woke: <% task().result %>

slow_child:
  input:
    - s: 2
  tasks:
    nap:
      action: std.sleep seconds=<% $.s %>
      on-success: out
    out:
      action: std.echo output="child done"
      publish:
        res: <% task().result %>
  output:
    res: <% $.res %>

tree:
  tasks:
    sub:
      workflow: slow_child s=2
      publish:
        from_child: <% task().result.res %>
      on-success: last
    last:
      action: std.echo output="<% $.from_child %>!"
      publish:
        last: <% task().result %>

delayed:
  tasks:
    first:
      action: std.noop
      on-success: later
    later:
      wait-before: 600
      action: std.echo output="later"
      publish:
        later: <% task().result %>

slow_items:
  tasks:
    each:
      with-items: n in <% [1, 2, 3, 4, 5, 6] %>
      concurrency: 1
      action: std.sleep seconds=2
      on-success: fin
    fin:
      action: std.echo output="items done"
      publish:
        fin: <% task().result %>

long_sync:
  tasks:
    long:
      action: std.sleep seconds=600
      on-success: next
    next:
      action: std.echo output="next"

async_wait:
  tasks:
    waitit:
      action: std.async_noop
      publish:
        got: <% task().result %>
"""

NS2_WORKFLOWS = """
version: '2.0'
hello:
  description: same name, other namespace
  tasks:
    t:
      action: my_action word="ns2"
      publish:
        r: <% task().result %>
"""

WORKBOOK = """
version: '2.0'
name: book
tags: [wb]
actions:
  shout:
    input:
      - word
    base: std.echo
    base-input:
      output: <% $.word %>!
    output: <% $ %>
workflows:
  main:
    tasks:
      s:
        action: shout word="book"
        publish:
          res: <% task().result %>
        on-success: sub
      sub:
        workflow: helper
  helper:
    tasks:
      h:
        action: std.noop
"""

ACTIONS = """
version: '2.0'
my_action:
  description: echoes a word
  tags: [adhoc]
  input:
    - word
    - suffix: '?'
  base: std.echo
  base-input:
    output: <% $.word %><% $.suffix %>
  output: <% $ %>
"""

NS2_ACTIONS = """
version: '2.0'
my_action:
  input:
    - word
  base: std.echo
  base-input:
    output: ns2-<% $.word %>
"""


class Client:
    def __init__(self, url):
        self.url = url.rstrip('/')
        self.http = requests.Session()

    def _check(self, r, path):
        if r.status_code not in (200, 201):
            raise RuntimeError('%s: %s %s' % (path, r.status_code, r.text))
        return r.json()

    def text(self, path, text, **params):
        return self._check(self.http.post(
            self.url + path, data=text.encode(), params=params,
            headers={'Content-Type': 'text/plain'}), path)

    def post(self, path, body):
        return self._check(self.http.post(self.url + path, json=body), path)

    def put(self, path, body):
        return self._check(self.http.put(self.url + path, json=body), path)

    def get(self, path):
        r = self.http.get(self.url + path)
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, r.text

    def start(self, name, **body):
        body['workflow_name'] = name
        return self.post('/executions', body)['id']

    def wait(self, ex_id, states=('SUCCESS', 'ERROR', 'CANCELLED'),
             timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.get('/executions/' + ex_id)[1]['state']
            if state in states:
                return state
            time.sleep(0.2)
        raise RuntimeError('%s is still %s' % (ex_id, state))


def fill(url):
    c = Client(url)
    wfs = {w['name']: w for w in c.text('/workflows', WORKFLOWS)['workflows']}
    c.text('/actions', ACTIONS)
    c.text('/actions', NS2_ACTIONS, namespace='ns2')
    c.text('/workflows', NS2_WORKFLOWS, namespace='ns2')
    c.text('/workbooks', WORKBOOK)
    c.post('/environments', {'name': 'env1', 'description': 'test env',
                             'variables': {'greeting': 'hi from env',
                                           'nested': {'a': [1, 2]}}})
    c.post('/environments', {'name': 'env_empty'})
    c.post('/cron_triggers', {
        'name': 'yearly', 'workflow_name': 'hello',
        'workflow_input': {'name': 'cron'},
        'workflow_params': {'env': {'k': 'v'}},
        'pattern': '0 0 1 1 *', 'remaining_executions': 5})
    c.post('/cron_triggers', {
        'name': 'once', 'workflow_id': wfs['hello']['id'],
        'workflow_input': {'name': 'once'},
        'first_execution_time': '2099-01-01 10:00'})
    c.post('/event_triggers', {
        'name': 'ev1', 'workflow_id': wfs['hello']['id'],
        'workflow_input': {'name': 'event'}, 'workflow_params': {},
        'exchange': 'nova', 'topic': 'notifications',
        'event': 'compute.instance.create.end'})
    finished = [
        c.start('hello', input={'name': 'World'}, description='greet'),
        c.start('failing'), c.start('handled'), c.start('items'),
        c.start('parent'), c.start('joins'), c.start('globals'),
        c.start('reverse_wf', params={'task_name': 'r2'}),
        c.start('retrying'),
        c.start('with_env', params={'env': 'env1'}),
        c.start('hello', workflow_namespace='ns2'),
        c.start('book.main')]
    for ex_id in finished:
        c.wait(ex_id)
    c.post('/action_executions', {'name': 'std.echo',
                                  'input': {'output': 'direct'},
                                  'params': {'save_result': True}})
    c.post('/action_executions', {'name': 'std.async_noop', 'input': {}})
    c.wait(c.start('pause_before', input={'x': 7}), ('PAUSED',))
    # Paused by the user while an action runs; it finishes meanwhile.
    sleeper = c.start('sleeper', input={'secs': 2})
    tree = c.start('tree')
    time.sleep(0.7)
    c.put('/executions/' + sleeper, {'state': 'PAUSED'})
    c.put('/executions/' + tree, {'state': 'PAUSED'})
    cancelled = c.start('async_wait')
    time.sleep(1)
    c.put('/executions/' + cancelled, {'state': 'CANCELLED',
                                       'state_info': 'by user'})
    delayed = c.start('delayed')
    time.sleep(1.5)
    c.put('/executions/' + delayed, {'state': 'PAUSED'})
    c.start('async_wait', description='waits for its action')
    c.start('long_sync', description='runs a long action')
    slow = c.start('slow_items')
    time.sleep(5)  # two or three of six items done
    print('Stop Mistral now; slow_items is %s'
          % c.get('/executions/' + slow)[1]['state'])


# --- recording ---------------------------------------------------------------

TABLES = ('workflow_definitions_v2', 'workbooks_v2', 'action_definitions_v2',
          'environments_v2', 'cron_triggers_v2', 'event_triggers_v2',
          'resource_members_v2', 'workflow_executions_v2',
          'task_executions_v2', 'action_executions_v2', 'code_sources',
          'dynamic_action_definitions')


def _plain(value):
    if isinstance(value, datetime.datetime):
        return {'__datetime__': value.isoformat()}
    return value


def record_rows(db_url, out_dir):
    engine = sa.create_engine(db_url)
    rows, layout = {}, {}
    with engine.connect() as conn:
        meta = sa.MetaData()
        for name in TABLES:
            table = sa.Table(name, meta, autoload_with=conn)
            layout[name] = [[c.name, str(c.type.compile(
                dialect=engine.dialect)), c.primary_key]
                for c in table.columns]
            rows[name] = [{k: _plain(v) for k, v in r.items()}
                          for r in conn.execute(
                              sa.select(table).order_by(table.c.id))
                          .mappings()]
    for name, data in (('rows', rows), ('layout', layout)):
        with open(os.path.join(out_dir, name + '.json'), 'w') as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write('\n')


def answer_paths(c):
    """Every GET the import tests compare."""
    paths = ['/workflows', '/workbooks', '/actions', '/environments',
             '/cron_triggers', '/event_triggers', '/executions',
             '/executions?include_output=true', '/tasks',
             '/action_executions']
    listed = {p: c.get(p)[1] for p in paths}
    for wf in listed['/workflows']['workflows']:
        paths.append('/workflows/%s' % wf['id'])
    for key, coll in (('name', 'workbooks'), ('name', 'environments'),
                      ('name', 'cron_triggers'), ('id', 'event_triggers'),
                      ('id', 'action_executions')):
        for item in listed['/' + coll][coll]:
            paths.append('/%s/%s' % (coll, item[key]))
    for action in listed['/actions']['actions']:
        if not action['is_system']:
            paths.append('/actions/%s' % action['name'])
    for ex in listed['/executions']['executions']:
        paths += ['/executions/%s' % ex['id'],
                  '/executions/%s/tasks' % ex['id'],
                  '/executions/%s/executions' % ex['id']]
    for task in listed['/tasks']['tasks']:
        paths += ['/tasks/%s' % task['id'],
                  '/tasks/%s/action_executions' % task['id']]
    return paths


def record_answers(url, out_dir):
    c = Client(url)
    answers = {}
    for path in answer_paths(c):
        status, body = c.get(path)
        answers[path] = {'status': status, 'body': body}
    with open(os.path.join(out_dir, 'answers.json'), 'w') as f:
        json.dump(answers, f, indent=1, sort_keys=True)
        f.write('\n')


def main(argv):
    if argv[:1] == ['fill']:
        fill(argv[1])
    elif argv[:1] == ['record']:
        record_rows(argv[2], argv[3])
        record_answers(argv[1], argv[3])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
