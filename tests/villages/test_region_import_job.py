"""The region import from the national admin's page, run by a real Celery worker on Redis."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Job
from villages.models import Province, RegionImport, Village

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = (
    b"kode,nama\n11,Aceh\n11.01,Kabupaten Aceh Selatan\n11.01.01,Bakongan\n"
    b"11.01.01.2001,Keude Bakongan\n"
)
BAD = GOOD + b"11.01.01.2001,Dobel\n11.01.9,Salah\n"


def wait_for(job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = RegionImport.objects.get(pk=job_id)
        if job.status in (RegionImport.Status.DONE, RegionImport.Status.FAILED):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.status} after {timeout}s")


def upload(client, user, content, name="wilayah.csv", partial=True):
    client.force_login(user)
    data = {"file": SimpleUploadedFile(name, content)}
    if partial:
        data["partial"] = "on"
    response = client.post("/nasional/wilayah/", data)
    assert response.status_code == 302
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_worker_imports_an_uploaded_list(client, world, celery_worker):
    job_id = upload(client, world.national_admin, GOOD, "wilayah.csv")
    job = wait_for(job_id)
    assert job.status == "done", job.errors
    assert job.summary.startswith("provinces=3 districts=4")  # the world's 2 provinces + Aceh
    assert Village.objects.filter(code="11.01.01.2001").exists()
    page = client.get(f"/nasional/wilayah/impor/{job_id}/").content.decode()
    assert job.summary in page


def test_worker_reports_bad_lines_and_changes_nothing(client, world, celery_worker):
    before = Province.objects.count()
    job_id = upload(client, world.national_admin, BAD)
    job = wait_for(job_id)
    assert job.status == "failed"
    assert job.errors == [
        "baris 7: kode '11.01.9' tidak sesuai format Kemendagri "
        "(NN, NN.NN, NN.NN.NN atau NN.NN.NN.NNNN)",
        "baris 6: kode 11.01.01.2001 sudah ada di baris 5",
    ]
    assert Province.objects.count() == before
    page = client.get(f"/nasional/wilayah/impor/{job_id}/").content.decode()
    assert "baris 7" in page


def test_running_the_task_twice_imports_once(world):
    from villages.tasks import run_region_import

    job = RegionImport(original_name="w.csv", created_by=world.national_admin)
    job.file.save("w.upload", SimpleUploadedFile("w.csv", GOOD))
    job.job = Job.objects.create(kind="region_import", payload={"import": str(job.id)})
    job.save()
    run_region_import(job_id=str(job.job_id))
    run_region_import(job_id=str(job.job_id))  # a redelivered message finds it done
    job = RegionImport.objects.get(pk=job.pk)
    assert job.status == "done"


def test_upload_that_is_not_a_table_is_refused(client, world):
    client.force_login(world.national_admin)
    response = client.post(
        "/nasional/wilayah/", {"file": SimpleUploadedFile("x.csv", b"\x00\x01\x02binary")}
    )
    assert response.status_code == 200
    assert "CSV atau XLSX" in response.content.decode()
    assert not RegionImport.objects.exists()


def test_a_list_run_late_does_not_undo_a_newer_one(world):
    """A list whose job waited for the broker (Redis was down) and is run after a newer list
    was imported would rename and retire areas back: it is refused with a reason instead."""
    from django.utils import timezone

    from villages.tasks import run_region_import

    def upload(name, data, at):
        region_import = RegionImport(original_name=name, created_by=world.national_admin)
        region_import.file.save("u.upload", SimpleUploadedFile(name, data))
        region_import.job = Job.objects.create(
            kind="region_import", payload={"import": str(region_import.id)}
        )
        region_import.save()
        RegionImport.objects.filter(pk=region_import.pk).update(created_at=at)
        return region_import

    now = timezone.now()
    late = upload("lama.csv", GOOD, now - timezone.timedelta(hours=2))
    newer = upload("baru.csv", GOOD, now - timezone.timedelta(hours=1))
    run_region_import(job_id=str(newer.job_id))
    assert RegionImport.objects.get(pk=newer.pk).status == "done"
    before = Village.objects.count()

    run_region_import(job_id=str(late.job_id))

    late = RegionImport.objects.get(pk=late.pk)
    assert late.status == "failed"
    assert "daftar yang lebih baru sudah diimpor" in late.summary
    assert Village.objects.count() == before
