"""The annual evaluation's workflow (DOMAIN.md §9, issue 14): the secretariat's texts, versions
rendered by a job, the Sekda's approval after re-authentication, the public verification page
and the operators' command.

What the PDF says is read back with pdftotext and its QR code with zxing; SHA-256 values are
computed here with hashlib from the bytes downloaded. Only the cover's title, year, "Versi n",
the narratives and the verification address are checked: the rest of the PDF's content is
tested with reports/evaluation.py itself."""

import hashlib
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from accounts import reauth
from accounts.models import AuditEvent
from accounts.tenancy import district_scope
from documents.models import GeneratedDocument, Job
from reports import services
from reports.evaluation import SECTIONS
from reports.models import EvaluationNarrative, EvaluationVersion
from tests.commitments.test_pdf import flat, pdf_text, qr_codes
from tests.commitments.test_signing import current_code
from tests.concurrency import race
from tests.conftest import PASSWORD, need_poppler
from tests.convergence.objects import year_for
from tests.documents.test_seal import COMMON_NAME, SealCA, pdfsig
from tests.workers import forget_unacknowledged, wait_for

pytestmark = pytest.mark.django_db

YEAR = 2026


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def year_url(side, year=YEAR):
    return url("evaluation_year", side, year=year)


@pytest.fixture
def side(world):
    side = world.a
    year_for(side, YEAR)
    return side


def versions(side, year=YEAR):
    with district_scope(side.district):
        return list(
            EvaluationVersion.objects.filter(district=side.district, year=year)
            .select_related("pdf", "job", "superseded_by", "replaces")
            .order_by("number")
        )


def stored(side) -> list[GeneratedDocument]:
    with district_scope(side.district):
        return list(GeneratedDocument.objects.filter(district=side.district, kind="evaluation"))


def request_version(client, side) -> EvaluationVersion:
    """ "Buat evaluasi" as the secretariat; tasks run in-process, so it is rendered at once."""
    client.force_login(side.users["district_admin"])
    response = client.post(url("evaluation_request", side, year=YEAR))
    assert response.status_code == 302
    return versions(side)[-1]


def download(client, side, number) -> bytes:
    response = client.get(url("evaluation_download", side, year=YEAR, evaluation_number=number))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def approve(client, side, number, **data):
    client.force_login(side.users["executive"])
    return client.post(
        url("evaluation_approve", side, year=YEAR, evaluation_number=number),
        {"password": PASSWORD, "code": "", **data},
    )


# --- the secretariat's texts -----------------------------------------------------------------


def test_the_secretariat_saves_its_texts_and_a_stale_page_is_refused(client, side):
    admin = side.users["district_admin"]
    client.force_login(admin)
    page = client.get(year_url(side))
    assert page.status_code == 200
    token = page.context["narrative"].updated_at  # none yet: the form carries "-"
    assert token is None

    first = client.post(
        url("evaluation_texts", side, year=YEAR),
        {"edit_token": "-", "problems": "Data e-PPGBM terlambat", "summary": "Ringkas"},
    )
    assert first.status_code == 302
    with district_scope(side.district):
        narrative = EvaluationNarrative.objects.get(district=side.district, year=YEAR)
    assert narrative.texts["problems"] == "Data e-PPGBM terlambat"
    assert narrative.updated_by == admin

    # a second page opened before that save (its token "-") would overwrite it: refused, and
    # what was typed is shown again
    stale = client.post(
        url("evaluation_texts", side, year=YEAR),
        {"edit_token": "-", "problems": "Tulisan lain"},
    )
    assert stale.status_code == 200
    assert "sudah diubah oleh" in stale.content.decode()
    assert "Tulisan lain" in stale.content.decode()
    with district_scope(side.district):
        narrative.refresh_from_db()
    assert narrative.texts["problems"] == "Data e-PPGBM terlambat"

    # a text longer than its limit is refused, nothing saved
    fresh = client.get(year_url(side)).context["narrative"]
    too_long = client.post(
        url("evaluation_texts", side, year=YEAR),
        {
            "edit_token": fresh.updated_at.isoformat(),
            "problems": "x" * (services.NARRATIVE_MAX + 1),
        },
    )
    assert too_long.status_code == 200
    assert "Paling banyak" in too_long.content.decode()
    with district_scope(side.district):
        narrative.refresh_from_db()
    assert narrative.texts["problems"] == "Data e-PPGBM terlambat"


