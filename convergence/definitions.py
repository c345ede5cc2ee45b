"""Framework definitions as JSON documents: the shipped frameworks live in
convergence/frameworks/*.json, and national admins upload new versions in the same format.

`validate_definition` says everything that is wrong, by path; `create_framework` builds the
rows (it takes the model classes so that data migrations can pass their historical models).
"""

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

FRAMEWORK_DIR = Path(__file__).parent / "frameworks"
FIELD_TYPES = {"integer", "decimal", "rupiah", "text", "date"}
# the portal's own records a deliverable draws on (convergence.models.PortalRecords)
PORTAL_RECORDS = {"rembuk", "activity_plan"}
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class DefinitionError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def shipped_definition(code: str) -> dict:
    return json.loads((FRAMEWORK_DIR / f"{code}.json").read_text(encoding="utf-8"))


def parse_definition(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError([f"Berkas bukan JSON yang sah: {exc}"]) from exc
    errors = validate_definition(data)
    if errors:
        raise DefinitionError(errors)
    return data


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def validate_definition(data) -> list[str]:  # noqa: C901 - one flat list of checks reads best
    errors: list[str] = []
    if not isinstance(data, dict):
        return ["Isi berkas harus berupa objek JSON."]

    def need_text(obj, key, where, max_length=200):
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"{where}.{key}: wajib diisi (teks).")
        elif len(value) > max_length:
            errors.append(f"{where}.{key}: paling panjang {max_length} karakter.")

    if not isinstance(data.get("code"), str) or not CODE_RE.match(data["code"]):
        errors.append("code: huruf kecil, angka dan tanda hubung, 2–60 karakter.")
    need_text(data, "name", "kerangka")
    first, last = data.get("first_year"), data.get("last_year")
    if not isinstance(first, int) or not 2000 <= first <= 2100:
        errors.append("first_year: tahun 2000–2100.")
    if last is not None and (
        not isinstance(last, int) or not isinstance(first, int) or last < first
    ):
        errors.append("last_year: kosong (null) atau tahun ≥ first_year.")
    classes = data.get("classes", [])
    if not isinstance(classes, list):
        errors.append("classes: harus berupa daftar.")
    else:
        for i, entry in enumerate(classes, 1):
            if (
                not isinstance(entry, dict)
                or not entry.get("name")
                or _number(entry.get("min_percent")) is None
            ):
                errors.append(f"classes[{i}]: perlu name dan min_percent.")
    actions = data.get("actions")
    if not isinstance(actions, list) or not actions:
        errors.append("actions: paling sedikit satu aksi.")
        return errors
    numbers = set()
    for a, action in enumerate(actions, 1):
        where = f"aksi ke-{a}"
        if not isinstance(action, dict):
            errors.append(f"{where}: harus berupa objek.")
            continue
        number = action.get("number")
        if not isinstance(number, int) or number < 1 or number in numbers:
            errors.append(f"{where}.number: bilangan bulat ≥ 1 yang unik.")
        numbers.add(number)
        for key in ("code", "title", "lead_agency"):
            need_text(action, key, where)
        if action.get("kind", "main") not in ("main", "supporting"):
            errors.append(f"{where}.kind: main atau supporting.")
        month = action.get("due_month")
        if not isinstance(month, int) or not 1 <= month <= 12:
            errors.append(f"{where}.due_month: bulan 1–12.")
        stages = action.get("stages", [])
        if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
            errors.append(f"{where}.stages: daftar teks.")
        deliverables = action.get("deliverables")
        if not isinstance(deliverables, list) or not deliverables:
            errors.append(f"{where}.deliverables: paling sedikit satu keluaran.")
            deliverables = []
        for d, item in enumerate(deliverables, 1):
            dwhere = f"{where}.keluaran ke-{d}"
            if not isinstance(item, dict):
                errors.append(f"{dwhere}: harus berupa objek.")
                continue
            need_text(item, "title", dwhere)
            kind = item.get("kind", "document")
            if kind not in ("document", "data"):
                errors.append(f"{dwhere}.kind: document atau data.")
            dmonth = item.get("due_month")
            if dmonth is not None and (not isinstance(dmonth, int) or not 1 <= dmonth <= 12):
                errors.append(f"{dwhere}.due_month: kosong atau bulan 1–12.")
            records = item.get("portal_records", "")
            if records and records not in PORTAL_RECORDS:
                errors.append(
                    f"{dwhere}.portal_records: kosong atau salah satu dari "
                    f"{', '.join(sorted(PORTAL_RECORDS))}."
                )
            if not isinstance(item.get("kecamatan_stage", False), bool):
                errors.append(f"{dwhere}.kecamatan_stage: true atau false.")
            fields = item.get("fields", [])
            if kind == "data" and (not isinstance(fields, list) or not fields):
                errors.append(f"{dwhere}.fields: keluaran data perlu paling sedikit satu isian.")
                fields = []
            keys = set()
            for f, field in enumerate(fields if isinstance(fields, list) else [], 1):
                fwhere = f"{dwhere}.isian ke-{f}"
                if not isinstance(field, dict):
                    errors.append(f"{fwhere}: harus berupa objek.")
                    continue
                key = field.get("key")
                if not isinstance(key, str) or not KEY_RE.match(key) or key in keys:
                    errors.append(f"{fwhere}.key: huruf kecil/angka/garis bawah, unik.")
                keys.add(key)
                need_text(field, "label", fwhere)
                if field.get("type") not in FIELD_TYPES:
                    errors.append(
                        f"{fwhere}.type: salah satu dari {', '.join(sorted(FIELD_TYPES))}."
                    )
        indicators = action.get("indicators", [])
        if not isinstance(indicators, list):
            errors.append(f"{where}.indicators: harus berupa daftar.")
            indicators = []
        for i, indicator in enumerate(indicators, 1):
            iwhere = f"{where}.indikator ke-{i}"
            if not isinstance(indicator, dict):
                errors.append(f"{iwhere}: harus berupa objek.")
                continue
            need_text(indicator, "text", iwhere, max_length=2000)
            weight = _number(indicator.get("weight"))
            if weight is None or weight <= 0:
                errors.append(f"{iwhere}.weight: angka > 0.")
            options = indicator.get("options")
            if not isinstance(options, list) or len(options) < 2:
                errors.append(f"{iwhere}.options: paling sedikit dua pilihan nilai.")
                continue
            grades = set()
            for o, option in enumerate(options, 1):
                owhere = f"{iwhere}.pilihan ke-{o}"
                if not isinstance(option, dict):
                    errors.append(f"{owhere}: harus berupa objek.")
                    continue
                grade = option.get("grade")
                if not isinstance(grade, str) or not grade or len(grade) > 8 or grade in grades:
                    errors.append(f"{owhere}.grade: teks pendek yang unik.")
                grades.add(grade)
                points = _number(option.get("points"))
                if points is None or points < 0:
                    errors.append(f"{owhere}.points: angka ≥ 0.")
    return errors


