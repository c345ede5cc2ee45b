"""A deliverable's life: evidence checked from its bytes, submit, return with a reason,
resubmit, verify; every step in the history; locked years change no more."""

import io
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from convergence import services
from convergence.models import Deliverable, DeliverableTemplate, Evidence, Status, Transition
from tests.conftest import png_bytes
from tests.convergence.objects import PDF, pdf_upload, submit_complete, year_for

pytestmark = pytest.mark.django_db


def office_file(kind):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def test_open_year_takes_framework_agencies_and_month_end_due_dates(world, year_a):
    with scopes_disabled():
        assert year_a.framework.code == "model-2025"
        actions = list(year_a.actions.select_related("action", "lead_agency"))
        assert [ya.action.number for ya in actions] == [1, 2, 3, 4, 5, 6]
        assert {ya.action.lead_agency: ya.lead_agency.short_name for ya in actions}["DINKES"] == (
            "DINKES"
        )
        first = Deliverable.objects.filter(year_action__district_year=year_a).order_by(
            "year_action__action__number", "template__number"
        )[0]
        month = first.template.due_month or first.year_action.action.due_month
        assert first.due_date.day in (28, 29, 30, 31) and first.due_date.month == month
        assert first.status == Status.DRAFT
        with pytest.raises(ValidationError, match="sudah dibuka"):
            services.open_year(district=world.a.district, year=2026, by=None)
        old = year_for(world.a, 2024)
        assert old.framework.code == "8-aksi-2018"
        assert old.actions.count() == 8


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("laporan.pdf", PDF, "application/pdf"),
        ("foto", png_bytes(), "image/png"),
        ("rekap.xlsx", office_file("xlsx"), "spreadsheetml"),
        ("notulen.docx", office_file("docx"), "wordprocessingml"),
    ],
)
def test_evidence_type_comes_from_content(world, deliverable, name, data, content_type):
    with scopes_disabled():
        evidence = services.upload_evidence(
            deliverable=deliverable,
            upload=SimpleUploadedFile(name, data),
            by=world.a.users["opd_staff"],
        )
        assert content_type in evidence.content_type
        assert len(evidence.sha256) == 64
        assert not evidence.file.name.endswith(name)  # the stored name is not the user's


@pytest.mark.parametrize(
    "name,data",
    [
        ("laporan.pdf", b"just text pretending to be a PDF"),
        ("macro.docx", b"PK\x03\x04not really a zip"),
        ("arsip.xlsx", office_file("docx")[:0] + b"PK\x03\x04"),
        ("script.html", b"<script>alert(1)</script>"),
    ],
)
def test_wrong_type_is_refused_and_nothing_saved(world, deliverable, name, data):
    with scopes_disabled():
        with pytest.raises(ValidationError, match="Jenis berkas tidak diterima"):
            services.upload_evidence(
                deliverable=deliverable,
                upload=SimpleUploadedFile(name, data),
                by=world.a.users["opd_staff"],
            )
        assert not Evidence.objects.filter(deliverable=deliverable).exists()


