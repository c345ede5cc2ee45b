"""Benchmark: a district commitment with 122 signatories (the Bupati, the Sekda and 120 village
heads) prints with its signature grid breaking cleanly across pages, in under 20 s.

Loads the region list of one province (Jawa Barat), takes 120 villages of Kabupaten Sumedang
(every other one by code, so that kelurahan with their civil-servant lurah and NIP are among
them) and gives each a village head with a portal account. A district document from the
district template gets 122 signatories; the 120 heads sign in the portal (with a fast password
hasher: the benchmark measures documents, not password hashing), the Bupati and the Sekda on
paper. Then it times the final PDF (services.render_final, what the Celery job runs) end to
end, and the unsigned draft on F4 and A4. Each PDF's grid is checked with `pdftotext -layout`
page by page: every signatory's name, NIP (when he has one) and signature box are on one page,
the three blocks of a grid row are on the same page, and pages follow the signing order.
Finally it measures the document page and the list page (queries, median and p95, size) for
the 122-signatory document and for a 12-signatory one: the query counts must be the same.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/commitments.py

It creates and drops its own database `konvergensi_bench_commitments` (PostgreSQL) or uses a
temporary SQLite file, and stores files in a temporary MEDIA_ROOT, so it never touches real
data. BENCH_KEEP_DB=1 keeps the database.
"""

import logging
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SMALL as SMALL_RUN  # noqa: E402
from common import elapsed, in_small_slice, shape, throwaway_database  # noqa: E402

drop_database = throwaway_database("konvergensi_bench_commitments")
MEDIA = tempfile.mkdtemp(prefix="bench-commitments-media-")
os.environ["MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Membership, Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from commitments import printing, services, wording  # noqa: E402
from commitments.models import (  # noqa: E402
    CommitmentDocument,
    DocumentVersion,
    Signatory,
)
from documents import jobs  # noqa: E402
from documents.models import Job  # noqa: E402
from villages.models import District, Village, VillageKind  # noqa: E402
from villages.services import ensure_default_agencies, import_regions, parse_region_file  # noqa: E402

PROVINCE = "32"
DISTRICT = "32.11"  # Kabupaten Sumedang
HEADS = 40 if SMALL_RUN else 120  # 40: still enough for a grid over three pages
SMALL = 6 if SMALL_RUN else 12  # signatories of the small document the query counts compare
YEAR = 2026
RENDER_LIMIT_S = 20.0
REQUESTS = 3 if SMALL_RUN else 10
SLOW_MS = 1000
PASSWORD = "bench"  # noqa: S105
SAVE_TO = os.environ.get("BENCH_SAVE_PDF")  # a folder: keep the PDFs to look at
FIRST = ["Asep", "Dedi", "Ujang", "Yayat", "Cecep", "Dadang", "Euis", "Iis", "Neneng", "Tati"]
LAST = ["Saepudin", "Sutisna", "Hidayat", "Rukmana", "Permana", "Suryana", "Kurniawan", "Rahmat"]
INITIAL = "ABCDEFGHJKLMNPRSTUW"  # a middle initial keeps 120 names unique and short

override_settings(
    ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
    MFA_REQUIRED=False,
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
).enable()


# --- Dataset --------------------------------------------------------------------------------


def load_province():
    path = Path(settings.REGIONS_DEFAULT_FILE)
    rows = [
        r
        for r in parse_region_file(path.read_bytes(), path.name)
        if r.code.split(".")[0] == PROVINCE and (not SMALL_RUN or in_small_slice(r.code))
    ]
    started = time.monotonic()
    result = import_regions(rows)
    return elapsed(started), result.summary


def person(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {INITIAL[i // 8 % len(INITIAL)]}. {LAST[i % len(LAST)]}"


def lurah_nip(i: int) -> str:
    """A well-formed NIP: born 1970-1984, appointed 25 years later, sex, serial."""
    born = 1970 + i % 15
    return f"{born}{i % 12 + 1:02d}{i % 27 + 1:02d}{born + 25}{i % 12 + 1:02d}{1 + i % 2}{i:03d}"


def build(district):
    """Admin, Sekda and 120 village heads (users and memberships); returns them and the
    villages."""
    district.paper_size = "F4"
    district.head_name = "Dr. H. Ahmad Sudrajat, M.Si."
    district.sekda_name = "Drs. Budi Santoso, M.Si."
    district.sekda_nip = "196805121990031007"
    district.letterhead_name = district.default_letterhead_name()
    district.letterhead_address = "Jalan Prabu Geusan Ulun Nomor 36, Sumedang 45311"
    district.save()
    ensure_default_agencies(district)
    admin = User.objects.create_user(
        email="admin@bench.test", password=PASSWORD, full_name="Sekretariat TPPS"
    )
    grant_membership(user=admin, role=Role.DISTRICT_ADMIN, district=district)
    villages = list(
        Village.objects.active()
        .filter(district=district)
        .select_related("kecamatan")
        .order_by("code")[::2][:HEADS]
    )
    password = make_password(PASSWORD)
    heads = User.objects.bulk_create(
        [
            User(
                email=f"kades.{v.code.replace('.', '')}@bench.test",
                full_name=person(i),
                password=password,
            )
            for i, v in enumerate(villages)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                role=Role.VILLAGE_HEAD,
                district=district,
                village=village,
                position=head_position(village),
            )
            for user, village in zip(heads, villages, strict=True)
        ]
    )
    return admin, list(zip(heads, villages, strict=True))


def head_position(village) -> str:
    if village.kind == VillageKind.KELURAHAN:
        return f"Lurah {village.name}"
    return f"Kepala Desa {village.name}"


def head_row(i, user, village) -> dict:
    row = {
        "position": head_position(village),
        "name": user.full_name,
        "organisation": f"Kecamatan {village.kecamatan.name}",
        "user": user,
    }
    if village.kind == VillageKind.KELURAHAN:  # a lurah is a civil servant
        row.update(rank="Penata Tingkat I (III/d)", nip=lurah_nip(i))
    return row


def make_document(district, admin, heads, *, officials: bool):
    """A district document with the Bupati and the Sekda (when `officials`) and `heads`."""
    day = date(YEAR, 3, 18)
    text = wording.wording("district", district=district, village=None, year=YEAR)
    document = services.create_document(
        district=district,
        template="district",
        level="district",
        year=YEAR,
        title=text["title"],
        preamble=text["preamble"],
        points=text["points"],
        closing=text["closing"],
        place="Sumedang",
        signed_on=day,
        by=admin,
    )
    rows = []
    if officials:
        rows += [
            {"position": "Bupati Sumedang", "name": district.head_name},
            {
                "position": "Sekretaris Daerah Kabupaten Sumedang",
                "name": district.sekda_name,
                "rank": "Pembina Utama Madya (IV/d)",
                "nip": district.sekda_nip,
            },
        ]
    rows += [head_row(i, user, village) for i, (user, village) in enumerate(heads)]
    services.add_signatories(document, rows=rows, by=admin)
    services.open_signing(document, by=admin)
    return document


PAPER = None


def paper_page():
    global PAPER
    if PAPER is None:
        from convergence.demo import demo_pdf

        PAPER = demo_pdf("Lembar tanda tangan", "Benchmark")
    return SimpleUploadedFile("lembar.pdf", PAPER, content_type="application/pdf")


def sign_all(document, admin):
    """Everyone signs (portal users with their password, the rest on paper). The render the
    last signature starts is held back and returned, to be timed on its own."""
    queued = []
    # the job the last signature creates is kept instead of handed to a worker or run in place
    original = jobs.hand_over, jobs.run_here
    jobs.hand_over = lambda job: queued.append((job.pk, True)) or True
    jobs.run_here = lambda job: queued.append((job.pk, False))
    try:
        version = document.current_version
        started = time.monotonic()
        for s in list(version.signatories.select_related("user").order_by("order")):
            if s.user_id:
                services.sign_in_portal(
                    document,
                    signatory=s,
                    user=s.user,
                    password=PASSWORD,
                    content_sha256=version.content_sha256(),
                )
            else:
                services.sign_on_paper(document, signatory=s, upload=paper_page(), by=admin)
        seconds = elapsed(started)
    finally:
        jobs.hand_over, jobs.run_here = original
    return seconds, queued


# --- The PDF and its grid -------------------------------------------------------------------


def page_texts(pdf: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True)
        pages = int(
            next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:")).split()[1]
        )
        texts = []
        for n in range(1, pages + 1):
            out = subprocess.run(
                ["pdftotext", "-layout", "-f", str(n), "-l", str(n), f.name, "-"],
                capture_output=True,
                text=True,
                check=True,
            )
            texts.append(" ".join(out.stdout.split()))
    return texts


def check_grid(pdf: bytes, signatories: list[Signatory], *, signed: bool) -> dict:
    """Where each signature block landed, and what is wrong with it."""
    texts = page_texts(pdf)
    return grid_problems(texts, signatories, signed=signed) | {"texts": texts}


def grid_problems(texts: list[str], signatories: list[Signatory], *, signed: bool) -> dict:
    annex = next((n for n, t in enumerate(texts) if "Lampiran: lembar tanda tangan" in t), None)
    grid_pages = texts[:annex] if annex is not None else texts
    problems = []
    page_of = {}
    for s in signatories:
        found = [n for n, t in enumerate(grid_pages) if s.name in t]
        if len(found) != 1:
            problems.append(f"{s.order}. {s.name}: on grid pages {[n + 1 for n in found]}")
            continue
        page = found[0]
        page_of[s.order] = page
        if s.nip and f"NIP. {printing.format_nip(s.nip)}" not in grid_pages[page]:
            problems.append(f"{s.order}. {s.name}: NIP not on page {page + 1} with the name")
    # one signature box per block on each page (a box split from its name would be counted
    # on another page)
    box = "Ditandatangani" if signed else None
    for n, text in enumerate(grid_pages):
        names = sum(1 for p in page_of.values() if p == n)
        if box is not None and text.count(box) != names:
            problems.append(f"page {n + 1}: {names} names, {text.count(box)} signature boxes")
    ordered = [page_of[s.order] for s in signatories if s.order in page_of]
    if ordered != sorted(ordered):
        problems.append("blocks out of order across pages")
    for start in range(0, len(signatories), 3):
        row = {page_of.get(s.order) for s in signatories[start : start + 3]}
        if len(row) != 1:
            pages = sorted(p + 1 for p in row if p is not None)
            problems.append(f"row {start // 3 + 1} split over pages {pages}")
    per_page = Counter(page_of.values())
    return {
        "pages": len(texts),
        "grid_pages": len({p for p in page_of.values()}),
        "per_page": [per_page[n] for n in sorted(per_page)],
        "problems": problems,
        "page_of": page_of,
    }


def time_final(job_id):
    started = time.monotonic()
    services.render_final(job_id)
    seconds = elapsed(started)
    job = Job.objects.get(pk=job_id)
    return seconds, job


def control(texts: list[str], signatories: list[Signatory], page_of: dict) -> list[str]:
    """The check on the final PDF's pages with one block torn apart as a row split by a page
    break would be: the name of the first block of the second grid page moved to the top of
    the third, its signature box left behind. The check must find it, or it proves nothing."""
    first = next(s for s in signatories if page_of.get(s.order) == 1)
    torn = list(texts)
    torn[1] = torn[1].replace(first.name, "", 1)
    torn[2] = first.name + " " + torn[2]
    return grid_problems(torn, signatories, signed=True)["problems"]


def time_draft(district, version, paper):
    district.paper_size = paper
    district.save(update_fields=["paper_size"])
    version = DocumentVersion.objects.select_related("document__district").get(pk=version.pk)
    started = time.monotonic()
    html = printing.document_html(version, draft=True)
    html_s = elapsed(started)
    from lib.pdf import render_pdf

    pdf = render_pdf(html)
    return elapsed(started), html_s, pdf


# --- Pages ----------------------------------------------------------------------------------


def measure(client, url, requests=REQUESTS):
    client.get(url)  # warm
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    status = response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        r = client.get(url)
        if r.streaming:
            b"".join(r.streaming_content)
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    repeated = [
        (n, sql)
        for sql, n in Counter(shape(q["sql"]) for q in captured.captured_queries).items()
        if n >= 3
    ]
    return {
        "status": status,
        "queries": len(captured.captured_queries),
        "median": statistics.median(times),
        "p95": times[math.ceil(0.95 * len(times)) - 1],
        "bytes": len(content),
        "repeated": repeated,
        "url": url,
    }


def measure_pages(district, admin, head, big, small):
    slug = district.slug
    results = {}
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    try:
        for role, user in (("admin", admin), ("head", head)):
            client = Client(raise_request_exception=False)
            client.force_login(user)
            results[(role, "commitment_list", "-")] = measure(
                client, reverse("commitment_list", kwargs={"district_slug": slug})
            )
            for label, document in (("small", small), ("big", big)):
                kwargs = {"district_slug": slug, "document_id": document.pk}
                results[(role, "commitment_detail", label)] = measure(
                    client, reverse("commitment_detail", kwargs=kwargs)
                )
            if role == "admin":
                kwargs = {"district_slug": slug, "document_id": big.pk}
                results[(role, "commitment_pdf", "big")] = measure(
                    client, reverse("commitment_pdf", kwargs=kwargs)
                )
    finally:
        request_log.setLevel(level)
    return results


# --- Main -----------------------------------------------------------------------------------


def main():
    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"engine={engine} cpus={os.cpu_count()} requests/page={REQUESTS}")
    seconds, summary = load_province()
    print(f"region list (province {PROVINCE})     {seconds:6.1f} s {summary}")
    with scopes_disabled():
        district = District.objects.get(code=DISTRICT)
        started = time.monotonic()
        admin, heads = build(district)
        lurah = sum(1 for _u, v in heads if v.kind == VillageKind.KELURAHAN)
        print(
            f"users and memberships           {elapsed(started):6.1f} s "
            f"{len(heads)} village heads ({lurah} lurah with NIP) in {district.name}"
        )
        big = make_document(district, admin, heads, officials=True)
        small = make_document(district, admin, heads[:SMALL], officials=False)
        version = big.current_version
        signatories = list(version.signatories.order_by("order"))
        n = len(signatories)
        # the draft printed for wet signatures, before anyone signs: on the district's F4
        # (first in a fresh process, with WeasyPrint's import and fonts, then again) and on A4
        drafts = {}
        for label, paper in (("F4 cold", "F4"), ("F4", "F4"), ("A4", "A4")):
            draft_s, html_s, pdf = time_draft(district, version, paper)
            drafts[label] = (draft_s, html_s, pdf, check_grid(pdf, signatories, signed=False))
        district.paper_size = "F4"
        district.save(update_fields=["paper_size"])
        sign_s, queued = sign_all(big, admin)
        _small_s, small_queued = sign_all(small, admin)
        print(
            f"signing {n} signatories          {sign_s:6.1f} s "
            f"({1000 * sign_s / n:.0f} ms each: {n - 2} portal, 2 paper)"
        )
        (job_id, large), *_ = queued
        for small_job, _large in small_queued:
            services.render_final(small_job)

        # the final PDF, as the Celery job renders it
        final_s, job = time_final(job_id)
        version.refresh_from_db()
        big.refresh_from_db()
        with version.pdf.open("rb") as f:
            final_pdf = f.read()
        final = check_grid(final_pdf, signatories, signed=True)
        caught = control(final["texts"], signatories, final["page_of"])
        status = CommitmentDocument.objects.get(pk=big.pk).status

    print()
    header = (
        f"{'PDF':<22} {'seconds':>7} {'html s':>6} {'pages':>5} {'grid pp':>7} {'KB':>7}  "
        f"{'blocks per grid page':<34} grid"
    )
    print(header)
    print("-" * len(header))
    rows = [(f"draft {p}", d[0], d[1], d[2], d[3]) for p, d in drafts.items()]
    rows.append(("final (render_final)", final_s, None, final_pdf, final))
    for label, seconds, html_s, pdf, grid in rows:
        html = f"{html_s:6.2f}" if html_s is not None else f"{'-':>6}"
        per_page = " ".join(str(k) for k in grid["per_page"])
        print(
            f"{label:<22} {seconds:7.2f} {html} {grid['pages']:>5} {grid['grid_pages']:>7} "
            f"{len(pdf) / 1024:7.1f}  {per_page:<34} "
            f"{'clean' if not grid['problems'] else 'BROKEN'}"
        )
    print(
        f"(final: job {job.status}, large={large} → Celery job, document {status}, "
        f"{n} signatories; limit {RENDER_LIMIT_S:.0f} s)"
    )
    for label, _s, _h, _pdf, grid in rows:
        for problem in grid["problems"][:20]:
            print(f"grid ({label}): {problem}")
    print(
        f"control: the same check on the final PDF with one block torn over two pages finds "
        f"{len(caught)} problems ({'; '.join(caught[:2])})"
    )
    if SAVE_TO:
        Path(SAVE_TO).mkdir(parents=True, exist_ok=True)
        for label, _s, _h, pdf, _grid in rows:
            name = "final" if label.startswith("final") else label.replace(" ", "-").lower()
            (Path(SAVE_TO) / f"commitment-{name}.pdf").write_bytes(pdf)
        print(f"PDFs saved in {SAVE_TO}")

    with scopes_disabled():
        pages = measure_pages(district, admin, heads[0][0], big, small)
    print()
    header = (
        f"{'page':<18} {'role':<6} {'signat.':>7} {'st':>3} {'queries':>7} {'median ms':>9} "
        f"{'p95 ms':>7} {'KB':>7}"
    )
    print(header)
    print("-" * len(header))
    for (role, name, label), r in pages.items():
        slow = " !" if r["p95"] > SLOW_MS else ""
        print(
            f"{name:<18} {role:<6} {label:>7} {r['status']:>3} {r['queries']:>7} "
            f"{r['median']:>9.1f} {r['p95']:>7.1f} {r['bytes'] / 1024:>7.1f}{slow}"
        )
    print(f"(! p95 over {SLOW_MS} ms; {REQUESTS} requests each after one warm-up)")
    for key, r in pages.items():
        for count, sql in r["repeated"]:
            print(f"repeated {'/'.join(key)}: {count}× {sql[:160]}")

    growing = [
        role
        for role in ("admin", "head")
        if pages[(role, "commitment_detail", "small")]["queries"]
        != pages[(role, "commitment_detail", "big")]["queries"]
    ]
    failing = ["/".join(k) for k, r in pages.items() if r["status"] != 200]
    slow = ["/".join(k) for k, r in pages.items() if r["p95"] > SLOW_MS]
    broken = [label for label, *_rest, grid in rows if grid["problems"]]
    if not caught:
        broken.append("the control (the check found nothing wrong with a torn block)")
    ok = (
        (SMALL_RUN or final_s <= RENDER_LIMIT_S)  # a small run checks that it runs
        and job.status == "done"
        and status == CommitmentDocument.Status.SIGNED
        and not broken
        and not growing
        and not failing
        and (SMALL_RUN or not slow)
    )
    detail = pages[("admin", "commitment_detail", "big")]
    print()
    print(
        f"{'OK' if ok else 'PROBLEM'}: {n} signatories; final PDF {final_s:.1f} s "
        f"(limit {RENDER_LIMIT_S:.0f} s), {final['pages']} pages, {len(final_pdf) / 1024:.0f} KB; "
        f"draft F4 {drafts['F4'][0]:.1f} s ({drafts['F4 cold'][0]:.1f} s in a fresh process), "
        f"A4 {drafts['A4'][0]:.1f} s; grid "
        f"{'breaks cleanly' if not broken else 'BROKEN in ' + ', '.join(broken)}; document "
        f"page {detail['queries']} queries, p95 {detail['p95']:.0f} ms; query counts "
        + (
            "grow on " + ", ".join(growing)
            if growing
            else f"the same for {SMALL} and {HEADS + 2} signatories"
        )
        + (f"; SLOW: {', '.join(slow)}" if slow else "")
        + (f"; FAILED: {', '.join(failing)}" if failing else "")
        + (f"; job {job.status}: {job.message}" if job.status != "done" else "")
    )
    if not ok:
        sys.exit(1)


try:
    main()
finally:
    drop_database()
    shutil.rmtree(MEDIA, ignore_errors=True)
