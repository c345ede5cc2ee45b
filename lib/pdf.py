"""HTML → PDF through WeasyPrint, the one renderer of every generated document.

Nothing is fetched while rendering: the URL fetcher refuses every protocol but `data:`, so a
document carries its images inline (see `image_data_uri`) and cannot be made to reach the
network or the file system by text a user typed. WeasyPrint is imported on first use only: the
import takes about a second, and most processes never render a PDF.
"""

import base64
import logging
import threading

from django.utils.translation import gettext as _

from lib.text import strip_bidi
from lib.uploads import JPEG, MAX_IMAGE_PIXELS, PNG, image_size, sniff_kind

# paper size → (width, height) as CSS lengths
PAPER = {"A4": ("210mm", "297mm"), "F4": ("215mm", "330mm")}

_local = threading.local()


def _engine():
    """(weasyprint module, fetcher, font configuration), built once per thread: building the
    font configuration is most of the time a small document takes, and the fetcher keeps
    per-request state, so neither is shared between threads."""
    engine = getattr(_local, "engine", None)
    if engine is None:
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        logging.getLogger("fontTools").setLevel(logging.WARNING)
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), allow_redirects=False)
        engine = _local.engine = (weasyprint, fetcher, FontConfiguration())
    return engine


def render_pdf(html: str, *, base_url: str | None = None, on_layout=None) -> bytes:
    """The PDF of a complete HTML document. `base_url` only resolves relative links; nothing
    but `data:` URIs is ever loaded. `on_layout(pages)` is called between laying out the pages
    and writing the file (the two halves of the work), for progress reports."""
    weasyprint, fetcher, fonts = _engine()
    # a safety net behind the input cleaning (lib.text): no text is printed reversed
    html = strip_bidi(html)
    html_doc = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    if on_layout is None:
        return html_doc.write_pdf(font_config=fonts)
    document = html_doc.render(font_config=fonts)
    on_layout(len(document.pages))
    return document.write_pdf()


def image_data_uri(data: bytes) -> str | None:
    """A PNG or JPEG as a `data:` URI to put in `<img src>`; None for anything else, and for an
    image whose header declares more than MAX_IMAGE_PIXELS (one stored before uploads were
    checked would cost gigabytes to render)."""
    kind = sniff_kind(data or b"")
    if kind not in (PNG, JPEG):
        return None
    size = image_size(data)
    if size is None or size[0] * size[1] > MAX_IMAGE_PIXELS:
        logging.getLogger(__name__).warning("image left out of a document: %s pixels", size)
        return None
    return f"data:{kind.content_type};base64,{base64.b64encode(data).decode('ascii')}"


def stored_image_data_uri(field) -> str | None:
    """A stored PNG/JPEG (a FileField value, e.g. the district's emblem) as a `data:` URI; None
    when there is none or the file is lost, so that a document still prints without it."""
    if not field:
        return None
    try:
        with field.open("rb") as handle:
            return image_data_uri(handle.read())
    except OSError:
        return None


def _css_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def paper_css(paper_size: str, *, margin: str = "15mm", short: bool = False) -> str:
    """An @page rule for the district's paper (A4 unless F4), with "Halaman X dari Y" at the
    bottom centre ("Hal. X / Y" when `short`). Our own CSS: put it in a <style> element
    unescaped."""
    width, height = PAPER.get(paper_size, PAPER["A4"])
    if short:
        page, of = _css_string(_("Hal.") + " "), _css_string(" / ")
    else:
        page, of = _css_string(_("Halaman") + " "), _css_string(" " + _("dari") + " ")
    return (
        f"@page {{ size: {width} {height}; margin: {margin} {margin} 18mm {margin};\n"
        f"  @bottom-center {{ content: {page} counter(page) {of} counter(pages);\n"
        '    font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; color: #444; } }\n'
    )
