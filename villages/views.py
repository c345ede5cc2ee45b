from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from accounts.audit import record
from accounts.policy import district_view, national_view
from documents.views import national_job_urls
from lib.tabular import MAX_LISTED_ERRORS

from . import services
from .forms import DistrictProfileForm, RegionImportForm
from .models import RegionImport, Village
from .tasks import start_region_import


@district_view("district.edit", methods=("GET", "HEAD", "POST"))
def district_profile(request):
    district = request.district
    # the form puts a new emblem on the instance; the one it replaces is deleted once saved
    old_emblem, storage = district.emblem.name, district.emblem.storage
    form = DistrictProfileForm(request.POST or None, request.FILES or None, instance=district)
    if request.method == "POST" and form.is_valid():
        form.save()
        if old_emblem and district.emblem.name != old_emblem:
            transaction.on_commit(lambda: storage.delete(old_emblem), robust=True)
        record(
            "district_updated",
            actor=request.user,
            district=district,
            target=district.name,
            request=request,
            fields=sorted(form.changed_data),
        )
        messages.success(request, _("Profil daerah disimpan."))
        return redirect("district_profile", district_slug=district.slug)
    return render(request, "villages/district_profile.html", {"form": form})


@district_view("district.view")
@cache_control(private=True, max_age=3600)
def district_emblem(request):
    """The emblem is served through the district, never from a public media URL."""
    emblem = request.district.emblem
    if not emblem:
        raise Http404
    content_type = "image/png" if emblem.name.endswith(".png") else "image/jpeg"
    return FileResponse(emblem.open("rb"), content_type=content_type)


@district_view("regions.view")
def district_areas(request):
    district = request.district
    kecamatan = list(services.kecamatan_with_village_counts(district))
    villages = (
        Village.objects.filter(district=district)
        .order_by("code")
        .only("code", "name", "kecamatan_id", "retired_at")
    )
    by_kecamatan: dict[int, list] = {}
    for village in villages:
        by_kecamatan.setdefault(village.kecamatan_id, []).append(village)
    rows = [(k, by_kecamatan.get(k.id, [])) for k in kecamatan]
    return render(request, "villages/district_areas.html", {"rows": rows})


@national_view("regions.import", methods=("GET", "HEAD", "POST"))
def region_import(request):
    form = RegionImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        region_import = start_region_import(
            upload=form.cleaned_data["file"], partial=form.cleaned_data["partial"], by=request.user
        )
        return redirect("region_import_status", import_id=region_import.id)
    return render(
        request,
        "villages/region_import.html",
        {
            "form": form,
            "counts": services.region_counts(),
            "recent": RegionImport.objects.select_related("created_by", "job")[:10],
        },
    )


@national_view("regions.import")
def region_import_status(request, import_id):
    region_import = get_object_or_404(RegionImport.objects.select_related("job"), pk=import_id)
    job = region_import.job
    return render(
        request,
        "villages/region_import_status.html",
        {
            "region_import": region_import,
            "job": job,
            "max_listed": MAX_LISTED_ERRORS,
            **(national_job_urls(job) if job else {}),
        },
    )