def test_oversized_upload_is_refused(world, deliverable, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    with scopes_disabled(), pytest.raises(ValidationError, match="terlalu besar"):
        services.upload_evidence(
            deliverable=deliverable,
            upload=pdf_upload(data=PDF + b"x" * 2000),
            by=world.a.users["opd_staff"],
        )


def test_submit_return_resubmit_verify_with_history(world, deliverable):
    staff, admin = world.a.users["opd_staff"], world.a.users["district_admin"]
    with scopes_disabled():
        if deliverable.template.kind == DeliverableTemplate.Kind.DATA:
            with pytest.raises(ValidationError, match="Isian belum lengkap"):
                services.submit_deliverable(deliverable=deliverable, by=staff)
            values = {
                f["key"]: {
                    "integer": "12",
                    "decimal": "3,5",
                    "rupiah": "Rp 1.500.000",
                    "date": "2026-02-20",
                }.get(f["type"], "teks")
                for f in deliverable.template.fields
            }
            services.save_data(deliverable=deliverable, values=values, note="", by=staff)
        else:
            with pytest.raises(ValidationError, match="Unggah paling sedikit"):
                services.submit_deliverable(deliverable=deliverable, by=staff)
            services.upload_evidence(deliverable=deliverable, upload=pdf_upload(), by=staff)
        services.submit_deliverable(deliverable=deliverable, by=staff)
        with pytest.raises(ValidationError, match="alasan"):
            services.return_deliverable(deliverable=deliverable, reason="  ", by=admin)
        services.return_deliverable(deliverable=deliverable, reason="Tanda tangan kurang", by=admin)
        assert Deliverable.objects.get(pk=deliverable.pk).status == Status.RETURNED
        services.submit_deliverable(deliverable=deliverable, by=staff)
        services.verify_deliverable(deliverable=deliverable, by=admin)
        with pytest.raises(ValidationError, match="sudah berstatus"):
            services.verify_deliverable(deliverable=deliverable, by=admin)
        with pytest.raises(ValidationError, match="tidak dapat diubah"):
            services.upload_evidence(deliverable=deliverable, upload=pdf_upload(), by=staff)
        history = list(
            Transition.objects.filter(deliverable=deliverable).values_list(
                "from_status", "to_status", "actor__email", "reason"
            )
        )
    assert history == [
        ("draft", "submitted", staff.email, ""),
        ("submitted", "returned", admin.email, "Tanda tangan kurang"),
        ("returned", "submitted", staff.email, ""),
        ("submitted", "verified", admin.email, ""),
    ]


def test_structured_fields_are_validated_by_name(world, year_a):
    with scopes_disabled():
        deliverable = (
            Deliverable.objects.filter(
                year_action__district_year=year_a, template__kind=DeliverableTemplate.Kind.DATA
            )
            .select_related("template")
            .first()
        )
        numeric = next(
            f for f in deliverable.template.fields if f["type"] in ("integer", "decimal")
        )
        with pytest.raises(ValidationError) as caught:
            services.save_data(
                deliverable=deliverable,
                values={numeric["key"]: "-5"},
                note="",
                by=world.a.users["district_admin"],
            )
        assert numeric["label"] in caught.value.messages[0]
        assert "negatif" in caught.value.messages[0]
        assert Deliverable.objects.get(pk=deliverable.pk).data == {}


def test_locked_year_changes_nothing(world, year_a, deliverable):
    admin = world.a.users["district_admin"]
    with scopes_disabled():
        services.lock_year(district_year=year_a, by=admin)
        with pytest.raises(ValidationError, match="dikunci"):
            services.upload_evidence(deliverable=deliverable, upload=pdf_upload(), by=admin)
        with pytest.raises(ValidationError, match="dikunci"):
            services.submit_deliverable(deliverable=deliverable, by=admin)
        with pytest.raises(ValidationError, match="sudah dikunci"):
            services.lock_year(district_year=year_a, by=admin)


def url(world, name, **kwargs):
    from django.urls import reverse

    return reverse(name, kwargs={"district_slug": world.a.district.slug, **kwargs})


def test_staff_of_another_agency_cannot_work_on_the_deliverable(client, world, deliverable):
    from accounts.models import Role
    from accounts.services import grant_membership
    from tests.conftest import make_user
    from villages.models import Agency

    with scopes_disabled():
        other = make_user("staf.dinsos@sumedang.test")
        grant_membership(
            user=other,
            role=Role.OPD_STAFF,
            district=world.a.district,
            agency=Agency.objects.get(district=world.a.district, short_name="DINSOS"),
        )
    upload = url(world, "evidence_upload", deliverable_id=deliverable.pk)
    client.force_login(other)
    assert client.post(upload, {"file": pdf_upload()}).status_code == 403
    page = client.get(url(world, "deliverable_detail", deliverable_id=deliverable.pk))
    assert page.status_code == 200 and b'name="file"' not in page.content
    client.force_login(world.a.users["opd_staff"])
    assert client.post(upload, {"file": pdf_upload()}).status_code == 302
    with scopes_disabled():
        assert Evidence.objects.filter(deliverable=deliverable).count() == 1


def test_upload_view_says_what_is_wrong(client, world, deliverable):
    client.force_login(world.a.users["opd_staff"])
    response = client.post(
        url(world, "evidence_upload", deliverable_id=deliverable.pk),
        {"file": SimpleUploadedFile("laporan.pdf", b"hello")},
        follow=True,
    )
    assert "Jenis berkas tidak diterima" in response.content.decode()
    with scopes_disabled():
        assert not Evidence.objects.filter(deliverable=deliverable).exists()


def test_evidence_is_served_only_to_its_district(client, world, deliverable):
    with scopes_disabled():
        evidence = services.upload_evidence(
            deliverable=deliverable, upload=pdf_upload(), by=world.a.users["opd_staff"]
        )
        b_year = year_for(world.b, 2026)
        b_deliverable = Deliverable.objects.filter(year_action__district_year=b_year).first()
        b_evidence = services.upload_evidence(
            deliverable=b_deliverable, upload=pdf_upload(), by=world.b.users["district_admin"]
        )
    own = url(world, "evidence_file", evidence_id=evidence.pk)
    client.force_login(world.a.users["executive"])
    response = client.get(own)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    # B's evidence through A's district, and A's evidence as any user of B: 404
    client.force_login(world.a.users["district_admin"])
    assert client.get(url(world, "evidence_file", evidence_id=b_evidence.pk)).status_code == 404
    for role, user in world.b.users.items():
        client.force_login(user)
        assert client.get(own).status_code == 404, role
    client.force_login(world.a.users["village_head"])
    assert client.get(own).status_code == 403
    client.logout()
    assert client.get(own).status_code == 302
    assert not evidence.file.url.startswith("/static/")


def test_action_setup_sets_agency_responsible_and_due_dates(client, world, year_a, deliverable):
    from villages.models import Agency

    with scopes_disabled():
        agency = Agency.objects.get(district=world.a.district, short_name="DPMD")
        ya = deliverable.year_action
        fields = {f"due_{d.pk}": d.due_date.isoformat() for d in ya.deliverables.all()}
    fields[f"due_{deliverable.pk}"] = "2026-05-15"
    client.force_login(world.a.users["district_admin"])
    response = client.post(
        url(world, "action_setup", year=2026, action_number=ya.action.number),
        {
            "lead_agency": agency.pk,
            "responsible": [str(world.a.users["opd_staff"].pk)],
            **fields,
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        ya.refresh_from_db()
        assert ya.lead_agency == agency
        assert list(ya.responsible.all()) == [world.a.users["opd_staff"]]
        assert Deliverable.objects.get(pk=deliverable.pk).due_date == date(2026, 5, 15)
    # a village head cannot be made responsible
    response = client.post(
        url(world, "action_setup", year=2026, action_number=ya.action.number),
        {"responsible": [str(world.a.users["village_head"].pk)], **fields},
    )
    assert response.status_code == 200
    assert "pilihan yang valid" in response.content.decode()


def test_agencies_are_editable_per_district(client, world):
    from villages.models import Agency

    client.force_login(world.a.users["district_admin"])
    response = client.post(
        url(world, "agency_list"), {"short_name": "bpbd", "name": "Badan Penanggulangan Bencana"}
    )
    assert response.status_code == 302
    response = client.post(url(world, "agency_list"), {"short_name": "DINKES", "name": "Dobel"})
    assert "sudah dipakai" in response.content.decode()
    with scopes_disabled():
        bpbd = Agency.objects.get(district=world.a.district, short_name="BPBD")
        assert not Agency.objects.filter(district=world.b.district, short_name="BPBD").exists()
    response = client.post(
        url(world, "agency_edit", agency_id=bpbd.pk),
        {"short_name": "BPBD", "name": "Badan Penanggulangan Bencana Daerah"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        bpbd.refresh_from_db()
        assert bpbd.name.endswith("Daerah") and not bpbd.is_active


def test_returned_deliverable_shows_the_reason_to_its_agency(client, world, deliverable):
    staff, admin = world.a.users["opd_staff"], world.a.users["district_admin"]
    with scopes_disabled():
        submit_complete(deliverable, by=staff)
        services.return_deliverable(deliverable=deliverable, reason="Cap dinas belum ada", by=admin)
    client.force_login(staff)
    for page in (
        url(world, "deliverable_detail", deliverable_id=deliverable.pk),
        url(world, "action_detail", year=2026, action_number=deliverable.year_action.action.number),
    ):
        html = client.get(page).content.decode()
        assert "Cap dinas belum ada" in html and "Kirim ulang ke Bappeda" in html


def test_budget_fields_read_rupiah_like_every_rupiah_input(client, world, year_a):
    """The 2025 model's marked-budget total (Rp) goes through lib.rupiah: "1.500" is one
    thousand five hundred rupiah (it used to be stored as 1,5), "Rp 1.250.000.000" is taken,
    and cents are refused with the reason."""
    with scopes_disabled():
        deliverable = next(
            d
            for d in Deliverable.objects.filter(year_action__district_year=year_a)
            .select_related("template")
            .order_by("pk")
            if any(f["key"] == "total_anggaran_ditandai" for f in d.template.fields)
        )
        others = {f["key"]: "1" for f in deliverable.template.fields}
    save = url(world, "deliverable_data", deliverable_id=deliverable.pk)
    client.force_login(world.a.users["district_admin"])

    def typed(amount):
        fields = {**others, "total_anggaran_ditandai": amount}
        return client.post(save, {f"field_{k}": v for k, v in fields.items()}, follow=True)

    typed("1.500")
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.data["total_anggaran_ditandai"] == "1500"
    page = typed("Rp 1.250.000.000").content.decode()
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.data["total_anggaran_ditandai"] == "1250000000"
    assert 'value="1.250.000.000"' in page  # shown again with its thousands dots
    page = typed("1.250.000,50").content.decode()
    assert "Rupiah tidak memakai sen" in page
    with scopes_disabled():
        deliverable.refresh_from_db()
    assert deliverable.data["total_anggaran_ditandai"] == "1250000000"


def test_shipped_budget_fields_are_rupiah():
    from convergence.definitions import shipped_definition

    types = {
        f["key"]: f["type"]
        for code in ("8-aksi-2018", "model-2025")
        for action in shipped_definition(code)["actions"]
        for template in action["deliverables"]
        for f in template.get("fields", [])
    }
    assert types["total_anggaran"] == types["total_anggaran_ditandai"] == "rupiah"


def test_migration_retypes_the_stored_budget_fields(year_a):
    """Databases made before the rupiah type hold the budget fields as decimals."""
    import importlib

    from django.apps import apps

    from convergence.models import DeliverableTemplate

    migration = importlib.import_module("convergence.migrations.0006_rupiah_fields")
    with scopes_disabled():
        template = next(
            t
            for t in DeliverableTemplate.objects.filter(action__framework__code="model-2025")
            if any(f["key"] == "total_anggaran_ditandai" for f in t.fields)
        )
        as_before = [
            {**f, "type": "decimal"} if f["key"] == "total_anggaran_ditandai" else f
            for f in template.fields
        ]
        DeliverableTemplate.objects.filter(pk=template.pk).update(fields=as_before)
        migration.forwards(apps, None)
        template.refresh_from_db()
    kinds = {f["key"]: f["type"] for f in template.fields}
    assert kinds["total_anggaran_ditandai"] == "rupiah"
    assert [f["key"] for f in template.fields] == [f["key"] for f in as_before]
