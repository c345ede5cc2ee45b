"""Letterheads (kop surat) of the documents a district or a village prints: the lines at the
top and the office address under them. Commitment documents and village reports use them."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import VillageKind


@dataclass
class Letterhead:
    """The lines of a document's kop surat, the main one (`main_line`) printed larger, and the
    address under them."""

    lines: list[str]
    main_line: int = 0
    address: str = ""


def district_letterhead(district, *, area: str = "") -> Letterhead:
    """The district's own letterhead; `area` (e.g. "KECAMATAN WADO") under its name."""
    name = district.letterhead_name or district.default_letterhead_name()
    return Letterhead([name, *([area] if area else [])], 0, district.letterhead_address)


def village_letterhead(village, profile) -> Letterhead:
    """A village's own letterhead: PEMERINTAH DESA CIMUNGKAL / KECAMATAN WADO / KABUPATEN
    SUMEDANG, and the village office's address from its profile (none when the village has
    not given one: never the district's). A kelurahan is an office of the kota or kabupaten,
    so its letterhead starts with that government: PEMERINTAH KOTA BANDUNG / KECAMATAN
    SUKASARI / KELURAHAN SARIJADI."""
    district = village.district
    name = village.name.upper()
    kecamatan = _("KECAMATAN %(name)s") % {"name": village.kecamatan.name.upper()}
    address = profile.office_address if profile else ""
    if village.kind == VillageKind.KELURAHAN:
        government = district.letterhead_name or district.default_letterhead_name()
        lines = [government, kecamatan, _("KELURAHAN %(name)s") % {"name": name}]
        return Letterhead(lines, 2, address)
    if village.kind == VillageKind.DESA_ADAT:
        own = _("PEMERINTAH DESA ADAT %(name)s") % {"name": name}
    else:
        own = _("PEMERINTAH DESA %(name)s") % {"name": name}
    return Letterhead([own, kecamatan, district.name.upper()], 0, address)
