"""The province and national roll-ups: every district's precomputed snapshot
(reports.snapshots) side by side, and the provinces aggregated from them.

A fixed number of queries whatever the number of districts: the districts, the years that
have snapshots, and the snapshots of the year, each one query, read inside
`accounts.tenancy.rollup_scope` (read-only).

How a province's row is aggregated (also written on the national page): action progress,
report completeness and the assessment percentages are the plain mean of its districts'
percentages over the districts that have the figure (their number beside it); prevalence is
the median of the districts' latest figures, with their lowest and highest and the years they
come from (sources differ, survey first: see each province's page).
"""

import statistics
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.tenancy import rollup_scope
from lib import charts, formats, spreadsheet
from villages.models import District, Province

from .models import DistrictSnapshot

BAND_TAG = {tone: f"tag-band-{tone}" for tone in ("red", "yellow", "green", "blue")}
ASCENDING, DESCENDING = "naik", "turun"
NATIONAL_TZ = zoneinfo.ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class Column:
    key: str  # the ?urut= value
    label: object  # lazy text
    numeric: bool = True


DISTRICT_COLUMNS = (
    Column("nama", gettext_lazy("Kabupaten/kota"), numeric=False),
    Column("aksi", gettext_lazy("Keluaran aksi")),
    Column("laporan", gettext_lazy("Laporan desa")),
    Column("prevalensi", gettext_lazy("Prevalensi")),
    Column("mandiri", gettext_lazy("Skor mandiri")),
    Column("provinsi", gettext_lazy("Skor provinsi")),
    Column("dihitung", gettext_lazy("Dihitung")),
)
PROVINCE_COLUMNS = (
    Column("nama", gettext_lazy("Provinsi"), numeric=False),
    *DISTRICT_COLUMNS[1:],
)


def parse_year(raw) -> int | None:
    """?tahun=2025 picks a page's year (2000–2100); anything else, None: the current one."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100 else None


def parse_sort(columns, key, direction) -> tuple[str, str]:
    keys = {c.key for c in columns}
    key = key if key in keys else "nama"
    direction = direction if direction in (ASCENDING, DESCENDING) else ASCENDING
    return key, direction


def sort_rows(rows: list[dict], key: str, direction: str) -> list[dict]:
    """Rows by `key` (rows carry their sort values under "sort"), missing values last in
    either direction; ties keep the name order."""
    present = [r for r in rows if r["sort"][key] is not None]
    missing = [r for r in rows if r["sort"][key] is None]
    present.sort(key=lambda r: r["sort"][key], reverse=direction == DESCENDING)
    return present + missing


def heads(columns, key, direction, base_query: dict) -> list[dict]:
    """The column heads: each a link sorting by it (again: the other way round)."""
    result = []
    for c in columns:
        current = c.key == key
        turn = DESCENDING if current and direction == ASCENDING else ASCENDING
        aria = ""
        if current:
            aria = "ascending" if direction == ASCENDING else "descending"
        result.append(
            {
                "label": c.label,
                "numeric": c.numeric,
                "link": "?" + urlencode({**base_query, "urut": c.key, "arah": turn}),
                "current": current,
                "aria": aria,
                "arrow": ("▲" if direction == ASCENDING else "▼") if current else "",
            }
        )
    return result


def _band(value):
    band = charts.prevalence_band(value)
    return {"label": str(band.label), "tag": BAND_TAG[band.tone]} if band else None


def stamp(moment, tz) -> str:
    """An instant in words in `tz`: '5 Desember 2026 13.05 WIB'."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    zone = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(
        str(tz), str(tz)
    )
    return f"{formats.date_id(local.date())} {local:%H.%M} {zone}"


def _years(district_ids, year):
    """The years that have snapshots (one query) and the year shown: the one asked for, else
    the latest with snapshots, else this year."""
    years = sorted(
        set(
            DistrictSnapshot.objects.filter(district_id__in=district_ids)
            .values_list("year", flat=True)
            .distinct()
        )
    )
    if year is None:
        year = years[-1] if years else timezone.now().astimezone(NATIONAL_TZ).year
    return sorted(set(years) | {year}), year


# --- a province: its districts side by side ---------------------------------------------------


