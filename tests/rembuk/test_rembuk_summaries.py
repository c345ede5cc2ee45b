"""rembuk.summaries against numbers counted by hand: sessions by level and the latest one,
plan budgets by fund source and RKPD status; a two-district roll-up that does not leak; the
same number of queries for few or many rows and for one or two districts."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.tenancy import rollup_scope
from rembuk import services, summaries
from rembuk.models import Level, RkpdStatus

pytestmark = pytest.mark.django_db

YEAR = 2026


def session(side, level, day, *, year=YEAR):
    area = {
        Level.DISTRICT: {},
        Level.KECAMATAN: {"kecamatan": side.kecamatan},
        Level.VILLAGE: {"village": side.village},
    }[level]
    with scopes_disabled():
        return services.create_session(
            district=side.district,
            level=level,
            by=side.users["district_admin"],
            title=f"Rembuk {level} {day}",
            starts_at=datetime(year, 3, day, 9, 0, tzinfo=side.district.tz),
            venue="Aula",
            **area,
        )


def item(side, rembuk, budget, source="", rkpd=RkpdStatus.UNKNOWN):
    with scopes_disabled():
        return services.add_plan_item(
            rembuk,
            by=side.users["district_admin"],
            activity=f"Kegiatan {budget}",
            budget=budget,
            fund_source=source,
            in_rkpd=rkpd,
        )


def test_sessions_by_level_and_the_latest(world):
    a, b = world.a, world.b
    session(a, Level.DISTRICT, 5)
    session(a, Level.KECAMATAN, 6)
    latest = session(a, Level.VILLAGE, 20)
    session(a, Level.VILLAGE, 7)
    session(a, Level.DISTRICT, 30, year=YEAR - 1)  # another year
    session(b, Level.KECAMATAN, 9)
    both = [a.district, b.district]
    with rollup_scope(both):
        found = summaries.sessions(both, YEAR)
    mine = found[a.district.pk]
    assert mine.by_level == {"district": 1, "kecamatan": 1, "village": 2} and mine.total == 4
    assert mine.latest.id == latest.pk and mine.latest.village_id == a.village.pk
    assert found[b.district.pk].by_level == {"kecamatan": 1}
    assert found[b.district.pk].latest.kecamatan_id == b.kecamatan.pk
    with scopes_disabled():
        assert summaries.sessions([a.district], YEAR + 1)[a.district.pk] == summaries.Sessions()


def test_plan_totals_by_source_and_rkpd_counted_by_hand(world):
    a, b = world.a, world.b
    one, two = session(a, Level.DISTRICT, 5), session(a, Level.VILLAGE, 6)
    item(a, one, 100_000_000, "apbd", RkpdStatus.YES)
    item(a, one, 40_000_000, "dak", RkpdStatus.NO)
    item(a, two, 25_000_000, "apbdes", RkpdStatus.YES)
    item(a, two, 35_000_000, "apbdes")
    item(a, two, None)  # no budget: counted apart
    item(a, two, 5_000_000)  # no source
    item(b, session(b, Level.DISTRICT, 5), 7_000_000, "apbd", RkpdStatus.YES)
    both = [a.district, b.district]
    with rollup_scope(both):
        totals = summaries.plan_totals(both, YEAR)
        first = summaries.plan_totals([a.district], YEAR, only_sessions=[one])
    t = totals[a.district.pk]
    # 100 + 40 + 25 + 35 + 5 = 205 million; APBD 100, APBDes 25 + 35 = 60, DAK 40, none 5
    assert (t.items, t.total, t.unbudgeted) == (6, 205_000_000, 1)
    assert t.by_source == (
        ("apbd", 100_000_000),
        ("apbdes", 60_000_000),
        ("dak", 40_000_000),
        ("", 5_000_000),
    )
    assert t.by_source_labels[-1] == ("Sumber belum diisi", 5_000_000)
    # RKPD: yes 100 + 25, no 40, unknown 35 + 5
    assert t.by_rkpd == {"yes": 125_000_000, "no": 40_000_000, "unknown": 40_000_000}
    assert t.in_rkpd == 125_000_000
    assert totals[b.district.pk] == summaries.PlanTotals(
        items=1,
        total=7_000_000,
        by_source=(("apbd", 7_000_000),),
        by_rkpd={"yes": 7_000_000},
    )
    f = first[a.district.pk]
    assert (f.items, f.total, f.in_rkpd) == (2, 140_000_000, 100_000_000)


def test_the_session_page_shows_the_summary_totals(client, world):
    a = world.a
    one = session(a, Level.DISTRICT, 5)
    item(a, one, 12_000_000, "apbd", RkpdStatus.YES)
    item(a, one, 3_500_000, "dak")
    client.force_login(a.users["district_admin"])
    response = client.get(f"/{a.district.slug}/rembuk/{one.pk}/")
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.total, totals.in_rkpd, totals.unbudgeted) == (15_500_000, 12_000_000, 0)
    assert "15.500.000" in response.content.decode()


@pytest.mark.parametrize(
    "call, own",
    [(lambda ds: summaries.sessions(ds, YEAR), 2), (lambda ds: summaries.plan_totals(ds, YEAR), 3)],
    ids=["sessions", "plan_totals"],
)
def test_queries_do_not_grow_with_rows_or_districts(world, call, own):
    a, b = world.a, world.b
    first = session(a, Level.DISTRICT, 1)
    item(a, first, 1_000, "apbd")
    item(b, session(b, Level.DISTRICT, 1), 1_000, "dak")
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as few:
        call([a.district])
    for day in range(2, 12):
        more = session(a, Level.VILLAGE if day % 2 else Level.KECAMATAN, day)
        item(a, more, day * 1_000, "apbdes", RkpdStatus.YES)
        item(a, more, None)
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as many:
        call([a.district])
    with rollup_scope([a.district, b.district]), CaptureQueriesContext(connection) as both:
        call([a.district, b.district])
    assert len(few) == len(many) == len(both)
    with scopes_disabled(), CaptureQueriesContext(connection) as alone:
        call([a.district, b.district])
    assert len(alone) == own
