"""Focus (lokus) villages: the Bupati's yearly decree, the villages it names and their figures.

The list is kept from a picker, one entry at a time, or from a CSV/XLSX file. A file is read
twice: once at upload for the preview, which is stored with the upload
(`plan_focus_import(...).as_preview()` on the FocusImport row, so that showing the preview
again reads nothing), and once inside the transaction that applies it
(`apply_focus_import`); one error anywhere means nothing changes, and errors name the line.
"""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import record
from lib import regioncodes, text
from lib.tabular import TableError, read_rows, truncated_errors
from lib.text import strip_bidi
from lib.uploads import JPEG, PDF, PNG, display_name, read_upload
from villages.models import District, Village

from .models import FocusDecree, FocusImport, FocusVillage

SCAN_KINDS = (PDF, PNG, JPEG)

# Import columns: header -> what it holds. Any other non-empty header is a figure of its own.
COLUMNS = [
    ("kode_desa", gettext_lazy("kode desa Kemendagri, mis. 32.11.01.2001 (wajib)")),
    ("prevalensi", gettext_lazy("prevalensi stunting dalam persen, 0–100; koma atau titik")),
    ("sumber_prevalensi", gettext_lazy("sumber dan tahun data, mis. e-PPGBM Agustus 2025")),
    ("balita_stunting", gettext_lazy("jumlah balita stunting, bilangan bulat")),
    ("catatan", gettext_lazy("catatan")),
]
FIELD_OF_COLUMN = {
    "prevalensi": "prevalence",
    "sumber_prevalensi": "prevalence_source",
    "balita_stunting": "stunted_children",
    "catatan": "note",
}
# Columns people add so that the file reads well; the portal knows these from the code.
DESCRIPTIVE = {"no", "nomor", "desa", "nama_desa", "kecamatan", "nama_kecamatan", "kode_kecamatan"}
MAX_FIGURES = 30
MAX_FIGURE_LABEL = 80
MAX_FIGURE_VALUE = 200
MAX_CHILDREN = 2_147_483_647
# A district has at most ~850 villages; a list longer than this is not a focus list.
MAX_IMPORT_ROWS = 1_000
MAX_IMPORT_UNCOMPRESSED = 20 * 1024 * 1024


# --- Reading helpers ------------------------------------------------------------------------


def focus_village_ids(district: District, year: int) -> set[int]:
    """Ids of every focus village of the district in `year` (empty when there is no decree).

    The whole list, whatever the caller's scope: the decree is the district's, and callers
    show only the villages they may."""
    return set(
        FocusVillage.objects.with_scope(district=district.pk, kecamatan=None, village=None)
        .filter(district=district, decree__year=year)
        .values_list("village_id", flat=True)
    )


def focus_history(villages) -> dict[int, list[int]]:
    """{village id: [years in which it was a focus village, ascending]}, in one query.

    The caller has already chosen which villages the user may see; their years are read from
    the decrees of the villages' own districts, whatever the caller's scope."""
    villages = list(villages)
    if not villages:
        return {}
    rows = (
        FocusVillage.objects.with_scope(
            district=sorted({v.district_id for v in villages}), kecamatan=None, village=None
        )
        .filter(village_id__in=[v.pk for v in villages])
        .values_list("village_id", "decree__year")
        .order_by("decree__year")
    )
    history: dict[int, list[int]] = {v.pk: [] for v in villages}
    for village_id, year in rows:
        history[village_id].append(year)
    return history


# --- The decree -----------------------------------------------------------------------------


def _read_scan(upload) -> tuple[bytes, object]:
    """The scan's bytes and kind, or ValidationError before anything is stored."""
    return read_upload(
        upload,
        SCAN_KINDS,
        _(
            "Pindaian SK harus berupa berkas PDF atau gambar PNG/JPEG. Berkas ini bukan "
            "salah satunya (isi berkas yang diperiksa, bukan namanya)."
        ),
    )


def _put_scan(decree: FocusDecree, upload, data: bytes, kind) -> str:
    """Store the new scan; the old file goes only once the new one is committed."""
    old = decree.scan.name if decree.scan else ""
    decree.scan.save("sk", ContentFile(data), save=False)
    decree.scan_name = display_name(upload, "sk", kind)
    decree.scan_sha256 = hashlib.sha256(data).hexdigest()
    if old:
        storage = decree.scan.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    return decree.scan_name