def district_row(district, snapshot, year, tz) -> dict:
    s = snapshot
    link = reverse("district_dashboard", kwargs={"district_slug": district.slug})
    row = {
        "district": district,
        "name": district.name,
        "code": district.code,
        "link": f"{link}?{urlencode({'tahun': year})}",
        "snapshot": s,
    }
    if s is None:
        row["sort"] = {"nama": district.name, **dict.fromkeys(("aksi", "laporan", "prevalensi"))}
        row["sort"] |= {"mandiri": None, "provinsi": None, "dihitung": None}
        return row
    row.update(
        action=formats.percent(s.action_percent, 1),
        report=formats.percent(s.report_percent, 1),
        prevalence=formats.percent(s.prevalence),
        band=_band(s.prevalence),
        eppgbm=formats.percent(s.eppgbm_prevalence),
        self=formats.percent(s.self_percent, 1),
        province=formats.percent(s.province_percent, 1),
        computed=stamp(s.computed_at, tz),
    )
    row["sort"] = {
        "nama": district.name,
        "aksi": s.action_percent,
        "laporan": s.report_percent,
        "prevalensi": s.prevalence,
        "mandiri": s.self_percent,
        "provinsi": s.province_percent,
        "dihitung": s.computed_at,
    }
    return row


def province_table(province, *, year=None, sort=None, direction=None) -> dict:
    """The province's active districts with their snapshot of `year`: rows, freshness, the
    years to choose from and the prevalence chart."""
    districts = list(District.objects.active().filter(province=province).order_by("name"))
    ids = [d.pk for d in districts]
    tz = districts[0].tz if districts else NATIONAL_TZ
    with rollup_scope(districts):
        years, year = _years(ids, year)
        snapshots = {
            s.district_id: s
            for s in DistrictSnapshot.objects.filter(district_id__in=ids, year=year)
        }
    key, direction = parse_sort(DISTRICT_COLUMNS, sort, direction)
    rows = [district_row(d, snapshots.get(d.pk), year, tz) for d in districts]
    rows = sort_rows(rows, key, direction)
    with_figure = [r for r in rows if r["snapshot"] and r["snapshot"].prevalence is not None]
    chart = charts.bar_chart(
        _("Prevalensi stunting terbaru per kabupaten/kota (s.d. %(y)s)") % {"y": year},
        charts.prevalence_bars(
            (
                f"{r['name']} ({r['snapshot'].prevalence_source_label} "
                f"{r['snapshot'].prevalence_year})",
                r["snapshot"].prevalence,
            )
            for r in sorted(with_figure, key=lambda r: -r["snapshot"].prevalence)
        ),
        label_column=_("Kabupaten/kota (sumber, tahun)"),
        value_column=_("Prevalensi"),
        note_column=_("Kategori"),
        value_format=formats.percent,
        legend=charts.band_legend(),
    )
    computed = [s.computed_at for s in snapshots.values()]
    return {
        "province": province,
        "year": year,
        "years": years,
        "rows": rows,
        "heads": heads(DISTRICT_COLUMNS, key, direction, {"tahun": year}),
        "sort": key,
        "direction": direction,
        "oldest": stamp(min(computed), tz) if computed else "",
        "missing": sum(1 for r in rows if r["snapshot"] is None),
        "chart": chart if with_figure else None,
    }


PROVINCE_EXPORT = (
    (gettext_lazy("Kabupaten/kota"), 28, None),
    (gettext_lazy("Kode"), 8, None),
    (gettext_lazy("Tahun"), 7, "0"),
    (gettext_lazy("Keluaran terverifikasi (%)"), 14, "0.0"),
    (gettext_lazy("Keluaran terverifikasi"), 12, "0"),
    (gettext_lazy("Keluaran seluruhnya"), 12, "0"),
    (gettext_lazy("Triwulan laporan desa"), 10, "0"),
    (gettext_lazy("Laporan desa terverifikasi (%)"), 14, "0.0"),
    (gettext_lazy("Desa terverifikasi"), 12, "0"),
    (gettext_lazy("Desa seluruhnya"), 12, "0"),
    (gettext_lazy("Laporan terlambat"), 12, "0"),
    (gettext_lazy("Prevalensi stunting (%)"), 12, "0.00"),
    (gettext_lazy("Sumber prevalensi"), 22, None),
    (gettext_lazy("Tahun prevalensi"), 10, "0"),
    (gettext_lazy("Kategori BKKBN"), 20, None),
    (gettext_lazy("Prevalensi e-PPGBM (%)"), 12, "0.00"),
    (gettext_lazy("Tahun e-PPGBM"), 10, "0"),
    (gettext_lazy("Penilaian mandiri (%)"), 12, "0.0"),
    (gettext_lazy("Penilaian provinsi (%)"), 12, "0.0"),
    (gettext_lazy("Dihitung pada"), 24, None),
)


