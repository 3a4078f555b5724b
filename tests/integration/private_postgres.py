"""A PostgreSQL server of a test's own: ``initdb`` + ``pg_ctl`` on a
temporary data directory and a free port, so a test may stop and restart
it (the machine's shared server is never touched).

PostgreSQL refuses to run as root: when the tests run as root (CI), the
server runs as the ``postgres`` system user (``runuser``), which then owns
the temporary directory. :func:`unavailable_reason` says why it cannot be
used here, for skips.
"""

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time

from tests.integration import production_env as pe

SERVER_USER = 'postgres'


def _version_key(path):
    return [int(n) for n in re.findall(r'\d+', path)] or [0]


def find_bindir():
    """The directory of ``initdb`` and ``pg_ctl`` (PATH, ``pg_config
    --bindir``, else the newest Debian-style installation)."""
    found = shutil.which('initdb')
    if found:
        return os.path.dirname(os.path.realpath(found))
    pg_config = shutil.which('pg_config')
    if pg_config:
        try:
            bindir = subprocess.run(
                [pg_config, '--bindir'], stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, timeout=10, check=True
            ).stdout.decode().strip()
            if os.path.exists(os.path.join(bindir, 'initdb')):
                return bindir
        except (OSError, subprocess.SubprocessError):
            pass
    candidates = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'),
                        key=_version_key)
    return os.path.dirname(candidates[-1]) if candidates else None


def _server_user():
    """``(prefix of commands, uid, gid)``: as ourselves, or as the
    ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        pw = pwd.getpwnam(SERVER_USER)
    except KeyError:
        return None, None, None
    runuser = shutil.which('runuser')
    if not runuser:
        return None, None, None
    return [runuser, '-u', SERVER_USER, '--'], pw.pw_uid, pw.pw_gid


def unavailable_reason():
    if find_bindir() is None:
        return 'PostgreSQL server binaries (initdb) are not installed'
    prefix, _, _ = _server_user()
    if prefix is None:
        return ('running as root without a %r user and runuser to run '
                'PostgreSQL as' % SERVER_USER)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return 'psycopg2 is not installed'
    return None


class PrivatePostgres:
    """``start()``, ``url(db)``, ``create_database(name)``,
    ``restart()``, ``destroy()``."""

    def __init__(self):
        self.bindir = find_bindir()
        self.prefix, uid, gid = _server_user()
        self.tmp = tempfile.mkdtemp(prefix='mc_pg_')
        if uid is not None:
            os.chown(self.tmp, uid, gid)
        self.data = os.path.join(self.tmp, 'data')
        self.log = os.path.join(self.tmp, 'postgres.log')
        self.port = pe.free_port()
        self._run('initdb', '-D', self.data, '-U', 'postgres', '-A', 'trust',
                  '-E', 'UTF8', '--no-sync', timeout=120)

    def _run(self, tool, *args, timeout=60):
        return pe._run(self.prefix + [os.path.join(self.bindir, tool)]
                       + list(args), timeout=timeout, cwd=self.tmp)

    def start(self):
        # fsync off: a test server, never a machine crash to survive (a
        # crash of the server keeps every commit: the WAL is written to the
        # kernel at commit; synchronous_commit must stay on for that).
        options = ('-p %d -c listen_addresses=127.0.0.1 '
                   '-c unix_socket_directories=%s -c max_connections=300 '
                   '-c fsync=off' % (self.port, self.tmp))
        self._run('pg_ctl', '-D', self.data, '-l', self.log, '-w', '-t',
                  '90', '-o', options, 'start', timeout=120)

    def stop(self, mode='fast'):
        """``mode``: fast (clean) or immediate (as a crash: recovery from
        the WAL at the next start)."""
        self._run('pg_ctl', '-D', self.data, '-w', '-t', '60', '-m', mode,
                  'stop', timeout=90)

    def running(self):
        return os.path.exists(os.path.join(self.data, 'postmaster.pid'))

    def restart(self, down_seconds=2.0, mode='immediate'):
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def create_database(self, name):
        self._run('createdb', '-h', '127.0.0.1', '-p', str(self.port), '-U',
                  'postgres', name)
        return self.url(name)

    def url(self, name):
        return 'postgresql+psycopg2://postgres@127.0.0.1:%d/%s' % (
            self.port, name)

    def destroy(self):
        try:
            if self.running():
                self.stop('immediate')
        except Exception:
            pass
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
