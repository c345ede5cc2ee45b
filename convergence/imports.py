"""Bulk update of deliverable metadata from CSV/XLSX: the board's own export, edited.

The file is read twice: once at upload for the preview, which is stored with the upload
(`plan_import(...).as_preview()` on the BoardImport row, so that showing the preview again
reads nothing), once inside the transaction that applies it (`apply_import`). Any error
anywhere means nothing changes; errors name the line.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import record
from lib import generations
from lib.tabular import TableError, read_rows, truncated_errors
from villages.models import Agency

from .models import BoardImport, Deliverable, DistrictYear, YearAction
from .services import work_members

COLUMNS = [
    ("aksi", gettext_lazy("nomor aksi (wajib)")),
    ("keluaran", gettext_lazy("nomor keluaran dalam aksi (wajib)")),
    ("tenggat", gettext_lazy("tanggal tenggat: 2026-03-31 atau 31/03/2026")),
    ("opd", gettext_lazy("singkatan OPD pengampu aksi, mis. DINKES")),
    ("penanggung_jawab", gettext_lazy("email penanggung jawab aksi, dipisah titik koma")),
    ("catatan", gettext_lazy("catatan keluaran")),
]
REQUIRED = {"aksi", "keluaran"}
# A year has a few dozen deliverables; a file longer than this is not the board.
MAX_IMPORT_ROWS = 1_000
MAX_IMPORT_UNCOMPRESSED = 20 * 1024 * 1024
DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass
class Change:
    line: int
    what: str
    field: str
    old: str
    new: str


@dataclass
class Plan:
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line, message)
    rows: int = 0
    refused: str = ""  # the file as a whole cannot be read (type, size, too many rows)
    # what apply_import writes
    due: dict = field(default_factory=dict)  # deliverable -> date
    notes: dict = field(default_factory=dict)  # deliverable -> text
    agencies: dict = field(default_factory=dict)  # year_action -> agency
    responsible: dict = field(default_factory=dict)  # year_action -> [users]

    def as_preview(self) -> dict:
        """What the preview page shows, as JSON to store with the upload: the first errors
        (MAX_LISTED_ERRORS) with their total, or the changes."""
        errors, more = truncated_errors([[line, str(message)] for line, message in self.errors])
        return {
            "rows": self.rows,
            "errors": errors,
            "error_count": len(self.errors),
            "more_errors": more,
            "changes": [
                {"line": c.line, "what": c.what, "field": c.field, "old": c.old, "new": c.new}
                for c in self.changes
            ],
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def plan_import(district_year: DistrictYear, data: bytes) -> Plan:  # noqa: C901
    plan = Plan()
    district = district_year.district
    if district_year.is_locked:
        plan.errors.append((0, _("Tahun ini sudah dikunci.")))
        return plan
    try:
        rows = list(
            read_rows(
                data,
                max_rows=MAX_IMPORT_ROWS,  # lines, the header included
                max_uncompressed=MAX_IMPORT_UNCOMPRESSED,
            )
        )
    except TableError as exc:
        plan.refused = str(exc)
        plan.errors.append((0, str(exc)))
        return plan
    if not rows:
        plan.errors.append((0, _("Berkas kosong.")))
        return plan
    header_line, header = rows[0]
    names = [_text(c).lower() for c in header]
    missing = REQUIRED - set(names)
    if missing:
        plan.errors.append(
            (header_line, _("Kolom wajib tidak ada: %(c)s.") % {"c": ", ".join(sorted(missing))})
        )
        return plan
    index = {name: i for i, name in enumerate(names) if name}

    deliverables = {
        (d.year_action.action.number, d.template.number): d
        for d in Deliverable.objects.filter(
            year_action__district_year=district_year
        ).select_related("template", "year_action__action", "year_action__lead_agency")
    }
    responsible_now = {
        ya.pk: sorted(u.email for u in ya.responsible.all())
        for ya in YearAction.objects.filter(district_year=district_year).prefetch_related(
            "responsible"
        )
    }
    agencies = {
        a.short_name.upper(): a for a in Agency.objects.filter(district=district, is_active=True)
    }
    members = {m.user.email.lower(): m.user for m in work_members(district)}
    seen = {}
    year = district_year.year

    def cell(cells, name):
        i = index.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    for line, cells in rows[1:]:
        plan.rows += 1
        action_no, item_no = _text(cell(cells, "aksi")), _text(cell(cells, "keluaran"))
        if not action_no.isdigit() or not item_no.isdigit():
            plan.errors.append((line, _("aksi dan keluaran harus nomor, mis. 1 dan 2.")))
            continue
        key = (int(action_no), int(item_no))
        deliverable = deliverables.get(key)
        if deliverable is None:
            plan.errors.append(
                (
                    line,
                    _("Aksi %(a)s keluaran %(k)s tidak ada pada tahun ini.")
                    % {"a": key[0], "k": key[1]},
                )
            )
            continue
        if key in seen:
            plan.errors.append(
                (line, _("Keluaran ini sudah ada di baris %(n)s.") % {"n": seen[key]})
            )
            continue
        seen[key] = line
        ya = deliverable.year_action
        label = f"{ya.action.code} · {deliverable.template.title}"

        raw_due = cell(cells, "tenggat")
        if _text(raw_due):
            due = _parse_date(raw_due)
            if due is None:
                plan.errors.append(
                    (line, _("tenggat %(v)r bukan tanggal.") % {"v": _text(raw_due)})
                )
            elif not year - 1 <= due.year <= year + 1:
                plan.errors.append(
                    (line, _("tenggat %(d)s jauh dari tahun %(y)s.") % {"d": due, "y": year})
                )
            elif due != deliverable.due_date:
                plan.due[deliverable] = due
                plan.changes.append(
                    Change(line, label, "tenggat", str(deliverable.due_date), str(due))
                )

        note = _text(cell(cells, "catatan"))
        if note and note != deliverable.note:
            if len(note) > 5000:
                plan.errors.append((line, _("catatan terlalu panjang (maks. 5000 karakter).")))
            else:
                plan.notes[deliverable] = note
                plan.changes.append(Change(line, label, "catatan", deliverable.note, note))

        short = _text(cell(cells, "opd")).upper()
        if short:
            agency = agencies.get(short)
            if agency is None:
                plan.errors.append(
                    (line, _("OPD %(s)s tidak dikenal di daerah ini.") % {"s": short})
                )
            elif ya in plan.agencies and plan.agencies[ya] != agency:
                plan.errors.append((line, _("OPD berbeda dari baris lain untuk aksi yang sama.")))
            elif agency != ya.lead_agency and ya not in plan.agencies:
                plan.agencies[ya] = agency
                old = ya.lead_agency.short_name if ya.lead_agency else ""
                plan.changes.append(Change(line, ya.action.code, "opd", old, short))

        emails = [
            e.strip().lower()
            for e in _text(cell(cells, "penanggung_jawab")).split(";")
            if e.strip()
        ]
        if emails:
            unknown = [e for e in emails if e not in members]
            if unknown:
                plan.errors.append(
                    (line, _("Bukan admin/staf OPD daerah ini: %(e)s.") % {"e": ", ".join(unknown)})
                )
            else:
                users = [members[e] for e in sorted(set(emails))]
                if ya in plan.responsible and plan.responsible[ya] != users:
                    plan.errors.append(
                        (line, _("Penanggung jawab berbeda dari baris lain untuk aksi yang sama."))
                    )
                elif (
                    sorted(u.email for u in users) != responsible_now[ya.pk]
                    and ya not in plan.responsible
                ):
                    plan.responsible[ya] = users
                    plan.changes.append(
                        Change(
                            line,
                            ya.action.code,
                            "penanggung_jawab",
                            "; ".join(responsible_now[ya.pk]),
                            "; ".join(u.email for u in users),
                        )
                    )
    return plan


@transaction.atomic
def apply_import(job: BoardImport, *, by) -> Plan:
    """All or nothing: re-plan inside the transaction, refuse on any error, claim the job once."""
    claimed = BoardImport.objects.filter(pk=job.pk, applied_at__isnull=True).update(
        applied_at=timezone.now()
    )
    if not claimed:
        raise ValidationError(_("Berkas ini sudah diterapkan."))
    with job.file.open("rb") as handle:
        plan = plan_import(job.district_year, handle.read())
    if plan.errors:
        raise ValidationError(_("Berkas berisi kesalahan; tidak ada yang diubah."))
    for deliverable, due in plan.due.items():
        deliverable.due_date = due
    for deliverable, note in plan.notes.items():
        deliverable.note = note
    touched = set(plan.due) | set(plan.notes)
    Deliverable.objects.bulk_update(touched, ["due_date", "note"])
    # a bulk update sends no signal: the kept board and dashboard read the new dates next view
    generations.move(generations.DISTRICT_DATA, job.district_year.district_id)
    for ya, agency in plan.agencies.items():
        ya.lead_agency = agency
        ya.save(update_fields=["lead_agency"])
    for ya, users in plan.responsible.items():
        ya.responsible.set(users)
    record(
        "board_imported",
        actor=by,
        district=job.district,
        target=job.original_name,
        year=job.district_year.year,
        changes=len(plan.changes),
    )
    return plan
