"""Region import, district set-up and village profiles.

`import_regions` takes the complete national list (or, with `partial`, a part of it) and makes
the database match it in one transaction: adds new areas, renames changed ones, retires areas
absent from a complete list (never deletes: records point at them) and reactivates areas
that come back. Any bad line stops the import before anything is written.
"""

import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.text import slugify

from accounts.audit import record
from accounts.tenancy import districts_scope
from lib import generations, regioncodes
from lib.regioncodes import Level
from lib.tabular import TableError, read_rows

from .models import Agency, District, Kecamatan, Province, Village, VillageProfile

LEVEL_MODELS = {
    Level.PROVINCE: Province,
    Level.DISTRICT: District,
    Level.KECAMATAN: Kecamatan,
    Level.VILLAGE: Village,
}
BATCH = 2000


@dataclass
class RegionRow:
    line: int
    code: str
    name: str
    level: Level


# The national list has ~91,600 lines (Kepmendagri 2025); a file far longer is not one.
MAX_REGION_ROWS = 150_000


class RegionImportError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    active: dict[Level, int] = field(default_factory=dict)
    added: int = 0
    renamed: int = 0
    retired: int = 0
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        return (
            f"provinces={self.active.get(Level.PROVINCE, 0)} "
            f"districts={self.active.get(Level.DISTRICT, 0)} "
            f"kecamatan={self.active.get(Level.KECAMATAN, 0)} "
            f"villages={self.active.get(Level.VILLAGE, 0)} "
            f"added={self.added} renamed={self.renamed} retired={self.retired}"
        )


def parse_region_file(data: bytes, filename: str = "") -> list[RegionRow]:
    """Read and check a `kode,nama` file. Raises RegionImportError naming every bad line."""
    errors: list[str] = []
    rows: list[RegionRow] = []
    try:
        raw_rows = list(read_rows(data, filename, max_rows=MAX_REGION_ROWS))
    except TableError as exc:
        raise RegionImportError([str(exc)]) from exc
    for index, (line, cells) in enumerate(raw_rows):
        cells = list(cells) + [None, None]
        code_cell, name_cell = cells[0], cells[1]
        if (
            index == 0
            and isinstance(code_cell, str)
            and code_cell.strip().lower()
            in {
                "kode",
                "code",
                "kode_wilayah",
            }
        ):
            continue  # header (optional)
        if code_cell is not None and not isinstance(code_cell, str):
            errors.append(
                f"baris {line}: kode {code_cell!r} ditulis sebagai angka; "
                "format kolom kode sebagai teks (misalnya 11.10, bukan 11.1)"
            )
            continue
        code = (code_cell or "").strip()
        name = str(name_cell).strip() if name_cell is not None else ""
        level = regioncodes.parse_level(code)
        if level is None:
            errors.append(
                f"baris {line}: kode {code!r} tidak sesuai format Kemendagri "
                "(NN, NN.NN, NN.NN.NN atau NN.NN.NN.NNNN)"
            )
            continue
        if not name:
            errors.append(f"baris {line}: nama kosong untuk kode {code}")
            continue
        if len(name) > 200:
            errors.append(f"baris {line}: nama untuk kode {code} lebih dari 200 karakter")
            continue
        rows.append(RegionRow(line, code, name, level))
    if not rows and not errors:
        errors.append("berkas tidak berisi satu baris wilayah pun")
    seen: dict[str, int] = {}
    for row in rows:
        if row.code in seen:
            errors.append(f"baris {row.line}: kode {row.code} sudah ada di baris {seen[row.code]}")
        else:
            seen[row.code] = row.line
    if errors:
        raise RegionImportError(errors)
    return rows


def _existing(model) -> dict[str, tuple[int, str, object]]:
    return {
        code: (pk, name, retired)
        for pk, code, name, retired in model.objects.values_list("id", "code", "name", "retired_at")
    }


def _unique_slug(code: str, name: str, taken: set[str]) -> str:
    kind = "kota" if regioncodes.district_is_kota(code) else "kab"
    bare = name
    for prefix in ("Kabupaten ", "Kota ", "Kab. "):
        if bare.startswith(prefix):
            bare = bare[len(prefix) :]
    slug = slugify(f"{kind} {bare}")[:70] or f"{kind}-{code.replace('.', '-')}"
    if slug in taken:
        slug = f"{slug}-{code.replace('.', '')}"
    taken.add(slug)
    return slug


