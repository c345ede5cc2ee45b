"""Benchmark: 2,000 participants pasted into a district rembuk at once.

Loads the region list of Kabupaten Sumedang, makes a district rembuk and posts 2,000 lines of
"name; position; organisation" to the participants page, as the organiser's browser does (the
view parses, checks duplicates and bulk-creates). Ten of the lines repeat an earlier one and
five are bad, so the report of skipped lines is built too. Then it posts the same paste again
(every line is skipped as already present), and measures the participants page and the
session page with 2,000 people on them. Then a district commitment document gets one
signature block per village of one kecamatan and, on another, of the whole district (277
villages; the query counts must match), the same 2,000 lines pasted as signatories, and its
page is measured. It prints the wall time and the SQL queries of each step, and fails when a
query count grows with the size (2,000 lines against 30; a district against a kecamatan).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/participants.py

It creates and drops its own database `konvergensi_bench_participants` (PostgreSQL) or uses a
temporary SQLite file, so it never touches real data. BENCH_KEEP_DB=1 keeps the database.
"""

import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SMALL, elapsed, in_small_slice, throwaway_database  # noqa: E402

drop_database = throwaway_database("konvergensi_bench_participants")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from commitments import services as commitments  # noqa: E402
from commitments.models import Signatory  # noqa: E402
from rembuk import services  # noqa: E402
from rembuk.models import Participant  # noqa: E402
from villages.models import District, Village  # noqa: E402
from villages.services import import_regions, parse_region_file  # noqa: E402

DISTRICT = "32.11"  # Kabupaten Sumedang
PEOPLE = 300 if SMALL else 2000
FEW = 30  # the small paste the query count is compared with
REQUESTS = 3 if SMALL else 10
REPEATS, BAD = 10, 5

override_settings(
    ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
    MFA_REQUIRED=False,
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
).enable()


def load_district():
    path = Path(settings.REGIONS_DEFAULT_FILE)
    rows = [
        r
        for r in parse_region_file(path.read_bytes(), path.name)
        if r.code in ("32", DISTRICT) or r.code.startswith(DISTRICT + ".")
        if not SMALL or in_small_slice(r.code)
    ]
    import_regions(rows)


def paste(n: int, tag: str) -> str:
    """n lines: people of every kind a district rembuk has, numbered as a copied list; the
    last REPEATS repeat earlier lines, and BAD lines have no name."""
    kinds = [
        ("Kepala Desa {i}", "Pemerintah Desa {i}"),
        ("Kepala Puskesmas", "Puskesmas {i}"),
        ("Ketua TP PKK", "PKK Desa {i}"),
        ("Duta Remaja", "Desa {i}"),
    ]
    lines = []
    for i in range(1, n - REPEATS - BAD + 1):
        position, organisation = kinds[i % len(kinds)]
        lines.append(f"{i}. {tag} Peserta {i}; {position.format(i=i)}; {organisation.format(i=i)}")
    lines += [lines[k] for k in range(REPEATS)]
    lines += [f"; Jabatan tanpa nama {k}" for k in range(BAD)]
    return "\n".join(lines)


def timed_post(client, url, data):
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = client.post(url, data)
        seconds = elapsed(started)
    return response, seconds, len(queries)


def measure(client, url):
    client.get(url)  # warm-up
    times = []
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as queries:
            started = time.monotonic()
            response = client.get(url)
            times.append(1000 * elapsed(started))
    return {
        "status": response.status_code,
        "queries": len(queries),
        "median": statistics.median(times),
        "bytes": len(response.content),
    }