@transaction.atomic
def create_decree(
    *, district: District, year: int, number: str = "", signed_on: dt.date | None = None, by
) -> FocusDecree:
    """Set up a year: its decree, with no villages yet."""
    if FocusDecree.objects.filter(district=district, year=year).exists():
        raise ValidationError(_("SK lokus tahun %(year)s sudah ada.") % {"year": year})
    try:
        with transaction.atomic():
            decree = FocusDecree.objects.create(
                district=district,
                year=year,
                number=text.clean_one(number, 120).strip(),
                signed_on=signed_on,
                updated_by=by,
            )
    except IntegrityError as exc:  # a concurrent request set up the same year
        raise ValidationError(_("SK lokus tahun %(year)s sudah ada.") % {"year": year}) from exc
    record(
        "focus_decree_created",
        actor=by,
        district=district,
        target=str(year),
        number=decree.number,
        signed_on=signed_on.isoformat() if signed_on else "",
    )
    return decree


@transaction.atomic
def update_decree(
    *, decree: FocusDecree, number: str, signed_on: dt.date | None, scan=None, by
) -> FocusDecree:
    """Change the decree's number and date and, when given, replace its scan. A refused scan
    refuses the whole change."""
    number = text.clean_one(number, 120).strip()
    scan_data = _read_scan(scan) if scan is not None else None
    changed = []
    if number != decree.number:
        decree.number = number
        changed.append("number")
    if signed_on != decree.signed_on:
        decree.signed_on = signed_on
        changed.append("signed_on")
    scan_name = ""
    if scan_data is not None:
        scan_name = _put_scan(decree, scan, *scan_data)
        changed += ["scan", "scan_name", "scan_sha256"]
    if changed:
        decree.updated_by = by
        decree.save(update_fields=[*changed, "updated_by", "updated_at"])
        record(
            "focus_decree_updated",
            actor=by,
            district=decree.district,
            target=str(decree.year),
            fields=[f for f in changed if f not in ("scan_name", "scan_sha256")],
            number=decree.number,
            scan=scan_name,
            sha256=decree.scan_sha256 if scan_name else "",
        )
    return decree


@transaction.atomic
def store_decree_scan(*, decree: FocusDecree, upload, by) -> FocusDecree:
    """Store or replace the decree's scan: PDF, PNG or JPEG judged from the bytes, within
    settings.MAX_UPLOAD_BYTES. Nothing is stored when it is refused."""
    return update_decree(
        decree=decree, number=decree.number, signed_on=decree.signed_on, scan=upload, by=by
    )


# --- The list -------------------------------------------------------------------------------


@transaction.atomic
def set_focus_villages(*, decree: FocusDecree, village_ids, by) -> tuple[int, int]:
    """Make the decree's list exactly `village_ids` (from the picker). Returns (added, removed).

    Villages must be of the district; a village newly added must be active (one already on the
    list that has since been retired may stay)."""
    district = decree.district
    wanted = {int(v) for v in village_ids}
    current = set(
        FocusVillage.objects.filter(decree=decree, district=district).values_list(
            "village_id", flat=True
        )
    )
    new = wanted - current
    villages = {v.pk: v for v in Village.objects.filter(pk__in=new, district=district)}
    if set(villages) != new:
        raise ValidationError(_("Ada desa yang bukan desa di %(d)s.") % {"d": district.name})
    retired = [v.name for v in villages.values() if not v.is_active]
    if retired:
        raise ValidationError(
            _("Desa yang sudah tidak berlaku tidak dapat dipilih: %(v)s.")
            % {"v": ", ".join(sorted(retired))}
        )
    gone = current - wanted
    if gone:
        FocusVillage.objects.filter(decree=decree, district=district, village_id__in=gone).delete()
    FocusVillage.objects.bulk_create(
        [FocusVillage(decree=decree, district=district, village=villages[pk]) for pk in sorted(new)]
    )
    if new or gone:
        decree.updated_by = by
        decree.save(update_fields=["updated_by", "updated_at"])
        record(
            "focus_villages_set",
            actor=by,
            district=district,
            target=str(decree.year),
            added=sorted(v.code for v in villages.values()),
            removed=sorted(Village.objects.filter(pk__in=gone).values_list("code", flat=True)),
        )
    return len(new), len(gone)


