"""The production-like stack, started for real: `bin/stack` (what `make stack` runs) with its
Procfile under honcho, gunicorn and the Celery processes each in its own process, on this
test's PostgreSQL database and a private redis-server. A secretariat admin with an
authenticator logs in over HTTP, opens the board, asks for the annual evaluation's PDF, sees
the separate pdf worker render it, opens the public verification page, and /healthz shows
the workers and beat. Also: the Procfile's commands are docker-compose.yml's.

The processes read the database from outside this test's connection, so the test commits
(a transactional test, as tests/documents/test_jobs.py's worker tests)."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.tenancy import district_scope
from documents.models import Job
from reports.models import EvaluationVersion
from tests.commitments.test_signing import current_code
from tests.conftest import PASSWORD, need
from tests.convergence.objects import year_for
from tests.servers import PrivateRedis, free_port
from tests.workers import database_url_of_this_test, wait_for

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2026
PROCESSES = ("web", "worker", "worker-pdf", "beat")


def procfile() -> dict[str, str]:
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def _normalised(command: str) -> list[str]:
    """The words of a command, without the shell's `exec` and with the two values that differ
    by design (where gunicorn listens, where beat keeps its schedule file) blanked."""
    words = shlex.split(command)
    if "sh" in words[:1]:  # compose's web: `sh -c "migrate && exec gunicorn …"`
        words = shlex.split(words[2].split("&&")[-1])
    words = [w for w in words if w != "exec"]
    for option in ("--bind", "--schedule"):
        if option in words:
            words[words.index(option) + 1] = "…"
    return words


def test_the_procfile_runs_what_docker_compose_runs():
    with (ROOT / "docker-compose.yml").open() as fh:
        services = yaml.safe_load(fh)["services"]
    commands = procfile()
    assert set(commands) == set(PROCESSES)
    for name in PROCESSES:
        compose = services[name]["command"]
        if isinstance(compose, list):
            compose = shlex.join(compose)
        assert _normalised(commands[name]) == _normalised(" ".join(compose.split())), name
    # one beat, and each queue its worker (the compose file's own tests check it there)
    assert sum("beat" in c.split() for c in commands.values()) == 1
    assert "-Q celery" in commands["worker"] and "-Q pdf" in commands["worker-pdf"]
    # the stack listens on loopback only, whatever the port
    assert "--bind 127.0.0.1:" in commands["web"]


def test_the_stack_refuses_to_start_when_redis_does_not_answer_and_says_so(tmp_path):
    # nothing listens on port 1; the password in the address is not printed
    env = {
        **os.environ,
        "REDIS_URL": "redis://:hunter2-secret@127.0.0.1:1/0",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1/x",
        "SECRET_KEY": "the-stack-test-secret-key-not-for-production-use-0123456789",
    }
    if not env["DATABASE_URL"].startswith("postgres"):
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1/x"
    result = subprocess.run(
        [str(ROOT / "bin" / "stack")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    said = result.stderr
    assert "does not answer" in said and ("REDIS_URL" in said or "DATABASE_URL" in said), said
    assert "hunter2-secret" not in said
    assert "started (pid=" not in result.stdout + said  # nothing was started


class Stack:
    """`bin/stack` in a process group of its own, its output (honcho's, every process
    prefixed with its name) in a file."""

    def __init__(self, folder: Path, env: dict):
        self.log = folder / "stack.log"
        self.port = int(env["PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(ROOT / "bin" / "stack")],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def lines_of(self, process: str) -> list[dict]:
        """The JSON lines one process logged."""
        found = []
        for line in self.output().splitlines():
            head, _, rest = line.partition(" | ")
            if head.split()[-1:] == [f"{process}.1"] and rest.startswith("{"):
                found.append(json.loads(rest))
        return found

    def pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"started \(pid=(\d+)\)", self.output())]

    def stop(self) -> int | None:
        """SIGTERM to the group (honcho passes it to each process's own group and waits);
        whatever is left after 30 s is killed."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        left = []
        for pid in self.pids():
            try:
                os.killpg(pid, signal.SIGKILL)
                left.append(pid)
            except ProcessLookupError:
                pass
        return left

    def tail(self) -> str:
        return f"--- {self.log.name}\n{self.output()[-6000:]}"


def job_of(side, version) -> Job:
    with district_scope(side.district):
        return Job.objects.get(pk=version.job_id)


def _form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _log_in(http: requests.Session, base: str, user, secret: str) -> None:
    page = http.get(f"{base}/accounts/login/")
    response = http.post(
        f"{base}/accounts/login/",
        data={
            "csrfmiddlewaretoken": _form_token(page.text),
            "login": user.email,
            "password": PASSWORD,
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]
    # the admin has an authenticator: the second step asks for its code
    assert response.headers["Location"].endswith("/accounts/2fa/authenticate/")
    page = http.get(base + response.headers["Location"])
    response = http.post(
        page.url,
        data={"csrfmiddlewaretoken": _form_token(page.text), "code": current_code(secret)},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_stack_serves_a_journey_and_renders_in_its_pdf_worker(world, postgres, tmp_path):
    need(shutil.which("redis-server") is not None, "needs redis-server (apt-get install redis)")
    need(
        (ROOT / ".venv" / "bin" / "honcho").exists(),
        "needs honcho in .venv (`make install` installs the `stack` extra)",
    )
    side = world.a
    admin = side.users["district_admin"]
    year_for(side, YEAR)
    # the stack checks passwords with Django's default hashers, not the suite's MD5; few
    # iterations keep the login quick (upgraded on login, as an old hash would be)
    hasher = PBKDF2PasswordHasher()
    admin.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    admin.save(update_fields=["password"])
    # MFA is required of district admins (MFA_REQUIRED stays on, as in production)
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)

    broker = PrivateRedis(tmp_path)
    broker.start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": broker.url,
        "PORT": str(free_port()),
        "SECRET_KEY": "the-stack-test-secret-key-not-for-production-use-0123456789",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SEAL_DIR": str(tmp_path / "seal"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "BEAT_SCHEDULE": str(tmp_path / "celerybeat-schedule"),
        "HOME": str(tmp_path),  # gunicorn's control socket (~/.gunicorn) stays the test's
        "MFA_REQUIRED": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DB_CONN_MAX_AGE": "0",
    }
    for name in ("ALLOWED_HOSTS", "SITE_URL", "LOG_FORMAT", "DEBUG"):  # bin/stack's own
        env.pop(name, None)
    started = time.monotonic()
    stack = Stack(tmp_path, env)
    http = requests.Session()
    try:

        def healthy():
            try:
                # (a gunicorn worker loads Django on its first request: seconds on a busy CI)
                response = http.get(f"{stack.base}/healthz", timeout=10)
            except (requests.ConnectionError, requests.Timeout):
                assert stack.process.poll() is None, "the stack stopped"
                return None
            return response.status_code == 200 and response

        health = wait_for(healthy, "the stack did not become healthy", timeout=45, workers=[stack])
        ready = time.monotonic() - started
        checks = health.json()["checks"]
        assert {"database", "redis", "disk", "worker:celery", "worker:pdf", "beat"} <= set(checks)
        assert all(check["ok"] for check in checks.values()), checks

        _log_in(http, stack.base, admin, secret)
        slug = side.district.slug
        board = http.get(f"{stack.base}/{slug}/konvergensi/{YEAR}/")
        assert board.status_code == 200
        request_id = board.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)

        page = http.get(f"{stack.base}/{slug}/evaluasi/{YEAR}/")
        response = http.post(
            f"{stack.base}/{slug}/evaluasi/{YEAR}/buat/",
            data={"csrfmiddlewaretoken": _form_token(page.text)},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:2000]
        with district_scope(side.district):
            version = EvaluationVersion.objects.get(district=side.district, year=YEAR)
        job = wait_for(
            lambda: (row := job_of(side, version)).is_finished and row,
            "the pdf worker did not finish the evaluation's job",
            timeout=40,
            workers=[stack],
        )
        assert (job.status, job.attempts) == ("done", 1), job.message
        with district_scope(side.district):
            version = EvaluationVersion.objects.select_related("pdf").get(pk=version.pk)
        assert version.pdf is not None

        verification = requests.get(f"{stack.base}/verifikasi/{version.verify_token}/", timeout=30)
        assert verification.status_code == 200
        assert version.pdf.sha256 in verification.text

        health = http.get(f"{stack.base}/healthz").json()
        assert health["status"] == "ok"
        assert health["checks"]["worker:pdf"]["age_s"] < 60
        assert health["checks"]["beat"]["age_s"] < 120
    finally:
        left = stack.stop()
        broker.stop()
    took = time.monotonic() - started
    assert left == [], f"processes left after SIGTERM: {left}\n{stack.tail()}"
    assert stack.process.returncode is not None

    # the job ran in the pdf worker, not in the web process: its lines carry the job's id
    pdf_lines = [line for line in stack.lines_of("worker-pdf") if line.get("job_id")]
    assert {line["job_id"] for line in pdf_lines} == {str(job.pk)}, stack.tail()
    assert not [line for line in stack.lines_of("worker") if line.get("job_id")]
    # one JSON line per request, with its id, the user and the district
    (board_line,) = [
        line
        for line in stack.lines_of("web")
        if line.get("request_id") == request_id and line.get("logger") == "konvergensi.request"
    ]
    assert board_line["path"] == f"/{slug}/konvergensi/{YEAR}/"
    assert (board_line["method"], board_line["status"]) == ("GET", 200)
    assert (board_line["user_id"], board_line["district"]) == (admin.pk, slug)
    assert board_line["duration_ms"] > 0
    # gunicorn's own lines too (gunicorn.conf.py), and the workers' and beat's
    assert any(line["logger"] == "gunicorn.error" for line in stack.lines_of("web"))
    assert any(line["logger"] == "celery.beat" for line in stack.lines_of("beat"))
    # the verification link's token is not in the log
    assert version.verify_token not in stack.output()
    print(f"stack healthy after {ready:.1f} s, journey and stop {took:.1f} s")
