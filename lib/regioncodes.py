"""Kemendagri region codes: `17`, `17.07`, `17.07.01`, `17.07.01.2001`.

The level and the parent of an area are read from its code alone. In a village code the
4-digit part starts with 1 for a kelurahan, 2 for a desa and 3 for a desa adat.
"""

import re
from enum import IntEnum

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


class Level(IntEnum):
    PROVINCE = 1
    DISTRICT = 2
    KECAMATAN = 3
    VILLAGE = 4


VILLAGE_KINDS = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}


def parse_level(code: str) -> Level | None:
    """The level of a well-formed code, or None when the code is malformed."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        return None
    level = Level(code.count(".") + 1)
    if code[:2] == "00":
        return None
    if level >= Level.DISTRICT and code[3:5] == "00":
        return None
    if level >= Level.KECAMATAN and code[6:8] == "00":
        return None
    if level == Level.VILLAGE and code[9] not in VILLAGE_KINDS:
        return None
    return level


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def village_kind(code: str) -> str:
    return VILLAGE_KINDS[code.split(".")[3][0]]


def district_is_kota(code: str) -> bool:
    """Kabupaten are numbered 01-69 within a province, kota 71-99."""
    return int(code.split(".")[1]) >= 70


# Province codes by time zone (Permendagri/Keppres on the three Indonesian time zones).
# Used as the default for a new district; each district can change its own.
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT_PROVINCES_PREFIX = ("8", "9")


def default_time_zone(code: str) -> str:
    province = code[:2]
    if province.startswith(WIT_PROVINCES_PREFIX):
        return "Asia/Jayapura"
    if province in WITA_PROVINCES:
        return "Asia/Makassar"
    return "Asia/Jakarta"