# --- versions ----------------------------------------------------------------------------------


def test_a_requested_version_is_rendered_and_downloadable_with_its_sha256(
    client, side, tmp_path, settings
):
    need_poppler()
    client.force_login(side.users["district_admin"])
    client.post(
        url("evaluation_texts", side, year=YEAR),
        {"edit_token": "-", "recommendations": "Perkuat kunjungan rumah oleh KPM"},
    )
    version = request_version(client, side)

    assert version.number == 1 and version.pdf is not None and version.job.status == "done"
    data = download(client, side, 1)
    assert data.startswith(b"%PDF")
    assert version.pdf.sha256 == hashlib.sha256(data).hexdigest()
    assert version.pdf.size == len(data)
    text = flat(pdf_text(data, tmp_path))
    assert "Laporan Evaluasi Tahunan" in text
    assert "Tahun 2026" in text
    assert "Versi 1" in text
    assert "Perkuat kunjungan rumah oleh KPM" in text
    assert qr_codes(data, tmp_path) == [settings.SITE_URL + f"/verifikasi/{version.verify_token}/"]

    page = client.get(year_url(side)).content.decode()
    assert version.pdf.sha256 in page
    assert url("evaluation_download", side, year=YEAR, evaluation_number=1) in page
    # the audit log names the request
    assert AuditEvent.everything.filter(action="evaluation_requested").count() == 1


def test_earlier_versions_stay_downloadable_each_its_own_file(client, side):
    one = request_version(client, side)
    two = request_version(client, side)
    assert (one.number, two.number) == (1, 2)
    first, second = download(client, side, 1), download(client, side, 2)
    assert hashlib.sha256(first).hexdigest() == one.pdf.sha256
    assert hashlib.sha256(second).hexdigest() == two.pdf.sha256
    assert one.pdf.sha256 != two.pdf.sha256  # "Versi 1" and "Versi 2" on their covers
    assert len(stored(side)) == 2


def test_rendering_the_same_version_twice_leaves_one_completed_version(client, side):
    version = request_version(client, side)
    job = version.job
    # the message delivered again (the worker died after storing, before acknowledging) finds
    # the claim expired and the job "running": the second attempt finds the version done
    with district_scope(side.district):
        Job.objects.filter(pk=job.pk).update(status="running", claimed_until=None)
        services.render_version(job.pk)
        job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    # and a job that is done is not run again at all
    with district_scope(side.district):
        services.render_version(job.pk)
        job.refresh_from_db()
    assert job.attempts == 2
    [again] = versions(side)
    assert again.pdf_id == version.pdf_id
    assert len(stored(side)) == 1


def test_a_failed_job_says_why_on_the_page_and_its_retry_renders_it(client, side, settings):
    admin = side.users["district_admin"]
    with district_scope(side.district):
        version = EvaluationVersion.objects.create(
            district=side.district, year=YEAR, number=1, requested_by=admin
        )
        # a job whose every attempt died (the worker was killed each time): the next claim
        # fails it with the reason instead of handing it over forever
        job = Job.objects.create(
            kind=services.EVALUATION_JOB,
            district=side.district,
            requested_by=admin,
            payload={"version": str(version.pk)},
            status="running",
            attempts=3,
            attempt_limit=3,
        )
        version.job = job
        version.save(update_fields=["job"])
        services.render_version(job.pk)
        job.refresh_from_db()
    assert job.status == "failed"

    client.force_login(admin)
    page = client.get(year_url(side)).content.decode()
    assert "Tugas gagal." in page
    assert "tugas terhenti berulang kali sebelum selesai" in page
    assert "gagal disusun" in page
    retry = url("job_retry", side, job_id=job.pk)
    assert retry in page

    response = client.post(retry, {"next": year_url(side)})
    assert response.status_code == 302 and response["Location"] == year_url(side)
    [version] = versions(side)
    assert version.pdf is not None and version.job.status == "done"


