"""Servers of a test's own, started on free ports and stopped (or killed) at will, so that a
test can take a service away the way an outage does without touching the machine's shared
PostgreSQL and Redis: a redis-server, a PostgreSQL cluster (initdb in a temporary folder) and
gunicorn serving the project with production settings."""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import redis

from tests.workers import ROOT, wait_for


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port, stopped and started again at will (the
    machine's Redis on 6379 is left alone). Nothing is kept on disk: a restarted server is
    empty."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(answers, "the private redis-server did not answer", timeout=10)
        client.close()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def freeze(self):
        """Hang as a server behind a broken network does: SIGSTOP; connections are accepted
        by the kernel and never answered. `kill()` ends it."""
        self.process.send_signal(signal.SIGSTOP)

    def kill(self):
        """Die as a crashed server does: SIGKILL, nothing saved, every connection cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.send_signal(signal.SIGCONT)
            self.process.wait(10)


def redis_is_down(url: str) -> bool:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except (redis.ConnectionError, redis.TimeoutError):
        return True
    return False


# --- PostgreSQL ----------------------------------------------------------------------------


def postgres_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), None without initdb."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)),
    )
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb into a temporary folder, trust
    authentication, listening on 127.0.0.1 only, on a free port), run as the `postgres` OS
    user when the test runs as root (PostgreSQL refuses to run as root). `remove()` stops it
    and deletes the folder."""

    def __init__(self, binaries: Path):
        import tempfile

        self.binaries = binaries
        # not under pytest's tmp_path, which only root may enter
        self.folder = Path(tempfile.mkdtemp(prefix="konvergensi-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.as_user = None
        if os.geteuid() == 0:
            import pwd

            self.as_user = pwd.getpwnam("postgres")

    def _run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.as_user is not None:
            kwargs = {"user": self.as_user.pw_uid, "group": self.as_user.pw_gid}
        return subprocess.run(  # noqa: S603 (the installed PostgreSQL's own tools)
            [str(self.binaries / command[0]), *command[1:]],
            check=True,
            capture_output=True,
            timeout=timeout,
            cwd=self.folder,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            **kwargs,
        )

    def init(self):
        if self.as_user is not None:
            os.chown(self.folder, self.as_user.pw_uid, self.as_user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._ctl = ("-D", str(self.data), "-l", str(self.log), "-o", options)

    def start(self):
        self._run("pg_ctl", "start", "-w", *self._ctl)

    def restart(self):
        """`pg_ctl restart -m fast`: every session is ended (the clients' connections are
        cut), then the server comes back on the same port."""
        self._run("pg_ctl", "restart", "-m", "fast", "-w", *self._ctl)

    def stop(self):
        try:
            self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
        except subprocess.CalledProcessError:
            pass  # not running

    def remove(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str):
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.log.name}\n{text[-3000:]}"


# --- gunicorn --------------------------------------------------------------------------------


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of the production settings (DEBUG off), minus what needs TLS or a proxy
    in front; as bench/load.py runs gunicorn."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "the-fault-tests-server-" + "x" * 30,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "STATIC_MANIFEST": "false",
        "MFA_REQUIRED": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **overrides,
    }


class Gunicorn:
    """`gunicorn config.wsgi` on a free loopback port, in a process group of its own."""

    def __init__(self, log_dir: Path, env: dict[str, str], *, workers: int = 2, threads: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"gunicorn-{self.port}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=" + ("gthread" if threads > 1 else "sync"),
            "--timeout=60",
            "--log-level=warning",
            "--access-logfile=-",
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        import requests

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited\n{self.tail()}")
            try:
                return requests.get(f"{self.url}/ping/", timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet, or still loading Django
                return False

        try:
            wait_for(answers, "gunicorn did not answer", timeout=40)
        except AssertionError as exc:
            self.stop()  # a fixture that fails here never reaches its own stop()
            raise AssertionError(f"{exc}\n{self.tail()}") from None

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def tail(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.log.name}\n{text[-4000:]}"


def log_in(base_url: str, email: str, password: str):
    """A requests session logged in through the login form (CSRF token and all); the
    response to the form's POST is kept as `.login_response`."""
    import requests

    session = requests.Session()
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.login_response = session.post(
        f"{base_url}/accounts/login/",
        data={"login": email, "password": password, "csrfmiddlewaretoken": token},
        timeout=30,
        allow_redirects=False,
    )
    return session


def csrf_of(session) -> str:
    return session.cookies["csrftoken"]


def need_redis_server():
    from tests.conftest import need

    need(shutil.which("redis-server") is not None, "needs redis-server (apt-get install redis)")
