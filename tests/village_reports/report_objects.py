"""Village-report objects of one side that URLs can point at: the year's periods, a sent
scorecard of the side's village, and a sent semester report of it with a file."""

from django.core.files.base import ContentFile
from django_scopes import scopes_disabled

from tests.convergence.objects import PDF
from village_reports import reports
from village_reports.models import ReportFile, ReportKind, ReportPeriod, VillageReport


def report_objects(side, year):
    with scopes_disabled():
        reports.create_periods(district=side.district, year=year, by=side.users["district_admin"])
        period = ReportPeriod.objects.get(
            district=side.district, year=year, kind=ReportKind.SCORECARD, number=1
        )
        report = _sent(side, period, {"t_pregnant": 2, "s_pregnant_anc_yes": 1})
        semester = ReportPeriod.objects.get(
            district=side.district, year=year, kind=ReportKind.SEMESTER, number=1
        )
        semester_report = _sent(
            side, semester, {"perdes_status": "none", "fund_budget": 1000, "fund_spent": 500}
        )
        stored = ReportFile.objects.filter(report=semester_report).first()
        if stored is None:
            stored = ReportFile(
                report=semester_report,
                district=side.district,
                slot="minutes",
                original_name="notulen.pdf",
                content_type="application/pdf",
                size=len(PDF),
                sha256="0" * 64,
            )
            stored.file.save("berkas", ContentFile(PDF), save=False)
            stored.save()
    return {
        "village_id": side.village.pk,
        "period_id": period.pk,
        "report_id": report.pk,
        "file_id": stored.pk,
        "kecamatan_id": side.kecamatan.pk,
    }


def _sent(side, period, data):
    report = VillageReport.objects.filter(village=side.village, period=period).first()
    if report is None:
        report = VillageReport.objects.create(
            district=side.district,
            village=side.village,
            period=period,
            status=VillageReport.Status.SUBMITTED,
            data=data,
        )
    return report
