"""documents.transitions.move, called directly: of two moves racing from two real database
connections exactly one wins and one history row is written; a refused move writes nothing.

The record is a village report under a camat's scope, the hard case: there the scoped manager
joins the village table, and a conditional UPDATE alone lets both racers through."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from accounts.audit import record
from accounts.models import AuditEvent, Membership
from accounts.policy import access_for
from documents import transitions
from tests.concurrency import race
from village_reports import reports
from village_reports.models import ReportEvent, ReportKind, ReportPeriod, VillageReport

pytestmark = pytest.mark.django_db

SUBMITTED, VERIFIED, RETURNED = "submitted", "verified", "returned"


def _submitted_report(side):
    with scopes_disabled():
        reports.create_periods(district=side.district, year=2026, by=side.users["district_admin"])
        period = ReportPeriod.objects.get(
            district=side.district, year=2026, kind=ReportKind.SCORECARD, number=1
        )
        return VillageReport.objects.create(
            district=side.district,
            village=side.village,
            period=period,
            status=SUBMITTED,
            data={"t_pregnant": 1},
        )


def _camat(side):
    camat = side.users["camat"]
    memberships = list(
        Membership.objects.active()
        .filter(user=camat)
        .select_related("district", "province", "kecamatan", "village", "agency")
    )
    return camat, access_for(memberships, side.district)


def _mover(report_id, target, camat, access):
    def run():
        with scope(**access.scope()):
            report = VillageReport.objects.get(pk=report_id)
            return transitions.move(
                report,
                sources=(SUBMITTED,),
                target=target,
                refused=lambda locked: ValidationError(f"already {locked.status}"),
                fields=lambda locked, now: {"decided_at": now, "decided_by": camat},
                history=lambda locked, from_status, now: ReportEvent.objects.create(
                    report=report,
                    district_id=report.district_id,
                    from_status=from_status,
                    to_status=target,
                    actor=camat,
                    at=now,
                ),
                audit=lambda locked: record(
                    "village_report_verify", actor=camat, district=report.district
                ),
            )

    return run


@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_one_wins_with_one_history_row(world, postgres):
    report = _submitted_report(world.a)
    camat, access = _camat(world.a)

    first, second = race(
        _mover(report.pk, VERIFIED, camat, access), _mover(report.pk, RETURNED, camat, access)
    )

    assert isinstance(first, VillageReport) and first.status == VERIFIED
    assert isinstance(second, ValidationError)
    assert second.messages == ["already verified"]  # read under the lock, after the winner
    with scopes_disabled():
        assert VillageReport.objects.get(pk=report.pk).status == VERIFIED
        events = list(ReportEvent.objects.filter(report_id=report.pk))
        assert [(e.from_status, e.to_status) for e in events] == [(SUBMITTED, VERIFIED)]
        assert AuditEvent.objects.filter(action="village_report_verify").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_move_twice_at_once_writes_one_history_row(world, postgres):
    report = _submitted_report(world.a)
    camat, access = _camat(world.a)

    first, second = race(
        _mover(report.pk, VERIFIED, camat, access), _mover(report.pk, VERIFIED, camat, access)
    )

    assert isinstance(first, VillageReport) and isinstance(second, ValidationError)
    with scopes_disabled():
        assert ReportEvent.objects.filter(report_id=report.pk).count() == 1
        assert AuditEvent.objects.filter(action="village_report_verify").count() == 1


def test_a_refused_move_changes_and_writes_nothing(world):
    report = _submitted_report(world.a)
    camat, access = _camat(world.a)
    with scopes_disabled():
        VillageReport.objects.filter(pk=report.pk).update(status=RETURNED)

    with pytest.raises(ValidationError, match="already returned"):
        _mover(report.pk, VERIFIED, camat, access)()

    with scopes_disabled():
        assert VillageReport.objects.get(pk=report.pk).status == RETURNED
        assert not ReportEvent.objects.filter(report_id=report.pk).exists()
        assert not AuditEvent.objects.filter(action="village_report_verify").exists()


def test_a_failed_check_under_the_lock_changes_and_writes_nothing(world):
    report = _submitted_report(world.a)
    camat, access = _camat(world.a)
    written = []

    def refuse(locked):
        raise ValidationError("not yet")

    with scope(**access.scope()), pytest.raises(ValidationError, match="not yet"):
        transitions.move(
            VillageReport.objects.get(pk=report.pk),
            sources=(SUBMITTED,),
            target=VERIFIED,
            refused=lambda locked: ValidationError("wrong status"),
            check=refuse,
            history=lambda *args: written.append("history"),
            audit=lambda locked: written.append("audit"),
        )

    assert written == []
    with scopes_disabled():
        assert VillageReport.objects.get(pk=report.pk).status == SUBMITTED
