"""What an uploaded file really is, judged from its bytes, never from its name."""

import io
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from lib import formats


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extension: str


PDF = FileKind("PDF", "application/pdf", "pdf")
PNG = FileKind("PNG", "image/png", "png")
JPEG = FileKind("JPEG", "image/jpeg", "jpg")
XLSX = FileKind("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
DOCX = FileKind(
    "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
)
EVIDENCE_KINDS = (PDF, PNG, JPEG, XLSX, DOCX)


def sniff_kind(data: bytes) -> FileKind | None:
    """The file's kind from its content, or None when it is none of the kinds we accept.

    Office files are zip archives; they are told apart by the part that only each one has."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "xl/workbook.xml" in names:
            return XLSX
        if "word/document.xml" in names:
            return DOCX
    return None


# A 50-megapixel phone photo or a 600-dpi F4 scan; past this, decoding (thumbnails, PDFs)
# costs hundreds of megabytes. A PNG of a few kilobytes can declare 12,000 × 12,000 pixels.
MAX_IMAGE_PIXELS = 50_000_000


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the image's header alone: Pillow's Image.open decodes no
    pixels, so a decompression bomb costs nothing here. None when it is not a readable image
    (or declares more pixels than Pillow will even open)."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError:
        return (Image.MAX_IMAGE_PIXELS * 2 + 1, 1)
    except (OSError, ValueError, SyntaxError):
        return None


def check_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS, max_side: int = 0) -> None:
    """ValidationError unless `data` is a readable image within `max_pixels` (and, when given,
    `max_side` pixels on its longer side), judged from its header before anything decodes it."""
    size = image_size(data)
    if size is None:
        raise ValidationError(
            _("Gambar tidak dapat dibaca. Unggah gambar PNG atau JPEG yang utuh.")
        )
    width, height = size
    if width * height > max_pixels or (max_side and max(width, height) > max_side):
        if max_side:
            limit = _("%(n)s × %(n)s piksel") % {"n": formats.number(max_side)}
        else:
            limit = _("%(mp)d megapiksel") % {"mp": max_pixels // 1_000_000}
        raise ValidationError(
            _("Gambar terlalu besar (%(w)s × %(h)s piksel); paling besar %(limit)s.")
            % {
                "w": formats.number(width),
                "h": formats.number(height),
                "limit": limit,
            }
        )


EVIDENCE_REFUSED = _("Jenis berkas tidak diterima. Unggah PDF, gambar PNG/JPEG, XLSX atau DOCX.")
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")


def read_upload(upload, kinds=EVIDENCE_KINDS, refused=EVIDENCE_REFUSED) -> tuple[bytes, FileKind]:
    """The upload's bytes and real kind, or a ValidationError before anything is stored: larger
    than settings.MAX_UPLOAD_BYTES (the declared size and the bytes read), not one of `kinds`
    judged from the content, or an image of more than MAX_IMAGE_PIXELS (from its header)."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Berkas terlalu besar (%(size)s); batasnya %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    data = upload.read()
    if len(data) > limit:  # the declared size is the client's word
        raise ValidationError(
            _("Berkas terlalu besar; batasnya %(limit)s.") % {"limit": filesizeformat(limit)}
        )
    kind = sniff_kind(data)
    if kind not in kinds:
        raise ValidationError(refused)
    if kind in (PNG, JPEG):
        check_image(data)
    return data, kind


def clean_file_name(name: str | None, default: str, limit: int = 150) -> str:
    """An uploader's file name as it may be stored and shown: its last part only (no
    `../../etc/passwd`), without control characters (a line break would break the
    Content-Disposition header of its download) or the invisible ones that reverse text
    (`gpj.exe` shown as `exe.jpg`), without leading dots, at most `limit` characters; `default`
    when nothing is left."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf"))
    name = name.strip().lstrip(".").strip()[:limit]
    return name or default


def display_name(upload, default: str, kind: FileKind) -> str:
    """The name shown for a stored file: the uploader's stem with the extension of its real
    kind (the name on disk is random)."""
    name = clean_file_name(upload.name, default)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem.strip() or default}.{kind.extension}"


def private_file_response(handle, *, content_type: str, filename: str) -> FileResponse:
    """A stored upload served after the caller's checks: PDFs and images inline in a sandbox,
    anything else as a download; never sniffed, never cached."""
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        content_type=content_type if inline else content_type or "application/octet-stream",
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
