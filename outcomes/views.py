"""Outcome data pages (/<district>/capaian/…): the district's figures with their sources, the
prevalence trend against the targets, prevalence by kecamatan, and the admin's forms and
import; and the national admin's import of one file for many districts
(/nasional/capaian/impor/)."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.once import submitted_once
from accounts.policy import (
    NATIONAL_PERMISSIONS,
    district_view,
    may_see_area,
    memberships_of,
    national_roles,
    national_view,
)
from documents.imports import confirm_import
from documents.views import district_job_urls, national_job_urls
from lib import charts, formats, regioncodes, stale
from lib.uploads import clean_file_name
from villages.models import Kecamatan, Village

from . import exports, imports, services, summaries
from .forms import FiguresForm, TargetForm, UploadForm, ValueForm
from .models import (
    STUNTING,
    SURVEYS,
    DistrictTarget,
    Indicator,
    IndicatorValue,
    NationalFigure,
    NationalOutcomeImport,
    OutcomeImport,
    Source,
)
from .tasks import NATIONAL_OUTCOME_IMPORT, OUTCOME_IMPORT

# the band's tag on the page (its colour); the band's name is always written out too
# the tags take the chart's band colours (lib/charts: red, yellow, green, blue)
BAND_TAG = {tone: f"tag-band-{tone}" for tone in ("red", "yellow", "green", "blue")}


def _band(value):
    band = charts.prevalence_band(value)
    return {"label": band.label, "tag": BAND_TAG[band.tone]} if band else None


def _show(value, unit: str) -> str:
    if unit == "%":
        return formats.percent(value)
    return f"{formats.number(value, 2)} {unit}"


def _visible(access, figures):
    return [
        f
        for f in figures
        if may_see_area(access, kecamatan_id=f.kecamatan_id, village_id=f.village_id)
    ]


@district_view("outcomes.view")
def outcomes(request):
    district, access = request.district, request.access
    figures = _visible(access, summaries.district_figures([district])[district.pk])
    stunting = [f for f in figures if f.indicator == STUNTING]
    indicators = {i.code: i for i in Indicator.objects.all()}
    targets = list(DistrictTarget.objects.filter(district=district).select_related("indicator"))
    national_targets = {
        (n.indicator_id, n.year): n
        for n in NationalFigure.objects.filter(kind=NationalFigure.Kind.TARGET)
    }
    national, national_goals = summaries.national_series(STUNTING)
    trend = summaries.trend_of(
        stunting,
        {t.year: t.value for t in targets if t.indicator.code == STUNTING},
        national,
        national_goals,
    )
    latest = summaries.latest_of(stunting)
    # surveys and the posyandu census differ several fold: the latest of each, side by side
    latest_survey = summaries.latest_of(f for f in stunting if f.source in SURVEYS)
    latest_census = summaries.latest_of(f for f in stunting if f.source == Source.EPPGBM)
    areas = summaries.areas_of(stunting)
    kecamatan_names = dict(Kecamatan.objects.filter(district=district).values_list("pk", "name"))
    village_rows = Village.objects.filter(
        pk__in=[f.village_id for f in figures if f.village_id]
    ).values_list("pk", "name", "code")
    villages = {pk: (name, code) for pk, name, code in village_rows}

    def area_name(f):
        if f.village_id:
            return villages.get(f.village_id, ("", ""))[0]
        if f.kecamatan_id:
            return _("Kec. %(name)s") % {"name": kecamatan_names.get(f.kecamatan_id, "")}
        return district.name

    kecamatan_sources = {f.source_label for f in areas.kecamatan.values()}
    one_source = len(kecamatan_sources) == 1
    title = _("Prevalensi stunting per kecamatan, %(y)s") % {"y": areas.kecamatan_year or "—"}
    if one_source:
        title = f"{title} · {next(iter(kecamatan_sources))}"
    kecamatan_chart = charts.bar_chart(
        title,
        charts.prevalence_bars(
            (
                kecamatan_names.get(k, "")
                if one_source
                else f"{kecamatan_names.get(k, '')} · {f.source_label}",
                f.value,
            )
            for k, f in sorted(
                areas.kecamatan.items(), key=lambda kv: kecamatan_names.get(kv[0], "")
            )
        ),
        label_column=_("Kecamatan") if one_source else _("Kecamatan · sumber"),
        value_column=_("Prevalensi"),
        note_column=_("Kategori"),
        value_format=formats.percent,
        legend=charts.band_legend(),
        references=[charts.Reference(_("Target nasional 2024"), 14)],
    )
    village_table = [
        {
            "name": villages.get(v, ("", ""))[0],
            "kecamatan": kecamatan_names.get(f.kecamatan_id, ""),
            "value": formats.percent(f.value),
            "band": _band(f.value),
            "cited": f.cited,
        }
        for v, f in sorted(areas.villages.items(), key=lambda kv: villages.get(kv[0], ("",))[0])
    ]
    groups = defaultdict(list)
    for f in figures:
        indicator = indicators[f.indicator]
        groups[f.indicator].append(
            {
                "figure": f,
                "area": area_name(f),
                "shown": _show(f.value, indicator.unit),
                "period": f"{f.month:02d}/{f.year}" if f.month else str(f.year),
                "band": _band(f.value) if f.indicator == STUNTING else None,
            }
        )
    sections = [
        {
            "indicator": indicators[code],
            "rows": [r for r in groups[code] if r["figure"].level == "district"],
            "area_rows": [r for r in groups[code] if r["figure"].level != "district"],
        }
        for code in sorted(groups, key=lambda c: indicators[c].number)
    ]
    target_rows = [
        {
            "target": t,
            "shown": _show(t.value, t.indicator.unit),
            "national": national_targets.get((t.indicator_id, t.year)),
        }
        for t in targets
    ]
    return render(
        request,
        "outcomes/outcomes.html",
        {
            "latest": [
                {"figure": f, "band": _band(f.value)}
                for f in (latest_survey, latest_census)
                if f is not None
            ]
            or ([{"figure": latest, "band": _band(latest.value)}] if latest else []),
            "trend_chart": trend.chart(
                _("Prevalensi stunting menurut tahun dan sumber"), district.local_now().year
            ),
            "national_sources": national_goals + national,
            "kecamatan_chart": kecamatan_chart if areas.kecamatan else None,
            "areas": areas,
            "village_table": village_table,
            "sections": sections,
            "target_rows": target_rows,
            "can_manage": access.can("outcomes.manage"),
            "can_import_national": bool(
                national_roles(memberships_of(request))
                & NATIONAL_PERMISSIONS["outcomes.import_national"]
            ),
        },
    )


def _to_page(request):
    return redirect("outcomes", district_slug=request.district.slug)


def _area(request, code: str):
    """(kecamatan, village) named by a Kemendagri code of the district, or ValidationError."""
    code = code.strip()
    if not code or code == request.district.code:
        return None, None
    level = regioncodes.parse_level(code)
    if level == regioncodes.Level.KECAMATAN:
        kecamatan = Kecamatan.objects.filter(code=code, district=request.district).first()
        if kecamatan is not None:
            return kecamatan, None
    elif level == regioncodes.Level.VILLAGE:
        village = Village.objects.filter(code=code, district=request.district).first()
        if village is not None:
            return village.kecamatan, village
    raise ValidationError(
        _("Kode %(code)s bukan kecamatan atau desa di %(district)s.")
        % {"code": code[:20], "district": request.district.name}
    )


@district_view("outcomes.manage", methods=("GET", "HEAD", "POST"))
@submitted_once
def value_add(request):
    form = ValueForm(
        request.POST or None,
        initial={"indicator": STUNTING, "year": request.district.local_now().year},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kecamatan, village = _area(request, data["area"])
            row, created = services.record_value(
                district=request.district,
                indicator=data["indicator"],
                year=data["year"],
                month=data["month"],
                value=data["value"],
                numerator=data["numerator"],
                denominator=data["denominator"],
                source=data["source"],
                note=data["note"],
                kecamatan=kecamatan,
                village=village,
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                (
                    _("Nilai dicatat: %(v)s.")
                    if created
                    else _("Nilai yang sudah ada diubah: %(v)s.")
                )
                % {"v": _show(row.value, row.indicator.unit)},
            )
            return _to_page(request)
    return render(request, "outcomes/value_form.html", {"form": form, "row": None})


@district_view("outcomes.manage", methods=("GET", "HEAD", "POST"))
def value_edit(request, value_id):
    row = get_object_or_404(
        IndicatorValue.objects.select_related("indicator", "kecamatan", "village"),
        district=request.district,
        pk=value_id,
    )
    form = FiguresForm(
        request.POST or None,
        initial={
            "value": row.value,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "note": row.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_value(
                row, by=request.user, expected=stale.posted_token(request), **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            # the form keeps what was typed; its token becomes the value's current one
            row.refresh_from_db(fields=["entered_at", "entered_by"])
        else:
            messages.success(request, _("Nilai diubah."))
            return _to_page(request)
    return render(request, "outcomes/value_form.html", {"form": form, "row": row})


@district_view("outcomes.manage", methods=("GET", "HEAD", "POST"))
@submitted_once
def targets(request):
    form = TargetForm(
        request.POST or None,
        initial={"indicator": STUNTING, "year": request.district.local_now().year},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_target(district=request.district, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Target disimpan."))
            return redirect("outcome_targets", district_slug=request.district.slug)
    rows = [
        {"target": t, "shown": _show(t.value, t.indicator.unit)}
        for t in DistrictTarget.objects.filter(district=request.district).select_related(
            "indicator"
        )
    ]
    return render(request, "outcomes/targets.html", {"form": form, "rows": rows})


@district_view("outcomes.manage", methods=("GET", "HEAD", "POST"))
def outcome_import(request):
    """Upload a file: it is read once, here; the preview it leads to is stored with it."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = clean_file_name(upload.name, "capaian", 200)
        plan = imports.plan_outcome_import(request.district, upload.read(), name)
        if plan.refused:
            form.add_error("file", plan.refused)
        else:
            upload.seek(0)
            row = OutcomeImport(
                district=request.district,
                original_name=name,
                preview=plan.as_preview(),
                created_by=request.user,
            )
            row.file.save("impor", upload, save=False)
            row.save()
            return redirect(
                "outcome_import_preview",
                district_slug=request.district.slug,
                outcome_import_id=row.pk,
            )
    indicators = Indicator.objects.all()
    return render(
        request,
        "outcomes/import.html",
        {"form": form, "columns": imports.COLUMNS, "indicators": indicators},
    )


