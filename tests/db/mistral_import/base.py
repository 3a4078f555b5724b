"""Fixtures of the import tests: Mistral databases built from recorded rows.

``fixtures/`` holds what was recorded with the real Mistral 23.0.0 (see
``scenario.py``): the rows of its tables, their layout, and its answers to
GET requests. :func:`build_source` creates a database with Mistral's table
layout and those rows, on SQLite or PostgreSQL, so the import is tested
against Mistral's real storage where Mistral itself is not installed.
"""

import datetime
import io
import json
import os
import re
import shutil
import tempfile
import threading
import unittest
import uuid

import requests
import sqlalchemy as sa

from mistral_clone import config
from mistral_clone.db import api as db_api
from mistral_clone.db.mistral_import import runner

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'fixtures')
_cache = {}


def fixture(name):
    if name not in _cache:
        with open(os.path.join(FIXTURES, name + '.json')) as f:
            _cache[name] = json.load(f)
    return _cache[name]


def source_rows(table):
    return [_decoded(r) for r in fixture('rows')[table]]


def _decoded(row):
    out = {}
    for key, value in row.items():
        if isinstance(value, dict) and '__datetime__' in value:
            value = datetime.datetime.fromisoformat(value['__datetime__'])
        out[key] = value
    return out


def _column_type(text):
    m = re.match(r'(VARCHAR|CHAR)\((\d+)\)', text)
    if m:
        return (sa.String if m.group(1) == 'VARCHAR' else sa.CHAR)(
            int(m.group(2)))
    if text.startswith('TIMESTAMP') or text == 'DATETIME':
        return sa.DateTime()
    return {'TEXT': sa.Text(), 'BOOLEAN': sa.Boolean(),
            'INTEGER': sa.Integer()}[text]


# Indexes of the execution tables that Mistral's migrations create (the
# recorded layout is the one Mistral's create_all makes, which lacks the
# action_executions_v2 one).
INDEXES = (('task_executions_v2', 'workflow_execution_id'),
           ('action_executions_v2', 'task_execution_id'),
           ('workflow_executions_v2', 'task_execution_id'))


def build_source(url, indexes=True):
    """Create Mistral's tables with the recorded rows at ``url``."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    tables = {}
    for name, columns in fixture('layout').items():
        tables[name] = sa.Table(name, meta, *[
            sa.Column(c, _column_type(t), primary_key=pk)
            for c, t, pk in columns])
    if indexes:
        for table, column in INDEXES:
            sa.Index('%s_%s' % (table, column), tables[table].c[column])
    meta.create_all(engine)
    with engine.begin() as conn:
        for name, table in tables.items():
            rows = source_rows(name)
            if rows:
                conn.execute(table.insert(), rows)
    engine.dispose()


# --- databases ---------------------------------------------------------------

def server_unavailable(backend):
    """Why the PostgreSQL (``postgresql``) or MariaDB (``mysql``) server
    cannot be used here, or None."""
    from tests.integration import production_env
    if backend == 'postgresql':
        reason = production_env.ensure_postgresql()
        module = 'psycopg2'
    else:
        reason = production_env.ensure_mariadb()
        module = 'pymysql'
    if reason is None:
        try:
            __import__(module)
        except ImportError:
            reason = '%s is not installed' % module
    return reason


class Databases:
    """Temporary databases (SQLite files, uniquely named PostgreSQL or
    MariaDB databases), removed by :meth:`cleanup`."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='mc_import_')
        self.servers = []

    def sqlite(self, name):
        return 'sqlite:///%s' % os.path.join(self.tmp, name + '.sqlite')

    def _server(self, backend, name):
        from tests.integration import production_env
        db = 'mc_import_%s_%s' % (name, uuid.uuid4().hex[:10])
        self.servers.append((backend, db))
        return production_env.create_database(backend, db)

    def postgresql(self, name):
        return self._server('postgresql', name)

    def mysql(self, name):
        return self._server('mysql', name)

    def cleanup(self):
        db_api.dispose()
        from tests.integration import production_env
        for backend, db in self.servers:
            production_env.drop_database(backend, db)
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_import(source_url, target_url, **kwargs):
    """``(report, printed text)`` of one import."""
    out = io.StringIO()
    kwargs.setdefault('progress', False)
    report = runner.Import(source_url, target_url, out=out, **kwargs).run()
    return report, out.getvalue()


def table_rows(url, table):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if table not in sa.inspect(conn).get_table_names():
                return None
            return conn.execute(sa.select(sa.func.count()).select_from(
                sa.table(table))).scalar()
    finally:
        engine.dispose()


class ApiOnly:
    """Our API (no engine) over a database: what GET answers after an
    import, with nothing running that could change it."""

    def __init__(self, url):
        from mistral_clone.api import app as api_app
        from mistral_clone.api import server as api_server
        config.parse_args([])
        db_api.setup(url)
        self.srv = api_server.make_server('127.0.0.1', 0,
                                          api_app.setup_app(config.CONF))
        self.url = 'http://127.0.0.1:%d/v2' % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.http = requests.Session()

    def get(self, path):
        r = self.http.get(self.url + path)
        return r.status_code, r.json()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()
        db_api.dispose()


# --- what differs from Mistral's answers, on purpose -------------------------

# std.wait_ssh is built in here (Mistral keeps it as a row of its database).
BUILTIN_ACTIONS = ('std.wait_ssh',)


def running_in_source():
    return {r['id'] for r in source_rows('workflow_executions_v2')
            if r['state'] == 'RUNNING'}


def expected_answer(path, body, running):
    """Mistral's recorded answer adjusted by the documented differences:
    executions that were RUNNING are imported PAUSED (``running``: ids)."""
    from mistral_clone.db.mistral_import import history

    def fix(item):
        if isinstance(item, dict) and item.get('id') in running and \
                item.get('state') == 'RUNNING' and 'workflow_name' in item \
                and 'workflow_execution_id' not in item and \
                'task_execution_id' in item and 'accepted' not in item:
            item = dict(item, state='PAUSED',
                        state_info=history.PAUSED_INFO % 'RUNNING')
        return item

    if isinstance(body, dict):
        body = fix(body)
        for key in ('executions',):
            if isinstance(body.get(key), list):
                body = dict(body, **{key: [fix(i) for i in body[key]]})
        if isinstance(body.get('actions'), list):
            body = dict(body, actions=[
                a for a in body['actions']
                if a['name'] not in BUILTIN_ACTIONS])
    return body


class AnswersMixin(unittest.TestCase):
    """Compares our GET answers after an import with Mistral's."""

    def assert_answers_match(self, api):
        running = running_in_source()
        mismatches = []
        for path, recorded in sorted(fixture('answers').items()):
            if any(path.endswith('/' + a) for a in BUILTIN_ACTIONS):
                continue
            status, body = api.get(path)
            if path == '/actions':
                body = dict(body, actions=[
                    a for a in body['actions']
                    if a['name'] not in BUILTIN_ACTIONS])
            want = expected_answer(path, recorded['body'], running)
            if status != recorded['status'] or body != want:
                mismatches.append('%s\n  mistral: %s\n  ours:    %s' % (
                    path, json.dumps(want)[:800], json.dumps(body)[:800]))
        self.assertEqual([], mismatches, '\n'.join(mismatches[:5]))
        return len(fixture('answers'))
