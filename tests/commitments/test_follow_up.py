"""Following up the points of a signed document: who owns a point, the owner reporting progress
with evidence, the verifier's verdict that locks it, and who sees which follow-up (the village
page, the follow-up list of a camat)."""

import hashlib
import secrets

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Role
from accounts.services import grant_membership
from commitments import services
from commitments.models import CommitmentDocument, FollowUp, FollowUpEvidence
from tests.commitments.factories import POINTS, add_people, make_document
from tests.conftest import PASSWORD, make_user
from tests.convergence.objects import PDF
from villages.models import Agency

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def signed(side, capture, *, level="district", village=None, users=(), paper=1):
    """A document with every signature in and its final PDF rendered."""
    with scopes_disabled():
        document = make_document(side, level=level, village=village, template=level)
        add_people(document, side, users=users, paper=paper)
        services.open_signing(document, by=side.users["district_admin"])
        version = document.current_version
        digest = version.content_sha256()
        with capture(execute=True):
            for signatory in version.signatories.select_related("user").order_by("order"):
                if signatory.user_id:
                    services.sign_in_portal(
                        document,
                        signatory=signatory,
                        user=signatory.user,
                        password=PASSWORD,
                        content_sha256=digest,
                    )
                else:
                    services.sign_on_paper(
                        document,
                        signatory=signatory,
                        upload=SimpleUploadedFile("lembar.pdf", PDF),
                        by=side.users["district_admin"],
                    )
        document.refresh_from_db()
        assert document.status == CommitmentDocument.Status.SIGNED
    return document


def follow(document, side, **owner):
    with scopes_disabled():
        return services.create_follow_up(
            document,
            point=1,
            due_on=document.current_version.signed_on.replace(month=12, day=31),
            by=side.users["district_admin"],
            **owner,
        )


def reload(follow_up):
    with scopes_disabled():
        return FollowUp.objects.get(pk=follow_up.pk)


def user_in(side, role, **scope):
    with scopes_disabled():
        user = make_user(f"{role.value}-{secrets.token_hex(3)}@sumedang.test", f"{role.label} lain")
        grant_membership(user=user, role=role, district=side.district, **scope)
    return user


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- creating ---------------------------------------------------------------------------------


def test_the_admin_follows_a_point_of_a_signed_document(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks, users=["opd_staff"])
    client.force_login(side.users["district_admin"])
    create = url("follow_up_create", side, document_id=document.pk)
    detail = client.get(url("commitment_detail", side, document_id=document.pk))
    assert "Pantau butir" in detail.content.decode()

    response = client.post(
        create, {"point": "2", "owner": f"v{side.village.pk}", "due_on": "2026-12-31"}
    )
    assert response.status_code == 302
    response = client.post(
        create,
        {
            "point": "4",
            "owner": f"a{side.agency.pk}",
            "due_on": "2027-03-31",
            "verifier": str(side.users["opd_staff"].pk),
        },
    )
    assert response.status_code == 302

    with scopes_disabled():
        village_point, agency_point = FollowUp.objects.order_by("point")
    assert (village_point.point, village_point.text) == (2, POINTS[1])
    assert village_point.owner_village == side.village and village_point.owner_agency is None
    assert village_point.status == "not_started" and village_point.verifier is None
    assert (agency_point.text, agency_point.owner_agency) == (POINTS[3], side.agency)
    assert agency_point.verifier == side.users["opd_staff"]
    page = client.get(url("commitment_detail", side, document_id=document.pk)).content.decode()
    assert POINTS[1] in page and "DINKES" in page

    # the same point for the same owner twice, a point that is not there, no owner: refused
    for post in (
        {"point": "2", "owner": f"v{side.village.pk}", "due_on": "2026-12-31"},
        {"point": "9", "owner": f"v{side.village.pk}", "due_on": "2026-12-31"},
        {"point": "3", "owner": "", "due_on": "2026-12-31"},
    ):
        response = client.post(create, post)
        assert response.status_code == 200
        assert response.context["follow_form"].errors, post
    with scopes_disabled():
        assert FollowUp.objects.count() == 2


def test_points_are_not_followed_before_the_document_is_signed(world, client):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, paper=2)
        services.open_signing(document, by=side.users["district_admin"])
    client.force_login(side.users["district_admin"])

    response = client.post(
        url("follow_up_create", side, document_id=document.pk),
        {"point": "1", "owner": f"v{side.village.pk}", "due_on": "2026-12-31"},
        follow=True,
    )

    assert "setelah dokumen lengkap ditandatangani" in " ".join(messages_of(response))
    with scopes_disabled():
        assert not FollowUp.objects.exists()
        with pytest.raises(ValidationError, match="setelah dokumen lengkap ditandatangani"):
            services.create_follow_up(
                document,
                point=1,
                owner_village=side.village,
                due_on=document.current_version.signed_on,
                by=side.users["district_admin"],
            )


