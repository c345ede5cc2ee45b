"""Structured logs (lib/logs.py): the request id, the one line per request with the user and
the district, token-bearing paths blanked, the JSON form of a record, and a task's ids."""

import json
import logging
import re

import pytest
from django.urls import reverse

from lib.logs import ContextFilter, JsonFormatter, bind, unbind

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"[0-9a-f]{32}")


def request_lines(caplog):
    return [r for r in caplog.records if r.name == "konvergensi.request"]


def test_each_request_gets_an_id_returned_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="konvergensi.request")
    first = client.get("/ping/")
    second = client.get("/ping/")
    assert HEX_ID.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    (line, _) = request_lines(caplog)
    assert line.request_id == first["X-Request-ID"]
    assert (line.method, line.path, line.route, line.status) == ("GET", "/ping/", "ping/", 200)
    assert line.duration_ms >= 0
    assert line.user_id is None and line.district is None


def test_the_proxys_id_is_taken_only_behind_a_proxy_of_ours_and_only_when_plausible(
    client, settings
):
    given = "7f3a9c1e-52b4-4d8e-9a0b-6c2d1e0f4a3b"
    # nothing of ours in front: the client's header is not trusted
    settings.TRUSTED_PROXY_COUNT = 0
    assert client.get("/ping/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] != given
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/ping/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    for hostile in ("short", "a" * 129, "abc def ghi", "abcdefgh\nforged line", '"}{"x":1'):
        answer = client.get("/ping/", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"]
        assert HEX_ID.fullmatch(answer), hostile


def test_a_district_page_logs_its_user_and_district(client, world, caplog):
    side = world.a
    admin = side.users["district_admin"]
    client.force_login(admin)
    caplog.set_level(logging.INFO, logger="konvergensi.request")
    response = client.get(reverse("district_home", kwargs={"district_slug": side.district.slug}))
    assert response.status_code == 200
    (line,) = request_lines(caplog)
    assert (line.user_id, line.district) == (admin.pk, side.district.slug)
    assert line.path == f"/{side.district.slug}/"
    assert line.request_id == response["X-Request-ID"]


def test_a_token_in_the_url_is_not_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="konvergensi.request")
    token = "Zq8vN3kP0sXw2LmT7rYb5uJh"
    assert client.get(f"/verifikasi/{token}/").status_code == 404
    assert client.get(f"/undangan/{token}/").status_code == 404
    lines = request_lines(caplog)
    assert [line.path for line in lines] == ["/verifikasi/…/", "/undangan/…/"]
    assert [line.route for line in lines] == ["verifikasi/<str:token>/", "undangan/<str:token>/"]
    assert token not in caplog.text


def test_a_record_is_one_json_object_with_the_context_and_extras():
    record = logging.LogRecord(
        "documents.jobs", logging.WARNING, __file__, 1, "job %s: %s", ("j-1", "lambat"), None
    )
    record.created = 1767225600.25  # 2026-01-01 00:00:00.250 UTC
    token = bind(request_id="r" * 32, task_id="t-1", job_id="j-1")
    try:
        ContextFilter().filter(record)  # the console handler's filter (settings.LOGGING)
    finally:
        unbind(token)
    record.status = 200
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-01-01T00:00:00.250+00:00",
        "level": "WARNING",
        "logger": "documents.jobs",
        "message": "job j-1: lambat",
        "request_id": "r" * 32,
        "task_id": "t-1",
        "job_id": "j-1",
        "status": 200,
    }


def test_a_tasks_lines_carry_its_task_and_job_ids(world, caplog):
    # the signals of config/celery.py, as a worker runs the task (in-process here; the pdf
    # worker's lines in tests/ops/test_stack.py)
    from accounts.tenancy import district_scope
    from reports import services
    from tests.convergence.objects import year_for

    side = world.a
    year_for(side, 2026)
    caplog.set_level(logging.INFO)
    with district_scope(side.district):
        version = services.request_evaluation(side.district, 2026, by=side.users["district_admin"])
    job_id = str(version.job_id)
    (done,) = [
        r
        for r in caplog.records
        if r.name == "celery.app.trace" and "render_evaluation_pdf" in r.getMessage()
    ]
    assert (done.job_id, done.task) == (job_id, "reports.tasks.render_evaluation_pdf")
    assert done.task_id
    # and nothing of the task's context is left behind for the next lines
    logging.getLogger("tests.ops").info("after")
    (after,) = [r for r in caplog.records if r.name == "tests.ops"]
    from lib.logs import ContextFilter

    ContextFilter().filter(after)
    assert not hasattr(after, "job_id")
