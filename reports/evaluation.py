"""The content of the annual evaluation: one district's year as the secretariat reports it up
the chain (DOMAIN §9), as HTML for WeasyPrint and as PDF bytes.

Every figure is the dashboard's (`dashboard.district_wide`: the apps' summaries, read once),
so the evaluation and the Sekda's dashboard show the same numbers for the same year; the few
lists a report needs beyond the dashboard (each action's deliverables, the focus villages by
name) come from the same summaries. The query count does not depend on the number of
villages or rows. The secretariat's words (a short narrative per section, the problems and
the recommendations) are printed escaped, with their line breaks.

The workflow around it (narratives saved per year, versions, the Celery job, approval, seal,
the verification page) lives elsewhere; this module only turns a district's year into a
document, called inside the district's scope.
"""

import re
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commitments.models import CommitmentDocument
from commitments.printing import format_nip, local_time
from convergence import summaries as convergence
from lib import charts, formats
from lib.pdf import paper_css, render_pdf, stored_image_data_uri
from rembuk.models import Level
from village_reports import summaries as village_reports
from villages.letterheads import district_letterhead

from . import dashboard

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", gettext_lazy("Ringkasan")),
    ("prevalence", gettext_lazy("Prevalensi stunting dan tren")),
    ("actions", gettext_lazy("Aksi konvergensi")),
    ("villages", gettext_lazy("Desa lokus")),
    ("rembuk", gettext_lazy("Rembuk stunting dan komitmen")),
    ("budget", gettext_lazy("Anggaran")),
    ("problems", gettext_lazy("Permasalahan")),
    ("recommendations", gettext_lazy("Rekomendasi")),
)

# a district with more focus villages than this lists only those that lag behind (their
# report not verified, sent late, or a convergence rate under LAGGING_RATE); the kecamatan
# table still counts every village
FOCUS_LISTED = 40
LAGGING_RATE = 50
# owners of follow-ups listed at most (the most late first); the totals count them all
OWNERS_LISTED = 25
# the tallest a chart prints, in mm: a chart of many rows prints narrower instead
CHART_WIDTH_MM, CHART_MAX_HEIGHT_MM = 100, 170


@dataclass(frozen=True)
class Printed:
    """Who asked for this version and where it is verified."""

    number: int  # version n
    verify_url: str  # absolute URL of /verifikasi/<token>/, printed as a QR code on every page
    requested_by: str
    requested_at: datetime  # aware; printed in the district's time zone
    replaces: int | None = None  # the approved version this one replaces, if any
    # until the Sekda approves; approval seals the very bytes rendered, so nothing printed
    # depends on it
    draft: bool = True


def _figure(chart: charts.Chart, *, width_mm: float = CHART_WIDTH_MM) -> dict:
    """A chart as printed: its drawing no taller than CHART_MAX_HEIGHT_MM (narrower
    instead), and its data table."""
    found = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', chart.svg)
    width, height = (float(v) for v in found.groups()) if found else (1, 1)
    width_mm = min(width_mm, CHART_MAX_HEIGHT_MM * width / height)
    return {"chart": chart, "width": f"{width_mm:.0f}mm"}


def _status_of(action) -> str:
    """An action's state in words: every deliverable verified, some overdue, or under way."""
    if not action.total:
        return _("belum ada keluaran")
    if action.verified == action.total:
        return _("selesai")
    if action.overdue:
        return _("terlambat")
    return _("berjalan")


def _local_date(moment, district) -> str:
    return formats.date_id(moment.astimezone(district.tz).date()) if moment else formats.DASH


def _actions(district, year, d) -> dict:
    found = d["actions"]["year_actions"]
    if found is None:
        return {"found": None}
    lines: dict[int, list] = {}
    for line in convergence.deliverables([district], year)[district.pk]:
        lines.setdefault(line.action_number, []).append(
            {
                "line": line,
                "due": formats.date_id(line.due_date),
                "verified": _local_date(line.verified_at, district),
            }
        )
    return {
        "found": found,
        "actions": [
            {
                "action": a,
                "status": _status_of(a),
                "verified": formats.percent(a.verified_percent, 1),
                "self": formats.number(a.score.self_score, 2) if a.score.indicators else None,
                "province": formats.number(a.score.province_score, 2)
                if a.score.indicators
                else None,
                "maximum": formats.number(a.score.maximum, 2),
                "deliverables": lines.get(a.number, []),
            }
            for a in found.actions
        ],
        "chart": _figure(dashboard.actions_chart(found, year)),
    }


