"""The top floor: what each district's people see first. The district home is the seed of the
district dashboard; it reads the feature apps only through what they offer to be read."""

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from accounts import reauth
from accounts.forms import ReauthForm
from accounts.models import Membership, Role
from accounts.once import submitted_once
from accounts.policy import district_view, memberships_of, public_view, rollup_view
from accounts.tenancy import district_scope, found_by_token, public_district_page, rollup_scope
from commitments import summaries as commitments
from commitments import views as commitments_views
from convergence import summaries as convergence
from documents.views import compare_upload, district_job_urls
from lib import generations, spreadsheet, stale
from lib.ratelimit import limited
from lib.spreadsheet import XLSX
from lib.uploads import private_file_response
from village_reports import summaries as village_reports
from villages.models import District, Kecamatan, Village

from . import dashboard, exports, public, rollups, services
from .evaluation import SECTIONS
from .forms import EvaluationTextsForm, PublicationForm, section_label
from .models import ITEMS, EvaluationVersion, Publication

HOME_ROWS = 10  # rows of each list of work on a home page; the count says how many in all

# the public page is rendered at most once per district, language and choice in this time
PUBLIC_SECONDS = 600
PUBLIC_LANGUAGES = dict(settings.LANGUAGES)


@district_view("district.view")
def district_home(request):
    district = request.district
    access = request.access
    if access.village_ids and not access.district_wide and not access.kecamatan_ids:
        # a village head or KPM lands on his village
        return redirect("village_home", district_slug=district.slug)
    own = [m for m in memberships_of(request) if m.district_id == district.id]
    today = district.local_now().date().isoformat()  # (what is late, in both kept parts)

    def district_facts() -> dict:
        """What the home shows of the whole district, the same for every reader."""
        return {
            "kecamatan": Kecamatan.objects.active().filter(district=district).count(),
            "villages": Village.objects.active().filter(district=district).count(),
            # the district's latest commitment document (signed ones first), and the late
            # follow-ups of all its documents
            "commitment": commitments.documents([district])[district.pk].latest,
            "follow_late": commitments.follow_ups([district])[district.pk].all.late,
        }

    # kept under the district's data generation and the day (what is late), as the dashboard
    facts = generations.kept(
        generations.DISTRICT_DATA,
        district.pk,
        ("home", today),
        district_facts,
        seconds=dashboard.DASHBOARD_SECONDS,
    )
    counts = {
        "kecamatan": facts["kecamatan"],
        "villages": facts["villages"],
        # memberships move no generation (accounts is not a feature app): counted each time
        "members": Membership.objects.active().filter(district=district).count(),
    }
    # the executive's home is the district dashboard; the secretariat and the camat reach it
    # from theirs (their homes stay light: the admin's is bounded in queries)
    board = None
    if access.has_role(Role.EXECUTIVE):
        year = rollups.parse_year(request.GET.get("tahun"))
        board = dashboard.rendered(request, year)
    progress = None
    if access.can("convergence.view"):
        if board is not None and year is None:  # the dashboard read the same year's progress
            progress = board.progress
        else:
            progress = convergence.year_progress([district])[district.pk]
    commitment = facts["commitment"]
    follow_late = facts["follow_late"] if access.district_wide else 0
    # what waits for this user: the camat's reports to verify, an OPD's deliverables, the
    # admin's verifications, anyone's signatures (each a fixed number of queries, bounded rows)
    # kept under the district's data generation (a report sent, a deliverable verified, a
    # signature or a follow-up moves it), the day and the reader's access (his roles and places)
    work = generations.kept(
        generations.DISTRICT_DATA,
        district.pk,
        (
            "home-work",
            today,
            access.user_id,
            dashboard.access_key(access),
        ),
        lambda: {
            "reports": village_reports.work_of(district, access, limit=HOME_ROWS),
            "deliverables": convergence.work_of(district, access, limit=HOME_ROWS),
            "commitments": commitments.work_of(district, access, limit=HOME_ROWS),
        },
        seconds=dashboard.DASHBOARD_SECONDS,
    )
    return render(
        request,
        "reports/district_home.html",
        {
            "work": work,
            "dashboard_html": mark_safe(board.html) if board else "",  # noqa: S308 (rendered by us)
            "dashboard_link": access.can("dashboard.view") and board is None,
            "evaluation_link": access.can("evaluation.view"),
            "commitment": commitment,
            "follow_late": follow_late,
            "progress": progress,
            "counts": counts,
            "own_memberships": own,
            "access": access,
            "local_now": district.local_now(),
        },
    )


