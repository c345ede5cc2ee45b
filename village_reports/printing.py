"""The printed village convergence scorecard (PDF) and a period's village reports as XLSX.

The scorecard is the form the village secretary signs and the village head acknowledges
(DOMAIN.md §7); village-fund reporting depends on it, so it prints the figures exactly as
`village_reports.scorecard` computes them, in Indonesian number and date formats that do not depend
on the server's locale.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from lib import formats, spreadsheet
from lib.formats import DASH
from lib.formats import date_id as long_date
from lib.formats import percent as percent_text
from lib.pdf import paper_css, render_pdf, stored_image_data_uri
from villages.letterheads import village_letterhead
from villages.services import village_profile

from . import scorecard
from .models import ReportKind, ReportStatus, VillageReport

SUB_TARGETS = {"t_pregnant_risk", "t_children_poor"}  # "of which" rows of Tabel 1


def count_text(value) -> str:
    """An entered count with thousands dots; '–' when it was never entered."""
    return formats.number(value) if isinstance(value, int) else DASH


def _share(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _n(data: dict, key: str) -> int:
    value = data.get(key)
    return value if isinstance(value, int) else 0


# ---------------------------------------------------------------------------------------------
# The printed scorecard


@dataclass
class Line:
    """One printed row: a label and its cells, already formatted."""

    number: str
    label: str
    cells: tuple[str, ...]
    sub: bool = False  # an "of which" row, indented


def _signed_on(report: VillageReport, tz) -> date:
    """The date printed above the secretary's signature: the report's own date, when this
    version was sent (in the district's time zone), and for one not sent yet the end of its
    period; never the day it happens to be printed."""
    sent = report.submitted_at or report.first_submitted_at
    if sent:
        return sent.astimezone(tz).date()
    return report.period.ends_on


def _watermark(report: VillageReport) -> str:
    if report.status == ReportStatus.VERIFIED:
        return ""
    if report.status == ReportStatus.SUBMITTED:
        return _("Menunggu verifikasi camat")
    return _("DRAF — belum diverifikasi camat")


def _targets(data: dict) -> list[Line]:
    lines, number = [], 0
    for f in scorecard.TARGETS:
        sub = f.key in SUB_TARGETS
        if not sub:
            number += 1
        lines.append(
            Line("" if sub else str(number), str(f.label), (count_text(data.get(f.key)),), sub)
        )
    return lines


def _growth(data: dict) -> tuple[list[Line], Line]:
    measured = sum(_n(data, f.key) for f in scorecard.GROWTH)
    lines = [
        Line(
            str(i),
            str(f.label),
            (count_text(data.get(f.key)), percent_text(_share(_n(data, f.key), measured))),
        )
        for i, f in enumerate(scorecard.GROWTH, 1)
    ]
    coverage = _share(measured, _n(data, "t_children"))
    total = Line(
        "",
        _("Jumlah anak 0–23 bulan yang diukur"),
        (
            count_text(measured),
            DASH
            if coverage is None
            else _("%(percent)s dari %(n)s anak")
            % {"percent": percent_text(coverage), "n": count_text(data.get("t_children"))},
        ),
    )
    return lines, total


@dataclass
class ServiceGroup:
    letter: str
    label: str
    target: str
    lines: list[Line]


def _services(data: dict) -> list[ServiceGroup]:
    groups = []
    for letter, group in zip("ABC", scorecard.GROUPS, strict=True):
        lines = []
        for i, indicator in enumerate(group.indicators, 1):
            counts = tuple(
                count_text(data.get(scorecard.answer_key(group, indicator, a)))
                for a, _label in scorecard.ANSWERS
            )
            percent = scorecard.indicator_percent(data, group, indicator)
            lines.append(Line(str(i), str(indicator.label), (*counts, percent_text(percent))))
        groups.append(
            ServiceGroup(letter, str(group.label), count_text(data.get(group.target)), lines)
        )
    return groups


def _rates(data: dict, kelurahan: bool) -> tuple[list[Line], Line]:
    rows, total = scorecard.scorecard_rates(data, kelurahan=kelurahan)
    lines = [
        Line(
            str(i),
            rate.label,
            (
                count_text(rate.target),
                count_text(rate.indicators),
                count_text(rate.received),
                count_text(rate.expected),
                percent_text(rate.percent),
            ),
        )
        for i, rate in enumerate(rows, 1)
    ]
    last = Line(
        "",
        total.label,
        (
            "",
            "",
            count_text(total.received),
            count_text(total.expected),
            percent_text(total.percent),
        ),
    )
    return lines, last


def _fund(data: dict, kelurahan: bool) -> list[Line]:
    def money(key):
        value = data.get(key)
        return formats.rupiah(value) if isinstance(value, int) else DASH

    both = _n(data, "f_development") + _n(data, "f_empowerment")
    return [
        Line("1", str(scorecard.FUND[0].label_for(kelurahan)), (money("f_development"),)),
        Line("2", str(scorecard.FUND[1].label_for(kelurahan)), (money("f_empowerment"),)),
        Line("", _("Jumlah kedua bidang"), (formats.rupiah(both),)),
        Line("3", str(scorecard.FUND[2].label), (money("f_stunting"),)),
        Line(
            "",
            _("Persentase untuk pencegahan stunting"),
            (percent_text(scorecard.fund_share(data)),),
        ),
    ]


def scorecard_context(report: VillageReport) -> dict:
    district, village, period = report.district, report.village, report.period
    data = report.data or {}
    tz = district.tz
    growth, growth_total = _growth(data)
    rates, rate_total = _rates(data, village.is_kelurahan)
    profile = village_profile(village)
    return {
        "report": report,
        "district": district,
        "village": village,
        "kecamatan": village.kecamatan,
        "period": period,
        "page_css": paper_css(district.paper_size),
        "emblem": stored_image_data_uri(district.emblem),
        "letterhead": village_letterhead(village, profile),
        "title": _("DATA SCORECARD KONVERGENSI KUARTAL %(n)s TAHUN %(year)s")
        % {"n": period.number, "year": period.year},
        "period_span": f"{long_date(period.starts_on)} – {long_date(period.ends_on)}",
        "due_on": long_date(period.due_on),
        "status": report.get_status_display(),
        "submitted_on": (
            long_date(report.first_submitted_at.astimezone(tz).date())
            if report.first_submitted_at
            else ""
        ),
        "verified_on": (
            long_date(report.decided_at.astimezone(tz).date())
            if report.status == ReportStatus.VERIFIED and report.decided_at
            else ""
        ),
        "watermark": _watermark(report),
        "targets": _targets(data),
        "growth": growth,
        "growth_total": growth_total,
        "services": _services(data),
        "rates": rates,
        "rate_total": rate_total,
        "fund": _fund(data, village.is_kelurahan),
        "signed_on": long_date(_signed_on(report, tz)),
        # the names typed on the report, else those of the village profile
        "sign_head": data.get("sign_head") or profile.head_name,
        "sign_secretary": data.get("sign_secretary") or profile.secretary_name,
        "printed_at": district.local_now().strftime("%d-%m-%Y %H:%M ") + district.time_zone_short,
    }


def scorecard_pdf(report: VillageReport) -> bytes:
    """The scorecard on the district's paper, in Indonesian whatever the reader's language:
    it is the official form the village signs."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("village_reports/print/scorecard.html", scorecard_context(report))
    return render_pdf(html)


# ---------------------------------------------------------------------------------------------
# The period's reports as XLSX

BASE_HEADER = [
    "kode_kecamatan",
    "kecamatan",
    "kode_desa",
    "desa",
    "lokus",
    "status",
    "versi",
    "terlambat",
    "dikirim",
    "diverifikasi",
    "catatan_camat",
]
RATE_COLUMNS = (
    "konvergensi_ibu_hamil_%",
    "konvergensi_anak_0_23_%",
    "konvergensi_paud_%",
)


def _data_keys(kind: str) -> list[str]:
    if kind == ReportKind.SEMESTER:
        return [f.key for f in scorecard.SEMESTER]
    keys = [f.key for f in (*scorecard.TARGETS, *scorecard.GROWTH)]
    for group in scorecard.GROUPS:
        for indicator in group.indicators:
            keys += [scorecard.answer_key(group, indicator, a) for a, _label in scorecard.ANSWERS]
    return keys + [f.key for f in scorecard.FUND]


def _computed_header(kind: str) -> list[str]:
    if kind == ReportKind.SEMESTER:
        return ["realisasi_%"]
    return [*RATE_COLUMNS, "konvergensi_total_%", "dana_desa_stunting_%"]


def _computed(kind: str, data: dict) -> list:
    if kind == ReportKind.SEMESTER:
        return [scorecard.spent_share(data)]
    rows, total = scorecard.scorecard_rates(data)
    return [*(r.percent for r in rows), total.percent, scorecard.fund_share(data)]


def _choice_labels() -> dict[str, dict[str, str]]:
    return {
        f.key: {value: str(label) for value, label in f.choices}
        for f in scorecard.SEMESTER
        if f.kind == "choice"
    }


def _columns(kind: str, keys: list[str]) -> list[spreadsheet.Column]:
    widths = {"kecamatan": 18, "desa": 22, "status": 20, "catatan_camat": 40}
    columns = [
        spreadsheet.Column(
            name,
            widths.get(name, 16 if name in ("dikirim", "diverifikasi") else 12),
            "#,##0",
        )
        for name in [*BASE_HEADER, *keys]
    ]
    return columns + [spreadsheet.Column(name, 14, "0.00") for name in _computed_header(kind)]


def reports_xlsx(completeness, period) -> bytes:
    """One row per village of the completeness table, with every field of its report and the
    computed rates. Text a user typed never runs as a formula."""
    tz = period.district.tz
    kind = period.kind
    keys = _data_keys(kind)
    columns = _columns(kind, keys)
    rows = completeness.villages
    # completeness() loads reports without their data: fetch it in one query
    report_ids = [row.report.pk for row in rows if row.report]
    data_by_report = dict(VillageReport.objects.filter(pk__in=report_ids).values_list("pk", "data"))
    choices = _choice_labels()

    def local(moment):
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else None

    def cells_of(row):
        village, report = row.village, row.report
        cells = [
            village.kecamatan.code,
            village.kecamatan.name,
            village.code,
            village.name,
            "ya" if row.focus else "tidak",
        ]
        if report is None:
            cells += [_("belum dikirim"), None, "ya" if row.late else "tidak", None, None, None]
            return cells
        data = data_by_report.get(report.pk) or {}
        verified = report.status == ReportStatus.VERIFIED
        cells += [
            str(report.get_status_display()),
            report.version,
            "ya" if row.late else "tidak",
            local(report.submitted_at or report.first_submitted_at),
            local(report.decided_at) if verified else None,
            report.remark or None,
        ]
        for key in keys:
            value = data.get(key)
            if key in choices and value is not None:
                value = choices[key].get(value, value)
            cells.append(value)
        return cells + _computed(kind, data)

    return spreadsheet.xlsx_bytes(
        columns, map(cells_of, rows), title=str(period.label), header_height=30
    )
