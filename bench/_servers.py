"""Server targets for the benchmarks: an existing URL, our embedded server,
or our production topology (API + engines + executors + scheduler over
RabbitMQ and PostgreSQL, one ``mistral-clone-server --server X`` process
each).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from _client import Api, BenchError


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port



def _shown(path):
    """``path`` as recorded in results: relative to the working directory
    when below it, else the file name (results hold no machine's paths)."""
    rel = os.path.relpath(path)
    return os.path.basename(path) if rel.startswith('..') else rel

def find_bin(name, override=None):
    if override:
        return override
    cand = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(cand):
        return cand
    found = shutil.which(name)
    if not found:
        raise BenchError('%s not found (next to %s or on PATH); use '
                         '--server-bin' % (name, sys.executable))
    return found


def tail(path, n=30):
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return '\n'.join(lines[-n:])
    except OSError:
        return '(no log)'


# -- process memory ---------------------------------------------------------

def proc_status(pid):
    out = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                key, _, val = line.partition(':')
                if key in ('VmHWM', 'VmRSS', 'Name'):
                    out[key] = val.strip()
    except OSError:
        return None
    return out


def kb(value):
    return int(value.split()[0]) if value else 0


def descendants(pid):
    """All descendants of pid (scans /proc/*/stat: the per-thread
    ``children`` file misses children forked by other threads)."""
    parent = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces/parens.
        fields = stat[stat.rindex(')') + 2:].split()
        parent[int(entry)] = int(fields[1])
    result, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        result.extend(kids)
        frontier.extend(kids)
    return result


def cpu_seconds(pids):
    """utime+stime (+ reaped children's) of the pids, in seconds."""
    total = 0
    tck = os.sysconf('SC_CLK_TCK')
    for pid in pids:
        try:
            with open('/proc/%d/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])
    return total / float(tck)


class MemorySampler(object):
    """Samples the summed VmRSS of the pids every ``interval`` seconds and
    reads each process's VmHWM (kernel-tracked peak RSS) at the end."""

    def __init__(self, pids, include_children=False, interval=0.5):
        self.roots = list(pids)
        self.include_children = include_children
        self.interval = interval
        self.peak_sum_rss_kb = 0
        self.hwm_kb = {}
        self._stop = threading.Event()
        self._thread = None

    def pids(self):
        pids = list(self.roots)
        if self.include_children:
            for p in self.roots:
                pids.extend(descendants(p))
        return sorted(set(pids))

    def _sample(self):
        total = 0
        for pid in self.pids():
            st = proc_status(pid)
            if st is None:
                continue
            total += kb(st.get('VmRSS'))
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0),
                                   kb(st.get('VmHWM')))
        self.peak_sum_rss_kb = max(self.peak_sum_rss_kb, total)

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self):
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def peaks_by_name(self, names):
        """Each process's VmHWM so far in MB, keyed by ``names[pid]`` (a
        pid not in ``names`` by its number)."""
        self._sample()
        return {names.get(p, str(p)): round(v / 1024.0, 1)
                for p, v in sorted(self.hwm_kb.items())}

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._sample()
        return {
            'pids': sorted(self.hwm_kb),
            'vmhwm_mb_per_pid': {str(p): round(v / 1024.0, 1)
                                 for p, v in sorted(self.hwm_kb.items())},
            'vmhwm_mb_sum': round(sum(self.hwm_kb.values()) / 1024.0, 1),
            'peak_sampled_rss_mb_sum': round(self.peak_sum_rss_kb / 1024.0,
                                             1),
        }


# -- targets ----------------------------------------------------------------

def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return ''


def _comm(pid):
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return ''


class Target(object):
    url = None
    description = ''
    include_children = False

    def pids(self):
        return []

    def all_pids(self):
        pids = list(self.pids())
        if self.include_children:
            for p in list(pids):
                pids.extend(descendants(p))
        return sorted(set(pids))

    def pid_names(self):
        """``{pid: name}`` of the processes started (a started process's
        children as ``name.1``, ``name.2``... in pid order)."""
        names = {}
        for proc in getattr(self, 'procs', ()):
            pid = proc.popen.pid
            names[pid] = proc.name
            for n, child in enumerate(sorted(descendants(pid)), 1):
                names[child] = '%s.%d' % (proc.name, n)
        return names

    def start(self):
        pass

    def stop(self):
        pass

    def check_alive(self):
        pass

    def cpu_by_role(self):
        """``{role: pids}`` whose CPU time is reported per role (production:
        each service, the bench database's PostgreSQL backends, the
        RabbitMQ broker), or None."""
        return None


