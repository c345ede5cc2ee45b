"""/healthz (config/health.py) against the real database and Redis: which check fails when, the
answer a load balancer gets whatever Host header and scheme it uses, and what it costs.

The heartbeats are written here as the workers and beat write them (config/heartbeat.py),
with times chosen by the test; tests/ops/test_stack.py sees the real processes write them."""

import json
import time
import uuid

import pytest
import redis

from config import health, heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def beats(settings, redis_url):
    """The health keys of this test alone (their own prefix), one answer per request."""
    settings.REDIS_URL = redis_url
    settings.CACHE_KEY_PREFIX = f"health-test-{uuid.uuid4().hex}"
    settings.HEALTH_CACHE_SECONDS = 0
    heartbeat._client = None
    client = redis.Redis.from_url(redis_url)

    def write(name: str, seconds_ago: float):
        client.set(
            f"{settings.CACHE_KEY_PREFIX}:health:{name}",
            json.dumps({"at": time.time() - seconds_ago}),
        )

    yield write
    for key in client.scan_iter(f"{settings.CACHE_KEY_PREFIX}:*"):
        client.delete(key)
    client.close()
    heartbeat._client = None


def all_seen(write, seconds_ago=5):
    for name in ("worker:celery", "worker:pdf", "beat"):
        write(name, seconds_ago)


def test_healthy_when_every_process_was_seen_recently(client, beats):
    all_seen(beats)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {
        "database", "redis", "disk", "worker:celery", "worker:pdf", "beat"
    }  # fmt: skip
    assert 4 <= body["checks"]["worker:pdf"]["age_s"] <= 6
    assert response["Cache-Control"] == "no-store"


def test_a_queue_without_a_recent_worker_is_named(client, beats):
    all_seen(beats)
    beats("worker:pdf", health.WORKER_STALE + 1)  # the pdf worker stopped writing a minute ago
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failing"] == ["worker:pdf"]
    assert body["checks"]["worker:pdf"]["age_s"] >= 61


def test_beat_never_seen_and_a_stale_beat_fail(client, beats):
    beats("worker:celery", 1)
    beats("worker:pdf", 1)
    assert client.get("/healthz").json()["failing"] == ["beat"]
    beats("beat", health.BEAT_STALE + 5)
    assert client.get("/healthz").json()["failing"] == ["beat"]
    beats("beat", health.BEAT_STALE - 5)
    assert client.get("/healthz").status_code == 200


def test_redis_not_answering_fails_redis_and_what_is_read_from_it_quickly(client, beats, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    heartbeat._client = None
    started = time.monotonic()
    response = client.get("/healthz")
    took = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["beat", "redis", "worker:celery", "worker:pdf"]
    assert body["checks"]["redis"]["error"] == "ConnectionError"  # the class, not the text
    assert body["checks"]["database"]["ok"]
    assert took < 2, took


def test_little_free_disk_under_media_fails(client, beats, settings):
    all_seen(beats)
    settings.HEALTH_MIN_FREE_MB = 10**12  # a petabyte and more
    body = client.get("/healthz").json()
    assert body["failing"] == ["disk"]
    assert body["checks"]["disk"]["free_mb"] > 0


def test_without_redis_tasks_run_in_process_and_only_database_and_disk_count(client, settings):
    settings.REDIS_URL = ""  # make run
    settings.HEALTH_CACHE_SECONDS = 0
    response = client.get("/healthz")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "disk"}


def test_a_load_balancer_gets_the_answer_by_address_over_plain_http(client, beats, settings):
    # the HTTPS redirect and the host list are production's; the probe calls the node's
    # address over HTTP, and gets the health answer, not a redirect or a 400
    all_seen(beats)
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.go.id"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert client.head("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    # other pages keep both rules
    assert client.get("/ping/", HTTP_HOST="10.0.0.7").status_code == 400
    assert client.get("/ping/", HTTP_HOST="portal.example.go.id").status_code == 301


def test_the_answer_is_reused_for_a_moment(client, beats, settings):
    all_seen(beats)
    settings.HEALTH_CACHE_SECONDS = 60
    health._cached = None
    assert client.get("/healthz").status_code == 200
    beats("beat", health.BEAT_STALE + 5)
    assert client.get("/healthz").status_code == 200  # the answer of a moment ago
    health._cached = None
    assert client.get("/healthz").status_code == 503


def test_a_round_of_checks_costs_milliseconds(client, beats):
    # what a load balancer asking every few seconds costs each node (no answer reused)
    all_seen(beats)
    client.get("/healthz")
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        timings.append(time.perf_counter() - started)
    timings.sort()
    median_ms = timings[len(timings) // 2] * 1000
    print(f"/healthz in-process median {median_ms:.2f} ms")
    assert median_ms < 50, median_ms
