"""convergence.summaries against numbers counted by hand: one district, two districts rolled up
without leaking into each other, and the same number of queries for few or many rows and for
one or two districts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from accounts.tenancy import rollup_scope
from convergence import services, summaries
from convergence.models import Deliverable, Grade, Indicator, Status
from tests.convergence.objects import year_for

pytestmark = pytest.mark.django_db


def shape(side, district_year, plan):
    """Keep len(plan) deliverables of the year (the first by action and number), each given
    (status, due in days from the district's today); delete the others. Returns the kept ones
    as (action number, status, due)."""
    today = side.district.local_now().date()
    with scopes_disabled():
        everything = list(
            Deliverable.objects.filter(year_action__district_year=district_year)
            .select_related("year_action__action")
            .order_by("year_action__action__number", "template__number")
        )
        assert len(everything) >= len(plan)
        kept = everything[: len(plan)]
        Deliverable.objects.filter(pk__in=[d.pk for d in everything[len(plan) :]]).delete()
        for d, (status, days) in zip(kept, plan, strict=True):
            Deliverable.objects.filter(pk=d.pk).update(
                status=status, due_date=today + timedelta(days=days)
            )
    return [
        (d.year_action.action.number, status) for d, (status, _) in zip(kept, plan, strict=True)
    ]


def test_year_progress_of_one_district_counted_by_hand(world):
    year = year_for(world.a, 2026)
    shape(
        world.a,
        year,
        [
            (Status.VERIFIED, -5),
            (Status.SUBMITTED, -5),  # past due but sent: not overdue
            (Status.DRAFT, -1),  # overdue
            (Status.RETURNED, 10),  # open, not yet due
        ],
    )
    with scopes_disabled():
        progress = summaries.year_progress([world.a.district], 2026)[world.a.district.pk]
    assert (progress.total, progress.verified, progress.submitted) == (4, 1, 1)
    assert (progress.draft, progress.returned, progress.overdue) == (1, 1, 1)
    assert progress.verified_percent == Decimal("25.0") and progress.percent == 25
    assert progress.year == 2026 and not progress.is_locked


def test_a_third_verified_is_33_3_percent_and_the_latest_year_by_default(world):
    year_for(world.a, 2025)
    year = year_for(world.a, 2026)
    shape(world.a, year, [(Status.VERIFIED, 1), (Status.DRAFT, 1), (Status.DRAFT, 1)])
    with scopes_disabled():
        progress = summaries.year_progress([world.a.district])[world.a.district.pk]
    assert progress.year == 2026
    assert progress.verified_percent == Decimal("33.3") and progress.percent == 33
    assert progress.overdue == 0


def test_roll_up_of_two_districts_keeps_each_its_own(world):
    a_year = year_for(world.a, 2026)
    b_year = year_for(world.b, 2026)
    a_kept = shape(world.a, a_year, [(Status.VERIFIED, -2), (Status.DRAFT, -2)])
    b_kept = shape(
        world.b, b_year, [(Status.VERIFIED, 3), (Status.VERIFIED, 3), (Status.RETURNED, -1)]
    )
    with rollup_scope([world.a.district, world.b.district]):
        progress = summaries.year_progress([world.a.district, world.b.district], 2026)
        actions = summaries.year_actions([world.a.district, world.b.district], 2026)
    a, b = progress[world.a.district.pk], progress[world.b.district.pk]
    assert (a.total, a.verified, a.overdue, a.verified_percent) == (2, 1, 1, Decimal("50.0"))
    assert (b.total, b.verified, b.overdue, b.verified_percent) == (3, 2, 1, Decimal("66.7"))
    # year_actions adds up to the same year, and each action has its own deliverables
    for side, kept in ((world.a, a_kept), (world.b, b_kept)):
        numbers = actions[side.district.pk]
        assert numbers.progress == progress[side.district.pk]
        by_action = {x.number: (x.total, x.verified) for x in numbers.actions if x.total}
        expected = {}
        for number, status in kept:
            total, verified = expected.get(number, (0, 0))
            expected[number] = (total + 1, verified + (status == Status.VERIFIED))
        assert by_action == expected
    # a roll-up of one district says nothing about the other
    with rollup_scope([world.a.district]):
        alone = summaries.year_progress([world.a.district], 2026)
    assert set(alone) == {world.a.district.pk} and alone[world.a.district.pk] == a


def test_a_district_without_the_year_has_none(world):
    year_for(world.a, 2026)
    with scopes_disabled():
        progress = summaries.year_progress([world.a.district, world.b.district], 2026)
        actions = summaries.year_actions([world.a.district, world.b.district], 2026)
    assert progress[world.b.district.pk] is None and actions[world.b.district.pk] is None


def test_scores_per_action_and_total_by_hand(world):
    year = year_for(world.a, 2026)
    year_for(world.b, 2026)
    with scopes_disabled():
        indicators = list(
            Indicator.objects.filter(action__framework=year.framework, action__number=1)
            .prefetch_related("options")
            .order_by("number")
        )
        first = indicators[0]
        best, second = sorted(first.options.all(), key=lambda o: -o.points)[:2]
        for source, option, by in (
            (Grade.Source.SELF, best, world.a.users["district_admin"]),
            (Grade.Source.PROVINCE, second, world.province_viewer_a),
        ):
            services.grade_indicator(
                district_year=year,
                indicator=first,
                option=option,
                source=source,
                justification="Sesuai dokumen",
                by=by,
            )
        maximum = sum(max(o.points for o in i.options.all()) * i.weight for i in indicators)
        numbers = summaries.year_actions([world.a.district, world.b.district], 2026)
    action = next(x for x in numbers[world.a.district.pk].actions if x.number == 1)
    assert action.score.self_score == best.points * first.weight
    assert action.score.province_score == second.points * first.weight
    assert action.score.difference == (second.points - best.points) * first.weight
    assert (action.score.self_graded, action.score.province_graded) == (1, 1)
    assert action.score.indicators == len(indicators) and action.score.maximum == maximum
    total = numbers[world.a.district.pk].score
    assert (total.self_score, total.province_score) == (
        action.score.self_score,
        action.score.province_score,
    )
    assert total.assessed and numbers[world.a.district.pk].self_class == ""  # not all graded
    # the other district has graded nothing
    other = numbers[world.b.district.pk].score
    assert (other.self_score, other.self_graded, other.assessed) == (0, 0, False)


def _queries(districts, call):
    with rollup_scope(districts), CaptureQueriesContext(connection) as captured:
        call([d for d in districts])
    return len(captured)


@pytest.mark.parametrize(
    "call, own",
    [
        (lambda ds: summaries.year_progress(ds, 2026), 2),
        (lambda ds: summaries.year_progress(ds), 2),
        (lambda ds: summaries.year_actions(ds, 2026), 4),
    ],
    ids=["year_progress", "latest_year", "year_actions"],
)
def test_queries_do_not_grow_with_rows_or_districts(world, call, own):
    a_year = year_for(world.a, 2026)
    b_year = year_for(world.b, 2026)
    shape(world.a, a_year, [(Status.DRAFT, -1), (Status.VERIFIED, 1)])
    shape(world.b, b_year, [(Status.DRAFT, -1)])
    few = _queries([world.a.district], call)
    with scopes_disabled():
        total = Deliverable.objects.filter(year_action__district_year=a_year).count()
    assert total == 2
    # many more deliverables: reopen the year whole (every deliverable of the framework)
    with scopes_disabled():
        a_year.delete()
    a_year = year_for(world.a, 2026)
    with scopes_disabled():
        assert (
            Deliverable.objects.filter(year_action__district_year=a_year).count() == 16
        )  # the 2026 framework
    many = _queries([world.a.district], call)
    both = _queries([world.a.district, world.b.district], call)
    assert few == many == both
    with scopes_disabled(), CaptureQueriesContext(connection) as alone:
        call([world.a.district, world.b.district])
    assert len(alone) == own
