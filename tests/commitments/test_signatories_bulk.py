"""Many signatories at once: a pasted list and one block per village or kelurahan from the
region list (the whole district, a kecamatan, the year's focus villages), duplicates skipped
with their reason, names left blank until signing; and the query counts of a district of 850
villages.

District A's villages (tests/conftest.py), in the order the blocks list them (kecamatan, then
village): Jatinunggal: Cimanintin (desa 2001), Pawenang (kelurahan 1002); Wado: Cimungkal
(desa 2001, the side's village, whose head has an account), Ganjarresik (desa 2002)."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments import chain, services
from commitments.models import Signatory
from tests.commitments.factories import make_document
from tests.convergence.objects import PDF
from villages.models import Kecamatan, Village, VillageProfile

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def rows(document):
    with scopes_disabled():
        return list(
            Signatory.objects.filter(version=document.current_version)
            .order_by("order")
            .values_list("order", "position", "name", "organisation", "user_id")
        )


def post_block(client, side, document, scope, **extra):
    return client.post(
        url("signatories_bulk", side, document_id=document.pk),
        {"aksi": "wilayah", "scope": scope},
        **extra,
    )


def test_one_block_per_village_of_the_district(world, client):
    side = world.a
    head = side.users["village_head"]
    with scopes_disabled():
        ganjarresik = Village.objects.get(code="32.11.01.2002")
        VillageProfile.objects.create(
            village=ganjarresik, district=side.district, head_name="Drs. Asep Saepudin"
        )
        document = make_document(side)
    client.force_login(side.users["district_admin"])
    page = client.get(url("signatories_bulk", side, document_id=document.pk)).content.decode()
    assert "Semua desa/kelurahan (4)" in page
    assert "Kecamatan Wado (2)" in page and "Kecamatan Jatinunggal (2)" in page

    response = post_block(client, side, document, "semua")
    assert response.status_code == 302 and response["Location"].endswith("#hasil")
    assert rows(document) == [
        (1, "Kepala Desa Cimanintin", "", "Kecamatan Jatinunggal", None),
        (2, "Lurah Pawenang", "", "Kecamatan Jatinunggal", None),
        # the head with an account: linked, he signs in the portal
        (3, "Kepala Desa Cimungkal", head.full_name, "Kecamatan Wado", head.pk),
        # the name on the village's profile
        (4, "Kepala Desa Ganjarresik", "Drs. Asep Saepudin", "Kecamatan Wado", None),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "4 penanda tangan ditambahkan." in page
    assert "2 di antaranya belum bernama" in page

    # named meanwhile, the block of Cimanintin is still the same position: skipped
    with scopes_disabled():
        first = Signatory.objects.get(version=document.current_version, order=1)
        services.update_signatory(
            first,
            position=first.position,
            name="Ujang Suryana",
            organisation=first.organisation,
            by=side.users["district_admin"],
        )
    response = post_block(client, side, document, "semua", follow=True)
    assert len(rows(document)) == 4
    page = response.content.decode()
    assert "0 penanda tangan baru ditambahkan." in page and "4 dilewati." in page
    assert "jabatan ini sudah ada di daftar penanda tangan" in page  # Cimanintin
    assert "sudah ada di daftar penanda tangan" in page  # Pawenang, Ganjarresik
    assert "akun ini sudah menjadi penanda tangan" in page  # Cimungkal's head


def test_blocks_of_one_kecamatan_and_of_the_focus_villages(world, client):
    from village_reports.models import FocusDecree, FocusVillage

    side = world.a
    with scopes_disabled():
        pawenang = Village.objects.get(code="32.11.02.1002")
        decree = FocusDecree.objects.create(district=side.district, year=2026, number="1/2026")
        FocusVillage.objects.create(decree=decree, village=pawenang, district=side.district)
        by_kecamatan = make_document(side)
        focus = make_document(side)
    client.force_login(side.users["district_admin"])
    post_block(client, side, by_kecamatan, f"kec-{side.kecamatan.pk}")
    assert [(r[1], r[3]) for r in rows(by_kecamatan)] == [
        ("Kepala Desa Cimungkal", "Kecamatan Wado"),
        ("Kepala Desa Ganjarresik", "Kecamatan Wado"),
    ]
    page = client.get(url("signatories_bulk", side, document_id=focus.pk)).content.decode()
    assert "Desa/kelurahan lokus tahun 2026 (1)" in page
    post_block(client, side, focus, "lokus")
    assert rows(focus) == [(1, "Lurah Pawenang", "", "Kecamatan Jatinunggal", None)]


def test_a_kecamatan_document_adds_only_its_own_villages(world, client):
    side = world.a
    with scopes_disabled():
        document = services.create_document(
            district=side.district,
            template="district",
            level="kecamatan",
            kecamatan=side.kecamatan,
            year=2026,
            title="Komitmen Kecamatan Wado",
            preamble="Kami yang bertanda tangan di bawah ini berkomitmen untuk:",
            points=["Satu."],
            closing="",
            place="Wado",
            signed_on=side.district.local_now().date(),
            by=side.users["district_admin"],
        )
    client.force_login(side.users["camat"])
    page = client.get(url("signatories_bulk", side, document_id=document.pk)).content.decode()
    assert "Semua desa/kelurahan (2)" in page and "Kecamatan Jatinunggal" not in page
    # another kecamatan's villages are not a choice here
    other = post_block(client, side, document, f"kec-{side.other_kecamatan.pk}")
    assert other.status_code == 200 and rows(document) == []
    post_block(client, side, document, "semua")
    assert [r[1] for r in rows(document)] == ["Kepala Desa Cimungkal", "Kepala Desa Ganjarresik"]


def test_pasted_signatories_skip_repeats_and_bad_lines_with_their_reason(world, client):
    side = world.a
    with scopes_disabled():
        document = make_document(side)
        services.add_signatory(
            document,
            position="Bupati Sumedang",
            name="Dr. H. Dony Ahmad Munir",
            by=side.users["district_admin"],
        )
    client.force_login(side.users["district_admin"])
    page_url = url("signatories_bulk", side, document_id=document.pk)
    text = (
        "Dr. Siti Aminah; Kepala Dinas Kesehatan; Dinas Kesehatan\n"  # 1
        "; Kepala Desa Cimungkal; Kecamatan Wado\n"  # 2: no name yet
        "dr. siti  aminah; kepala dinas kesehatan; DINAS KESEHATAN\n"  # 3: line 1 again
        "Budi Santoso\n"  # 4: no position
        "dr. h. dony ahmad munir; BUPATI SUMEDANG\n"  # 5: listed before
        "Dr. Siti Aminah; Ketua TP PKK; PKK\n"  # 6: same name, another position
    )
    response = client.post(page_url, {"aksi": "tempel", "lines": text}, follow=True)
    assert rows(document) == [
        (1, "Bupati Sumedang", "Dr. H. Dony Ahmad Munir", "", None),
        (2, "Kepala Dinas Kesehatan", "Dr. Siti Aminah", "Dinas Kesehatan", None),
        (3, "Kepala Desa Cimungkal", "", "Kecamatan Wado", None),
        (4, "Ketua TP PKK", "Dr. Siti Aminah", "PKK", None),
    ]
    page = response.content.decode()
    assert "3 penanda tangan ditambahkan." in page and "3 dilewati." in page
    assert "sama dengan baris 1 tempelan ini" in page
    assert "jabatan belum diisi" in page
    assert "sudah ada di daftar penanda tangan" in page
    # the bad line is offered again, to be corrected
    assert ">\nBudi Santoso</textarea>" in page


def test_a_block_signs_on_paper_with_the_name_written_on_the_page(world, client):
    side = world.a
    admin = side.users["district_admin"]
    with scopes_disabled():
        document = make_document(side)
        services.add_signatories_skipping(
            document,
            rows=[
                {"position": "Bupati Sumedang", "name": "Dony"},
                {"position": "Kepala Desa Cimanintin", "name": ""},
            ],
            by=admin,
        )
        services.open_signing(document, by=admin)
        version = document.current_version
        bupati, blank = version.signatories.order_by("order")
        before = version.content_sha256()
    client.force_login(admin)
    paper_url = url("signature_paper", side, document_id=document.pk, signatory_id=blank.pk)
    upload = SimpleUploadedFile("lembar.pdf", PDF, content_type="application/pdf")
    refused = client.post(paper_url, {"page": upload})
    assert refused.status_code == 200
    assert "Tulis nama penanda tangan seperti pada lembar." in refused.content.decode()
    upload = SimpleUploadedFile("lembar.pdf", PDF, content_type="application/pdf")
    response = client.post(paper_url, {"page": upload, "name": "  Ujang   Suryana "})
    assert response.status_code == 302
    with scopes_disabled():
        blank.refresh_from_db()
        assert (blank.name, blank.named_at_signing) == ("Ujang Suryana", True)
        # the wording the others sign is the one read before the name was written
        assert version.content_sha256() == before
        services.sign_on_paper(
            document,
            signatory=bupati,
            upload=SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf"),
            by=admin,
        )
        assert chain.verify_chain(document) == []
        signature = blank.signature
        assert signature.content_sha256 == before
        assert signature.paper_sha256 == hashlib.sha256(PDF).hexdigest()
        event = document.events.get(payload__signatory=str(blank.pk))
        assert event.payload["name"] == "Ujang Suryana"


def test_850_villages_cost_the_same_queries_as_2(world, client):
    side = world.a
    with scopes_disabled():
        big = Kecamatan.objects.create(
            code="32.11.99", name="Kecamatan Uji", district=side.district
        )
        Village.objects.bulk_create(
            Village(
                code=f"32.11.99.{2001 + i}",
                name=f"Uji {i:03d}",
                kecamatan=big,
                district=side.district,
            )
            for i in range(850)
        )
        # as in the small kecamatan (Cimungkal), one village head has an account
        from accounts.models import Role
        from accounts.services import grant_membership
        from tests.conftest import make_user

        grant_membership(
            user=make_user("kades.uji@sumedang.test", "Kades Uji"),
            role=Role.VILLAGE_HEAD,
            district=side.district,
            village=Village.objects.get(code="32.11.99.2001"),
        )
        small_doc = make_document(side)
        big_doc = make_document(side)
    client.force_login(side.users["district_admin"])
    counts = {}
    for label, document, kecamatan in (("small", small_doc, side.kecamatan), ("big", big_doc, big)):
        page_url = url("signatories_bulk", side, document_id=document.pk)
        client.get(page_url)  # warm the session and the user's caches
        with CaptureQueriesContext(connection) as queries:
            response = post_block(client, side, document, f"kec-{kecamatan.pk}")
        assert response.status_code == 302
        counts[label] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("commitment_detail", side, document_id=document.pk)).status_code
        counts[f"{label} page"] = len(queries)
    assert len(rows(small_doc)) == 2 and len(rows(big_doc)) == 850
    assert rows(big_doc)[849][1:3] == ("Kepala Desa Uji 849", "")
    assert counts["small"] == counts["big"]
    assert counts["small page"] == counts["big page"]


def test_a_head_listed_without_a_name_signs_in_the_portal_under_his_account_name(world, client):
    from django.core.cache import cache

    from accounts import reauth
    from tests.conftest import PASSWORD

    side = world.a
    admin, staff = side.users["district_admin"], side.users["opd_staff"]
    with scopes_disabled():
        document = make_document(side)
        services.add_signatories(
            document,
            rows=[
                {"position": "Kepala Dinas Kesehatan", "name": "", "user": staff},
                {"position": "Bupati Sumedang", "name": "Dony"},
            ],
            by=admin,
        )
        services.open_signing(document, by=admin)
        version = document.current_version
        before = version.content_sha256()
    cache.delete(reauth.fail_key(staff))
    client.force_login(staff)
    response = client.post(
        url("commitment_sign", side, document_id=document.pk),
        {"password": PASSWORD, "agree": "on", "code": "", "content_sha256": before},
    )
    assert response.status_code == 302
    with scopes_disabled():
        signed = Signatory.objects.get(version=version, order=1)
        assert (signed.name, signed.named_at_signing) == (staff.full_name, True)
        assert signed.signature.content_sha256 == before == version.content_sha256()
        assert chain.verify_chain(document) == []


def test_removing_one_of_many_signatories_costs_the_same_queries(world, client):
    side = world.a
    admin = side.users["district_admin"]
    counts = []
    client.force_login(admin)
    for n in (3, 300):
        with scopes_disabled():
            document = make_document(side)
            services.add_signatories_skipping(
                document,
                rows=[{"position": f"Jabatan {i}", "name": ""} for i in range(1, n + 1)],
                by=admin,
            )
            second = Signatory.objects.get(version=document.current_version, order=2)
        client.get(url("commitment_detail", side, document_id=document.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                url("signatory_remove", side, document_id=document.pk, signatory_id=second.pk)
            )
        assert response.status_code == 302
        counts.append(len(queries))
        # 1, 3, 4, … n renumbered 1, 2, 3, … n - 1
        expected = [(1, "Jabatan 1")] + [(i - 1, f"Jabatan {i}") for i in range(3, n + 1)]
        assert [(r[0], r[1]) for r in rows(document)] == expected
    assert counts[0] == counts[1]


def test_heads_with_an_account_do_not_double_the_blocks_of_their_villages(world, client):
    from accounts.models import Role
    from accounts.services import grant_membership
    from tests.conftest import make_user

    side = world.a
    with scopes_disabled():
        document = make_document(side)
    client.force_login(side.users["district_admin"])
    post_block(client, side, document, "semua")
    with scopes_disabled():
        # Cimanintin's head gets an account after the blocks were added
        grant_membership(
            user=make_user("kades.cimanintin@sumedang.test", "Ujang Cimanintin"),
            role=Role.VILLAGE_HEAD,
            district=side.district,
            village=side.other_village,
        )
    response = client.post(
        url("signatories_import", side, document_id=document.pk),
        {"sumber": "kepala-desa"},
        follow=True,
    )
    assert len(rows(document)) == 4
    page = response.content.decode()
    assert "2 dilewati." in page
    assert "Ujang Cimanintin; Kepala Desa Cimanintin; Kecamatan Jatinunggal" in page
    assert "jabatan ini sudah ada di daftar penanda tangan" in page  # Cimanintin's block
    assert "akun ini sudah menjadi penanda tangan" in page  # Cimungkal's head, linked already
