"""Scanned paper: the pages of an uploaded scan as images, each page on its own as evidence,
and the QR codes printed on a page.

A PDF is rasterized by PDFium (pypdfium2), the renderer of Chromium, which reads the image-only
PDFs that scanners and phone scanner apps write; QR codes are decoded by zxing-cpp. Both are
compiled libraries: a 20-page scan takes about a second (bench/paper_batch.py)."""

import io
import math
from dataclasses import dataclass

from lib.uploads import JPEG, PDF, PNG, FileKind

# enough for the sheet's QR code, 26 mm wide with modules of 0.55 mm (3.3 pixels each);
# a higher resolution costs time on every page and reads no more from a 150-300 dpi scan
DPI = 150
# a page declaring an absurd size (a PDF page may be 200 inches wide) is rendered smaller
MAX_PAGE_PIXELS = 40_000_000
# about 140 ms a page on a busy server: 120 pages (a 440-signatory draft is 50) stay well
# inside the web worker's 60 s timeout
MAX_PAGES = 120


class ScanError(ValueError):
    """The file cannot be read as a scan (damaged, encrypted, too many pages)."""


@dataclass
class ScanPage:
    number: int  # from 1, across all files of the upload
    evidence: bytes  # the page alone: a one-page PDF, or the image as uploaded
    kind: FileKind
    texts: list[str]  # the QR codes found on it


def qr_texts(image) -> list[str]:
    """The text of every QR code found in a PIL image."""
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _render(page, dpi: int):
    width, height = page.get_size()  # in points
    scale = dpi / 72
    if width * height * scale * scale > MAX_PAGE_PIXELS:
        scale = math.sqrt(MAX_PAGE_PIXELS / (width * height))
    return page.render(scale=scale, grayscale=True).to_pil()


def _pdf_pages(data: bytes, first: int, wanted):
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ScanError(str(exc)) from None
    try:
        if len(pdf) > MAX_PAGES:
            raise ScanError(f"{len(pdf)} pages")
        for index in range(len(pdf)):
            page = pdf[index]
            texts = wanted(qr_texts(_render(page, DPI)))
            page.close()
            single = pdfium.PdfDocument.new()
            single.import_pages(pdf, [index])
            buffer = io.BytesIO()
            single.save(buffer)
            single.close()
            yield ScanPage(first + index, buffer.getvalue(), PDF, texts)
    finally:
        pdf.close()


def scan_pages(files: list[tuple[bytes, FileKind]], wanted=lambda texts: texts) -> list[ScanPage]:
    """Every page of the uploaded files in order: each page of a PDF, each image as one page.
    `wanted` keeps the QR texts that matter. Raises ScanError when a file cannot be read."""
    from PIL import Image

    pages = []
    for data, kind in files:
        if kind == PDF:
            pages.extend(_pdf_pages(data, len(pages) + 1, wanted))
        elif kind in (PNG, JPEG):
            try:
                with Image.open(io.BytesIO(data)) as image:
                    image = image.convert("L")
            except (OSError, ValueError) as exc:
                raise ScanError(str(exc)) from None
            pages.append(ScanPage(len(pages) + 1, data, kind, wanted(qr_texts(image))))
        else:
            raise ScanError(kind.label)
        if len(pages) > MAX_PAGES:
            raise ScanError(f"{len(pages)} pages")
    return pages


def join_pages(pages: list[ScanPage]) -> tuple[bytes, FileKind]:
    """The evidence of consecutive pages as one file: a single page as it is, several as one
    PDF (an image becomes a PDF page at its own resolution)."""
    if len(pages) == 1:
        return pages[0].evidence, pages[0].kind
    import pypdfium2 as pdfium
    from PIL import Image

    joined = pdfium.PdfDocument.new()
    sources = []
    for page in pages:
        data = page.evidence
        if page.kind != PDF:
            buffer = io.BytesIO()
            with Image.open(io.BytesIO(data)) as image:
                dpi = image.info.get("dpi", (DPI, DPI))[0] or DPI
                image.convert("RGB").save(buffer, "PDF", resolution=float(dpi))
            data = buffer.getvalue()
        source = pdfium.PdfDocument(data)
        sources.append(source)
        joined.import_pages(source)
    buffer = io.BytesIO()
    joined.save(buffer)
    joined.close()
    for source in sources:
        source.close()
    return buffer.getvalue(), PDF
