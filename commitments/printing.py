"""The commitment document as HTML for WeasyPrint: the final PDF of a fully signed version,
and the unsigned draft printed for wet signatures."""

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lib import formats
from lib.pdf import paper_css, render_pdf, stored_image_data_uri
from villages.letterheads import district_letterhead, village_letterhead
from villages.services import village_profile

from .models import DocumentVersion, Signature
from .sheets import sheet_key, sheets_of


def verify_url(version: DocumentVersion) -> str:
    return settings.SITE_URL + reverse("document_verify", kwargs={"token": version.verify_token})


def format_nip(nip: str) -> str:
    """19700101 199003 1 001: birth date, appointment, sex, serial."""
    if len(nip) != 18:
        return nip
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def local_time(dt, district) -> str:
    """dd-mm-yyyy hh:mm WIB: a moment as the district reads it on its documents."""
    return dt.astimezone(district.tz).strftime("%d-%m-%Y %H:%M ") + district.time_zone_short


def document_context(version: DocumentVersion, *, draft: bool = False) -> dict:
    document = version.document
    district = document.district
    signatories = list(version.signatories.select_related("signature").order_by("order"))
    blocks = []
    paper_pages = []
    for s in signatories:
        signature = getattr(s, "signature", None)
        if signature is not None and signature.method == Signature.Method.PAPER:
            paper_pages.append(
                (
                    s,
                    signature,
                    local_time(signature.signed_at, district),
                    formats.date_id(signature.paper_signed_on),
                )
            )
        blocks.append(
            {
                "signatory": s,
                "signature": signature,
                "signed_at": local_time(signature.signed_at, district) if signature else "",
                "signed_on": formats.date_id(signature.paper_signed_on)
                if signature and signature.paper_signed_on
                else "",
                "nip": format_nip(s.nip),
            }
        )
    url = verify_url(version)
    content_code = version.content_code(signatories)
    if document.village_id:
        letterhead = village_letterhead(document.village, village_profile(document.village))
    elif document.kecamatan_id:
        area = _("KECAMATAN %(name)s") % {"name": document.kecamatan.name.upper()}
        letterhead = district_letterhead(district, area=area)
    else:
        letterhead = district_letterhead(district)
    return {
        "version": version,
        "document": document,
        "district": district,
        "letterhead": letterhead,
        "page_css": paper_css(district.paper_size, margin="18mm"),
        "emblem": stored_image_data_uri(district.emblem),
        "blocks": blocks,
        "paper_pages": paper_pages,
        "draft": draft,
        "verify_url": url,
        # printed 32 mm wide with its 4-module quiet zone: a phone reads it from a photo of
        # the printed page, and it decodes from a 72 dpi scan
        "qr": None if draft else segno.make(url, error="m").svg_data_uri(scale=1, border=4),
        "content_code": content_code,
        "sheets": draft_sheets(version, blocks, content_code) if draft else [],
    }


def draft_sheets(version, blocks: list[dict], content_code: str) -> list[dict]:
    """The draft's signature blocks cut into sheets, each with its key as a QR code (see
    commitments.sheets): a scanned sheet is matched to the signatories printed on it."""
    cut = sheets_of(blocks)
    return [
        {
            "number": number,
            "blocks": sheet,
            "first": sheet[0]["signatory"].order,
            "last": sheet[-1]["signatory"].order,
            # 26 mm wide: 0.55 mm modules, read at 150 dpi (3.3 pixels a module)
            "qr": segno.make(sheet_key(version, number, content_code), error="m").svg_data_uri(
                scale=1, border=4
            ),
        }
        for number, sheet in enumerate(cut, start=1)
    ]


def document_html(version: DocumentVersion, *, draft: bool = False) -> str:
    """In Indonesian whatever the reader's language: it is the official document."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "commitments/print/document.html", document_context(version, draft=draft)
        )


def draft_pdf(version: DocumentVersion) -> bytes:
    return render_pdf(document_html(version, draft=True))
