"""The public page of a district (/publik/<district-slug>/): what the district chose to publish
(reports.models.Publication), read only through the apps' summaries, with no personal data —
no names of users, signatories or village heads, no NIP, no e-mail, no phone number. Places
(kecamatan, villages), agencies and document titles are public.

`sections(district, chosen)` builds only the chosen items, each in a fixed number of queries,
so the page's query count does not depend on the size of the district; the admin's page uses
`preview(district)` to say in one line what each item would show.
"""

from django.utils.translation import gettext as _

from commitments import summaries as commitments
from convergence import summaries as convergence
from lib import charts, formats
from outcomes import summaries as outcomes
from village_reports import summaries as village_reports
from villages.models import Kecamatan, Village

from .dashboard import actions_chart
from .models import ITEMS

BAND_TAG = {tone: f"tag-band-{tone}" for tone in ("red", "yellow", "green", "blue")}
# the newest signed documents listed; the page says how many there are in all
DOCUMENTS_SHOWN = 30


def _band(value):
    band = charts.prevalence_band(value)
    return {"label": str(band.label), "tag": BAND_TAG[band.tone]} if band else None


def _figure(figure) -> dict:
    return {
        "value": formats.percent(figure.value),
        "band": _band(figure.value),
        "source": figure.source_label,
        "year": figure.year,
        "cited": figure.cited,
    }


def prevalence(district) -> dict:
    """The district's latest stunting prevalence, and by kecamatan and village, each number
    with its source and year and its BKKBN band. Five queries."""
    figures = outcomes.district_figures([district], indicator=outcomes.STUNTING)[district.pk]
    latest = [
        f
        for f in (
            outcomes.latest_of(f for f in figures if f.source in outcomes.SURVEYS),
            outcomes.latest_of(f for f in figures if f.source == outcomes.Source.EPPGBM),
        )
        if f is not None
    ] or [f for f in [outcomes.latest_of(figures)] if f is not None]
    areas = outcomes.areas_of(figures)
    kecamatan_names = dict(Kecamatan.objects.filter(district=district).values_list("pk", "name"))
    villages = {
        row["pk"]: row
        for row in Village.objects.filter(district=district, pk__in=list(areas.villages)).values(
            "pk", "name", "kecamatan__name", "kecamatan__code", "code"
        )
    }
    kecamatan = sorted(
        ((kecamatan_names[k], f) for k, f in areas.kecamatan.items() if k in kecamatan_names),
        key=lambda pair: pair[0],
    )
    chart = charts.bar_chart(
        _("Prevalensi stunting per kecamatan, %(y)s") % {"y": areas.kecamatan_year or "—"},
        charts.prevalence_bars((name, f.value) for name, f in kecamatan),
        label_column=_("Kecamatan"),
        value_column=_("Prevalensi"),
        note_column=_("Kategori"),
        value_format=formats.percent,
        legend=charts.band_legend(),
    )
    village_rows = sorted(
        ((villages[v], f) for v, f in areas.villages.items() if v in villages),
        key=lambda pair: (pair[0]["kecamatan__code"], pair[0]["code"]),
    )
    return {
        "latest": [_figure(f) for f in latest],
        "kecamatan_year": areas.kecamatan_year,
        "kecamatan": [{"name": name, **_figure(f)} for name, f in kecamatan],
        "kecamatan_svg": chart.svg if kecamatan else None,
        "kecamatan_sources": sorted({f.cited for _n, f in kecamatan}),
        "village_year": areas.village_year,
        "villages": [
            {"name": v["name"], "kecamatan": v["kecamatan__name"], **_figure(f)}
            for v, f in village_rows
        ],
        "legend": [{"tag": BAND_TAG[tone], "label": label} for tone, label in charts.band_legend()],
    }


def focus_villages(district) -> dict:
    """This year's focus villages (in the district's time zone) and their decree: one query."""
    year = district.local_now().year
    found = village_reports.focus_list([district], year)[district.pk]
    return {"year": year, "list": found}


def actions(district) -> dict:
    """The latest convergence year's actions with their share of verified deliverables, as a
    chart with its table: six queries."""
    progress = convergence.year_progress([district])[district.pk]
    year = progress.year if progress else district.local_now().year
    found = convergence.year_actions([district], year)[district.pk]
    if found is None:
        return {"year": year, "found": None}
    chart = actions_chart(found, year)
    return {
        "year": year,
        "found": found,
        "chart": chart,
        "total": formats.percent(found.progress.verified_percent, 1),
    }


def signed_commitments(district) -> dict:
    """The signed commitment documents, the newest first: one query."""
    found = commitments.signed_documents([district], limit=DOCUMENTS_SHOWN)[district.pk]
    return {
        "total": found.total,
        "documents": found.latest,
        "limited": found.total > len(found.latest),
    }


BUILDERS = {
    "prevalence": prevalence,
    "focus_villages": focus_villages,
    "actions": actions,
    "commitments": signed_commitments,
}


def sections(district, chosen) -> dict:
    """{item: its context} for the chosen items only, in the page's order."""
    return {item: BUILDERS[item](district) for item in ITEMS if item in chosen}


def preview(district) -> dict:
    """{item: one line saying what it would show today}, for the admin's page."""
    built = sections(district, ITEMS)
    p, f, a, c = (built[i] for i in ITEMS)
    lines = {}
    lines["prevalence"] = _(
        "%(k)s kecamatan dan %(v)s desa/kelurahan dengan angka prevalensi; angka kabupaten/kota: "
        "%(latest)s."
    ) % {
        "k": len(p["kecamatan"]),
        "v": len(p["villages"]),
        "latest": ", ".join(f"{x['value']} ({x['source']}, {x['year']})" for x in p["latest"])
        or _("belum ada"),
    }
    lines["focus_villages"] = _("%(n)s desa lokus tahun %(y)s.") % {
        "n": f["list"].count,
        "y": f["year"],
    }
    lines["actions"] = (
        _("%(n)s aksi tahun %(y)s, %(p)s keluaran terverifikasi.")
        % {"n": len(a["found"].actions), "y": a["year"], "p": a["total"]}
        if a["found"]
        else _("Tahun %(y)s belum dibuka untuk aksi konvergensi.") % {"y": a["year"]}
    )
    lines["commitments"] = _("%(n)s dokumen komitmen sudah lengkap ditandatangani.") % {
        "n": c["total"]
    }
    return lines
