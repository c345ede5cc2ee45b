"""Importing indicator values from CSV/XLSX, by Kemendagri code, for one district.

Columns: kode_wilayah (the district, one of its kecamatan or villages), indikator (a code of
the catalogue), tahun, bulan (optional), nilai, pembilang and penyebut (optional, together),
sumber, catatan. The file is read with the project's caps (lib.tabular) and each row is
parsed by a django-import-export Resource whose widgets speak the portal's number format (a
comma or a dot as the decimal mark). A file is planned at upload (its preview is stored with
it) and again inside the transaction that applies it: one bad line refuses everything, and
every error names its line ("baris N: …"). Another district's code is an error.

The national admin's file holds rows of many districts (plan_national_import): the file is
read once (read_table), its rows grouped by the district of their code, and each district's
rows planned by the same `plan_rows` inside that district's scope."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from accounts.audit import record
from accounts.tenancy import district_scope
from lib import regioncodes
from lib.tabular import TableError, read_rows, truncated_errors
from lib.text import strip_bidi
from villages.models import District, Kecamatan, Village

from .models import (
    Indicator,
    IndicatorValue,
    NationalOutcomeImport,
    OutcomeImport,
    Source,
    check_figures,
)
from .services import check_period

COLUMNS = [
    ("kode_wilayah", gettext_lazy("kode Kemendagri kabupaten/kota, kecamatan atau desa (wajib)")),
    ("indikator", gettext_lazy("kode indikator, mis. prevalensi_stunting (wajib)")),
    ("tahun", gettext_lazy("tahun pengukuran, mis. 2024 (wajib)")),
    ("bulan", gettext_lazy("bulan 1–12, bila sumbernya per bulan")),
    ("nilai", gettext_lazy("nilai; untuk persen 0–100, koma atau titik")),
    ("pembilang", gettext_lazy("pembilang, mis. jumlah balita stunting")),
    ("penyebut", gettext_lazy("penyebut, mis. jumlah balita diukur")),
    (
        "sumber",
        gettext_lazy("SSGI, SKI, Riskesdas, e-PPGBM, survei kabupaten atau lainnya (wajib)"),
    ),
    ("catatan", gettext_lazy("catatan")),
]
REQUIRED = ("kode_wilayah", "indikator", "tahun", "sumber")
# A district has at most ~850 villages; a few indicators and years each.
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_UNCOMPRESSED = 20 * 1024 * 1024
MAX_COUNT = 2_147_483_647

SOURCE_WORDS = {
    "ssgi": Source.SSGI,
    "ski": Source.SKI,
    "riskesdas": Source.RISKESDAS,
    "e-ppgbm": Source.EPPGBM,
    "eppgbm": Source.EPPGBM,
    "e-ppgbm / bulan timbang": Source.EPPGBM,
    "bulan timbang": Source.EPPGBM,
    "survei kabupaten": Source.DISTRICT_SURVEY,
    "survei": Source.DISTRICT_SURVEY,
    "survey": Source.DISTRICT_SURVEY,
    "lainnya": Source.OTHER,
    "other": Source.OTHER,
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_bidi(str(value)).strip()


class CellError(ValueError):
    """A cell that cannot be read; its message names the column."""


class TextWidget(widgets.Widget):
    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if len(text) > self.limit:
            raise CellError(_("terlalu panjang (maks. %(n)s karakter)") % {"n": self.limit})
        return text


class NumberWidget(widgets.Widget):
    """A decimal number from a number cell or text with a comma or a dot as decimal mark
    (no thousands separators: "1.234" would be ambiguous)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            raise CellError(_("harus angka"))
        if isinstance(value, int | float):
            number = Decimal(str(value))
        else:
            text = _text(value).replace(" ", "").removesuffix("%").replace(",", ".")
            if not text:
                return None
            try:
                number = Decimal(text)
            except InvalidOperation as exc:
                raise CellError(_("harus angka, mis. 23,5")) from exc
        if not number.is_finite() or number < 0:
            raise CellError(_("harus angka tidak negatif"))
        return number


class CountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            raise CellError(_("harus bilangan bulat"))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = _text(value)
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_COUNT:
            raise CellError(_("harus bilangan bulat tidak negatif"))
        return int(text)


class SourceWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = _text(value).lower()
        if not text:
            return None
        if text in Source.values:
            return text
        if text not in SOURCE_WORDS:
            raise CellError(
                _(
                    "“%(v)s” tidak dikenal; tulis SSGI, SKI, Riskesdas, e-PPGBM, "
                    "survei kabupaten atau lainnya"
                )
                % {"v": text[:30]}
            )
        return SOURCE_WORDS[text]


class OutcomeRowResource(resources.Resource):
    """The columns of a file of values and how each cell is read."""

    kode_wilayah = fields.Field(column_name="kode_wilayah", widget=TextWidget(20))
    indikator = fields.Field(column_name="indikator", widget=TextWidget(60))
    tahun = fields.Field(column_name="tahun", widget=CountWidget())
    bulan = fields.Field(column_name="bulan", widget=CountWidget())
    nilai = fields.Field(column_name="nilai", widget=NumberWidget())
    pembilang = fields.Field(column_name="pembilang", widget=CountWidget())
    penyebut = fields.Field(column_name="penyebut", widget=CountWidget())
    sumber = fields.Field(column_name="sumber", widget=SourceWidget())
    catatan = fields.Field(column_name="catatan", widget=TextWidget(300))

    def read(self, row: dict) -> tuple[dict, list[str]]:
        """The row's cleaned cells, and one message per cell that cannot be read."""
        values, errors = {}, []
        for name, column in self.fields.items():
            try:
                values[name] = column.clean(row)
            except CellError as exc:
                errors.append(f"{name} {exc}")
        return values, errors


@dataclass
class PlanRow:
    line: int
    area_code: str
    area_name: str
    indicator: Indicator
    key: dict  # kecamatan, village, year, month, source
    figures: dict  # value, numerator, denominator, note
    old: Decimal | None = None  # the value stored today for the same key


@dataclass
class Plan:
    rows: int = 0
    refused: str = ""
    errors: list = field(default_factory=list)
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    kept: list = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed)

    def as_preview(self) -> dict:
        errors, more = truncated_errors([str(e) for e in self.errors])

        def show(row):
            return {
                "line": row.line,
                "area": f"{row.area_name} ({row.area_code})",
                "indicator": row.indicator.name,
                "year": row.key["year"],
                "month": row.key["month"],
                "source": str(Source(row.key["source"]).label),
                "value": str(row.figures["value"]),
                "old": "" if row.old is None else str(row.old),
            }

        return {
            "rows": self.rows,
            "errors": errors,
            "error_count": len(self.errors),
            "more_errors": more,
            "added": [show(r) for r in self.added],
            "changed": [show(r) for r in self.changed],
            "kept": len(self.kept),
            "has_changes": self.has_changes,
        }


class LineError(str):
    """An error message that knows its line (a file of many districts lists them in order)."""

    line: int = 0


def _line(line: int, message: str) -> LineError:
    error = LineError(_("baris %(line)s: %(message)s") % {"line": line, "message": message})
    error.line = line
    return error


class FileRefused(Exception):
    """The file cannot be planned at all: unreadable (`refused`: nothing is stored), or its
    header or body is unusable (stored with its preview, which names the problem)."""

    def __init__(self, message: str, *, refused: bool = False):
        super().__init__(message)
        self.message = message
        self.refused = refused

    def as_plan(self) -> Plan:
        return Plan(refused=self.message if self.refused else "", errors=[self.message])


