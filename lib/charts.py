"""Charts drawn on the server as SVG, the same in a page and in a PDF (WeasyPrint draws inline
SVG), each returned with its data table: nothing needs JavaScript, and nothing needs colour to
be read (the table and the legend say in words what a colour says).

The portal's CSP allows no inline script or style, so the markup has neither: colours are
presentation attributes (`fill=`, `stroke=`) from one small palette, and every shape also
carries a class (`tone-red`, `reference`, `grid`) for a stylesheet to restyle. Every label is
escaped. Include a chart with `{% include "lib/chart.html" with chart=chart %}`.

Sizes are in the viewBox, WIDTH units wide: a page scales the SVG to its column (a 360-px phone
shows it at about its own size), a PDF prints it 95 mm wide unless its stylesheet says otherwise.

Bar charts (`bar_chart`, `stacked_bar_chart`) give each row ROW units: its label on the left and
its value on the right of a first line, the bar under them, starting at x = PAD and BAR_SPAN
long for the largest value (or `maximum`). The line chart (`line_chart`) puts year i of n at
x = PLOT_LEFT + (i + ½) × PLOT_WIDTH / n and a value v at
y = PLOT_BOTTOM − (v − minimum) / (top − minimum) × PLOT_HEIGHT.
"""

import math
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import formats

WIDTH = 360
PAD = 8
BAR_SPAN = WIDTH - 2 * PAD  # 344
ROW = 40  # a label line (baseline at +15), then the bar (at +20, BAR_HEIGHT high)
BAR_HEIGHT = 14
LEGEND_LINE = 20
# a legend label wraps past this many characters (13-unit text beside its key in the 360-unit
# viewBox: about 44 fit) onto lines this far apart
LEGEND_CHARS = 42
LEGEND_WRAP = 16
LABEL_CHARS = 30  # longer labels are cut with "…" in the drawing (the table has them whole)
# room on the left for a tick label such as "100 %" at 12 px
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, WIDTH - PAD, 10, 190
PLOT_WIDTH, PLOT_HEIGHT = PLOT_RIGHT - PLOT_LEFT, PLOT_BOTTOM - PLOT_TOP  # 296, 180

INK, MUTED, GRID = "#1d2433", "#5b6476", "#d9dee7"
TONES = {
    "brand": "#0b6e4f",
    "red": "#d92d20",
    "yellow": "#eaaa08",
    "green": "#2e9e5b",
    "blue": "#1570ef",
    "orange": "#ef6820",
    "purple": "#7a5af8",
    "grey": "#98a2b3",
}
SERIES_TONES = ("brand", "blue", "orange", "purple")
# lines told apart without colour, too
SERIES_DASHES = ("", "7 4", "2 3", "9 3 2 3")

Number = int | float | Decimal


@dataclass(frozen=True)
class Chart:
    """An SVG drawing and the table of the same numbers, already formatted."""

    title: str
    svg: SafeString
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)  # reference lines, in words
    text_columns: tuple[int, ...] = ()  # columns of words, not numbers (left-aligned)

    @property
    def header(self) -> list[tuple[str, bool]]:
        """(column, holds numbers) pairs; the first column names the rows."""
        return [(c, 0 < i and i not in self.text_columns) for i, c in enumerate(self.columns)]

    @property
    def labelled_rows(self) -> list[list[tuple[str, str, bool]]]:
        """Each row as (column, cell, holds numbers): a table on a phone names every cell."""
        return [
            [(c, cell, numeric) for (c, numeric), cell in zip(self.header, row, strict=True)]
            for row in self.rows
        ]


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number | None
    tone: str = "brand"
    note: str = ""  # e.g. the band's name, in the table's `note_column`


@dataclass(frozen=True)
class Reference:
    """A value drawn across the chart as a dashed line: a target, a national average."""

    label: str
    value: Number


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Number | None]  # one per year; None where the year has no value
    tone: str = ""  # by default the series' place in SERIES_TONES
    # one per year, shown beside its value in the table and the tooltip: for a series gathered
    # from several sources (the national one: Riskesdas, SSGBI, SSGI, SKI)
    sources: Sequence[str | None] = ()


@dataclass(frozen=True)
class Part:
    """One part of a stacked bar (e.g. 'terverifikasi') and its colour."""

    label: str
    tone: str


# ---------------------------------------------------------------------------------------------
# Stunting prevalence bands (BKKBN's map colours)


@dataclass(frozen=True)
class Band:
    tone: str
    label: str


PREVALENCE_BANDS = (
    Band("red", gettext_lazy("Sangat tinggi (> 30 %)")),
    Band("yellow", gettext_lazy("Tinggi (20–30 %)")),
    Band("green", gettext_lazy("Sedang (10–20 %)")),
    Band("blue", gettext_lazy("Rendah (< 10 %)")),
)


