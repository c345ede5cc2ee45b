"""Focus (lokus) village pages: the years, a year's decree and villages, the picker, one
entry's figures, the scan of the decree and the import of a list from CSV/XLSX."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control

from accounts.policy import district_view
from documents.imports import confirm_import
from documents.views import district_job_urls
from lib.uploads import clean_file_name, private_file_response, sniff_kind
from villages.models import Village

from . import focus
from .models import FocusDecree, FocusImport, FocusVillage
from .tasks import FOCUS_IMPORT

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DecreeCreateForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Tahun"), min_value=2018, max_value=2100)
    number = forms.CharField(
        label=gettext_lazy("Nomor SK"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Boleh diisi nanti bila SK belum ditandatangani."),
    )
    signed_on = forms.DateField(
        label=gettext_lazy("Tanggal SK"), required=False, widget=DATE_WIDGET
    )


class DecreeForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Nomor SK"), max_length=120, required=False)
    signed_on = forms.DateField(
        label=gettext_lazy("Tanggal SK"), required=False, widget=DATE_WIDGET
    )
    scan = forms.FileField(
        label=gettext_lazy("Pindaian SK"),
        required=False,
        help_text=gettext_lazy(
            "PDF, PNG atau JPEG; paling besar %(mb)s MB. Menggantikan yang lama."
        )
        % {"mb": settings.MAX_UPLOAD_BYTES // 1_048_576},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class EntryForm(forms.Form):
    prevalence = forms.CharField(
        label=gettext_lazy("Prevalensi stunting (%)"),
        required=False,
        max_length=12,
        help_text=gettext_lazy("0–100, mis. 23,5"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    prevalence_source = forms.CharField(
        label=gettext_lazy("Sumber dan tahun data prevalensi"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Misalnya: e-PPGBM Agustus 2025"),
    )
    stunted_children = forms.IntegerField(
        label=gettext_lazy("Jumlah balita stunting"),
        min_value=0,
        max_value=focus.MAX_CHILDREN,
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Catatan"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_prevalence(self):
        try:
            return focus.parse_prevalence(self.cleaned_data["prevalence"])
        except ValueError as exc:
            raise ValidationError(_("Isi angka 0–100, mis. 23,5.")) from exc


class FocusUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Berkas CSV atau XLSX"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(_("Berkas terlalu besar."))
        return upload


def _decree(request, year) -> FocusDecree:
    return get_object_or_404(FocusDecree, district=request.district, year=year)


def _to_year(request, year):
    return redirect("focus_year", district_slug=request.district.slug, year=year)


# --- Years ----------------------------------------------------------------------------------


def _years_page(request, form=None, status=200):
    district = request.district
    decrees = list(FocusDecree.objects.filter(district=district).order_by("-year"))
    # the scope (DistrictMiddleware) limits a camat to his kecamatan's villages
    counts = dict(
        FocusVillage.objects.filter(district=district)
        .order_by()
        .values_list("decree_id")
        .annotate(n=Count("pk"))
    )
    for decree in decrees:
        decree.n_villages = counts.get(decree.pk, 0)
    can_manage = request.access.can("focus.manage")
    if can_manage and form is None:
        form = DecreeCreateForm(initial={"year": district.local_now().year})
    return render(
        request,
        "village_reports/focus_years.html",
        {
            "decrees": decrees,
            "form": form if can_manage else None,
            "can_manage": can_manage,
            "district_wide": request.access.district_wide,
        },
        status=status,
    )


@district_view("focus.view")
def focus_years(request):
    return _years_page(request)


@district_view("focus.manage", methods=("POST",))
def focus_decree_create(request):
    form = DecreeCreateForm(request.POST)
    if form.is_valid():
        try:
            decree = focus.create_decree(
                district=request.district,
                year=form.cleaned_data["year"],
                number=form.cleaned_data["number"],
                signed_on=form.cleaned_data["signed_on"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error("year", exc)
        else:
            messages.success(
                request,
                _("Tahun lokus %(year)s disiapkan. Pilih desa lokusnya.") % {"year": decree.year},
            )
            return _to_year(request, decree.year)
    return _years_page(request, form)


# --- One year -------------------------------------------------------------------------------


@district_view("focus.view")
def focus_year(request, year):
    district = request.district
    decree = _decree(request, year)
    entries = list(  # a camat's scope holds only his kecamatan's villages
        FocusVillage.objects.filter(district=district, decree=decree)
        .select_related("village__kecamatan")
        .order_by("village__kecamatan__code", "village__code")
    )
    history = focus.focus_history([e.village for e in entries])
    for entry in entries:
        entry.years = history.get(entry.village_id, [])
    return render(
        request,
        "village_reports/focus_year.html",
        {
            "decree": decree,
            "entries": entries,
            "can_manage": request.access.can("focus.manage"),
            "district_wide": request.access.district_wide,
        },
    )


@district_view("focus.manage", methods=("GET", "HEAD", "POST"))
def focus_decree_edit(request, year):
    decree = _decree(request, year)
    form = DecreeForm(
        request.POST or None,
        request.FILES or None,
        initial={"number": decree.number, "signed_on": decree.signed_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            focus.update_decree(
                decree=decree,
                number=form.cleaned_data["number"],
                signed_on=form.cleaned_data["signed_on"],
                scan=form.cleaned_data["scan"] or None,
                by=request.user,
            )
        except ValidationError as exc:
            decree.refresh_from_db()
            form.add_error("scan", exc)
        else:
            messages.success(request, _("SK lokus disimpan."))
            return _to_year(request, year)
    return render(
        request, "village_reports/focus_decree_edit.html", {"form": form, "decree": decree}
    )


@district_view("focus.view")
@cache_control(private=True, no_store=True)
def focus_decree_scan(request, year):
    """The scan is served only here, after the district (middleware) and role checks."""
    decree = _decree(request, year)
    if not decree.scan:
        raise Http404
    handle = decree.scan.open("rb")
    kind = sniff_kind(handle.read(16))
    handle.seek(0)
    return private_file_response(
        handle,
        content_type=kind.content_type if kind in focus.SCAN_KINDS else "",
        filename=decree.scan_name or f"sk-lokus-{year}",
    )


@district_view("focus.manage", methods=("GET", "HEAD", "POST"))
def focus_pick(request, year):
    district = request.district
    decree = _decree(request, year)
    chosen = focus.focus_village_ids(district, year)
    if request.method == "POST":
        try:
            wanted = {int(v) for v in request.POST.getlist("village")}
        except ValueError:
            wanted = None
            messages.error(request, _("Pilihan desa tidak sah."))
        if wanted is not None:
            try:
                added, removed = focus.set_focus_villages(
                    decree=decree, village_ids=wanted, by=request.user
                )
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                chosen = wanted
            else:
                messages.success(
                    request,
                    _("Daftar desa lokus disimpan: %(a)s ditambah, %(r)s dihapus.")
                    % {"a": added, "r": removed},
                )
                return _to_year(request, year)
    # active villages, and retired ones that are still on the list
    villages = (
        Village.objects.filter(district=district)
        .filter(Q(retired_at__isnull=True) | Q(pk__in=chosen))
        .select_related("kecamatan")
        .order_by("kecamatan__code", "code")
    )
    groups: list[dict] = []
    for village in villages:
        if not groups or groups[-1]["kecamatan"].pk != village.kecamatan_id:
            groups.append({"kecamatan": village.kecamatan, "villages": [], "n_chosen": 0})
        village.chosen = village.pk in chosen
        groups[-1]["villages"].append(village)
        groups[-1]["n_chosen"] += village.chosen
    return render(
        request,
        "village_reports/focus_pick.html",
        {"decree": decree, "groups": groups, "n_chosen": len(chosen)},
    )


@district_view("focus.manage", methods=("GET", "HEAD", "POST"))
def focus_entry(request, year, village_id):
    decree = _decree(request, year)
    entry = get_object_or_404(
        FocusVillage.objects.select_related("village__kecamatan", "decree", "district"),
        district=request.district,
        decree=decree,
        village_id=village_id,
    )
    if request.method == "POST" and request.POST.get("hapus") == "1":
        focus.remove_focus_village(entry=entry, by=request.user)
        messages.success(
            request,
            _("%(v)s dihapus dari daftar desa lokus %(y)s.") % {"v": entry.village.name, "y": year},
        )
        return _to_year(request, year)
    form = EntryForm(
        request.POST or None,
        initial={
            "prevalence": entry.prevalence,
            "prevalence_source": entry.prevalence_source,
            "stunted_children": entry.stunted_children,
            "note": entry.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            focus.update_focus_entry(entry=entry, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Data %(v)s disimpan.") % {"v": entry.village.name})
            return _to_year(request, year)
    return render(
        request,
        "village_reports/focus_entry.html",
        {"decree": decree, "entry": entry, "form": form},
    )


# --- Import ---------------------------------------------------------------------------------


@district_view("focus.manage", methods=("GET", "HEAD", "POST"))
def focus_import(request, year):
    """Upload a list: it is read once, here; the preview it leads to is stored with it."""
    decree = _decree(request, year)
    form = FocusUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = clean_file_name(upload.name, "lokus", 200)
        plan = focus.plan_focus_import(request.district, year, upload.read(), name)
        if plan.refused:
            form.add_error("file", plan.refused)
        else:
            upload.seek(0)
            job = FocusImport(
                district=request.district,
                year=year,
                original_name=name,
                preview=plan.as_preview(),
                created_by=request.user,
            )
            job.file.save("impor", upload, save=False)
            job.save()
            return redirect(
                "focus_import_preview",
                district_slug=request.district.slug,
                year=year,
                focus_import_id=job.pk,
            )
    return render(
        request,
        "village_reports/focus_import.html",
        {"form": form, "decree": decree, "columns": focus.COLUMNS},
    )


@district_view("focus.manage", methods=("GET", "HEAD", "POST"))
def focus_import_preview(request, year, focus_import_id):
    """The preview stored at upload (the file is not read again), and its confirmation, which
    plans the file once more inside the transaction that applies it."""
    district = request.district
    decree = _decree(request, year)
    job = get_object_or_404(
        FocusImport.objects.select_related("job"), district=district, year=year, pk=focus_import_id
    )
    if not job.preview:  # uploaded before previews were stored
        with job.file.open("rb") as handle:
            plan = focus.plan_focus_import(district, year, handle.read(), job.original_name)
        job.preview = plan.as_preview()
        job.save(update_fields=["preview"])
    plan = job.preview
    task = job.job
    if request.method == "POST" and job.applied_at is None and not plan.get("error_count"):
        task, response = confirm_import(
            request, job, kind=FOCUS_IMPORT, done=lambda task: _applied(request, year, task)
        )
        if response is not None:
            return response
    return render(
        request,
        "village_reports/focus_import_preview.html",
        {
            "job": job,
            "plan": plan,
            "decree": decree,
            "task": task,
            **(district_job_urls(request, task) if task else {}),
        },
    )


def _applied(request, year, task):
    messages.success(
        request,
        _(
            "Daftar desa lokus %(y)s diperbarui dari berkas: %(a)s ditambah, "
            "%(c)s diubah, %(r)s dihapus."
        )
        % {
            "y": year,
            "a": task.result.get("added", 0),
            "c": task.result.get("changed", 0),
            "r": task.result.get("removed", 0),
        },
    )
    return _to_year(request, year)