@district_view("dashboard.view")
def district_dashboard(request):
    """The district dashboard (a camat's: his kecamatan's rows) with its numbers' sources."""
    board = dashboard.rendered(request, rollups.parse_year(request.GET.get("tahun")))
    return render(
        request,
        "reports/dashboard.html",
        {"dashboard_html": mark_safe(board.html)},  # noqa: S308 (rendered by reports.dashboard)
    )


@district_view("dashboard.view")
def dashboard_export(request):
    """Every table of the dashboard (as the user sees it) in one XLSX workbook."""
    body, year = exports.dashboard_xlsx(request, rollups.parse_year(request.GET.get("tahun")))
    response = HttpResponse(body, content_type=XLSX)
    name = f"dasbor-{request.district.slug}-{year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the public page --------------------------------------------------------------------------


def _public_language(request) -> str:
    """The public page's language comes from its link (?lang=en), never from a cookie, so that
    one rendering serves everyone who follows the same link (and shared caches may keep it)."""
    lang = request.GET.get("lang", "")
    return lang if lang in PUBLIC_LANGUAGES else settings.LANGUAGE_CODE


@public_view()
@public_district_page
def public_page(request):
    """What the district publishes, to anyone: nothing until its admin chooses (/publikasi/).
    The rendered page is cached per district and language; a change of the choice shows at
    once (its time is in the key), new figures within PUBLIC_SECONDS."""
    district = request.district
    lang = _public_language(request)
    publication = Publication.objects.filter(district=district).first()
    stamp = publication.updated_at.isoformat() if publication else "-"
    key = f"reports:publik:{district.pk}:{lang}:{stamp}"
    html = cache.get(key)
    if html is None:
        chosen = publication.chosen if publication else ()
        with translation.override(lang):
            html = render_to_string(
                "reports/public.html",
                {
                    "district": district,
                    "sections": public.sections(district, chosen),
                    "rendered_at": timezone.localtime(timezone.now(), district.tz),
                    "lang": lang,
                    "languages": [(code, name, code == lang) for code, name in settings.LANGUAGES],
                    "path": request.path,
                },
            )
        cache.set(key, html, PUBLIC_SECONDS)
    response = HttpResponse(html)
    response["Content-Language"] = lang
    patch_cache_control(response, public=True, max_age=PUBLIC_SECONDS)
    return response


@public_view()
def public_index(request):
    """The districts that publish something, by province, each linking to its public page.
    Read across the districts read-only (two queries), cached like the district pages: a
    district that starts publishing joins the list within PUBLIC_SECONDS."""
    lang = _public_language(request)
    key = f"reports:publik:index:{lang}"
    html = cache.get(key)
    if html is None:
        ids = list(District.objects.active().values_list("pk", flat=True))
        anything = Q(**{ITEMS[0]: True})
        for item in ITEMS[1:]:
            anything |= Q(**{item: True})
        with rollup_scope(ids):
            districts = [
                p.district
                for p in Publication.objects.filter(anything, district_id__in=ids)
                .select_related("district__province")
                .order_by("district__province__code", "district__name")
            ]
        with translation.override(lang):
            html = render_to_string(
                "reports/public_index.html",
                {
                    "districts": districts,
                    "lang": lang,
                    "languages": [(code, name, code == lang) for code, name in settings.LANGUAGES],
                    "path": request.path,
                },
            )
        cache.set(key, html, PUBLIC_SECONDS)
    response = HttpResponse(html)
    response["Content-Language"] = lang
    patch_cache_control(response, public=True, max_age=PUBLIC_SECONDS)
    return response