# --- reporting --------------------------------------------------------------------------------


def test_the_owner_village_head_reports_progress_with_evidence(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    follow_up = follow(document, side, owner_village=side.village)
    client.force_login(side.users["village_head"])
    report = url("follow_up_report", side, follow_up_id=follow_up.pk)
    page = client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk))
    assert page.context["may_report"] is True

    # done without evidence is refused
    response = client.post(report, {"status": "done", "note": "Perdes sudah disahkan."})
    assert response.status_code == 200
    assert "Lampirkan bukti" in " ".join(response.context["progress_form"].errors["upload"])
    assert reload(follow_up).status == "not_started"

    response = client.post(
        report,
        {
            "status": "done",
            "note": "Perdes Nomor 4 Tahun 2026 sudah disahkan.",
            "upload": SimpleUploadedFile("perdes.pdf", PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    follow_up = reload(follow_up)
    assert follow_up.status == "done"
    assert follow_up.progress_note == "Perdes Nomor 4 Tahun 2026 sudah disahkan."
    with scopes_disabled():
        [evidence] = FollowUpEvidence.objects.filter(follow_up=follow_up)
    assert (evidence.original_name, evidence.content_type, evidence.size) == (
        "perdes.pdf",
        "application/pdf",
        len(PDF),
    )
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.uploaded_by == side.users["village_head"]
    download = client.get(url("follow_up_evidence", side, commitment_evidence_id=evidence.pk))
    assert b"".join(download.streaming_content) == PDF
    page = client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk)).content.decode()
    assert "perdes.pdf" in page and "selesai, menunggu verifikasi" in page


def test_only_the_owner_reports(world, client, django_capture_on_commit_callbacks):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    village_point = follow(document, side, owner_village=side.village)
    with scopes_disabled():
        bappeda = Agency.objects.get(district=side.district, short_name="BAPPEDA")
    agency_point = follow(document, side, owner_agency=bappeda)
    other_kpm = user_in(side, Role.KPM, village=side.other_village)
    post = {
        "status": "done",
        "note": "Sudah.",
        "upload": SimpleUploadedFile("bukti.pdf", PDF),
    }

    for user, follow_up in (
        (other_kpm, village_point),  # KPM of another village
        (side.users["opd_staff"], agency_point),  # DINKES staff on a BAPPEDA point
        (side.users["opd_staff"], village_point),
        (side.users["camat"], village_point),
    ):
        before = reload(follow_up)
        client.force_login(user)
        page = client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk))
        assert page.status_code == 200 and page.context["may_report"] is False
        post["upload"].seek(0)
        response = client.post(
            url("follow_up_report", side, follow_up_id=follow_up.pk), post, follow=True
        )
        assert "Hanya pemilik komitmen yang melaporkan kemajuannya." in messages_of(response)
        after = reload(follow_up)
        assert (after.status, after.progress_note, after.updated_at) == (
            before.status,
            before.progress_note,
            before.updated_at,
        )
    with scopes_disabled():
        assert not FollowUpEvidence.objects.exists()

    # the owner agency's staff may
    staff = user_in(side, Role.OPD_STAFF, agency=bappeda)
    client.force_login(staff)
    response = client.post(
        url("follow_up_report", side, follow_up_id=agency_point.pk),
        {"status": "in_progress", "note": "Anggaran diusulkan."},
    )
    assert response.status_code == 302
    assert reload(agency_point).status == "in_progress"


# --- verifying --------------------------------------------------------------------------------


def done(document, side):
    follow_up = follow(document, side, owner_village=side.village)
    with scopes_disabled():
        services.report_progress(
            follow_up,
            status="done",
            note="Selesai.",
            upload=SimpleUploadedFile("bukti.pdf", PDF),
            by=side.users["village_head"],
        )
    return follow_up


def test_the_admin_verifies_and_the_point_is_locked(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    follow_up = done(document, side)
    admin = side.users["district_admin"]
    client.force_login(admin)
    verify = url("follow_up_verify", side, follow_up_id=follow_up.pk)
    assert client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk)).context[
        "may_verify"
    ]

    response = client.post(verify, {"accept": "1", "verdict": "Perdes diperiksa, sesuai."})

    assert response.status_code == 302
    follow_up = reload(follow_up)
    assert follow_up.status == "verified" and follow_up.verified_at is not None
    assert (follow_up.verifier, follow_up.verdict) == (admin, "Perdes diperiksa, sesuai.")

    # locked: the owner cannot report on it any more, nor is it verified twice
    client.force_login(side.users["village_head"])
    page = client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk))
    assert page.context["may_report"] is False and "terverifikasi" in page.content.decode()
    response = client.post(
        url("follow_up_report", side, follow_up_id=follow_up.pk),
        {"status": "in_progress", "note": "Diubah."},
    )
    assert "sudah diverifikasi dan terkunci" in " ".join(
        response.context["progress_form"].non_field_errors()
    )
    client.force_login(admin)
    response = client.post(verify, {"accept": "0", "verdict": "Dibuka lagi."})
    assert "sudah diverifikasi" in " ".join(response.context["verdict_form"].non_field_errors())
    after = reload(follow_up)
    assert (after.status, after.progress_note, after.verdict) == (
        "verified",
        "Selesai.",
        "Perdes diperiksa, sesuai.",
    )