def read_table(
    data: bytes,
    filename: str = "",
    *,
    max_rows: int = MAX_IMPORT_ROWS,
    max_uncompressed: int = MAX_IMPORT_UNCOMPRESSED,
) -> tuple[list[str], list[tuple[int, list]]]:
    """The header's column keys and the body's (line, cells), or FileRefused: the file is
    read with the project's caps and its header checked for the required columns."""
    try:
        rows = list(read_rows(data, filename, max_rows=max_rows, max_uncompressed=max_uncompressed))
    except TableError as exc:
        raise FileRefused(str(exc), refused=True) from None
    if not rows:
        raise FileRefused(_("Berkas kosong."))
    header_line, header = rows[0]
    keys = [_text(h).lower().replace(" ", "_") for h in header]
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise FileRefused(
            _line(header_line, _("kolom wajib tidak ada: %(c)s.") % {"c": ", ".join(missing)})
        )
    if "nilai" not in keys and not {"pembilang", "penyebut"} <= set(keys):
        raise FileRefused(
            _line(header_line, _("perlu kolom nilai, atau kolom pembilang dan penyebut."))
        )
    body = rows[1:]
    if not body:
        raise FileRefused(_("Berkas tidak berisi satu nilai pun."))
    return keys, body


def row_reader(keys: list[str]):
    """A function turning a body row's cells into {column: raw cell} (the first column of a
    repeated name wins; a missing column reads as empty)."""
    index = {key: i for i, key in reversed(list(enumerate(keys))) if key}
    names = list(OutcomeRowResource().fields)

    def as_row(cells) -> dict:
        return {
            name: (cells[index[name]] if name in index and index[name] < len(cells) else None)
            for name in names
        }

    return as_row


def _areas(district: District, codes: set[str]):
    """{code: (kecamatan, village, name, district id)} for the codes that are areas at all."""
    found = {}
    for kecamatan in Kecamatan.objects.filter(code__in=codes):
        found[kecamatan.code] = (kecamatan, None, kecamatan.name, kecamatan.district_id)
    for village in Village.objects.filter(code__in=codes).select_related("kecamatan"):
        found[village.code] = (village.kecamatan, village, village.name, village.district_id)
    for other in District.objects.filter(code__in=codes):
        found[other.code] = (None, None, other.name, other.pk)
    return found


def plan_outcome_import(district: District, data: bytes, filename: str = "") -> Plan:
    """What applying the file would add or change, or the errors of every bad line."""
    try:
        keys, body = read_table(data, filename)
    except FileRefused as exc:
        return exc.as_plan()
    return plan_rows(district, keys, body)


def plan_rows(  # noqa: C901
    district: District, keys: list[str], body: list[tuple[int, list]], *, indicators=None
) -> Plan:
    """What the rows `body` (line, cells; columns named by `keys`) would add or change in
    `district`, or the errors of every bad line. Reads the district's stored values: the
    caller is inside the district's scope. `indicators` ({code: Indicator}) saves reading
    the catalogue again for each district of a national file."""
    plan = Plan()
    resource = OutcomeRowResource()
    as_row = row_reader(keys)
    codes = {_text(as_row(cells)["kode_wilayah"]) for _n, cells in body}
    areas = _areas(district, codes)
    if indicators is None:
        indicators = {i.code: i for i in Indicator.objects.all()}
    current = {
        (v.kecamatan_id, v.village_id, v.indicator_id, v.year, v.month, v.source): v.value
        for v in IndicatorValue.objects.filter(district=district)
    }
    seen: dict[tuple, int] = {}
    for line, cells in body:
        plan.rows += 1
        values, errors = resource.read(as_row(cells))
        if errors:
            plan.errors.extend(_line(line, e) for e in errors)
            continue
        code = values["kode_wilayah"]
        problems = []
        if not code:
            problems.append(_("kode_wilayah kosong."))
        elif regioncodes.parse_level(code) is None or code not in areas:
            problems.append(
                _("kode wilayah %(code)s tidak ada dalam daftar wilayah.") % {"code": code}
            )
        elif areas[code][3] != district.pk:
            problems.append(
                _("%(code)s (%(name)s) bukan wilayah %(district)s.")
                % {"code": code, "name": areas[code][2], "district": district.name}
            )
        indicator = indicators.get(values["indikator"])
        if indicator is None:
            problems.append(
                _("indikator “%(v)s” tidak ada dalam katalog.") % {"v": values["indikator"][:60]}
            )
        if values["tahun"] is None:
            problems.append(_("tahun kosong."))
        else:
            try:
                check_period(values["tahun"], values["bulan"])
            except ValidationError as exc:
                problems.append(exc.messages[0])
        if values["sumber"] is None:
            problems.append(_("sumber kosong."))
        if indicator is not None and not problems:
            try:
                value = check_figures(
                    indicator, values["nilai"], values["pembilang"], values["penyebut"]
                )
            except ValidationError as exc:
                problems.append(exc.messages[0])
        if problems:
            plan.errors.extend(_line(line, p) for p in problems)
            continue
        kecamatan, village, name, _district_id = areas[code]
        key = (
            kecamatan and kecamatan.pk,
            village and village.pk,
            indicator.pk,
            values["tahun"],
            values["bulan"],
            values["sumber"],
        )
        if key in seen:
            plan.errors.append(
                _line(line, _("nilai yang sama sudah ada di baris %(n)s.") % {"n": seen[key]})
            )
            continue
        seen[key] = line
        row = PlanRow(
            line=line,
            area_code=code,
            area_name=name,
            indicator=indicator,
            key={
                "kecamatan": kecamatan,
                "village": village,
                "year": values["tahun"],
                "month": values["bulan"],
                "source": values["sumber"],
            },
            figures={
                "value": value,
                "numerator": values["pembilang"],
                "denominator": values["penyebut"],
                "note": values["catatan"] or "",
            },
            old=current.get(key),
        )
        if key not in current:
            plan.added.append(row)
        elif current[key] != value:
            plan.changed.append(row)
        else:
            plan.kept.append(row)
    return plan


