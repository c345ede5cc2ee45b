"""Background jobs (documents.jobs): the claim, a worker killed in the middle of a job, the broker
down at the moment of the request, and the status fragment that the pages poll.

The worker tests start separate `celery -A config worker` processes on the test database, so
that a worker can die the way the kernel kills one: SIGKILL, nothing cleaned up, its message
left unacknowledged in Redis."""

import hashlib
import re
import shutil
import time
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import district_scope
from commitments import services
from commitments.models import CommitmentDocument, Signature, SignatureEvent
from documents import jobs
from documents.models import GeneratedDocument, Job
from tests.commitments.factories import add_people, make_document
from tests.commitments.objects import render_job_of
from tests.concurrency import race
from tests.conftest import need, tasks_sent_to
from tests.convergence.objects import PDF
from tests.servers import PrivateRedis
from tests.servers import redis_is_down as is_down
from tests.workers import VISIBILITY, forget_unacknowledged, wait_for
from villages.models import Province, RegionImport, Village

# Over commitments.services.INLINE_RENDER_LIMIT (30): the final PDF is rendered by the pdf
# worker, not in the request; and enough signature blocks that rendering takes long enough
# to be killed half-way.
SIGNATORIES = 60

# A region list for the national import (one province, district, kecamatan and village).
REGIONS = (
    b"kode,nama\n11,Aceh\n11.01,Kabupaten Aceh Selatan\n11.01.01,Bakongan\n"
    b"11.01.01.2001,Keude Bakongan\n"
)
# what the page says of a job that the broker has not received yet (documents/job_status.html)
WAITS_FOR_QUEUE = "Antrean tugas sedang tidak tersedia"


def paper():
    return SimpleUploadedFile("lembar.pdf", PDF)


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


# --- the claim ---------------------------------------------------------------------------------


def regions_district():
    """Sumedang, from the `regions` fixture's list."""
    from villages.models import District

    return District.objects.get(code="32.11")


def queued_job(district) -> Job:
    with district_scope(district):
        return Job.objects.create(kind="commitment_pdf", district=district, payload={})


def claimed(district, job_id, **kwargs):
    with district_scope(district):
        return jobs.claim(job_id, **kwargs)


def set_job(job: Job, **fields) -> None:
    """Put a job in a state the test needs (the clock moved on, a worker failed)."""
    with district_scope(job.district):
        Job.objects.filter(pk=job.pk).update(**fields)


def job_row(job: Job) -> Job:
    with district_scope(job.district):
        return Job.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_of_two_claims_of_a_queued_job_one_wins(regions):
    # pins: the claim is a conditional update; a job is worked on by one attempt at a time
    district = regions_district()
    job = queued_job(district)

    first = claimed(district, job.pk)
    second = claimed(district, job.pk)

    assert first is not None and first.attempt == 1
    assert second is None
    job = job_row(job)
    assert (job.status, job.attempts) == ("running", 1)
    assert job.started_at is not None
    assert job.claimed_until > timezone.now()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_connections_claiming_at_the_same_moment_one_wins(regions, postgres):
    # pins: the claim holds between two real database connections at the same moment (two
    # workers given the same message): the second waits on the row lock, then finds the job
    # taken and gets nothing
    district = regions_district()
    job = queued_job(district)

    first, second = race(lambda: claimed(district, job.pk), lambda: claimed(district, job.pk))

    assert isinstance(first, jobs.Running), first
    assert second is None, second
    assert job_row(job).attempts == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_finished_job_is_not_claimable(regions, status):
    # pins: a redelivered message of a finished job does nothing (only the page's retry
    # queues a failed job again)
    district = regions_district()
    job = queued_job(district)
    claimed(district, job.pk)
    set_job(job, status=status, finished_at=timezone.now())

    assert claimed(district, job.pk) is None
    assert job_row(job).attempts == 1


@pytest.mark.django_db
def test_an_expired_claim_is_claimable_again_and_the_old_attempt_cannot_finish(regions):
    # pins: a worker that was killed (or a request that timed out) leaves its job claimable
    # once the claim has expired; the attempt presumed dead that wakes up later can neither
    # report progress nor finish nor fail the job
    district = regions_district()
    job = queued_job(district)
    old = claimed(district, job.pk)
    assert claimed(district, job.pk) is None  # within its time limit the claim holds

    # the time limit passes
    set_job(job, claimed_until=timezone.now() - timedelta(seconds=1))
    new = claimed(district, job.pk)

    assert new is not None and new.attempt == 2
    with district_scope(district):
        old.progress(50, "masih hidup")
        assert old.finish(message="selesai lama") is False
        old.fail("gagal lama")
        assert job_row(job).status == "running"
        assert job_row(job).message == ""
        assert new.finish(message="selesai") is True
    job = job_row(job)
    assert (job.status, job.attempts, job.progress, job.message) == ("done", 2, 100, "selesai")


