"""Real Celery worker processes for the job tests: started on the test's database, media folder
and broker, in a process group of their own so that a test can kill one the way the kernel
does (SIGKILL, nothing cleaned up). The `workers` fixture (tests/conftest.py) starts them and
stops them afterwards."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

# The workers' time limit (a job's claim lasts as long) and the broker's visibility timeout
# (after which Redis hands an unacknowledged message to another worker): small, so that a
# killed worker's job is taken over within seconds; the visibility timeout is the longer, as
# config/settings.py requires, so that the redelivered task finds the claim expired.
TIME_LIMIT = 8
VISIBILITY = 12


def wait_for(condition, what: str, *, timeout: float, workers=()):
    """Poll `condition()` until it returns something true; fail with the workers' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    logs = "\n".join(w.tail() for w in workers)
    raise AssertionError(f"{what} after {timeout} s\n{logs}")


def database_url_of_this_test() -> str:
    """The address of the database this test uses (pytest-django's "test_…" database)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = f"{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{host}/{quote(s['NAME'], safe='')}"


class WorkerProcess:
    """`celery -A config worker` in a process group of its own, on the test's database, media
    folder and broker, consuming both queues."""

    def __init__(
        self,
        name: str,
        *,
        broker: str,
        log_dir: Path,
        time_limit: int = TIME_LIMIT,
        visibility: int = VISIBILITY,
    ):
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of_this_test(),
            "REDIS_URL": broker,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SECRET_KEY": "the-job-tests-worker",
            "STATIC_MANIFEST": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_TIME_LIMIT": str(time_limit),
            "CELERY_VISIBILITY_TIMEOUT": str(visibility),
            "DB_CONN_MAX_AGE": "0",
        }
        self.log = log_dir / f"worker-{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    "pdf,celery",
                    "--pool=solo",
                    f"--hostname={name}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole
            )

    def kill(self):
        """Die as the kernel kills a worker: SIGKILL to the whole group, nothing cleaned up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.log.name}\n{text[-4000:]}"


def forget_unacknowledged(broker: str):
    """Messages that a worker killed in an earlier run left unacknowledged would come back to
    this test's workers; they belong to no job of this database."""
    client = redis.Redis.from_url(broker)
    client.delete("unacked", "unacked_index", "unacked_mutex")
    client.close()