@district_view("publication.manage", methods=("GET", "HEAD", "POST"))
def publication_edit(request):
    """The district admin chooses what the public page shows, seeing what each item holds."""
    district = request.district
    publication = Publication.objects.filter(district=district).select_related(
        "updated_by"
    ).first() or Publication(district=district)
    form = PublicationForm(request.POST or None, instance=publication)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_publication(
                district,
                by=request.user,
                expected=stale.posted_token(request),
                **{item: form.cleaned_data[item] for item in ITEMS},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if changed:
                messages.success(request, _("Pilihan publikasi disimpan."))
            return redirect("publication_edit", district_slug=district.slug)
    previews = public.preview(district)
    return render(
        request,
        "reports/publication.html",
        {
            "form": form,
            "publication": publication,
            "items": [(form[item], previews[item]) for item in ITEMS],
            "public_url": request.build_absolute_uri(
                reverse("public_page", kwargs={"district_slug": district.slug})
            ),
        },
    )


# --- province and national roll-ups ----------------------------------------------------------


def _rollup_query(request) -> dict:
    return {
        "year": rollups.parse_year(request.GET.get("tahun")),
        "sort": request.GET.get("urut"),
        "direction": request.GET.get("arah"),
    }


# a change through a path that moves no generation (a bulk insert) shows within this time
ROLLUP_SECONDS = 60


def _kept_rollup(what: tuple, build, query: dict) -> str:
    """A roll-up table, rendered, kept under the roll-ups' generation (every snapshot written
    and every region saved moves it), the query (year, sort), the language and the day (the
    year shown when none is asked and none has figures)."""
    parts = (
        *what,
        query["year"],
        query["sort"],
        query["direction"],
        translation.get_language(),
        timezone.now().astimezone(rollups.NATIONAL_TZ).date().isoformat(),
    )
    return generations.kept(
        generations.ROLLUP_DATA, generations.COUNTRY, parts, build, seconds=ROLLUP_SECONDS
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=spreadsheet.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@rollup_view("province")
def province_rollup(request, province):
    """A province's districts side by side, from their snapshots (reports.snapshots)."""
    query = _rollup_query(request)
    body = _kept_rollup(
        ("province", province.pk),
        lambda: render_to_string(
            "reports/_province_rollup.html", {"table": rollups.province_table(province, **query)}
        ),
        query,
    )
    return render(
        request,
        "reports/province_rollup.html",
        {"province": province, "body": mark_safe(body)},  # noqa: S308 (rendered here)
    )


@rollup_view("province")
def province_rollup_export(request, province):
    table = rollups.province_table(province, **_rollup_query(request))
    return _xlsx(
        rollups.province_xlsx(table), f"rekap-provinsi-{province.code}-{table['year']}.xlsx"
    )


@rollup_view("national")
def national_rollup(request):
    """The provinces, each aggregated over its districts' snapshots."""
    query = _rollup_query(request)
    body = _kept_rollup(
        ("national",),
        lambda: render_to_string(
            "reports/_national_rollup.html", {"table": rollups.national_table(**query)}
        ),
        query,
    )
    return render(
        request,
        "reports/national_rollup.html",
        {"body": mark_safe(body)},  # noqa: S308 (rendered here)
    )


@rollup_view("national")
def national_rollup_export(request):
    table = rollups.national_table(**_rollup_query(request))
    return _xlsx(rollups.national_xlsx(table), f"rekap-nasional-{table['year']}.xlsx")


# --- the annual evaluation (DOMAIN.md §9) ---------------------------------------------------


def _evaluation_year(request, year: int) -> bool:
    """Whether `year` is one the district has opened (a 404 for any other)."""
    years = convergence.opened_years(request.district)
    if year not in years:
        raise Http404
    return years[year]


@district_view("evaluation.view")
def evaluation_years(request):
    """The district's years, each with its final version (when one is approved)."""
    district = request.district
    years = convergence.opened_years(district)
    finals = {
        v.year: v
        for v in EvaluationVersion.objects.filter(district=district, final=True).select_related(
            "approved_by"
        )
    }
    counts = dict(
        EvaluationVersion.objects.filter(district=district)
        .values_list("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    rows = [
        {"year": y, "closed": closed, "final": finals.get(y), "versions": counts.get(y, 0)}
        for y, closed in years.items()
    ]
    return render(request, "reports/evaluation_years.html", {"rows": rows})


def _evaluation_page(request, year: int, *, form=None, status=200):
    district = request.district
    closed = _evaluation_year(request, year)
    narrative = services.narrative_of(district, year)
    may_manage = request.access.can("evaluation.manage")
    if form is None and may_manage:
        form = EvaluationTextsForm(initial=narrative.texts)
    versions = list(services.versions_of(district, year))
    # the newest version still being rendered (or failed): its job's status fragment
    pending = next((v for v in versions if v.pdf_id is None and v.job_id), None)
    job = pending.job if pending else None
    return render(
        request,
        "reports/evaluation_year.html",
        {
            "year": year,
            "closed": closed,
            "narrative": narrative,
            "form": form,
            "sections": [
                (key, section_label(key, title), narrative.texts.get(key, ""))
                for key, title in SECTIONS
            ],
            "versions": versions,
            "final": next((v for v in versions if v.final), None),
            "pending": pending,
            "job": job,
            "may_manage": may_manage,
            "may_approve": request.access.can("evaluation.approve"),
            **(district_job_urls(request, job) if job else {}),
            "back_url": request.path,
        },
        status=status,
    )


@district_view("evaluation.view")
def evaluation_year(request, year):
    """One year: the secretariat's texts (a form for it), the versions, the job rendering."""
    return _evaluation_page(request, year)


@district_view("evaluation.manage", methods=("POST",))
def evaluation_texts(request, year):
    _evaluation_year(request, year)
    form = EvaluationTextsForm(request.POST)
    if form.is_valid():
        try:
            services.save_narratives(
                request.district,
                year,
                texts=form.cleaned_data,
                by=request.user,
                expected=stale.posted_token(request),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Uraian evaluasi disimpan."))
            return redirect("evaluation_year", district_slug=request.district.slug, year=year)
    return _evaluation_page(request, year, form=form)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@district_view("evaluation.manage", methods=("POST",))
@submitted_once
def evaluation_request(request, year):
    """ "Buat evaluasi": version n+1 and its rendering job; the page shows its progress."""
    _evaluation_year(request, year)
    version = services.request_evaluation(request.district, year, by=request.user)
    messages.success(
        request, _("Versi %(n)s sedang disusun di latar belakang.") % {"n": version.number}
    )
    return redirect(
        reverse("evaluation_year", kwargs={"district_slug": request.district.slug, "year": year})
        + "#versi"
    )


def _version(request, year: int, number: int) -> EvaluationVersion:
    _evaluation_year(request, year)
    return get_object_or_404(
        EvaluationVersion.objects.select_related("pdf", "district"),
        district=request.district,
        year=year,
        number=number,
    )


@district_view("evaluation.view")
def evaluation_download(request, year, evaluation_number):
    """A version's stored PDF, byte for byte (earlier versions stay downloadable)."""
    version = _version(request, year, evaluation_number)
    if version.pdf_id is None:
        raise Http404
    slug = request.district.slug
    return private_file_response(
        version.pdf.file.open("rb"),
        filename=f"evaluasi-{slug}-{year}-versi-{version.number}.pdf",
        content_type="application/pdf",
    )


@district_view("evaluation.approve", methods=("GET", "HEAD", "POST"))
def evaluation_approve(request, year, evaluation_number):
    """The Sekda approves a rendered version as the year's final one, after giving the password
    again (and the authenticator's code)."""
    version = _version(request, year, evaluation_number)
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.approve_version(
                version,
                by=request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except services.NotApprovable as exc:
            messages.info(request, exc.messages[0])
            return redirect("evaluation_year", district_slug=request.district.slug, year=year)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Versi %(n)s disetujui sebagai versi final tahun %(year)s.")
                % {"n": version.number, "year": year},
            )
            return redirect("evaluation_year", district_slug=request.district.slug, year=year)
    current = (
        EvaluationVersion.objects.filter(district=request.district, year=year, final=True)
        .exclude(pk=version.pk)
        .first()
    )
    return render(
        request,
        "reports/evaluation_approve.html",
        {
            "version": version,
            "year": year,
            "form": form,
            "needs_code": reauth.needs_code(request.user),
            "current": current,
        },
    )


VERIFY_CHECKS = 30  # uploads per address per 10 minutes


@public_view(methods=("GET", "HEAD", "POST"))
# a plain per-address budget, counted before the upload is read, so that the public page
# cannot be used to hash files in bulk or to load the server
@limited("document-verify", limit=VERIFY_CHECKS, seconds=600)
@cache_control(private=True, no_store=True)
def document_verify(request, token):
    """/verifikasi/<token>/, the address the QR code of every final PDF leads to: a commitment
    document's version, else an evaluation version; the same plain 404 for anything else."""
    response = commitments_views.verification(request, token)
    if response is not None:
        return response
    version = found_by_token(
        EvaluationVersion,
        related=("district", "pdf", "superseded_by"),
        verify_token=token,
        pdf__isnull=False,
    )
    if version is None:
        raise Http404
    district = version.district
    with district_scope(district), timezone.override(district.tz):
        form, result = compare_upload(request, version.pdf.sha256)
        return render(
            request,
            "reports/evaluation_verify.html",
            {"version": version, "district": district, "form": form, "result": result},
        )
