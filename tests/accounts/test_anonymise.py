"""A person's account anonymised (accounts.services.anonymise_user, through the
`anonymise_user` command an operator runs): the account and its personal data go, the signed
document he signed stays exactly as signed and keeps verifying."""

import hashlib
import re
import secrets
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import AuditEvent, Invitation, Membership, Role, User
from accounts.services import accept_invitation, invite_member
from commitments.chain import verify_chain
from commitments.models import Signature, SignatureEvent
from tests.commitments.factories import NIP, make_signed_document
from tests.conftest import PASSWORD
from tests.convergence.objects import year_for

pytestmark = pytest.mark.django_db


def test_anonymising_a_signer_keeps_the_signed_document_and_frees_his_address(
    world, django_capture_on_commit_callbacks
):
    side = world.a
    signer = side.users["opd_staff"]
    old_email = signer.email
    with django_capture_on_commit_callbacks(execute=True):
        document, version = make_signed_document(side)
    with scopes_disabled():
        version.refresh_from_db()
        assert version.final_id
        document.refresh_from_db()
        assert document.status == "signed" and version.final_id
        signatory = version.signatories.get(user=signer)
        signed_name = signatory.name
        signatures = list(Signature.objects.filter(signatory__version=version).order_by("pk"))
        events = list(SignatureEvent.objects.filter(document=document).values_list("hash"))
        pdf = version.pdf.read()
        year_action = year_for(side, 2026).actions.order_by("pk").first()
        year_action.responsible.add(signer)
    assert signed_name == signer.full_name and signatory.nip == NIP
    # he is logged in somewhere, and has enrolled TOTP since
    his = Client()
    his.post(reverse("account_login"), {"login": old_email, "password": PASSWORD})
    assert his.get(f"/{side.district.slug}/").status_code == 200
    assert UserSession.objects.filter(user=signer).count() == 1
    Authenticator.objects.create(user=signer, type=Authenticator.Type.TOTP, data={"secret": "x"})

    dry = StringIO()
    call_command("anonymise_user", old_email, stdout=dry)
    assert "dry run" in dry.getvalue()
    signer.refresh_from_db()
    assert signer.is_active and signer.email == old_email

    out = StringIO()
    call_command("anonymise_user", old_email.upper(), "--yes", stdout=out)

    placeholder = f"anonim-{signer.pk}@dihapus.invalid"
    # the audit log: the anonymisation recorded in his district, his address nowhere (until
    # someone types it at the login again: that attempt is logged as any other)
    assert AuditEvent.everything.filter(
        action="user_anonymised", district=side.district, target=placeholder
    ).exists()
    assert not AuditEvent.everything.filter(actor_email__iexact=old_email).exists()
    assert not AuditEvent.everything.filter(target__iexact=old_email).exists()
    assert AuditEvent.everything.filter(actor=signer, action="commitment_signed").exists()

    # the account: nothing personal left, no way in
    signer.refresh_from_db()
    assert signer.email == placeholder
    assert signer.full_name == f"Pengguna dihapus #{signer.pk}"
    assert not signer.is_active and not signer.has_usable_password()
    with scopes_disabled():
        memberships = Membership.objects.filter(user=signer)
        assert memberships.count() == 1
        assert not memberships.filter(is_active=True).exists()
        assert list(memberships.values_list("position", flat=True)) == [""]
        assert not year_action.responsible.filter(pk=signer.pk).exists()
    assert not Authenticator.objects.filter(user=signer).exists()
    assert not EmailAddress.objects.filter(user=signer).exists()
    assert not UserSession.objects.filter(user=signer).exists()
    assert his.get(f"/{side.district.slug}/").status_code == 302  # his session is gone
    login = Client()
    for login_name in (old_email, placeholder):
        login.post(reverse("account_login"), {"login": login_name, "password": PASSWORD})
        assert "_auth_user_id" not in login.session
    assert "1 memberships ended, 1 MFA authenticators and 1 sessions" in out.getvalue()

    # the signed document: the same rows, the same chain, the name as signed
    with scopes_disabled():
        signatory.refresh_from_db()
        assert signatory.name == signed_name and signatory.nip == NIP
        assert signatory.user_id == signer.pk
        assert list(Signature.objects.filter(signatory__version=version).order_by("pk")) == (
            signatures
        )
        assert [s.content_sha256 for s in signatures] == [version.content_sha256()] * len(
            signatures
        )
        assert list(SignatureEvent.objects.filter(document=document).values_list("hash")) == (
            events
        )
        assert verify_chain(document) == []

    # the public verification page still shows who signed, and the PDF is still genuine
    public = Client(REMOTE_ADDR=f"10.{secrets.randbelow(250)}.3.7")
    url = reverse("document_verify", kwargs={"token": version.verify_token})
    page = public.get(url).content.decode()
    assert signed_name in page and "Pengguna dihapus" not in page
    checked = public.post(url, {"pdf": SimpleUploadedFile("komitmen.pdf", pdf)})
    assert checked.context["result"] == {
        "genuine": True,
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }

    # the address is free: a new invitation to it makes a new account
    with scopes_disabled():
        invitation, link = invite_member(
            district=side.district,
            email=old_email,
            role=Role.OPD_STAFF,
            agency=side.agency,
            by=side.users["district_admin"],
        )
        token = re.search(r"/([^/]+)/?$", link).group(1)
        assert Invitation.find_open(token) == invitation
        newcomer, _membership = accept_invitation(
            invitation=invitation, user=None, password="a-new-Passw0rd-2026"
        )
    assert newcomer.pk != signer.pk and newcomer.email == old_email
    assert User.objects.filter(email__iexact=old_email).count() == 1

    # once is enough
    with pytest.raises(CommandError, match="anonymised already"):
        call_command("anonymise_user", placeholder, "--yes", stdout=StringIO())
