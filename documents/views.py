"""The one status fragment of a background job, which pages poll through htmx (every 2 s,
no inline script), and its retry. When a polled job has finished, the fragment asks htmx to
reload the page (`HX-Refresh`), which then shows the result the way it shows any state."""

import hashlib
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.policy import district_view, national_view
from lib.uploads import PDF, read_upload

from . import jobs
from .forms import VerifyUploadForm
from .models import Job


def job_fragment(
    request, job: Job, *, status_url: str, retry_url: str = "", show_message=True, back_url=""
):
    response = render(
        request,
        "documents/job_status.html#status",
        {
            "job": job,
            "status_url": status_url,
            "retry_url": retry_url,
            "show_message": show_message,
            "back_url": back_url,
        },
    )
    if request.headers.get("HX-Request") and job.is_finished:
        response["HX-Refresh"] = "true"
    return response


def district_job_urls(request, job: Job) -> dict:
    """The fragment's links for this user: the retry for the secretariat; the job's message
    (what failed and why) for it and for the one who asked for the job."""
    kwargs = {"district_slug": request.district.slug, "job_id": job.pk}
    may_retry = request.access.can("jobs.retry")
    return {
        "status_url": reverse("job_status", kwargs=kwargs),
        "retry_url": reverse("job_retry", kwargs=kwargs) if may_retry else "",
        "show_message": may_retry or job.requested_by_id == request.user.pk,
    }


def _retry(request, job: Job) -> None:
    if jobs.retry(job):
        messages.success(request, _("Tugas dikirim ulang ke antrean."))
    else:  # a second click, or the sweep was quicker: nothing to send twice
        messages.info(request, _("Tugas ini sudah ada di antrean atau sedang dikerjakan."))


def _back(request) -> str:
    """The page a retry returns to (the form's `next`): a path on this site, or "". Anything
    else (another site, or a bare word that redirect() would try as a view name and fail on)
    is ignored."""
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return ""
    return back


def _district_job(request, job_id) -> Job:
    return get_object_or_404(Job, pk=job_id, district=request.district)


@district_view("jobs.view")
def job_status(request, job_id):
    job = _district_job(request, job_id)
    return job_fragment(request, job, **district_job_urls(request, job))


@district_view("jobs.retry", methods=("POST",))
def job_retry(request, job_id):
    job = _district_job(request, job_id)
    _retry(request, job)
    back = _back(request) or reverse(
        "district_home", kwargs={"district_slug": request.district.slug}
    )
    return HttpResponseRedirect(back)


def national_job_urls(job: Job, *, back: str = "") -> dict:
    """`back`: the page the retry returns to (the region import's page when not given)."""
    return {
        "status_url": reverse("national_job_status", kwargs={"national_job_id": job.pk}),
        "retry_url": reverse("national_job_retry", kwargs={"national_job_id": job.pk}),
        "show_message": True,
        "back_url": back,
    }


@national_view("regions.import")
def national_job_status(request, national_job_id):
    job = get_object_or_404(Job.national, pk=national_job_id)
    # polled from the page the job belongs to: its retry returns there
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = page.path if page.netloc in ("", request.get_host()) else ""
    return job_fragment(request, job, **national_job_urls(job, back=back))


@national_view("regions.import", methods=("POST",))
def national_job_retry(request, national_job_id):
    job = get_object_or_404(Job.national, pk=national_job_id)
    _retry(request, job)
    return HttpResponseRedirect(_back(request) or reverse("region_import"))


def compare_upload(request, stored_sha256: str) -> tuple[VerifyUploadForm, dict | None]:
    """The public verification pages' upload (commitments, the annual evaluation): (the form,
    and after a POST of a PDF {"genuine": whether its SHA-256 is `stored_sha256`, "sha256":
    its SHA-256}, else None). Only the hash is kept, the file is not stored."""
    if request.method != "POST":
        return VerifyUploadForm(), None
    form = VerifyUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return form, None
    try:
        data, _kind = read_upload(
            form.cleaned_data["pdf"], kinds=(PDF,), refused=_("Unggah berkas PDF.")
        )
    except ValidationError as exc:
        form.add_error("pdf", exc.messages)
        return form, None
    sha256 = hashlib.sha256(data).hexdigest()
    return form, {"genuine": bool(stored_sha256) and sha256 == stored_sha256, "sha256": sha256}