def _store(district: District, plan: Plan, *, by, target: str, **audit) -> None:
    """Write a planned district's added and changed values, and say so in its audit log.
    The caller is inside the district's scope and a transaction."""
    now = timezone.now()
    for row in plan.added + plan.changed:
        IndicatorValue.objects.update_or_create(
            district=district,
            indicator=row.indicator,
            **row.key,
            defaults={**row.figures, "entered_by": by, "entered_at": now},
        )
    record(
        "outcome_imported",
        actor=by,
        district=district,
        target=target,
        added=len(plan.added),
        changed=len(plan.changed),
        **audit,
    )


@transaction.atomic
def apply_outcome_import(upload: OutcomeImport, *, by) -> Plan:
    """Store the file's values, all or nothing, once (the upload is claimed by a conditional
    update); the file is planned again inside this transaction."""
    claimed = OutcomeImport.objects.filter(
        pk=upload.pk, district=upload.district, applied_at__isnull=True
    ).update(applied_at=timezone.now())
    if not claimed:
        raise ValidationError(_("Berkas ini sudah diterapkan."))
    district = upload.district
    with upload.file.open("rb") as handle:
        data = handle.read()
    plan = plan_outcome_import(district, data, upload.original_name)
    if plan.errors:
        raise ValidationError(_("Berkas berisi kesalahan; tidak ada yang diubah."))
    _store(district, plan, by=by, target=upload.original_name)
    return plan


# --- The national import: one file, rows of many districts --------------------------------------


@dataclass
class DistrictPart:
    """One district's rows of a national file and their plan."""

    district: District
    plan: Plan


@dataclass
class NationalPlan:
    rows: int = 0
    refused: str = ""
    errors: list = field(default_factory=list)  # every district's, in the file's line order
    parts: list[DistrictPart] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return any(part.plan.has_changes for part in self.parts)

    def counts(self) -> list[dict]:
        """Per district, in code order: what its rows would add, change or keep."""
        return [
            {
                "code": part.district.code,
                "name": part.district.name,
                "province": part.district.province.name,
                "rows": part.plan.rows,
                "added": len(part.plan.added),
                "changed": len(part.plan.changed),
                "kept": len(part.plan.kept),
                "errors": len(part.plan.errors),
            }
            for part in self.parts
        ]

    def as_preview(self) -> dict:
        errors, more = truncated_errors([str(e) for e in self.errors])
        districts = self.counts()
        return {
            "rows": self.rows,
            "errors": errors,
            "error_count": len(self.errors),
            "more_errors": more,
            "districts": districts,
            "added": sum(d["added"] for d in districts),
            "changed": sum(d["changed"] for d in districts),
            "kept": sum(d["kept"] for d in districts),
            "has_changes": self.has_changes,
        }