class UrlTarget(Target):
    def __init__(self, url, pids=(), include_children=False):
        self.url = url
        self._pids = list(pids)
        self.include_children = include_children
        self.description = 'url %s' % url

    def pids(self):
        return self._pids


class _Proc(object):
    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, 'wb')
        self.popen = subprocess.Popen(argv, stdout=self.log,
                                      stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env,
                                      start_new_session=True)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=15):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self.log.close()


class _LocalServers(Target):
    """Common part: temp dir, config file, processes, readiness wait."""

    def __init__(self, server_bin=None, keep=False, start_timeout=90,
                 extra_options=(), bytecode_cache=True, port=0):
        self.server_bin = find_bin('mistral-clone-server', server_bin)
        self.keep = keep
        self.start_timeout = start_timeout
        self.tmp = tempfile.mkdtemp(prefix='mistral-clone-bench-')
        if bytecode_cache:
            precompile(self.server_bin)
        self.port = port or free_port()
        self.url = 'http://127.0.0.1:%d/v2' % self.port
        self.procs = []
        self.failed = False
        self.extra_options = list(extra_options)

    def write_config(self, extra_default='', connection=None):
        path = os.path.join(self.tmp, 'bench.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\ndebug = False\n%s\n'
                    '[api]\nhost = 127.0.0.1\nport = %d\n\n'
                    '[database]\nconnection = %s\n\n'
                    '[pecan]\nauth_enable = False\n'
                    % (extra_default, self.port, connection))
            # --option SECTION.KEY=VALUE: later sections/keys win in oslo.
            for opt in self.extra_options:
                key, _, value = opt.partition('=')
                section, _, name = key.rpartition('.')
                if not section or not name:
                    raise BenchError('--option wants SECTION.KEY=VALUE, got %r'
                                     % opt)
                f.write('\n[%s]\n%s = %s\n' % (section, name, value))
        self.conf = path
        return path

    def spawn(self, name, server):
        argv = [self.server_bin, '--config-file', self.conf]
        if server:
            argv += ['--server', server]
        log = os.path.join(self.tmp, '%s.log' % name)
        self.procs.append(_Proc(name, argv, log))

    def wait_ready(self):
        api = Api(self.url, timeout=5)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if api.ping():
                return
            time.sleep(0.2)
        self.failed = True
        raise BenchError('server did not answer on %s within %d s; logs in '
                         '%s\n%s' % (self.url, self.start_timeout, self.tmp,
                                     self._log_tails()))

    def _log_tails(self):
        return '\n'.join('--- %s (%s) ---\n%s' % (p.name, p.log_path,
                                                   tail(p.log_path))
                         for p in self.procs)

    def check_alive(self):
        dead = [p for p in self.procs if not p.alive()]
        if dead:
            self.failed = True
            raise BenchError(
                'server process(es) exited: %s (logs in %s)\n%s'
                % (', '.join('%s rc=%s' % (p.name, p.popen.returncode)
                             for p in dead), self.tmp, self._log_tails()))

    def pids(self):
        return [p.popen.pid for p in self.procs]

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        if self.failed or self.keep:
            print('# server logs kept in %s' % self.tmp, file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


class EmbeddedTarget(_LocalServers):
    def start(self):
        db = os.path.join(self.tmp, 'bench.sqlite')
        self.write_config(connection='sqlite:///' + db)
        self.description = 'embedded (%s, sqlite %s)' % (
            _shown(self.server_bin), db)
        self.spawn('all', None)
        self.wait_ready()


def precompile(server_bin):
    """Compile the server's ``mistral_clone`` to ``.pyc``, as installed.

    An installed package has its ``.pyc`` files (pip writes them, whatever
    ``PYTHONDONTWRITEBYTECODE`` says); an editable install run with that
    variable set (this sandbox) has none of ours, so every process compiled
    all of ``mistral_clone`` from source at start and at its first
    expression (RSS of the compiler's transients and of the code objects
    it leaves in other arenas; ``bench/yaql_first.py``). Written into the
    package's own ``__pycache__`` dirs (git ignores them): a
    ``PYTHONPYCACHEPREFIX`` would hide the ``.pyc`` files of the standard
    library and site-packages, which would then be compiled from source.
    """
    with open(server_bin, 'rb') as f:
        first = f.readline().decode('utf-8', 'replace')
    interp = first[2:].strip() if first.startswith('#!') else sys.executable
    if not os.path.basename(interp.split()[0]).startswith('python'):
        # A wrapper script (e.g. /bin/sh putting another tree on
        # PYTHONPATH): its tree is not ours to find; compile it beforehand
        # (python -m compileall TREE) for a like-for-like comparison.
        print('# %s is not a Python script: mistral_clone not precompiled'
              % server_bin, file=sys.stderr)
        return
    _run([interp, '-c', 'import compileall, os, mistral_clone; '
          'compileall.compile_dir(os.path.dirname(mistral_clone.__file__), '
          'quiet=1)'], 'compiling mistral_clone')


def _run(argv, what, timeout=120, check=True):
    try:
        res = subprocess.run(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError('%s failed: %s' % (what, e))
    if check and res.returncode != 0:
        raise BenchError('%s failed (rc=%d): %s'
                         % (what, res.returncode,
                            res.stdout.decode('utf-8', 'replace')[-1500:]))
    return res.stdout.decode('utf-8', 'replace')


class ProductionTarget(_LocalServers):
    """API + N engines + N executors + scheduler, RabbitMQ + PostgreSQL."""

    def __init__(self, engines=2, executors=2, schedulers=1,
                 pg_url='postgresql+psycopg2://postgres@127.0.0.1:5432',
                 psql_argv=('psql', '-h', '127.0.0.1', '-U', 'postgres'),
                 rabbit='guest:guest@127.0.0.1:5672', **kw):
        super(ProductionTarget, self).__init__(**kw)
        self.engines = engines
        self.executors = executors
        self.schedulers = schedulers
        self.pg_url = pg_url
        self.psql = list(psql_argv)
        self.rabbit = rabbit
        self.name = 'mcbench_%d' % os.getpid()
        self.vhost_created = False
        self.db_created = False
        # The API process forks its workers ([api] api_workers, default
        # the number of CPUs): their CPU time and memory count too (a
        # live child's CPU time is in no figure of its parent's).
        self.include_children = True

    def start(self):
        if not shutil.which('rabbitmqctl'):
            raise BenchError('--start-production needs rabbitmqctl on PATH')
        _run(['rabbitmqctl', 'add_vhost', self.name], 'rabbitmqctl add_vhost')
        self.vhost_created = True
        _run(['rabbitmqctl', 'set_permissions', '-p', self.name, 'guest',
              '.*', '.*', '.*'], 'rabbitmqctl set_permissions')
        _run(self.psql + ['-qc', 'DROP DATABASE IF EXISTS %s' % self.name],
             'drop database')
        _run(self.psql + ['-qc', 'CREATE DATABASE %s' % self.name],
             'create database')
        self.db_created = True
        transport = 'transport_url = rabbit://%s/%s' % (self.rabbit,
                                                        self.name)
        self.write_config(extra_default=transport,
                          connection='%s/%s' % (self.pg_url, self.name))
        manage = find_bin('mistral-clone-db-manage')
        _run([manage, '--config-file', self.conf, 'upgrade', 'head'],
             'mistral-clone-db-manage upgrade head', timeout=300)
        self.description = ('production: api + %d engine + %d executor + %d '
                            'scheduler, rabbit vhost %s, postgres db %s'
                            % (self.engines, self.executors, self.schedulers,
                               self.name, self.name))
        self.spawn('api', 'api')
        for i in range(self.engines):
            self.spawn('engine%d' % i, 'engine')
        for i in range(self.executors):
            self.spawn('executor%d' % i, 'executor')
        for i in range(self.schedulers):
            self.spawn('scheduler%d' % i, 'scheduler')
        self.wait_ready()

    def cpu_by_role(self):
        roles = {}
        for p in self.procs:
            role = p.name.rstrip('0123456789')
            pid = p.popen.pid
            roles.setdefault(role, []).extend([pid] + descendants(pid))
        # PostgreSQL backends name their database in their title; the
        # broker is shared with whatever else uses it (a rough figure).
        marker = ' %s ' % self.name
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            pid = int(entry)
            comm = _comm(pid)
            if comm == 'beam.smp':
                roles.setdefault('rabbitmq (whole broker)', []).append(pid)
            elif comm.startswith('postgres') and marker in \
                    _cmdline(pid) + ' ':
                roles.setdefault('postgresql (bench db)', []).append(pid)
        return roles

    def stop(self):
        try:
            super(ProductionTarget, self).stop()
        finally:
            if self.db_created:
                _run(self.psql + ['-qc',
                                  'DROP DATABASE IF EXISTS %s' % self.name],
                     'drop database', check=False)
            if self.vhost_created:
                _run(['rabbitmqctl', 'delete_vhost', self.name],
                     'rabbitmqctl delete_vhost', check=False)