def prevalence_band(percent: Number | None) -> Band | None:
    """The band of a stunting prevalence in percent: red above 30, yellow from 20 to 30, green
    from 10 up to 20, blue below 10; None without a value."""
    if percent is None:
        return None
    value = Decimal(str(percent))
    if value > 30:
        return PREVALENCE_BANDS[0]
    if value >= 20:
        return PREVALENCE_BANDS[1]
    if value >= 10:
        return PREVALENCE_BANDS[2]
    return PREVALENCE_BANDS[3]


def prevalence_bars(items: Iterable[tuple[str, Number | None]]) -> list[Bar]:
    """(label, prevalence %) pairs as bars coloured and named by their band."""
    bars = []
    for label, value in items:
        band = prevalence_band(value)
        bars.append(
            Bar(label, value, band.tone if band else "grey", str(band.label) if band else "")
        )
    return bars


def band_legend() -> list[tuple[str, str]]:
    return [(band.tone, str(band.label)) for band in PREVALENCE_BANDS]


# ---------------------------------------------------------------------------------------------
# Drawing


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _fill(tone: str) -> str:
    if tone not in TONES:
        raise ValueError(f"unknown tone {tone!r}; one of {', '.join(TONES)}")
    return TONES[tone]


def _text(x, y, content, *, anchor="start", size=None, cls="", fill=INK) -> str:
    attributes = f' x="{_n(x)}" y="{_n(y)}" fill="{fill}"'
    if anchor != "start":
        attributes += f' text-anchor="{anchor}"'
    if size:
        attributes += f' font-size="{size}"'
    if cls:
        attributes += f' class="{cls}"'
    return f"<text{attributes}>{escape(str(content))}</text>"


def _cut(label: str, chars: int = LABEL_CHARS) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _svg(title: str, height: float, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 -- every text and attribute value above is escaped or ours
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="{WIDTH}" height="{_n(height)}" role="img" aria-label="{escape(title)}" '
        f'class="chart-svg" font-family="DejaVu Sans, sans-serif" font-size="14">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _empty(title: str, columns: list[str]) -> Chart:
    body = [_text(WIDTH / 2, 24, _("Belum ada data"), anchor="middle", fill=MUTED, cls="empty")]
    return Chart(str(title), _svg(str(title), 40, body), columns, [])


def _show(value_format: Callable, value) -> str:
    return formats.DASH if value is None else value_format(value)


@dataclass(frozen=True)
class _Key:
    """A legend line: a coloured box (a bar's tone), a line (a series) or a reference."""

    kind: str  # "box" | "line" | "reference"
    label: str
    tone: str = ""
    dash: str = ""


def _legend(top: float, keys: list[_Key]) -> tuple[list[str], float]:
    """The legend, one key per line from `top` (a label longer than LEGEND_CHARS wraps onto
    more lines, never past the drawing's edge); returns the markup and the y below it."""
    body = []
    y = top
    for key in keys:
        lines = textwrap.wrap(key.label, LEGEND_CHARS) or [""]
        middle = y + LEGEND_LINE / 2
        y += LEGEND_LINE + (len(lines) - 1) * LEGEND_WRAP
        if key.kind == "box":
            body.append(
                f'<rect x="{PAD}" y="{_n(middle - 6)}" width="12" height="12" '
                f'fill="{_fill(key.tone)}" class="legend tone-{key.tone}"/>'
            )
        else:
            stroke = MUTED if key.kind == "reference" else _fill(key.tone)
            dash = "4 3" if key.kind == "reference" else key.dash
            dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(
                f'<line x1="{PAD}" y1="{_n(middle)}" x2="{PAD + 20}" y2="{_n(middle)}" '
                f'stroke="{stroke}" stroke-width="2"{dash_attribute} class="legend {key.kind}"/>'
            )
        for j, line in enumerate(lines):
            body.append(_text(PAD + 26, middle + 5 + j * LEGEND_WRAP, line, size=13, cls="legend"))
    return body, y


def _top(values: Iterable[Number | None], maximum: Number | None) -> float:
    if maximum is not None:
        return float(maximum)
    return max((float(v) for v in values if v is not None), default=0.0)


def _length(value: Number | None, top: float) -> float:
    if value is None or top <= 0:
        return 0.0
    return min(max(float(value), 0.0), top) / top * BAR_SPAN


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    label_column: str,
    value_column: str,
    note_column: str = "",
    references: Sequence[Reference] = (),
    maximum: Number | None = None,
    value_format: Callable[[Number], str] = formats.number,
    legend: Sequence[tuple[str, str]] = (),
) -> Chart:
    """Horizontal bars, one row per bar in the given order; the largest value (or `maximum`)
    spans BAR_SPAN. A bar without a value is left out of the drawing and shows '–'. References
    are dashed vertical lines across the rows, named under the chart; `legend` is (tone, label)
    pairs (e.g. `band_legend()`)."""
    columns = [str(label_column), str(value_column)] + ([str(note_column)] if note_column else [])
    if not bars:
        return _empty(title, columns)
    top = _top([*(b.value for b in bars), *(r.value for r in references)], maximum)
    body = []
    for i, bar in enumerate(bars):
        y = i * ROW
        shown = _show(value_format, bar.value)
        body.append(f"<g><title>{escape(f'{bar.label}: {shown}')}</title>")
        body.append(_text(PAD, y + 15, _cut(str(bar.label)), cls="label"))
        body.append(_text(WIDTH - PAD, y + 15, shown, anchor="end", cls="value"))
        if bar.value is not None:
            body.append(
                f'<rect x="{PAD}" y="{y + 20}" width="{_n(_length(bar.value, top))}" '
                f'height="{BAR_HEIGHT}" fill="{_fill(bar.tone)}" class="bar tone-{bar.tone}"/>'
            )
        body.append("</g>")
    bottom = len(bars) * ROW
    for reference in references:
        # across each bar, not across the labels above them
        x = _n(PAD + _length(reference.value, top))
        path = "".join(f"M{x} {i * ROW + 17}V{i * ROW + 37}" for i in range(len(bars)))
        body.append(
            f'<path d="{path}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="4 2" '
            'class="reference"/>'
        )
    notes = [f"{r.label}: {value_format(r.value)}" for r in references]
    keys = [_Key("box", str(label), tone) for tone, label in legend]
    keys += [_Key("reference", note) for note in notes]
    legend_body, height = _legend(bottom + 4, keys)
    rows = [
        [str(b.label), _show(value_format, b.value)]
        + ([str(b.note) or formats.DASH] if note_column else [])
        for b in bars
    ]
    svg = _svg(str(title), height + 4, body + legend_body)
    return Chart(str(title), svg, columns, rows, notes, (2,) if note_column else ())


