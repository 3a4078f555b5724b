"""A real multi-process production deployment for integration tests.

:class:`Deployment` creates a fresh RabbitMQ vhost and a fresh PostgreSQL or
MariaDB database, writes an oslo.config file, runs
``mistral-clone-db-manage upgrade head`` and starts any number of
``mistral-clone-server --server X`` processes (each with its own log file).
It can kill -9 / restart processes, restart RabbitMQ, and cleans everything
up (processes, vhost, database) in :meth:`Deployment.destroy`.

The local services are started when they are not running
(``rabbitmq-server -detached``, ``pg_ctlcluster ... start``, ``mariadbd``),
by one test process at a time (a lock file); :func:`unavailable_reason`
says why a backend cannot be used, for skips.
"""

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import requests

BIN_DIR = os.path.dirname(sys.executable)
RABBIT_PORT = 5672
PG_PORT = 5432
MYSQL_PORT = 3306


def children(pid):
    """Pids of the running processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces.
        fields = stat.rsplit(')', 1)[1].split()
        if int(fields[1]) == pid and fields[0] != 'Z':
            found.append(int(entry))
    return found


def _running(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def _port_open(port, host='127.0.0.1'):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _wait_port(port, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _port_open(port):
            return True
        time.sleep(0.5)
    return False


def _run(cmd, timeout=60, check=True, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise RuntimeError('%s failed (%s): %s' % (
            ' '.join(cmd), p.returncode, p.stdout.decode('utf-8',
                                                         'replace')))
    return p.stdout.decode('utf-8', 'replace')


@contextlib.contextmanager
def file_lock(path):
    """An exclusive lock between processes (test workers) on ``path``."""
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _broker_lock():
    """One test restarts the shared RabbitMQ (``restart_rabbitmq``) while
    the other test worker may be setting up a deployment: checks and vhost
    set-up wait until a restart is over instead of finding the broker
    down."""
    return file_lock(os.path.join(tempfile.gettempdir(),
                                  'mistral_clone_rabbitmq_restart.lock'))


def _rabbit_ready():
    with _broker_lock():
        if not _port_open(RABBIT_PORT):
            return False
        try:
            _run(['rabbitmqctl', 'await_startup', '--timeout', '30'],
                 timeout=40)
            return True
        except Exception:
            return False


def ensure_rabbitmq():
    if _rabbit_ready():
        return None
    if not shutil.which('rabbitmq-server'):
        return 'rabbitmq-server is not installed'
    try:
        subprocess.run(['rabbitmq-server', '-detached'], timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception as e:
        return 'could not start rabbitmq-server: %s' % e
    if not _wait_port(RABBIT_PORT, 60) or not _rabbit_ready():
        return 'RabbitMQ did not come up on port %d' % RABBIT_PORT
    return None


def ensure_postgresql():
    if _port_open(PG_PORT):
        return None
    if not shutil.which('pg_ctlcluster') or not os.path.isdir(
            '/etc/postgresql'):
        return 'PostgreSQL is not installed'
    versions = sorted(os.listdir('/etc/postgresql'))
    if not versions:
        return 'no PostgreSQL cluster configured'
    try:
        _run(['pg_ctlcluster', '--skip-systemctl-redirect', versions[-1],
              'main', 'start'], timeout=60, check=False)
    except Exception as e:
        return 'could not start PostgreSQL: %s' % e
    if not _wait_port(PG_PORT, 60):
        return 'PostgreSQL did not come up on port %d' % PG_PORT
    return None


def ensure_mariadb():
    if _port_open(MYSQL_PORT):
        return None
    if not os.path.exists('/usr/sbin/mariadbd'):
        return 'MariaDB is not installed'
    try:
        _run(['start-stop-daemon', '--start', '--oknodo', '--background',
              '--exec', '/usr/sbin/mariadbd'], timeout=30, check=False)
    except Exception as e:
        return 'could not start MariaDB: %s' % e
    if not _wait_port(MYSQL_PORT, 60):
        return 'MariaDB did not come up on port %d' % MYSQL_PORT
    return None


def _services_lock():
    """Test workers start at the same moment: one of them starts a
    missing service, the others find it running."""
    return file_lock(os.path.join(tempfile.gettempdir(),
                                  'mistral_clone_services.lock'))


def unavailable_reason(backend):
    """None when RabbitMQ and the database ``backend`` are usable."""
    with _services_lock():
        return _unavailable_reason(backend)


def rabbitmq_reason():
    """None when RabbitMQ is usable (started if it was down)."""
    with _services_lock():
        return ensure_rabbitmq()


def postgresql_reason():
    """None when PostgreSQL is usable (started if it was down)."""
    with _services_lock():
        return ensure_postgresql()


def _unavailable_reason(backend):
    reason = ensure_rabbitmq()
    if reason:
        return reason
    if backend == 'postgresql':
        reason = ensure_postgresql()
        if reason is None:
            try:
                import psycopg2  # noqa: F401
            except ImportError:
                reason = 'psycopg2 is not installed'
    else:
        reason = ensure_mariadb()
        if reason is None:
            try:
                import pymysql  # noqa: F401
            except ImportError:
                reason = 'PyMySQL is not installed'
    return reason


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _die_with_parent():
    """Services get SIGKILL when the test process dies (Linux), so an
    interrupted run leaves no processes behind."""
    try:
        import ctypes
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# --- databases ------------------------------------------------------------------

def create_database(backend, name):
    if backend == 'postgresql':
        _run(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-q', '-c',
              'CREATE DATABASE %s' % name])
        return 'postgresql+psycopg2://postgres@127.0.0.1:%d/%s' % (
            PG_PORT, name)
    _run(['mysql', '-h', '127.0.0.1', '-uroot', '-e',
          'CREATE DATABASE %s CHARACTER SET utf8mb4' % name])
    return 'mysql+pymysql://root@127.0.0.1:%d/%s?charset=utf8mb4' % (
        MYSQL_PORT, name)


def drop_database(backend, name):
    if backend == 'postgresql':
        _run(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-q', '-c',
              'DROP DATABASE IF EXISTS %s WITH (FORCE)' % name],
             check=False)
    else:
        _run(['mysql', '-h', '127.0.0.1', '-uroot', '-e',
              'DROP DATABASE IF EXISTS %s' % name], check=False)


# --- the deployment ---------------------------------------------------------------

class Process:
    def __init__(self, name, services, extra_conf, log_path):
        self.name = name
        self.services = services
        self.extra_conf = extra_conf
        self.log_path = log_path
        self.popen = None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def alive(self):
        return self.popen is not None and self.popen.poll() is None


class Deployment:
    """One isolated production deployment (vhost + database + processes)."""

    def __init__(self, backend='postgresql', options=None, tmp=None,
                 db_url=None):
        """``db_url``: an empty database of the caller's (e.g. a private
        PostgreSQL) instead of a fresh one on the machine's server."""
        self.backend = backend
        self.run_id = 'mc_%s' % uuid.uuid4().hex[:10]
        self.tmp = tmp or tempfile.mkdtemp(prefix='mc_prod_')
        self.vhost = self.run_id
        self.db_name = self.run_id
        self.api_port = free_port()
        self.url = 'http://127.0.0.1:%d/v2' % self.api_port
        self.processes = {}
        self.options = options or {}
        self.http = requests.Session()
        self.db_url = db_url
        self._vhost_created = False
        self._db_created = False

    # --- set-up ---------------------------------------------------------------

    def create(self):
        with _broker_lock():
            _run(['rabbitmqctl', 'add_vhost', self.vhost])
            self._vhost_created = True
            _run(['rabbitmqctl', 'set_permissions', '-p', self.vhost,
                  'guest', '.*', '.*', '.*'])
        if self.db_url is None:
            self.db_url = create_database(self.backend, self.db_name)
            self._db_created = True
        self.conf_path = os.path.join(self.tmp, 'mistral_clone.conf')
        self.write_conf()
        out = _run([os.path.join(BIN_DIR, 'mistral-clone-db-manage'),
                    '--config-file', self.conf_path, 'upgrade', 'head'],
                   timeout=120)
        return out

    def conf_sections(self):
        sections = {
            'DEFAULT': {
                'transport_url': 'rabbit://guest:guest@127.0.0.1:%d/%s' % (
                    RABBIT_PORT, self.vhost),
                'rpc_response_timeout': '10',
                'debug': 'False',
            },
            'database': {'connection': self.db_url},
            'api': {'host': '127.0.0.1', 'port': str(self.api_port)},
            'scheduler': {'fixed_delay': '0.1', 'random_delay': '0.05',
                          'captured_job_timeout': '5'},
            'action_heartbeat': {'check_interval': '1',
                                 'max_missed_heartbeats': '4',
                                 'first_heartbeat_timeout': '5'},
            'oslo_messaging_rabbit': {
                'rabbit_retry_interval': '1',
                'rabbit_retry_backoff': '1',
                'rabbit_interval_max': '2',
                'kombu_reconnect_delay': '0.5',
            },
        }
        for (group, name), value in self.options.items():
            sections.setdefault(group, {})[name] = str(value)
        return sections

    def write_conf(self):
        lines = []
        for section, values in self.conf_sections().items():
            lines.append('[%s]' % section)
            for k, v in values.items():
                lines.append('%s = %s' % (k, v))
            lines.append('')
        with open(self.conf_path, 'w') as f:
            f.write('\n'.join(lines))

    # --- processes --------------------------------------------------------------

    def add(self, name, services, extra_conf=None):
        proc = Process(name, services, extra_conf or {},
                       os.path.join(self.tmp, '%s.log' % name))
        self.processes[name] = proc
        return proc

    def add_typical(self):
        """API, scheduler, engine-1 and -2, executors exec-1 and -2
        (named hosts)."""
        self.add('api', 'api')
        self.add('scheduler', 'scheduler')
        for name in ('engine-1', 'engine-2'):
            self.add(name, 'engine')
        for name in ('exec-1', 'exec-2'):
            self.add(name, 'executor', {('executor', 'host'): name})

    def start(self, name):
        proc = self.processes[name]
        args = [os.path.join(BIN_DIR, 'mistral-clone-server'),
                '--config-file', self.conf_path]
        extra = dict(proc.extra_conf)
        extra.setdefault(('DEFAULT', 'host'), name)
        extra.setdefault(('DEFAULT', 'log_file'), proc.log_path)
        path = os.path.join(self.tmp, '%s.conf' % name)
        sections = {}
        for (group, key), value in extra.items():
            sections.setdefault(group, {})[key] = value
        with open(path, 'w') as f:
            for section, values in sections.items():
                f.write('[%s]\n' % section)
                for k, v in values.items():
                    f.write('%s = %s\n' % (k, v))
        args += ['--config-file', path, '--server', proc.services]
        with open(proc.log_path + '.out', 'ab') as out:
            proc.popen = subprocess.Popen(args, stdout=out,
                                          stderr=subprocess.STDOUT,
                                          cwd=self.tmp,
                                          preexec_fn=_die_with_parent)
        return proc

    def start_all(self):
        for name in self.processes:
            self.start(name)
        if any('api' in p.services.split(',')
               for p in self.processes.values()):
            self.wait_api()

    def kill(self, name, sig=signal.SIGKILL):
        """Signal a process and wait until it and the worker processes it
        forked (API workers) are gone: a worker outliving a killed master
        still holds the listening socket for a moment and would answer
        for the next API process, which cannot bind the port yet."""
        proc = self.processes[name]
        if proc.alive():
            kids = children(proc.popen.pid)
            proc.popen.send_signal(sig)
            try:
                proc.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)
            # They leave by themselves (a worker notices its master's
            # death, or the master stops them): wait, never kill them, so
            # a test can still see one that stays.
            deadline = time.time() + 90
            while time.time() < deadline and any(map(_running, kids)):
                time.sleep(0.1)

    def stop_all(self, sig=signal.SIGTERM):
        for name in list(self.processes):
            proc = self.processes[name]
            if proc.alive():
                proc.popen.send_signal(sig)
        deadline = time.time() + 15
        for proc in self.processes.values():
            if proc.popen is None:
                continue
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)

    def wait_api(self, timeout=240):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.http.get(self.url + '/workflows',
                                 timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            for p in self.processes.values():
                if 'api' in p.services and p.popen and not p.alive():
                    raise RuntimeError('API process died:\n%s'
                                       % self.tail(p.name))
            time.sleep(0.2)
        raise RuntimeError('API did not come up')

    def tail(self, name, lines=40):
        proc = self.processes[name]
        out = []
        for path in (proc.log_path, proc.log_path + '.out'):
            try:
                with open(path, 'rb') as f:
                    text = f.read().decode('utf-8', 'replace').splitlines()
                out.extend(text[-lines:])
            except OSError:
                pass
        return '\n'.join(out)

    def logs(self, lines=40):
        return '\n'.join('==== %s ====\n%s' % (n, self.tail(n, lines))
                         for n in self.processes)

    def grep_logs(self, needle):
        found = []
        for proc in self.processes.values():
            for path in (proc.log_path, proc.log_path + '.out'):
                try:
                    with open(path, 'rb') as f:
                        for line in f.read().decode('utf-8',
                                                    'replace').splitlines():
                            if needle in line:
                                found.append('%s: %s' % (proc.name, line))
                except OSError:
                    pass
        return found

    # --- RabbitMQ -------------------------------------------------------------------

    @staticmethod
    def restart_rabbitmq(down_seconds=2.0):
        with _broker_lock():
            try:
                _run(['rabbitmqctl', 'stop_app'], timeout=120)
                time.sleep(down_seconds)
            finally:
                _run(['rabbitmqctl', 'start_app'], timeout=120)
                _run(['rabbitmqctl', 'await_startup', '--timeout', '60'],
                     timeout=90)

    # --- tear-down -------------------------------------------------------------------

    def destroy(self, keep_tmp=False):
        try:
            self.stop_all(signal.SIGKILL)
        finally:
            if self._vhost_created:
                _run(['rabbitmqctl', 'delete_vhost', self.vhost],
                     check=False)
            if self._db_created:
                drop_database(self.backend, self.db_name)
            if not keep_tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)

    # --- API helpers --------------------------------------------------------------

    def api(self, method, path, expected=(200, 201, 204), **kw):
        kw.setdefault('timeout', 60)
        r = self.http.request(method, self.url + path, **kw)
        if expected and r.status_code not in expected:
            raise AssertionError('%s %s -> %s %s' % (method, path,
                                                     r.status_code, r.text))
        return r.json() if r.content else None

    def create_workflows(self, text):
        return self.api('POST', '/workflows', data=text.encode('utf-8'),
                        headers={'Content-Type': 'text/plain'})

    def start_execution(self, wf_name, wf_input=None, **extra):
        body = {'workflow_name': wf_name, 'input': wf_input or {}}
        body.update(extra)
        return self.api('POST', '/executions', json=body)

    def execution_states(self):
        rows = self.api('GET', '/executions?limit=100000&fields=state')
        return [e['state'] for e in rows['executions']]