@transaction.atomic
def update_focus_entry(
    *,
    entry: FocusVillage,
    prevalence: Decimal | None,
    prevalence_source: str,
    stunted_children: int | None,
    note: str,
    figures: dict | None = None,
    by,
) -> FocusVillage:
    """Change one entry's figures. `figures=None` keeps the other figures as they are."""
    if prevalence is not None and not Decimal(0) <= prevalence <= Decimal(100):
        raise ValidationError(_("Prevalensi harus antara 0 dan 100."))
    if stunted_children is not None and stunted_children < 0:
        raise ValidationError(_("Jumlah balita stunting tidak boleh negatif."))
    texts = text.cleaned(prevalence_source=(prevalence_source, 120), note=(note, 300))
    if figures is not None:
        figures = {strip_bidi(str(k)): strip_bidi(str(v)) for k, v in figures.items()}
        if len(figures) > MAX_FIGURES or any(
            len(k) > MAX_FIGURE_LABEL or len(v) > MAX_FIGURE_VALUE for k, v in figures.items()
        ):
            raise ValidationError(
                _("Paling banyak %(n)s data lain, judul %(label)s dan isi %(value)s karakter.")
                % {"n": MAX_FIGURES, "label": MAX_FIGURE_LABEL, "value": MAX_FIGURE_VALUE}
            )
    entry.prevalence = prevalence
    entry.prevalence_source = texts["prevalence_source"].strip()
    entry.stunted_children = stunted_children
    entry.note = texts["note"].strip()
    fields = ["prevalence", "prevalence_source", "stunted_children", "note"]
    if figures is not None:
        entry.figures = figures
        fields.append("figures")
    entry.save(update_fields=fields)
    record(
        "focus_village_updated",
        actor=by,
        district=entry.district,
        target=f"{entry.village.code} {entry.village.name}",
        year=entry.decree.year,
        prevalence=str(prevalence) if prevalence is not None else "",
        stunted_children=stunted_children,
    )
    return entry


@transaction.atomic
def remove_focus_village(*, entry: FocusVillage, by) -> None:
    year, village = entry.decree.year, entry.village
    entry.delete()
    record(
        "focus_village_removed",
        actor=by,
        district=village.district,
        target=f"{village.code} {village.name}",
        year=year,
    )


# --- Import ---------------------------------------------------------------------------------


@dataclass
class PlanRow:
    line: int
    village: Village
    values: dict  # model field -> value, only for the columns the file has
    changes: list = field(default_factory=list)  # (label, old, new) for villages already listed


