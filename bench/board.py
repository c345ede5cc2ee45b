"""Benchmark: the convergence board over a national dataset.

Loads the national region list, opens 2026 for every district (514) with mixed deliverable
statuses, history, comments and evidence rows, then measures one district's pages (board,
action detail, XLSX export, assessment, district home) as a district admin and as an
executive (SQL queries, median and p95 wall time over 20 requests, response size), once on
the ordinary dataset and once after that district's history has grown tenfold (the query
counts must not change). Finally the nightly reminder job runs over all districts twice
(the second run must send nothing).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/board.py

It creates and drops its own database `konvergensi_bench_board` (PostgreSQL) or uses a
temporary SQLite file, so it never touches real data. BENCH_KEEP_DB=1 keeps the database.
"""

import logging
import math
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
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

drop_database = throwaway_database("konvergensi_bench_board")

import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from accounts.models import Membership, Role, User  # noqa: E402
from accounts.services import grant_membership  # noqa: E402
from convergence import services as convergence  # noqa: E402
from convergence.models import (  # noqa: E402
    Comment,
    Deliverable,
    DeliverableTemplate,
    DistrictYear,
    Evidence,
    Indicator,
    ReminderSent,
    Status,
    Transition,
    YearAction,
)
from villages.models import Agency, District  # noqa: E402
from villages.services import ensure_default_agencies  # noqa: E402

YEAR = 2026
DISTRICT_CODE = "32.11"  # Kabupaten Sumedang
REQUESTS = 3 if SMALL else 20
SLOW_MS = 500
# The nightly job at 23:00 UTC (06:00 WIB), fixed so that the result does not depend on the
# day the benchmark runs: deliverables due up to the end of November are reminded.
REMINDER_NOW = datetime(YEAR, 11, 22, 23, 0, tzinfo=UTC)

override_settings(
    ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
    MFA_REQUIRED=False,
    MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}},
).enable()


# --- Dataset --------------------------------------------------------------------------------


def add_staff(districts):
    """One DINKES staff member in three districts of four; every other such district also
    names that person responsible for action 1 (led by BAPPEDA)."""
    staff = {}
    agencies = {
        a.district_id: a for a in Agency.objects.filter(short_name="DINKES", district__in=districts)
    }
    for i, district in enumerate(districts):
        if i % 4 == 3:
            continue
        user = User.objects.create_user(
            email=f"dinkes.{district.code.replace('.', '')}@bench.test",
            password=None,
            full_name=f"Staf Dinkes {district.name}",
        )
        grant_membership(
            user=user, role=Role.OPD_STAFF, district=district, agency=agencies[district.pk]
        )
        staff[district.pk] = user
    through = YearAction.responsible.through
    first_actions = YearAction.objects.filter(district_id__in=staff, action__number=1)
    rows = [
        through(yearaction_id=ya.pk, user_id=staff[ya.district_id].pk)
        for i, ya in enumerate(first_actions.order_by("district__code"))
        if i % 2 == 0
    ]
    through.objects.bulk_create(rows, batch_size=BATCH)
    return staff, len(rows)


def history_rows(deliverable, status, actor, at, copies=1):
    """The transitions that lead to `status` (repeated `copies` times for the grown data)."""
    steps = {
        Status.SUBMITTED: [(Status.DRAFT, Status.SUBMITTED, "")],
        Status.VERIFIED: [
            (Status.DRAFT, Status.SUBMITTED, ""),
            (Status.SUBMITTED, Status.VERIFIED, ""),
        ],
        Status.RETURNED: [
            (Status.DRAFT, Status.SUBMITTED, ""),
            (Status.SUBMITTED, Status.RETURNED, "Lampiran belum ditandatangani."),
        ],
    }.get(status, [])
    rows = []
    for copy in range(copies):
        for n, (source, target, reason) in enumerate(steps):
            rows.append(
                Transition(
                    district_id=deliverable["district_id"],
                    deliverable_id=deliverable["pk"],
                    from_status=source,
                    to_status=target,
                    actor=actor,
                    at=at + timedelta(hours=copy * 10 + n),
                    reason=reason,
                )
            )
    return rows


def evidence_row(deliverable, actor, at, n):
    return Evidence(
        district_id=deliverable["district_id"],
        deliverable_id=deliverable["pk"],
        # never opened by the pages measured here
        file=f"evidence/{deliverable['district_id']}/bench-{deliverable['pk'].hex}-{n}",
        original_name=f"bukti-{n + 1}.pdf",
        content_type="application/pdf",
        size=120_000 + n,
        sha256="0" * 64,
        uploaded_by=actor,
        uploaded_at=at,
    )