def test_returning_needs_a_reason(world, client, django_capture_on_commit_callbacks):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    follow_up = done(document, side)
    client.force_login(side.users["district_admin"])
    verify = url("follow_up_verify", side, follow_up_id=follow_up.pk)

    response = client.post(verify, {"accept": "0", "verdict": "  "})
    assert response.status_code == 200
    assert response.context["verdict_form"].errors["verdict"] == [
        "Tulis alasan bila komitmen belum diterima."
    ]
    assert reload(follow_up).status == "done"

    response = client.post(
        verify, {"accept": "0", "verdict": "Lampirkan perdes yang ditandatangani."}
    )
    assert response.status_code == 302
    after = reload(follow_up)
    assert (after.status, after.verdict, after.verified_at) == (
        "in_progress",
        "Lampirkan perdes yang ditandatangani.",
        None,
    )
    # someone who is neither the verifier nor the admin may not decide
    client.force_login(side.users["camat"])
    response = client.post(verify, {"accept": "1", "verdict": ""}, follow=True)
    assert "Hanya verifikator atau admin daerah yang memverifikasi." in messages_of(response)
    assert reload(follow_up).status == "in_progress"


# --- who sees what ----------------------------------------------------------------------------


def test_the_owner_village_page_shows_the_commitment(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    follow_up = follow(document, side, owner_village=side.village)
    client.force_login(side.users["village_head"])

    page = client.get(url("village_page", side, village_id=side.village.pk))

    assert page.status_code == 200
    content = page.content.decode()
    assert "Komitmen desa" in content
    assert POINTS[0] in content
    assert url("follow_up_detail", side, follow_up_id=follow_up.pk) in content
    # the admin reading another village's page does not see it there
    client.force_login(side.users["district_admin"])
    other = client.get(url("village_page", side, village_id=side.other_village.pk))
    assert other.status_code == 200 and POINTS[0] not in other.content.decode()


def test_another_village_head_gets_404_on_a_village_document_follow_up(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(
        side, django_capture_on_commit_callbacks, level="village", users=["village_head"]
    )
    follow_up = done(document, side)
    with scopes_disabled():
        evidence = FollowUpEvidence.objects.get(follow_up=follow_up)
    neighbour = user_in(side, Role.VILLAGE_HEAD, village=side.other_village)

    client.force_login(side.users["village_head"])
    assert client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk)).status_code == 200
    client.force_login(neighbour)
    assert client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk)).status_code == 404
    assert (
        client.get(url("follow_up_evidence", side, commitment_evidence_id=evidence.pk)).status_code
        == 404
    )
    response = client.post(
        url("follow_up_report", side, follow_up_id=follow_up.pk),
        {"status": "in_progress", "note": "x"},
    )
    assert response.status_code == 404
    assert client.get(url("commitment_detail", side, document_id=document.pk)).status_code == 404
    assert reload(follow_up).status == "done"
    # nor does anyone from the other district find it
    client.force_login(world.b.users["district_admin"])
    assert client.get(url("follow_up_detail", side, follow_up_id=follow_up.pk)).status_code == 404


def test_the_follow_up_list_of_a_camat_shows_only_his_kecamatan(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    capture = django_capture_on_commit_callbacks
    own = signed(side, capture, level="village", village=side.village)
    other = signed(side, capture, level="village", village=side.other_village)
    own_point = follow(own, side, owner_village=side.village)
    other_point = follow(other, side, owner_village=side.other_village)
    assert side.village.kecamatan_id == side.kecamatan.pk
    assert side.other_village.kecamatan_id != side.kecamatan.pk

    client.force_login(side.users["camat"])
    response = client.get(url("follow_up_list", side))

    assert response.status_code == 200
    assert [f.pk for f in response.context["follow_ups"]] == [own_point.pk]
    content = response.content.decode()
    assert url("follow_up_detail", side, follow_up_id=own_point.pk) in content
    assert url("follow_up_detail", side, follow_up_id=other_point.pk) not in content
    assert client.get(url("follow_up_detail", side, follow_up_id=other_point.pk)).status_code == 404
    # the district admin sees both
    client.force_login(side.users["district_admin"])
    listed = client.get(url("follow_up_list", side)).context["follow_ups"]
    assert {f.pk for f in listed} == {own_point.pk, other_point.pk}
