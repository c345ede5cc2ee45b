"""Writing a commitment document through its pages: creating it (with the levels each role
may choose), the wording frozen at the first signature (a change makes a new version and
visibly voids the earlier signatures), signatories with the NIP check, their order, adding
every village head at once, and a list page whose queries do not grow with the documents."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments import chain, services
from commitments.models import (
    CommitmentDocument,
    DocumentVersion,
    FollowUp,
    Signatory,
    Signature,
    SignatureEvent,
)
from tests.commitments.factories import POINTS, add_people, make_document
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def content_post(**overrides):
    data = {
        "title": "Komitmen Bersama Percepatan Penurunan Stunting Tahun 2026",
        "preamble": "Pada hari ini kami yang bertanda tangan di bawah ini berkomitmen untuk:",
        "points": "1. Menganggarkan pencegahan stunting.\n2) Mengarahkan intervensi ke desa lokus."
        "\n\n   Melaporkan data setiap triwulan.  \n",
        "closing": "Demikian komitmen ini kami buat.",
        "place": "Sumedang",
        "signed_on": "2026-08-12",
    }
    data.update(overrides)
    return data


def create_post(**overrides):
    return content_post(
        **{
            "template": "district",
            "level": "district",
            "kecamatan": "",
            "village": "",
            "rembuk": "",
            "year": "2026",
            **overrides,
        }
    )


def documents(side):
    with scopes_disabled():
        return list(CommitmentDocument.objects.filter(district=side.district))


def form_errors(response, form="form"):
    return {k: " ".join(v) for k, v in response.context[form].errors.items()}


# --- creating ---------------------------------------------------------------------------------


def test_district_admin_creates_a_document_through_the_page(world, client):
    side = world.a
    client.force_login(side.users["district_admin"])
    page = client.get(url("commitment_create", side))
    assert page.status_code == 200
    assert page.context["form"].initial["points"]  # the template's wording to start from

    response = client.post(url("commitment_create", side), create_post())

    [document] = documents(side)
    assert response.status_code == 302
    assert response["Location"] == url("commitment_detail", side, document_id=document.pk)
    with scopes_disabled():
        [version] = DocumentVersion.objects.filter(document=document)
        assert (document.level, document.template, document.year) == ("district", "district", 2026)
        assert document.kecamatan_id is None and document.village_id is None
        assert document.status == "draft"
        assert document.created_by == side.users["district_admin"]
        assert version.number == 1
        assert version.title == "Komitmen Bersama Percepatan Penurunan Stunting Tahun 2026"
        # typed numbers dropped, blank lines skipped, one point per line
        assert version.points == [
            "Menganggarkan pencegahan stunting.",
            "Mengarahkan intervensi ke desa lokus.",
            "Melaporkan data setiap triwulan.",
        ]
        assert str(version.signed_on) == "2026-08-12"
    detail = client.get(response["Location"])
    assert "Mengarahkan intervensi ke desa lokus." in detail.content.decode()


def test_missing_title_or_points_are_field_errors_and_nothing_is_created(world, client):
    side = world.a
    client.force_login(side.users["district_admin"])

    response = client.post(url("commitment_create", side), create_post(title="  ", points=""))
    assert response.status_code == 200
    assert set(form_errors(response)) == {"title", "points"}
    # points that are only blank lines are no points either
    response = client.post(url("commitment_create", side), create_post(points="\n  \n\n"))
    assert set(form_errors(response)) == {"points"}
    assert documents(side) == []
    with scopes_disabled():
        assert not DocumentVersion.objects.exists()


def test_camat_may_not_create_a_district_document(world, client):
    side = world.a
    client.force_login(side.users["camat"])

    response = client.post(url("commitment_create", side), create_post(level="district"))
    assert response.status_code == 200
    assert "level" in form_errors(response)
    # nor one for another kecamatan
    response = client.post(
        url("commitment_create", side),
        create_post(level="kecamatan", kecamatan=str(side.other_kecamatan.pk)),
    )
    assert "kecamatan" in form_errors(response)
    assert documents(side) == []

    response = client.post(
        url("commitment_create", side),
        create_post(level="kecamatan", kecamatan=str(side.kecamatan.pk)),
    )
    assert response.status_code == 302
    [document] = documents(side)
    assert (document.level, document.kecamatan_id, document.village_id) == (
        "kecamatan",
        side.kecamatan.pk,
        None,
    )


def test_village_head_creates_only_for_his_own_village(world, client):
    side = world.a
    client.force_login(side.users["village_head"])

    for level, extra in (
        ("district", {}),
        ("kecamatan", {"kecamatan": str(side.kecamatan.pk)}),
        ("village", {"village": str(side.other_village.pk)}),
    ):
        response = client.post(
            url("commitment_create", side),
            create_post(template="village", level=level, **extra),
        )
        assert response.status_code == 200, level
        assert form_errors(response), level
    assert documents(side) == []

    response = client.post(
        url("commitment_create", side),
        create_post(template="village", level="village", village=str(side.village.pk)),
    )
    assert response.status_code == 302
    [document] = documents(side)
    assert (document.level, document.village_id, document.kecamatan_id) == (
        "village",
        side.village.pk,
        side.village.kecamatan_id,
    )


# --- frozen content ---------------------------------------------------------------------------


def signed_once(side):
    """A document open for signing with two signatories, the OPD staff member having signed."""
    with scopes_disabled():
        document = make_document(side)
        staff, _paper = add_people(document, side, users=["opd_staff"], paper=1)
        services.open_signing(document, by=side.users["district_admin"])
        services.sign_in_portal(
            document,
            signatory=staff,
            user=side.users["opd_staff"],
            password=PASSWORD,
            content_sha256=document.current_version.content_sha256(),
        )
    return document


def test_a_change_after_the_first_signature_makes_a_new_version_and_voids_the_old(world, client):
    side = world.a
    document = signed_once(side)
    client.force_login(side.users["district_admin"])

    page = client.get(url("commitment_edit", side, document_id=document.pk))
    assert "membuat versi baru dan membatalkan tanda tangan" in page.content.decode()

    post = content_post(
        title="Komitmen Bersama Percepatan Penurunan Stunting",
        preamble="Kami yang bertanda tangan di bawah ini berkomitmen untuk:",
        points="\n".join([*POINTS, "Membentuk tim percepatan di setiap desa."]),
        closing="Demikian komitmen ini dibuat.",
    )
    response = client.post(url("commitment_edit", side, document_id=document.pk), post)
    assert response.status_code == 302

    with scopes_disabled():
        v1, v2 = DocumentVersion.objects.filter(document=document).order_by("number")
        assert v1.voided_at is not None and v2.voided_at is None
        assert v2.number == 2 and v2.points[-1] == "Membentuk tim percepatan di setiap desa."
        assert v1.points == POINTS  # the signed wording itself is never rewritten
        # the old signature stays, on the void version; the copy of its signatory is unsigned
        assert Signature.objects.filter(signatory__version=v1).count() == 1
        assert not Signature.objects.filter(signatory__version=v2).exists()
        assert [s.name for s in v2.signatories.all()] == [s.name for s in v1.signatories.all()]
        voided = SignatureEvent.objects.get(document=document, kind="voided")
        assert voided.payload["version"] == 1 and voided.payload["signatures_voided"] == 1
        assert chain.verify_chain(document) == []
        document.refresh_from_db()
        assert document.status == "signing"
        # the void version cannot be signed any more
        with pytest.raises(ValidationError, match="sudah dibatalkan"):
            services.sign_on_paper(
                document,
                signatory=v1.signatories.get(user=None),
                upload=None,
                by=side.users["district_admin"],
            )

    detail = client.get(response["Location"]).content.decode()
    assert "Versi 2 dibuat; 1 tanda tangan pada versi lama dibatalkan." in detail
    assert "Versi 1 dibatalkan bersama 1 tanda tangannya." in detail
    assert "0 dari 2 tanda tangan" in detail


def test_saving_unchanged_wording_makes_no_new_version(world, client):
    side = world.a
    document = signed_once(side)
    client.force_login(side.users["district_admin"])
    with scopes_disabled():
        version = document.current_version
    post = content_post(
        title=version.title,
        preamble=version.preamble,
        points="\n".join(version.points),
        closing=version.closing,
        place=version.place,
        signed_on=version.signed_on.isoformat(),
    )

    response = client.post(url("commitment_edit", side, document_id=document.pk), post)

    assert response.status_code == 302
    with scopes_disabled():
        [only] = DocumentVersion.objects.filter(document=document)
        assert only.voided_at is None
        assert Signature.objects.filter(signatory__version=only).count() == 1
        assert not SignatureEvent.objects.filter(kind="voided").exists()
    assert "Isi dokumen disimpan." in client.get(response["Location"]).content.decode()


# --- signatories ------------------------------------------------------------------------------


def signatory_post(**overrides):
    data = {
        "position": "Kepala Dinas Kesehatan",
        "name": "dr. Hj. Siti Rahmawati, M.Kes.",
        "rank": "Pembina Utama Muda (IV/c)",
        "nip": "197001012000031002",
        "organisation": "Dinas Kesehatan",
        "user": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "nip,message",
    [
        ("19700101200003100", "NIP harus 18 angka (yang diisi: 17 angka)."),
        ("19700101200003100A", "NIP hanya berisi angka (18 angka)."),
        ("197013012000031002", "8 angka pertama bukan tanggal lahir"),  # month 13
        ("197002302000031002", "8 angka pertama bukan tanggal lahir"),  # 30 February
        ("197001012000033002", "angka ke-15 (jenis kelamin) harus 1 atau 2"),
        ("197001011980031002", "bukan tahun dan bulan pengangkatan"),  # appointed at ten
    ],
)
def test_a_wrong_nip_is_a_field_error_and_nothing_is_added(world, client, nip, message):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
    client.force_login(side.users["district_admin"])

    response = client.post(
        url("signatory_add", side, document_id=document.pk), signatory_post(nip=nip)
    )

    assert response.status_code == 200
    errors = form_errors(response, "signatory_form")
    assert list(errors) == ["nip"]
    assert message in errors["nip"]
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Signatory.objects.exists()


def test_nip_typed_with_spaces_or_dots_is_stored_as_18_digits(world, client):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
    client.force_login(side.users["district_admin"])

    for nip, name in (("19700101 200003 1 002", "A"), ("19800202.200501.2.003", "B")):
        response = client.post(
            url("signatory_add", side, document_id=document.pk),
            signatory_post(nip=nip, name=name),
        )
        assert response.status_code == 302
    # an elected official has none
    client.post(
        url("signatory_add", side, document_id=document.pk),
        signatory_post(nip="", name="C", rank="", position="Bupati Sumedang"),
    )

    with scopes_disabled():
        stored = list(Signatory.objects.order_by("order").values_list("order", "name", "nip"))
    assert stored == [
        (1, "A", "197001012000031002"),
        (2, "B", "198002022005012003"),
        (3, "C", ""),
    ]
    detail = client.get(url("commitment_detail", side, document_id=document.pk)).content
    assert "NIP 19700101 200003 1 002" in detail.decode()


def test_a_user_is_listed_only_once(world, client):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        staff, leader = add_people(document, side, users=["opd_staff"], paper=1)
    client.force_login(side.users["district_admin"])
    taken = str(side.users["opd_staff"].pk)

    added = client.post(
        url("signatory_add", side, document_id=document.pk),
        signatory_post(name="Staf lagi", user=taken),
    )
    edited = client.post(
        url("signatory_edit", side, document_id=document.pk, signatory_id=leader.pk),
        signatory_post(name=leader.name, position=leader.position, nip="", user=taken),
    )

    assert "sudah menjadi penanda tangan" in form_errors(added, "signatory_form")["user"]
    assert edited.status_code == 200
    assert "sudah menjadi penanda tangan" in form_errors(edited)["user"]
    with scopes_disabled():
        assert list(Signatory.objects.order_by("order").values_list("name", "user_id", "nip")) == [
            (staff.name, staff.user_id, staff.nip),
            (leader.name, None, ""),
        ]


def test_moving_and_removing_signatories_renumbers_them(world, client):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        a, b, c, d = add_people(document, side, paper=4)
    client.force_login(side.users["district_admin"])

    def order():
        with scopes_disabled():
            return list(
                Signatory.objects.filter(version__document=document)
                .order_by("order")
                .values_list("order", "name")
            )

    move = url("signatory_move", side, document_id=document.pk, signatory_id=d.pk)
    assert client.post(move, {"arah": "naik"}).status_code == 302
    client.post(
        url("signatory_move", side, document_id=document.pk, signatory_id=a.pk), {"arah": "turun"}
    )
    assert order() == [(1, b.name), (2, a.name), (3, d.name), (4, c.name)]
    # the first cannot move up, the last cannot move down
    client.post(
        url("signatory_move", side, document_id=document.pk, signatory_id=b.pk), {"arah": "naik"}
    )
    client.post(
        url("signatory_move", side, document_id=document.pk, signatory_id=c.pk), {"arah": "turun"}
    )
    assert order() == [(1, b.name), (2, a.name), (3, d.name), (4, c.name)]

    response = client.post(
        url("signatory_remove", side, document_id=document.pk, signatory_id=a.pk)
    )
    assert response.status_code == 302
    assert order() == [(1, b.name), (2, d.name), (3, c.name)]
    client.post(url("signatory_remove", side, document_id=document.pk, signatory_id=b.pk))
    assert order() == [(1, d.name), (2, c.name)]
    with scopes_disabled():
        assert DocumentVersion.objects.filter(document=document).count() == 1


def test_import_adds_the_village_heads_once(world, client):
    from accounts.models import Role
    from accounts.services import grant_membership
    from tests.conftest import make_user

    side = world.a
    with scopes_disabled():
        second = make_user("kades.cimanintin@sumedang.test", "Ujang Cimanintin")
        grant_membership(
            user=second, role=Role.VILLAGE_HEAD, district=side.district, village=side.other_village
        )
        district_doc = make_document(side)
        village_doc = make_document(side, level="village", template="village")
    client.force_login(side.users["district_admin"])

    response = client.post(
        url("signatories_import", side, document_id=district_doc.pk), {"sumber": "kepala-desa"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        rows = list(
            Signatory.objects.filter(version__document=district_doc)
            .order_by("order")
            .values_list("order", "position", "user_id", "organisation")
        )
    # ordered by kecamatan: Jatinunggal (Cimanintin) before Wado (Cimungkal)
    assert rows == [
        (1, "Kepala Desa Cimanintin", second.pk, "Kecamatan Jatinunggal"),
        (2, "Kepala Desa Cimungkal", side.users["village_head"].pk, "Kecamatan Wado"),
    ]
    # a second import adds nobody, and says why
    response = client.post(
        url("signatories_import", side, document_id=district_doc.pk),
        {"sumber": "kepala-desa"},
        follow=True,
    )
    page = response.content.decode()
    assert "0 penanda tangan baru ditambahkan." in page and "2 dilewati." in page
    assert page.count("akun ini sudah menjadi penanda tangan") == 2
    # a village document takes only its own village's head
    client.post(
        url("signatories_import", side, document_id=village_doc.pk), {"sumber": "kepala-desa"}
    )
    with scopes_disabled():
        assert Signatory.objects.filter(version__document=district_doc).count() == 2
        assert list(
            Signatory.objects.filter(version__document=village_doc).values_list(
                "user_id", flat=True
            )
        ) == [side.users["village_head"].pk]


# --- the list ---------------------------------------------------------------------------------


def test_the_list_page_makes_the_same_number_of_queries_for_2_and_6_documents(world, client):
    side = world.a

    def add_documents(n):
        with scopes_disabled():
            for i in range(n):
                level = "village" if i % 2 else "district"
                document = make_document(side, level=level, template=level)
                add_people(document, side, users=["opd_staff"] if i % 2 else (), paper=2)
                if i % 3 == 0:  # a followed point and a second version on some
                    FollowUp.objects.create(
                        document=document,
                        district=side.district,
                        point=1,
                        text=POINTS[0],
                        owner_agency=side.agency,
                        due_on=document.current_version.signed_on,
                    )
                    services.open_signing(document, by=side.users["district_admin"])
                    signatory = document.current_version.signatories.get(order=1)
                    Signature.objects.create(
                        signatory=signatory,
                        district=side.district,
                        method="paper",
                        by=side.users["district_admin"],
                        content_sha256="0" * 64,
                    )
                    services.update_content(
                        document,
                        title="Komitmen yang diubah",
                        preamble="Pembukaan",
                        points=POINTS[:2],
                        closing="",
                        place="Sumedang",
                        signed_on=document.current_version.signed_on,
                        by=side.users["district_admin"],
                    )

    client.force_login(side.users["opd_staff"])
    list_url = url("commitment_list", side)
    client.get(list_url)  # warm up the session and caches

    add_documents(2)
    with CaptureQueriesContext(connection) as two:
        response = client.get(list_url)
    assert response.status_code == 200
    assert len(response.context["documents"]) == 2

    add_documents(4)
    with CaptureQueriesContext(connection) as six:
        response = client.get(list_url)
    page = response.content.decode()
    assert len(response.context["documents"]) == 6
    assert "Komitmen yang diubah" in page and "versi 2" in page
    assert len(six.captured_queries) == len(two.captured_queries), "\n".join(
        q["sql"] for q in six.captured_queries
    )


def test_a_kelurahan_commitment_starts_without_dana_desa_or_perdes(world):
    """A kelurahan has no Perdes and no Dana Desa: its starting wording speaks of the lurah's
    decision and Dana Kelurahan."""
    from commitments.wording import wording
    from villages.models import Village

    with scopes_disabled():
        kelurahan = Village.objects.get(code="32.11.02.1002")
        desa = Village.objects.get(code="32.11.01.2001")
    text = " ".join(
        [*wording("village", district=world.a.district, village=kelurahan, year=2026)["points"]]
    )
    assert "Dana Kelurahan" in text and "keputusan lurah" in text and "kelurahan" in text
    for word in ("Dana Desa", "APBDes", "peraturan desa", "di desa", "konvergensi desa"):
        assert word not in text, word
    title = wording("village", district=world.a.district, village=kelurahan, year=2026)["title"]
    assert title.startswith("KOMITMEN KELURAHAN PAWENANG")
    desa_text = " ".join(
        wording("village", district=world.a.district, village=desa, year=2026)["points"]
    )
    assert "Dana Desa" in desa_text and "peraturan desa" in desa_text
