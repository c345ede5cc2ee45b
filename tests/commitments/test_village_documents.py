"""The district's own templates, one village document for every village, and a follow-up for
many owners at once (issue 15, "Documents from the rembuk, and for every village").

World A is Kabupaten Sumedang: kecamatan Wado (desa Cimungkal, where A's village head has his
account, and desa Ganjarresik) and kecamatan Jatinunggal (desa Cimanintin and kelurahan
Pawenang). Every expected title, position and count below is written out by hand."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from commitments import services
from commitments.models import (
    CommitmentDocument,
    DocumentTemplate,
    FollowUp,
    Signature,
    VillageIssue,
)
from commitments.printing import document_html
from tests.commitments.test_follow_up import signed
from tests.concurrency import race
from tests.conftest import PASSWORD
from tests.convergence.objects import PDF
from village_reports.models import FocusDecree, FocusVillage
from villages.models import Agency, Kecamatan, Village, VillageProfile

pytestmark = pytest.mark.django_db


def url(name, side, **kwargs):
    return reverse(name, kwargs={"district_slug": side.district.slug, **kwargs})


def template_post(**overrides):
    return {
        "kind": "village",
        "name": "Komitmen desa Sumedang",
        "title": "KOMITMEN {DESA} TAHUN {tahun}",
        "preamble": "Pada hari ini {hari}, kami pemerintah {desa}, Kecamatan {kecamatan}:",
        "points": "1. Menetapkan Perdes stunting tahun {tahun}.\n2) Menganggarkan APBDes "
        "{tahun_depan}.",
        "closing": "Dilaporkan kepada camat.",
        **overrides,
    }


def village_template(side, name="Komitmen desa Sumedang"):
    with scopes_disabled():
        data = template_post(name=name)
        return services.save_template(
            district=side.district,
            kind="village",
            name=name,
            title=data["title"],
            preamble=data["preamble"],
            points=services.parse_points(data["points"]),
            closing=data["closing"],
            by=side.users["district_admin"],
        )


def errors_of(response):
    return {k: " ".join(v) for k, v in response.context["form"].errors.items()}


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def issued(side):
    """(village name, title, place, status, [(position, name, user)]) per document."""
    with scopes_disabled():
        rows = []
        for d in (
            CommitmentDocument.objects.filter(district=side.district, issue__isnull=False)
            .select_related("village")
            .order_by("village__code")
        ):
            v = d.current_version
            people = [(s.position, s.name, s.user) for s in v.signatories.order_by("order")]
            rows.append((d.village.name, v.title, v.place, d.status, people))
        return rows


# --- templates --------------------------------------------------------------------------------


def test_the_admin_keeps_the_district_templates(world, client):
    side = world.a
    client.force_login(side.users["district_admin"])
    create = url("commitment_template_create", side)

    # the built-in wording is the starting point, with its placeholders
    page = client.get(create + "?jenis=village")
    assert page.status_code == 200
    initial = page.context["form"].initial
    assert initial["title"] == "KOMITMEN {DESA} DALAM PENCEGAHAN STUNTING TAHUN {tahun}"
    assert initial["kind"] == "village"

    response = client.post(create, template_post())
    assert response.status_code == 302
    with scopes_disabled():
        [template] = DocumentTemplate.objects.filter(district=side.district)
    assert (template.kind, template.name, template.title) == (
        "village",
        "Komitmen desa Sumedang",
        "KOMITMEN {DESA} TAHUN {tahun}",
    )
    assert template.points == [
        "Menetapkan Perdes stunting tahun {tahun}.",
        "Menganggarkan APBDes {tahun_depan}.",
    ]
    listed = client.get(url("commitment_template_list", side))
    assert "Komitmen desa Sumedang" in listed.content.decode()

    # the same name again, no points, no name: refused, nothing saved
    for post, field in (
        (template_post(), "name"),
        (template_post(name="Lain", points="  \n "), "points"),
        (template_post(name=""), "name"),
    ):
        response = client.post(create, post)
        assert response.status_code == 200
        assert field in errors_of(response), post
    with scopes_disabled():
        assert DocumentTemplate.objects.filter(district=side.district).count() == 1

    edit = url("commitment_template_edit", side, template_id=template.pk)
    form = client.get(edit)
    token = form.context["form"]  # the page carries the edit token
    assert token.initial["points"] == (
        "Menetapkan Perdes stunting tahun {tahun}.\nMenganggarkan APBDes {tahun_depan}."
    )
    old_token = template.updated_at.isoformat()
    response = client.post(
        edit, {**template_post(name="Komitmen desa 2027"), "edit_token": old_token}
    )
    assert response.status_code == 302
    with scopes_disabled():
        template.refresh_from_db()
    assert template.name == "Komitmen desa 2027"
    # a second save from the page opened before the first: refused, the first one kept
    response = client.post(edit, {**template_post(name="Tertimpa"), "edit_token": old_token})
    assert response.status_code == 200
    with scopes_disabled():
        template.refresh_from_db()
    assert template.name == "Komitmen desa 2027"

    response = client.post(url("commitment_template_delete", side, template_id=template.pk))
    assert response.status_code == 302
    with scopes_disabled():
        assert not DocumentTemplate.objects.filter(district=side.district).exists()


def test_templates_belong_to_their_district(world, client):
    a_template = village_template(world.a)
    b_template = village_template(world.b, name="Komitmen desa TTS")
    client.force_login(world.a.users["district_admin"])
    listed = client.get(url("commitment_template_list", world.a)).content.decode()
    assert "Komitmen desa Sumedang" in listed and "Komitmen desa TTS" not in listed
    for name in ("commitment_template_edit", "commitment_template_delete"):
        assert client.post(url(name, world.a, template_id=b_template.pk)).status_code == 404
    # B's template named on A's new-document page: A's built-in wording instead
    desa = world.a.village
    page = client.get(
        url("commitment_create", world.a) + f"?templat=village&desa={desa.pk}&dari={b_template.pk}"
    )
    year = world.a.district.local_now().year
    assert page.context["form"].initial["title"] == (
        f"KOMITMEN DESA CIMUNGKAL DALAM PENCEGAHAN STUNTING TAHUN {year}"
    )
    # A's own template fills the same page with the village's name and the year
    page = client.get(
        url("commitment_create", world.a) + f"?templat=village&desa={desa.pk}&dari={a_template.pk}"
    )
    initial = page.context["form"].initial
    assert initial["title"] == f"KOMITMEN DESA CIMUNGKAL TAHUN {year}"
    assert initial["points"] == (
        f"Menetapkan Perdes stunting tahun {year}.\nMenganggarkan APBDes {year + 1}."
    )
    # the camat creates documents but does not keep the district's templates
    client.force_login(world.a.users["camat"])
    assert client.get(url("commitment_template_list", world.a)).status_code == 403
    with scopes_disabled():
        assert DocumentTemplate.objects.get(pk=b_template.pk).name == "Komitmen desa TTS"


def test_a_document_is_saved_as_a_template_with_placeholders(world, client):
    side = world.a
    with scopes_disabled():
        village = Village.objects.select_related("kecamatan").get(pk=side.village.pk)
        from commitments.wording import village_wording

        text = village_wording(village, 2026)
        document = services.create_document(
            district=side.district,
            template="village",
            level="village",
            village=village,
            year=2026,
            place="Cimungkal",
            signed_on=date(2026, 8, 12),
            by=side.users["district_admin"],
            **text,
        )
    client.force_login(side.users["district_admin"])
    detail = client.get(url("commitment_detail", side, document_id=document.pk)).content.decode()
    assert "Simpan sebagai templat" in detail

    page = client.get(url("commitment_template_create", side) + f"?dokumen={document.pk}")

    initial = page.context["form"].initial
    assert initial["kind"] == "village"
    assert initial["title"] == "KOMITMEN {DESA} DALAM PENCEGAHAN STUNTING TAHUN {tahun}"
    assert initial["preamble"] == (
        "Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami pemerintah dan "
        "unsur masyarakat {desa}, Kecamatan {kecamatan}, berkomitmen untuk:"
    )
    points = initial["points"].split("\n")
    assert points[0] == (
        "Menetapkan peraturan desa tentang kewenangan lokal berskala desa dalam pencegahan "
        "stunting paling lambat tahun {tahun}."
    )
    assert points[1] == (
        "Menganggarkan kegiatan pencegahan stunting dari APBDes, termasuk Dana Desa, pada "
        "tahun {tahun_depan}."
    )


# --- one document for every village -----------------------------------------------------------


def issue_post(**overrides):
    return {
        "template": "",
        "year": "2026",
        "scope": "all",
        "kecamatan": "",
        "signed_on": "2026-08-12",
        **overrides,
    }


def test_every_village_gets_its_own_document_once(world, client):
    side = world.a
    template = village_template(side)
    with scopes_disabled():
        # Ganjarresik's head has no account; the village profile names him
        VillageProfile.objects.create(
            village=Village.objects.get(code="32.11.01.2002"),
            district=side.district,
            head_name="Ujang Suryana",
        )
    client.force_login(side.users["district_admin"])
    create = url("commitment_issue_create", side)

    response = client.post(create, issue_post(template=str(template.pk)))

    assert response.status_code == 302
    head = side.users["village_head"]
    assert issued(side) == [
        (
            "Cimungkal",
            "KOMITMEN DESA CIMUNGKAL TAHUN 2026",
            "Cimungkal",
            "signing",
            [("Kepala Desa Cimungkal", head.full_name, head)],
        ),
        (
            "Ganjarresik",
            "KOMITMEN DESA GANJARRESIK TAHUN 2026",
            "Ganjarresik",
            "signing",
            [("Kepala Desa Ganjarresik", "Ujang Suryana", None)],
        ),
        (
            "Pawenang",
            "KOMITMEN KELURAHAN PAWENANG TAHUN 2026",
            "Pawenang",
            "signing",
            [("Lurah Pawenang", "", None)],
        ),
        (
            "Cimanintin",
            "KOMITMEN DESA CIMANINTIN TAHUN 2026",
            "Cimanintin",
            "signing",
            [("Kepala Desa Cimanintin", "", None)],
        ),
    ]
    with scopes_disabled():
        issue = VillageIssue.objects.get(district=side.district)
        document = CommitmentDocument.objects.get(issue=issue, village=side.village)
        version = document.current_version
        assert version.preamble == (
            "Pada hari ini {hari}, kami pemerintah Desa Cimungkal, Kecamatan Wado:"
        )
        assert version.points == [
            "Menetapkan Perdes stunting tahun 2026.",
            "Menganggarkan APBDes 2027.",
        ]
        assert version.signed_on == date(2026, 8, 12)
        # printed under the village's own heading
        html = document_html(version, draft=True)
        assert "PEMERINTAH DESA CIMUNGKAL" in html and "KECAMATAN WADO" in html
        # nothing in the other district
        assert not CommitmentDocument.objects.filter(district=world.b.district).exists()
    assert response["Location"] == url("commitment_issue_detail", side, issue_id=issue.pk)

    # issuing again, and a double submit of the same form: nothing more
    again = client.post(create, issue_post(template=str(template.pk)), follow=True)
    assert "Setiap desa yang dipilih sudah memiliki dokumen ini." in messages_of(again)
    with scopes_disabled():
        assert CommitmentDocument.objects.filter(district=side.district).count() == 4
        assert VillageIssue.objects.filter(district=side.district).count() == 1


def test_focus_villages_then_a_kecamatan_from_the_built_in_wording(world, client):
    side = world.a
    with scopes_disabled():
        decree = FocusDecree.objects.create(district=side.district, year=2026)
        for code in ("32.11.02.2001", "32.11.02.1002"):  # Cimanintin, Pawenang
            FocusVillage.objects.create(
                decree=decree, district=side.district, village=Village.objects.get(code=code)
            )
    client.force_login(side.users["district_admin"])
    create = url("commitment_issue_create", side)

    client.post(create, issue_post(scope="focus"))
    assert [(name, title) for name, title, *_rest in issued(side)] == [
        ("Pawenang", "KOMITMEN KELURAHAN PAWENANG DALAM PENCEGAHAN STUNTING TAHUN 2026"),
        ("Cimanintin", "KOMITMEN DESA CIMANINTIN DALAM PENCEGAHAN STUNTING TAHUN 2026"),
    ]
    with scopes_disabled():
        kelurahan = CommitmentDocument.objects.get(village__code="32.11.02.1002")
        # a kelurahan's built-in points: no Perdes, no Dana Desa
        assert kelurahan.current_version.points[0] == (
            "Menetapkan keputusan lurah tentang tim percepatan penurunan stunting kelurahan "
            "paling lambat tahun 2026."
        )

    # then kecamatan Wado: its two villages join the same issue
    wado = Kecamatan.objects.get(code="32.11.01")
    response = client.post(create, issue_post(scope="kecamatan", kecamatan=str(wado.pk)))
    assert response.status_code == 302
    assert [name for name, *_rest in issued(side)] == [
        "Cimungkal",
        "Ganjarresik",
        "Pawenang",
        "Cimanintin",
    ]
    with scopes_disabled():
        assert VillageIssue.objects.filter(district=side.district).count() == 1

    # no focus villages for 2027, a kecamatan not chosen, another district's kecamatan
    other = Kecamatan.objects.get(code="53.02.02")
    for post, field in (
        (issue_post(scope="focus", year="2027"), "scope"),
        (issue_post(scope="kecamatan"), "kecamatan"),
        (issue_post(scope="kecamatan", kecamatan=str(other.pk)), "kecamatan"),
    ):
        response = client.post(create, post)
        assert response.status_code == 200
        assert field in errors_of(response), post
    with scopes_disabled():
        assert CommitmentDocument.objects.filter(district=side.district).count() == 4
        assert VillageIssue.objects.filter(district=side.district).count() == 1


def test_only_the_admin_issues_and_a_district_template_from_elsewhere_is_refused(world, client):
    side = world.a
    b_template = village_template(world.b, name="Komitmen desa TTS")
    client.force_login(side.users["camat"])
    assert client.post(url("commitment_issue_create", side), issue_post()).status_code == 403
    client.force_login(side.users["district_admin"])
    response = client.post(
        url("commitment_issue_create", side), issue_post(template=str(b_template.pk))
    )
    assert response.status_code == 200
    assert "template" in errors_of(response)
    with scopes_disabled():
        assert not CommitmentDocument.objects.filter(district=side.district).exists()
        # and the service refuses a district template of another kind or district
        with pytest.raises(Exception, match="templat komitmen desa daerah ini"):
            services.issue_to_villages(
                district=side.district,
                template=b_template,
                villages=Village.objects.filter(district=side.district),
                year=2026,
                signed_on=date(2026, 8, 12),
                by=side.users["district_admin"],
            )


def test_the_completion_list_and_who_sees_which_village(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    client.force_login(side.users["district_admin"])
    client.post(url("commitment_issue_create", side), issue_post())
    with scopes_disabled():
        issue = VillageIssue.objects.get(district=side.district)
        docs = {
            d.village.name: d
            for d in CommitmentDocument.objects.filter(issue=issue).select_related("village")
        }
    detail = url("commitment_issue_detail", side, issue_id=issue.pk)

    # the village head signs his own in the portal
    client.force_login(side.users["village_head"])
    own = docs["Cimungkal"]
    sign = url("commitment_sign", side, document_id=own.pk)
    page = client.get(sign)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            sign,
            {
                "password": PASSWORD,
                "content_sha256": page.context["content_sha256"],
                "agree": "on",
            },
        )
    assert response.status_code == 302
    # the admin records Pawenang's lurah's paper page
    client.force_login(side.users["district_admin"])
    with scopes_disabled():
        lurah = docs["Pawenang"].current_version.signatories.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("signature_paper", side, document_id=docs["Pawenang"].pk, signatory_id=lurah.pk),
            {"page": SimpleUploadedFile("lembar.pdf", PDF, content_type="application/pdf")},
        )
    assert response.status_code == 302
    with scopes_disabled():
        assert Signature.objects.filter(district=side.district).count() == 2

    response = client.get(detail)
    assert (response.context["total"], response.context["signed"]) == (4, 2)
    assert response.context["waiting"] == 2
    rows = [(r["village__name"], r["signed"], r["n_signed"]) for r in response.context["rows"]]
    # by kecamatan name (Jatinunggal, Wado), then village name
    assert rows == [
        ("Cimanintin", False, 0),
        ("Pawenang", True, 1),
        ("Cimungkal", True, 1),
        ("Ganjarresik", False, 0),
    ]
    waiting = client.get(detail + "?status=waiting").context["rows"]
    assert [r["village__name"] for r in waiting] == ["Cimanintin", "Ganjarresik"]
    # the list page shows the issue as one line, not its four documents
    listed = client.get(url("commitment_list", side))
    assert [i.n_signed for i in listed.context["issues"]] == [2]
    assert [i.n_documents for i in listed.context["issues"]] == [4]
    assert not any(d.issue_id for d in listed.context["documents"])

    # the village head: his own village only
    client.force_login(side.users["village_head"])
    mine = client.get(detail).context["rows"]
    assert [r["village__name"] for r in mine] == ["Cimungkal"]
    listed = client.get(url("commitment_list", side)).context["documents"]
    assert [d.pk for d in listed] == [own.pk]
    other = docs["Ganjarresik"]
    assert client.get(url("commitment_detail", side, document_id=other.pk)).status_code == 404
    # the camat: his kecamatan's villages
    client.force_login(side.users["camat"])
    rows = client.get(detail).context["rows"]
    assert [r["village__name"] for r in rows] == ["Cimungkal", "Ganjarresik"]
    # another district: 404
    client.force_login(world.b.users["district_admin"])
    assert client.get(detail.replace(side.district.slug, world.b.district.slug)).status_code == 404


def _more_villages(side, n, code):
    """A kecamatan of `n` villages in A's district."""
    with scopes_disabled():
        kecamatan = Kecamatan.objects.create(
            code=f"32.11.{code}", name=f"Kecamatan {code}", district=side.district
        )
        Village.objects.bulk_create(
            Village(
                code=f"32.11.{code}.{2001 + i}",
                name=f"Desa {code}-{i}",
                kecamatan=kecamatan,
                district=side.district,
            )
            for i in range(n)
        )
    return kecamatan


