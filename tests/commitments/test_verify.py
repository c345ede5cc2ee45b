"""The public verification page the QR code points at: what anyone holding the paper may
learn (and what not), the same 404 for unknown and unfinished documents, checking an uploaded
PDF against the stored one, and the notice on a voided version."""

import hashlib
import re
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent
from commitments import services
from commitments.models import (
    DocumentVersion,
    Signature,
    SignatureEvent,
)
from commitments.printing import format_nip
from documents.models import Job
from tests.commitments.factories import NIP, add_people, make_document, make_signed_document
from tests.conftest import PASSWORD, png_bytes
from tests.convergence.objects import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def public():
    """An anonymous visitor, from an address of its own (the page limits checks per address)."""
    return Client(REMOTE_ADDR=f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.7")


def verify_url(version):
    return reverse("document_verify", kwargs={"token": version.verify_token})


def signed(side, capture):
    """A district document signed by two users in the portal and one leader on paper, its
    final PDF rendered (tests/commitments/factories.py make_signed_document)."""
    with capture(execute=True):
        document, _version = make_signed_document(side)
    with scopes_disabled():
        document.refresh_from_db()
        assert document.status == "signed"
        return document, document.versions.get()


def state():
    """Everything a check of an uploaded file must leave alone."""
    with scopes_disabled():
        return (
            list(
                DocumentVersion.objects.values_list(
                    "id", "final__file", "final__sha256", "voided_at"
                )
            ),
            list(Signature.objects.values_list("id", "signed_at", "content_sha256")),
            list(SignatureEvent.objects.values_list("id", "hash")),
            list(Job.objects.values_list("id", "status")),
            AuditEvent.objects.count(),
        )


def test_the_page_shows_who_signed_when_and_no_personal_details(
    world, public, django_capture_on_commit_callbacks
):
    side = world.b  # Timor Tengah Selatan: the times are in WITA
    document, version = signed(side, django_capture_on_commit_callbacks)

    response = public.get(verify_url(version))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert version.title in page
    assert "Kabupaten Timor Tengah Selatan" in page
    assert "12 Agustus 2026" in page
    assert version.pdf_sha256 in page
    with scopes_disabled():
        signatories = list(version.signatories.select_related("signature", "user"))
    assert len(signatories) == 3
    for s in signatories:
        assert s.name in page
        at = s.signature.signed_at.astimezone(side.district.tz)
        assert at.strftime("%d-%m-%Y %H:%M WITA") in page
        if s.user:
            assert s.user.email not in page
    assert "elektronik di portal" in page and "di atas kertas" in page
    assert NIP not in page and format_nip(NIP) not in page
    assert "NIP" not in page
    assert "@" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "DIBATALKAN" not in page


def test_unknown_and_unfinished_documents_get_the_same_404(
    world, public, django_capture_on_commit_callbacks
):
    side = world.a
    with scopes_disabled():
        unfinished = make_document(side)
        staff, _leader = add_people(unfinished, side, users=["opd_staff"], paper=1)
        services.open_signing(unfinished, by=side.users["district_admin"])
        services.sign_in_portal(
            unfinished,
            signatory=staff,
            user=side.users["opd_staff"],
            password=PASSWORD,
            content_sha256=unfinished.current_version.content_sha256(),
        )
        pending = unfinished.current_version

    def body(response):
        return re.sub(r'value="[^"]+"', 'value=""', response.content.decode())

    unknown = public.get(reverse("document_verify", kwargs={"token": "x" * 32}))
    not_final = public.get(verify_url(pending))
    posted = public.post(verify_url(pending), {"pdf": SimpleUploadedFile("a.pdf", PDF)})

    assert unknown.status_code == not_final.status_code == posted.status_code == 404
    assert body(unknown) == body(not_final) == body(posted)
    assert pending.title not in not_final.content.decode()


def test_an_uploaded_pdf_is_checked_against_the_stored_one(
    world, public, django_capture_on_commit_callbacks
):
    side = world.a
    _document, version = signed(side, django_capture_on_commit_callbacks)
    with scopes_disabled():
        genuine = version.pdf.read()
    page = verify_url(version)
    before = state()

    response = public.post(page, {"pdf": SimpleUploadedFile("komitmen.pdf", genuine)})
    assert response.status_code == 200
    assert response.context["result"] == {
        "genuine": True,
        "sha256": hashlib.sha256(genuine).hexdigest(),
    }
    assert "Asli." in response.content.decode()
    assert "Tidak cocok." not in response.content.decode()

    middle = len(genuine) // 2
    tampered = genuine[:middle] + bytes([genuine[middle] ^ 0x01]) + genuine[middle + 1 :]
    response = public.post(page, {"pdf": SimpleUploadedFile("komitmen.pdf", tampered)})
    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["result"]["genuine"] is False
    assert "Tidak cocok." in content and "Asli." not in content
    assert hashlib.sha256(tampered).hexdigest() in content

    # checking stores nothing and changes nothing
    assert state() == before
    with scopes_disabled():
        version.refresh_from_db()
        assert version.pdf.read() == genuine


def test_a_file_that_is_not_a_pdf_is_a_form_error(
    world, public, django_capture_on_commit_callbacks
):
    side = world.a
    _document, version = signed(side, django_capture_on_commit_callbacks)

    response = public.post(
        verify_url(version), {"pdf": SimpleUploadedFile("komitmen.pdf", png_bytes())}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["pdf"] == ["Unggah berkas PDF."]
    assert response.context["result"] is None
    assert "Asli." not in response.content.decode()
    response = public.post(verify_url(version), {})
    assert "pdf" in response.context["form"].errors


def test_a_voided_version_says_so(world, public, django_capture_on_commit_callbacks):
    side = world.a
    document, v1 = signed(side, django_capture_on_commit_callbacks)
    with scopes_disabled():
        services.update_content(
            document,
            title=v1.title,
            preamble=v1.preamble,
            points=[*v1.points, "Menyusun peraturan bupati tentang konvergensi."],
            closing=v1.closing,
            place=v1.place,
            signed_on=v1.signed_on,
            by=side.users["district_admin"],
        )
        v1.refresh_from_db()
        v2 = document.versions.get(number=2)
        genuine = v1.pdf.read()
    assert v1.voided_at is not None

    response = public.get(verify_url(v1))

    page = response.content.decode()
    assert response.status_code == 200
    assert "DIBATALKAN" in page
    assert v1.voided_at.astimezone(side.district.tz).strftime("%d-%m-%Y") in page
    # the void version's PDF is still recognised as the file that was signed then
    response = public.post(verify_url(v1), {"pdf": SimpleUploadedFile("v1.pdf", genuine)})
    assert "Asli." in response.content.decode() and "DIBATALKAN" in response.content.decode()
    # the new version has no final PDF yet: nothing to verify
    assert public.get(verify_url(v2)).status_code == 404