@district_view("outcomes.manage", methods=("GET", "HEAD", "POST"))
def outcome_import_preview(request, outcome_import_id):
    upload = get_object_or_404(
        OutcomeImport.objects.select_related("job"),
        district=request.district,
        pk=outcome_import_id,
    )
    plan = upload.preview
    task = upload.job
    if request.method == "POST" and upload.applied_at is None and not plan.get("error_count"):
        task, response = confirm_import(
            request, upload, kind=OUTCOME_IMPORT, done=lambda task: _applied(request, task)
        )
        if response is not None:
            return response
    return render(
        request,
        "outcomes/import_preview.html",
        {
            "upload": upload,
            "plan": plan,
            "task": task,
            **(district_job_urls(request, task) if task else {}),
        },
    )


def _applied(request, task):
    messages.success(
        request,
        _("Nilai dari berkas diterapkan: %(a)s ditambah, %(c)s diubah.")
        % {"a": task.result.get("added", 0), "c": task.result.get("changed", 0)},
    )
    return _to_page(request)


@national_view("outcomes.import_national", methods=("GET", "HEAD", "POST"))
def national_outcome_import(request):
    """Upload a file of values for many districts: read once, here, and planned district by
    district; the preview it leads to is stored with it."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = clean_file_name(upload.name, "capaian", 200)
        plan = imports.plan_national_import(upload.read(), name)
        if plan.refused:
            form.add_error("file", plan.refused)
        else:
            upload.seek(0)
            row = NationalOutcomeImport(
                original_name=name, preview=plan.as_preview(), created_by=request.user
            )
            row.file.save("impor", upload, save=False)
            row.save()
            return redirect("national_outcome_import_preview", national_outcome_import_id=row.pk)
    return render(
        request,
        "outcomes/national_import.html",
        {
            "form": form,
            "columns": imports.COLUMNS,
            "indicators": Indicator.objects.all(),
            "recent": NationalOutcomeImport.objects.select_related("job")[:10],
        },
    )


@national_view("outcomes.import_national", methods=("GET", "HEAD", "POST"))
def national_outcome_import_preview(request, national_outcome_import_id):
    upload = get_object_or_404(
        NationalOutcomeImport.objects.select_related("job"), pk=national_outcome_import_id
    )
    plan = upload.preview
    task = upload.job
    if request.method == "POST" and upload.applied_at is None and not plan.get("error_count"):
        task, response = confirm_import(
            request,
            upload,
            kind=NATIONAL_OUTCOME_IMPORT,
            done=lambda task: _national_applied(request, task),
        )
        if response is not None:
            return response
    return render(
        request,
        "outcomes/national_import_preview.html",
        {
            "upload": upload,
            "plan": plan,
            "task": task,
            "result": task.result if task and task.status == task.Status.DONE else None,
            **(national_job_urls(task, back=request.path) if task else {}),
        },
    )


def _national_applied(request, task):
    messages.success(
        request,
        _("Nilai dari berkas diterapkan di %(d)s kabupaten/kota: %(a)s ditambah, %(c)s diubah.")
        % {
            "d": formats.number(len(task.result.get("districts", []))),
            "a": formats.number(task.result.get("added", 0)),
            "c": formats.number(task.result.get("changed", 0)),
        },
    )
    return redirect(request.path)


@district_view("outcomes.view")
def outcome_export(request, fmt):
    """The stored values the user may see, in the import's columns."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    district, access = request.district, request.access
    values = [
        v
        for v in IndicatorValue.objects.filter(district=district)
        .select_related("district", "kecamatan", "village", "indicator")
        .order_by(
            "indicator__number",
            "year",
            F("month").asc(nulls_first=True),
            F("kecamatan__code").asc(nulls_first=True),
            F("village__code").asc(nulls_first=True),
        )
        if may_see_area(access, kecamatan_id=v.kecamatan_id, village_id=v.village_id)
    ]
    body, content_type = exports.values_file(values, fmt, title=_("Data capaian"))
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="capaian-{district.slug}.{fmt}"'
    return response