REPORT_STATES = {
    "verified": gettext_lazy("terverifikasi"),
    "submitted": gettext_lazy("menunggu verifikasi"),
    "returned": gettext_lazy("dikembalikan"),
    "missing": gettext_lazy("belum dikirim"),
}


def _villages(district, year, d) -> dict:
    """The focus villages: every village's report per kecamatan (the dashboard's counts), the
    convergence rates, and the focus villages by name (only those lagging behind in a district
    with many)."""
    reports = d["reports"]
    found, rates = reports["found"], reports["found_rates"]
    focus = village_reports.focus_list([district], year)[district.pk]
    names = d["kecamatan_names"]
    focus_by_kecamatan: dict[int, int] = {}
    for entry in focus.villages:
        focus_by_kecamatan[entry.kecamatan_id] = focus_by_kecamatan.get(entry.kecamatan_id, 0) + 1
    states = {v.village_id: v for v in found.villages} if found else {}
    by_village = rates.by_village if rates else {}
    rows = []
    for entry in focus.villages:
        state = states.get(entry.village_id)
        rate = by_village.get(entry.village_id)
        percent = rate.percent if rate else None
        lagging = (
            state is None
            or state.state != "verified"
            or state.late
            or (percent is not None and percent < LAGGING_RATE)
        )
        rows.append(
            {
                "entry": entry,
                "state": REPORT_STATES[state.state] if state else formats.DASH,
                "late": bool(state and state.late),
                "rate": formats.percent(percent),
                "lagging": lagging,
            }
        )
    rows.sort(key=lambda r: (r["entry"].kecamatan_name, r["entry"].name))
    listed = rows if len(rows) <= FOCUS_LISTED else [r for r in rows if r["lagging"]]
    by_kecamatan = found.by_kecamatan if found else {}
    rate_of = rates.by_kecamatan if rates else {}
    kecamatan_rows = [
        {
            "name": names[k],
            "counts": by_kecamatan.get(k),
            "focus": focus_by_kecamatan.get(k, 0),
            "rate": formats.percent(rate_of[k].percent) if k in rate_of else formats.DASH,
        }
        for k in sorted(set(by_kecamatan) | set(focus_by_kecamatan), key=lambda k: names.get(k, ""))
        if k in names
    ]
    return {
        "focus": focus,
        "decree_signed_on": formats.date_id(focus.decree_signed_on)
        if focus.decree_signed_on
        else "",
        "quarter": reports["quarter"],
        "completeness": reports.get("completeness"),
        "rates": reports.get("rates"),
        "kecamatan_rows": kecamatan_rows,
        "listed": listed,
        "all_listed": len(listed) == len(rows),
        "completeness_chart": _chart_of(reports.get("completeness_svg")),
        "rates_chart": _chart_of(reports.get("rates_svg")),
    }


def _chart_of(svg) -> dict | None:
    """A chart drawn by the dashboard whose table this document prints itself."""
    if not svg:
        return None
    return _figure(charts.Chart("", svg, [], []))


def _rembuk(district, year, d) -> dict:
    plan, follow = d["plan"], d["follow_ups"]
    levels = dict(Level.choices)
    sessions = plan["sessions"]
    owners = sorted(
        follow["owners"],
        key=lambda row: (-row["counts"].late, -row["counts"].total, row["owner"].name),
    )
    documents = follow["documents"]
    return {
        "sessions": sessions,
        "by_level": [(levels[lv], n) for lv, n in sessions.by_level.items()],
        "latest_on": local_time(sessions.latest.starts_at, district) if sessions.latest else "",
        "documents": documents,
        "document_states": [
            (CommitmentDocument.Status(s).label, n) for s, n in documents.by_status.items()
        ],
        "follow_ups": follow["total"],
        "owners": owners[:OWNERS_LISTED],
        "owners_more": max(0, len(owners) - OWNERS_LISTED),
        "owners_all": len(owners),
    }


def _budget(d) -> dict:
    plan = d["plan"]
    fund = d["reports"].get("fund")
    return {
        "plan": plan,
        "plan_chart": _chart_of(plan["svg"]),
        "fund": fund,
        "semester": d["reports"]["semester"],
    }


