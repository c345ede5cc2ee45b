"""village_reports.summaries against numbers counted by hand: focus villages, completeness per
kecamatan and for focus and other villages, scorecard rates summed (not averaged) over
villages; a roll-up of two districts that does not leak; queries that do not grow with the
number of villages or districts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.tenancy import rollup_scope
from village_reports import reports, summaries
from village_reports.models import (
    FocusDecree,
    FocusVillage,
    ReportKind,
    ReportPeriod,
    ReportStatus,
    VillageReport,
)
from villages.models import Village

pytestmark = pytest.mark.django_db

YEAR = 2026


def quarter_one(side, *, due_days_ago=1):
    """The side's first scorecard quarter, its due date moved to `due_days_ago` days before
    the district's today (so that lateness does not depend on the day the test runs)."""
    today = side.district.local_now().date()
    with scopes_disabled():
        reports.create_periods(district=side.district, year=YEAR, by=None)
        period = ReportPeriod.objects.get(
            district=side.district, year=YEAR, kind=ReportKind.SCORECARD, number=1
        )
        period.due_on = today - dt.timedelta(days=due_days_ago)
        period.save(update_fields=["due_on"])
    return period


def noon(side, day):
    return dt.datetime.combine(day, dt.time(12), tzinfo=side.district.tz)


def report(side, village, period, status, *, sent_on=None, version=1, data=None):
    with scopes_disabled():
        return VillageReport.objects.create(
            district=side.district,
            village=village,
            period=period,
            version=version,
            status=status,
            data=data or {},
            first_submitted_at=noon(side, sent_on) if sent_on else None,
            submitted_at=noon(side, sent_on) if sent_on else None,
        )


def focus(side, *villages):
    with scopes_disabled():
        decree, _ = FocusDecree.objects.get_or_create(district=side.district, year=YEAR)
        for village in villages:
            FocusVillage.objects.create(decree=decree, district=side.district, village=village)


def villages_of(side):
    with scopes_disabled():
        return list(Village.objects.filter(district=side.district).order_by("code"))


def test_completeness_by_kecamatan_and_focus_counted_by_hand(world):
    a = world.a
    period = quarter_one(a, due_days_ago=1)
    # Wado: v1 (focus) verified on time, with a correction being drafted; v2 sent late
    # Jatinunggal: v3 returned (sent on time); v4 not sent, past the due date (late)
    v1, v2, v3, v4 = villages_of(a)
    assert v1.kecamatan_id == v2.kecamatan_id != v3.kecamatan_id == v4.kecamatan_id
    before, after = period.due_on - dt.timedelta(days=2), period.due_on + dt.timedelta(days=1)
    report(a, v1, period, ReportStatus.VERIFIED, sent_on=before)
    report(a, v1, period, ReportStatus.DRAFT, version=2)
    report(a, v2, period, ReportStatus.SUBMITTED, sent_on=after)
    report(a, v3, period, ReportStatus.RETURNED, sent_on=before)
    focus(a, v1)
    with scopes_disabled():
        result = summaries.completeness([a.district], YEAR, ReportKind.SCORECARD, 1)
    c = result[a.district.pk]
    assert c.period_id == period.pk
    by_village = {s.village_id: s for s in c.villages}
    assert [s.village_id for s in c.villages] == [v1.pk, v2.pk, v3.pk, v4.pk]
    assert (by_village[v1.pk].state, by_village[v1.pk].correcting) == ("verified", True)
    assert [by_village[v.pk].late for v in (v1, v2, v3, v4)] == [False, True, False, True]
    assert by_village[v4.pk].report_id is None and by_village[v1.pk].focus
    S = summaries.ReportCounts
    assert c.total == S(verified=1, submitted=1, returned=1, missing=1, late=2, all=4)
    assert c.by_kecamatan == {
        v1.kecamatan_id: S(verified=1, submitted=1, late=1, all=2),
        v3.kecamatan_id: S(returned=1, missing=1, late=1, all=2),
    }
    assert c.focus == S(verified=1, all=1)
    assert c.other == S(submitted=1, returned=1, missing=1, late=2, all=3)
    # a camat's view: only his kecamatan's villages
    with scopes_disabled():
        wado = summaries.completeness(
            [a.district], YEAR, ReportKind.SCORECARD, 1, kecamatan_ids=[v1.kecamatan_id]
        )[a.district.pk]
    assert wado.total == S(verified=1, submitted=1, late=1, all=2)
    # the period list: villages that sent a version, and that had one verified
    with scopes_disabled():
        counts = summaries.period_counts([a.district], YEAR)[a.district.pk]
    assert counts == {(ReportKind.SCORECARD, 1): summaries.PeriodCounts(sent=3, verified=1)}


