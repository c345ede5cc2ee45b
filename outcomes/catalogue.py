"""The indicator catalogue as shipped reference data: outcomes/catalogues/*.json, loaded by a
data migration (and again, idempotently, by `ensure_catalogues`). A file holds the indicators
with their national targets (each with its source; a target that could not be confirmed from
the regulation carries "(?)" in its note) and the national measured series."""

import json
from decimal import Decimal
from pathlib import Path

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
SHIPPED = ["perpres-72-2021"]
MODEL_NAMES = ("Catalogue", "Indicator", "NationalFigure")


def read_catalogue(code: str) -> dict:
    return json.loads((CATALOGUE_DIR / f"{code}.json").read_text(encoding="utf-8"))


def ensure_catalogues(models: dict | None = None) -> None:
    """Create or update the shipped catalogues. `models` maps MODEL_NAMES to model classes
    (the migration's historical ones; by default the real ones)."""
    if models is None:
        from django.apps import apps

        models = {name: apps.get_model("outcomes", name) for name in MODEL_NAMES}
    Catalogue, Indicator, NationalFigure = (models[name] for name in MODEL_NAMES)
    for code in SHIPPED:
        data = read_catalogue(code)
        catalogue, _created = Catalogue.objects.update_or_create(
            code=data["code"],
            defaults={"name": data["name"], "source": data["source"], "note": data["note"]},
        )
        indicators = {}
        for number, entry in enumerate(data["indicators"], start=1):
            indicator, _created = Indicator.objects.update_or_create(
                code=entry["code"],
                defaults={
                    "catalogue": catalogue,
                    "name": entry["name"],
                    "group": entry["group"],
                    "unit": entry["unit"],
                    "lower_is_better": entry.get("lower_is_better", False),
                    "number": number,
                },
            )
            indicators[entry["code"]] = indicator
            for target in entry["targets"]:
                NationalFigure.objects.update_or_create(
                    indicator=indicator,
                    kind="target",
                    year=target["year"],
                    defaults={
                        "value": Decimal(target["value"]),
                        "source": target["source"],
                        "note": target.get("note", ""),
                    },
                )
        for point in data["national_series"]:
            NationalFigure.objects.update_or_create(
                indicator=indicators[point["indicator"]],
                kind="measured",
                year=point["year"],
                defaults={
                    "value": Decimal(point["value"]),
                    "source": point["source"],
                    "note": point.get("note", ""),
                },
            )