MODEL_NAMES = ("Framework", "Action", "DeliverableTemplate", "Indicator", "GradeOption")


def _app_models() -> dict:
    from . import models

    return {name: getattr(models, name) for name in MODEL_NAMES}


def create_framework(
    data: dict,
    *,
    status: str,
    models=None,
    created_by=None,
    published_at=None,
):
    """Rows for one validated definition. `models` maps names to model classes (historical
    ones in migrations; the app's own by default)."""
    models = models or _app_models()
    Framework = models["Framework"]
    framework = Framework.objects.create(
        code=data["code"],
        name=data["name"],
        description=data.get("description", ""),
        first_year=data["first_year"],
        last_year=data.get("last_year"),
        classes=data.get("classes", []),
        status=status,
        published_at=published_at,
        created_by=created_by,
    )
    Template = models["DeliverableTemplate"]
    # the historical model of the data migration that first loaded the shipped frameworks
    # predates portal_records (0009 marks them)
    has_records = any(f.name == "portal_records" for f in Template._meta.get_fields())
    has_stage = any(f.name == "kecamatan_stage" for f in Template._meta.get_fields())
    for a in data["actions"]:
        action = models["Action"].objects.create(
            framework=framework,
            number=a["number"],
            code=a["code"],
            title=a["title"],
            kind=a.get("kind", "main"),
            description=a.get("description", ""),
            lead_agency=a["lead_agency"],
            due_month=a["due_month"],
            stages=a.get("stages", []),
        )
        for n, d in enumerate(a["deliverables"], 1):
            extra = {}
            if has_records:
                extra["portal_records"] = d.get("portal_records", "")
            if has_stage:
                extra["kecamatan_stage"] = d.get("kecamatan_stage", False)
            Template.objects.create(
                action=action,
                number=n,
                title=d["title"],
                description=d.get("description", ""),
                kind=d.get("kind", "document"),
                due_month=d.get("due_month"),
                fields=d.get("fields", []),
                **extra,
            )
        for n, i in enumerate(a.get("indicators", []), 1):
            indicator = models["Indicator"].objects.create(
                action=action, number=n, text=i["text"], weight=Decimal(str(i["weight"]))
            )
            models["GradeOption"].objects.bulk_create(
                models["GradeOption"](
                    indicator=indicator,
                    grade=o["grade"],
                    description=o.get("description", ""),
                    points=Decimal(str(o["points"])),
                    position=p,
                )
                for p, o in enumerate(i["options"])
            )
    return framework


SHIPPED = ("8-aksi-2018", "model-2025")


def ensure_shipped_frameworks(models=None) -> int:
    """Load the shipped frameworks that are missing (the data migration, and tests whose
    database was flushed, use this)."""
    from django.utils import timezone

    models = models or _app_models()
    created = 0
    for code in SHIPPED:
        if models["Framework"].objects.filter(code=code).exists():
            continue
        data = shipped_definition(code)
        errors = validate_definition(data)
        if errors:
            raise ValueError(f"{code}: {errors}")
        create_framework(data, models=models, status="published", published_at=timezone.now())
        created += 1
    return created


def framework_as_definition(framework) -> dict:
    """The definition of an existing framework, for download and for new versions."""

    def number(value: Decimal):
        return int(value) if value == value.to_integral_value() else float(value)

    return {
        "code": framework.code,
        "name": framework.name,
        "description": framework.description,
        "first_year": framework.first_year,
        "last_year": framework.last_year,
        "classes": framework.classes,
        "actions": [
            {
                "number": a.number,
                "code": a.code,
                "title": a.title,
                "kind": a.kind,
                "description": a.description,
                "lead_agency": a.lead_agency,
                "due_month": a.due_month,
                "stages": a.stages,
                "deliverables": [
                    {
                        "title": d.title,
                        "description": d.description,
                        "kind": d.kind,
                        "due_month": d.due_month,
                        **({"fields": d.fields} if d.fields else {}),
                        **({"portal_records": d.portal_records} if d.portal_records else {}),
                        **({"kecamatan_stage": True} if d.kecamatan_stage else {}),
                    }
                    for d in a.deliverables.all()
                ],
                "indicators": [
                    {
                        "text": i.text,
                        "weight": number(i.weight),
                        "options": [
                            {
                                "grade": o.grade,
                                "description": o.description,
                                "points": number(o.points),
                            }
                            for o in i.options.all()
                        ],
                    }
                    for i in a.indicators.all()
                ],
            }
            for a in framework.actions.prefetch_related("deliverables", "indicators__options")
        ],
    }