def _columns(spec):
    """(name, width, number format: "0.0" percentages, "0" counts and years, None text)."""
    return [spreadsheet.Column(str(name), width, fmt) for name, width, fmt in spec]


def province_xlsx(table) -> bytes:
    rows = []
    for r in table["rows"]:
        s = r["snapshot"]
        if s is None:
            rows.append(
                [r["name"], r["code"], table["year"]]
                + [None] * 16
                + [
                    _(
                        "belum dihitung: rekap kabupaten/kota ini untuk tahun ini belum dibuat, "
                        "jadi belum ada angka (bukan 0 %)."
                    )
                ]
            )
            continue
        band = charts.prevalence_band(s.prevalence)
        rows.append(
            [
                r["name"],
                r["code"],
                s.year,
                s.action_percent,
                s.deliverables_verified,
                s.deliverables_total,
                s.report_period,
                s.report_percent,
                s.reports_verified,
                s.reports_all,
                s.reports_late,
                s.prevalence,
                s.prevalence_source_label,
                s.prevalence_year,
                str(band.label) if band else None,
                s.eppgbm_prevalence,
                s.eppgbm_year,
                s.self_percent,
                s.province_percent,
                r["computed"],
            ]
        )
    return spreadsheet.xlsx_bytes(
        _columns(PROVINCE_EXPORT), rows, title=table["province"].name, header_height=45
    )


# --- the country: each province aggregated ----------------------------------------------------


def _mean(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values) / len(values)).quantize(Decimal("0.1"))


def province_row(province, districts, snapshots, year) -> dict:
    own = [snapshots[d.pk] for d in districts if d.pk in snapshots]
    prevalences = [s.prevalence for s in own if s.prevalence is not None]
    prevalence_years = sorted({s.prevalence_year for s in own if s.prevalence is not None})
    median = (
        Decimal(statistics.median(prevalences)).quantize(Decimal("0.01")) if prevalences else None
    )
    action = _mean(s.action_percent for s in own)
    report = _mean(s.report_percent for s in own)
    self_ = _mean(s.self_percent for s in own)
    prov = _mean(s.province_percent for s in own)
    oldest = min((s.computed_at for s in own), default=None)

    def count(field):
        return sum(1 for s in own if getattr(s, field) is not None)

    link = reverse("province_rollup", kwargs={"province_code": province.code})
    return {
        "province": province,
        "name": province.name,
        "code": province.code,
        "link": f"{link}?{urlencode({'tahun': year})}",
        "districts": len(districts),
        "with_data": len(own),
        "action": formats.percent(action, 1),
        "action_n": count("action_percent"),
        "report": formats.percent(report, 1),
        "report_n": count("report_percent"),
        "prevalence": formats.percent(median),
        "prevalence_n": len(prevalences),
        "prevalence_low": formats.percent(min(prevalences, default=None)),
        "prevalence_high": formats.percent(max(prevalences, default=None)),
        "prevalence_years": (
            "–".join(str(y) for y in dict.fromkeys([prevalence_years[0], prevalence_years[-1]]))
            if prevalence_years
            else ""
        ),
        "band": _band(median),
        "self": formats.percent(self_, 1),
        "self_n": count("self_percent"),
        "province_score": formats.percent(prov, 1),
        "province_n": count("province_percent"),
        "computed": stamp(oldest, NATIONAL_TZ),
        "values": {
            "action": action,
            "report": report,
            "prevalence": median,
            "low": min(prevalences, default=None),
            "high": max(prevalences, default=None),
            "self": self_,
            "province": prov,
        },
        "sort": {
            "nama": province.name,
            "aksi": action,
            "laporan": report,
            "prevalensi": median,
            "mandiri": self_,
            "provinsi": prov,
            "dihitung": oldest,
        },
    }


