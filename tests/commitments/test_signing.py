"""Signing: in the portal (password again, the authenticator code when the user has one, the
hash of the wording read), on paper (the organiser uploads the page of a signatory without an
account), and the hash chain that finds a changed, removed or inserted record."""

import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts import reauth
from accounts.models import AuditEvent
from commitments import chain, services
from commitments.models import DocumentVersion, Signatory, Signature, SignatureEvent
from tests.commitments.factories import add_people, make_document
from tests.conftest import PASSWORD, png_bytes
from tests.convergence.objects import PDF

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


@pytest.fixture
def signing(world):
    """A district document open for signing: OPD staff and the executive sign in the portal,
    two community leaders on paper."""
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        people = add_people(document, side, users=["opd_staff", "executive"], paper=2)
        services.open_signing(document, by=side.users["district_admin"])
    for user in side.users.values():
        cache.delete(reauth.fail_key(user))
    yield side, document, people
    for user in side.users.values():
        cache.delete(reauth.fail_key(user))


def current_hash(document):
    with scopes_disabled():
        return document.versions.order_by("-number").first().content_sha256()


def sign_post(document, **overrides):
    data = {
        "password": PASSWORD,
        "agree": "on",
        "code": "",
        "content_sha256": current_hash(document),
    }
    data.update(overrides)
    return data


def counts():
    with scopes_disabled():
        return Signature.objects.count(), SignatureEvent.objects.count()


def form_errors(response):
    form = response.context["form"]
    return (
        " ".join(form.non_field_errors())
        + " "
        + " ".join(e for errors in form.errors.values() for e in errors)
    )


# --- in the portal ----------------------------------------------------------------------------


def test_a_listed_user_signs_in_the_portal(signing, client):
    side, document, (staff, *_rest) = signing
    client.force_login(side.users["opd_staff"])
    sign_url = url("commitment_sign", side, document_id=document.pk)

    page = client.get(sign_url)
    assert page.status_code == 200
    assert page.context["pending"] == [staff]
    assert page.context["content_sha256"] == current_hash(document)
    assert "Menganggarkan pencegahan stunting dalam APBD." in page.content.decode()

    response = client.post(sign_url, sign_post(document))

    assert response.status_code == 302
    assert response["Location"] == url("commitment_detail", side, document_id=document.pk)
    with scopes_disabled():
        signature = Signature.objects.get()
        assert signature.signatory == staff
        assert (signature.method, signature.by, signature.mfa_used) == (
            "portal",
            side.users["opd_staff"],
            False,
        )
        assert signature.content_sha256 == current_hash(document)
        [event] = SignatureEvent.objects.filter(document=document)
        assert (event.seq, event.kind, event.actor) == (1, "signed", side.users["opd_staff"])
        assert event.payload["content_sha256"] == signature.content_sha256
        assert chain.verify_chain(document) == []
        document.refresh_from_db()
        assert document.status == "signing"  # three more to go
    again = client.get(sign_url).content.decode()
    assert "Anda sudah menandatangani dokumen ini." in again


