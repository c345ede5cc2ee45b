"""commitments.summaries against numbers counted by hand: documents by status and the latest,
signatures on current versions, follow-ups by status, late and owner; a two-district roll-up
that does not leak; the same number of queries for few or many rows and one or two
districts. Statuses and signatures are set directly: what is counted, not how it got there."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.tenancy import rollup_scope
from commitments import summaries
from commitments.models import CommitmentDocument, FollowUp, FollowUpStatus, Signature
from tests.commitments.factories import add_people, make_document

pytestmark = pytest.mark.django_db

Status = CommitmentDocument.Status


def document(side, status, *, level="district", created_days_ago=0):
    with scopes_disabled():
        made = make_document(side, level=level, template=level)
        CommitmentDocument.objects.filter(pk=made.pk).update(
            status=status, created_at=timezone.now() - timedelta(days=created_days_ago)
        )
    return made


def sign(side, made, signatories, signed):
    """`signatories` places on the current version, the first `signed` of them signed."""
    with scopes_disabled():
        add_people(made, side, paper=signatories)
        places = list(made.current_version.signatories.order_by("order"))
        for place in places[:signed]:
            sign_on_paper(side, place)


def sign_on_paper(side, place):
    """A paper signature recorded for `place` (a saved row: its signal moves the generation)."""
    with scopes_disabled():
        return Signature.objects.create(
            signatory=place,
            district=side.district,
            method=Signature.Method.PAPER,
            by=side.users["district_admin"],
            content_sha256="0" * 64,
        )


def follow_up(side, made, point, status, *, due_days, village=None):
    today = side.district.local_now().date()
    owner = {"owner_village": village} if village else {"owner_agency": side.agency}
    with scopes_disabled():
        return FollowUp.objects.create(
            document=made,
            district=side.district,
            point=point,
            text=f"Butir {point}",
            due_on=today + timedelta(days=due_days),
            status=status,
            **owner,
        )


def test_documents_by_status_and_the_latest_signed_first(world):
    a, b = world.a, world.b
    document(a, Status.DRAFT, created_days_ago=0)  # newest, not signed
    older_signed = document(a, Status.SIGNED, created_days_ago=10)
    document(a, Status.SIGNING, created_days_ago=5)
    document(a, Status.SIGNED, level="village", created_days_ago=0)  # not district level
    only_b = document(b, Status.SIGNING)
    both = [a.district, b.district]
    with rollup_scope(both):
        found = summaries.documents(both)
    mine = found[a.district.pk]
    assert mine.by_status == {"draft": 1, "signing": 1, "signed": 2} and mine.total == 4
    assert mine.latest.id == older_signed.pk and mine.latest.is_signed
    assert mine.latest.title == "Komitmen Bersama Percepatan Penurunan Stunting"
    assert found[b.district.pk].by_status == {"signing": 1}
    assert found[b.district.pk].latest.id == only_b.pk
    assert not found[b.district.pk].latest.is_signed
    with scopes_disabled():
        assert summaries.documents([a.district], 2025)[a.district.pk] == summaries.Documents()


def test_signatures_on_current_versions(world):
    a, b = world.a, world.b
    sign(a, document(a, Status.SIGNING), 3, 2)
    sign(a, document(a, Status.SIGNED), 2, 2)
    sign(b, document(b, Status.SIGNING), 4, 1)
    both = [a.district, b.district]
    with rollup_scope(both):
        found = summaries.signatures(both)
    assert found[a.district.pk] == summaries.Signatures(signed=4, total=5)
    assert found[a.district.pk].waiting == 1
    assert found[b.district.pk] == summaries.Signatures(signed=1, total=4)


def test_follow_ups_by_status_late_and_owner_counted_by_hand(world):
    a, b = world.a, world.b
    made = document(a, Status.SIGNED)
    follow_up(a, made, 1, FollowUpStatus.IN_PROGRESS, due_days=-3)  # late
    follow_up(a, made, 2, FollowUpStatus.NOT_STARTED, due_days=-1)  # late
    follow_up(a, made, 3, FollowUpStatus.DONE, due_days=-10)  # done: not late
    follow_up(a, made, 4, FollowUpStatus.VERIFIED, due_days=-10)  # verified: not late
    follow_up(a, made, 5, FollowUpStatus.IN_PROGRESS, due_days=5, village=a.village)
    follow_up(a, made, 1, FollowUpStatus.MISSED, due_days=-2, village=a.village)  # late
    follow_up(b, document(b, Status.SIGNED), 1, FollowUpStatus.DONE, due_days=-1)
    both = [a.district, b.district]
    with rollup_scope(both):
        found = summaries.follow_ups(both)
    mine = found[a.district.pk]
    C = summaries.FollowUpCounts
    assert mine.all == C(not_started=1, in_progress=2, done=1, verified=1, missed=1, late=3)
    assert (mine.all.total, mine.all.completed) == (6, 2)
    agency = summaries.Owner("agency", a.agency.pk, a.agency.short_name)
    village = summaries.Owner("village", a.village.pk, a.village.name)
    assert mine.by_owner == {
        agency: C(not_started=1, in_progress=1, done=1, verified=1, late=2),
        village: C(in_progress=1, missed=1, late=1),
    }
    assert mine.by_document == {
        made.pk: {"not_started": 1, "in_progress": 2, "done": 1, "verified": 1, "missed": 1}
    }
    assert found[b.district.pk].all == C(done=1)


def test_the_district_home_shows_the_latest_and_the_late(client, world):
    a = world.a
    made = document(a, Status.SIGNING)
    follow_up(a, made, 1, FollowUpStatus.IN_PROGRESS, due_days=-1)
    follow_up(a, made, 2, FollowUpStatus.NOT_STARTED, due_days=-1)
    client.force_login(a.users["district_admin"])
    response = client.get(f"/{a.district.slug}/")
    assert response.context["commitment"].id == made.pk
    assert response.context["follow_late"] == 2
    assert "2 tindak lanjut terlambat" in response.content.decode()


@pytest.mark.parametrize(
    "call, own",
    [(summaries.documents, 2), (summaries.signatures, 1), (summaries.follow_ups, 1)],
    ids=["documents", "signatures", "follow_ups"],
)
def test_queries_do_not_grow_with_rows_or_districts(world, call, own):
    a, b = world.a, world.b
    first = document(a, Status.SIGNED)
    sign(a, first, 1, 1)
    follow_up(a, first, 1, FollowUpStatus.DONE, due_days=-1)
    follow_up(b, document(b, Status.SIGNED), 1, FollowUpStatus.DONE, due_days=1)
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as few:
        call([a.district])
    for i in range(6):
        more = document(a, Status.SIGNING if i % 2 else Status.SIGNED, created_days_ago=i)
        sign(a, more, 3, i % 3)
        for point in range(1, 4):
            follow_up(a, more, point, FollowUpStatus.IN_PROGRESS, due_days=point - 2)
    with rollup_scope([a.district]), CaptureQueriesContext(connection) as many:
        call([a.district])
    with rollup_scope([a.district, b.district]), CaptureQueriesContext(connection) as both:
        call([a.district, b.district])
    assert len(few) == len(many) == len(both)
    with scopes_disabled(), CaptureQueriesContext(connection) as alone:
        call([a.district, b.district])
    assert len(alone) == own
