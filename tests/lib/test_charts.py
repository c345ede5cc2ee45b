"""Charts as SVG drawn on the server (lib.charts): bars and points where the numbers put them
(worked out by hand below from the documented layout: 360 units wide, bars from x = 8 and
344 long for the largest value, 40 units a row with the bar 20 units down; the line chart's
plot from x = 56 to 352 and y = 190 up to 10), labels escaped, missing values and empty data
shown as such, and no script or style anywhere (the CSP)."""

import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from functools import partial

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from lib import charts, formats
from lib.pdf import render_pdf
from tests.conftest import need

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart):
    root = ET.fromstring(str(chart.svg))  # noqa: S314 -- our own markup
    assert root.tag == SVG + "svg"
    return root


def found(root, tag, cls=None):
    return [e for e in root.iter(SVG + tag) if cls is None or cls in (e.get("class") or "").split()]


def bars_of(root):
    return [
        (float(r.get("x")), float(r.get("y")), float(r.get("width")))
        for r in found(root, "rect", "bar")
    ]


def assert_clean(chart):
    """No script, no style element or attribute, no event handler: the CSP allows none."""
    root = parse(chart)
    for element in root.iter():
        assert element.tag not in (SVG + "script", SVG + "style", SVG + "foreignObject")
        assert "style" not in element.attrib
        assert not [a for a in element.attrib if a.lower().startswith("on")]
    html = render_to_string("lib/chart.html", {"chart": chart})
    assert "<script" not in html and "<style" not in html and "style=" not in html


def test_bar_lengths_and_positions():
    bars = [
        charts.Bar("Wado", 30),
        charts.Bar("Cisitu", 15),
        charts.Bar("Darmaraja", None),
        charts.Bar("Situraja", 0),
    ]
    chart = charts.bar_chart(
        "Prevalensi", bars, label_column="Kecamatan", value_column="%", value_format=str
    )
    root = parse(chart)
    assert root.get("viewBox").split()[:3] == ["0", "0", "360"]
    # 30 is the largest: 344 long; 15 half of it; no bar for the missing value; 0 has none long
    assert bars_of(root) == [(8, 20, 344), (8, 60, 172), (8, 140, 0)]
    assert chart.columns == ["Kecamatan", "%"]
    assert chart.rows == [["Wado", "30"], ["Cisitu", "15"], ["Darmaraja", "–"], ["Situraja", "0"]]
    # each label and its value are on the line above the bar: the missing one is a dash
    texts = [(t.get("class"), t.text) for t in found(root, "text") if t.get("class") != "legend"]
    assert texts[4:6] == [("label", "Darmaraja"), ("value", "–")]
    assert_clean(chart)


def test_a_maximum_and_a_reference_line():
    chart = charts.bar_chart(
        "Prevalensi",
        [charts.Bar("Wado", Decimal("30")), charts.Bar("Cisitu", 75)],
        label_column="Kecamatan",
        value_column="%",
        references=[charts.Reference("Target", 14)],
        maximum=60,  # 75 is drawn as far as 60 goes
        value_format=formats.percent,
    )
    root = parse(chart)
    assert bars_of(root) == [(8, 20, 172), (8, 60, 344)]
    (line,) = found(root, "path", "reference")
    x = 8 + 14 / 60 * 344  # 88.27
    assert line.get("d") == f"M{x:.2f} 17V37M{x:.2f} 57V77"
    assert chart.rows == [["Wado", "30,00 %"], ["Cisitu", "75,00 %"]]
    assert chart.notes == ["Target: 14,00 %"]
    assert "Target: 14,00 %" in [t.text for t in found(root, "text", "legend")]


