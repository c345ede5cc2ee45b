"""Outcome figures, read only: every value of a district with its source and year, the latest
stunting prevalence, prevalence by kecamatan and village, and the trend against the targets.

Convention (the same in every app's summaries.py): each function takes `districts`, an
iterable of `District` instances, and returns a dict keyed by district id with an entry for
every district given, in a fixed number of queries whatever the number of districts or rows.
Values are frozen dataclasses of numbers, codes and ids.

Nothing is typed twice: besides the values entered or imported here, two figures are read
where they already live, at read time, so they cannot drift:

- a verified measurement deliverable of the convergence action (fields jumlah_balita_diukur
  and jumlah_balita_stunting) is the district's stunting prevalence for that year and month,
  source e-PPGBM / bulan timbang: stunted ÷ measured × 100;
- a focus village's prevalence in the focus decree is that village's value, with the source
  the decree states.

What a single user may see of the kecamatan and village figures is decided by the caller
(accounts.policy.may_see_area); the district-level figures are everyone's in the district.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.utils.translation import gettext as _

from convergence.models import Deliverable
from convergence.models import Status as DeliverableStatus
from lib import charts, formats
from village_reports.models import FocusVillage

from .models import (
    HUNDREDTH,
    STUNTING,
    SURVEYS,
    DistrictTarget,
    IndicatorValue,
    NationalFigure,
    Source,
)

MEASURED, STUNTED = "jumlah_balita_diukur", "jumlah_balita_stunting"


class Origin:
    ENTERED = "entered"  # typed or imported here
    MEASUREMENT = "measurement"  # the convergence measurement deliverable, once verified
    FOCUS = "focus"  # the focus-village decree


@dataclass(frozen=True, kw_only=True)
class Figure:
    indicator: str  # the indicator's code
    year: int
    month: int | None
    value: Decimal
    source: str  # a Source code; "" for a decree's own words (source_label)
    source_label: str
    origin: str = Origin.ENTERED
    numerator: int | None = None
    denominator: int | None = None
    kecamatan_id: int | None = None
    village_id: int | None = None
    note: str = ""
    value_id: UUID | None = None  # the stored value, for editing (entered figures only)
    stated: str = ""  # the source and year in a decree's own words (focus figures only)

    @property
    def cited(self) -> str:
        """The source and year to show beside the number. A decree's figure is dated by its
        decree, while its stated source usually names the measurement's own month and year
        (e-PPGBM Agustus 2025 in the decree of 2026): the decree's year is named as such
        rather than set beside the source as if it were the measurement's."""
        if self.origin == Origin.FOCUS:
            if self.stated:
                return _("%(source)s, menurut SK desa lokus %(year)s") % {
                    "source": self.stated,
                    "year": self.year,
                }
            return self.note
        return f"{self.source_label}, {self.year}"

    @property
    def level(self) -> str:
        if self.village_id is not None:
            return "village"
        return "kecamatan" if self.kecamatan_id is not None else "district"

    @property
    def rank(self) -> tuple:
        """Which of several figures of one place and year to show first: surveys, then the
        posyandu census, then the rest; a later month before an earlier one."""
        if self.source in SURVEYS:
            kind = 3
        elif self.source == Source.EPPGBM:
            kind = 2
        else:
            kind = 1 if self.origin == Origin.ENTERED else 0
        return (self.year, kind, self.month or 0)


@dataclass(frozen=True)
class NationalPoint:
    year: int
    value: Decimal
    source: str
    note: str = ""

    @property
    def target_label(self) -> str:
        """A national target line's name: its year and where the target was set."""
        if self.source:
            return _("Target nasional %(y)s (%(source)s)") % {"y": self.year, "source": self.source}
        return _("Target nasional %(y)s") % {"y": self.year}


@dataclass(frozen=True, kw_only=True)
class AreaPrevalence:
    """The stunting prevalence of a district's kecamatan and villages (the first figure of
    each area by `Figure.rank`), each level for its own year: the one asked for, or the
    latest with a figure of that level."""

    kecamatan_year: int | None
    village_year: int | None
    kecamatan: dict  # kecamatan id -> Figure
    villages: dict  # village id -> Figure


