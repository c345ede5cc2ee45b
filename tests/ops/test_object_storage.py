"""Media on S3-compatible object storage (MEDIA_STORAGE=s3), against a real S3 server process.

moto's server (`python -m moto.server`, an independent implementation of the S3 HTTP API)
runs as a separate process on 127.0.0.1; the portal talks to it through django-storages and
boto3 over HTTP exactly as it would to AWS or MinIO, with the STORAGES["default"] the settings
build from the environment (config.settings.media_storage). The test itself reads the bucket
with its own boto3 client: what is listed there, and the bytes there, are compared with what
was uploaded and what the checked views serve. Nothing may land in MEDIA_ROOT. The last test
runs the PDF job in a separate Celery worker process (tests/workers.py) that builds its own
storage from the same environment, as a worker on another server would.
"""

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from convergence.models import Evidence
from documents.models import Job
from tests.conftest import need, need_poppler, png_bytes, project_folders
from tests.convergence.objects import PDF, own_deliverable, year_for

pytestmark = pytest.mark.django_db

ACCESS_KEY, SECRET_KEY, REGION = "konvergensi-uji", "rahasia-uji", "ap-southeast-3"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server in its own process on a free loopback port; its address."""
    need(
        importlib.util.find_spec("moto") is not None
        and importlib.util.find_spec("flask") is not None,
        "needs moto's S3 server: pip install -e '.[test]' (moto[server])",
    )
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "AWS_DEFAULT_REGION": REGION},
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"moto's S3 server did not start on {endpoint}")
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


class Bucket:
    """A fresh bucket on the server, read through the test's own boto3 client."""

    def __init__(self, endpoint: str):
        import boto3

        self.name = f"konvergensi-{uuid.uuid4().hex[:12]}"
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        self.client.create_bucket(
            Bucket=self.name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )

    def keys(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return {item["Key"] for item in listed.get("Contents", [])}

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    """MEDIA_STORAGE=s3 on a new bucket, configured the way an operator would: environment
    variables read by config.settings.media_storage."""
    from config.settings import media_storage

    created = Bucket(s3_server)
    for name, value in {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": created.name,
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": media_storage()}
    return created


@pytest.fixture
def on_s3(bucket, world):
    """The world built with media on the bucket (the districts' emblems are stored there)."""
    return world


def media_root_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_settings_build_the_s3_storage_from_the_environment(monkeypatch):
    from config.settings import media_storage

    monkeypatch.delenv("MEDIA_STORAGE", raising=False)
    assert media_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    monkeypatch.setenv("MEDIA_STORAGE", "s3")
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        media_storage()
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "media-kab")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://minio.internal:9000")
    monkeypatch.setenv("AWS_LOCATION", "produksi")
    config = media_storage()
    assert config["BACKEND"] == "documents.storage.PrivateS3Storage"
    assert config["OPTIONS"]["bucket_name"] == "media-kab"
    assert config["OPTIONS"]["endpoint_url"] == "https://minio.internal:9000"
    assert config["OPTIONS"]["location"] == "produksi"
    assert config["OPTIONS"]["max_memory_size"] == 5 * 1024 * 1024


# every model file field's name (FileField) and the names code gives such a value
FILE_NAMES = r"(file|scan|emblem|paper|thumbnail|final|pdf)"


def test_no_code_reads_a_stored_file_by_path_or_hands_out_its_url():
    """`.path` exists only on the file system and `.url` would publish the file: code and
    templates read stored files with `.open()` in a checked view. (The S3 storage refuses
    `url()` at run time too; this catches it on the file system, where CI runs.)"""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(rf"\b{FILE_NAMES}\.(path|url)\b")
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for folder in [*project_folders(), "templates"]
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in (".py", ".html") and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_evidence_goes_to_the_bucket_and_comes_back_only_through_the_checked_view(
    client, bucket, on_s3, settings, django_capture_on_commit_callbacks
):
    world = on_s3
    deliverable = own_deliverable(world.a, year_for(world.a, 2026))
    slug = world.a.district.slug
    emblems = bucket.keys()
    assert len(emblems) == 2  # the world's two districts' emblems, stored by the portal

    client.force_login(world.a.users["opd_staff"])
    upload = SimpleUploadedFile("laporan kegiatan.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse(
            "evidence_upload", kwargs={"district_slug": slug, "deliverable_id": deliverable.pk}
        ),
        {"file": upload},
    )
    assert response.status_code == 302
    with scopes_disabled():
        evidence = Evidence.objects.get(deliverable=deliverable)
    [key] = bucket.keys() - emblems
    assert key == evidence.file.name and key.startswith(f"evidence/{world.a.district.pk}/")
    assert bucket.body(key) == PDF
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()

    served = reverse("evidence_file", kwargs={"district_slug": slug, "evidence_id": evidence.pk})
    client.force_login(world.a.users["executive"])
    response = client.get(served)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert "no-store" in response["Cache-Control"]
    # no address of the bucket in the answer, and the storage has none to give
    assert bucket.name not in str(response.headers) and "X-Amz" not in str(response.headers)
    with pytest.raises(NotImplementedError):
        default_storage.url(key)
    # someone with no membership, and B's admin: the same 404 as for a file that is not there
    for user in (world.outsider, world.b.users["district_admin"]):
        client.force_login(user)
        assert client.get(served).status_code == 404

    # removing the evidence removes the object once the removal commits
    client.force_login(world.a.users["opd_staff"])
    remove = reverse("evidence_remove", kwargs={"district_slug": slug, "evidence_id": evidence.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(remove).status_code == 302
    assert bucket.keys() == emblems
    assert media_root_files(settings) == []


def test_a_replaced_emblem_is_deleted_from_the_bucket(
    client, bucket, on_s3, django_capture_on_commit_callbacks
):
    from tests.villages.test_district_profile import FIELDS

    world = on_s3
    district = world.a.district
    old = district.emblem.name
    assert old in bucket.keys()
    new = png_bytes((97, 61))
    client.force_login(world.a.users["district_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/{district.slug}/profil/",
            {**FIELDS, "emblem": SimpleUploadedFile("lambang.png", new, "image/png")},
        )
    assert response.status_code == 302
    district.refresh_from_db()
    assert district.emblem.name != old
    assert old not in bucket.keys() and bucket.body(district.emblem.name) == new
    served = client.get(f"/{district.slug}/lambang/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == new
    client.force_login(world.outsider)
    assert client.get(f"/{district.slug}/lambang/").status_code == 404


def test_a_generated_pdf_lands_in_the_bucket_and_its_sealed_copy_replaces_it(
    client, bucket, on_s3, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The annual evaluation, rendered by its job (in-process here), reads the emblem from
    the bucket, stores its PDF there; the Sekda's approval seals it and the unsealed object
    is deleted."""
    from tests.documents.test_seal import COMMON_NAME, SealCA
    from tests.reports.test_evaluation_flow import YEAR, approve, download, request_version

    need_poppler()
    world = on_s3
    side = world.a
    year_for(side, YEAR)
    SealCA().install(settings.SEAL_DIR, side.district.slug)
    before = bucket.keys()

    version = request_version(client, side)
    [key] = bucket.keys() - before
    assert key == version.pdf.file.name
    stored = bucket.body(key)
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == version.pdf.sha256
    assert download(client, side, 1) == stored
    # the emblem (97 x 61 pixels would be the replaced one; the world's is 64 x 64) was read
    # from the bucket into the PDF
    listed = tmp_path / "rendered.pdf"
    listed.write_bytes(stored)
    images = subprocess.run(
        ["pdfimages", "-list", str(listed)], capture_output=True, text=True, check=True
    ).stdout
    assert any(line.split()[3:5] == ["64", "64"] for line in images.splitlines()[2:])
    download_url = reverse(
        "evaluation_download",
        kwargs={"district_slug": side.district.slug, "year": YEAR, "evaluation_number": 1},
    )
    for user in (world.outsider, world.b.users["district_admin"]):
        client.force_login(user)
        assert client.get(download_url).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        assert approve(client, side, 1).status_code == 302
    version.pdf.refresh_from_db()
    assert version.pdf.seal_subject == COMMON_NAME
    sealed_key = version.pdf.file.name
    assert bucket.keys() - before == {sealed_key} and sealed_key != key
    sealed = bucket.body(sealed_key)
    assert sealed.startswith(stored) and len(sealed) > len(stored)
    client.force_login(side.users["district_admin"])
    assert download(client, side, 1) == sealed
    assert media_root_files(settings) == []


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_separate_worker_process_renders_into_the_same_bucket(
    client, bucket, world, postgres, celery_broker, redis_url, workers, settings
):
    """Two processes, as on two servers: the PDF worker is its own `celery worker` process
    that builds its storage from the same environment (MEDIA_STORAGE=s3 and the AWS_*
    variables), reads the emblem from the bucket and stores the PDF there; this process's view
    serves it. They share no folder: MEDIA_ROOT stays empty."""
    from reports import services
    from tests.reports.test_evaluation_flow import YEAR, download
    from tests.workers import forget_unacknowledged, wait_for

    side = world.a
    year_for(side, YEAR)
    forget_unacknowledged(redis_url)
    before = bucket.keys()
    with scopes_disabled():
        version = services.request_evaluation(side.district, YEAR, by=side.users["district_admin"])
    worker = workers("pdf", broker=redis_url, time_limit=60, visibility=90)
    with scopes_disabled():
        job = wait_for(
            lambda: (row := Job.objects.get(pk=version.job_id)).is_finished and row,
            "the worker process did not finish the evaluation",
            timeout=90,
            workers=[worker],
        )
        assert job.status == "done", job.message
        version.refresh_from_db()
        key = version.pdf.file.name
    assert bucket.keys() - before == {key}
    stored = bucket.body(key)
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == version.pdf.sha256
    client.force_login(side.users["district_admin"])
    assert download(client, side, version.number) == stored
    assert media_root_files(settings) == []