def main():
    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"engine={engine} cpus={os.cpu_count()} people={PEOPLE}")
    load_district()
    with scopes_disabled():
        district = District.objects.get(code=DISTRICT)
        admin = User.objects.create_user(
            email="admin@bench.test", password="bench", full_name="Sekretariat TPPS"
        )
        grant_membership(user=admin, role=Role.DISTRICT_ADMIN, district=district)
        sessions = [
            services.create_session(
                district=district,
                level="district",
                by=admin,
                title=f"Rembuk Stunting {district.name} {n}",
                starts_at=datetime(2026, 3, 18, 9, 0, tzinfo=district.tz),
                venue="Gedung Negara",
            )
            for n in (FEW, PEOPLE)
        ]
    client = Client()
    client.force_login(admin)
    rows = []
    for session, n in zip(sessions, (FEW, PEOPLE), strict=True):
        url = reverse(
            "rembuk_participants", kwargs={"district_slug": district.slug, "session_id": session.pk}
        )
        client.get(url)  # the session and the user's caches warm, as for a person on the page
        response, seconds, queries = timed_post(client, url, {"lines": paste(n, "Baru")})
        assert response.status_code == 302, response.status_code
        report = client.get(url).content.decode()
        with scopes_disabled():
            count = Participant.objects.filter(session=session).count()
        rows.append((f"paste {n} lines", seconds, queries, count))
        assert count == n - REPEATS - BAD, count
        assert f"{REPEATS} ganda dalam tempelan" in report and f"{BAD} baris tidak sah" in report
    big = sessions[1]
    url = reverse(
        "rembuk_participants", kwargs={"district_slug": district.slug, "session_id": big.pk}
    )
    response, seconds, queries = timed_post(client, url, {"lines": paste(PEOPLE, "Baru")})
    with scopes_disabled():
        count = Participant.objects.filter(session=big).count()
    rows.append((f"paste {PEOPLE} again", seconds, queries, count))
    assert count == PEOPLE - REPEATS - BAD, count

    print()
    header = f"{'step':<24} {'seconds':>8} {'queries':>8} {'participants':>12}"
    print(header)
    print("-" * len(header))
    for label, seconds, queries, count in rows:
        print(f"{label:<24} {seconds:8.2f} {queries:>8} {count:>12}")

    kwargs = {"district_slug": district.slug, "session_id": big.pk}
    pages = {
        "participants page": measure(client, reverse("rembuk_participants", kwargs=kwargs)),
        "session page": measure(client, reverse("rembuk_detail", kwargs=kwargs)),
    }
    print()
    header = f"{'page':<24} {'st':>3} {'queries':>8} {'median ms':>9} {'KB':>7}"
    print(header)
    print("-" * len(header))
    for label, r in pages.items():
        print(
            f"{label:<24} {r['status']:>3} {r['queries']:>8} {r['median']:>9.1f} "
            f"{r['bytes'] / 1024:>7.1f}"
        )

    blocks = signatory_blocks(client, district, admin)
    print()
    header = f"{'signatories':<32} {'seconds':>8} {'queries':>8} {'signatories':>12}"
    print(header)
    print("-" * len(header))
    for label, seconds, queries, count in blocks:
        print(f"{label:<32} {seconds:8.2f} {queries:>8} {count:>12}")

    few, many = rows[0][2], rows[1][2]
    ok = (
        few == many
        and all(r["status"] == 200 for r in pages.values())
        and blocks[0][2] == blocks[1][2]
    )
    print()
    print(
        f"{'OK' if ok else 'PROBLEM'}: {PEOPLE} pasted lines ({PEOPLE - REPEATS - BAD} added, "
        f"{REPEATS} repeats and {BAD} bad lines skipped and listed) in {rows[1][1]:.2f} s and "
        f"{many} queries ({FEW} lines: {few} queries); the same paste again "
        f"{rows[2][1]:.2f} s, {rows[2][2]} queries; village blocks for {blocks[1][3]} villages "
        f"{blocks[1][1]:.2f} s, {blocks[1][2]} queries ({blocks[0][3]} villages: "
        f"{blocks[0][2]} queries)"
    )
    if not ok:
        sys.exit(1)


def signatory_blocks(client, district, admin):
    """A district commitment: one block per village of the whole district, then per one
    small kecamatan on another document (the query counts must match), then the same paste
    of people as signatories, and the document page."""
    with scopes_disabled():
        documents = [
            commitments.create_document(
                district=district,
                template="district",
                level="district",
                year=2026,
                title=f"Komitmen {n}",
                preamble="Kami yang bertanda tangan di bawah ini berkomitmen untuk:",
                points=["Satu."],
                closing="",
                place="Sumedang",
                signed_on=datetime(2026, 3, 18).date(),
                by=admin,
            )
            for n in (1, 2)
        ]
        kecamatan_id = (
            Village.objects.filter(district=district)
            .values_list("kecamatan_id", flat=True)
            .order_by("kecamatan__name")
            .first()
        )
    results = []
    for document, scope in ((documents[0], f"kec-{kecamatan_id}"), (documents[1], "semua")):
        url = reverse(
            "signatories_bulk",
            kwargs={"district_slug": district.slug, "document_id": document.pk},
        )
        client.get(url)
        response, seconds, queries = timed_post(client, url, {"aksi": "wilayah", "scope": scope})
        assert response.status_code == 302, response.status_code
        with scopes_disabled():
            count = Signatory.objects.filter(version__document=document).count()
        label = "blocks: one kecamatan" if scope != "semua" else "blocks: every village"
        results.append((label, seconds, queries, count))
    document = documents[1]
    url = reverse(
        "signatories_bulk", kwargs={"district_slug": district.slug, "document_id": document.pk}
    )
    response, seconds, queries = timed_post(
        client, url, {"aksi": "tempel", "lines": paste(PEOPLE, "Penanda")}
    )
    with scopes_disabled():
        count = Signatory.objects.filter(version__document=document).count()
    results.append((f"paste {PEOPLE} lines", seconds, queries, count))
    page = measure(
        client,
        reverse(
            "commitment_detail",
            kwargs={"district_slug": district.slug, "document_id": document.pk},
        ),
    )
    results.append(
        (
            f"document page (median, {page['bytes'] // 1024} KB)",
            page["median"] / 1000,
            page["queries"],
            count,
        )
    )
    return results


try:
    main()
finally:
    drop_database()