@dataclass(frozen=True, kw_only=True)
class Trend:
    """The district's stunting prevalence by year and source, its targets and the national
    series and targets."""

    figures: tuple  # district-level Figures, by year
    targets: dict  # year -> Decimal (the district's own)
    national: tuple  # NationalPoint, measured
    national_targets: tuple  # NationalPoint, targets

    @property
    def years(self) -> list[int]:
        """The district's years, and the national series' from the district's first year on
        (all of it when the district has no figure yet)."""
        own = {f.year for f in self.figures}
        first = min(own, default=0)
        return sorted(own | {p.year for p in self.national if p.year >= first})

    @property
    def sources(self) -> list[str]:
        """Labels of the district's series, the surveys first."""
        ranked = sorted(self.figures, key=lambda f: -f.rank[1])
        return list(dict.fromkeys(f.source_label for f in ranked))

    def chart(self, title: str, from_year: int) -> charts.Chart:
        """The trend chart over `years`: the national series, whose values each name their own
        survey, and one line per source of the district's figures (the latest month of a year
        wins: the figures are in ascending order); as reference lines the district's next
        target from `from_year` (else its last) and the national targets, each named with who
        set it."""
        years = self.years
        national = {p.year: p for p in self.national}
        series = [
            charts.Series(
                _("Nasional"),
                [national[y].value if y in national else None for y in years],
                sources=[national[y].source if y in national else None for y in years],
            )
        ]
        for label in self.sources:
            by_year = {f.year: f.value for f in self.figures if f.source_label == label}
            series.append(charts.Series(label, [by_year.get(y) for y in years]))
        own = sorted(self.targets)
        upcoming = [y for y in own if y >= from_year] or own[-1:]
        references = [
            charts.Reference(
                _("Target kabupaten %(y)s (ditetapkan kabupaten/kota)") % {"y": y}, self.targets[y]
            )
            for y in upcoming[:1]
        ] + [charts.Reference(p.target_label, p.value) for p in self.national_targets]
        return charts.line_chart(
            title,
            years,
            series,
            year_column=_("Tahun"),
            references=references,
            value_format=formats.percent,
        )


def _ids(districts) -> list[int]:
    return sorted({d.pk for d in districts})


def _entered(ids, indicator=None) -> list[Figure]:
    rows = IndicatorValue.objects.filter(district_id__in=ids).select_related("indicator")
    if indicator is not None:
        rows = rows.filter(indicator__code=indicator)
    labels = dict(Source.choices)
    return [
        (
            row.district_id,
            Figure(
                indicator=row.indicator.code,
                year=row.year,
                month=row.month,
                value=row.value,
                source=row.source,
                source_label=str(labels.get(row.source, row.source)),
                numerator=row.numerator,
                denominator=row.denominator,
                kecamatan_id=row.kecamatan_id,
                village_id=row.village_id,
                note=row.note,
                value_id=row.pk,
            ),
        )
        for row in rows
    ]


def _count(data: dict, key: str) -> int | None:
    raw = str(data.get(key, "")).strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _measured(ids) -> list[tuple[int, Figure]]:
    """Verified measurement deliverables as the district's stunting prevalence (e-PPGBM)."""
    rows = Deliverable.objects.filter(
        district_id__in=ids, status=DeliverableStatus.VERIFIED, data__has_keys=[MEASURED, STUNTED]
    ).values_list("district_id", "year_action__district_year__year", "template__due_month", "data")
    figures = []
    for district_id, year, month, data in rows:
        measured, stunted = _count(data, MEASURED), _count(data, STUNTED)
        if not measured or stunted is None or stunted > measured:
            continue  # nothing measured, or counts that cannot be a prevalence
        figures.append(
            (
                district_id,
                Figure(
                    indicator=STUNTING,
                    year=year,
                    month=month,
                    value=(Decimal(stunted) * 100 / measured).quantize(HUNDREDTH),
                    source=Source.EPPGBM,
                    source_label=str(Source.EPPGBM.label),
                    origin=Origin.MEASUREMENT,
                    numerator=stunted,
                    denominator=measured,
                    note=_("aksi pengukuran dan publikasi stunting (terverifikasi)"),
                ),
            )
        )
    return figures