def comment_row(deliverable, actor, at, n):
    return Comment(
        district_id=deliverable["district_id"],
        deliverable_id=deliverable["pk"],
        author=actor,
        text=f"Catatan ke-{n + 1}: mohon lengkapi tanda tangan kepala dinas.",
        created_at=at,
    )


def mix_statuses(staff):
    """Every 4th deliverable verified, the next submitted, every 8th returned, the rest draft;
    history, comments and evidence to match."""
    deliverables = list(
        Deliverable.objects.order_by(
            "district__code", "year_action__action__number", "template__number"
        ).values("pk", "district_id", "template__kind")
    )
    by_status = {s: [] for s in Status.values}
    transitions, comments, evidence = [], [], []
    base = datetime(YEAR, 2, 1, 2, 0, tzinfo=UTC)
    for i, d in enumerate(deliverables):
        status = (
            Status.VERIFIED
            if i % 4 == 0
            else Status.SUBMITTED
            if i % 4 == 1
            else Status.RETURNED
            if i % 8 == 2
            else Status.DRAFT
        )
        by_status[status].append(d["pk"])
        actor = staff.get(d["district_id"])
        at = base + timedelta(days=i % 200)
        transitions += history_rows(d, status, actor, at)
        if status != Status.DRAFT and d["template__kind"] == DeliverableTemplate.Kind.DOCUMENT:
            evidence += [evidence_row(d, actor, at, n) for n in range(1 + (i % 5 == 0))]
        if i % 3 == 0:
            comments += [comment_row(d, actor, at, n) for n in range(1 + 2 * (i % 7 == 0))]
    now = timezone.now()
    stamps = {
        Status.SUBMITTED: {"submitted_at": now},
        Status.VERIFIED: {"submitted_at": now, "verified_at": now},
        Status.RETURNED: {"submitted_at": now},
    }
    for status, pks in by_status.items():
        if status == Status.DRAFT:
            continue
        for chunk in chunks(pks):
            Deliverable.objects.filter(pk__in=chunk).update(status=status, **stamps[status])
    Transition.objects.bulk_create(transitions, batch_size=BATCH)
    Comment.objects.bulk_create(comments, batch_size=BATCH)
    Evidence.objects.bulk_create(evidence, batch_size=BATCH)
    return {s: len(p) for s, p in by_status.items()}, len(transitions), len(comments), len(evidence)


def build_dataset():
    timings = {}
    with scopes_disabled():
        districts = list(District.objects.active().order_by("code"))
        started = time.monotonic()
        for district in districts:
            ensure_default_agencies(district)
        timings["agencies"] = elapsed(started)
        started = time.monotonic()
        for district in districts:
            convergence.open_year(district=district, year=YEAR, by=None)
        timings["open"] = elapsed(started)
        started = time.monotonic()
        staff, responsible = add_staff(districts)
        timings["staff"] = elapsed(started)
        started = time.monotonic()
        counts, transitions, comments, evidence = mix_statuses(staff)
        timings["mix"] = elapsed(started)
        total = Deliverable.objects.count()
        years = DistrictYear.everything.filter(year=YEAR).count()
    print(
        f"agencies for {len(districts)} districts {timings['agencies']:6.1f} s\n"
        f"open {years} years ({YEAR})            {timings['open']:6.1f} s "
        f"({1000 * timings['open'] / max(years, 1):.1f} ms/district) deliverables={total}\n"
        f"staff + responsible            {timings['staff']:6.1f} s "
        f"opd_staff={len(staff)} responsible_links={responsible}\n"
        f"statuses + history             {timings['mix']:6.1f} s "
        + " ".join(f"{s}={n}" for s, n in counts.items())
        + f" transitions={transitions} comments={comments} evidence={evidence}"
    )
    return total, years


def set_up_district():
    """The measured district: an admin, an executive, and graded indicators."""
    with scopes_disabled():
        district = District.objects.get(code=DISTRICT_CODE)
        district_year = DistrictYear.objects.get(district=district, year=YEAR)
        admin_user = User.objects.create_user(email="admin@bench.test", full_name="Admin Bappeda")
        executive = User.objects.create_user(email="sekda@bench.test", full_name="Sekda")
        grant_membership(user=admin_user, role=Role.DISTRICT_ADMIN, district=district)
        grant_membership(user=executive, role=Role.EXECUTIVE, district=district)
        indicators = Indicator.objects.filter(
            action__framework_id=district_year.framework_id
        ).select_related("action")
        for n, indicator in enumerate(indicators):
            options = list(indicator.options.all())
            proof = Evidence.objects.filter(
                deliverable__year_action__district_year=district_year,
                deliverable__year_action__action=indicator.action,
            )[:2]
            convergence.grade_indicator(
                district_year=district_year,
                indicator=indicator,
                option=options[n % len(options)],
                source="self",
                justification="Dokumen tersedia dan ditandatangani.",
                evidence=proof,
                by=admin_user,
            )
            if n % 2 == 0:
                convergence.grade_indicator(
                    district_year=district_year,
                    indicator=indicator,
                    option=options[-1],
                    source="province",
                    justification="",
                    by=None,
                )
    return district, {"admin": admin_user, "executive": executive}