def test_not_late_before_the_due_date(world):
    a = world.a
    quarter_one(a, due_days_ago=-5)  # due in five days
    with scopes_disabled():
        c = summaries.completeness([a.district], YEAR, ReportKind.SCORECARD, 1)[a.district.pk]
    assert c.total == summaries.ReportCounts(missing=4, all=4)


def test_roll_up_of_two_districts_keeps_each_its_own(world):
    a, b = world.a, world.b
    a_period, b_period = quarter_one(a), quarter_one(b)
    a1 = villages_of(a)[0]
    b_villages = villages_of(b)
    report(a, a1, a_period, ReportStatus.VERIFIED, sent_on=a_period.due_on)
    for village in b_villages[:3]:
        report(b, village, b_period, ReportStatus.SUBMITTED, sent_on=b_period.due_on)
    focus(b, b_villages[0], b_villages[3])
    both = [a.district, b.district]
    with rollup_scope(both):
        c = summaries.completeness(both, YEAR, ReportKind.SCORECARD, 1)
        f = summaries.focus_villages(both, YEAR)
    S = summaries.ReportCounts
    assert c[a.district.pk].total == S(verified=1, missing=3, late=3, all=4)
    assert c[b.district.pk].total == S(submitted=3, missing=1, late=1, all=4)
    assert c[a.district.pk].focus == S()  # district A has no decree for the year
    assert c[b.district.pk].focus == S(submitted=1, missing=1, late=1, all=2)
    assert f[a.district.pk].count == 0
    assert f[b.district.pk].village_ids == {b_villages[0].pk, b_villages[3].pk}
    assert {s.village_id for s in c[a.district.pk].villages} == {v.pk for v in villages_of(a)}
    with rollup_scope([a.district]):
        alone = summaries.completeness([a.district], YEAR, ReportKind.SCORECARD, 1)
    assert set(alone) == {a.district.pk} and alone[a.district.pk] == c[a.district.pk]


def paud(children, yes, na=0):
    """Scorecard data with only the PAUD group (1 indicator): the other groups have no
    targets, so they add nothing to either side of the rate."""
    return {"t_children_2_6": children, "s_paud_paud_yes": yes, "s_paud_paud_na": na}


def test_convergence_rates_sum_numerators_and_denominators(world):
    a, b = world.a, world.b
    period, b_period = quarter_one(a), quarter_one(b)
    v1, v2, v3, v4 = villages_of(a)  # Wado: v1, v2; Jatinunggal: v3, v4 (a kelurahan)
    report(a, v1, period, ReportStatus.VERIFIED, sent_on=period.due_on, data=paud(10, 6))
    report(a, v2, period, ReportStatus.VERIFIED, sent_on=period.due_on, data=paud(2, 2))
    report(a, v2, period, ReportStatus.DRAFT, version=2, data=paud(2, 0))  # a correction
    report(a, v3, period, ReportStatus.VERIFIED, sent_on=period.due_on, data=paud(5, 1, na=1))
    report(a, v4, period, ReportStatus.SUBMITTED, sent_on=period.due_on, data=paud(9, 9))
    report(b, villages_of(b)[0], b_period, ReportStatus.VERIFIED, data=paud(4, 4))
    focus(a, v1)
    both = [a.district, b.district]
    with rollup_scope(both):
        rates = summaries.convergence_rates(both, YEAR, 1)
    r = rates[a.district.pk]
    R = summaries.ConvergenceRate
    # v4 is not verified: it does not count. Σ yes = 6 + 2 + 1, Σ expected = 10 + 2 + (5 − 1)
    assert r.total == R(received=9, expected=16, reports=3)
    assert r.total.percent == Decimal("56.25")
    # Wado: (6 + 2) ÷ (10 + 2) = 66.67 %, not the mean of 60 % and 100 % (80 %)
    assert r.by_kecamatan[v1.kecamatan_id] == R(8, 12, 2)
    assert r.by_kecamatan[v1.kecamatan_id].percent == Decimal("66.67")
    assert r.by_kecamatan[v3.kecamatan_id].percent == Decimal("25.00")
    assert (r.focus, r.other) == (R(6, 10, 1), R(3, 6, 2))
    assert rates[b.district.pk].total == R(4, 4, 1)
    assert rates[b.district.pk].total.percent == Decimal("100.00")