@dataclass
class Plan:
    rows: int = 0
    refused: str = ""  # the file as a whole cannot be read (type, size, too many rows)
    errors: list = field(default_factory=list)  # "baris N: …"
    added: list = field(default_factory=list)  # PlanRow
    changed: list = field(default_factory=list)  # PlanRow with changes
    kept: list = field(default_factory=list)  # PlanRow, nothing to change
    removed: list = field(default_factory=list)  # FocusVillage
    figure_columns: list = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def as_preview(self) -> dict:
        """What the preview page shows, as JSON to store with the upload: the first errors
        (MAX_LISTED_ERRORS) with their total, or the villages added, changed and removed."""
        errors, more = truncated_errors([str(e) for e in self.errors])
        return {
            "rows": self.rows,
            "errors": errors,
            "error_count": len(self.errors),
            "more_errors": more,
            "added": [
                {
                    "line": r.line,
                    "code": r.village.code,
                    "name": r.village.name,
                    "kecamatan": r.village.kecamatan.name,
                }
                for r in self.added
            ],
            "changed": [
                {
                    "line": r.line,
                    "code": r.village.code,
                    "name": r.village.name,
                    "changes": [[str(label), old, new] for label, old, new in r.changes],
                }
                for r in self.changed
            ],
            "kept": len(self.kept),
            "removed": [
                {
                    "code": e.village.code,
                    "name": e.village.name,
                    "kecamatan": e.village.kecamatan.name,
                }
                for e in self.removed
            ],
            "figure_columns": self.figure_columns,
            "has_changes": self.has_changes,
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = strip_bidi(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _column_key(header) -> str:
    return re.sub(r"[\s\-]+", "_", _text(header).lower())


def _line(line: int, message: str) -> str:
    return _("baris %(line)s: %(message)s") % {"line": line, "message": message}


def parse_prevalence(value) -> Decimal | None:
    """A percentage 0–100 from a number cell or text with a comma or dot; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        text = _text(value).replace(" ", "").removesuffix("%").replace(",", ".")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError from exc
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise ValueError
    return number.quantize(Decimal("0.01"))


def _parse_count(value) -> int | None:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        number = int(value)
    else:
        text = _text(value)
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise ValueError
        number = int(text)
    if not 0 <= number <= MAX_CHILDREN:
        raise ValueError
    return number


def _show(name: str, value) -> str:
    if value is None or value == "" or value == {}:
        return "—"
    if name == "prevalence":
        return f"{formats.number_format(value)} %"
    if name == "figures":
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


FIELD_LABELS = {
    "prevalence": gettext_lazy("prevalensi"),
    "prevalence_source": gettext_lazy("sumber prevalensi"),
    "stunted_children": gettext_lazy("balita stunting"),
    "note": gettext_lazy("catatan"),
    "figures": gettext_lazy("data lain"),
}


def plan_focus_import(district: District, year: int, data: bytes, filename: str = "") -> Plan:  # noqa: C901
    """What applying the file would do to the year's list, or the errors of every bad line.

    A column that is in the file sets its field for every listed village (an empty cell
    clears it); a field whose column is absent keeps its value. Columns other than the known
    ones become the village's "other figures", replacing the ones it had."""
    plan = Plan()
    try:
        rows = list(
            read_rows(
                data,
                filename,
                max_rows=MAX_IMPORT_ROWS,  # lines, the header included
                max_uncompressed=MAX_IMPORT_UNCOMPRESSED,
            )
        )
    except TableError as exc:
        plan.refused = str(exc)
        plan.errors.append(str(exc))
        return plan
    if not rows:
        plan.errors.append(_("Berkas kosong."))
        return plan
    header_line, header = rows[0]
    keys = [_column_key(h) for h in header]
    if "kode_desa" not in keys:
        plan.errors.append(_line(header_line, _("kolom wajib kode_desa tidak ada.")))
        return plan
    index: dict[str, int] = {}
    figures: list[tuple[int, str]] = []
    seen_keys: set[str] = set()
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in seen_keys:
            plan.errors.append(
                _line(header_line, _("kolom %(c)s muncul dua kali.") % {"c": _text(header[i])})
            )
            continue
        seen_keys.add(key)
        if key == "kode_desa" or key in FIELD_OF_COLUMN:
            index[key] = i
        elif key not in DESCRIPTIVE:
            label = _text(header[i])
            if len(label) > MAX_FIGURE_LABEL:
                plan.errors.append(
                    _line(
                        header_line,
                        _("judul kolom terlalu panjang (maks. %(n)s karakter): %(c)s")
                        % {"n": MAX_FIGURE_LABEL, "c": label[:40] + "…"},
                    )
                )
            figures.append((i, label))
    if len(figures) > MAX_FIGURES:
        plan.errors.append(
            _line(
                header_line, _("terlalu banyak kolom data lain (maks. %(n)s).") % {"n": MAX_FIGURES}
            )
        )
    if plan.errors:
        return plan
    plan.figure_columns = [label for _i, label in figures]
    body = rows[1:]
    if not body:
        plan.errors.append(_("Berkas tidak berisi satu desa pun."))
        return plan

    def cell(cells, i):
        return cells[i] if i is not None and i < len(cells) else None

    code_at = index["kode_desa"]
    codes = {_text(cell(cells, code_at)) for _line_no, cells in body}
    villages = {
        v.code: v
        for v in Village.objects.filter(code__in=codes).select_related("district", "kecamatan")
    }
    decree = FocusDecree.objects.filter(district=district, year=year).first()
    current = (
        {
            e.village_id: e
            for e in FocusVillage.objects.filter(decree=decree, district=district).select_related(
                "village__kecamatan"
            )
        }
        if decree
        else {}
    )
    seen: dict[str, int] = {}
    listed: set[int] = set()
    for line, cells in body:
        plan.rows += 1
        code = _text(cell(cells, code_at))
        if not code:
            plan.errors.append(_line(line, _("kode_desa kosong.")))
            continue
        if regioncodes.parse_level(code) != regioncodes.Level.VILLAGE:
            plan.errors.append(
                _line(
                    line,
                    _("“%(code)s” bukan kode desa (contoh: 32.11.01.2001).") % {"code": code[:40]},
                )
            )
            continue
        if code in seen:
            plan.errors.append(
                _line(
                    line,
                    _("kode %(code)s sudah ada di baris %(n)s.") % {"code": code, "n": seen[code]},
                )
            )
            continue
        seen[code] = line
        village = villages.get(code)
        if village is None:
            plan.errors.append(
                _line(
                    line, _("kode desa %(code)s tidak ada dalam daftar wilayah.") % {"code": code}
                )
            )
            continue
        if village.district_id != district.pk:
            plan.errors.append(
                _line(
                    line,
                    _("%(code)s (%(name)s) bukan desa di %(district)s.")
                    % {"code": code, "name": village.name, "district": district.name},
                )
            )
            continue
        if not village.is_active:
            plan.errors.append(
                _line(
                    line,
                    _("desa %(code)s (%(name)s) sudah tidak berlaku di daftar wilayah.")
                    % {"code": code, "name": village.name},
                )
            )
            continue

        values: dict = {}
        bad = False
        if "prevalensi" in index:
            raw = cell(cells, index["prevalensi"])
            try:
                values["prevalence"] = parse_prevalence(raw)
            except ValueError:
                bad = True
                plan.errors.append(
                    _line(
                        line,
                        _("prevalensi “%(v)s” harus angka 0–100, mis. 23,5.")
                        % {"v": _text(raw)[:20]},
                    )
                )
        if "balita_stunting" in index:
            raw = cell(cells, index["balita_stunting"])
            try:
                values["stunted_children"] = _parse_count(raw)
            except ValueError:
                bad = True
                plan.errors.append(
                    _line(
                        line,
                        _("balita_stunting “%(v)s” harus bilangan bulat tidak negatif.")
                        % {"v": _text(raw)[:20]},
                    )
                )
        for column, name, limit in (
            ("sumber_prevalensi", "prevalence_source", 120),
            ("catatan", "note", 300),
        ):
            if column in index:
                text = _text(cell(cells, index[column]))
                if len(text) > limit:
                    bad = True
                    plan.errors.append(
                        _line(
                            line,
                            _("%(c)s terlalu panjang (maks. %(n)s karakter).")
                            % {"c": column, "n": limit},
                        )
                    )
                values[name] = text
        if figures:
            row_figures = {}
            for i, label in figures:
                text = _text(cell(cells, i))
                if len(text) > MAX_FIGURE_VALUE:
                    bad = True
                    plan.errors.append(
                        _line(
                            line,
                            _("isi kolom %(c)s terlalu panjang (maks. %(n)s karakter).")
                            % {"c": label, "n": MAX_FIGURE_VALUE},
                        )
                    )
                elif text:
                    row_figures[label] = text
            values["figures"] = row_figures
        if bad:
            continue

        row = PlanRow(line=line, village=village, values=values)
        entry = current.get(village.pk)
        listed.add(village.pk)
        if entry is None:
            plan.added.append(row)
            continue
        for name, new in values.items():
            old = getattr(entry, name)
            if old != new:
                row.changes.append((FIELD_LABELS[name], _show(name, old), _show(name, new)))
        (plan.changed if row.changes else plan.kept).append(row)
    plan.removed = [e for pk, e in current.items() if pk not in listed]
    plan.removed.sort(key=lambda e: e.village.code)
    return plan


@transaction.atomic
def apply_focus_import(job: FocusImport, *, by) -> Plan:
    """Replace the year's list with the file's villages, all or nothing.

    The job is claimed with a conditional update, so that it is applied once however often
    it is confirmed; the file is planned again inside the transaction and any error refuses
    the whole file (and releases the claim)."""
    claimed = FocusImport.objects.filter(
        pk=job.pk, district=job.district, applied_at__isnull=True
    ).update(applied_at=timezone.now())
    if not claimed:
        raise ValidationError(_("Berkas ini sudah diterapkan."))
    district = job.district
    decree = (
        FocusDecree.objects.select_for_update().filter(district=district, year=job.year).first()
    )
    if decree is None:
        raise ValidationError(_("SK lokus tahun %(year)s belum ada.") % {"year": job.year})
    with job.file.open("rb") as handle:
        data = handle.read()
    plan = plan_focus_import(district, job.year, data, job.original_name)
    if plan.errors:
        raise ValidationError(_("Berkas berisi kesalahan; tidak ada yang diubah."))
    if plan.removed:
        FocusVillage.objects.filter(
            decree=decree, district=district, pk__in=[e.pk for e in plan.removed]
        ).delete()
    FocusVillage.objects.bulk_create(
        [
            FocusVillage(decree=decree, district=district, village=row.village, **row.values)
            for row in plan.added
        ]
    )
    for row in plan.changed:
        FocusVillage.objects.filter(decree=decree, district=district, village=row.village).update(
            **row.values
        )
    decree.updated_by = by
    decree.save(update_fields=["updated_by", "updated_at"])
    job.refresh_from_db(fields=["applied_at"])
    record(
        "focus_imported",
        actor=by,
        district=district,
        target=job.original_name,
        year=job.year,
        added=[r.village.code for r in plan.added],
        changed=[r.village.code for r in plan.changed],
        removed=[e.village.code for e in plan.removed],
    )
    return plan
