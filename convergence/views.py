import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from accounts import policy
from accounts.audit import record
from accounts.models import Role
from accounts.once import submitted_once
from accounts.policy import district_view, national_view, require
from documents.imports import confirm_import
from documents.views import district_job_urls
from lib import formats, generations, spreadsheet, stale
from lib.uploads import clean_file_name, private_file_response
from villages.models import Agency

from . import exports, services
from .forms import (
    ActionSetupForm,
    AgencyForm,
    BoardFilterForm,
    CommentForm,
    EvidenceForm,
    OpenYearForm,
    ReturnForm,
    UploadForm,
)
from .models import (
    BoardImport,
    Comment,
    Deliverable,
    DistrictYear,
    Evidence,
    Framework,
    Grade,
    Indicator,
    KecamatanEntry,
    PortalRecords,
    RecordLink,
    Transition,
    YearAction,
)
from .tasks import BOARD_IMPORT


def _year(request, year) -> DistrictYear:
    return get_object_or_404(
        DistrictYear.objects.select_related("framework"), district=request.district, year=year
    )


def _year_action(request, year, action_number) -> YearAction:
    return get_object_or_404(
        YearAction.objects.select_related("action", "lead_agency", "district_year__framework"),
        district=request.district,
        district_year__year=year,
        action__number=action_number,
    )


def _deliverable(request, deliverable_id) -> Deliverable:
    return get_object_or_404(
        Deliverable.objects.select_related(
            "template",
            "supporting_agency",
            "year_action__action",
            "year_action__lead_agency",
            "year_action__district_year",
        ),
        district=request.district,
        pk=deliverable_id,
    )


def _deliverables_with_history(queryset):
    return queryset.select_related("template", "supporting_agency").prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
        Prefetch("transitions", queryset=Transition.objects.select_related("actor")),
        Prefetch("comments", queryset=Comment.objects.select_related("author")),
    )


def _back(request, deliverable: Deliverable):
    return redirect(
        "deliverable_detail", district_slug=request.district.slug, deliverable_id=deliverable.pk
    )


# --- Years ----------------------------------------------------------------------------------


@district_view("convergence.view")
def year_list(request):
    district = request.district
    years = DistrictYear.objects.filter(district=district).select_related("framework")
    return render(
        request,
        "convergence/year_list.html",
        {"years": years, "can_manage": request.access.can("convergence.manage")},
    )