def test_the_page_polls_the_rendering_job_without_inline_script(client, side, settings):
    admin = side.users["district_admin"]
    with district_scope(side.district):
        version = EvaluationVersion.objects.create(
            district=side.district, year=YEAR, number=1, requested_by=admin
        )
        job = Job.objects.create(
            kind=services.EVALUATION_JOB,
            district=side.district,
            requested_by=admin,
            payload={"version": str(version.pk)},
            status="running",
            progress=35,
            sent_at=datetime(2026, 12, 5, tzinfo=UTC),
        )
        version.job = job
        version.save(update_fields=["job"])
    client.force_login(admin)
    html = client.get(year_url(side)).content.decode()
    status = url("job_status", side, job_id=job.pk)
    assert f'hx-get="{status}"' in html and 'hx-trigger="every 2s"' in html
    assert "<script>" not in html and "<script " in html  # only the vendored htmx file
    assert 'value="35"' in html


# --- a worker killed mid-render -----------------------------------------------------------


# Long enough texts that rendering takes seconds (8 sections of 20,000 characters: about 50
# pages, 4 s), so that the worker is killed half-way; a time limit that leaves room for it.
LONG_TEXT = 20_000
TIME_LIMIT, VISIBILITY = 20, 25


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_leaves_exactly_one_completed_version(
    world, postgres, celery_broker, redis_url, workers
):
    side = world.a
    year_for(side, YEAR)
    forget_unacknowledged(redis_url)
    paragraph = "Kunjungan rumah oleh KPM dan kader posyandu dilakukan setiap bulan. " * 12
    text = ((paragraph + "\n\n") * (LONG_TEXT // len(paragraph) + 1))[:LONG_TEXT]
    with district_scope(side.district):
        services.save_narratives(
            side.district,
            YEAR,
            texts={key: text for key, _title in SECTIONS},
            by=side.users["district_admin"],
        )
        version = services.request_evaluation(side.district, YEAR, by=side.users["district_admin"])
        job = Job.objects.get(pk=version.job_id)
    assert (job.status, job.attempts) == ("queued", 0) and job.sent_at is not None

    limits = {"time_limit": TIME_LIMIT, "visibility": VISIBILITY}
    first = workers("first", broker=redis_url, **limits)
    running = wait_for(
        lambda: (row := job_row(job)).status != "queued" and row,
        "the first worker did not start the job",
        timeout=60,
        workers=[first],
    )
    first.kill()  # in the middle of rendering
    assert (running.status, job_row(job).status) == ("running", "running"), (
        "the render finished before the worker was killed: make the texts longer"
    )
    assert stored(side) == [] and versions(side)[0].pdf_id is None

    # Redis gives the unacknowledged message to the next worker once its visibility timeout
    # has passed (tests/documents/test_jobs.py explains the timing)
    visible_again = running.started_at + timedelta(seconds=VISIBILITY + 1)
    time.sleep(max(0.0, (visible_again - timezone.now()).total_seconds()))
    second = workers("second", broker=redis_url, **limits)
    job = wait_for(
        lambda: (row := job_row(job)).is_finished and row,
        "the second worker did not finish the job",
        timeout=90,
        workers=[first, second],
    )

    assert (job.status, job.attempts, job.progress) == ("done", 2, 100), job.message
    [version] = versions(side)
    [pdf] = stored(side)
    assert version.pdf_id == pdf.pk
    with pdf.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and pdf.sha256 == hashlib.sha256(data).hexdigest()


def job_row(job: Job) -> Job:
    with district_scope(job.district):
        return Job.objects.get(pk=job.pk)


# --- approval ----------------------------------------------------------------------------------


def test_the_sekda_approves_after_giving_the_password_again(client, side):
    version = request_version(client, side)

    wrong = approve(client, side, 1, password="tebakan")
    assert wrong.status_code == 200
    assert "Kata sandi salah." in wrong.content.decode()
    assert versions(side)[0].approved_at is None

    response = approve(client, side, 1)
    assert response.status_code == 302
    [version] = versions(side)
    assert version.final and version.approved_by == side.users["executive"]
    assert version.approved_by_name == side.users["executive"].full_name
    events = AuditEvent.everything.filter(action="evaluation_approved")
    assert events.count() == 1
    assert events.get().data["pdf_sha256"] == version.pdf.sha256

    # a second click changes nothing and says so
    again = approve(client, side, 1)
    assert again.status_code == 302
    assert events.count() == 1
    page = client.get(year_url(side)).content.decode()
    assert "Versi 1 sudah disetujui." in page
    assert "Versi final: versi 1, disetujui oleh" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_approve_once(world, postgres):
    # two clicks (two tabs) whose requests run at the same time: the second waits on the
    # year's row, then finds the version approved and changes nothing
    side = world.a
    year_for(side, YEAR)
    sekda = side.users["executive"]
    with district_scope(side.district):
        version = services.request_evaluation(side.district, YEAR, by=side.users["district_admin"])

    def approving():
        with district_scope(side.district):
            return services.approve_version(version, by=sekda, password=PASSWORD)

    first, second = race(approving, approving)

    assert isinstance(first, EvaluationVersion) and first.final, first
    assert isinstance(second, services.NotApprovable), second
    assert AuditEvent.everything.filter(action="evaluation_approved").count() == 1
    [version] = versions(side)
    assert version.final and version.approved_by == sekda


def test_a_sekda_with_an_authenticator_must_give_its_code(client, side):
    request_version(client, side)
    user = side.users["executive"]
    secret = generate_totp_secret()
    with district_scope(side.district):
        TOTP.activate(user, secret)
    client.force_login(user)
    page = client.get(url("evaluation_approve", side, year=YEAR, evaluation_number=1))
    assert page.context["needs_code"] is True

    without = approve(client, side, 1, code="")
    assert "Kode autentikator salah" in without.content.decode()
    assert versions(side)[0].approved_at is None
    assert approve(client, side, 1, code=current_code(secret)).status_code == 302
    assert versions(side)[0].final


def test_five_wrong_passwords_lock_approval_as_they_lock_signing(client, side):
    request_version(client, side)
    for _attempt in range(reauth.ATTEMPTS):
        assert "Kata sandi salah." in approve(client, side, 1, password="x").content.decode()
    locked = approve(client, side, 1)
    assert "Terlalu banyak percobaan yang salah" in locked.content.decode()
    assert versions(side)[0].approved_at is None


def test_only_the_sekda_approves(client, side):
    request_version(client, side)
    approve_url = url("evaluation_approve", side, year=YEAR, evaluation_number=1)
    for role in ("district_admin", "opd_staff", "camat", "village_head", "kpm"):
        client.force_login(side.users[role])
        assert client.post(approve_url, {"password": PASSWORD}).status_code == 403, role
    assert versions(side)[0].approved_at is None


def test_a_later_approved_version_supersedes_the_final_one(client, side, tmp_path):
    need_poppler()
    request_version(client, side)
    assert approve(client, side, 1).status_code == 302

    two = request_version(client, side)
    assert two.replaces.number == 1
    text = flat(pdf_text(download(client, side, 2), tmp_path))
    assert "Versi 2" in text and "menggantikan versi final 1" in text
    page = client.get(year_url(side)).content.decode()
    assert "menggantikan versi final 1" in page

    assert approve(client, side, 2).status_code == 302
    one, two = versions(side)
    assert (one.final, one.superseded_by_id, two.final) == (False, two.pk, True)
    # the superseded version stays approved, downloadable, and can't be approved again
    client.force_login(side.users["executive"])
    assert len(download(client, side, 1)) == one.pdf.size
    approve(client, side, 1)
    one, two = versions(side)
    assert (one.final, two.final) == (False, True)

    # an older draft cannot become final over a newer final version
    client.force_login(side.users["district_admin"])
    three = request_version(client, side)
    assert three.replaces.number == 2
    with district_scope(side.district):
        EvaluationVersion.objects.filter(pk=two.pk).update(final=False)
        EvaluationVersion.objects.filter(pk=three.pk).update(
            final=True, approved_at=datetime(2026, 12, 5, tzinfo=UTC)
        )
    refused = approve(client, side, 2)
    assert refused.status_code == 302
    assert [v.final for v in versions(side)] == [False, False, True]


def test_approval_seals_the_pdf_and_the_sealed_file_becomes_the_versions(
    client, side, settings, tmp_path
):
    # a test CA with a certificate for district A (tests/documents/test_seal.py)
    authority = SealCA()
    authority.install(settings.SEAL_DIR, side.district.slug)
    rendered = request_version(client, side)
    client.force_login(side.users["district_admin"])
    unsealed = download(client, side, 1)
    assert rendered.pdf.seal_subject == "" and rendered.pdf.sealed_at is None

    assert approve(client, side, 1).status_code == 302

    [version] = versions(side)
    sealed = download(client, side, 1)
    assert version.pdf.seal_subject == COMMON_NAME and version.pdf.sealed_at is not None
    # the rendered bytes untouched in front, the seal appended; the stored SHA-256 and size
    # are the sealed file's
    assert sealed.startswith(unsealed) and len(sealed) > len(unsealed)
    assert version.pdf.sha256 == hashlib.sha256(sealed).hexdigest() != rendered.pdf.sha256
    assert version.pdf.size == len(sealed)
    report = pdfsig(sealed, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert f"Signer Certificate Common Name: {COMMON_NAME}" in report
    (signature,) = PdfFileReader(io.BytesIO(sealed), strict=False).embedded_signatures
    assert str(signature.sig_object["/Reason"]) == (
        "Laporan evaluasi tahunan 2026, versi 1, disetujui sebagai versi final"
    )
    event = AuditEvent.everything.get(action="evaluation_approved")
    assert event.data["pdf_sha256"] == version.pdf.sha256
    assert event.data["seal_subject"] == COMMON_NAME

    # the verification page names the seal; the unsealed draft copy is not the final file
    client.logout()
    html = client.get(verify_url(version)).content.decode()
    assert COMMON_NAME in html and version.pdf.sha256 in html
    draft = client.post(
        verify_url(version), {"pdf": SimpleUploadedFile("e.pdf", unsealed, "application/pdf")}
    )
    assert "Tidak cocok." in draft.content.decode()


def test_an_unusable_certificate_refuses_the_approval_with_its_reason(client, side, settings):
    SealCA().install(settings.SEAL_DIR, side.district.slug, passphrase=b"benar")
    (settings.SEAL_DIR / f"{side.district.slug}.pass").write_bytes(b"salah\n")
    rendered = request_version(client, side)

    response = approve(client, side, 1)

    assert response.status_code == 200
    assert "errors" in response.content.decode()
    [version] = versions(side)
    assert version.approved_at is None and not version.final
    assert version.pdf.sha256 == rendered.pdf.sha256 and version.pdf.seal_subject == ""
    assert not AuditEvent.everything.filter(action="evaluation_approved").exists()


# --- verification --------------------------------------------------------------------------------


def verify_url(version):
    return reverse("document_verify", kwargs={"token": version.verify_token})


def test_the_verification_page_shows_the_version_and_who_approved_when(client, side):
    version = request_version(client, side)
    with district_scope(side.district):
        # approved at 02:30 UTC: 09:30 in Sumedang (WIB, UTC+7)
        services.approve_version(version, by=side.users["executive"], password=PASSWORD)
        EvaluationVersion.objects.filter(pk=version.pk).update(
            approved_at=datetime(2026, 12, 5, 2, 30, tzinfo=UTC)
        )
    client.logout()
    html = flat(client.get(verify_url(version)).content.decode())
    assert "Kabupaten Sumedang" in html
    assert "Laporan evaluasi tahunan 2026" in html
    assert version.pdf.sha256 in html
    # the test world's Sekda is called after his role (tests/conftest.py)
    name = "Pimpinan daerah (Sekda/Bupati/Wakil) sumedang"
    assert f"disetujui oleh {name} pada 05-12-2026 09:30 WIB" in html
    assert "tidak disegel" in html
    # no e-mail or other personal data
    assert "@" not in html.split("<main", 1)[1]


def test_the_verification_page_says_when_a_version_is_not_final(client, side):
    one = request_version(client, side)
    html = client.get(verify_url(one)).content.decode()
    assert "belum disetujui" in html
    approve(client, side, 1)
    request_version(client, side)
    approve(client, side, 2)
    client.logout()
    html = client.get(verify_url(one)).content.decode()
    assert "diganti oleh versi 2" in html and "sudah DIGANTI oleh versi final 2" in html


def test_an_uploaded_pdf_is_compared_with_the_stored_one(client, side):
    version = request_version(client, side)
    data = download(client, side, 1)
    client.logout()
    genuine = client.post(
        verify_url(version), {"pdf": SimpleUploadedFile("e.pdf", data, "application/pdf")}
    )
    assert "Asli." in genuine.content.decode()
    changed = data.replace(b"Versi 1", b"Versi 9") if b"Versi 1" in data else data + b"\n%"
    other = client.post(
        verify_url(version), {"pdf": SimpleUploadedFile("e.pdf", changed, "application/pdf")}
    )
    assert "Tidak cocok." in other.content.decode()
    assert hashlib.sha256(changed).hexdigest() in other.content.decode()


def test_an_unknown_token_or_an_unrendered_version_is_the_same_plain_404(client, side):
    with district_scope(side.district):
        version = EvaluationVersion.objects.create(district=side.district, year=YEAR, number=1)
    unknown = client.get(reverse("document_verify", kwargs={"token": "x" * 32}))
    unrendered = client.get(verify_url(version))
    assert unknown.status_code == unrendered.status_code == 404
    assert side.district.name not in unrendered.content.decode()


# --- who sees what -------------------------------------------------------------------------------


def test_the_village_and_kecamatan_cannot_see_it_and_another_district_gets_404(client, world, side):
    request_version(client, side)
    for role in ("camat", "village_head", "kpm", "opd_staff"):
        client.force_login(side.users[role])
        assert client.get(year_url(side)).status_code == 403, role
        assert client.get(url("evaluation_years", side)).status_code == 403, role
    client.force_login(world.b.users["district_admin"])
    assert client.get(year_url(side)).status_code == 404
    # a year the district has not opened
    client.force_login(side.users["executive"])
    assert client.get(year_url(side, 2019)).status_code == 404
    assert client.get(year_url(side)).status_code == 200
    years = client.get(url("evaluation_years", side)).content.decode()
    assert year_url(side) in years


def test_the_year_page_reads_a_bounded_number_of_queries(client, side):
    request_version(client, side)
    client.force_login(side.users["district_admin"])
    with CaptureQueriesContext(connection) as one:
        assert client.get(year_url(side)).status_code == 200
    for _n in range(4):
        request_version(client, side)
    with CaptureQueriesContext(connection) as five:
        assert client.get(year_url(side)).status_code == 200
    assert len(five.captured_queries) == len(one.captured_queries) <= 30


# --- operators ---------------------------------------------------------------------------------


def test_the_command_renders_a_version_now_and_writes_it(side, tmp_path, capsys):
    output = tmp_path / "evaluasi.pdf"
    call_command("render_evaluation", district=side.district.slug, year=YEAR, output=str(output))
    printed = capsys.readouterr().out
    data = output.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert f"sha256 {sha}" in printed and "version 1" in printed
    [version] = versions(side)
    assert version.pdf.sha256 == sha and version.requested_by is None

    call_command("render_evaluation", district=side.district.code, year=YEAR)
    assert [v.number for v in versions(side)] == [1, 2]


def test_the_command_queues_every_district_with_the_year(world, side, capsys):
    year_for(world.b, YEAR)
    call_command("render_evaluation", all=True, year=YEAR)
    assert "2 evaluation job(s) of 2026 queued" in capsys.readouterr().out
    assert len(versions(side)) == 1 and len(versions(world.b)) == 1
    # a year nobody opened: nothing
    call_command("render_evaluation", all=True, year=2019)
    assert "0 evaluation job(s) of 2019 queued" in capsys.readouterr().out


def test_january_renders_last_years_draft_by_default(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["yearly-evaluations"]
    assert entry["task"] == "reports.tasks.render_yearly_evaluations"
    schedule = entry["schedule"]
    assert schedule.month_of_year == {1} and schedule.day_of_month == {5}
