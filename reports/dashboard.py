"""The district dashboard: what the executive (Sekda) and the secretariat read first, and the
camat for his kecamatan. Every figure comes from the apps' summaries (never computed here
twice), every chart from lib.charts with its table, and every number links to the page that
lists what it counts.

The numbers a camat sees are those of his kecamatan where the data is per kecamatan or village
(prevalence by area, report completeness, convergence rates, village fund, the follow-ups of
his villages); the district's own figures (its prevalence, the rembuk plan) are everyone's in
the district. The convergence board is not his to read (policy: convergence.view), so neither
are its numbers here.

The query count does not depend on the data: each summary runs a fixed number of queries, and
the few lists read here (kecamatan names, villages of the camat's kecamatan) are one query each.
"""

import dataclasses
import hashlib
from decimal import Decimal

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.policy import Access, may_see_area
from commitments import summaries as commitments
from convergence import summaries as convergence
from lib import charts, formats, generations
from outcomes import summaries as outcomes
from rembuk import summaries as rembuk
from village_reports import summaries as village_reports
from villages.models import Kecamatan, Village

from .rollups import stamp

SCORECARD, SEMESTER = "scorecard", "semester"
BAND_TAG = {tone: f"tag-band-{tone}" for tone in ("red", "yellow", "green", "blue")}
# traffic lights of report completeness: all verified / something late / the rest on its way
LIGHT_TAGS = {"green": "tag-good", "red": "tag-bad", "yellow": "tag-warn"}
# A per-kecamatan table longer than this has its rows folded (<details>) and its totals (focus
# villages, the others, all) in view, so that a Sekda on a phone reaches the totals without
# scrolling past every kecamatan (a district of 850 villages has some 27).
FOLD_ROWS = 6


def _url(name, district, query=None, **kwargs) -> str:
    url = reverse(name, kwargs={"district_slug": district.slug, **kwargs})
    return f"{url}?{urlencode(query)}" if query else url


def _band(value):
    band = charts.prevalence_band(value)
    return {"label": str(band.label), "tag": BAND_TAG[band.tone]} if band else None


def light(counts) -> str:
    """green: every village's report verified; red: some report late (not sent past the due
    date, or sent after it); yellow: the rest (sent, waiting or returned, none late)."""
    if counts.all and counts.verified == counts.all:
        return "green"
    if counts.late:
        return "red"
    return "yellow"


def _light(counts) -> dict:
    colour = light(counts)
    words = {"green": _("lengkap"), "red": _("terlambat"), "yellow": _("berjalan")}
    return {"colour": colour, "tag": LIGHT_TAGS[colour], "label": words[colour]}


def current_period(periods, kind: str, today):
    """The latest period of `kind` whose reports could be sent by `today` (sending opens in
    its last days), else the first one; None without periods of that kind."""
    own = [p for p in periods if p.kind == kind]
    opened = [p for p in own if p.opens_on <= today]
    return (opened or own[:1] or [None])[-1]


def build(request, year: int | None) -> dict:
    """The dashboard's context for the request's district and user (year: the district's
    current open year unless the reader asked for another)."""
    district, access = request.district, request.access
    today = district.local_now().date()
    camat = not access.district_wide
    kecamatan_ids = None if access.district_wide else sorted(access.kecamatan_ids)
    can_board = access.can("convergence.view")

    progress = convergence.year_progress([district], year)[district.pk]
    if year is None:
        year = progress.year if progress else today.year
    kecamatan_names = dict(
        Kecamatan.objects.active()
        .filter(district=district, **({"pk__in": kecamatan_ids} if camat else {}))
        .values_list("pk", "name")
    )
    context = {
        "year": year,
        "years": [year - 1, year + 1],
        "camat": camat,
        "kecamatan_names": kecamatan_names,
        "progress": progress if can_board else None,
    }
    context["prevalence"] = _prevalence(district, access, kecamatan_names, today)
    if can_board:
        context["actions"] = _actions(district, year)
    context["reports"] = _reports(district, year, today, kecamatan_ids, kecamatan_names)
    context["plan"] = _plan(district, year)
    context["follow_ups"] = _follow_ups(district, year, access, camat, kecamatan_ids)
    context["deadlines"] = _deadlines(
        district, year, today, can_board, context["reports"]["periods"]
    )
    return context


