"""The annual evaluation as a PDF (DOMAIN.md §9).

A minimal stand-in with the module's fixed interface (the full content is written in another
branch and replaces this one): the cover with the title, year and version, the secretariat's
narratives per section, and the QR code of the verification page on every page."""

from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from lib.pdf import paper_css, render_pdf, stored_image_data_uri

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Ringkasan"),
    ("prevalence", "Prevalensi Stunting"),
    ("actions", "Aksi Konvergensi"),
    ("villages", "Desa Lokus"),
    ("rembuk", "Rembuk Stunting dan Komitmen"),
    ("budget", "Anggaran"),
    ("problems", "Permasalahan"),
    ("recommendations", "Rekomendasi"),
)


@dataclass(frozen=True)
class Printed:
    """What the printed copy says of itself: its version and where to verify it."""

    number: int
    verify_url: str
    requested_by: str
    requested_at: datetime
    replaces: int | None = None
    draft: bool = True


def evaluation_html(district, year: int, *, narratives: dict[str, str], printed: Printed) -> str:
    """In Indonesian whatever the reader's language: it is an official document."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "reports/print/evaluation.html",
            {
                "district": district,
                "year": year,
                "printed": printed,
                "requested_at": printed.requested_at.astimezone(district.tz),
                "sections": [(key, title, narratives.get(key, "")) for key, title in SECTIONS],
                "page_css": paper_css(district.paper_size, margin="18mm"),
                "emblem": stored_image_data_uri(district.emblem),
                "qr": segno.make(printed.verify_url, error="m").svg_data_uri(scale=1, border=4),
            },
        )


def render_evaluation(
    district, year: int, *, narratives: dict[str, str], printed: Printed, on_layout=None
) -> bytes:
    """The PDF (call it inside the district's scope)."""
    html = evaluation_html(district, year, narratives=narratives, printed=printed)
    return render_pdf(html, on_layout=on_layout)