def _summary(year, d, villages, rembuk) -> list[tuple[str, str]]:
    """The key figures of the year, each with what it counts."""
    items = []
    prevalence = d["prevalence"]
    for latest in prevalence["latest"]:
        figure = latest["figure"]
        items.append(
            (
                _("Prevalensi stunting (%(source)s, %(year)s)")
                % {"source": figure.source_label, "year": figure.year},
                latest["value"] + (f" · {latest['band']['label']}" if latest["band"] else ""),
            )
        )
    target = prevalence["trend"].targets.get(year)
    if target is not None:
        items.append(
            (_("Target prevalensi kabupaten %(y)s") % {"y": year}, formats.percent(target))
        )
    actions = d["actions"]
    if actions["year_actions"] is not None:
        progress = actions["year_actions"].progress
        items.append(
            (
                _("Keluaran aksi terverifikasi"),
                f"{progress.verified} / {progress.total} ({actions['total_percent']})",
            )
        )
    items.append((_("Desa lokus %(y)s") % {"y": year}, str(villages["focus"].count)))
    completeness = villages["completeness"]
    if completeness:
        total = completeness["total"]["counts"]
        items.append(
            (
                _("Laporan desa terverifikasi (scorecard kuartal %(n)s)")
                % {"n": villages["quarter"].number},
                f"{total.verified} / {total.all}",
            )
        )
    if villages["rates"]:
        items.append((_("Tingkat konvergensi desa"), villages["rates"]["total"]["shown"]))
    plan = d["plan"]
    if plan["totals"].items:
        items.append((_("Anggaran rencana kegiatan"), plan["total"]))
        items.append(
            (_("Masuk RKPD/Renja"), f"{plan['in_rkpd']} ({plan['in_rkpd_share']})"),
        )
    fund = d["reports"].get("fund")
    if fund:
        items.append(
            (
                _("Dana Desa untuk stunting (realisasi / anggaran)"),
                f"{fund['spent']} / {fund['budget']}",
            )
        )
    follow = rembuk["follow_ups"]
    if follow.total:
        items.append(
            (
                _("Tindak lanjut komitmen selesai"),
                f"{follow.completed} / {follow.total} · "
                + _("%(n)s terlambat") % {"n": follow.late},
            )
        )
    return items


def evaluation_context(
    district, year: int, *, narratives: dict[str, str], printed: Printed, secretariat_head=""
) -> dict:
    d = dashboard.district_wide(district, year)
    villages = _villages(district, year, d)
    rembuk = _rembuk(district, year, d)
    prevalence = d["prevalence"]
    short_url = re.sub(r"^https?://", "", printed.verify_url)
    texts = {key: (narratives.get(key) or "").strip() for key, _title in SECTIONS}
    return {
        "district": district,
        "year": year,
        "printed": printed,
        "requested_at": local_time(printed.requested_at, district),
        "letterhead": district_letterhead(district),
        "emblem": stored_image_data_uri(district.emblem),
        "page_css": paper_css(district.paper_size, margin="16mm", short=True),
        # 20 mm wide with its quiet zone: read from every page at 150 dpi and by a phone
        "qr": segno.make(printed.verify_url, error="m").svg_data_uri(scale=1, border=4),
        "verify_url": printed.verify_url,
        "short_url": short_url,
        "titles": {key: title for key, title in SECTIONS},
        "texts": texts,
        "numbers": {key: i for i, (key, _t) in enumerate(SECTIONS, start=1)},
        "summary": _summary(year, d, villages, rembuk),
        "prevalence": prevalence,
        "trend": _figure(prevalence["trend_chart"], width_mm=95),
        "district_targets": [
            (y, formats.percent(v)) for y, v in sorted(prevalence["trend"].targets.items())
        ],
        "kecamatan_chart": _chart_of(prevalence["kecamatan_svg"]),
        "actions": _actions(district, year, d),
        "assessment": d["actions"] if d["actions"]["year_actions"] is not None else None,
        "villages": villages,
        "rembuk": rembuk,
        "budget": _budget(d),
        "sekda_nip": format_nip(district.sekda_nip) if district.sekda_nip else "",
        "secretariat_head": secretariat_head,
        "place_date": formats.date_id(printed.requested_at.astimezone(district.tz).date()),
    }


def evaluation_html(
    district, year: int, *, narratives: dict[str, str], printed: Printed, secretariat_head=""
) -> str:
    """The evaluation as one HTML document, in Indonesian whatever the reader's language: it
    is an official document."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "reports/print/evaluation.html",
            evaluation_context(
                district,
                year,
                narratives=narratives,
                printed=printed,
                secretariat_head=secretariat_head,
            ),
        )


def render_evaluation(
    district,
    year: int,
    *,
    narratives: dict[str, str],
    printed: Printed,
    on_layout=None,
    secretariat_head="",
) -> bytes:
    """The evaluation's PDF (inside the district's scope); `on_layout(pages)` as in
    lib.pdf.render_pdf."""
    html = evaluation_html(
        district, year, narratives=narratives, printed=printed, secretariat_head=secretariat_head
    )
    return render_pdf(html, on_layout=on_layout)
