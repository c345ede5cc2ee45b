"""Convergence objects for tests: a year, a deliverable led by the side's own agency, a piece
of evidence and a pending board import."""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from convergence import services
from convergence.models import BoardImport, Deliverable, DistrictYear, Evidence, KecamatanEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name="bukti.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def submit_complete(deliverable, *, by):
    """Give a deliverable what submitting needs (a file, every field), then submit it."""
    services.upload_evidence(deliverable=deliverable, upload=pdf_upload(), by=by)
    services.save_data(
        deliverable=deliverable,
        values={
            f["key"]: "1" if f["type"] != "date" else "2026-01-05"
            for f in deliverable.template.fields
        },
        note="",
        by=by,
    )
    return services.submit_deliverable(deliverable=deliverable, by=by)


def year_for(side, year, by=None):
    with scopes_disabled():
        existing = DistrictYear.objects.filter(district=side.district, year=year).first()
        if existing:
            return existing
        return services.open_year(
            district=side.district, year=year, by=by or side.users["district_admin"]
        )


def own_deliverable(side, district_year):
    """The first deliverable of an action led by the side's OPD staff agency (DINKES)."""
    with scopes_disabled():
        return (
            Deliverable.objects.filter(
                year_action__district_year=district_year, year_action__lead_agency=side.agency
            )
            .select_related("year_action__action", "template")
            .order_by("year_action__action__number", "template__number")
            .first()
        )


def convergence_objects(side, year):
    with scopes_disabled():
        district_year = year_for(side, year)
        deliverable = own_deliverable(side, district_year)
        evidence = Evidence.objects.filter(deliverable=deliverable).first()
        if evidence is None:
            evidence = services.upload_evidence(
                deliverable=deliverable, upload=pdf_upload(), by=side.users["opd_staff"]
            )
        job = BoardImport.objects.filter(district_year=district_year).first()
        if job is None:
            job = BoardImport(
                district=side.district, district_year=district_year, original_name="impor.csv"
            )
            job.file.save(
                "impor", ContentFile(b"aksi,keluaran,catatan\n1,1,diperbarui\n"), save=False
            )
            job.save()
        # the camat's kecamatan's part of the year's first deliverable with a kecamatan stage
        services.ensure_kecamatan_entries(district_year)
        entry = (
            KecamatanEntry.objects.filter(
                deliverable__year_action__district_year=district_year,
                kecamatan=side.kecamatan,
            )
            .order_by("deliverable__year_action__action__number", "deliverable__template__number")
            .first()
        )
    return {
        "year": year,
        "action_number": deliverable.year_action.action.number,
        "deliverable_id": deliverable.pk,
        "evidence_id": evidence.pk,
        "board_import_id": job.pk,
        "agency_id": side.agency.pk,
        "kecamatan_entry_id": entry.pk,
    }
