"""Signature sheets of a printed draft and the key printed on each.

The draft prints its signatories on sheets of SHEET_SIZE, each sheet on a page of its own
under a QR code: `KVG1:<version id>:<sheet>:<sheet size>:<content code>:<mac>`. The mac is an
HMAC with the SECRET_KEY over everything before it, so a key cannot be made up or altered
(a sheet number changed by hand, a key copied onto another document's sheet); the content
code ties the sheet to the wording and signatory list it was printed with, so a sheet printed
before a signatory was added or moved is not matched to the wrong people."""

import uuid
from dataclasses import dataclass

from django.utils.crypto import constant_time_compare, salted_hmac

PREFIX = "KVG1"
SHEET_SIZE = 9
SALT = "commitments.sheets"


def sheets_of(signatories: list) -> list[list]:
    """The signatories (in order) cut into sheets."""
    return [signatories[i : i + SHEET_SIZE] for i in range(0, len(signatories), SHEET_SIZE)]


def _mac(body: str) -> str:
    return salted_hmac(SALT, body, algorithm="sha256").hexdigest()[:20]


def sheet_key(version, sheet: int, content_code: str, size: int = SHEET_SIZE) -> str:
    body = f"{PREFIX}:{version.pk.hex}:{sheet}:{size}:{content_code[:12]}"
    return f"{body}:{_mac(body)}"


@dataclass(frozen=True)
class Key:
    version_id: uuid.UUID
    sheet: int
    size: int
    content_code: str


def looks_like_key(text: str) -> bool:
    return text.startswith(PREFIX + ":")


def read_key(text: str) -> Key | None:
    """The key's fields when `text` is a key this portal printed; None when it is not one or
    its mac does not match (forged or altered)."""
    if not looks_like_key(text):
        return None
    body, _sep, mac = text.rpartition(":")
    parts = body.split(":")
    if len(parts) != 5 or not constant_time_compare(mac, _mac(body)):
        return None
    _prefix, version, sheet, size, code = parts
    try:
        return Key(uuid.UUID(hex=version), int(sheet), int(size), code)
    except ValueError:
        return None