def _focus(ids) -> list[tuple[int, Figure]]:
    """Each focus village's prevalence as stated in the decree."""
    rows = FocusVillage.objects.filter(district_id__in=ids, prevalence__isnull=False).values_list(
        "district_id",
        "village_id",
        "village__kecamatan_id",
        "decree__year",
        "prevalence",
        "prevalence_source",
    )
    return [
        (
            district_id,
            Figure(
                indicator=STUNTING,
                year=year,
                month=None,
                value=prevalence,
                source="",
                source_label=stated or _("SK desa lokus"),
                origin=Origin.FOCUS,
                kecamatan_id=kecamatan_id,
                village_id=village_id,
                note=_("SK desa lokus %(year)s") % {"year": year},
                stated=stated,
            ),
        )
        for district_id, village_id, kecamatan_id, year, prevalence, stated in rows
    ]


def district_figures(districts, *, indicator: str | None = None) -> dict[int, tuple]:
    """Every figure of each district and its areas (entered, measured, from the decree), by
    indicator, newest year first. Three queries (one without the stunting indicator)."""
    ids = _ids(districts)
    found = defaultdict(list)
    pairs = _entered(ids, indicator)
    if indicator in (None, STUNTING):
        pairs += _measured(ids) + _focus(ids)
    for district_id, figure in pairs:
        found[district_id].append(figure)
    return {
        i: tuple(sorted(found[i], key=lambda f: (f.indicator, -f.year, -(f.month or 0))))
        for i in ids
    }


def _best(figures) -> Figure | None:
    return max(figures, key=lambda f: f.rank, default=None)


def latest_of(figures) -> Figure | None:
    """The latest district-level stunting prevalence among `figures` (by `Figure.rank`)."""
    return _best(f for f in figures if f.indicator == STUNTING and f.level == "district")


def areas_of(figures, year: int | None = None) -> AreaPrevalence:
    """The stunting prevalence of each kecamatan and village among `figures` in `year` (by
    default, for each level, the latest year with a figure of that level)."""
    chosen, found = {}, {}
    for level in ("kecamatan", "village"):
        own = [f for f in figures if f.indicator == STUNTING and f.level == level]
        chosen[level] = year if year is not None else max((f.year for f in own), default=None)
        by_area = defaultdict(list)
        for f in own:
            if f.year == chosen[level]:
                by_area[f.village_id if level == "village" else f.kecamatan_id].append(f)
        found[level] = {k: _best(v) for k, v in by_area.items()}
    return AreaPrevalence(
        kecamatan_year=chosen["kecamatan"],
        village_year=chosen["village"],
        kecamatan=found["kecamatan"],
        villages=found["village"],
    )


def trend_of(figures, targets: dict, national: tuple, national_targets: tuple) -> Trend:
    return Trend(
        figures=tuple(
            sorted(
                (f for f in figures if f.indicator == STUNTING and f.level == "district"),
                key=lambda f: (f.year, f.month or 0),
            )
        ),
        targets=dict(targets),
        national=national,
        national_targets=national_targets,
    )


def latest_prevalence(districts) -> dict[int, Figure | None]:
    """The district's latest stunting prevalence (district level) with its source and year."""
    found = district_figures(districts, indicator=STUNTING)
    return {i: latest_of(figures) for i, figures in found.items()}


def area_prevalence(districts, year: int | None = None) -> dict[int, AreaPrevalence]:
    """Stunting prevalence by kecamatan and by village for `year` (by default each district's
    latest year with any area figure)."""
    found = district_figures(districts, indicator=STUNTING)
    return {i: areas_of(figures, year) for i, figures in found.items()}


def national_series(indicator: str = STUNTING) -> tuple[tuple, tuple]:
    """(measured, targets) national points of an indicator, by year: one query."""
    measured, targets = [], []
    rows = NationalFigure.objects.filter(indicator__code=indicator).order_by("year")
    for row in rows:
        point = NationalPoint(row.year, row.value, row.source, row.note)
        (measured if row.kind == NationalFigure.Kind.MEASURED else targets).append(point)
    return tuple(measured), tuple(targets)


def prevalence_trend(districts) -> dict[int, Trend]:
    """Each district's stunting prevalence by year and source (district level), its own
    targets and the national series and targets. Five queries."""
    ids = _ids(districts)
    found = district_figures(districts, indicator=STUNTING)
    targets = defaultdict(dict)
    for district_id, year, value in DistrictTarget.objects.filter(
        district_id__in=ids, indicator__code=STUNTING
    ).values_list("district_id", "year", "value"):
        targets[district_id][year] = value
    national, national_targets = national_series(STUNTING)
    return {i: trend_of(found[i], targets[i], national, national_targets) for i in ids}
