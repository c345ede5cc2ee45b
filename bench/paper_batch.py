"""Benchmark: paper signatures in bulk for a district commitment with 440 signatories.

Prints the draft (WeasyPrint, sheets of 9 with their QR keys), turns it into what a scanner
writes (each page rasterized at 200 dpi by PDFium, greyscale JPEG, put back into an
image-only PDF), then times what the organiser waits for:

- reading a 20-page scan (services.read_paper_batch: rasterize every page, decode its QR
  key, store each matched page alone), and the whole draft's scan (every sheet, 440 people);
- the preview page of the full scan and the confirmation that records 440 paper signatures
  (queries and wall time), and a second confirmation, which must record nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/paper_batch.py

It uses a temporary database (PostgreSQL `konvergensi_bench_paper_batch` when DATABASE_URL
points at one, else SQLite) and MEDIA_ROOT, so it never touches real data. Exits non-zero when a
check fails.
"""

import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import elapsed, throwaway_database  # noqa: E402

drop_database = throwaway_database("konvergensi_bench_paper_batch")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-paper-batch-media-")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from commitments import printing, services, sheets, wording  # noqa: E402
from commitments.models import Signature  # noqa: E402
from documents import jobs  # noqa: E402
from villages.models import District  # noqa: E402
from villages.services import import_regions, parse_region_file  # noqa: E402

SIGNATORIES = 440
SCAN_DPI = 200
SMALL_SCAN_PAGES = 20

override_settings(
    ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
    MFA_REQUIRED=False,
    MAX_UPLOAD_BYTES=50 * 1024 * 1024,
).enable()


def scanned(draft: bytes) -> list:
    """The draft's pages as a scanner sees them: greyscale images at SCAN_DPI."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(draft)
    return [pdf[i].render(scale=SCAN_DPI / 72, grayscale=True).to_pil() for i in range(len(pdf))]


def scan_pdf(images) -> bytes:
    buffer = io.BytesIO()
    images[0].save(
        buffer, "PDF", save_all=True, append_images=images[1:], resolution=SCAN_DPI, quality=75
    )
    return buffer.getvalue()


def main() -> int:
    call_command("migrate", verbosity=0)
    path = Path(settings.REGIONS_DEFAULT_FILE)
    rows = parse_region_file(path.read_bytes(), path.name)
    import_regions([r for r in rows if r.code == "32" or r.code.startswith("32.11")])
    district = District.objects.get(code="32.11")
    admin = User.objects.create_user(email="admin@bench.test", password="bench")
    grant_membership(user=admin, role=Role.DISTRICT_ADMIN, district=district)
    failures = []
    with scopes_disabled():
        text = wording.wording("district", district=district, village=None, year=2026)
        document = services.create_document(
            district=district,
            template="district",
            level="district",
            year=2026,
            title=text["title"],
            preamble=text["preamble"],
            points=text["points"],
            closing=text["closing"],
            place="Sumedang",
            signed_on=date(2026, 3, 18),
            by=admin,
        )
        people = [
            {
                "position": f"Kepala Desa {i + 1} Kecamatan Contoh",
                "name": f"Tokoh Desa Nomor {i + 1}",
            }
            for i in range(SIGNATORIES)
        ]
        services.add_signatories(document, rows=people, by=admin)
        services.open_signing(document, by=admin)
        document.refresh_from_db()
        jobs.hand_over = lambda job: True  # the final PDF is not what this measures
        jobs.run_here = lambda job: None

        started = time.monotonic()
        draft = printing.draft_pdf(document.current_version)
        draft_s = elapsed(started)
        started = time.monotonic()
        images = scanned(draft)
        raster_s = elapsed(started)
        n_sheets = -(-SIGNATORIES // sheets.SHEET_SIZE)
        print(f"draft: {len(images)} pages ({n_sheets} sheets) rendered in {draft_s:.1f} s")
        if len(images) != n_sheets + 1:
            failures.append(f"draft has {len(images)} pages, expected {n_sheets + 1}")
        print(f"'scanner' (PDFium at {SCAN_DPI} dpi): {raster_s:.1f} s")

        # 20 pages: the wording page and 19 sheets
        small = scan_pdf(images[:SMALL_SCAN_PAGES])
        upload = SimpleUploadedFile("pindaian-20.pdf", small)
        started = time.monotonic()
        batch = services.read_paper_batch(
            document, uploads=[upload], signed_on=date(2026, 3, 18), by=admin
        )
        small_s = elapsed(started)
        print(
            f"read a {SMALL_SCAN_PAGES}-page scan ({len(small) / 1e6:.1f} MB): {small_s:.2f} s, "
            f"{small_s / SMALL_SCAN_PAGES * 1000:.0f} ms a page; {len(batch.matched)} matched, "
            f"{len(batch.unmatched)} unmatched"
        )
        if (len(batch.matched), len(batch.unmatched)) != (SMALL_SCAN_PAGES - 1, 1):
            failures.append("20-page scan: expected 19 matched pages and 1 unmatched")

        full = scan_pdf(images)
        started = time.monotonic()
        batch = services.read_paper_batch(
            document,
            uploads=[SimpleUploadedFile("pindaian.pdf", full)],
            signed_on=date(2026, 3, 18),
            by=admin,
        )
        full_s = elapsed(started)
        matched_people = sum(len(p["signatories"]) for p in batch.matched)
        print(
            f"read the full scan, {len(images)} pages ({len(full) / 1e6:.1f} MB): {full_s:.2f} s; "
            f"{len(batch.matched)} sheets matched, {matched_people} signatories"
        )
        if matched_people != SIGNATORIES:
            failures.append(f"full scan matched {matched_people} signatories")

    client = Client()
    client.force_login(admin)
    target = reverse(
        "paper_batch",
        kwargs={
            "district_slug": district.slug,
            "document_id": document.pk,
            "paper_batch_id": batch.pk,
        },
    )
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = client.get(target)
        preview_s = elapsed(started)
    print(
        f"preview page: {preview_s * 1000:.0f} ms, {len(queries)} queries, "
        f"{len(response.content) / 1000:.0f} kB"
    )
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        client.post(target)
        confirm_s = elapsed(started)
    with scopes_disabled():
        recorded = Signature.objects.filter(signatory__version__document=document).count()
    print(f"confirm: {recorded} signatures in {confirm_s:.2f} s, {len(queries)} queries")
    client.post(target)
    with scopes_disabled():
        again = Signature.objects.filter(signatory__version__document=document).count()
    if recorded != SIGNATORIES or again != SIGNATORIES:
        failures.append(f"recorded {recorded}, after a second confirmation {again}")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        code = main()
    finally:
        drop_database()
    sys.exit(code)
