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
