"""Fixtures of the scheduler tests: a fresh PostgreSQL database per test
class, a fresh RabbitMQ vhost, and worker processes (see
``scheduler_worker``) that are always reaped."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    'MC_TEST_PG_ADMIN_URL', 'postgresql+psycopg2://postgres@127.0.0.1:5432/'
    'postgres')
RABBIT = os.environ.get('MC_TEST_RABBIT', 'guest:guest@127.0.0.1:5672')
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _admin_engine():
    return sa.create_engine(PG_ADMIN_URL, isolation_level='AUTOCOMMIT',
                            future=True)


def pg_available():
    """PostgreSQL answers (started first if it is installed but down)."""
    from tests.integration import production_env
    if production_env.postgresql_reason():
        return False
    try:
        engine = _admin_engine()
        with engine.connect() as c:
            c.execute(sa.text('select 1'))
        engine.dispose()
        return True
    except Exception:
        return False


class PostgresDatabase:
    """``CREATE DATABASE`` on enter (migrated to head), ``DROP`` on exit."""

    def __init__(self, prefix='mc_sched'):
        self.name = '%s_%s' % (prefix, uuid.uuid4().hex[:10])
        base = PG_ADMIN_URL.rsplit('/', 1)[0]
        self.url = '%s/%s' % (base, self.name)

    def create(self):
        engine = _admin_engine()
        with engine.connect() as c:
            c.execute(sa.text('CREATE DATABASE %s' % self.name))
        engine.dispose()
        from mistral_clone.db import api as db_api
        db_api.upgrade_to_head(self.url)
        return self

    def drop(self):
        engine = _admin_engine()
        with engine.connect() as c:
            c.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"),
                {'n': self.name})
            c.execute(sa.text('DROP DATABASE IF EXISTS %s' % self.name))
        engine.dispose()


def rabbitmqctl(*args):
    return subprocess.run(('rabbitmqctl',) + args, capture_output=True,
                          text=True, timeout=60)


def rabbit_available():
    import socket
    host, port = RABBIT.rsplit('@', 1)[1].split(':')
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return False
    return rabbitmqctl('status').returncode == 0


class RabbitVhost:
    def __init__(self, prefix='mc_events'):
        self.name = '%s_%s' % (prefix, uuid.uuid4().hex[:10])
        self.url = 'rabbit://%s/%s' % (RABBIT, self.name)

    def create(self):
        for args in (('add_vhost', self.name),
                     ('set_permissions', '-p', self.name, 'guest', '.*',
                      '.*', '.*')):
            r = rabbitmqctl(*args)
            if r.returncode != 0:
                raise RuntimeError('rabbitmqctl %s: %s' % (args, r.stderr))
        return self

    def delete(self):
        rabbitmqctl('delete_vhost', self.name)


class Worker:
    """One ``python -m tests.integration.scheduler_worker`` process."""

    def __init__(self, *args):
        self.args = [str(a) for a in args]
        env = dict(os.environ, PYTHONPATH=ROOT,
                   PYTHONWARNINGS='ignore')
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'tests.integration.scheduler_worker']
            + self.args, cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def alive(self):
        return self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self):
        self.kill(signal.SIGTERM)
        if self.proc.stderr is not None:
            self.stderr = self.proc.stderr.read().decode(errors='replace')
            self.proc.stderr.close()


def read_records(paths):
    out = []
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line))
    return out


def wait_for(predicate, timeout, interval=0.05, message='condition'):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out waiting for %s' % message)
        time.sleep(interval)
