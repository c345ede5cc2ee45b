"""Every export (CSV and XLSX) keeps text that a spreadsheet would run as a formula inert.

The exports are not listed by hand: every GET page of the walk's world (district A as its
admin, the roll-ups and national pages as the national admin) is opened, and those that answer
with a spreadsheet are read with the csv module and openpyxl. Before that, every free-text
column of the world starts with a formula, `=HYPERLINK("http://x.test/")…`: a name, a title, a
note, a reason, an activity. In what comes out, no XLSX cell is a formula and no text cell,
XLSX or CSV, starts with = + - @ (or a tab or carriage return) without the apostrophe that
makes a spreadsheet show it as text.
"""

import csv
import io

import pytest
from django.apps import apps
from django.db import DatabaseError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.accounts.test_url_access import _signed_in, own_patterns, url_kwargs

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x.test/")'
RUNS = ("=", "+", "-", "@", "\t", "\r")
OWN_APPS = {
    "accounts",
    "villages",
    "documents",
    "convergence",
    "village_reports",
    "rembuk",
    "commitments",
    "outcomes",
    "reports",
}
# columns a person types (or an import brings) and an export may carry
FREE_TEXT = {
    "name",
    "full_name",
    "title",
    "note",
    "remark",
    "reason",
    "activity",
    "caption",
    "position",
    "organisation",
    "target_indicator",
    "timeframe",
    "text",
    "venue",
    "chair",
    "agenda",
    "justification",
    "verdict",
    "progress_note",
    "label",
    "head_name",
    "number",
}


def _make_hostile() -> list[str]:
    """Prefix every free-text column of every row of our apps with HOSTILE; the columns that
    take it (long enough, no check refusing it) are returned."""
    done = []
    with scopes_disabled():
        for model in apps.get_models():
            if model._meta.app_label not in OWN_APPS or model._meta.proxy:
                continue
            for f in model._meta.concrete_fields:
                if f.name not in FREE_TEXT or not isinstance(
                    f, models.CharField | models.TextField
                ):
                    continue
                try:
                    with transaction.atomic():
                        model._base_manager.exclude(**{f.name: ""}).update(
                            **{f.name: Concat(Value(HOSTILE), F(f.name))}
                        )
                except DatabaseError:
                    continue  # too long for the column, or a code with a check
                done.append(f"{model._meta.label}.{f.name}")
    return done


def _export_urls(world, values):
    for p in own_patterns():
        rule = p.callback.access_rule
        if "GET" not in rule.methods or rule.kind not in ("district", "national", "rollup"):
            continue
        user = world.a.users["district_admin"] if rule.kind == "district" else world.national_admin
        for fmt in ("xlsx", "csv") if "fmt" in p.converters else (None,):
            kwargs = url_kwargs(p, world, world.a, values=values["a"])
            if fmt:
                kwargs["fmt"] = fmt
            yield p.name, reverse(p.name, kwargs=kwargs), user


def _inert(text: str) -> bool:
    if not text.startswith(RUNS):
        return True
    try:  # a negative number written as text in a CSV
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _xlsx_problems(body: bytes) -> tuple[list[str], bool]:
    from openpyxl import load_workbook

    problems, seen = [], False
    workbook = load_workbook(io.BytesIO(body))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{sheet.title}!{cell.coordinate} is a formula: {cell.value}")
                elif isinstance(cell.value, str):
                    seen = seen or HOSTILE in cell.value
                    if not _inert(cell.value):
                        problems.append(f"{sheet.title}!{cell.coordinate}: {cell.value[:60]}")
    return problems, seen


def _csv_problems(body: bytes) -> tuple[list[str], bool]:
    text = body.decode("utf-8-sig")
    problems, seen = [], False
    for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=";"), 1):
        for cell in row:
            seen = seen or HOSTILE in cell
            if not _inert(cell):
                problems.append(f"line {number}: {cell[:60]}")
    return problems, seen


def test_every_export_writes_formula_like_text_as_text(client, world, values):
    with transaction.atomic():
        columns = _make_hostile()
        assert len(columns) > 20, columns
        exports, carrying, problems = [], [], []
        for name, url, user in _export_urls(world, values):
            _signed_in(client, user)
            response = client.get(url)
            kind = response.get("Content-Type", "")
            if response.status_code != 200 or ("spreadsheet" not in kind and "csv" not in kind):
                continue
            body = b"".join(response.streaming_content) if response.streaming else response.content
            found, seen = (_xlsx_problems if "spreadsheet" in kind else _csv_problems)(body)
            exports.append(f"{name} ({'xlsx' if 'spreadsheet' in kind else 'csv'})")
            carrying += [url] if seen else []
            problems += [f"{url}: {p}" for p in found]
        transaction.set_rollback(True)
    # the board (xlsx, csv), its assessment, the outcome values (xlsx, csv), the village
    # reports, the dashboard, the province and national roll-ups
    assert len(exports) >= 8, exports
    assert len(carrying) >= 5, (exports, carrying)  # the hostile text did reach the exports
    assert not problems, "\n".join(problems)