def test_issuing_and_the_completion_list_take_the_same_queries_for_2_or_60_villages(world, client):
    side = world.a
    small_template = village_template(side, name="Kecil")
    large_template = village_template(side, name="Besar")
    wado = Kecamatan.objects.get(code="32.11.01")  # two villages
    large = _more_villages(side, 60, "90")
    client.force_login(side.users["district_admin"])
    create = url("commitment_issue_create", side)
    client.get(create)  # the session's first request reads the memberships once
    counted = {}
    for label, template, kecamatan in (
        ("small", small_template, wado),
        ("large", large_template, large),
    ):
        post = issue_post(template=str(template.pk), scope="kecamatan", kecamatan=kecamatan.pk)
        with CaptureQueriesContext(connection) as issuing:
            response = client.post(create, post)
        assert response.status_code == 302
        with CaptureQueriesContext(connection) as listing:
            page = client.get(response["Location"])
        counted[label] = (len(issuing), len(listing), page.context["total"])
    assert counted["small"][2] == 2 and counted["large"][2] == 60
    assert counted["small"][:2] == counted["large"][:2]


# --- a follow-up for many owners --------------------------------------------------------------


def test_a_point_is_followed_by_every_village_and_several_agencies(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    with scopes_disabled():
        bappeda = Agency.objects.get(district=side.district, short_name="BAPPEDA")
        decree = FocusDecree.objects.create(district=side.district, year=2026)
        FocusVillage.objects.create(
            decree=decree, district=side.district, village=Village.objects.get(code="32.11.02.2001")
        )
    client.force_login(side.users["district_admin"])
    create = url("follow_up_create", side, document_id=document.pk)

    response = client.post(
        create,
        {
            "point": "1",
            "owner": ["semua-desa", f"a{side.agency.pk}", f"a{bappeda.pk}"],
            "due_on": "2026-12-31",
        },
        follow=True,
    )
    assert "Butir 1 dipantau untuk 6 pemilik." in messages_of(response)
    with scopes_disabled():
        owners = sorted(
            (f.owner_agency.short_name if f.owner_agency else f.owner_village.name)
            for f in FollowUp.objects.filter(document=document, point=1).select_related(
                "owner_agency", "owner_village"
            )
        )
    assert owners == ["BAPPEDA", "Cimanintin", "Cimungkal", "DINKES", "Ganjarresik", "Pawenang"]

    # the focus villages for the same point are tracked already: refused, nothing added
    response = client.post(create, {"point": "1", "owner": ["desa-lokus"], "due_on": "2026-12-31"})
    assert response.status_code == 200
    assert "owner" in response.context["follow_form"].errors
    # the focus villages and DINKES for point 2: 2 rows, and again for point 2 one more owner
    client.post(
        create,
        {"point": "2", "owner": ["desa-lokus", f"a{side.agency.pk}"], "due_on": "2026-10-31"},
    )
    response = client.post(
        create,
        {"point": "2", "owner": ["desa-lokus", f"a{bappeda.pk}"], "due_on": "2026-10-31"},
        follow=True,
    )
    assert "1 pemilik sudah memantau butir ini dan dilewati." in messages_of(response)
    # point 3 for one agency
    client.post(create, {"point": "3", "owner": [f"a{bappeda.pk}"], "due_on": "2026-09-30"})
    with scopes_disabled():
        assert FollowUp.objects.filter(document=document).count() == 6 + 3 + 1
        one = FollowUp.objects.get(document=document, point=1, owner_village=side.village)
        services.report_progress(
            one, status="in_progress", note="Rapat desa", by=side.users["village_head"]
        )

    # the list: one line for each point with many owners, the single ones as rows
    page = client.get(url("follow_up_list", side))
    lines = [
        (line["point"], line["total"], line["counts"]["not_started"], line["counts"]["in_progress"])
        for line in page.context["point_lines"]
    ]
    assert lines == [(2, 3, 3, 0), (1, 6, 5, 1)]  # by due date: October, then December
    assert [(f.point, f.owner_name) for f in page.context["follow_ups"]] == [(3, "BAPPEDA")]
    assert page.context["total"] == 10
    # one point's rows
    rows = client.get(url("follow_up_list", side) + f"?butir={document.pk}:2").context
    assert sorted(f.owner_name for f in rows["follow_ups"]) == ["BAPPEDA", "Cimanintin", "DINKES"]
    assert rows["point_lines"] == []
    # the summary: one line per point, however many owners
    from commitments import summaries

    with scopes_disabled():
        found = summaries.follow_ups([side.district])[side.district.pk]
    by_point = {
        point: (c.total, c.not_started, c.in_progress) for (_d, point), c in found.by_point.items()
    }
    assert by_point == {1: (6, 5, 1), 2: (3, 3, 0), 3: (1, 1, 0)}
    # the document's page: the same roll-up
    detail = client.get(url("commitment_detail", side, document_id=document.pk)).context
    assert [(line["point"], line["total"]) for line in detail["point_lines"]] == [(1, 6), (2, 3)]
    assert [f.point for f in detail["follow_ups"]] == [3]


def test_a_village_document_is_followed_only_by_its_village(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks, level="village")
    with scopes_disabled():
        with pytest.raises(Exception, match="dimiliki oleh desa itu sendiri"):
            services.create_follow_ups(
                document,
                point=1,
                villages=[side.village, side.other_village],
                due_on=date(2026, 12, 31),
                by=side.users["district_admin"],
            )
        assert not FollowUp.objects.filter(document=document).exists()


def test_following_many_owners_takes_the_same_queries_for_2_or_60_villages(
    world, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)
    _more_villages(side, 60, "91")
    with scopes_disabled():
        few = list(Village.objects.filter(kecamatan__code="32.11.01"))
        many = list(Village.objects.filter(kecamatan__code="32.11.91"))
        assert document.current_version and document.district  # read once, kept on the object
        counted = []
        for point, villages in ((1, few), (2, many)):
            with CaptureQueriesContext(connection) as queries:
                made, skipped = services.create_follow_ups(
                    document,
                    point=point,
                    villages=villages,
                    due_on=date(2026, 12, 31),
                    by=side.users["district_admin"],
                )
            counted.append((made, skipped, len(queries)))
    assert counted[0][:2] == (2, 0) and counted[1][:2] == (60, 0)
    assert counted[0][2] == counted[1][2]


def test_a_document_made_from_a_template_keeps_its_wording_when_the_template_changes(world):
    side = world.a
    template = village_template(side)
    with scopes_disabled():
        issue, made, skipped = services.issue_to_villages(
            district=side.district,
            template=template,
            villages=Village.objects.filter(pk=side.village.pk),
            year=2026,
            signed_on=date(2026, 8, 12),
            by=side.users["district_admin"],
        )
        assert (made, skipped) == (1, 0)
        services.update_template(
            template,
            name=template.name,
            title="JUDUL BARU {tahun}",
            preamble=template.preamble,
            points=template.points,
            closing=template.closing,
            by=side.users["district_admin"],
        )
        services.delete_template(template, by=side.users["district_admin"])
        document = CommitmentDocument.objects.get(issue=issue)
        assert document.current_version.title == "KOMITMEN DESA CIMUNGKAL TAHUN 2026"
        issue.refresh_from_db()
        assert (issue.template, issue.name) == (None, "Komitmen desa Sumedang")


@pytest.mark.django_db(transaction=True)
def test_two_issues_at_once_make_each_village_document_once(world, postgres):
    side = world.a
    template = village_template(side)

    def issue():
        with scopes_disabled():
            _issue, made, skipped = services.issue_to_villages(
                district=side.district,
                template=template,
                villages=Village.objects.filter(district=side.district),
                year=2026,
                signed_on=date(2026, 8, 12),
                by=side.users["district_admin"],
            )
            return made, skipped

    first, second = race(issue, issue)

    assert (first, second) == ((4, 0), (0, 4))
    with scopes_disabled():
        assert CommitmentDocument.objects.filter(district=side.district).count() == 4
        assert VillageIssue.objects.filter(district=side.district).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_follow_ups_for_every_village_at_once_make_one_row_each(
    world, postgres, django_capture_on_commit_callbacks
):
    side = world.a
    document = signed(side, django_capture_on_commit_callbacks)

    def follow():
        with scopes_disabled():
            current = CommitmentDocument.objects.get(pk=document.pk)
            return services.create_follow_ups(
                current,
                point=1,
                villages=list(Village.objects.filter(district=side.district)),
                due_on=date(2026, 12, 31),
                by=side.users["district_admin"],
            )

    first, second = race(follow, follow)

    assert (first, second) == ((4, 0), (0, 4))
    with scopes_disabled():
        assert FollowUp.objects.filter(document=document).count() == 4
