"""Free text has a limit in every form and the service behind it (a message at the field,
nothing saved), and the characters that reverse text never reach the database or a PDF."""

import re
import subprocess
import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments import services as commitments
from commitments.models import CommitmentDocument, Signatory
from convergence import services as convergence
from convergence.models import Comment
from lib.pdf import render_pdf
from rembuk import services as rembuk
from tests.commitments.factories import make_document
from tests.commitments.test_documents import create_post
from tests.conftest import need_poppler
from tests.convergence.objects import own_deliverable, year_for
from tests.rembuk.objects import village_session
from tests.village_reports.report_objects import report_objects
from village_reports.models import VillageReport

pytestmark = pytest.mark.django_db

RLO, PDF_ = "\u202e", "\u202c"  # right-to-left override, pop directional formatting


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def pdf_text(pdf: bytes, tmp_path) -> str:
    need_poppler()
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- commitment content -----------------------------------------------------------------------


def test_a_huge_commitment_preamble_is_refused_at_its_field_quickly(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    started = time.monotonic()
    response = client.post(
        url("commitment_create", side), create_post(preamble="Kami berkomitmen. " * 250_000)
    )  # 4.5 MB of text
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    assert "preamble" in response.context["form"].errors
    with scopes_disabled():
        assert not CommitmentDocument.objects.filter(district=side.district).exists()


def test_commitment_points_and_closing_have_limits_in_the_page_and_the_service(client, world):
    side = world.a
    client.force_login(side.users["district_admin"])
    long_point = "Menganggarkan " + "x" * 1_000
    response = client.post(
        url("commitment_create", side), create_post(points=f"Butir pertama.\n{long_point}")
    )
    points = " ".join(response.context["form"].errors["points"])
    assert "Butir 2" in points and "1.000 karakter" in points
    response = client.post(url("commitment_create", side), create_post(closing="Demikian. " * 600))
    assert "closing" in response.context["form"].errors
    with scopes_disabled():
        assert not CommitmentDocument.objects.filter(district=side.district).exists()
        # an import or a command calls the service directly: it refuses on its own
        with pytest.raises(ValidationError) as refused:
            make_document(side, points=["Satu.", "y" * 1_001])
        assert "points" in refused.value.message_dict
        document = make_document(side)
        with pytest.raises(ValidationError) as refused:
            commitments.update_content(
                document,
                title="Judul",
                preamble="p" * 5_001,
                points=["Satu."],
                closing="",
                place="Sumedang",
                signed_on=document.current_version.signed_on,
                by=side.users["district_admin"],
            )
        assert "preamble" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            commitments.add_signatory(
                document, position="Bupati", name="N" * 201, by=side.users["district_admin"]
            )
        assert "name" in refused.value.message_dict
        document.refresh_from_db()
        assert document.current_version.preamble.startswith("Kami")
        assert not Signatory.objects.filter(version__document=document).exists()


def test_direction_overrides_are_stored_and_printed_without_them(client, world, tmp_path):
    side = world.a
    client.force_login(side.users["district_admin"])
    response = client.post(
        url("commitment_create", side),
        create_post(
            title=f"Komitmen {RLO}Bersama{PDF_} 2026",
            points=f"Menganggarkan {RLO}pencegahan stunting{PDF_}.\nMelapor tiap triwulan.",
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        document = CommitmentDocument.objects.get(district=side.district)
    client.post(
        url("signatory_add", side, document_id=document.pk),
        {"position": "Bupati Sumedang", "name": f"H. {RLO}Dony Ahmad Munir", "nip": ""},
    )
    with scopes_disabled():
        version = document.current_version
        signatory = version.signatories.get()
    assert version.title == "Komitmen Bersama 2026"
    assert version.points[0] == "Menganggarkan pencegahan stunting."
    assert signatory.name == "H. Dony Ahmad Munir"

    text = pdf_text(
        client.get(url("commitment_draft_pdf", side, document_id=document.pk)).content, tmp_path
    )
    assert "Dony Ahmad Munir" in text and "pencegahan stunting" in text
    assert RLO not in text and "rinuM" not in text


def test_the_pdf_renderer_drops_direction_overrides_whatever_the_template(tmp_path):
    text = pdf_text(
        render_pdf(f"<html><body><p>Nama: {RLO}Siti Aminah</p></body></html>"), tmp_path
    )
    assert "Siti Aminah" in text and "hanimA" not in text


# --- rembuk minutes, a comment, a village report's remark -------------------------------------


def test_rembuk_minutes_have_a_limit_in_the_page_and_the_service(client, world):
    side = world.a
    session = village_session(side, 2026)
    client.force_login(side.users["district_admin"])
    response = client.post(
        url("rembuk_minutes", side, session_id=session.pk), {"chair": "", "minutes": "n" * 50_001}
    )
    assert response.status_code == 200 and "minutes" in response.context["form"].errors
    with scopes_disabled():
        with pytest.raises(ValidationError) as refused:
            rembuk.update_session(session, by=side.users["district_admin"], minutes="n" * 50_001)
        assert "minutes" in refused.value.message_dict
        session.refresh_from_db()
    assert session.minutes == ""


def test_an_over_long_comment_says_so_and_saves_nothing(client, world):
    side = world.a
    with scopes_disabled():
        deliverable = own_deliverable(side, year_for(side, 2026))
    client.force_login(side.users["district_admin"])
    response = client.post(
        reverse(
            "deliverable_comment",
            kwargs={"district_slug": side.district.slug, "deliverable_id": deliverable.pk},
        ),
        {"text": "k" * 5_001},
        follow=True,
    )
    # the form's own message (Django's wording) at the form, the page shows it
    assert any(re.search(r"5\.?000 karakter", m) for m in messages_of(response))
    with scopes_disabled():
        assert not Comment.objects.filter(deliverable=deliverable).exists()
        with pytest.raises(ValidationError):
            convergence.add_comment(
                deliverable=deliverable, text="k" * 5_001, by=side.users["district_admin"]
            )
        assert not Comment.objects.filter(deliverable=deliverable).exists()


def test_an_over_long_remark_does_not_return_the_report(client, world):
    side = world.a
    report_id = report_objects(side, 2026)["report_id"]
    client.force_login(side.users["camat"])
    response = client.post(
        url("report_return", side, report_id=report_id), {"remark": "r" * 2_001}, follow=True
    )
    assert any("2.000 karakter" in m for m in messages_of(response))
    with scopes_disabled():
        report = VillageReport.objects.get(pk=report_id)
    assert report.status == "submitted" and report.remark == ""
