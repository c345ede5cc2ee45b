"""The summaries the dashboard added, against numbers counted by hand: the next open
deliverables (convergence.next_deadlines), a year's report periods and the village fund of the
verified semester reports (village_reports.periods, village_fund); two districts that do not
leak; queries that do not grow with the rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.tenancy import rollup_scope
from convergence import summaries as convergence
from convergence.models import Deliverable, Status
from tests.convergence.objects import year_for
from tests.village_reports.test_village_report_summaries import report, villages_of
from village_reports import reports as village_reports_services
from village_reports import summaries
from village_reports.models import ReportKind, ReportPeriod, ReportStatus

pytestmark = pytest.mark.django_db

YEAR = 2026


def test_next_deadlines_are_the_open_ones_from_today_earliest_first(world):
    a, b = world.a, world.b
    district_year = year_for(a, YEAR)
    year_for(b, YEAR)
    today = a.district.local_now().date()
    with scopes_disabled():
        rows = list(
            Deliverable.objects.filter(year_action__district_year=district_year).order_by(
                "year_action__action__number", "template__number"
            )
        )
        # move every deliverable far away, then place four by hand
        Deliverable.objects.filter(pk__in=[r.pk for r in rows]).update(
            due_date=today + dt.timedelta(days=400)
        )
        plan = [
            (rows[0], -1, Status.DRAFT),  # past: not next
            (rows[1], 0, Status.DRAFT),  # today: next
            (rows[2], 3, Status.RETURNED),  # returned: still open
            (rows[3], 2, Status.SUBMITTED),  # sent: not open
            (rows[4], 5, Status.VERIFIED),  # verified: not open
        ]
        for row, days, status in plan:
            Deliverable.objects.filter(pk=row.pk).update(
                due_date=today + dt.timedelta(days=days), status=status
            )
    both = [a.district, b.district]
    with rollup_scope(both):
        found = convergence.next_deadlines(both, YEAR, limit=3)
    ids = [d.id for d in found[a.district.pk]]
    assert ids[:2] == [rows[1].pk, rows[2].pk]
    assert len(ids) == 3 and rows[0].pk not in ids and rows[3].pk not in ids
    assert found[a.district.pk][0].due_date == today
    assert all(d.due_date >= b.district.local_now().date() for d in found[b.district.pk])
    assert not set(ids) & {d.id for d in found[b.district.pk]}
    with rollup_scope(both):
        with CaptureQueriesContext(connection) as queries:
            convergence.next_deadlines(both, YEAR, limit=3)
    assert len(queries) == 2


def semester_one(side):
    with scopes_disabled():
        village_reports_services.create_periods(district=side.district, year=YEAR, by=None)
        return ReportPeriod.objects.get(
            district=side.district, year=YEAR, kind=ReportKind.SEMESTER, number=1
        )


def test_village_fund_sums_the_verified_semester_reports(world):
    a, b = world.a, world.b
    period, b_period = semester_one(a), semester_one(b)
    v1, v2, v3, v4 = villages_of(a)  # Wado: v1, v2; Jatinunggal: v3, v4
    day = period.due_on
    report(
        a,
        v1,
        period,
        ReportStatus.VERIFIED,
        sent_on=day,
        data={"fund_budget": 80, "fund_spent": 20},
    )
    report(
        a,
        v2,
        period,
        ReportStatus.VERIFIED,
        sent_on=day,
        data={"fund_budget": 20, "fund_spent": 20},
    )
    report(
        a,
        v3,
        period,
        ReportStatus.VERIFIED,
        sent_on=day,
        data={"fund_budget": 50, "fund_spent": 10},
    )
    report(a, v4, period, ReportStatus.SUBMITTED, sent_on=day, data={"fund_budget": 999})
    report(b, villages_of(b)[0], b_period, ReportStatus.VERIFIED, data={"fund_budget": 7})
    both = [a.district, b.district]
    with rollup_scope(both):
        with CaptureQueriesContext(connection) as queries:
            fund = summaries.village_fund(both, YEAR, 1)
        all_periods = summaries.periods(both, YEAR)
    F = summaries.FundTotal
    assert len(queries) == 3
    assert fund[a.district.pk].total == F(150, 50, 3)
    assert str(fund[a.district.pk].total.spent_percent) == "33.33"  # 50 ÷ 150
    assert fund[a.district.pk].by_kecamatan == {
        v1.kecamatan_id: F(100, 40, 2),
        v3.kecamatan_id: F(50, 10, 1),
    }
    assert fund[b.district.pk].total == F(7, 0, 1)
    with rollup_scope(both):
        wado = summaries.village_fund(both, YEAR, 1, kecamatan_ids=[v1.kecamatan_id])
    assert wado[a.district.pk].total == F(100, 40, 2)
    with rollup_scope(both):
        assert summaries.village_fund(both, YEAR - 1, 1)[a.district.pk] is None
    # the periods: four quarters and two semesters, each district its own
    own = all_periods[a.district.pk]
    assert [(p.kind, p.number) for p in own] == [
        ("scorecard", 1),
        ("scorecard", 2),
        ("scorecard", 3),
        ("scorecard", 4),
        ("semester", 1),
        ("semester", 2),
    ]
    assert {p.id for p in own}.isdisjoint({p.id for p in all_periods[b.district.pk]})