# --- real worker processes ---------------------------------------------------------------------


def signed_but_last(side, count: int):
    """A district document with `count` signatories without an account, open for signing,
    every one signed on paper but the last."""
    admin = side.users["district_admin"]
    with district_scope(side.district):
        document = make_document(side)
        *first, last = add_people(document, side, paper=count)
        services.open_signing(document, by=admin)
        for signatory in first:
            services.sign_on_paper(document, signatory=signatory, upload=paper(), by=admin)
    return document, last


def finished_output(document: CommitmentDocument):
    """(the document, its current version, the PDFs stored, the chain's finalised events):
    what rendering the final PDF leaves behind."""
    with district_scope(document.district):
        document = CommitmentDocument.objects.get(pk=document.pk)
        version = document.current_version
        # every PDF stored in the district (this test's world has no other)
        stored = list(GeneratedDocument.objects.filter(district=document.district))
        finalised = SignatureEvent.objects.filter(document=document, kind="finalised").count()
    return document, version, stored, finalised


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_leaves_it_to_the_next_worker_which_finishes_it_once(
    world, postgres, celery_broker, redis_url, workers
):
    # pins: a final PDF whose worker process dies (SIGKILL, as the kernel's OOM killer does)
    # does not stay "rendering" forever: Redis hands the unacknowledged message (acks late)
    # to the next worker after the visibility timeout, by which time the dead worker's claim
    # (the task's time limit) has expired; the next worker claims it and renders exactly one
    # PDF. Before documents.jobs the redelivered task found the job "rendering" and did nothing.
    side = world.a
    forget_unacknowledged(redis_url)
    document, last = signed_but_last(side, SIGNATORIES)
    with district_scope(side.district):
        # the last signature queues the job on the pdf queue (more than 30 signatories)
        services.sign_on_paper(
            document, signatory=last, upload=paper(), by=side.users["district_admin"]
        )
        version = CommitmentDocument.objects.get(pk=document.pk).current_version
        job = render_job_of(version)
    assert (job.status, job.attempts) == ("queued", 0)
    assert job.sent_at is not None  # Redis answered: the message is in the pdf queue

    first = workers("first", broker=redis_url)
    running = wait_for(
        lambda: (row := job_row(job)).status != "queued" and row,
        "the first worker did not start the job",
        timeout=60,
        workers=[first],
    )
    first.kill()  # in the middle of rendering

    job = job_row(job)
    _document, _version, stored, finalised = finished_output(document)
    assert (running.status, job.status, job.attempts) == ("running", "running", 1), (
        "the render finished before the worker was killed: give it more signatories"
    )
    assert stored == [] and finalised == 0

    # Redis hands the message over again once its visibility timeout has passed since the
    # first worker received it. A worker looks for such messages when it starts, and then
    # only every 100 s (kombu's redis transport: unacked_restore_interval × throttle), so the
    # second worker starts once the message is visible again
    visible_again = running.started_at + timedelta(seconds=VISIBILITY + 1)
    time.sleep(max(0.0, (visible_again - timezone.now()).total_seconds()))
    second = workers("second", broker=redis_url)
    job = wait_for(
        lambda: (row := job_row(job)).is_finished and row,
        "the second worker did not finish the job",
        timeout=60,
        workers=[first, second],
    )

    assert (job.status, job.attempts, job.progress) == ("done", 2, 100), job.message
    document, version, stored, finalised = finished_output(document)
    assert document.status == "signed"
    assert len(stored) == 1 and version.final_id == stored[0].pk
    with stored[0].file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    assert stored[0].sha256 == hashlib.sha256(data).hexdigest()
    assert stored[0].size == len(data)
    assert finalised == 1