@district_view("convergence.manage", methods=("GET", "HEAD", "POST"))
def year_open(request):
    district = request.district
    initial = {"year": district.local_now().year}
    form = OpenYearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            district_year = services.open_year(
                district=district,
                year=form.cleaned_data["year"],
                framework=form.cleaned_data["framework"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Tahun %(year)s dibuka dengan %(framework)s.")
                % {"year": district_year.year, "framework": district_year.framework.name},
            )
            return redirect("board", district_slug=district.slug, year=district_year.year)
    return render(request, "convergence/year_open.html", {"form": form})


@district_view("convergence.manage", methods=("POST",))
def year_lock(request, year):
    district_year = _year(request, year)
    try:
        services.lock_year(district_year=district_year, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Tahun %(year)s dikunci.") % {"year": year})
    return redirect("board", district_slug=request.district.slug, year=year)


@district_view("convergence.manage", methods=("GET", "HEAD", "POST"))
def year_remove(request, year):
    """Remove a year opened by mistake, while nothing in it was submitted (a confirmation page,
    then POST)."""
    district_year = _year(request, year)
    if request.method == "POST":
        if request.POST.get("confirm") != str(year):
            messages.error(request, _("Ketik tahunnya untuk menghapus."))
        else:
            try:
                services.remove_year(district_year=district_year, by=request.user)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                return redirect("board", district_slug=request.district.slug, year=year)
            messages.success(request, _("Tahun %(year)s dihapus.") % {"year": year})
            return redirect("year_list", district_slug=request.district.slug)
    return render(request, "convergence/year_remove.html", {"district_year": district_year})


# --- The board ------------------------------------------------------------------------------


# the board kept rendered (see `board`); a change through a path that moves no generation shows
# within this time, as on the dashboard (reports.dashboard.DASHBOARD_SECONDS)
BOARD_SECONDS = 60


@district_view("convergence.view")
def board(request, year):
    district = request.district
    district_year = _year(request, year)
    today = district.local_now().date()
    form = BoardFilterForm(request.GET or None, district=district)
    agency_id = status = None
    if form.is_valid():
        agency_id = form.cleaned_data["agency"].pk if form.cleaned_data["agency"] else None
        status = form.cleaned_data["status"] or None
    filtered = bool(agency_id or status)
    base = {"district_year": district_year, "today": today, "current_district": district}

    def build() -> dict:
        """The summary and the whole board as HTML: the same for every reader of the
        district (what differs by reader, the buttons and the filters, is outside)."""
        summary = services.summary(district_year, district)
        context = {
            **base,
            "summary": summary,
            "board_rows": summary.rows,
            "as_of": timezone.now(),  # shown in the district's time zone (the middleware's)
        }
        return {
            "summary": render_to_string("convergence/_board_summary.html", context),
            "table": render_to_string("convergence/_board_table.html", context),
        }

    # kept under the district's data generation (lib.generations: every saved row and every
    # status move of the district moves it), the day (what is late), the language and the year
    parts = ("board", district_year.pk, today.isoformat(), translation.get_language() or "")
    kept = generations.kept(
        generations.DISTRICT_DATA, district.pk, parts, build, seconds=BOARD_SECONDS
    )
    rows = services.board(district_year, agency_id=agency_id, status=status) if filtered else None
    return render(
        request,
        "convergence/board.html",
        {
            **base,
            "kept": kept,
            "rows": rows,
            "form": form,
            "filtered": filtered,
            "can_manage": request.access.can("convergence.manage") and not district_year.is_locked,
            "is_executive": request.access.has_role(Role.EXECUTIVE),
        },
    )


@district_view("convergence.view")
def board_export(request, year, fmt):
    district_year = _year(request, year)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    rows = services.board(district_year)
    today = request.district.local_now().date()
    body, content_type = exports.board_file(district_year, rows, today, fmt)
    name = f"konvergensi-{request.district.slug}-{year}.{fmt}"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@district_view("convergence.view")
def action_detail(request, year, action_number):
    year_action = _year_action(request, year, action_number)
    deliverables = _deliverables_with_history(year_action.deliverables.all())
    can_work = policy.may_work_on_action(request.access, year_action)
    return render(
        request,
        "convergence/action_detail.html",
        {
            "year_action": year_action,
            "district_year": year_action.district_year,
            "deliverables": deliverables,
            "today": request.district.local_now().date(),
            "can_work": can_work,
            "can_verify": policy.may_verify_action(request.access, year_action),
            "can_manage": request.access.can("convergence.manage"),
            "evidence_form": EvidenceForm(),
            "return_form": ReturnForm(),
            "comment_form": CommentForm(),
        },
    )


@district_view("convergence.manage", methods=("GET", "HEAD", "POST"))
def action_setup(request, year, action_number):
    district = request.district
    year_action = _year_action(request, year, action_number)
    if year_action.district_year.is_locked:
        messages.error(request, _("Tahun ini sudah dikunci."))
        return redirect(
            "action_detail", district_slug=district.slug, year=year, action_number=action_number
        )
    members = list(services.work_members(district))
    form = ActionSetupForm(request.POST or None, year_action=year_action, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_up_action(
                year_action=year_action,
                lead_agency=form.cleaned_data["lead_agency"],
                responsible=form.responsible_users(),
                due_dates=form.due_dates(),
                supporting_agencies=form.supporting_agencies(),
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Pengaturan aksi disimpan."))
            return redirect(
                "action_detail", district_slug=district.slug, year=year, action_number=action_number
            )
    return render(
        request, "convergence/action_setup.html", {"form": form, "year_action": year_action}
    )


# --- One deliverable ------------------------------------------------------------------------


@district_view("convergence.view")
def deliverable_detail(request, deliverable_id):
    return _deliverable_page(request, deliverable_id)


def _deliverable_page(request, deliverable_id, *, posted=None, status=200):
    """The deliverable's page; `posted` (values, note) shows a refused form as it was typed."""
    deliverable = get_object_or_404(
        _deliverables_with_history(
            Deliverable.objects.select_related(
                "supporting_agency",
                "year_action__action",
                "year_action__lead_agency",
                "year_action__district_year",
            )
        ),
        district=request.district,
        pk=deliverable_id,
    )
    year_action = deliverable.year_action
    if posted is not None:
        deliverable.data, deliverable.note = posted
    can_work = policy.may_work_on_deliverable(request.access, deliverable)
    records = deliverable.template.portal_records
    takes_rembuk = records == PortalRecords.REMBUK
    plan = services.plan_for(deliverable) if records == PortalRecords.ACTIVITY_PLAN else None
    return render(
        request,
        "convergence/deliverable_detail.html",
        {
            "d": deliverable,
            "year_action": year_action,
            "district_year": year_action.district_year,
            "today": request.district.local_now().date(),
            "can_work": can_work,
            "takes_rembuk": takes_rembuk,
            "links": services.linked_records(deliverable) if takes_rembuk else [],
            "linkable": (
                services.linkable_records(deliverable, request.access)
                if takes_rembuk and can_work and deliverable.is_open
                else None
            ),
            "plan": plan,
            "kecamatan_waiting": (
                services.kecamatan_waiting(deliverable)
                if deliverable.template.kecamatan_stage
                else None
            ),
            "can_verify": policy.may_verify_action(request.access, year_action),
            "evidence_form": EvidenceForm(),
            "return_form": ReturnForm(),
            "comment_form": CommentForm(),
        },
        status=status,
    )


def _happened_on(request):
    """The day a step actually happened, when it is typed (a district catching up on a past
    year); None when left empty. A value that is not a date is refused."""
    raw = request.POST.get("happened_on", "").strip()
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("Tanggal sebenarnya harus tanggal (TTTT-BB-HH)."))
    return value


def _work_or_403(request, deliverable):
    require(policy.may_work_on_deliverable(request.access, deliverable))


@district_view("convergence.work", methods=("POST",))
@submitted_once
def evidence_upload(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id)
    _work_or_403(request, deliverable)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Pilih berkas yang akan diunggah."))
        return _back(request, deliverable)
    try:
        evidence = services.upload_evidence(
            deliverable=deliverable, upload=form.cleaned_data["file"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Berkas %(name)s diunggah.") % {"name": evidence.original_name})
    return _back(request, deliverable)


@district_view("convergence.work", methods=("POST",))
def evidence_remove(request, evidence_id):
    evidence = get_object_or_404(
        Evidence.objects.select_related(
            "deliverable__year_action__district_year", "deliverable__template"
        ),
        district=request.district,
        pk=evidence_id,
    )
    _work_or_403(request, evidence.deliverable)
    try:
        services.remove_evidence(evidence=evidence, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Berkas dihapus."))
    return _back(request, evidence.deliverable)


@district_view("convergence.work", methods=("POST",))
def deliverable_link(request, deliverable_id):
    """Attach a record of the district's rembuk (the session, a commitment document, a minutes
    file) to the deliverable by reference, chosen from the records the user may see."""
    deliverable = _deliverable(request, deliverable_id)
    _work_or_403(request, deliverable)
    target = services.find_linkable(request.district, request.access, request.POST.get("record"))
    if target is None:
        messages.error(request, _("Pilih rekaman rembuk yang akan dilampirkan."))
        return _back(request, deliverable)
    try:
        services.link_record(deliverable=deliverable, target=target, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Rekaman rembuk dilampirkan sebagai bukti."))
    return _back(request, deliverable)


@district_view("convergence.work", methods=("POST",))
def deliverable_unlink(request, deliverable_id):
    """Detach one attached record (named by the form) from the deliverable."""
    deliverable = _deliverable(request, deliverable_id)
    _work_or_403(request, deliverable)
    try:
        link_id = uuid.UUID(request.POST.get("link", ""))
    except ValueError:
        link_id = None
    link = (
        RecordLink.objects.filter(district=request.district, deliverable=deliverable, pk=link_id)
        .select_related("deliverable__template", "deliverable__year_action__district_year")
        .first()
        if link_id
        else None
    )
    if link is None:
        messages.error(request, _("Rekaman itu tidak terlampir pada keluaran ini."))
        return _back(request, deliverable)
    try:
        services.unlink_record(link=link, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Rekaman dilepas dari keluaran ini."))
    return _back(request, deliverable)


@district_view("convergence.view")
@cache_control(private=True, no_store=True)
def evidence_file(request, evidence_id):
    """Evidence is served only here, after the district (middleware) and role checks."""
    evidence = get_object_or_404(Evidence, district=request.district, pk=evidence_id)
    return private_file_response(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        filename=evidence.original_name,
    )


@district_view("convergence.work", methods=("POST",))
def deliverable_data(request, deliverable_id):
    """Save the typed fields; with "kirim", save and then send them to Bappeda, so that what
    is on the screen is what gets sent. A refused save shows the page again as typed."""
    deliverable = _deliverable(request, deliverable_id)
    _work_or_403(request, deliverable)
    values = {
        f["key"]: request.POST.get(f"field_{f['key']}", "") for f in deliverable.template.fields
    }
    note = request.POST.get("note", "")
    try:
        happened_on = _happened_on(request)
        services.save_data(
            deliverable=deliverable,
            values=values,
            note=note,
            by=request.user,
            expected=stale.posted_token(request),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _deliverable_page(request, deliverable.pk, posted=(values, note))
    if not request.POST.get("kirim"):
        messages.success(request, _("Isian disimpan sebagai draf."))
        return _back(request, deliverable)
    try:
        services.submit_deliverable(
            deliverable=deliverable, by=request.user, happened_on=happened_on
        )
    except ValidationError as exc:
        messages.error(request, _("Isian disimpan sebagai draf, tetapi belum terkirim."))
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Keluaran dikirim ke Bappeda untuk diverifikasi."))
    return _back(request, deliverable)


@district_view("convergence.work", methods=("POST",))
def deliverable_submit(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id)
    _work_or_403(request, deliverable)
    try:
        services.submit_deliverable(
            deliverable=deliverable, by=request.user, happened_on=_happened_on(request)
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Keluaran dikirim ke Bappeda untuk diverifikasi."))
    return _back(request, deliverable)


@district_view("convergence.manage", methods=("POST",))
def deliverable_verify(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id)
    try:
        services.verify_deliverable(
            deliverable=deliverable, by=request.user, happened_on=_happened_on(request)
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Keluaran diverifikasi."))
    return _back(request, deliverable)


@district_view("convergence.manage", methods=("POST",))
def deliverable_return(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id)
    form = ReturnForm(request.POST)
    if not form.is_valid() and "reason" in form.errors and request.POST.get("reason", "").strip():
        messages.error(request, form.errors["reason"][0])  # too long: say so, change nothing
        return _back(request, deliverable)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.return_deliverable(
            deliverable=deliverable,
            reason=reason,
            by=request.user,
            happened_on=_happened_on(request),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Keluaran dikembalikan ke OPD dengan alasan."))
    return _back(request, deliverable)


# --- The kecamatan stage (2025 model) -----------------------------------------------------


@district_view("convergence.kecamatan_view")
def kecamatan_stage_current(request):
    """The newest year's kecamatan stage (the camat's menu leads here)."""
    district_year = (
        DistrictYear.objects.select_related("framework")
        .filter(district=request.district)
        .order_by("-year")
        .first()
    )
    if district_year is None:
        return render(request, "convergence/kecamatan_stage.html", {"district_year": None})
    return _stage_page(request, district_year)


@district_view("convergence.kecamatan_view")
def kecamatan_stage(request, year):
    """The year's deliverables with a kecamatan stage and each kecamatan's part: the district
    sees every kecamatan, a camat his own."""
    return _stage_page(request, _year(request, year))


def _stage_page(request, district_year):
    if not district_year.is_locked:
        services.ensure_kecamatan_entries(district_year)
    rows = services.kecamatan_stage(district_year)
    access = request.access
    with_camat = services.kecamatan_with_camat(district_year.district_id)
    for row in rows:
        for entry in row.entries:
            open_ = not district_year.is_locked and entry.is_editable
            entry.can_fill = open_ and policy.may_fill_kecamatan_entry(access, entry)
            # the camat his own; the district admin those without a camat, on their behalf
            entry.can_verify = (
                open_
                and entry.status == KecamatanEntry.Status.DRAFT
                and policy.may_verify_kecamatan_entry(access, entry)
                and (policy.is_camat_of(access, entry) or entry.kecamatan_id not in with_camat)
            )
    return render(
        request,
        "convergence/kecamatan_stage.html",
        {
            "district_year": district_year,
            "rows": rows,
            "may_open_deliverable": access.can("convergence.view"),
        },
    )


def _kecamatan_entry(request, entry_id) -> KecamatanEntry:
    """A kecamatan's part, of this district and seen by this user (else 404)."""
    entry = get_object_or_404(
        KecamatanEntry.objects.select_related(
            "kecamatan", "deliverable__template", "deliverable__year_action__district_year"
        ),
        district=request.district,
        pk=entry_id,
    )
    require(policy.may_see_kecamatan_entry(request.access, entry), not_found=True)
    return entry


def _back_to_stage(request, entry: KecamatanEntry):
    return redirect(
        "kecamatan_stage",
        district_slug=request.district.slug,
        year=entry.deliverable.year_action.district_year.year,
    )


@district_view("convergence.kecamatan_fill", methods=("POST",))
def kecamatan_entry_fill(request, kecamatan_entry_id):
    entry = _kecamatan_entry(request, kecamatan_entry_id)
    require(policy.may_fill_kecamatan_entry(request.access, entry))
    try:
        services.fill_kecamatan_entry(
            entry=entry, note=request.POST.get("note", ""), by=request.user
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Data kecamatan %(name)s disimpan dan menunggu verifikasi camat.")
            % {"name": entry.kecamatan.name},
        )
    return _back_to_stage(request, entry)


@district_view("convergence.kecamatan_verify", methods=("POST",))
def kecamatan_entry_verify(request, kecamatan_entry_id):
    entry = _kecamatan_entry(request, kecamatan_entry_id)
    require(policy.may_verify_kecamatan_entry(request.access, entry))
    try:
        services.verify_kecamatan_entry(
            entry=entry,
            by=request.user,
            on_behalf=not policy.is_camat_of(request.access, entry),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Data kecamatan %(name)s diverifikasi.") % {"name": entry.kecamatan.name},
        )
    return _back_to_stage(request, entry)


@district_view("convergence.kecamatan_verify", methods=("POST",))
def kecamatan_entry_return(request, kecamatan_entry_id):
    entry = _kecamatan_entry(request, kecamatan_entry_id)
    require(policy.may_verify_kecamatan_entry(request.access, entry))
    try:
        services.return_kecamatan_entry(
            entry=entry,
            reason=request.POST.get("reason", ""),
            by=request.user,
            on_behalf=not policy.is_camat_of(request.access, entry),
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Data kecamatan %(name)s dikembalikan dengan alasan.")
            % {"name": entry.kecamatan.name},
        )
    return _back_to_stage(request, entry)


@district_view("convergence.work", methods=("POST",))
@submitted_once
def deliverable_comment(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id)
    require(policy.may_comment_on_deliverable(request.access, deliverable))
    form = CommentForm(request.POST)
    if not form.is_valid() and "text" in form.errors and request.POST.get("text", "").strip():
        messages.error(request, form.errors["text"][0])  # too long: say so, change nothing
        return _back(request, deliverable)
    try:
        services.add_comment(
            deliverable=deliverable,
            text=form.cleaned_data["text"] if form.is_valid() else "",
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return _back(request, deliverable)


# --- Bulk import of deliverable metadata ----------------------------------------------------


@district_view("convergence.manage", methods=("GET", "HEAD", "POST"))
def board_import(request, year):
    """Upload a file: it is read once, here; the preview it leads to is stored with it."""
    from . import imports

    district_year = _year(request, year)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        plan = imports.plan_import(district_year, upload.read())
        if plan.refused:
            form.add_error("file", plan.refused)
        else:
            upload.seek(0)
            job = BoardImport(
                district=request.district,
                district_year=district_year,
                original_name=clean_file_name(upload.name, "impor", 200),
                preview=plan.as_preview(),
                created_by=request.user,
            )
            job.file.save("impor", upload, save=False)
            job.save()
            return redirect(
                "board_import_preview",
                district_slug=request.district.slug,
                year=year,
                board_import_id=job.pk,
            )
    return render(
        request,
        "convergence/board_import.html",
        {"form": form, "district_year": district_year, "columns": imports.COLUMNS},
    )


@district_view("convergence.manage", methods=("GET", "HEAD", "POST"))
def board_import_preview(request, year, board_import_id):
    """The preview stored at upload (the file is not read again), and its confirmation, which
    plans the file once more inside the transaction that applies it."""
    from . import imports

    district_year = _year(request, year)
    job = get_object_or_404(
        BoardImport.objects.select_related("job"),
        district=request.district,
        district_year=district_year,
        pk=board_import_id,
    )
    if not job.preview:  # uploaded before previews were stored
        with job.file.open("rb") as handle:
            job.preview = imports.plan_import(district_year, handle.read()).as_preview()
        job.save(update_fields=["preview"])
    plan = job.preview
    task = job.job
    if request.method == "POST" and job.applied_at is None and not plan["error_count"]:
        task, response = confirm_import(
            request, job, kind=BOARD_IMPORT, done=lambda task: _board_applied(request, year, task)
        )
        if response is not None:
            return response
    return render(
        request,
        "convergence/board_import_preview.html",
        {
            "job": job,
            "plan": plan,
            "district_year": district_year,
            "task": task,
            **(district_job_urls(request, task) if task else {}),
        },
    )


def _board_applied(request, year, task):
    messages.success(
        request, _("%(n)s keluaran diperbarui dari berkas.") % {"n": task.result.get("changed", 0)}
    )
    return redirect("board", district_slug=request.district.slug, year=year)


# --- Performance assessment -----------------------------------------------------------------


@district_view("convergence.view")
def assessment(request, year):
    district_year = _year(request, year)
    return render(
        request,
        "convergence/assessment.html",
        {
            "district_year": district_year,
            "scores": services.scores(district_year),
            "can_self": request.access.can("assessment.self") and not district_year.is_locked,
            "can_province": request.access.can("assessment.province")
            and district_year.province_closed_at is None,
        },
    )


@district_view("convergence.view")
def assessment_export(request, year, fmt):
    """The assessment as XLSX or as an A4 PDF for the coordination meeting."""
    district_year = _year(request, year)
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    district = request.district
    now = district.local_now()
    printed = f"{formats.date_id(now.date())} {now:%H:%M} {district.time_zone_short}"
    scores = services.scores(district_year)
    if fmt == "pdf":
        body = exports.assessment_pdf(district, district_year, scores, printed)
        content_type = "application/pdf"
    else:
        body = exports.assessment_xlsx(district, district_year, scores, printed)
        content_type = spreadsheet.XLSX
    response = HttpResponse(body, content_type=content_type)
    name = f"penilaian-{district.slug}-{year}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@district_view("assessment.province", methods=("POST",))
def assessment_province_close(request, year):
    district_year = _year(request, year)
    try:
        services.close_province_grading(district_year=district_year, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Penilaian provinsi ditutup; nilainya final."))
    return redirect("assessment", district_slug=request.district.slug, year=year)


def _grade_form(request, year, action_number, source):
    year_action = _year_action(request, year, action_number)
    district_year = year_action.district_year
    indicators = list(
        Indicator.objects.filter(action=year_action.action).prefetch_related("options")
    )
    grades = {
        g.indicator_id: g
        for g in Grade.objects.filter(district_year=district_year, source=source).prefetch_related(
            "evidence"
        )
    }
    evidence = list(
        Evidence.objects.filter(
            district=request.district, deliverable__year_action=year_action
        ).select_related("deliverable__template")
    )
    errors = {}
    if request.method == "POST":
        evidence_by_id = {str(e.pk): e for e in evidence}
        saved = 0
        # all grades of the form or none: a fault on one indicator saves nothing
        with transaction.atomic():
            for indicator in indicators:
                choice = request.POST.get(f"grade_{indicator.pk}", "")
                if not choice:
                    continue
                option = next((o for o in indicator.options.all() if str(o.pk) == choice), None)
                linked = [
                    evidence_by_id[e]
                    for e in request.POST.getlist(f"evidence_{indicator.pk}")
                    if e in evidence_by_id
                ]
                try:
                    if option is None:
                        raise ValidationError(_("Pilihan nilai tidak dikenal."))
                    services.grade_indicator(
                        district_year=district_year,
                        indicator=indicator,
                        option=option,
                        source=source,
                        justification=request.POST.get(f"justification_{indicator.pk}", ""),
                        evidence=linked,
                        by=request.user,
                    )
                    saved += 1
                except ValidationError as exc:
                    errors[indicator.pk] = exc.messages[0]
            if errors:
                transaction.set_rollback(True)
        if not errors:
            messages.success(request, _("%(n)s penilaian disimpan.") % {"n": saved})
            return redirect("assessment", district_slug=request.district.slug, year=year)
        messages.error(request, _("Tidak ada yang disimpan; perbaiki indikator yang ditandai."))
    rows = [
        {
            "indicator": i,
            "grade": grades.get(i.pk),
            "error": errors.get(i.pk),
            "posted_option": request.POST.get(f"grade_{i.pk}", ""),
            "posted_justification": request.POST.get(f"justification_{i.pk}"),
        }
        for i in indicators
    ]
    return render(
        request,
        "convergence/assessment_form.html",
        {
            "year_action": year_action,
            "district_year": district_year,
            "rows": rows,
            "evidence": evidence,
            "source": source,
        },
    )


@district_view("assessment.self", methods=("GET", "HEAD", "POST"))
def assessment_self(request, year, action_number):
    if _year(request, year).is_locked:
        messages.error(request, _("Tahun ini sudah dikunci."))
        return redirect("assessment", district_slug=request.district.slug, year=year)
    return _grade_form(request, year, action_number, Grade.Source.SELF)


@district_view("assessment.province", methods=("GET", "HEAD", "POST"))
def assessment_province(request, year, action_number):
    if _year(request, year).province_closed_at is not None:
        messages.error(request, _("Penilaian provinsi tahun ini sudah ditutup."))
        return redirect("assessment", district_slug=request.district.slug, year=year)
    return _grade_form(request, year, action_number, Grade.Source.PROVINCE)


# --- Agencies -------------------------------------------------------------------------------


@district_view("agencies.manage", methods=("GET", "HEAD", "POST"))
def agency_list(request):
    district = request.district
    form = AgencyForm(request.POST or None, district=district)
    if request.method == "POST" and form.is_valid():
        agency = form.save(commit=False)
        agency.district = district
        agency.save()
        record("agency_added", actor=request.user, district=district, target=agency.short_name)
        messages.success(request, _("OPD %(s)s ditambahkan.") % {"s": agency.short_name})
        return redirect("agency_list", district_slug=district.slug)
    agencies = Agency.objects.filter(district=district).order_by("-is_active", "short_name")
    return render(request, "convergence/agency_list.html", {"form": form, "agencies": agencies})


@district_view("agencies.manage", methods=("GET", "HEAD", "POST"))
def agency_edit(request, agency_id):
    district = request.district
    agency = get_object_or_404(Agency, district=district, pk=agency_id)
    form = AgencyForm(request.POST or None, instance=agency, district=district)
    if request.method == "POST" and form.is_valid():
        form.save()
        record(
            "agency_changed",
            actor=request.user,
            district=district,
            target=agency.short_name,
            fields=sorted(form.changed_data),
        )
        messages.success(request, _("OPD %(s)s disimpan.") % {"s": agency.short_name})
        return redirect("agency_list", district_slug=district.slug)
    return render(request, "convergence/agency_edit.html", {"form": form, "agency": agency})


# --- National: framework versions -----------------------------------------------------------


@national_view("frameworks.manage", methods=("GET", "HEAD", "POST"))
def framework_list(request):
    from .definitions import DefinitionError, create_framework, parse_definition

    form = UploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            data = parse_definition(form.cleaned_data["file"].read())
            if Framework.objects.filter(code=data["code"]).exists():
                raise DefinitionError(
                    [
                        _("Kode %(c)s sudah dipakai; beri kode baru untuk versi baru.")
                        % {"c": data["code"]}
                    ]
                )
            with transaction.atomic():
                framework = create_framework(
                    data,
                    status=Framework.Status.DRAFT,
                    created_by=request.user,
                )
        except DefinitionError as exc:
            errors = exc.errors
        else:
            record("framework_uploaded", actor=request.user, target=framework.code)
            messages.success(
                request,
                _("Draf %(name)s dibuat. Periksa, lalu terbitkan.") % {"name": framework.name},
            )
            return redirect("framework_detail", framework_code=framework.code)
    frameworks = Framework.objects.annotate(action_count=Count("actions"))
    in_use = set(DistrictYear.everything.values_list("framework_id", flat=True).distinct())
    return render(
        request,
        "convergence/framework_list.html",
        {"form": form, "errors": errors, "frameworks": frameworks, "in_use": in_use},
    )


def _framework(code) -> Framework:
    return get_object_or_404(Framework, code=code)


@national_view("frameworks.manage")
def framework_detail(request, framework_code):
    framework = _framework(framework_code)
    actions = framework.actions.prefetch_related("deliverables", "indicators__options")
    maximum = sum(
        max((o.points for o in i.options.all()), default=0) * i.weight
        for a in actions
        for i in a.indicators.all()
    )
    return render(
        request,
        "convergence/framework_detail.html",
        {
            "framework": framework,
            "actions": actions,
            "maximum": maximum,
            "in_use": framework.is_in_use(),
        },
    )


@national_view("frameworks.manage")
def framework_download(request, framework_code):
    import json

    from .definitions import framework_as_definition

    framework = _framework(framework_code)
    body = json.dumps(framework_as_definition(framework), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{framework.code}.json"'
    return response


@national_view("frameworks.manage", methods=("POST",))
def framework_publish(request, framework_code):
    framework = _framework(framework_code)
    updated = Framework.objects.filter(pk=framework.pk, status=Framework.Status.DRAFT).update(
        status=Framework.Status.PUBLISHED, published_at=timezone.now()
    )
    if updated:
        record("framework_published", actor=request.user, target=framework.code)
        messages.success(request, _("%(name)s diterbitkan.") % {"name": framework.name})
    else:
        messages.error(request, _("Kerangka ini sudah terbit."))
    return redirect("framework_detail", framework_code=framework.code)


@national_view("frameworks.manage", methods=("POST",))
def framework_delete(request, framework_code):
    framework = _framework(framework_code)
    if framework.is_published:
        messages.error(request, _("Kerangka yang sudah terbit tidak dapat dihapus."))
        return redirect("framework_detail", framework_code=framework.code)
    framework.delete()
    record("framework_deleted", actor=request.user, target=framework_code)
    messages.success(request, _("Draf dihapus."))
    return redirect("framework_list")
