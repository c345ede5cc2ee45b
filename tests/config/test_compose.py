"""The production stack: docker-compose.yml and the Dockerfile, checked as data.

No Docker engine is needed (nor a database): the files are parsed and their structure asserted.
"""

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    with COMPOSE_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command_of(service: dict) -> str:
    command = service.get("command", "")
    if isinstance(command, list):
        command = shlex.join(str(part) for part in command)
    return " ".join(command.split())


def environment_of(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: (None if value is None else str(value)) for key, value in env.items()}


def mounts_of(service: dict) -> list[tuple[str, str]]:
    """(source, target) for every volume entry, short or long syntax."""
    mounts = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            mounts.append((entry.get("source", ""), entry["target"]))
        else:
            source, target = entry.split(":")[:2]
            mounts.append((source, target))
    return mounts


def named_volume_at(service: dict, compose: dict, target: str) -> str:
    declared = compose.get("volumes") or {}
    for source, mount_target in mounts_of(service):
        if mount_target == target:
            assert source in declared, f"{source!r} at {target} is not a top-level named volume"
            return source
    raise AssertionError(f"nothing mounted at {target}")


def test_stack_has_all_services(services):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_web_migrates_then_runs_gunicorn(services):
    command = command_of(services["web"])
    assert "gunicorn" in command
    assert "config.wsgi:application" in command
    assert "manage.py migrate --noinput" in command
    assert command.index("migrate") < command.index("gunicorn")


def test_worker_runs_celery_worker(services):
    command = command_of(services["worker"])
    assert "celery -A config worker" in command
    assert "--concurrency 2" in command
    assert "-Q celery" in command


def test_beat_runs_celery_beat(services):
    assert "celery -A config beat" in command_of(services["beat"])


def test_exactly_one_beat(services):
    beats = [name for name, svc in services.items() if re.search(r"\bbeat\b", command_of(svc))]
    assert beats == ["beat"]
    beat = services["beat"]
    assert (beat.get("deploy") or {}).get("replicas", 1) == 1
    assert beat.get("scale", 1) == 1


def test_app_services_share_database_and_redis(services):
    envs = [environment_of(services[name]) for name in APP_SERVICES]
    for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MEDIA_ROOT"):
        values = {env.get(key) for env in envs}
        assert len(values) == 1 and None not in values, f"{key} differs: {values}"

    database = urlsplit(envs[0]["DATABASE_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "postgres"
    assert database.port == 5432
    redis = urlsplit(envs[0]["REDIS_URL"])
    assert redis.scheme == "redis"
    assert redis.hostname == "redis"


def test_app_runs_in_production_mode(services):
    for name in APP_SERVICES:
        env = environment_of(services[name])
        assert env["DEBUG"].lower() == "false", name
        assert env["MFA_REQUIRED"].lower() == "true", name
        assert "SECRET_KEY:?" in env["SECRET_KEY"], "SECRET_KEY must be required, no default"
        assert services[name].get("restart") == "unless-stopped", name


def test_web_waits_for_healthy_postgres_and_redis(services):
    depends_on = services["web"]["depends_on"]
    assert isinstance(depends_on, dict), "depends_on needs the long form to carry conditions"
    for dependency in ("postgres", "redis"):
        assert depends_on[dependency]["condition"] == "service_healthy"


def test_postgres_and_redis_have_healthchecks(services):
    postgres_check = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in postgres_check
    redis_check = " ".join(services["redis"]["healthcheck"]["test"])
    assert "redis-cli" in redis_check and "ping" in redis_check
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_postgres_data_and_media_are_named_volumes(compose, services):
    named_volume_at(services["postgres"], compose, "/var/lib/postgresql/data")
    media_root = environment_of(services["web"])["MEDIA_ROOT"]
    media = {named_volume_at(services[name], compose, media_root) for name in ("web", "worker")}
    assert len(media) == 1, "web and worker must share one media volume"


def test_dockerfile_uses_supported_python_and_drops_root():
    assert DOCKERFILE.is_file()
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM\s+python:3\.1[23]\b", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "the image must switch to an unprivileged USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert "collectstatic --noinput" in text
    assert re.search(r"^EXPOSE\s+8000\b", text, re.MULTILINE)
    assert "config.wsgi:application" in text


def test_a_pdf_worker_consumes_the_pdf_queue_one_render_at_a_time(compose, services):
    """Rendering has its own queue (documents.jobs registers the PDF jobs on `pdf`): a worker
    that consumes it, one process, sharing the media volume where the PDFs are stored."""
    command = command_of(services["worker-pdf"])
    assert "celery -A config worker" in command
    assert "-Q pdf" in command and "--concurrency 1" in command
    media_root = environment_of(services["web"])["MEDIA_ROOT"]
    assert named_volume_at(services["worker-pdf"], compose, media_root) == named_volume_at(
        services["web"], compose, media_root
    )


def test_the_visibility_timeout_outlasts_the_task_time_limit(settings):
    """A killed worker's message comes back only after the visibility timeout; by then the
    job's claim (the task time limit) must have expired, or the redelivery finds it taken."""
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_TIME_LIMIT == 900 and visibility == 1200
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility
