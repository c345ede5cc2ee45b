"""Benchmark: the village reporting pages over a national dataset.

Loads the national region list, opens the 2026 report periods of every district (514), names
focus villages for 2025 and 2026, files a first-quarter scorecard for every village of the
country (84k rows, mixed statuses, some late) and a second-quarter one for 30% of them, and
gives 1,000 villages a village head (some a KPM too). Then, in two districts (the one with the
most villages and Kabupaten Sumedang), measures the pages of a district admin, a camat and a
village head (SQL queries, median and p95 wall time, response size), once on that dataset and
once after the district has grown (second and third quarters for every village, three
correction versions for 50 villages, more focus villages and decrees): the query counts must
not change. Finally the nightly reminder job runs twice at a fixed moment one day before the
first quarter is due (the second run must send nothing).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/villages.py

It creates and drops its own database `konvergensi_bench_villages` (PostgreSQL) or uses a
temporary SQLite file, so it never touches real data. BENCH_KEEP_DB=1 keeps the database.
"""

import logging
import math
import os
import statistics
import sys
import time
import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BATCH,
    SMALL,
    QueryCounter,
    chunks,
    elapsed,
    load_regions,
    shape,
    throwaway_database,
)

drop_database = throwaway_database("konvergensi_bench_villages")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Membership, Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from village_reports import reports  # noqa: E402
from village_reports.demo import scorecard_data  # noqa: E402
from village_reports.models import (  # noqa: E402
    FocusDecree,
    FocusVillage,
    ReportEvent,
    ReportKind,
    ReportPeriod,
    ReportStatus,
    VillageReminder,
    VillageReport,
)
from villages.models import District, Kecamatan, Village  # noqa: E402

YEAR = 2026
SUMEDANG = "32.11"
REQUESTS = 3 if SMALL else 20
PDF_REQUESTS = 2 if SMALL else 5
SLOW_MS = 500
PDF_SLOW_MS = 3000  # downloads (the PDF and the XLSX export) are files, not pages
FOCUS_PER_YEAR = 20
HEAD_EVERY = 84  # one village in 84 has a village head with an account (~1,000)
# The nightly job at 05:00 UTC (12:00 WIB) on 9 April: the first quarter is due on 10 April,
# so every district reaches its "one day before" threshold; fixed so that the result does not
# depend on the day the benchmark runs.
REMINDER_NOW = datetime(YEAR, 4, 9, 5, 0, tzinfo=UTC)
Status = ReportStatus

override_settings(
    ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
    MFA_REQUIRED=False,
    MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}},
).enable()


# --- Dataset --------------------------------------------------------------------------------


def all_villages():
    """Every active village as (id, district id, kecamatan id, code, name), by code."""
    return list(
        Village.objects.active()
        .order_by("code")
        .values_list("id", "district_id", "kecamatan_id", "code", "name")
    )


_zones = {}


def zone(district_id):
    if district_id not in _zones:
        _zones.update(
            {
                pk: zoneinfo.ZoneInfo(tz)
                for pk, tz in District.objects.values_list("pk", "time_zone")
            }
        )
    return _zones[district_id]


def scorecard_periods():
    """(district id, quarter) → period."""
    return {
        (p.district_id, p.number): p
        for p in ReportPeriod.objects.filter(year=YEAR, kind=ReportKind.SCORECARD)
    }


# 20 slots: 60% verified, 15% waiting for the camat, 10% returned, 5% draft, 10% none
STATUS_SLOTS = (
    [Status.VERIFIED] * 12
    + [Status.SUBMITTED] * 3
    + [Status.RETURNED] * 2
    + [Status.DRAFT]
    + [None] * 2
)


def status_of(i, quarter):
    return STATUS_SLOTS[(i * 7 + quarter * 3) % len(STATUS_SLOTS)]


def report_rows(village, period, status, i, *, version=1, actor=None, camat=None):
    """One version of a village's scorecard in `status`, sent between nine days before and
    four days after the due date (a quarter of them late), decided two days later, with the
    events that lead there."""
    village_id, district_id, _kecamatan_id, _code, name = village
    data = scorecard_data(i % 61, head=f"Kepala Desa {name}", secretary=f"Sekretaris Desa {name}")
    report = VillageReport(
        district_id=district_id,
        village_id=village_id,
        period_id=period.pk,
        version=version,
        status=status,
        data=data,
        created_by=actor,
    )
    events = []
    if version > 1:
        events.append(
            ReportEvent(
                report=report,
                district_id=district_id,
                from_status="",
                to_status=Status.DRAFT,
                remark=f"Koreksi atas versi {version - 1}",
                actor=actor,
                at=datetime.combine(period.due_on, clock(8, 0), tzinfo=zone(district_id))
                + timedelta(days=version * 3),
            )
        )
    first_on = period.due_on + timedelta(days=(i * 13) % 14 - 9)
    first = datetime.combine(first_on, clock(9, 30), tzinfo=zone(district_id))
    if version > 1:
        report.first_submitted_at = first  # a correction keeps the first sending
    if status == Status.DRAFT:
        return report, events
    sent = first + timedelta(days=(version - 1) * 3)
    decided = sent + timedelta(days=2)
    report.first_submitted_at = first
    report.submitted_at = sent
    events.append(
        ReportEvent(
            report=report,
            district_id=district_id,
            from_status=Status.DRAFT,
            to_status=Status.SUBMITTED,
            actor=actor,
            at=sent,
        )
    )
    if status in (Status.VERIFIED, Status.RETURNED):
        report.decided_at = decided
        report.decided_by = camat
        remark = "Jumlah anak ditimbang tidak sama dengan data posyandu; mohon dicek ulang."
        report.remark = remark if status == Status.RETURNED else ""
        events.append(
            ReportEvent(
                report=report,
                district_id=district_id,
                from_status=Status.SUBMITTED,
                to_status=status,
                remark=report.remark,
                actor=camat,
                at=decided,
            )
        )
    return report, events


def file_reports(villages, quarter, periods):
    """Reports of `quarter` for `villages`, in chunks; returns {status: count}, events."""
    counts = Counter()
    n_events = 0
    for chunk in chunks(list(enumerate(villages))):
        rows, events = [], []
        for i, village in chunk:
            status = status_of(i, quarter)
            counts[status or "none"] += 1
            if status is None:
                continue
            report, evs = report_rows(village, periods[(village[1], quarter)], status, i)
            rows.append(report)
            events += evs
        VillageReport.objects.bulk_create(rows)
        ReportEvent.objects.bulk_create(events, batch_size=BATCH)
        n_events += len(events)
        # DEBUG keeps every statement; a batch of 2,000 scorecards is megabytes of SQL
        connection.queries_log.clear()
    return counts, n_events


def focus_rows(decree, villages, offset=0):
    return [
        FocusVillage(
            decree=decree,
            district_id=decree.district_id,
            village_id=v[0],
            prevalence=Decimal("14.20") + Decimal((i * 7) % 19),
            prevalence_source=f"e-PPGBM Agustus {decree.year - 1}",
            stunted_children=9 + (i * 5) % 31,
            figures={"keluarga miskin (%)": str(8 + i % 11), "air minum layak (%)": "71"},
            note="Prevalensi di atas rata-rata kabupaten." if i % 4 == 0 else "",
        )
        for i, v in enumerate(villages, offset)
    ]


def name_focus(districts, by_district):
    """2025 and 2026 decrees for every district, 20 villages each, half of them the same."""
    decrees = FocusDecree.objects.bulk_create(
        [
            FocusDecree(
                district=d,
                year=year,
                number=f"400.5/Kep.{37 + n}-Bappeda/{year}",
                signed_on=date(year, 1, 20),
            )
            for d in districts
            for n, year in enumerate((YEAR - 1, YEAR))
        ]
    )
    entries = []
    for decree in decrees:
        pool = by_district[decree.district_id]
        step = max(1, len(pool) // FOCUS_PER_YEAR)
        picked = pool[::step][:FOCUS_PER_YEAR]
        if decree.year != YEAR:
            half = FOCUS_PER_YEAR // 2
            picked = picked[:half] + [v for v in pool[step // 2 :: step] if v not in picked][:half]
        entries += focus_rows(decree, picked)
    FocusVillage.objects.bulk_create(entries, batch_size=BATCH)
    return len(decrees), len(entries)


def add_village_heads(villages):
    """A village head for one village in 84 across the country, a KPM too for every third
    of those: the people the reminders go to."""
    chosen = villages[5::HEAD_EVERY]
    password = make_password(None)
    users, plan = [], []
    for n, v in enumerate(chosen):
        code = v[3].replace(".", "")
        users.append(User(email=f"kades.{code}@bench.test", full_name=f"Kades {v[4]}"))
        plan.append((Role.VILLAGE_HEAD, v))
        if n % 3 == 0:
            users.append(User(email=f"kpm.{code}@bench.test", full_name=f"KPM {v[4]}"))
            plan.append((Role.KPM, v))
    for user in users:
        user.password = password
    users = User.objects.bulk_create(users, batch_size=BATCH)
    Membership.objects.bulk_create(
        [
            Membership(user=user, role=role, district_id=v[1], village_id=v[0])
            for user, (role, v) in zip(users, plan, strict=True)
        ],
        batch_size=BATCH,
    )
    return len(chosen), len(users)


def build_dataset(measured_ids):
    timings = {}
    with scopes_disabled():
        districts = list(District.objects.active().order_by("code"))
        villages = all_villages()
        by_district = {}
        for v in villages:
            by_district.setdefault(v[1], []).append(v)

        started = time.monotonic()
        for district in districts:
            reports.create_periods(district=district, year=YEAR, by=None)
        timings["periods"] = elapsed(started)
        n_periods = ReportPeriod.objects.filter(year=YEAR).count()

        started = time.monotonic()
        n_decrees, n_focus = name_focus(districts, by_district)
        timings["focus"] = elapsed(started)

        periods = scorecard_periods()
        started = time.monotonic()
        q1, q1_events = file_reports(villages, 1, periods)
        timings["q1"] = elapsed(started)

        # the second quarter for 30% of the villages, outside the measured districts (they get
        # theirs when they grow)
        started = time.monotonic()
        q2_villages = [v for i, v in enumerate(villages) if i % 10 < 3 and v[1] not in measured_ids]
        q2, q2_events = file_reports(q2_villages, 2, periods)
        timings["q2"] = elapsed(started)

        started = time.monotonic()
        heads, people = add_village_heads(villages)
        timings["heads"] = elapsed(started)
        total = VillageReport.objects.count()

    def mix(counts):
        return " ".join(f"{k}={counts[k]}" for k in (*Status.values, "none"))

    print(
        f"periods ({len(districts)} districts)     {timings['periods']:6.1f} s "
        f"({1000 * timings['periods'] / max(len(districts), 1):.1f} ms/district) "
        f"periods={n_periods}\n"
        f"focus decrees 2025+2026        {timings['focus']:6.1f} s "
        f"decrees={n_decrees} focus_villages={n_focus}\n"
        f"Q1 scorecards                  {timings['q1']:6.1f} s villages={len(villages)} "
        f"{mix(q1)} events={q1_events}\n"
        f"Q2 scorecards (30%)            {timings['q2']:6.1f} s villages={len(q2_villages)} "
        f"{mix(q2)} events={q2_events}\n"
        f"village heads + KPM            {timings['heads']:6.1f} s "
        f"villages={heads} memberships={people}"
    )
    return total, len(villages), sum(timings.values())


def set_up_district(district, tag):
    """A district admin, the camat of the largest kecamatan, and a village head and a KPM of
    a village there whose first quarter is verified."""
    with scopes_disabled():
        kecamatan = (
            Kecamatan.objects.active()
            .filter(district=district)
            .annotate(n=Count("villages", filter=Q(villages__retired_at__isnull=True)))
            .order_by("-n", "code")
            .first()
        )
        q1 = ReportPeriod.objects.get(district=district, year=YEAR, kind="scorecard", number=1)
        village = (
            VillageReport.objects.filter(
                period=q1, village__kecamatan=kecamatan, status=Status.VERIFIED
            )
            .order_by("village__code")
            .first()
            .village
        )
        users = {}
        for role, email, name, scope in (
            (Role.DISTRICT_ADMIN, "admin", "Admin Bappeda", {}),
            (Role.CAMAT, "camat", f"Camat {kecamatan.name}", {"kecamatan": kecamatan}),
            (Role.VILLAGE_HEAD, "kades", f"Kepala Desa {village.name}", {"village": village}),
            (Role.KPM, "kpm", f"KPM {village.name}", {"village": village}),
        ):
            user = User.objects.create_user(
                email=f"{email}.{tag}@bench.test", password=None, full_name=name
            )
            grant_membership(user=user, role=role, district=district, **scope)
            users[role] = user
        # the village's own reports were filed by its head and verified by the camat
        VillageReport.objects.filter(village=village).update(
            created_by=users[Role.VILLAGE_HEAD], decided_by=users[Role.CAMAT]
        )
        n = kecamatan.n
    return {
        "district": district,
        "kecamatan": kecamatan,
        "village": village,
        "users": users,
        "n": n,
    }


def grow_district(setup):
    """The second and third quarters for every village of the district, three correction
    versions for fifty villages (his own first), thirty more focus villages and a 2024
    decree: the page query counts must stay the same."""
    district, village = setup["district"], setup["village"]
    head, camat = setup["users"][Role.VILLAGE_HEAD], setup["users"][Role.CAMAT]
    with scopes_disabled():
        villages = [v for v in all_villages() if v[1] == district.pk]
        periods = scorecard_periods()
        added = 0
        for quarter in (2, 3):
            counts, _events = file_reports(villages, quarter, periods)
            added += sum(n for k, n in counts.items() if k != "none")
        # corrections: the head's village, then the camat's kecamatan, then the rest
        ordered = sorted(
            villages,
            key=lambda v: (v[0] != village.pk, v[2] != setup["kecamatan"].pk, v[3]),
        )[:50]
        q1 = periods[(district.pk, 1)]
        rows, events = [], []
        for n, v in enumerate(ordered):
            current = VillageReport.objects.filter(village_id=v[0], period=q1).first()
            if current is None:
                report, evs = report_rows(v, q1, Status.VERIFIED, n)
                rows.append(report)
                events += evs
            elif current.status != Status.VERIFIED:
                sent = current.submitted_at or datetime.combine(
                    q1.due_on, clock(9, 30), tzinfo=zone(district.pk)
                )
                VillageReport.objects.filter(pk=current.pk).update(
                    status=Status.VERIFIED,
                    first_submitted_at=current.first_submitted_at or sent,
                    submitted_at=sent,
                    decided_at=sent + timedelta(days=2),
                    remark="",
                )
            actor = head if v[0] == village.pk else None
            for version in (2, 3, 4):
                status = (
                    Status.VERIFIED
                    if version < 4
                    else (Status.SUBMITTED, Status.RETURNED, Status.DRAFT)[n % 3]
                )
                report, evs = report_rows(
                    v, q1, status, n, version=version, actor=actor, camat=camat
                )
                rows.append(report)
                events += evs
        VillageReport.objects.bulk_create(rows, batch_size=BATCH)
        ReportEvent.objects.bulk_create(events, batch_size=BATCH)
        # focus: thirty more villages this year and a decree for 2024
        decree = FocusDecree.objects.get(district=district, year=YEAR)
        taken = set(FocusVillage.objects.filter(decree=decree).values_list("village_id", flat=True))
        more = [v for v in villages if v[0] not in taken][:: max(1, len(villages) // 40)][:30]
        old = FocusDecree.objects.create(
            district=district, year=YEAR - 2, number=f"400.5/Kep.12-Bappeda/{YEAR - 2}"
        )
        FocusVillage.objects.bulk_create(
            focus_rows(decree, more, 100) + focus_rows(old, villages[3::37][:20])
        )
        connection.queries_log.clear()
    return added, len(rows), len(more)


# --- Measurements ---------------------------------------------------------------------------


def shown_report(setup):
    """The head's newest sent version of the first quarter (the one the camat printed)."""
    with scopes_disabled():
        return (
            VillageReport.objects.filter(
                village=setup["village"],
                period__year=YEAR,
                period__kind="scorecard",
                period__number=1,
            )
            .exclude(status=Status.DRAFT)
            .order_by("-version")
            .first()
        )


def pages(setup):
    """(role, page, url, expected status, requests)."""
    district, village = setup["district"], setup["village"]
    slug = district.slug
    with scopes_disabled():
        q1 = ReportPeriod.objects.get(district=district, year=YEAR, kind="scorecard", number=1)
    d = {"district_slug": slug}
    report = shown_report(setup)
    return [
        ("admin", "period_list", reverse("period_list", kwargs=d) + f"?tahun={YEAR}", 200, 0),
        (
            "admin",
            "completeness",
            reverse("completeness", kwargs={**d, "period_id": q1.pk}),
            200,
            0,
        ),
        (
            "admin",
            "completeness_export",
            reverse("completeness_export", kwargs={**d, "period_id": q1.pk}),
            200,
            0,
        ),
        ("admin", "focus_years", reverse("focus_years", kwargs=d), 200, 0),
        ("admin", "focus_year", reverse("focus_year", kwargs={**d, "year": YEAR}), 200, 0),
        (
            "camat",
            "completeness",
            reverse("completeness", kwargs={**d, "period_id": q1.pk}),
            200,
            0,
        ),
        ("head", "village_home", reverse("village_home", kwargs=d), 302, 0),
        (
            "head",
            "village_page",
            reverse("village_page", kwargs={**d, "village_id": village.pk}) + f"?tahun={YEAR}",
            200,
            0,
        ),
        (
            "head",
            "village_report",
            reverse("village_report", kwargs={**d, "village_id": village.pk, "period_id": q1.pk}),
            200,
            0,
        ),
        (
            "head",
            "report_pdf",
            reverse("report_pdf", kwargs={**d, "report_id": report.pk}),
            200,
            PDF_REQUESTS,
        ),
    ]


def measure(client, url, expected=200, requests=0):
    client.get(url)  # warm: templates compiled, session touched
    # DEBUG keeps at most 9000 queries: a full log would make every capture look empty
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    status = response.status_code
    error = ""
    if status != expected:
        exc = getattr(response, "exc_info", None)
        error = f"{exc[0].__name__}: {exc[1]}" if exc else response.reason_phrase
    size = len(response.content)
    times = []
    for _ in range(requests or REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(1000 * (time.perf_counter() - started))
        status = status if status != expected else response.status_code
    times.sort()
    repeated = [
        (n, sql)
        for sql, n in Counter(shape(q["sql"]) for q in captured.captured_queries).items()
        if n >= 3
    ]
    return {
        "status": status,
        "expected": expected,
        "error": error,
        "queries": len(captured.captured_queries),
        "median": statistics.median(times),
        "p95": times[math.ceil(0.95 * len(times)) - 1],
        "bytes": size,
        "repeated": repeated,
        "url": url,
        "limit": PDF_SLOW_MS if requests == PDF_REQUESTS or "/ekspor/" in url else SLOW_MS,
    }


def measure_all(setups):
    results = {}
    # a failing page is reported in the table, not as twenty tracebacks
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    roles = {"admin": Role.DISTRICT_ADMIN, "camat": Role.CAMAT, "head": Role.VILLAGE_HEAD}
    try:
        for setup in setups:
            clients = {}
            for role, name, url, expected, requests in pages(setup):
                if role not in clients:
                    clients[role] = Client(raise_request_exception=False)
                    clients[role].force_login(setup["users"][roles[role]])
                key = (setup["district"].code, role, name)
                results[key] = measure(clients[role], url, expected, requests)
    finally:
        request_log.setLevel(level)
    return results


def run_reminders():
    runs = []
    for _ in range(2):
        mail.outbox = []
        counter = QueryCounter()
        started = time.monotonic()
        with connection.execute_wrapper(counter):
            sent = reports.send_report_reminders(now=REMINDER_NOW)
        runs.append(
            {
                "seconds": elapsed(started),
                "sent": sent,
                "outbox": len(mail.outbox),
                "recipients": sum(len(m.to) for m in mail.outbox),
                "queries": counter.count,
            }
        )
        connection.queries_log.clear()
    claimed = VillageReminder.objects.count()
    districts = VillageReminder.objects.values("period__district").distinct().count()
    return runs, claimed, districts


def print_table(base, grown):
    header = (
        f"{'page':<20} {'role':<6} {'district':<8} {'st':>3} {'queries':>7} {'grown':>5} "
        f"{'median ms':>9} {'p95 ms':>7} {'grown med':>9} {'grown p95':>9} "
        f"{'KB':>7} {'grown KB':>8}"
    )
    print(header)
    print("-" * len(header))
    for key, b in base.items():
        g = grown[key]
        slow = " !" if max(b["p95"], g["p95"]) > b["limit"] else ""
        grew = "*" if g["queries"] != b["queries"] else " "
        print(
            f"{key[2]:<20} {key[1]:<6} {key[0]:<8} {b['status']:>3} {b['queries']:>7} "
            f"{g['queries']:>4}{grew} {b['median']:>9.1f} {b['p95']:>7.1f} "
            f"{g['median']:>9.1f} {g['p95']:>9.1f} {b['bytes'] / 1024:>7.1f} "
            f"{g['bytes'] / 1024:>8.1f}{slow}"
        )
    print(
        f"(* query count changed with the data; ! p95 over {SLOW_MS} ms, "
        f"{PDF_SLOW_MS} ms for the PDF and the XLSX export; "
        f"report_pdf over {PDF_REQUESTS} requests, the others {REQUESTS})"
    )
    for label, results in (("base", base), ("grown", grown)):
        for key, r in results.items():
            name = "/".join(key)
            if r["error"]:
                print(f"failed ({label}) {name} {r['url']}: {r['status']} {r['error']}")
            for n, sql in r["repeated"]:
                print(f"repeated ({label}) {name}: {n}× {sql[:160]}")


def main():
    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"engine={engine} cpus={os.cpu_count()} requests/page={REQUESTS} (PDF {PDF_REQUESTS})")
    build_started = time.monotonic()
    seconds, summary = load_regions()
    print(f"region list                    {seconds:6.1f} s {summary}")
    largest = (
        District.objects.active()
        .annotate(n=Count("villages", filter=Q(villages__retired_at__isnull=True)))
        .order_by("-n", "code")
        .first()
    )
    measured = [largest] + (
        [] if largest.code == SUMEDANG else [District.objects.get(code=SUMEDANG)]
    )
    total, n_villages, _build = build_dataset({d.pk for d in measured})
    setups = [set_up_district(d, d.code.replace(".", "")) for d in measured]
    print(f"dataset built in {elapsed(build_started):.1f} s (region list included)")
    for s in setups:
        with scopes_disabled():
            n = Village.objects.active().filter(district=s["district"]).count()
        print(
            f"measured district: {s['district'].code} {s['district'].name} "
            f"(/{s['district'].slug}/, {n} villages); camat of {s['kecamatan'].name} "
            f"({s['n']} villages); head of {s['village'].name} ({s['village'].code})"
        )

    base = measure_all(setups)
    for s in setups:
        started = time.monotonic()
        added, corrections, focus = grow_district(s)
        print(
            f"grown {s['district'].name}: +{added} Q2/Q3 reports +{corrections} correction "
            f"versions (50 villages) +{focus} focus villages +1 decree ({elapsed(started):.1f} s)"
        )
    grown = measure_all(setups)
    print()
    print_table(base, grown)

    runs, claimed, districts = run_reminders()
    print()
    print(f"reminders at {REMINDER_NOW:%Y-%m-%d %H:%M} UTC (Q1 due {YEAR}-04-10):")
    for n, run in enumerate(runs, 1):
        print(
            f"  run {n}: {run['seconds']:6.1f} s sent={run['sent']} outbox={run['outbox']} "
            f"recipients={run['recipients']} queries={run['queries']}"
        )
    print(f"  claimed rows={claimed} in {districts} districts")

    worst_key, worst, worst_limit = max(
        ((k, max(base[k]["p95"], grown[k]["p95"]), base[k]["limit"]) for k in base),
        key=lambda kv: kv[1] / kv[2],
    )
    slow = ["/".join(k) for k in base if max(base[k]["p95"], grown[k]["p95"]) > base[k]["limit"]]
    growing = ["/".join(k) for k in base if grown[k]["queries"] != base[k]["queries"]]
    failing = sorted(
        {"/".join(k) for r in (base, grown) for k in r if r[k]["status"] != r[k]["expected"]}
    )
    pdf = [max(base[k]["p95"], grown[k]["p95"]) for k in base if k[2] == "report_pdf"]
    ok = (
        not growing
        and not failing
        and (SMALL or not slow)  # a small run checks that it runs, not its speed
        and runs[0]["sent"] == runs[0]["outbox"] > 0
        and runs[1]["sent"] == 0
    )
    print()
    print(
        f"{'OK' if ok else 'PROBLEM'}: {n_villages} villages, {total} reports; slowest page "
        f"{'/'.join(worst_key)} p95 {worst:.0f} ms (limit {worst_limit}); PDF p95 "
        f"{max(pdf):.0f} ms; query counts "
        f"{'grow on ' + ', '.join(growing) if growing else 'stable as the districts grew'}; "
        f"reminders {runs[0]['sent']} emails in {runs[0]['seconds']:.1f} s, "
        f"rerun {runs[1]['sent']}"
        + (f"; SLOW: {', '.join(slow)}" if slow else "")
        + (f"; NOT AS EXPECTED: {', '.join(failing)}" if failing else "")
    )
    if not ok:
        sys.exit(1)


try:
    main()
finally:
    drop_database()