def grow_district(district, factor=10):
    """Ten times the history on every deliverable of the district, five responsible users
    on every action and thirty more members: the page query counts must stay the same."""
    with scopes_disabled():
        actor = User.objects.get(email="admin@bench.test")
        rows = list(
            Deliverable.objects.filter(district=district).values(
                "pk", "district_id", "status", "template__kind"
            )
        )
        at = datetime(YEAR, 4, 1, 2, 0, tzinfo=UTC)
        transitions, comments, evidence = [], [], []
        for d in rows:
            transitions += history_rows(d, d["status"], actor, at, copies=factor) or [
                Transition(
                    district_id=d["district_id"],
                    deliverable_id=d["pk"],
                    from_status=Status.SUBMITTED,
                    to_status=Status.RETURNED,
                    actor=actor,
                    at=at + timedelta(hours=n),
                    reason=f"Perbaikan ke-{n + 1}.",
                )
                for n in range(factor)
            ]
            comments += [comment_row(d, actor, at, n) for n in range(factor)]
            evidence += [evidence_row(d, actor, at, 10 + n) for n in range(factor // 2)]
        Transition.objects.bulk_create(transitions, batch_size=BATCH)
        Comment.objects.bulk_create(comments, batch_size=BATCH)
        Evidence.objects.bulk_create(evidence, batch_size=BATCH)
        dinkes = Agency.objects.get(district=district, short_name="DINKES")
        members = []
        for n in range(30):
            user = User.objects.create_user(
                email=f"staf{n}@sumedang.bench.test", full_name=f"Staf {n}"
            )
            members.append(
                Membership(user=user, role=Role.OPD_STAFF, district=district, agency=dinkes)
            )
        Membership.objects.bulk_create(members)
        through = YearAction.responsible.through
        through.objects.bulk_create(
            [
                through(yearaction_id=ya.pk, user_id=m.user_id)
                for ya in YearAction.objects.filter(district=district)
                for m in members[:5]
            ],
            ignore_conflicts=True,
        )
    return len(transitions), len(comments), len(evidence)


# --- Measurements ---------------------------------------------------------------------------


def pages(district):
    slug = district.slug
    action_numbers = [1]
    with scopes_disabled():
        returned = set(
            Deliverable.objects.filter(district=district, status=Status.RETURNED).values_list(
                "year_action__action__number", flat=True
            )
        )
        numbers = YearAction.objects.filter(district=district).values_list(
            "action__number", flat=True
        )
    if 1 in returned:
        # the same page for an action without a returned deliverable, for comparison
        action_numbers += sorted(n for n in numbers if n not in returned)[:1]
    return [
        ("district_home", reverse("district_home", kwargs={"district_slug": slug})),
        ("board", reverse("board", kwargs={"district_slug": slug, "year": YEAR})),
        *(
            (
                "action_detail" if number == 1 else f"action_detail#{number}",
                reverse(
                    "action_detail",
                    kwargs={"district_slug": slug, "year": YEAR, "action_number": number},
                ),
            )
            for number in action_numbers
        ),
        (
            "board_export",
            reverse("board_export", kwargs={"district_slug": slug, "year": YEAR, "fmt": "xlsx"}),
        ),
        ("assessment", reverse("assessment", kwargs={"district_slug": slug, "year": YEAR})),
    ]


def measure(client, url):
    client.get(url)  # warm: templates compiled, session touched
    # DEBUG keeps at most 9000 queries: a full log would make every capture look empty
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    status = response.status_code
    error = ""
    if status != 200:
        exc = getattr(response, "exc_info", None)
        error = f"{exc[0].__name__}: {exc[1]}" if exc else response.reason_phrase
    size = len(response.content)
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(1000 * (time.perf_counter() - started))
        status = status if status != 200 else response.status_code
    times.sort()
    repeated = [
        (n, sql)
        for sql, n in Counter(shape(q["sql"]) for q in captured.captured_queries).items()
        if n >= 3
    ]
    return {
        "status": status,
        "error": error,
        "queries": len(captured.captured_queries),
        "median": statistics.median(times),
        "p95": times[math.ceil(0.95 * len(times)) - 1],
        "bytes": size,
        "repeated": repeated,
    }


def measure_all(district, users):
    results = {}
    urls = pages(district)
    # a failing page is reported in the table, not as twenty tracebacks
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    try:
        for role, user in users.items():
            client = Client(raise_request_exception=False)
            client.force_login(user)
            for name, url in urls:
                results[(role, name)] = measure(client, url)
                results[(role, name)]["url"] = url
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
            sent = convergence.send_deadline_reminders(now=REMINDER_NOW)
        runs.append(
            {
                "seconds": elapsed(started),
                "sent": sent,
                "outbox": len(mail.outbox),
                "queries": counter.count,
            }
        )
    with scopes_disabled():
        claimed = ReminderSent.everything.count()
        districts = ReminderSent.everything.values("district").distinct().count()
    return runs, claimed, districts


def print_table(base, grown):
    header = (
        f"{'role':<10} {'page':<16} {'st':>3} {'queries':>7} {'grown':>5} "
        f"{'median ms':>9} {'p95 ms':>7} {'grown med':>9} {'grown p95':>9} "
        f"{'bytes':>8} {'grown bytes':>11}"
    )
    print(header)
    print("-" * len(header))
    for key, b in base.items():
        g = grown[key]
        slow = " !" if max(b["p95"], g["p95"]) > SLOW_MS else ""
        grew = "*" if g["queries"] != b["queries"] else " "
        print(
            f"{key[0]:<10} {key[1]:<16} {b['status']:>3} {b['queries']:>7} "
            f"{g['queries']:>4}{grew} {b['median']:>9.1f} {b['p95']:>7.1f} "
            f"{g['median']:>9.1f} {g['p95']:>9.1f} {b['bytes']:>8} {g['bytes']:>11}{slow}"
        )
    print("(* query count changed with the data; ! p95 over 500 ms)")
    for label, results in (("base", base), ("grown", grown)):
        for key, r in results.items():
            if r["error"]:
                print(f"failed ({label}) {key[0]}/{key[1]} {r['url']}: {r['status']} {r['error']}")
            for n, sql in r["repeated"]:
                print(f"repeated ({label}) {key[0]}/{key[1]}: {n}× {sql[:160]}")


def main():
    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"engine={engine} cpus={os.cpu_count()} requests/page={REQUESTS}")
    seconds, summary = load_regions()
    print(f"region list                    {seconds:6.1f} s {summary}")
    total, years = build_dataset()
    district, users = set_up_district()
    print(f"measured district: {district.code} {district.name} (/{district.slug}/)")

    base = measure_all(district, users)
    started = time.monotonic()
    added = grow_district(district)
    print(
        f"grown {district.name}: +{added[0]} transitions +{added[1]} comments "
        f"+{added[2]} evidence +30 members, 5 responsible per action ({elapsed(started):.1f} s)"
    )
    grown = measure_all(district, users)
    print()
    print_table(base, grown)

    runs, claimed, districts = run_reminders()
    print()
    print(f"reminders at {REMINDER_NOW:%Y-%m-%d %H:%M} UTC over {years} open years:")
    for n, run in enumerate(runs, 1):
        print(
            f"  run {n}: {run['seconds']:6.1f} s sent={run['sent']} outbox={run['outbox']} "
            f"queries={run['queries']}"
        )
    print(f"  claimed rows={claimed} in {districts} districts")

    worst_key, worst = max(
        ((k, max(base[k]["p95"], grown[k]["p95"])) for k in base), key=lambda kv: kv[1]
    )
    growing = [f"{k[0]}/{k[1]}" for k in base if grown[k]["queries"] != base[k]["queries"]]
    failing = sorted({f"{k[0]}/{k[1]}" for r in (base, grown) for k in r if r[k]["status"] != 200})
    ok = (
        not growing
        and not failing
        and (SMALL or worst <= SLOW_MS)  # a small run checks that it runs, not its speed
        and runs[0]["sent"] == runs[0]["outbox"] > 0
        and runs[1]["sent"] == 0
    )
    print()
    print(
        f"{'OK' if ok else 'PROBLEM'}: {years} years, {total} deliverables; slowest page "
        f"{worst_key[0]}/{worst_key[1]} p95 {worst:.0f} ms; query counts "
        f"{'grow on ' + ', '.join(growing) if growing else 'stable with 10x history'}; "
        f"reminders {runs[0]['sent']} emails in {runs[0]['seconds']:.1f} s, "
        f"rerun {runs[1]['sent']}" + (f"; NOT 200: {', '.join(failing)}" if failing else "")
    )
    if not ok:
        sys.exit(1)


try:
    main()
finally:
    drop_database()