def add_villages(side, n, start=0):
    """n more villages in the side's first kecamatan, every other one a focus village, each
    with a sent report (verified or waiting)."""
    with scopes_disabled():
        period = ReportPeriod.objects.get(
            district=side.district, year=YEAR, kind=ReportKind.SCORECARD, number=1
        )
        made = [
            Village.objects.create(
                code=f"{side.kecamatan.code}.{2100 + i}",
                name=f"Desa {i}",
                kecamatan=side.kecamatan,
                district=side.district,
            )
            for i in range(start, start + n)
        ]
    for i, village in enumerate(made):
        status = ReportStatus.VERIFIED if i % 2 else ReportStatus.SUBMITTED
        report(side, village, period, status, sent_on=period.due_on, data=paud(3, 2))
    focus(side, *made[::2])


@pytest.mark.parametrize(
    "call, own",
    [
        (lambda ds: summaries.completeness(ds, YEAR, ReportKind.SCORECARD, 1), 4),
        (lambda ds: summaries.convergence_rates(ds, YEAR, 1), 4),
        (lambda ds: summaries.focus_villages(ds, YEAR), 1),
        (lambda ds: summaries.period_counts(ds, YEAR), 1),
    ],
    ids=["completeness", "rates", "focus", "period_counts"],
)
def test_queries_do_not_grow_with_villages_or_districts(world, call, own):
    a, b = world.a, world.b
    quarter_one(a), quarter_one(b)
    add_villages(a, 2)
    add_villages(b, 2)
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as few:
        call([a.district])
    add_villages(a, 18, start=2)
    with scopes_disabled():
        assert Village.objects.filter(district=a.district).count() == 4 + 20
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as many:
        call([a.district])
    with rollup_scope([a.district, b.district]), CaptureQueriesContext(connection) as both:
        call([a.district, b.district])
    assert len(few) == len(many) == len(both), [q["sql"] for q in many.captured_queries]
    with scopes_disabled(), CaptureQueriesContext(connection) as alone:
        call([a.district, b.district])
    assert len(alone) == own


def test_the_completeness_page_counts_through_the_summary(client, world):
    """The page shows the summary's numbers: the district's totals and each kecamatan's."""
    a = world.a
    period = quarter_one(a)
    v1, v2, v3, _v4 = villages_of(a)
    report(a, v1, period, ReportStatus.VERIFIED, sent_on=period.due_on)
    report(a, v2, period, ReportStatus.VERIFIED, sent_on=period.due_on)
    report(a, v3, period, ReportStatus.RETURNED, sent_on=period.due_on)
    client.force_login(a.users["district_admin"])
    response = client.get(f"/{a.district.slug}/laporan-desa/{period.pk}/")
    assert response.status_code == 200
    view = response.context["view"]
    assert view.totals == {
        "verified": 2,
        "submitted": 0,
        "returned": 1,
        "missing": 1,
        "late": 1,
        "all": 4,
    }
    assert [(k.counts.verified, k.counts.missing, k.late) for k in view.kecamatan] == [
        (2, 0, 0),
        (0, 1, 1),
    ]