def stacked_bar_chart(
    title: str,
    parts: Sequence[Part],
    rows: Sequence[tuple[str, Sequence[Number | None]]],
    *,
    label_column: str,
    total_column: str,
    shares: bool = False,
    maximum: Number | None = None,
    value_format: Callable[[Number], str] = formats.number,
) -> Chart:
    """One bar per row, cut into its parts in the order of `parts` (a value per part; None
    counts as 0 in the drawing and shows '–'). Bars are as long as their totals, the largest
    (or `maximum`) spanning BAR_SPAN; with `shares` every bar spans it, each part as long as
    its share of its own row."""
    columns = [str(label_column), *(str(p.label) for p in parts), str(total_column)]
    if not rows:
        return _empty(title, columns)
    totals = [sum(float(v) for v in values if v is not None) for _label, values in rows]
    top = _top(totals, maximum)
    body = []
    for i, ((label, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = i * ROW
        row_top = total if shares else top
        body.append(f"<g><title>{escape(f'{label}: {value_format(total)}')}</title>")
        body.append(_text(PAD, y + 15, _cut(str(label)), cls="label"))
        body.append(_text(WIDTH - PAD, y + 15, value_format(total), anchor="end", cls="value"))
        start = 0.0
        for part, value in zip(parts, values, strict=True):
            if not value:
                continue
            # the parts' ends are placed from the running sum, so they meet without gaps
            x, end = PAD + _length(start, row_top), PAD + _length(start + float(value), row_top)
            body.append(
                f'<rect x="{_n(x)}" y="{y + 20}" width="{_n(end - x)}" height="{BAR_HEIGHT}" '
                f'fill="{_fill(part.tone)}" class="bar tone-{part.tone}"><title>'
                f"{escape(f'{part.label}: {value_format(value)}')}</title></rect>"
            )
            start += float(value)
        body.append("</g>")
    keys = [_Key("box", str(p.label), p.tone) for p in parts]
    legend_body, height = _legend(len(rows) * ROW + 4, keys)
    table = [
        [str(label), *(_show(value_format, v) for v in values), value_format(total)]
        for (label, values), total in zip(rows, totals, strict=True)
    ]
    return Chart(str(title), _svg(str(title), height + 4, body + legend_body), columns, table)


def nice_step(span: float) -> float:
    """A round step for about four grid lines over `span`: 1, 2, 2.5 or 5 times a power of
    ten."""
    if span <= 0:
        return 1.0
    raw = span / 4
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if raw <= m * power * (1 + 1e-9))


def line_chart(
    title: str,
    years: Sequence[int],
    series: Sequence[Series],
    *,
    year_column: str,
    references: Sequence[Reference] = (),
    minimum: Number = 0,
    maximum: Number | None = None,
    value_format: Callable[[Number], str] = formats.number,
    tick_format: Callable[[Number], str] | None = None,
) -> Chart:
    """Values over years, one line per series; a year without a value breaks the line (a value
    between two missing years is a lone dot). The vertical axis runs from `minimum` to
    `maximum`, or to the next round step above every value and reference. References are
    dashed horizontal lines, named under the chart."""
    columns = [str(year_column), *(str(s.label) for s in series)]
    values = [v for s in series for v in s.values if v is not None]
    if not years or not values:
        return _empty(title, columns)
    lo = float(minimum)
    if maximum is not None:
        hi = float(maximum)
        step = nice_step(hi - lo)
    else:
        highest = max([*(float(v) for v in values), *(float(r.value) for r in references)])
        step = nice_step(highest - lo)
        hi = lo + max(math.ceil((highest - lo) / step - 1e-9), 1) * step
    # ticks are round steps: without the value's zero decimals ("30 %", not "30,00 %")
    tick_format = tick_format or (lambda v: re.sub(r",0+(?!\d)", "", value_format(v)))

    def x_of(i: int) -> float:
        return PLOT_LEFT + (i + 0.5) * PLOT_WIDTH / len(years)

    def y_of(value: Number) -> float:
        share = (min(max(float(value), lo), hi) - lo) / (hi - lo) if hi > lo else 0.0
        return PLOT_BOTTOM - share * PLOT_HEIGHT

    body = []
    ticks = [lo + k * step for k in range(math.floor((hi - lo) / step + 1e-9) + 1)]
    for tick in ticks:
        y = y_of(tick)
        body.append(
            f'<line x1="{PLOT_LEFT}" y1="{_n(y)}" x2="{PLOT_RIGHT}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="1" class="grid"/>'
        )
        label = tick_format(round(tick, 9))
        body.append(_text(PLOT_LEFT - 4, y + 4, label, anchor="end", size=12, fill=MUTED))
    for i, year in enumerate(years):
        body.append(_text(x_of(i), PLOT_BOTTOM + 20, year, anchor="middle", size=13))
    for reference in references:
        y = y_of(reference.value)
        body.append(
            f'<line x1="{PLOT_LEFT}" y1="{_n(y)}" x2="{PLOT_RIGHT}" y2="{_n(y)}" '
            f'stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="4 3" class="reference"/>'
        )
    keys = []
    for index, line in enumerate(series):
        tone = line.tone or SERIES_TONES[index % len(SERIES_TONES)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        keys.append(_Key("line", str(line.label), tone, dash))
        colour = _fill(tone)
        points = [(i, v) for i, v in enumerate(line.values[: len(years)]) if v is not None]
        body.append(f'<g class="series tone-{tone}">')
        runs, run = [], []
        for i, v in enumerate(line.values[: len(years)]):
            if v is None:
                runs.append(run)
                run = []
            else:
                run.append(f"{_n(x_of(i))},{_n(y_of(v))}")
        runs.append(run)
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        for run in runs:
            if len(run) > 1:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5"{dash_attribute}/>'
                )
        for i, v in points:
            shown = _sourced(value_format(v), _at(line.sources, i))
            body.append(
                f'<circle cx="{_n(x_of(i))}" cy="{_n(y_of(v))}" r="3.5" fill="{colour}"><title>'
                f"{escape(f'{line.label}: {shown}')}</title></circle>"
            )
        body.append("</g>")
    notes = [f"{r.label}: {value_format(r.value)}" for r in references]
    keys += [_Key("reference", note) for note in notes]
    legend_body, height = _legend(PLOT_BOTTOM + 30, keys)
    rows = [
        [str(year), *(_cell(value_format, s, i) for s in series)] for i, year in enumerate(years)
    ]
    return Chart(str(title), _svg(str(title), height + 4, body + legend_body), columns, rows, notes)


def _sourced(shown: str, source: str | None) -> str:
    return f"{shown} ({source})" if source else shown


def _cell(value_format: Callable, series: Series, index: int) -> str:
    """A series' value in the table, with its own source where the series names one."""
    value = _at(series.values, index)
    if value is None:
        return _show(value_format, None)
    return _sourced(value_format(value), _at(series.sources, index))


def _at(values: Sequence, index: int):
    return values[index] if index < len(values) else None
