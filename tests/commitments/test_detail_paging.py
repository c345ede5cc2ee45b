"""A document with hundreds of signatories lists them fifty at a time (or only those still
to sign), in the same number of queries whatever the page, instead of rendering every row on
every view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments import services
from tests.commitments.factories import add_people, make_document
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def rows(response):
    return [s.order for s in response.context["signatory_page"]]


def test_hundreds_of_signatories_are_listed_fifty_at_a_time(world, client):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, users=["opd_staff"], paper=229)  # 230 in all
        services.open_signing(document, by=side.users["district_admin"])
    client.force_login(side.users["district_admin"])
    url = reverse(
        "commitment_detail",
        kwargs={"district_slug": side.district.slug, "document_id": document.pk},
    )

    first = client.get(url)
    assert rows(first) == list(range(1, 51))
    text = first.content.decode()
    assert "Baris 1–50 dari 230." in text and "Halaman 1 dari 5" in text
    assert "Tokoh 50" not in text  # no. 51 (the 50th paper signatory) is on the second page
    assert "0 dari 230 tanda tangan" in text  # the count is of all of them

    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"halaman": 1}).status_code == 200
    with CaptureQueriesContext(connection) as five:
        last = client.get(url, {"halaman": 5})
    assert rows(last) == list(range(201, 231))
    assert len(five) == len(one)
    assert rows(client.get(url, {"halaman": 3})) == list(range(101, 151))
    # a page number past the end shows the last page, nonsense the first
    assert rows(client.get(url, {"halaman": 99})) == list(range(201, 231))
    assert rows(client.get(url, {"halaman": "x"}))[:1] == [1]

    # the OPD staff member (no. 1) signs in the portal: only the others are still waiting
    with scopes_disabled():
        signatory = document.current_version.signatories.get(order=1)
        services.sign_in_portal(
            document,
            signatory=signatory,
            user=side.users["opd_staff"],
            password=PASSWORD,
            content_sha256=document.current_version.content_sha256(),
        )
    waiting = client.get(url, {"tampil": "menunggu"})
    assert rows(waiting) == list(range(2, 52))
    assert "Baris 1–50 dari 229." in waiting.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the document is kept under the chain's fingerprint, which exists only on PostgreSQL",
)
def test_the_kept_document_shows_each_change_on_the_next_view(world, client):
    """For a reader who sees every document of the district the page keeps the document and its
    current version under the chain's fingerprint and the district's data generation: a second
    view reads no row of the document again, and a change made in SQL past the portal
    (the document's status, the version's title) or through it (the village renamed) shows on
    the very next view."""
    side = world.a
    with scopes_disabled():
        document = make_document(side, level="village")
        add_people(document, side, paper=3)
    client.force_login(side.users["district_admin"])
    url = reverse(
        "commitment_detail",
        kwargs={"district_slug": side.district.slug, "document_id": document.pk},
    )
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as second:
        page = client.get(url)
    # the user; the fingerprint; the page of signatories, read on each view while nobody has
    # signed (its reorder and remove buttons carry the session's CSRF token)
    tables = [q["sql"] for q in second]
    assert len(tables) == 3, tables
    assert '"accounts_user"' in tables[0]
    assert "commitments_chainchange" in tables[1]
    assert 'FROM "commitments_signatory"' in tables[2]
    assert "Komitmen Bersama Percepatan Penurunan Stunting" in page.content.decode()
    assert page.context["document"].status == "draft"

    with scopes_disabled():
        document.versions.update(title="Komitmen Desa Sehat")  # SQL: no signal, no generation
        type(document).objects.filter(pk=document.pk).update(status="signing")
    page = client.get(url)
    assert "Komitmen Desa Sehat" in page.content.decode()
    assert page.context["document"].status == "signing"

    with scopes_disabled():
        village = side.village
        village.name = "Desa Sukamaju Baru"
        village.save()  # through the portal: the district's data generation moves
    assert "Desa Sukamaju Baru" in client.get(url).content.decode()


def test_a_district_wide_reader_cannot_open_another_districts_document(world, client):
    """The kept path asks the database whether the document is the district's before anything
    else: another district's document id answers 404 as before, and nothing of it is shown."""
    with scopes_disabled():
        theirs = make_document(world.b)
    client.force_login(world.a.users["district_admin"])
    url = reverse(
        "commitment_detail",
        kwargs={"district_slug": world.a.district.slug, "document_id": theirs.pk},
    )
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404  # and not kept from the first answer
