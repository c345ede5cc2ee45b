"""Benchmark: one village document for each of a district's 850 villages, from a district
template, and a follow-up point for all 850 at once.

Builds a district of 850 villages in 34 kecamatan (one village in ten a kelurahan; one in
eight has a village head with a portal account, the rest are named in their profile or not at
all), a district admin and a village template. Then, through the pages as the admin does it:
issues the template to every village (time and queries), issues it again (nothing is added),
issues another template to one kecamatan of 25 villages (the query count must equal the 850's),
reads the completion list and the commitment list (median of several requests, queries, size),
tracks a point of a signed district document for every village and two agencies, and reads the
follow-up list with its roll-up line.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/village_documents.py

It creates and drops its own database `konvergensi_bench_villagedocs` (PostgreSQL) or uses a
temporary SQLite file, so it never touches real data. BENCH_KEEP_DB=1 keeps the database.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SMALL as SMALL_RUN  # noqa: E402
from common import elapsed, throwaway_database  # noqa: E402

drop_database = throwaway_database("konvergensi_bench_villagedocs")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-villagedocs-media-")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Membership, Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from commitments import services  # noqa: E402
from commitments.models import CommitmentDocument, FollowUp  # noqa: E402
from villages.models import Agency, District, Kecamatan, Village, VillageProfile  # noqa: E402
from villages.services import ensure_default_agencies, import_regions, parse_region_file  # noqa: E402

VILLAGES = 85 if SMALL_RUN else 850
KECAMATAN = 34
HEAD_EVERY = 8
REQUESTS = 3 if SMALL_RUN else 10

override_settings(
    ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
    MFA_REQUIRED=False,
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
).enable()


def regions_csv() -> bytes:
    lines = ["kode,nama", "32,Jawa Barat", "32.11,Kabupaten Sumedang"]
    per = -(-VILLAGES // KECAMATAN)
    made = 0
    for k in range(1, KECAMATAN + 1):
        lines.append(f"32.11.{k:02d},Kecamatan {k}")
        for i in range(per):
            if made == VILLAGES:
                break
            kind = 1 if made % 10 == 0 else 2
            lines.append(f"32.11.{k:02d}.{kind}{i + 1:03d},Desa {k}-{i + 1}")
            made += 1
    return "\n".join(lines).encode()


def build():
    import_regions(parse_region_file(regions_csv(), "regions.csv"))
    district = District.objects.get(code="32.11")
    ensure_default_agencies(district)
    admin = User.objects.create_user(email="admin@bench.test", password="x", full_name="Admin")
    grant_membership(user=admin, role=Role.DISTRICT_ADMIN, district=district)
    villages = list(Village.objects.filter(district=district).order_by("code"))
    password = make_password("x")
    heads = User.objects.bulk_create(
        User(email=f"kades{i}@bench.test", password=password, full_name=f"Kepala {v.name}")
        for i, v in enumerate(villages)
        if i % HEAD_EVERY == 0
    )
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.VILLAGE_HEAD, district=district, village=v)
        for u, v in zip(heads, villages[::HEAD_EVERY], strict=True)
    )
    VillageProfile.objects.bulk_create(
        VillageProfile(village=v, district=district, head_name=f"Bapak {v.name}")
        for i, v in enumerate(villages)
        if i % HEAD_EVERY and i % 3 == 0
    )
    template = services.save_template(
        district=district,
        kind="village",
        name="Komitmen desa",
        title="KOMITMEN {DESA} DALAM PENCEGAHAN STUNTING TAHUN {tahun}",
        preamble="Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami "
        "pemerintah dan unsur masyarakat {desa}, Kecamatan {kecamatan}, berkomitmen untuk:",
        points=[f"Butir {i} untuk {{desa}} tahun {{tahun_depan}}." for i in range(1, 7)],
        closing="Demikian komitmen ini kami buat.",
        by=admin,
    )
    other = services.save_template(
        district=district,
        kind="village",
        name="Komitmen kecamatan",
        title="KOMITMEN {DESA} TAHUN {tahun}",
        preamble="Kami {desa}:",
        points=["Satu."],
        closing="",
        by=admin,
    )
    return district, admin, template, other


def timed_post(client, url, data):
    with CaptureQueriesContext(connection) as captured:
        started = time.monotonic()
        response = client.post(url, data)
        seconds = elapsed(started)
    assert response.status_code == 302, (url, response.status_code)
    return seconds, len(captured.captured_queries), response


def page(client, url):
    times = []
    for i in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            started = time.monotonic()
            response = client.get(url)
            times.append(elapsed(started) * 1000)
        assert response.status_code == 200, url
        if i == 0:
            queries = len(captured.captured_queries)
    return statistics.median(times), queries, len(response.content)


def main():
    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"engine={engine} cpus={os.cpu_count()} villages={VILLAGES} requests/page={REQUESTS}")
    with scopes_disabled():
        district, admin, template, other = build()
        slug = district.slug
        client = Client()
        client.force_login(admin)
        issue_url = reverse("commitment_issue_create", kwargs={"district_slug": slug})
        client.get(issue_url)
        post = {"year": 2026, "signed_on": "2026-08-12", "kecamatan": ""}

        seconds, queries, response = timed_post(
            client, issue_url, {**post, "template": template.pk, "scope": "all"}
        )
        made = CommitmentDocument.objects.filter(district=district).count()
        all_queries = queries
        print(f"issue to every village     {seconds:6.2f} s {queries:3d} queries {made} documents")
        detail_url = response["Location"]
        seconds, queries, _r = timed_post(
            client, issue_url, {**post, "template": template.pk, "scope": "all"}
        )
        again = CommitmentDocument.objects.filter(district=district).count()
        print(f"issue again (idempotent)   {seconds:6.2f} s {queries:3d} queries {again} documents")
        first = Kecamatan.objects.filter(district=district).order_by("code").first()
        n_small = Village.objects.filter(kecamatan=first).count()
        seconds, small_queries, _r = timed_post(
            client,
            issue_url,
            {**post, "template": other.pk, "scope": "kecamatan", "kecamatan": first.pk},
        )
        print(
            f"issue to one kecamatan     {seconds:6.2f} s {small_queries:3d} queries "
            f"{n_small} documents"
        )

        for label, url in (
            ("completion list", detail_url),
            ("commitment list", reverse("commitment_list", kwargs={"district_slug": slug})),
        ):
            median, queries, size = page(client, url)
            print(f"{label:26} {median:6.0f} ms {queries:3d} queries {size // 1024} KiB")

        # a signed district document: a point for every village and two agencies
        document = services.create_document(
            district=district,
            template="district",
            level="district",
            year=2026,
            title="Komitmen bersama",
            preamble="Kami:",
            points=["Satu.", "Dua."],
            closing="",
            place="Sumedang",
            signed_on=district.local_now().date(),
            by=admin,
        )
        CommitmentDocument.objects.filter(pk=document.pk).update(status="signed")
        agencies = Agency.objects.filter(district=district).order_by("pk")[:2]
        follow_url = reverse(
            "follow_up_create", kwargs={"district_slug": slug, "document_id": document.pk}
        )
        seconds, queries, _r = timed_post(
            client,
            follow_url,
            {
                "point": 1,
                "owner": ["semua-desa", *(f"a{a.pk}" for a in agencies)],
                "due_on": "2026-12-31",
            },
        )
        rows = FollowUp.objects.filter(document=document).count()
        print(f"follow a point (all)       {seconds:6.2f} s {queries:3d} queries {rows} rows")
        median, queries, size = page(
            client, reverse("follow_up_list", kwargs={"district_slug": slug})
        )
        print(
            f"follow-up list (roll-up)   {median:6.0f} ms {queries:3d} queries {size // 1024} KiB"
        )
        assert made == again == VILLAGES, (made, again)
        assert small_queries == all_queries, (small_queries, all_queries)
        assert rows == VILLAGES + 2, rows
    print(f"OK: {VILLAGES} documents once, the same {all_queries} queries for {n_small} villages")
    drop_database()


if __name__ == "__main__":
    main()