def national_table(*, year=None, sort=None, direction=None) -> dict:
    provinces = list(Province.objects.active().order_by("name"))
    districts = list(District.objects.active().only("pk", "province_id", "code", "name"))
    ids = [d.pk for d in districts]
    with rollup_scope(districts):
        years, year = _years(ids, year)
        snapshots = {
            s.district_id: s
            for s in DistrictSnapshot.objects.filter(district_id__in=ids, year=year)
        }
    by_province = {}
    for d in districts:
        by_province.setdefault(d.province_id, []).append(d)
    key, direction = parse_sort(PROVINCE_COLUMNS, sort, direction)
    rows = [province_row(p, by_province.get(p.pk, []), snapshots, year) for p in provinces]
    rows = sort_rows(rows, key, direction)
    with_figure = [r for r in rows if r["values"]["prevalence"] is not None]
    chart = charts.bar_chart(
        _("Median prevalensi stunting kabupaten/kota per provinsi (s.d. %(y)s)") % {"y": year},
        charts.prevalence_bars(
            (f"{r['name']} ({r['prevalence_years']})", r["values"]["prevalence"])
            for r in sorted(with_figure, key=lambda r: -r["values"]["prevalence"])
        ),
        label_column=_("Provinsi (tahun angka)"),
        value_column=_("Median prevalensi"),
        note_column=_("Kategori"),
        value_format=formats.percent,
        legend=charts.band_legend(),
    )
    computed = [s.computed_at for s in snapshots.values()]
    return {
        "year": year,
        "years": years,
        "rows": rows,
        "heads": heads(PROVINCE_COLUMNS, key, direction, {"tahun": year}),
        "sort": key,
        "direction": direction,
        "oldest": stamp(min(computed), NATIONAL_TZ) if computed else "",
        "districts": len(districts),
        "with_data": len(snapshots),
        "missing": sum(1 for r in rows if not r["with_data"]),
        "chart": chart if with_figure else None,
    }


NATIONAL_EXPORT = (
    (gettext_lazy("Provinsi"), 26, None),
    (gettext_lazy("Kode"), 6, None),
    (gettext_lazy("Tahun"), 7, "0"),
    (gettext_lazy("Kabupaten/kota"), 10, None),
    (gettext_lazy("Kabupaten/kota dengan data"), 12, "0"),
    (gettext_lazy("Keluaran terverifikasi, rata-rata (%)"), 14, "0.0"),
    (gettext_lazy("Jumlah kab/kota (keluaran)"), 10, "0"),
    (gettext_lazy("Laporan desa terverifikasi, rata-rata (%)"), 14, "0.0"),
    (gettext_lazy("Jumlah kab/kota (laporan)"), 10, "0"),
    (gettext_lazy("Prevalensi stunting, median (%)"), 12, "0.00"),
    (gettext_lazy("Prevalensi terendah (%)"), 12, "0.00"),
    (gettext_lazy("Prevalensi tertinggi (%)"), 12, "0.00"),
    (gettext_lazy("Tahun angka prevalensi"), 12, None),
    (gettext_lazy("Jumlah kab/kota (prevalensi)"), 10, "0"),
    (gettext_lazy("Penilaian mandiri, rata-rata (%)"), 12, "0.0"),
    (gettext_lazy("Penilaian provinsi, rata-rata (%)"), 12, "0.0"),
    (gettext_lazy("Dihitung paling lama"), 24, None),
)


def national_xlsx(table) -> bytes:
    rows = [
        [
            r["name"],
            r["code"],
            table["year"],
            r["districts"],
            r["with_data"],
            r["values"]["action"],
            r["action_n"],
            r["values"]["report"],
            r["report_n"],
            r["values"]["prevalence"],
            r["values"]["low"],
            r["values"]["high"],
            r["prevalence_years"] or None,
            r["prevalence_n"],
            r["values"]["self"],
            r["values"]["province"],
            r["computed"]
            or (
                None
                if r["with_data"]
                else _(
                    "belum dihitung: belum ada rekap kabupaten/kota di provinsi ini untuk tahun "
                    "ini, jadi belum ada angka (bukan 0 %)."
                )
            ),
        ]
        for r in table["rows"]
    ]
    return spreadsheet.xlsx_bytes(
        _columns(NATIONAL_EXPORT), rows, title=_("Nasional"), header_height=60
    )
