"""A point issued to every village is tracked once per village: on the dashboard, above a dozen
villages their follow-ups become one line per kecamatan (with its own link to the list),
not a bar per village; agencies keep their own lines."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments.models import CommitmentDocument, FollowUpStatus
from tests.commitments.test_commitment_summaries import document, follow_up
from villages.models import Village

pytestmark = pytest.mark.django_db


def test_many_village_owners_are_one_line_per_kecamatan(client, world):
    a = world.a
    with scopes_disabled():
        made = [
            Village.objects.create(
                code=f"{a.kecamatan.code}.{2200 + i}",
                name=f"Desa {i:02d}",
                kecamatan=a.kecamatan,
                district=a.district,
            )
            for i in range(12)
        ]
        made.append(
            Village.objects.create(
                code=f"{a.other_kecamatan.code}.2300",
                name="Desa Lain",
                kecamatan=a.other_kecamatan,
                district=a.district,
            )
        )
    signed = document(a, CommitmentDocument.Status.SIGNED)
    # point 1 for 13 villages: 12 in the first kecamatan (3 finished, 9 in progress), one in
    # the other (not started); point 2 for the agency (finished)
    for i, village in enumerate(made[:12]):
        status = FollowUpStatus.VERIFIED if i < 3 else FollowUpStatus.IN_PROGRESS
        follow_up(a, signed, 1, status, due_days=30, village=village)
    follow_up(a, signed, 1, FollowUpStatus.NOT_STARTED, due_days=30, village=made[12])
    follow_up(a, signed, 2, FollowUpStatus.VERIFIED, due_days=30)

    client.force_login(a.users["district_admin"])
    board = client.get(reverse("district_dashboard", kwargs={"district_slug": a.district.slug}))
    html = board.content.decode()
    rows = [
        (r["owner"].name, r["counts"].completed, r["counts"].in_progress, r["counts"].not_started)
        for r in _follow_ups(board)["owners"]
    ]
    assert rows == [
        (a.agency.short_name, 1, 0, 0),
        # by kecamatan name: Jatinunggal, then Wado
        ("Desa/kelurahan Kec. Jatinunggal (1)", 0, 0, 1),
        ("Desa/kelurahan Kec. Wado (12)", 3, 9, 0),
    ]
    assert "Desa 05" not in html  # no line of its own

    # the kecamatan line's link lists exactly its villages' follow-ups
    link = _follow_ups(board)["owners"][2]["links"]["in_progress"]
    assert f"pemilik=k{a.kecamatan.pk}" in link
    listed = client.get(link)
    assert listed.status_code == 200
    assert sorted(f.owner_village.name for f in listed.context["follow_ups"]) == [
        f"Desa {i:02d}" for i in range(3, 12)
    ]


def _follow_ups(response):
    """The dashboard's follow-up section, as the page was built from it."""
    from reports import dashboard

    for context in response.context:
        board = context.get("board") or context.get("d")
        if isinstance(board, dict) and "follow_ups" in board:
            return board["follow_ups"]
    raise AssertionError(f"no follow-up section in {dashboard.__name__}'s context")