@transaction.atomic
def import_regions(rows: list[RegionRow], *, partial: bool = False) -> ImportResult:
    started = time.monotonic()
    result = ImportResult()
    now = timezone.now()
    by_level: dict[Level, list[RegionRow]] = {level: [] for level in Level}
    for row in rows:
        by_level[row.level].append(row)

    existing = {level: _existing(model) for level, model in LEVEL_MODELS.items()}
    in_file = {row.code for row in rows}
    errors = []
    for row in rows:
        parent = regioncodes.parent_code(row.code)
        if parent and parent not in in_file and not (partial and parent in existing[row.level - 1]):
            errors.append(f"baris {row.line}: induk {parent} dari kode {row.code} tidak ada")
    if errors:
        raise RegionImportError(errors)

    ids: dict[Level, dict[str, int]] = {
        level: {code: values[0] for code, values in existing[level].items()} for level in Level
    }
    taken_slugs = set(District.objects.values_list("slug", flat=True))
    for level in Level:
        model = LEVEL_MODELS[level]
        current = existing[level]
        new_objects, renamed, revived = [], [], []
        for row in by_level[level]:
            found = current.get(row.code)
            if found is None:
                new_objects.append(_build(model, level, row, ids, taken_slugs))
                continue
            pk, name, retired = found
            if name != row.name:
                renamed.append(model(id=pk, name=row.name))
            if retired is not None:
                revived.append(pk)
        if new_objects:
            model.objects.bulk_create(new_objects, batch_size=BATCH)
            ids[level].update(
                dict(
                    model.objects.filter(code__in=[o.code for o in new_objects]).values_list(
                        "code", "id"
                    )
                )
                if any(o.pk is None for o in new_objects)
                else {o.code: o.pk for o in new_objects}
            )
        if renamed:
            model.objects.bulk_update(renamed, ["name"], batch_size=BATCH)
        for start in range(0, len(revived), BATCH):
            model.objects.filter(id__in=revived[start : start + BATCH]).update(retired_at=None)
        result.added += len(new_objects) + len(revived)
        result.renamed += len(renamed)
        if not partial:
            gone = [
                pk
                for code, (pk, _n, retired) in current.items()
                if retired is None and code not in in_file
            ]
            for start in range(0, len(gone), BATCH):
                model.objects.filter(id__in=gone[start : start + BATCH]).update(retired_at=now)
            result.retired += len(gone)
    seed_default_agencies(ids[Level.DISTRICT].values())
    if result.added or result.renamed or result.retired:
        # bulk writes send no signal: the pages kept under a district's data generation (the
        # names of its kecamatan and villages) and the roll-ups read the regions again
        for district_id in ids[Level.DISTRICT].values():
            generations.move(generations.DISTRICT_DATA, district_id)
        generations.move(generations.ROLLUP_DATA, generations.COUNTRY)
    for level, model in LEVEL_MODELS.items():
        result.active[level] = model.objects.active().count()
    result.seconds = time.monotonic() - started
    return result


def _build(model, level, row, ids, taken_slugs):
    if level == Level.PROVINCE:
        return Province(code=row.code, name=row.name)
    parent_id = ids[level - 1][regioncodes.parent_code(row.code)]
    if level == Level.DISTRICT:
        return District(
            code=row.code,
            name=row.name,
            province_id=parent_id,
            slug=_unique_slug(row.code, row.name, taken_slugs),
            time_zone=regioncodes.default_time_zone(row.code),
        )
    if level == Level.KECAMATAN:
        return Kecamatan(code=row.code, name=row.name, district_id=parent_id)
    district_code = row.code[:5]
    return Village(
        code=row.code,
        name=row.name,
        kecamatan_id=parent_id,
        district_id=ids[Level.DISTRICT][district_code],
    )


def region_counts() -> dict[str, int]:
    return {
        "provinces": Province.objects.active().count(),
        "districts": District.objects.active().count(),
        "kecamatan": Kecamatan.objects.active().count(),
        "villages": Village.objects.active().count(),
    }


# The agencies most districts have; each district edits its own list afterwards.
DEFAULT_AGENCIES = [
    ("BAPPEDA", "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah"),
    ("DINKES", "Dinas Kesehatan"),
    ("DPMD", "Dinas Pemberdayaan Masyarakat dan Desa"),
    ("DINSOS", "Dinas Sosial"),
    ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("DISPERKIM", "Dinas Perumahan dan Kawasan Permukiman"),
    ("DISDIK", "Dinas Pendidikan"),
    ("DP3AKB", "Dinas Pemberdayaan Perempuan, Perlindungan Anak dan Keluarga Berencana"),
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika"),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("DKP", "Dinas Ketahanan Pangan"),
    ("KEMENAG", "Kantor Kementerian Agama"),
    ("BAGHUKUM", "Bagian Hukum Sekretariat Daerah"),
]


def seed_default_agencies(district_ids) -> int:
    """The usual agencies for every district in `district_ids` that has none yet. A district
    gets them when it is created (the region import), so that OPD staff can be invited before
    anyone has opened the OPD page. Returns how many agencies were made."""
    district_ids = list(district_ids)
    # the region import runs nationally: it writes in each of these districts
    with districts_scope(district_ids):
        have = set(
            Agency.objects.filter(district_id__in=district_ids)
            .values_list("district_id", flat=True)
            .distinct()
        )
        rows = [
            Agency(district_id=district_id, short_name=short, name=name)
            for district_id in district_ids
            if district_id not in have
            for short, name in DEFAULT_AGENCIES
        ]
        Agency.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def ensure_default_agencies(district: District) -> int:
    return seed_default_agencies([district.pk])


def kecamatan_with_village_counts(district: District):
    return (
        Kecamatan.objects.active()
        .filter(district=district)
        .annotate(n_villages=Count("villages", distinct=True))
        .order_by("code")
    )


# --- Village profiles ---------------------------------------------------------------------------

PROFILE_FIELDS = ("office_address", "head_name", "secretary_name")


def village_profile(village: Village) -> VillageProfile:
    """The village's profile, or an empty unsaved one: a village that never filled it in
    prints without an address and with blank name lines. Read through the village, which the
    caller has already checked (a report's or a document's village)."""
    try:
        return village.profile
    except VillageProfile.DoesNotExist:
        return VillageProfile(village=village, district_id=village.district_id)


@transaction.atomic
def update_village_profile(*, village: Village, by, **values) -> VillageProfile:
    """Store the office address and the head's and secretary's names (`PROFILE_FIELDS`, text
    already cleaned by the form); records which fields changed."""
    profile = VillageProfile.objects.select_for_update().filter(
        village=village
    ).first() or VillageProfile(village=village, district_id=village.district_id)
    changed = sorted(k for k in PROFILE_FIELDS if getattr(profile, k) != values.get(k, ""))
    if not changed and profile.pk:
        return profile
    for key in PROFILE_FIELDS:
        setattr(profile, key, values.get(key, ""))
    profile.updated_by = by
    profile.save()
    record(
        "village_profile_updated",
        actor=by,
        district=village.district,
        target=str(village),
        fields=changed,
    )
    return profile
