"""The data bench/load.py measures, built into the database DATABASE_URL names (not a throwaway
one: the load test then runs gunicorn on it).

    createdb -h 127.0.0.1 -U postgres konvergensi_load
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konvergensi_load \\
        .venv/bin/python bench/load_data.py

Steps (each skips what exists, so a second run only fills gaps):
- the national region list (514 districts, 83,762 villages) and seed_demo's two districts with
  their accounts (Kabupaten Sumedang, 270 villages: board, reports, commitments, outcomes);
- the district with the most villages (852) gets a district admin and its first-quarter
  scorecard for every village (a third sent, a third verified, a third missing);
- Sumedang gets the big commitment: the Bupati, the Sekda and 438 more signatories on paper
  (440), all but the last signed, so the page shows the whole grid and the hash chain;
- ANALYZE, as autovacuum would on a database in use (a fresh load has no statistics).

When `manage.py generate_dataset --scale national` exists (another change of issue 13), it
builds a richer national dataset; bench/load.py reads whatever the database holds and needs
only the accounts listed in its header.
"""

import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("MFA_REQUIRED", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from commitments import services as commitment_services  # noqa: E402
from commitments import wording  # noqa: E402
from commitments.models import CommitmentDocument  # noqa: E402
from village_reports import reports  # noqa: E402
from village_reports.demo import _post, scorecard_data  # noqa: E402
from village_reports.models import ReportPeriod, VillageReport  # noqa: E402
from villages.models import District, Village  # noqa: E402

PASSWORD = "konvergensi-demo-2026"  # noqa: S105 (seed_demo's printed demo password)
BIG_ADMIN = "admin.besar@bench.test"
BIG_TITLE = "Komitmen Bersama Percepatan Penurunan Stunting (440 penanda tangan)"
SIGNATORIES = 440


def step(label, started):
    print(f"{label:<48} {time.monotonic() - started:6.1f} s", flush=True)


def biggest_district():
    return (
        District.objects.active()
        .annotate(n=Count("villages", filter=Q(villages__retired_at__isnull=True)))
        .order_by("-n", "code")
        .first()
    )


def big_district():
    district = biggest_district()
    admin = User.objects.filter(email=BIG_ADMIN).first()
    if admin is None:
        admin = User.objects.create_user(
            email=BIG_ADMIN, password=PASSWORD, full_name="Admin Kabupaten Terbesar"
        )
        grant_membership(user=admin, role=Role.DISTRICT_ADMIN, district=district)
    year = district.local_now().year
    reports.create_periods(district=district, year=year, by=admin)
    period = ReportPeriod.objects.get(district=district, year=year, kind="scorecard", number=1)
    done = set(VillageReport.objects.filter(period=period).values_list("village_id", flat=True))
    villages = list(Village.objects.active().filter(district=district).order_by("code"))
    today = district.local_now().date()
    for i, village in enumerate(villages):
        if village.pk in done or i % 3 == 2:  # a third stays missing
            continue
        report = reports.save_draft(
            village=village,
            period=period,
            posted=_post(scorecard_data(i, head="Kepala Desa", secretary="Sekretaris Desa")),
            by=admin,
        )
        report = reports.submit_report(report=report, by=admin, today=today)
        if i % 3 == 1:
            reports.verify_report(report=report, by=admin)
    return district, len(villages)


def big_commitment():
    district = District.objects.get(code="32.11")
    if CommitmentDocument.objects.filter(district=district, versions__title=BIG_TITLE).exists():
        return
    admin = User.objects.get(email="district.admin.sumedang@demo.konvergensi.id")
    year = district.local_now().year
    text = wording.wording("district", district=district, village=None, year=year)
    document = commitment_services.create_document(
        district=district,
        template="district",
        level="district",
        year=year,
        title=BIG_TITLE,
        preamble=text["preamble"],
        points=text["points"],
        closing=text["closing"],
        place="Sumedang",
        signed_on=date(year, 3, 18),
        by=admin,
    )
    villages = list(Village.objects.active().filter(district=district).order_by("code"))
    rows = [
        {"position": "Bupati Sumedang", "name": district.head_name or "Bupati"},
        {"position": "Sekretaris Daerah", "name": district.sekda_name or "Sekda"},
    ]
    for i in range(SIGNATORIES - 2):
        village = villages[i % len(villages)]
        role = "Kepala Desa" if i < len(villages) else "Ketua BPD"
        rows.append({"position": f"{role} {village.name}", "name": f"Penanda Tangan {i + 1}"})
    commitment_services.add_signatories(document, rows=rows, by=admin)
    commitment_services.open_signing(document, by=admin)
    from convergence.demo import demo_pdf

    paper = demo_pdf("Lembar tanda tangan", "Uji beban")
    signatories = list(document.current_version.signatories.order_by("order"))
    for s in signatories[:-1]:  # the last one unsigned: no final PDF rendered
        upload = SimpleUploadedFile("lembar.pdf", paper, content_type="application/pdf")
        commitment_services.sign_on_paper(document, signatory=s, upload=upload, by=admin)


def main():
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("import_regions", if_empty=True, verbosity=0)
    step("migrate + region list", started)
    started = time.monotonic()
    call_command("seed_demo", password=PASSWORD, verbosity=0)
    step("seed_demo (Sumedang, TTS, accounts)", started)
    with scopes_disabled():
        started = time.monotonic()
        district, n = big_district()
        step(f"{district.name}: {n} villages, Q1 scorecards", started)
        started = time.monotonic()
        big_commitment()
        step(f"commitment with {SIGNATORIES} signatories", started)
    # the planner's statistics, as autovacuum leaves them on a database in use: without them
    # PostgreSQL expects one row where a document has 440 and plans the pages accordingly
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    step("statistics (ANALYZE)", started)


if __name__ == "__main__":
    main()