def test_a_wrong_password_signs_nothing(signing, client):
    side, document, _people = signing
    client.force_login(side.users["opd_staff"])

    response = client.post(
        url("commitment_sign", side, document_id=document.pk),
        sign_post(document, password="not-my-password"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["Kata sandi salah."]
    assert counts() == (0, 0)
    # the failure is in the district's audit log, with the field that was wrong
    with scopes_disabled():
        [event] = AuditEvent.objects.filter(action="reauth_failed")
    assert (event.actor, event.district, event.data) == (
        side.users["opd_staff"],
        side.district,
        {"field": "password"},
    )
    assert event.ip_address == "127.0.0.1"  # the test client's address


def test_the_agreement_box_is_required(signing, client):
    side, document, _people = signing
    client.force_login(side.users["opd_staff"])
    post = sign_post(document)
    del post["agree"]

    response = client.post(url("commitment_sign", side, document_id=document.pk), post)

    assert "agree" in response.context["form"].errors
    assert counts() == (0, 0)


def test_wording_changed_since_the_page_was_read_is_not_signed(signing, client):
    side, document, _people = signing
    client.force_login(side.users["opd_staff"])
    read = current_hash(document)
    with scopes_disabled():  # the organiser corrects a point meanwhile (nobody has signed yet)
        version = document.current_version
        services.update_content(
            document,
            title=version.title,
            preamble=version.preamble,
            points=[*version.points[:-1], "Menilai kinerja aksi konvergensi setiap semester."],
            closing=version.closing,
            place=version.place,
            signed_on=version.signed_on,
            by=side.users["district_admin"],
        )
    assert current_hash(document) != read

    response = client.post(
        url("commitment_sign", side, document_id=document.pk),
        sign_post(document, content_sha256=read),
    )

    assert response.status_code == 200
    assert "Isi dokumen berubah sejak Anda membukanya" in form_errors(response)
    assert counts() == (0, 0)
    # a signatory added meanwhile changes what is signed, too
    read = current_hash(document)
    with scopes_disabled():
        services.add_signatory(
            document, position="Ketua PKK", name="Ny. Rina", by=side.users["district_admin"]
        )
    response = client.post(
        url("commitment_sign", side, document_id=document.pk),
        sign_post(document, content_sha256=read),
    )
    assert "Isi dokumen berubah" in form_errors(response)
    assert counts() == (0, 0)


def valid_codes(secret):
    return {format_hotp_value(hotp_value(secret, c)) for c in yield_hotp_counters_from_time()}


def current_code(secret):
    """The code the authenticator shows now, not within two seconds of changing."""
    from allauth.mfa import app_settings

    if app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD < 2:
        time.sleep(2)
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def test_a_user_with_an_authenticator_must_give_its_code(signing, client):
    side, document, (staff, *_rest) = signing
    user = side.users["opd_staff"]
    secret = generate_totp_secret()
    with scopes_disabled():
        TOTP.activate(user, secret)
    client.force_login(user)
    sign_url = url("commitment_sign", side, document_id=document.pk)
    assert client.get(sign_url).context["needs_code"] is True

    response = client.post(sign_url, sign_post(document, code=""))
    assert response.context["form"].errors["code"]
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid_codes(secret))
    response = client.post(sign_url, sign_post(document, code=wrong))
    assert "Kode autentikator salah" in form_errors(response)
    assert counts() == (0, 0)
    with scopes_disabled():
        fields = list(
            AuditEvent.objects.filter(action="reauth_failed", actor=user)
            .order_by("pk")
            .values_list("data__field", flat=True)
        )
    assert fields == ["code", "code"]  # the empty code, then the wrong one

    response = client.post(sign_url, sign_post(document, code=current_code(secret)))

    assert response.status_code == 302
    with scopes_disabled():
        signature = Signature.objects.get()
        assert signature.signatory == staff and signature.mfa_used is True
    # the failures before the right code are forgiven
    assert cache.get(reauth.fail_key(user)) is None


def test_five_wrong_attempts_lock_signing(signing, client):
    side, document, _people = signing
    user = side.users["opd_staff"]
    client.force_login(user)
    sign_url = url("commitment_sign", side, document_id=document.pk)

    for _attempt in range(reauth.ATTEMPTS):
        response = client.post(sign_url, sign_post(document, password="tebakan"))
        assert "Kata sandi salah." in form_errors(response)
    # now even the right password is refused
    response = client.post(sign_url, sign_post(document))

    assert response.status_code == 200
    assert "Terlalu banyak percobaan yang salah" in form_errors(response)
    assert counts() == (0, 0)
    # another signatory is not locked out by it
    client.force_login(side.users["executive"])
    assert client.post(sign_url, sign_post(document)).status_code == 302
    assert counts() == (1, 1)


def test_someone_not_listed_cannot_sign(world, signing, client):
    side, document, (staff, *_rest) = signing
    client.force_login(side.users["kpm"])
    sign_url = url("commitment_sign", side, document_id=document.pk)

    page = client.get(sign_url)
    assert "Anda tidak tercantum sebagai penanda tangan dokumen ini." in page.content.decode()
    response = client.post(sign_url, sign_post(document))
    assert response.status_code == 200
    assert "tidak tercantum" in response.content.decode()
    assert counts() == (0, 0)
    # nor as someone else, through the service
    with scopes_disabled(), pytest.raises(ValidationError, match="bukan penanda tangan"):
        services.sign_in_portal(
            document,
            signatory=staff,
            user=side.users["kpm"],
            password=PASSWORD,
            content_sha256=current_hash(document),
        )
    # a user of another district does not even find the document
    client.force_login(world.b.users["district_admin"])
    assert client.get(sign_url).status_code == 404
    assert counts() == (0, 0)


# --- on paper ---------------------------------------------------------------------------------


def upload(data, name):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def stored_files(settings):
    root = settings.MEDIA_ROOT / "commitments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    "data,name",
    [
        (b"Ditandatangani oleh Tokoh 1\n", "lembar.txt"),
        (b"Ditandatangani oleh Tokoh 1\n", "lembar.png"),  # a text file renamed
        (b"GIF89a" + b"\0" * 40, "lembar.pdf"),
    ],
)
def test_paper_page_of_a_wrong_type_is_refused(signing, client, settings, data, name):
    side, document, (_staff, _executive, leader, _leader2) = signing
    client.force_login(side.users["district_admin"])

    response = client.post(
        url("signature_paper", side, document_id=document.pk, signatory_id=leader.pk),
        {"page": upload(data, name)},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["page"] == [services.PAPER_REFUSED]
    assert services.PAPER_REFUSED in response.content.decode()
    assert counts() == (0, 0)
    assert stored_files(settings) == []


def test_paper_page_too_large_is_refused(signing, client, settings):
    side, document, (_staff, _executive, leader, _leader2) = signing
    settings.MAX_UPLOAD_BYTES = 2048
    client.force_login(side.users["district_admin"])

    response = client.post(
        url("signature_paper", side, document_id=document.pk, signatory_id=leader.pk),
        {"page": upload(PDF + b"\n%" + b"x" * 4096, "lembar.pdf")},
    )

    assert response.status_code == 200
    assert "Berkas terlalu besar" in " ".join(response.context["form"].errors["page"])
    assert counts() == (0, 0)
    assert stored_files(settings) == []


def test_paper_page_is_stored_with_its_real_kind(signing, client, settings):
    side, document, (_staff, _executive, leader, leader2) = signing
    client.force_login(side.users["district_admin"])
    png = png_bytes()

    response = client.post(
        url("signature_paper", side, document_id=document.pk, signatory_id=leader.pk),
        {"page": upload(png, "scan tokoh.pdf")},  # a PNG named .pdf is a PNG
    )
    assert response.status_code == 302
    client.post(
        url("signature_paper", side, document_id=document.pk, signatory_id=leader2.pk),
        {"page": upload(PDF, "lembar.pdf")},
    )

    with scopes_disabled():
        first, second = Signature.objects.order_by("signatory__order")
        assert (first.method, first.by, first.mfa_used) == (
            "paper",
            side.users["district_admin"],
            False,
        )
        assert (first.paper_name, first.paper_content_type) == ("scan tokoh.png", "image/png")
        assert first.paper.read() == png and first.paper_size == len(png)
        assert second.paper_content_type == "application/pdf"
        assert first.content_sha256 == second.content_sha256 == current_hash(document)
        assert chain.verify_chain(document) == []
    assert len(stored_files(settings)) == 2
    page = client.get(url("signature_page", side, document_id=document.pk, signature_id=first.pk))
    assert b"".join(page.streaming_content) == png
    assert page["Content-Type"] == "image/png"


def test_a_signatory_with_an_account_is_not_signed_on_paper(signing, client, settings):
    side, document, (staff, *_rest) = signing
    client.force_login(side.users["district_admin"])

    response = client.post(
        url("signature_paper", side, document_id=document.pk, signatory_id=staff.pk),
        {"page": upload(PDF, "lembar.pdf")},
    )

    assert response.status_code == 200
    assert "memiliki akun portal dan menandatangani sendiri di portal" in form_errors(response)
    assert counts() == (0, 0)
    assert stored_files(settings) == []


# --- the hash chain ---------------------------------------------------------------------------


def signed_three(side, document, people):
    """Three of the four signatures in (the document stays open: no PDF is rendered)."""
    staff, executive, leader, _leader2 = people
    with scopes_disabled():
        for signatory, role in ((staff, "opd_staff"), (executive, "executive")):
            services.sign_in_portal(
                document,
                signatory=signatory,
                user=side.users[role],
                password=PASSWORD,
                content_sha256=current_hash(document),
            )
        services.sign_on_paper(
            document,
            signatory=leader,
            upload=SimpleUploadedFile("lembar.pdf", PDF),
            by=side.users["district_admin"],
        )
        assert chain.verify_chain(document) == []
        assert list(
            SignatureEvent.objects.filter(document=document).values_list("seq", flat=True)
        ) == [1, 2, 3]


def _change_signed_at(document, people):
    Signature.objects.filter(signatory=people[1]).update(
        signed_at=Signature.objects.get(signatory=people[1]).signed_at - timedelta(days=2)
    )
    return "berbeda dari catatan rantai"


def _change_signature_hash(document, people):
    Signature.objects.filter(signatory=people[0]).update(content_sha256="f" * 64)
    return "berbeda dari catatan rantai"


def _change_event_payload(document, people):
    event = SignatureEvent.objects.get(document=document, seq=2)
    SignatureEvent.objects.filter(pk=event.pk).update(
        payload={**event.payload, "name": "Orang Lain"}
    )
    return "peristiwa 2: isinya telah diubah"


def _change_event_and_rehash_it(document, people):
    """A careful forger recomputes the changed event's own hash: the next link breaks."""
    event = SignatureEvent.objects.get(document=document, seq=2)
    event.at = event.at - timedelta(hours=5)
    event.hash = chain._digest(event.prev_hash, chain._fields(event))
    SignatureEvent.objects.filter(pk=event.pk).update(at=event.at, hash=event.hash)
    return "peristiwa 3: tidak bersambung dengan peristiwa sebelumnya"


def _delete_event(document, people):
    SignatureEvent.objects.filter(document=document, seq=2).delete()
    return "urutan 2 hilang"


def _delete_last_event(document, people):
    SignatureEvent.objects.filter(document=document, seq=3).delete()
    return "tidak tercatat dalam rantai"


def _delete_signature(document, people):
    Signature.objects.filter(signatory=people[2]).delete()
    return "tanda tangannya telah dihapus"


def _insert_signature(document, people):
    Signature.objects.create(
        signatory=people[3],
        district_id=document.district_id,
        method="paper",
        by=people[0].user,
        content_sha256=Signature.objects.filter(signatory=people[0]).get().content_sha256,
    )
    return "tidak tercatat dalam rantai"


def _rewrite_signed_wording(document, people):
    DocumentVersion.objects.filter(document=document).update(points=["Tidak berkomitmen apa pun."])
    return "versi 1: isinya telah diubah setelah ditandatangani"


def _rename_a_signatory(document, people):
    """The list of signatories is part of what each signature covers."""
    Signatory.objects.filter(pk=people[3].pk).update(name="Orang Lain")
    return "versi 1: isinya telah diubah setelah ditandatangani"


@pytest.mark.parametrize(
    "tamper",
    [
        _change_signed_at,
        _change_signature_hash,
        _change_event_payload,
        _change_event_and_rehash_it,
        _delete_event,
        _delete_last_event,
        _delete_signature,
        _insert_signature,
        _rewrite_signed_wording,
        _rename_a_signatory,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_tampering_with_the_records_breaks_the_chain(signing, client, tamper):
    side, document, people = signing
    signed_three(side, document, people)
    client.force_login(side.users["district_admin"])
    detail_url = url("commitment_detail", side, document_id=document.pk)
    assert (
        "Rantai catatan tanda tangan utuh (3 peristiwa)." in client.get(detail_url).content.decode()
    )

    with scopes_disabled():
        expected = tamper(document, people)
        problems = chain.verify_chain(document)

    assert problems, tamper.__name__
    assert any(expected in p for p in problems), problems
    page = client.get(detail_url).content.decode()
    assert "Rantai catatan rusak" in page
    assert expected in page


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the verdict is kept only on PostgreSQL (the fingerprint is the database's SHA-256)",
)
def test_an_unchanged_chain_is_checked_once_and_any_changed_row_again(signing):
    """The document page re-checks the chain only when a row it covers changed: the second
    view of an untouched document costs one query (the fingerprint), and a change made directly
    in the database, past the portal, is found on the very next call."""
    side, document, people = signing
    signed_three(side, document, people)  # ends with a full check, now kept
    with scopes_disabled():
        with CaptureQueriesContext(connection) as kept:
            assert chain.verify_chain(document) == []
        assert len(kept) == 1
        with connection.cursor() as cursor:  # one column of one row, in SQL
            cursor.execute(
                f"UPDATE {Signatory._meta.db_table} SET rank = 'Pembina' WHERE id = %s",  # noqa: S608
                [people[3].pk],
            )
        with CaptureQueriesContext(connection) as fresh:
            problems = chain.verify_chain(document)
        assert len(fresh) > 1
        assert problems == ["versi 1: isinya telah diubah setelah ditandatangani"]


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the change log and its triggers exist only on PostgreSQL",
)
def test_a_hand_edit_is_logged_even_in_replica_mode_and_a_disabled_trigger_keeps_nothing(
    signing,
):
    """The change log is written by the database's triggers, which fire ALWAYS: a hand edit
    made with `session_replication_role = replica` (which silences ordinary triggers) still
    moves the fingerprint, a statement over many rows logs its document once, and a table
    rewritten in place moves it too. A trigger disabled by hand is seen: nothing is kept, and
    the chain is checked on every call."""
    side, document, people = signing
    signed_three(side, document, people)
    signature_table = Signature._meta.db_table
    with scopes_disabled(), connection.cursor() as cursor:
        before = chain.fingerprint(document)
        assert before is not None
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            f"UPDATE {signature_table} SET signed_at = signed_at - interval '1 day' "  # noqa: S608
            "WHERE signatory_id = %s",
            [people[0].pk],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
        assert chain.fingerprint(document) != before
        problems = chain.verify_chain(document)
        assert problems and "tanda tangan" in problems[0], problems

        # a statement over many rows adds one line for its document, not one per row
        log = "SELECT count(*) FROM commitments_chainchange WHERE document_id = %s"
        cursor.execute(log, [document.pk])
        lines = cursor.fetchone()[0]
        moved = chain.fingerprint(document)
        cursor.execute(
            f"UPDATE {Signatory._meta.db_table} SET rank = rank WHERE version_id = %s",  # noqa: S608
            [document.current_version.pk],
        )
        cursor.execute(log, [document.pk])
        assert cursor.fetchone()[0] == lines + 1
        assert chain.fingerprint(document) != moved

        # a table rewritten in place (no row trigger fires) has a new storage file
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        rewritten = chain.fingerprint(document)
        cursor.execute(
            f"ALTER TABLE {signature_table} ALTER COLUMN content_sha256 TYPE varchar(64) "
            "USING content_sha256 || ''"
        )
        assert chain.fingerprint(document) != rewritten

        cursor.execute(
            f"ALTER TABLE {signature_table} DISABLE TRIGGER commitments_chain_signature_i"
        )
        assert chain.fingerprint(document) is None
        for _ in range(2):  # checked afresh each time: nothing is kept
            with CaptureQueriesContext(connection) as checked:
                assert chain.verify_chain(document) == problems
            assert len(checked) > 1