def test_labels_are_escaped():
    evil = "<script>alert(1)</script>"
    chart = charts.bar_chart(
        'Judul "x" <b>', [charts.Bar(evil, 1)], label_column=evil, value_column="&"
    )
    assert "<script" not in str(chart.svg) and "<b>" not in str(chart.svg)
    root = parse(chart)  # still well-formed XML
    assert [t.text for t in found(root, "text", "label")] == [evil]
    assert root.get("aria-label") == 'Judul "x" <b>'
    assert root.find(SVG + "title").text == 'Judul "x" <b>'
    html = render_to_string("lib/chart.html", {"chart": chart})
    assert evil not in html.replace(str(chart.svg), "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_clean(chart)


def test_long_labels_are_cut_in_the_drawing_only():
    label = "Kecamatan dengan nama yang sangat panjang sekali"
    chart = charts.bar_chart("x", [charts.Bar(label, 1)], label_column="a", value_column="b")
    (text,) = found(parse(chart), "text", "label")
    assert text.text == "Kecamatan dengan nama yang sa…"  # 29 characters and the ellipsis
    assert chart.rows[0][0] == label


def test_unknown_tones_are_refused():
    with pytest.raises(ValueError):
        charts.bar_chart(
            "x", [charts.Bar("a", 1, tone='red" onload="x')], label_column="a", value_column="b"
        )


def test_prevalence_bands():
    def tone(value):
        band = charts.prevalence_band(value)
        return band.tone if band else None

    assert [tone(v) for v in (45, 30.01, 30, 20, 19.99, 10, 9.99, 0, None)] == [
        "red",
        "red",
        "yellow",
        "yellow",
        "green",
        "green",
        "blue",
        "blue",
        None,
    ]
    bars = charts.prevalence_bars([("Wado", 31.2), ("Cisitu", 8.4), ("Darmaraja", None)])
    assert [(b.tone, b.note) for b in bars] == [
        ("red", "Sangat tinggi (> 30 %)"),
        ("blue", "Rendah (< 10 %)"),
        ("grey", ""),
    ]
    chart = charts.bar_chart(
        "Prevalensi",
        bars,
        label_column="Kecamatan",
        value_column="Prevalensi",
        note_column="Kategori",
        value_format=formats.percent,
        legend=charts.band_legend(),
    )
    # in words in the table and the legend, not only in colour
    assert chart.rows[0] == ["Wado", "31,20 %", "Sangat tinggi (> 30 %)"]
    assert chart.rows[2] == ["Darmaraja", "–", "–"]
    root = parse(chart)
    assert [r.get("fill") for r in found(root, "rect", "bar")] == ["#d92d20", "#1570ef"]
    legend = [t.text for t in found(root, "text", "legend")]
    assert legend == [
        "Sangat tinggi (> 30 %)",
        "Tinggi (20–30 %)",
        "Sedang (10–20 %)",
        "Rendah (< 10 %)",
    ]
    with translation.override("en"):
        assert str(charts.prevalence_band(31).label) == "Very high (> 30 %)"


def test_line_chart_points_gaps_and_target():
    chart = charts.line_chart(
        "Prevalensi",
        [2021, 2022, 2023, 2024],
        [charts.Series("Kabupaten", [10, None, 30, 20]), charts.Series("Provinsi", [25])],
        year_column="Tahun",
        references=[charts.Reference("Target", 15)],
        value_format=formats.percent,
        tick_format=partial(formats.percent, decimals=0),
    )
    root = parse(chart)
    # the largest value, 30, is on a round step (30 / 4 = 7.5 → 10): the axis runs 0–30.
    # x: 56 + (i + ½) × 296 / 4 → 93, 167, 241, 315; y: 190 − v / 30 × 180
    kabupaten, provinsi = found(root, "g", "series")
    points = [(float(c.get("cx")), float(c.get("cy"))) for c in found(kabupaten, "circle")]
    assert points == [(93, 130), (241, 10), (315, 70)]
    # 2022 has no value: 2021 stays a lone dot, 2023–2024 a line
    assert [p.get("points") for p in found(kabupaten, "polyline")] == ["241,10 315,70"]
    assert [(c.get("cx"), c.get("cy")) for c in found(provinsi, "circle")] == [("93", "40")]
    assert found(provinsi, "polyline") == []
    grid = [float(g.get("y1")) for g in found(root, "line", "grid")]
    assert grid == [190, 130, 70, 10]
    ticks = [t.text for t in found(root, "text") if t.get("font-size") == "12"]
    assert ticks == ["0 %", "10 %", "20 %", "30 %"]
    (target,) = [
        e for e in found(root, "line", "reference") if e not in found(root, "line", "legend")
    ]
    assert float(target.get("y1")) == float(target.get("y2")) == 100  # 190 − 15 / 30 × 180
    assert chart.columns == ["Tahun", "Kabupaten", "Provinsi"]
    assert chart.rows == [
        ["2021", "10,00 %", "25,00 %"],
        ["2022", "–", "–"],
        ["2023", "30,00 %", "–"],
        ["2024", "20,00 %", "–"],
    ]
    assert chart.notes == ["Target: 15,00 %"]
    assert_clean(chart)


def test_a_series_of_several_sources_names_each_values_own():
    chart = charts.line_chart(
        "Prevalensi",
        [2022, 2023, 2024],
        [charts.Series("Nasional", [21.6, None, 19.8], sources=["SSGI 2022", None, "SSGI 2024"])],
        year_column="Tahun",
        value_format=formats.percent,
    )
    assert chart.rows == [
        ["2022", "21,60 % (SSGI 2022)"],
        ["2023", "–"],
        ["2024", "19,80 % (SSGI 2024)"],
    ]
    titles = [c.find(SVG + "title").text for c in found(parse(chart), "circle")]
    assert titles == ["Nasional: 21,60 % (SSGI 2022)", "Nasional: 19,80 % (SSGI 2024)"]


def test_line_chart_axis_to_a_given_maximum():
    chart = charts.line_chart(
        "x", [2025], [charts.Series("a", [Decimal("10")])], year_column="Tahun", maximum=40
    )
    root = parse(chart)
    (circle,) = found(root, "circle")
    # one year in the middle of the plot: 56 + ½ × 296; 190 − 10 / 40 × 180
    assert (float(circle.get("cx")), float(circle.get("cy"))) == (204, 145)
    assert [float(g.get("y1")) for g in found(root, "line", "grid")] == [190, 145, 100, 55, 10]


def test_stacked_bars():
    parts = [
        charts.Part("terverifikasi", "green"),
        charts.Part("menunggu", "yellow"),
        charts.Part("belum dikirim", "grey"),
    ]
    rows = [("Wado", [10, 5, 5]), ("Cisitu", [None, 10, 0])]
    chart = charts.stacked_bar_chart(
        "Laporan", parts, rows, label_column="Kecamatan", total_column="Jumlah"
    )
    root = parse(chart)
    # totals 20 and 10; 20 spans 344: 10 → 172, 5 → 86; the empty parts are not drawn
    assert bars_of(root) == [(8, 20, 172), (180, 20, 86), (266, 20, 86), (8, 60, 172)]
    assert chart.columns == ["Kecamatan", "terverifikasi", "menunggu", "belum dikirim", "Jumlah"]
    assert chart.rows == [["Wado", "10", "5", "5", "20"], ["Cisitu", "–", "10", "0", "10"]]
    legend = [t.text for t in found(root, "text", "legend")]
    assert legend == ["terverifikasi", "menunggu", "belum dikirim"]
    assert_clean(chart)

    shares = charts.stacked_bar_chart(
        "Laporan", parts, rows, label_column="Kecamatan", total_column="Jumlah", shares=True
    )
    # each bar spans the width: Cisitu's 10 of 10 is 344 long
    assert bars_of(parse(shares))[-1] == (8, 60, 344)


def test_empty_data():
    empty = [
        charts.bar_chart("Kosong", [], label_column="a", value_column="b"),
        charts.stacked_bar_chart("Kosong", [], [], label_column="a", total_column="b"),
        charts.line_chart("Kosong", [], [], year_column="Tahun"),
        charts.line_chart(
            "Kosong", [2025, 2026], [charts.Series("a", [None, None])], year_column="Tahun"
        ),
    ]
    for chart in empty:
        root = parse(chart)
        assert chart.rows == [] and not found(root, "rect") and not found(root, "circle")
        assert [t.text for t in found(root, "text")] == ["Belum ada data"]
        html = render_to_string("lib/chart.html", {"chart": chart})
        assert "Belum ada data" in html and "<svg" not in html
        assert_clean(chart)
    assert empty[3].columns == ["Tahun", "a"]


def test_the_include_shows_caption_drawing_and_table():
    chart = charts.bar_chart(
        "Prevalensi 2026",
        charts.prevalence_bars([("Wado", 31.2)]),
        label_column="Kecamatan",
        value_column="Prevalensi",
        note_column="Kategori",
        value_format=formats.percent,
    )
    html = render_to_string("lib/chart.html", {"chart": chart})
    assert "<figcaption>Prevalensi 2026</figcaption>" in html
    assert str(chart.svg) in html
    assert '<th scope="row">Wado</th>' in html
    assert '<td class="num" data-label="Prevalensi">31,20 %</td>' in html
    assert '<td data-label="Kategori">Sangat tinggi (&gt; 30 %)</td>' in html


def test_the_same_include_prints_in_a_pdf(tmp_path):
    """WeasyPrint draws the inline SVG: the labels drawn in it are in the PDF's text twice
    (once in the drawing, once in the table)."""
    need(bool(shutil.which("pdftotext")), "needs poppler-utils (pdftotext)")
    chart = charts.bar_chart(
        "Prevalensi 2026",
        charts.prevalence_bars([("Cimungkal", 31.2), ("Pawenang", 8.4)]),
        label_column="Kecamatan",
        value_column="Prevalensi",
        value_format=formats.percent,
    )
    html = render_to_string("lib/chart.html", {"chart": chart})
    path = tmp_path / "chart.pdf"
    path.write_bytes(render_pdf(f'<html lang="id"><body>{html}</body></html>'))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert text.count("Cimungkal") == 2 and text.count("31,20 %") == 2


def test_line_chart_ticks_drop_the_zero_decimals_of_the_value_format():
    """Ticks are round steps: a percentage axis reads '30 %', not '30,00 %' (which did not fit
    left of the plot), while the table and the notes keep the value's own format."""
    chart = charts.line_chart(
        "Prevalensi",
        [2023, 2024],
        [charts.Series("Kabupaten", [21.5, 19.8])],
        year_column="Tahun",
        value_format=formats.percent,
    )
    ticks = [t.text for t in found(parse(chart), "text") if t.get("font-size") == "12"]
    # the highest value, 21,5, over four steps is 5,4: the next round step is 10
    assert ticks == ["0 %", "10 %", "20 %", "30 %"]
    assert chart.rows == [["2023", "21,50 %"], ["2024", "19,80 %"]]


def test_a_long_legend_label_wraps_inside_the_drawing():
    """A legend label longer than 42 characters (about what fits beside its key in the
    360-unit drawing at 13 units) wraps at spaces onto lines 16 units apart, and the drawing
    grows by those lines; nothing is cut."""
    label = "Target kabupaten 2026 (ditetapkan kabupaten/kota)"
    short = charts.bar_chart(
        "Prevalensi", [charts.Bar("Wado", 10)], label_column="K", value_column="%"
    )
    chart = charts.bar_chart(
        "Prevalensi",
        [charts.Bar("Wado", 10)],
        label_column="K",
        value_column="%",
        references=[charts.Reference(label, 14)],
        maximum=20,
    )
    root = parse(chart)
    lines = [t.text for t in found(root, "text", "legend")]
    # "Target kabupaten 2026 (ditetapkan kabupaten/kota): 14" is 53 characters: two lines
    assert lines == ["Target kabupaten 2026 (ditetapkan", "kabupaten/kota): 14"]
    ys = [float(t.get("y")) for t in found(root, "text", "legend")]
    assert ys[1] - ys[0] == 16
    # the same bar; one legend key of two lines (20 + 16) more than the chart without it
    assert float(root.get("height")) - float(parse(short).get("height")) == 20 + 16