# All 514 districts with a few indicators, years and areas each.
MAX_NATIONAL_ROWS = 100_000
MAX_NATIONAL_UNCOMPRESSED = 60 * 1024 * 1024


def _district_code(code: str) -> str | None:
    """The district a district, kecamatan or village code belongs to (`32.11` for
    `32.11.01.2001`); None for a province code or a malformed one."""
    level = regioncodes.parse_level(code)
    if level is None or level < regioncodes.Level.DISTRICT:
        return None
    return ".".join(code.split(".")[:2])


def plan_national_import(data: bytes, filename: str = "") -> NationalPlan:
    """What applying a file of many districts would change in each, or the errors of every
    bad line of any district (with their own line numbers). The rows are grouped by the
    district of their code; each district's rows are planned inside that district's scope,
    exactly as its own admin's import would plan them."""
    try:
        keys, body = read_table(
            data,
            filename,
            max_rows=MAX_NATIONAL_ROWS,
            max_uncompressed=MAX_NATIONAL_UNCOMPRESSED,
        )
    except FileRefused as exc:
        return NationalPlan(refused=exc.message if exc.refused else "", errors=[exc.message])
    plan = NationalPlan(rows=len(body))
    as_row = row_reader(keys)
    groups: dict[str, list] = {}
    for line, cells in body:
        code = _text(as_row(cells)["kode_wilayah"])
        district_code = _district_code(code)
        if not code:
            plan.errors.append(_line(line, _("kode_wilayah kosong.")))
        elif district_code is None:
            plan.errors.append(
                _line(
                    line,
                    _("%(code)s bukan kode kabupaten/kota, kecamatan atau desa.")
                    % {"code": code[:20]},
                )
            )
        else:
            groups.setdefault(district_code, []).append((line, cells))
    districts = {
        d.code: d for d in District.objects.filter(code__in=groups).select_related("province")
    }
    indicators = {i.code: i for i in Indicator.objects.all()}
    for district_code in sorted(groups):
        rows = groups[district_code]
        district = districts.get(district_code)
        if district is None or not district.is_active:
            message = (
                _("kabupaten/kota %(code)s tidak ada dalam daftar wilayah.")
                if district is None
                else _("%(name)s (%(code)s) sudah tidak berlaku dalam daftar wilayah.")
            ) % {"code": district_code, "name": district and district.name}
            plan.errors.extend(_line(line, message) for line, _cells in rows)
            continue
        with district_scope(district):
            part = plan_rows(district, keys, rows, indicators=indicators)
        plan.parts.append(DistrictPart(district, part))
        plan.errors.extend(part.errors)
    plan.errors.sort(key=lambda error: getattr(error, "line", 0))
    return plan


@transaction.atomic
def apply_national_outcome_import(upload: NationalOutcomeImport, *, by) -> NationalPlan:
    """Store a national file's values in every district it names, all or nothing, once (the
    upload is claimed by a conditional update): the file is planned again inside this one
    transaction, and each district's values are written inside that district's scope, with
    an entry in its audit log."""
    claimed = NationalOutcomeImport.objects.filter(pk=upload.pk, applied_at__isnull=True).update(
        applied_at=timezone.now()
    )
    if not claimed:
        raise ValidationError(_("Berkas ini sudah diterapkan."))
    with upload.file.open("rb") as handle:
        data = handle.read()
    plan = plan_national_import(data, upload.original_name)
    if plan.errors:
        raise ValidationError(_("Berkas berisi kesalahan; tidak ada yang diubah."))
    for part in plan.parts:
        with district_scope(part.district):
            _store(
                part.district,
                part.plan,
                by=by,
                target=upload.original_name,
                national=True,
                kept=len(part.plan.kept),
            )
    return plan
