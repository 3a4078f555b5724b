"""Worker processes of the multi-scheduler tests (one per process).

    python -m tests.integration.scheduler_worker cron DB_URL OUT CLOCK
        Loops ``process_cron_triggers`` with a movable clock read from the
        file CLOCK (an ISO datetime, re-read every pass); a recording engine
        client appends each start to OUT; after each pass the clock value
        it used is written to OUT.progress.
    python -m tests.integration.scheduler_worker jobs DB_URL OUT TIMEOUT MODE
        Runs a real ``Scheduler`` loop (captured_job_timeout=TIMEOUT) whose
        engine client records each job it is handed to OUT and, with MODE
        ``run``, deletes the job as the engine does; with ``hang`` it only
        records (a claimer that dies before finishing).
    python -m tests.integration.scheduler_worker full DB_URL
        A whole embedded stack (API, engine, executor, scheduler) on DB_URL.

Every mode runs until SIGTERM.
"""

import datetime
import json
import os
import signal
import sys
import threading
import time

_stop = threading.Event()


def _on_term(*_):
    _stop.set()


def _append(path, record):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + '\n').encode())
    finally:
        os.close(fd)


class RecordingEngineClient:
    def __init__(self, out):
        self.out = out

    def start_workflow(self, **kwargs):
        kwargs['pid'] = os.getpid()
        _append(self.out, kwargs)
        return 'recorded'


def run_cron(db_url, out, clock_file):
    from mistral_clone.db import api as db_api
    from mistral_clone.scheduler import cron
    db_api.setup(db_url, pool_size=2, max_overflow=2)
    client = RecordingEngineClient(out)
    while not _stop.is_set():
        try:
            with open(clock_file) as f:
                text = f.read().strip()
            now = datetime.datetime.fromisoformat(text)
        except (OSError, ValueError):
            time.sleep(0.01)
            continue
        cron.process_cron_triggers(client, now=now)
        with open(out + '.progress.tmp', 'w') as f:
            f.write(text)
        os.replace(out + '.progress.tmp', out + '.progress')
        time.sleep(0.005)


class RecordingJobClient:
    def __init__(self, out, delete):
        self.out = out
        self.delete = delete

    def run_job(self, job_id):
        import sqlalchemy as sa
        from mistral_clone.db import api as db_api
        from mistral_clone.db import models
        from mistral_clone.scheduler.service import LOG  # noqa
        now = models.utcnow()
        with db_api.session() as s:
            job = s.get(models.ScheduledJob, job_id)
            run_after = job.run_after.isoformat() if job else None
        if self.delete:
            with db_api.transaction() as s:
                deleted = s.execute(sa.delete(models.ScheduledJob).where(
                    models.ScheduledJob.id == job_id)).rowcount
        else:
            deleted = 0
        _append(self.out, {'job': job_id, 'pid': os.getpid(),
                           'at': now.isoformat(), 'run_after': run_after,
                           'deleted': deleted,
                           'took': (models.utcnow() - now).total_seconds()})


def run_jobs(db_url, out, timeout, mode):
    from mistral_clone.db import api as db_api
    from mistral_clone.scheduler.service import Scheduler
    db_api.setup(db_url, pool_size=2, max_overflow=2)
    scheduler = Scheduler(RecordingJobClient(out, mode == 'run'),
                          fixed_delay=0.05, random_delay=0.02,
                          captured_job_timeout=int(timeout))
    scheduler.run_once()  # warm up (mappers, connections) before "ready"
    scheduler.start()
    with open(out + '.ready', 'w') as f:
        f.write('ready')
    _stop.wait()
    scheduler.stop()


def run_full(db_url):
    from mistral_clone import config
    from mistral_clone import launcher
    conf = config.CONF
    conf([], project='mistral_clone')
    conf.set_override('connection', db_url, group='database')
    conf.set_override('fixed_delay', 0.05, group='scheduler')
    conf.set_override('random_delay', 0.02, group='scheduler')
    launcher.setup_database(conf, upgrade=False)
    launched = launcher.launch(launcher.COMPONENTS, conf, api_port=0,
                               api_host='127.0.0.1')
    _stop.wait()
    launched.stop()


def main(argv):
    signal.signal(signal.SIGTERM, _on_term)
    mode = argv[0]
    if mode == 'cron':
        run_cron(*argv[1:4])
    elif mode == 'jobs':
        run_jobs(*argv[1:5])
    elif mode == 'full':
        run_full(argv[1])
    else:
        raise SystemExit('unknown mode %s' % mode)


if __name__ == '__main__':
    main(sys.argv[1:])
