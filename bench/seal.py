"""Benchmark: the electronic seal (documents/seal.py) on a large final PDF, a district commitment
with 440 signatories signed on paper. Times the final PDF's render (as the job runs it) and the
seal on its own (after the certificate is loaded once, as in a worker), and checks that the seal
is one incremental update (the rendered bytes untouched in front, one more %%EOF) that poppler's
`pdfsig` finds valid.

    .venv/bin/python bench/seal.py            # SQLite in a temporary folder

It uses a temporary database (PostgreSQL `konvergensi_bench_seal` when DATABASE_URL points at
one), MEDIA_ROOT and SEAL_DIR (a development certificate made by make_dev_seal's code), so it
never touches real data. Exits non-zero when a check fails.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import elapsed, throwaway_database  # noqa: E402

drop_database = throwaway_database("konvergensi_bench_seal")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-seal-media-")
os.environ["SEAL_DIR"] = tempfile.mkdtemp(prefix="bench-seal-certs-")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from commitments import printing, services, wording  # noqa: E402
from commitments.models import DocumentVersion  # noqa: E402
from documents import jobs  # noqa: E402
from documents.dev_seal import ensure_dev_seals  # noqa: E402
from documents.seal import seal_pdf  # noqa: E402
from lib.pdf import render_pdf  # noqa: E402
from villages.models import District  # noqa: E402
from villages.services import import_regions, parse_region_file  # noqa: E402

SIGNATORIES = 440
SEALS = 5


def main() -> int:
    call_command("migrate", verbosity=0)
    path = Path(settings.REGIONS_DEFAULT_FILE)
    rows = parse_region_file(path.read_bytes(), path.name)
    import_regions([r for r in rows if r.code == "32" or r.code.startswith("32.11")])
    district = District.objects.get(code="32.11")
    ensure_dev_seals([district])
    admin = User.objects.create_user(email="admin@bench.test", password="bench")
    grant_membership(user=admin, role=Role.DISTRICT_ADMIN, district=district)
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
        {"position": f"Kepala Desa {i + 1}", "name": f"Tokoh Desa {i + 1}"}
        for i in range(SIGNATORIES)
    ]
    services.add_signatories(document, rows=people, by=admin)
    services.open_signing(document, by=admin)
    from convergence.demo import demo_pdf

    paper = demo_pdf("Lembar tanda tangan", "Benchmark")
    jobs.hand_over = lambda job: True  # the render is timed below, not run by the last signature
    jobs.run_here = lambda job: None
    version = document.current_version
    for signatory in list(version.signatories.order_by("order")):
        upload = SimpleUploadedFile("lembar.pdf", paper, content_type="application/pdf")
        services.sign_on_paper(document, signatory=signatory, upload=upload, by=admin)

    version = DocumentVersion.objects.select_related("document__district").get(pk=version.pk)
    started = time.monotonic()
    pdf = render_pdf(printing.document_html(version))
    render_s = elapsed(started)
    seal_pdf(pdf, district=district, reason="pemanasan")  # loads the certificate once
    times = []
    for _ in range(SEALS):
        started = time.monotonic()
        sealed = seal_pdf(pdf, district=district, reason="Dokumen komitmen final")
        times.append(elapsed(started))

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(sealed.pdf)
        f.flush()
        report = subprocess.run(["pdfsig", f.name], capture_output=True, text=True).stdout
        pages = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
    pages = next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))
    checks = {
        "one incremental update (the rendered bytes in front)": sealed.pdf.startswith(pdf),
        "one more %%EOF": sealed.pdf.count(b"%%EOF") == pdf.count(b"%%EOF") + 1,
        "pdfsig: Signature is Valid.": "Signature Validation: Signature is Valid." in report,
    }
    print(f"| {SIGNATORIES} signatories, {pages} pages | seconds |")
    print("|---|---|")
    print(f"| render (WeasyPrint) | {render_s:.2f} |")
    print(f"| seal, median of {SEALS} | {statistics.median(times):.3f} |")
    print(f"| seal, slowest | {max(times):.3f} |")
    print(f"\nPDF {len(pdf):,} bytes, sealed {len(sealed.pdf):,} (+{len(sealed.pdf) - len(pdf):,})")
    for check, ok in checks.items():
        print(f"{'ok ' if ok else 'FAILED'} {check}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    try:
        with scopes_disabled():
            code = main()
    finally:
        drop_database()
    sys.exit(code)
