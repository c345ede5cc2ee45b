"""The data migration that moved commitment final PDFs onto documents.GeneratedDocument
(commitments 0005/0006): a document finalised before it keeps its file, its SHA-256 and its
verification token, and its page still says it is the genuine file. The rows are made in the
schema as it was before the migration, by the historical models."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.tenancy import district_scope
from commitments.models import DocumentVersion
from documents import jobs
from documents.models import GeneratedDocument, Job
from tests.convergence.objects import PDF

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("commitments", "0004_input_limits")]


@pytest.fixture
def back_to_latest():
    """Whatever happens in the test, the database ends at the latest schema."""
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_final_pdf_made_before_the_migration_still_verifies(
    world, client, postgres, back_to_latest
):
    district = world.a.district
    old = _migrate(BEFORE)
    name = default_storage.save(f"commitments/{district.pk}/lama", ContentFile(PDF))
    sha = hashlib.sha256(PDF).hexdigest()
    rendered_at = timezone.now().replace(microsecond=0)
    document = old.get_model("commitments", "CommitmentDocument").objects.create(
        district_id=district.pk, level="district", template="district", year=2025, status="signed"
    )
    version = old.get_model("commitments", "DocumentVersion").objects.create(
        document=document,
        district_id=district.pk,
        title="Komitmen Bersama 2025",
        preamble="Kami yang bertanda tangan di bawah ini",
        points=["Satu"],
        signed_on=rendered_at.date(),
        place="Sumedang",
        pdf=name,
        pdf_sha256=sha,
        pdf_size=len(PDF),
        pdf_rendered_at=rendered_at,
        verify_token="token-dari-kertas-lama",
    )
    job = old.get_model("commitments", "RenderJob").objects.create(
        version=version, district_id=district.pk, status="done", progress=100
    )
    # another document whose render was running when its worker died before the upgrade
    stuck_document = old.get_model("commitments", "CommitmentDocument").objects.create(
        district_id=district.pk,
        level="district",
        template="district",
        year=2025,
        status="rendering",
    )
    stuck_version = old.get_model("commitments", "DocumentVersion").objects.create(
        document=stuck_document,
        district_id=district.pk,
        title="Komitmen yang macet",
        preamble="Kami",
        points=["Satu"],
        signed_on=rendered_at.date(),
        place="Sumedang",
        verify_token="token-macet",
    )
    stuck = old.get_model("commitments", "RenderJob").objects.create(
        version=stuck_version,
        district_id=district.pk,
        status="running",
        progress=35,
        started_at=rendered_at,
    )

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(latest)

    with scopes_disabled():
        migrated = DocumentVersion.objects.select_related("final").get(pk=version.pk)
        final = migrated.final
        assert (final.kind, final.version, final.file.name) == ("commitment", 1, name)
        assert (final.sha256, final.size, final.created_at) == (sha, len(PDF), rendered_at)
        assert GeneratedDocument.objects.count() == 1
        assert not DocumentVersion.objects.get(pk=stuck_version.pk).final_id
        moved = Job.objects.get(pk=job.pk)
        assert (moved.kind, moved.status, moved.payload) == (
            "commitment_pdf",
            "done",
            {"version": str(version.pk)},
        )

        # the stuck render is handed over again by the sweep and claimable by a worker
        with district_scope(district):
            waiting = list(Job.objects.waiting_for_broker(timezone.now()))
            assert [j.pk for j in waiting] == [stuck.pk]
            assert jobs.claim(stuck.pk) is not None

    page = client.get("/verifikasi/token-dari-kertas-lama/")
    assert page.status_code == 200 and sha in page.content.decode()
    checked = client.post(
        "/verifikasi/token-dari-kertas-lama/",
        {"pdf": SimpleUploadedFile("komitmen.pdf", PDF, content_type="application/pdf")},
    )
    assert checked.status_code == 200 and "Asli" in checked.content.decode()