# --- the broker down at the moment of the request ---------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    need(shutil.which("redis-server") is not None, "needs redis-server (apt-get install redis)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_region_import_requested_while_redis_is_down_runs_once_when_it_is_back(
    client, world, postgres, private_redis, workers
):
    # pins: the request that creates a job never fails because the broker is down (the upload
    # answered 500 before, and its import stayed "queued" forever); the job waits, unsent, the
    # page says it will run when the queue is back, and the sweep hands it over once Redis
    # answers; the list is imported exactly once
    with tasks_sent_to(private_redis.url, results=False):  # as in production
        private_redis.stop()
        assert is_down(private_redis.url)
        client.force_login(world.national_admin)
        asked = time.monotonic()
        response = client.post(
            "/nasional/wilayah/",
            {"file": SimpleUploadedFile("wilayah.csv", REGIONS), "partial": "on"},
        )
        # answered, and promptly: the handover gives up after one retry
        assert response.status_code == 302, response.status_code
        assert time.monotonic() - asked < 10
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert WAITS_FOR_QUEUE in page.content.decode()

        region_import = RegionImport.objects.select_related("job").get()
        job = region_import.job
        assert (job.status, job.sent_at, job.attempts) == ("queued", None, 0)
        assert not Province.objects.filter(code="11").exists()

        private_redis.start()  # Redis is back (empty: nothing was ever sent)
        assert jobs.sweep() == 1  # the beat task's work, run here
        assert jobs.sweep() == 0  # handed over once: the next sweep leaves it alone
        job.refresh_from_db()
        assert job.status == "queued" and job.sent_at is not None

        worker = workers("after-outage", broker=private_redis.url)
        job = wait_for(
            lambda: (row := Job.national.get(pk=job.pk)).is_finished and row,
            "the worker did not finish the import",
            timeout=60,
            workers=[worker],
        )

    assert (job.status, job.attempts) == ("done", 1), job.message
    assert Province.objects.filter(code="11").count() == 1
    assert Village.objects.filter(code="11.01.01.2001").count() == 1
    assert AuditEvent.everything.filter(action="regions_imported").count() == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_last_signature_given_while_redis_is_down_is_kept_and_rendered_once_later(
    client, world, postgres, private_redis, workers
):
    # pins: the last paper signature of a large document, given while Redis is down, is saved
    # and answered (it answered 500 before, and the document stayed "rendering" forever); the
    # document page says the PDF will be made when the queue is back; after the sweep a worker
    # renders exactly one final PDF
    side = world.a
    document, last = signed_but_last(side, services.INLINE_RENDER_LIMIT + 1)
    with tasks_sent_to(private_redis.url, results=False):  # as in production
        private_redis.stop()
        client.force_login(side.users["district_admin"])
        response = client.post(
            url("signature_paper", side, document_id=document.pk, signatory_id=last.pk),
            {"page": paper()},
        )
        assert response.status_code == 302, response.status_code
        page = client.get(url("commitment_detail", side, document_id=document.pk))
        assert page.status_code == 200
        assert WAITS_FOR_QUEUE in page.content.decode()

        with district_scope(side.district):
            assert Signature.objects.filter(signatory=last).count() == 1
            job = render_job_of(CommitmentDocument.objects.get(pk=document.pk).current_version)
        assert (job.status, job.sent_at, job.attempts) == ("queued", None, 0)

        private_redis.start()
        assert jobs.sweep() == 1
        worker = workers("after-outage", broker=private_redis.url)
        job = wait_for(
            lambda: (row := job_row(job)).is_finished and row,
            "the worker did not render the PDF",
            timeout=90,
            workers=[worker],
        )

    assert (job.status, job.attempts) == ("done", 1), job.message
    document, version, stored, finalised = finished_output(document)
    assert document.status == "signed"
    assert len(stored) == 1 and version.final_id == stored[0].pk
    assert finalised == 1


# --- the status fragment and the retry ---------------------------------------------------------


def rendering_document(side):
    """A small document whose last signature is in: its final PDF job exists, queued (the
    render would run after the request's commit, which a test's transaction never reaches)."""
    admin = side.users["district_admin"]
    with district_scope(side.district):
        document = make_document(side)
        (only,) = add_people(document, side, paper=1)
        services.open_signing(document, by=admin)
        services.sign_on_paper(document, signatory=only, upload=paper(), by=admin)
        job = render_job_of(document.current_version)
    assert job.status == "queued"
    return document, job


def status_url(side, job):
    return url("job_status", side, job_id=job.pk)


def retry_url(side, job):
    return url("job_retry", side, job_id=job.pk)


HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
def test_the_status_fragment_polls_until_the_job_is_finished(client, world):
    # pins: any district user reads the fragment; while the job runs it polls itself (hx-get,
    # every 2 s) and asks for no reload; once finished it stops polling and, asked by htmx,
    # tells the page to reload (HX-Refresh) so that the page shows the result
    side = world.a
    _document, job = rendering_document(side)
    client.force_login(side.users["village_head"])

    response = client.get(status_url(side, job), **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="job-{job.pk}"' in html
    assert f'hx-get="{status_url(side, job)}"' in html and 'hx-trigger="every 2s"' in html
    assert "HX-Refresh" not in response

    set_job(job, status="done", progress=100)
    response = client.get(status_url(side, job), **HX)
    assert response["HX-Refresh"] == "true"
    assert "hx-get" not in response.content.decode()
    # a plain request (no htmx: the noscript reader reloading) gets the fragment only
    assert "HX-Refresh" not in client.get(status_url(side, job))


@pytest.mark.django_db
def test_the_fragment_and_its_page_have_no_inline_script(client, world):
    # pins: the polling is htmx attributes only, htmx is served from static/ (vendored, no
    # CDN), and the CSP stays "script-src 'self'" with no inline script or handler
    side = world.a
    document, job = rendering_document(side)
    client.force_login(side.users["district_admin"])

    fragment = client.get(status_url(side, job), **HX).content.decode()
    page = client.get(url("commitment_detail", side, document_id=document.pk))
    html = page.content.decode()

    assert f'id="job-{job.pk}"' in html  # the page includes the fragment
    for text in (fragment, html):
        assert not re.search(r"\son[a-z]+=", text)  # no inline event handler
        assert "hx-on" not in text and "javascript:" not in text
    assert "<script" not in fragment
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the page polling a job loads htmx"
    for tag in scripts:
        assert re.search(r'src="/static/js/[^"]+"', tag), tag  # our static files only
    assert '<script src="/static/js/htmx.min.js" defer>' in html
    assert finders.find("js/htmx.min.js")
    assert "allowEval" in html and '"allowEval": false' in html
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.django_db
def test_another_districts_job_is_not_found(client, world):
    # pins: a job is looked up within the district of the URL: another district's job is a
    # 404 (the same answer as a job that does not exist), for reading and for the retry
    _document, job_b = rendering_document(world.b)
    client.force_login(world.a.users["district_admin"])

    assert client.get(status_url(world.a, job_b)).status_code == 404
    assert client.post(retry_url(world.a, job_b)).status_code == 404
    # the district of the job itself is not open to a user of A either
    assert client.get(status_url(world.b, job_b)).status_code == 404


@pytest.mark.django_db
def test_the_retry_renders_a_failed_job(client, world):
    # pins: the secretariat's retry queues a failed job again and hands it over (in-process
    # here, as `make run` does); the PDF is rendered once and the page is shown again
    side = world.a
    document, job = rendering_document(side)
    set_job(job, status="failed", message="WeasyPrint kehabisan memori", finished_at=timezone.now())
    client.force_login(side.users["district_admin"])
    detail = url("commitment_detail", side, document_id=document.pk)

    fragment = client.get(status_url(side, job)).content.decode()
    assert "WeasyPrint kehabisan memori" in fragment and retry_url(side, job) in fragment

    response = client.post(retry_url(side, job), {"next": detail})

    assert response.status_code == 302 and response["Location"] == detail
    job = job_row(job)
    assert (job.status, job.progress, job.attempts) == ("done", 100, 1)
    document, version, stored, finalised = finished_output(document)
    assert document.status == "signed"
    assert len(stored) == 1 and version.final_id == stored[0].pk
    assert finalised == 1


@pytest.mark.django_db
def test_the_retry_hands_over_a_job_that_never_reached_the_broker(client, world):
    # pins: a job that was never handed to the broker (Redis was down) is shown as waiting for
    # the queue, with a button to send it again; the retry hands it over and it runs once
    side = world.a
    document, job = rendering_document(side)
    set_job(job, sent_at=None)  # the broker did not answer
    client.force_login(side.users["district_admin"])

    fragment = client.get(status_url(side, job)).content.decode()
    assert WAITS_FOR_QUEUE in fragment and retry_url(side, job) in fragment

    response = client.post(retry_url(side, job))

    assert response.status_code == 302
    job = job_row(job)
    assert (job.status, job.attempts) == ("done", 1)
    assert job.sent_at is not None
    _document, _version, stored, _finalised = finished_output(document)
    assert len(stored) == 1


@pytest.mark.django_db
def test_only_the_secretariat_retries(client, world):
    # pins: the retry is the district admin's (policy "jobs.retry"): any other role gets 403
    # and the job is left as it was; nor does the fragment offer it or show the failure's
    # details to a user who did not ask for the job
    side = world.a
    _document, job = rendering_document(side)
    set_job(job, status="failed", message="rincian teknis")
    for role in ("camat", "opd_staff", "executive", "village_head", "kpm"):
        client.force_login(side.users[role])
        assert client.post(retry_url(side, job)).status_code == 403, role
        fragment = client.get(status_url(side, job)).content.decode()
        assert retry_url(side, job) not in fragment and "rincian teknis" not in fragment, role
    job = job_row(job)
    assert (job.status, job.attempts) == ("failed", 0)


# --- what the review after the work found ------------------------------------------------------


@pytest.mark.django_db
def test_a_job_left_running_without_a_claim_is_claimable(regions):
    # pins: a job migrated as "running" from the old render rows has no claim at all; it is
    # claimable like an expired one (it stayed stuck: the sweep and the retry skipped it)
    district = regions_district()
    job = queued_job(district)
    set_job(job, status="running", claimed_until=None, attempts=1, sent_at=timezone.now())

    with district_scope(district):
        assert list(Job.objects.waiting_for_broker(timezone.now())) == [job]
    running = claimed(district, job.pk)
    assert running is not None and running.attempt == 2


@pytest.mark.django_db
def test_the_sweep_hands_over_the_oldest_first_and_leaves_a_backlog_alone(regions, settings):
    # pins: jobs that waited for the broker run in the order they were asked for (a focus list
    # confirmed later must be applied later); a job handed over a minute ago and waiting behind
    # others in the queue is not sent twice; a job whose worker is gone is sent once more, not
    # at every sweep
    district = regions_district()
    now = timezone.now()
    newer, older, backlog, gone = (queued_job(district) for _ in range(4))
    set_job(newer, created_at=now - timedelta(minutes=1), sent_at=None)
    set_job(older, created_at=now - timedelta(minutes=5), sent_at=None)
    set_job(backlog, created_at=now - timedelta(minutes=9), sent_at=now - timedelta(minutes=1))
    set_job(
        gone,
        created_at=now - timedelta(minutes=30),
        status="running",
        sent_at=now - timedelta(minutes=30),
        claimed_until=now - timedelta(minutes=10),
    )
    settings.JOB_HANDOVER_GRACE_SECONDS = 1200

    with district_scope(district):
        waiting = list(Job.objects.waiting_for_broker(now))
    assert waiting == [gone, older, newer]

    # handed over again after its claim expired: not again at the next sweep
    set_job(gone, sent_at=now)
    with district_scope(district):
        assert list(Job.objects.waiting_for_broker(now)) == [older, newer]
    # lost with the broker: handed over longer ago than the grace
    set_job(backlog, sent_at=now - timedelta(seconds=1201))
    with district_scope(district):
        assert list(Job.objects.waiting_for_broker(now)) == [backlog, older, newer]


@pytest.mark.django_db
def test_a_job_whose_worker_keeps_dying_fails_after_its_attempts_and_the_retry_allows_more(
    regions, settings
):
    # pins: a document that kills its worker every time (out of memory) is not handed over
    # forever: after JOB_ATTEMPTS (3) attempts whose claims expired, the next claim fails it
    # with a reason for the page; the secretariat's retry allows three more attempts
    settings.JOB_ATTEMPTS = 3
    district = regions_district()
    job = queued_job(district)
    for attempt in (1, 2, 3):
        running = claimed(district, job.pk)
        assert running is not None and running.attempt == attempt
        set_job(job, claimed_until=timezone.now() - timedelta(seconds=1))  # the worker died

    assert claimed(district, job.pk) is None
    job = job_row(job)
    assert (job.status, job.message) == ("failed", jobs.EXHAUSTED)
    assert job.finished_at is not None

    with district_scope(district):
        assert jobs.retry(job) is True  # eager: handed over and run at once
    job = job_row(job)
    assert job.attempt_limit == 6 and job.attempts == 4


@pytest.mark.django_db
def test_a_job_whose_worker_is_gone_offers_the_retry(client, world):
    # pins: a job still "running" whose claim expired (its worker or request died) says so and
    # offers the secretariat a retry; the retry renders it once; a second click sends nothing
    side = world.a
    document, job = rendering_document(side)
    set_job(
        job,
        status="running",
        attempts=1,
        sent_at=timezone.now() - timedelta(minutes=20),
        claimed_until=timezone.now() - timedelta(minutes=5),
    )
    client.force_login(side.users["district_admin"])

    fragment = client.get(status_url(side, job)).content.decode()
    assert "terhenti di tengah jalan" in fragment and retry_url(side, job) in fragment

    client.post(retry_url(side, job))
    job = job_row(job)
    assert (job.status, job.attempts) == ("done", 2)
    _document, _version, stored, _finalised = finished_output(document)
    assert len(stored) == 1
    again = client.post(retry_url(side, job), follow=True)
    assert "sudah ada di antrean atau sedang dikerjakan" in again.content.decode()
    assert job_row(job).attempts == 2