# The dashboard is forty queries and 80 KB of HTML: it is kept, rendered, for DASHBOARD_SECONDS
# under a key naming the district's data generation (lib.generations: moved by every saved or
# deleted row of the district in the feature apps and by every status move), the district's
# day (lateness), the reader's access (a camat's rows are his kecamatan's), the language and the
# year asked. A change through a path that moves no generation shows within DASHBOARD_SECONDS;
# the page says when its numbers were read.
DASHBOARD_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class Rendered:
    html: str
    progress: object  # the year's convergence progress (convergence.summaries), or None


def access_key(access: Access) -> str:
    """What of the reader's access decides the dashboard's content (not who he is)."""
    parts = (
        sorted(access.roles),
        sorted(access.kecamatan_ids),
        sorted(access.village_ids),
        sorted(access.village_kecamatan_ids),
        sorted(access.agency_ids),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def rendered(request, year: int | None) -> Rendered:
    """The dashboard of the request's district for its reader, as HTML (the fragment
    reports/_dashboard.html), from the cache when the district's data has not moved."""
    district, access = request.district, request.access
    now = timezone.now()

    def build_now() -> Rendered:
        board = build(request, year)
        board["as_of"] = stamp(now, district.tz)
        html = render_to_string(
            "reports/_dashboard.html", {"dashboard": board, "current_district": district}
        )
        return Rendered(html=html, progress=board["progress"])

    parts = (
        "dashboard",
        now.astimezone(district.tz).date().isoformat(),
        translation.get_language() or "",
        year,
        access_key(access),
    )
    return generations.kept(
        generations.DISTRICT_DATA, district.pk, parts, build_now, seconds=DASHBOARD_SECONDS
    )


def district_wide(district, year: int) -> dict:
    """The figures of the whole district for `year` as its Sekda reads them on the dashboard,
    without a request (the annual evaluation prints these, so both show the same numbers):
    the dashboard's sections, and the kecamatan names by id."""
    today = district.local_now().date()
    access = Access(district_id=district.pk, roles=frozenset({Role.EXECUTIVE}))
    kecamatan_names = dict(
        Kecamatan.objects.active().filter(district=district).values_list("pk", "name")
    )
    reports = _reports(district, year, today, None, kecamatan_names)
    return {
        "year": year,
        "kecamatan_names": kecamatan_names,
        # the year's evaluation reads the figures up to its year, not a later one
        "prevalence": _prevalence(district, access, kecamatan_names, today, until=year),
        "actions": _actions(district, year),
        "reports": reports,
        "plan": _plan(district, year),
        "follow_ups": _follow_ups(district, year, access, False, None),
    }


# --- prevalence -------------------------------------------------------------------------------


def _prevalence(district, access, kecamatan_names, today, *, until: int | None = None) -> dict:
    """`until`: only the figures measured up to that year (the annual evaluation of a past
    year must not print a later year's figure); the targets are read from that year on."""
    trend = outcomes.prevalence_trend([district])[district.pk]
    figures = [
        f
        for f in outcomes.district_figures([district], indicator=outcomes.STUNTING)[district.pk]
        if may_see_area(access, kecamatan_id=f.kecamatan_id, village_id=f.village_id)
        and (until is None or f.year <= until)
    ]
    if until is not None:
        trend = dataclasses.replace(
            trend,
            figures=tuple(f for f in trend.figures if f.year <= until),
            national=tuple(p for p in trend.national if p.year <= until),
        )
    latest = outcomes.latest_of(figures)
    # surveys and the posyandu census differ several fold: the latest of each, side by side
    latest_pair = [
        f
        for f in (
            outcomes.latest_of(f for f in figures if f.source in outcomes.SURVEYS),
            outcomes.latest_of(f for f in figures if f.source == outcomes.Source.EPPGBM),
        )
        if f is not None
    ] or ([latest] if latest else [])
    areas = outcomes.areas_of(figures)
    shown = sorted(
        ((k, f) for k, f in areas.kecamatan.items() if k in kecamatan_names),
        key=lambda kv: kecamatan_names[kv[0]],
    )
    rows = [
        {
            "name": kecamatan_names[k],
            "raw": f.value,
            "value": formats.percent(f.value),
            "band": _band(f.value),
            "source": f.source_label,
            "year": f.year,
            "cited": f.cited,
        }
        for k, f in shown
    ]
    bars = charts.prevalence_bars((kecamatan_names[k], f.value) for k, f in shown)
    kecamatan_chart = charts.bar_chart(
        _("Prevalensi stunting per kecamatan, %(y)s") % {"y": areas.kecamatan_year or "—"},
        bars,
        label_column=_("Kecamatan"),
        value_column=_("Prevalensi"),
        note_column=_("Kategori"),
        value_format=formats.percent,
        legend=charts.band_legend(),
    )
    trend_chart = trend.chart(
        _("Tren prevalensi stunting terhadap target"), today.year if until is None else until
    )
    return {
        "latest": [
            {"figure": f, "value": formats.percent(f.value), "band": _band(f.value)}
            for f in latest_pair
        ],
        "kecamatan_year": areas.kecamatan_year,
        "rows": rows,
        "kecamatan_svg": kecamatan_chart.svg if rows else None,
        "trend_chart": trend_chart,
        "trend": trend,
        "link": _url("outcomes", district),
        "sources": sorted({r["source"] for r in rows}),
    }


# --- convergence actions and the assessment --------------------------------------------------


def actions_chart(found, year):
    """The share of verified deliverables per action (the dashboard's and the public page's)."""
    return charts.bar_chart(
        _("Keluaran terverifikasi per aksi, %(y)s") % {"y": year},
        [charts.Bar(f"{a.number}. {a.title}", a.verified_percent, "brand") for a in found.actions],
        label_column=_("Aksi"),
        value_column=_("Terverifikasi"),
        maximum=100,
        value_format=lambda v: formats.percent(v, 1),
    )


def _actions(district, year) -> dict:
    found = convergence.year_actions([district], year)[district.pk]
    if found is None:
        return {"year_actions": None}
    board = _url("board", district, year=year)
    rows = [
        {
            "action": a,
            "percent": a.verified_percent,
            "shown": formats.percent(a.verified_percent, 1),
            "link": _url("action_detail", district, year=year, action_number=a.number),
        }
        for a in found.actions
    ]
    chart = actions_chart(found, year)
    score = found.score
    assessed = [a for a in found.actions if a.score.indicators]
    score_bars = []
    for a in assessed:
        score_bars.append(charts.Bar(f"{a.number} · {_('mandiri')}", a.score.self_percent, "brand"))
        score_bars.append(
            charts.Bar(f"{a.number} · {_('provinsi')}", a.score.province_percent, "orange")
        )
    score_chart = charts.bar_chart(
        _("Penilaian per aksi, %% dari skor tertinggi, %(y)s") % {"y": year},
        score_bars,
        label_column=_("Aksi"),
        value_column=_("Skor"),
        maximum=100,
        value_format=lambda v: formats.percent(v, 1),
    )
    return {
        "year_actions": found,
        "rows": rows,
        "svg": chart.svg,
        "board": board,
        "links": {
            s: f"{board}?{urlencode({'status': s})}"
            for s in ("draft", "submitted", "returned", "verified")
        },
        "assessment": _url("assessment", district, year=year),
        "score": score,
        "score_svg": score_chart.svg if score.assessed else None,
        "score_rows": [
            {
                "action": a,
                "self": formats.number(a.score.self_score, 2),
                "province": formats.number(a.score.province_score, 2),
                "maximum": formats.number(a.score.maximum, 2),
                "difference": formats.number(a.score.difference, 2),
            }
            for a in assessed
        ],
        "self_percent": formats.percent(score.self_percent, 1),
        "province_percent": formats.percent(score.province_percent, 1),
        "total_percent": formats.percent(found.progress.verified_percent, 1),
    }


# --- village reports: completeness, convergence rates, village fund ---------------------------


def _counts_row(name, counts, link, kecamatan_id=None, focus=None) -> dict:
    """A row of counts with the completeness page behind each (of its kecamatan, if any; of
    the focus villages or of the others when `focus` is True or False)."""
    area = {"kecamatan": kecamatan_id} if kecamatan_id else {}
    if focus is not None:
        area["lokus"] = "1" if focus else "0"
    return {
        "name": name,
        "counts": counts,
        "light": _light(counts),
        "links": {
            s: f"{link}?{urlencode({'status': s, **area})}"
            for s in ("verified", "submitted", "returned", "missing", "late")
        },
        "link": f"{link}?{urlencode(area)}" if area else link,
    }


def _rate(rate) -> dict:
    return {"rate": rate, "shown": formats.percent(rate.percent)}


def _reports(district, year, today, kecamatan_ids, kecamatan_names) -> dict:
    periods = village_reports.periods([district], year)[district.pk]
    quarter = current_period(periods, SCORECARD, today)
    semester = current_period(periods, SEMESTER, today)
    # the summaries themselves too, for a reader that lists villages (the annual evaluation)
    result = {"periods": periods, "quarter": quarter, "semester": semester}
    # fixed queries: the summaries run whether or not the period exists (they answer None)
    number = quarter.number if quarter else 0
    found = village_reports.completeness(
        [district], year, SCORECARD, number, kecamatan_ids=kecamatan_ids
    )[district.pk]
    rates = village_reports.convergence_rates(
        [district], year, number, kecamatan_ids=kecamatan_ids
    )[district.pk]
    fund = village_reports.village_fund(
        [district], year, semester.number if semester else 0, kecamatan_ids=kecamatan_ids
    )[district.pk]
    result.update(found=found, found_rates=rates, found_fund=fund)
    if found is not None:
        link = _url("completeness", district, period_id=quarter.id)
        by_kecamatan = found.by_kecamatan
        result["completeness"] = {
            "rows": [
                _counts_row(kecamatan_names[k], by_kecamatan[k], link, k)
                for k in sorted(by_kecamatan, key=lambda k: kecamatan_names.get(k, ""))
                if k in kecamatan_names
            ],
            "total": _counts_row(_("Semua desa/kelurahan"), found.total, link),
            "focus": _counts_row(_("Desa lokus"), found.focus, link, focus=True),
            "other": _counts_row(_("Desa lainnya"), found.other, link, focus=False),
            "link": link,
            "due_on": found.due_on,
        }
        _fold(result["completeness"])
        parts = [
            charts.Part(_("terverifikasi"), "green"),
            charts.Part(_("menunggu verifikasi"), "blue"),
            charts.Part(_("dikembalikan"), "orange"),
            charts.Part(_("belum dikirim"), "grey"),
        ]
        result["completeness_svg"] = charts.stacked_bar_chart(
            _("Kelengkapan laporan per kecamatan"),
            parts,
            [
                (r["name"], [getattr(r["counts"], s) for s in village_reports.STATES])
                for r in result["completeness"]["rows"]
            ],
            label_column=_("Kecamatan"),
            total_column=_("Desa"),
            shares=True,
        ).svg
    if rates is not None:
        link = _url("completeness", district, period_id=quarter.id)
        result["rates"] = {
            "rows": [
                {"name": kecamatan_names[k], **_rate(r)}
                for k, r in sorted(
                    rates.by_kecamatan.items(), key=lambda kv: kecamatan_names.get(kv[0], "")
                )
                if k in kecamatan_names
            ],
            "total": _rate(rates.total),
            "focus": _rate(rates.focus),
            "other": _rate(rates.other),
            "link": f"{link}?{urlencode({'status': 'verified'})}",
            "focus_link": f"{link}?{urlencode({'status': 'verified', 'lokus': '1'})}",
            "other_link": f"{link}?{urlencode({'status': 'verified', 'lokus': '0'})}",
        }
        _fold(result["rates"])
        result["rates_svg"] = charts.bar_chart(
            _("Tingkat konvergensi desa"),
            [
                charts.Bar(_("Desa lokus"), rates.focus.percent, "brand"),
                charts.Bar(_("Desa lainnya"), rates.other.percent, "blue"),
                *(
                    charts.Bar(row["name"], row["rate"].percent, "purple")
                    for row in result["rates"]["rows"]
                ),
            ],
            label_column=_("Kelompok"),
            value_column=_("Tingkat konvergensi"),
            maximum=100,
            value_format=formats.percent,
        ).svg
    if fund is not None:
        link = _url("completeness", district, period_id=semester.id)
        result["fund"] = {
            "total": fund.total,
            "budget": formats.rupiah(fund.total.budget),
            "spent": formats.rupiah(fund.total.spent),
            "share": formats.percent(fund.total.spent_percent),
            "rows": [
                {
                    "name": kecamatan_names[k],
                    "fund": f,
                    "budget": formats.rupiah(f.budget),
                    "spent": formats.rupiah(f.spent),
                    "share": formats.percent(f.spent_percent),
                    "reports": f.reports,
                }
                for k, f in sorted(
                    fund.by_kecamatan.items(), key=lambda kv: kecamatan_names.get(kv[0], "")
                )
                if k in kecamatan_names
            ],
            "link": f"{link}?{urlencode({'status': 'verified'})}",
        }
        _fold(result["fund"])
    return result


def _fold(table: dict) -> None:
    table["folded"] = len(table["rows"]) > FOLD_ROWS


# --- rembuk plan ------------------------------------------------------------------------------


def _plan(district, year) -> dict:
    totals = rembuk.plan_totals([district], year)[district.pk]
    sessions = rembuk.sessions([district], year)[district.pk]
    link = _url("rembuk_list", district, {"tahun": year})
    share = (
        (Decimal(totals.in_rkpd) * 100 / totals.total).quantize(Decimal("0.01"))
        if totals.total
        else None
    )
    by_source = totals.by_source_labels
    chart = charts.bar_chart(
        _("Anggaran rencana kegiatan per sumber dana, %(y)s") % {"y": year},
        [charts.Bar(label, amount, "brand") for label, amount in by_source],
        label_column=_("Sumber dana"),
        value_column=_("Anggaran"),
        value_format=formats.rupiah,
    )
    return {
        "totals": totals,
        "sessions": sessions,
        "total": formats.rupiah(totals.total),
        "in_rkpd": formats.rupiah(totals.in_rkpd),
        "in_rkpd_share": formats.percent(share),
        "rows": [{"label": label, "raw": a, "amount": formats.rupiah(a)} for label, a in by_source],
        "svg": chart.svg if by_source else None,
        "link": link,
        "latest_link": _url("rembuk_detail", district, session_id=sessions.latest.id)
        if sessions.latest
        else "",
    }


# --- commitment follow-up ---------------------------------------------------------------------


VILLAGE_OWNER_LINES = 12


def _follow_ups(district, year, access, camat, kecamatan_ids) -> dict:
    found = commitments.follow_ups([district], year)[district.pk]
    documents = commitments.documents([district], year)[district.pk]
    # a camat: the follow-ups owned by the villages of his kecamatan (one query either way)
    own_villages = set(
        Village.objects.filter(district=district, kecamatan_id__in=kecamatan_ids or []).values_list(
            "pk", flat=True
        )
    )
    owners = [
        (o, c)
        for o, c in found.by_owner.items()
        if not camat or (o.kind == "village" and o.id in own_villages)
    ]
    total = sum((c for _o, c in owners), commitments.FollowUpCounts()) if camat else found.all
    owners = _villages_by_kecamatan(owners)
    link = _url("follow_up_list", district)

    def linked(state):
        return f"{link}?{urlencode({'status': state})}"

    chart = charts.stacked_bar_chart(
        _("Tindak lanjut komitmen per penanggung jawab"),
        [
            charts.Part(_("selesai"), "green"),
            charts.Part(_("berjalan"), "blue"),
            charts.Part(_("belum dimulai"), "grey"),
            charts.Part(_("tidak tercapai"), "red"),
        ],
        [(o.name, [c.completed, c.in_progress, c.not_started, c.missed]) for o, c in owners],
        label_column=_("Penanggung jawab"),
        total_column=_("Jumlah"),
    )

    def of_owner(owner, state):
        key = {"agency": "a", "village": "v", "kecamatan": "k"}[owner.kind] + str(owner.id)
        return f"{link}?{urlencode({'status': state, 'pemilik': key})}"

    states = ("finished", "in_progress", "not_started", "missed", "late")
    return {
        "total": total,
        "owners": [
            {"owner": o, "counts": c, "links": {s: of_owner(o, s) for s in states}}
            for o, c in owners
        ],
        "svg": chart.svg if owners else None,
        "documents": documents,
        "links": {
            s: linked(s) for s in ("finished", "in_progress", "not_started", "missed", "late")
        },
        "link": link,
        "documents_link": _url("commitment_list", district),
    }


def _villages_by_kecamatan(owners: list) -> list:
    """Follow-ups owned by many villages (a point issued to every village): one line per
    kecamatan for its villages instead of a bar per village, once the villages are more than
    VILLAGE_OWNER_LINES; agencies keep their own lines. One query."""
    villages = [(o, c) for o, c in owners if o.kind == "village"]
    if len(villages) <= VILLAGE_OWNER_LINES:
        return owners
    kecamatan_of, names = {}, {}
    for village_id, kecamatan_id, name in Village.objects.filter(
        pk__in=[o.id for o, _c in villages]
    ).values_list("pk", "kecamatan_id", "kecamatan__name"):
        kecamatan_of[village_id] = kecamatan_id
        names[kecamatan_id] = name
    lines: dict = {}
    for owner, counts in villages:
        kecamatan_id = kecamatan_of.get(owner.id)
        n, summed = lines.get(kecamatan_id, (0, commitments.FollowUpCounts()))
        lines[kecamatan_id] = (n + 1, summed + counts)
    grouped = [
        (
            commitments.Owner(
                "kecamatan",
                kecamatan_id,
                _("Desa/kelurahan Kec. %(name)s (%(n)s)") % {"name": names[kecamatan_id], "n": n},
            ),
            counts,
        )
        for kecamatan_id, (n, counts) in sorted(lines.items(), key=lambda kv: names[kv[0]])
    ]
    return [(o, c) for o, c in owners if o.kind != "village"] + grouped


# --- next deadlines ---------------------------------------------------------------------------


def _deadlines(district, year, today, can_board, periods) -> list[dict]:
    rows = []
    found = convergence.next_deadlines([district], year)[district.pk]
    if can_board:
        for d in found:
            rows.append(
                {
                    "due_on": d.due_date,
                    "what": f"{_('Aksi')} {d.action_number}: {d.title}",
                    "link": _url("deliverable_detail", district, deliverable_id=d.id),
                }
            )
    for p in periods:
        if p.due_on >= today:
            label = (
                _("Scorecard kuartal %(n)s") if p.kind == SCORECARD else _("Laporan semester %(n)s")
            ) % {"n": p.number}
            rows.append(
                {
                    "due_on": p.due_on,
                    "what": label,
                    "link": _url("completeness", district, period_id=p.id),
                }
            )
    rows.sort(key=lambda r: r["due_on"])
    for r in rows:
        r["shown"] = formats.date_id(r["due_on"])
    return rows[:8]
