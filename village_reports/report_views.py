"""Village reporting pages: the village head's portal (mobile first), the camat's verification
and the district's completeness view. Object rules live in accounts.policy (may_see_village,
may_fill_village, may_verify_village, may_see_report; village_reports.reports.village_for): a
village head reaches only his village, a camat only his kecamatan, and a draft stays with the
village until it is sent."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import Role
from accounts.once import submitted_once
from accounts.policy import district_view, require
from lib import generations, stale
from lib.uploads import private_file_response
from villages import services
from villages.forms import VillageProfileForm
from villages.models import Kecamatan

from . import recaps, reports, scorecard, summaries
from .models import (
    KecamatanRecap,
    RecapStatus,
    ReportEvent,
    ReportFile,
    ReportKind,
    ReportPeriod,
    VillageReport,
)

Status = reports.Status


def _period(request, period_id) -> ReportPeriod:
    return get_object_or_404(ReportPeriod, pk=period_id, district=request.district)


def _report(request, report_id) -> VillageReport:
    """A report this user may see: its village must be his to see, and a draft is seen only
    by the village itself."""
    report = get_object_or_404(
        VillageReport.objects.select_related("period", "village__kecamatan", "district"),
        pk=report_id,
        district=request.district,
    )
    require(
        policy.may_see_village(request.access, report.village)
        and policy.may_see_report(request.access, report),
        not_found=True,
    )
    return report


def _messages_from(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


# --- The village head's pages -----------------------------------------------------------------


@district_view("villages.view")
def village_home(request):
    """A village head or KPM lands on his village; everybody else on the completeness view."""
    own = reports.own_villages(request.access, request.district)
    if own:
        return redirect("village_page", district_slug=request.district.slug, village_id=own[0].pk)
    if request.access.can("villages.completeness"):
        return redirect("period_list", district_slug=request.district.slug)
    raise Http404


@district_view("villages.view")
def village_page(request, village_id):
    district = request.district
    village = reports.village_for(request.access, district, village_id)
    today = district.local_now().date()
    year = _year_param(request, today.year)
    # what the page reads of the village's rows, kept under the district's data generation
    # (every saved row of the district and every status move moves it, so a sent report or a
    # new signature shows on the next view), the village, the year, the day and the reader
    # (the documents waiting for his signature); the access checks above and below are not
    kept = generations.kept(
        generations.DISTRICT_DATA,
        district.pk,
        ("village-page", village.pk, year, today.isoformat(), request.user.pk),
        lambda: _village_rows(request, village, year),
        seconds=VILLAGE_PAGE_SECONDS,
    )
    lines = kept["lines"]
    if not policy.may_fill_village(request.access, village):
        for line in lines:  # drafts stay with the village
            line.current = line.sent
    for line in lines:
        line.late = line.is_late(today, district.tz)
    follow_ups = kept["follow_ups"]
    for f in follow_ups:
        f.overdue = f.is_overdue(today)
    due = [
        line
        for line in lines
        if line.state in ("missing", "draft", "returned") and line.period.starts_on <= today
    ]
    return render(
        request,
        "village_reports/village_page.html",
        {
            "village": village,
            "year": year,
            "years": [year - 1, year, year + 1],
            "lines": lines,
            "due": due,
            "returned": [line for line in lines if line.state == "returned"],
            "focus_years": kept["focus_years"],
            "today": today,
            "may_fill": policy.may_fill_village(request.access, village),
            "profile": kept["profile"],
            "may_edit_profile": request.access.can("villages.profile")
            and policy.may_edit_village_profile(request.access, village),
            "follow_ups": follow_ups,
            "documents_to_sign": kept["documents_to_sign"],
        },
    )


# a change through a path that moves no generation (a bulk insert) shows within this time
VILLAGE_PAGE_SECONDS = 60


def _village_rows(request, village, year) -> dict:
    """The rows of the village page: its periods and reports of the year, the years it was a
    focus village, its profile, its tracked commitments and the documents waiting for this
    user's signature."""
    from commitments.services import village_follow_ups, waiting_for

    from .focus import focus_history

    return {
        "lines": reports.village_periods(village, year),
        "focus_years": focus_history([village]).get(village.pk, []),
        "profile": services.village_profile(village),
        "follow_ups": list(village_follow_ups(village)),
        "documents_to_sign": list(waiting_for(request.user, request.district)),
    }


@district_view("villages.profile", methods=("GET", "HEAD", "POST"))
def village_profile_edit(request, village_id):
    """The office address and the names printed on the village's documents."""
    village = reports.village_for(request.access, request.district, village_id)
    require(policy.may_edit_village_profile(request.access, village))
    profile = services.village_profile(village)
    form = VillageProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.update_village_profile(
            village=village,
            by=request.user,
            **{k: form.cleaned_data[k] for k in services.PROFILE_FIELDS},
        )
        messages.success(request, _("Profil desa disimpan."))
        return redirect("village_page", district_slug=request.district.slug, village_id=village.pk)
    return render(
        request, "village_reports/village_profile.html", {"village": village, "form": form}
    )


def _year_param(request, default: int) -> int:
    return _year(request.GET.get("tahun"), default)


def _year(raw, default: int) -> int:
    try:
        year = int(raw or default)
    except ValueError:
        return default
    return year if 2015 <= year <= 2100 else default


def _field_rows(kind, data, errors, posted=None, *, kelurahan=False):
    """What the form and the read-only view show: every field with its name (in a kelurahan's
    own words there), its typed or stored value and its error."""
    source = posted if posted is not None else data

    def value(key):
        raw = source.get(key, "")
        return "" if raw is None else raw

    def cell(f):
        return {
            "field": f,
            "label": f.label_for(kelurahan),
            "value": value(f.key),
            "error": errors.get(f.key, ""),
        }

    if kind == ReportKind.SCORECARD:
        groups = []
        for group in scorecard.GROUPS:
            rows = []
            for indicator in group.indicators:
                answers = [
                    {
                        "key": scorecard.answer_key(group, indicator, a),
                        "label": label,
                        "value": value(scorecard.answer_key(group, indicator, a)),
                        "error": errors.get(scorecard.answer_key(group, indicator, a), ""),
                    }
                    for a, label in scorecard.ANSWERS
                ]
                rows.append(
                    {
                        "indicator": indicator,
                        "answers": answers,
                        "errors": [a["error"] for a in answers if a["error"]],
                        "percent": scorecard.indicator_percent(data, group, indicator),
                    }
                )
            groups.append({"group": group, "rows": rows, "target": value(group.target)})
        return {
            "targets": [cell(f) for f in scorecard.TARGETS],
            "growth": [cell(f) for f in scorecard.GROWTH],
            "groups": groups,
            "fund": [cell(f) for f in scorecard.FUND],
            "signers": [cell(f) for f in scorecard.SIGNERS],
        }
    return {
        "semester": [cell(f) for f in scorecard.SEMESTER],
        "file_errors": {k: v for k, v in errors.items() if k.endswith("_file")},
    }


# where a file's error is shown on the semester form: after these fields
FILE_ERRORS_AFTER = {"perdes_date": "perdes_file", "rembuk_participants": "minutes_file"}


def _error_summary(kind, errors: dict[str, str], *, kelurahan=False) -> list[dict]:
    """Every error of a refused form in the order of the form, with the field's name and the
    id it links to, for the summary at the top of the long page."""
    if not errors:
        return []
    names = {f.key: f.label_for(kelurahan) for f in scorecard.fields_for(kind)}
    order = [f.key for f in scorecard.fields_for(kind)]
    if kind == ReportKind.SCORECARD:
        for group in scorecard.GROUPS:
            for indicator in group.indicators:
                for answer, label in scorecard.ANSWERS:
                    key = scorecard.answer_key(group, indicator, answer)
                    names[key] = f"{group.label} · {indicator.label} ({label})"
    else:
        for after, key in FILE_ERRORS_AFTER.items():
            order.insert(order.index(after) + 1, key)
        names.update({f"{slot}_file": label for slot, label in scorecard.semester_files(kelurahan)})
    known = [k for k in order if k in errors] + [k for k in errors if k not in order]
    return [
        {
            "anchor": f"e-{key}" if key.endswith("_file") else f"f-{key}",
            "name": names.get(key, ""),
            "message": errors[key],
        }
        for key in known
    ]


def _report_page(request, village, period, *, errors=None, posted=None):
    access = request.access
    all_versions = reports.versions(village, period)
    shown = [r for r in all_versions if policy.may_see_report(access, r)]
    current = shown[0] if shown else None
    recap = KecamatanRecap.objects.filter(kecamatan_id=village.kecamatan_id, period=period).first()
    locked = recap is not None and recap.locks  # with the district or accepted: nobody changes it
    may_fill = policy.may_fill_village(access, village) and not locked
    editable = may_fill and (current is None or current.is_editable)
    data = current.data if current else {}
    if current is None and may_fill and period.kind == ReportKind.SCORECARD:
        # a new scorecard starts with the names of the village profile
        profile = services.village_profile(village)
        head = profile.head_name
        if not head and access.has_role(Role.VILLAGE_HEAD):
            head = request.user.full_name
        data = {"sign_head": head, "sign_secretary": profile.secretary_name}
    errors = errors or {}
    events = []
    if shown:
        events = list(
            ReportEvent.objects.filter(report__in=shown)
            .select_related("actor", "report")
            .order_by("at", "pk")
        )
    today = request.district.local_now().date()
    submitted = current is not None and current.status == Status.SUBMITTED and not locked
    return render(
        request,
        "village_reports/report.html",
        {
            "recap": recap,
            "locked": locked,
            # an ended year: the dates it actually happened can be entered (back-filled)
            "backfill": period.year < today.year,
            "may_verify_on_behalf": submitted
            and access.can("villages.on_behalf")
            and policy.may_verify_on_behalf(access, village)
            and not reports.kecamatan_has_camat(village.kecamatan_id),
            "village": village,
            "period": period,
            "report": current,
            "versions": shown,
            "editable": editable,
            "may_fill": may_fill,
            "may_verify": policy.may_verify_village(access, village) and submitted,
            "may_correct": may_fill and current is not None and current.status == Status.VERIFIED,
            "rows": _field_rows(period.kind, data, errors, posted, kelurahan=village.is_kelurahan),
            "computed": _computed(period.kind, data, kelurahan=village.is_kelurahan),
            "errors": errors,
            "error_summary": _error_summary(period.kind, errors, kelurahan=village.is_kelurahan),
            "files": _files_by_slot(current) if current else {},
            "slots": scorecard.semester_files(village.is_kelurahan),
            "events": events,
            "late": current.is_late() if current else period.is_late(today),
            "today": today,
        },
    )


def _computed(kind, data, *, kelurahan=False) -> dict:
    """The figures computed from a report's stored data."""
    if kind == ReportKind.SCORECARD:
        rates, total = scorecard.scorecard_rates(data, kelurahan=kelurahan)
        return {"rates": rates, "total": total, "fund_share": scorecard.fund_share(data)}
    return {"spent_share": scorecard.spent_share(data)}


@district_view("villages.view")
def village_report(request, village_id, period_id):
    village = reports.village_for(request.access, request.district, village_id)
    period = _period(request, period_id)
    return _report_page(request, village, period)


@district_view("villages.fill", methods=("POST",))
def village_report_save(request, village_id, period_id):
    village = reports.village_for(request.access, request.district, village_id)
    period = _period(request, period_id)
    require(policy.may_fill_village(request.access, village))
    sending = bool(request.POST.get("kirim"))
    try:
        report = reports.save_draft(
            village=village,
            period=period,
            posted=request.POST,
            by=request.user,
            expected=stale.posted_token(request),
        )
    except stale.StaleEdit as error:
        messages.error(request, error.messages[0])
        return _report_page(request, village, period, posted=request.POST)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            for message in _messages_from(error):
                messages.error(request, message)
            return _back_to(request, village, period)
        messages.error(request, _("Draf belum tersimpan: perbaiki isian yang ditandai."))
        return _report_page(
            request, village, period, errors=_field_errors(error), posted=request.POST
        )
    if not sending:
        messages.success(request, _("Draf tersimpan. Kirim bila sudah lengkap."))
        return _back_to(request, village, period)
    try:
        reports.submit_report(
            report=report,
            by=request.user,
            today=request.district.local_now().date(),
            happened_on=_posted_date(request.POST.get("tanggal_sebenarnya")),
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            for message in _messages_from(error):
                messages.error(request, message)
            return _back_to(request, village, period)
        # the draft is kept; what stops the sending is shown at each field
        field_errors = _field_errors(error)
        messages.error(
            request,
            _(
                "Draf tersimpan, tetapi laporan belum dapat dikirim: %(n)s isian perlu "
                "diperbaiki (ditandai di bawah)."
            )
            % {"n": len(field_errors)},
        )
        return _report_page(request, village, period, errors=field_errors, posted=request.POST)
    messages.success(request, _("Laporan terkirim ke camat untuk diverifikasi."))
    return _back_to(request, village, period)


def _posted_date(raw) -> date | None:
    """The date a back-filled step actually happened (empty: it happens now)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            _("Tanggal tidak valid: %(raw)s (format TTTT-BB-HH).") % {"raw": raw[:20]}
        ) from None


def _field_errors(error: ValidationError) -> dict[str, str]:
    return {k: " ".join(str(m) for m in v[0].messages) for k, v in error.error_dict.items()}


def _back_to(request, village, period):
    return redirect(
        "village_report",
        district_slug=request.district.slug,
        village_id=village.pk,
        period_id=period.pk,
    )


def _back(request, report):
    return _back_to(request, report.village, report.period)


def _own_report(request, report_id) -> VillageReport:
    report = _report(request, report_id)
    require(policy.may_fill_village(request.access, report.village))
    return report


@district_view("villages.fill", methods=("POST",))
@submitted_once
def report_upload(request, report_id):
    report = _own_report(request, report_id)
    try:
        reports.upload_file(
            report=report,
            slot=request.POST.get("slot", ""),
            upload=request.FILES.get("file"),
            by=request.user,
        )
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Berkas diunggah."))
    return _back(request, report)


@district_view("villages.fill", methods=("POST",))
def report_correct(request, report_id):
    report = _own_report(request, report_id)
    try:
        reports.start_correction(report=report, by=request.user)
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    else:
        messages.success(
            request, _("Versi koreksi dibuat. Versi yang terverifikasi tetap tersimpan.")
        )
    return _back(request, report)


def _checked_by_camat(request, report_id) -> VillageReport:
    report = _report(request, report_id)
    require(policy.may_verify_village(request.access, report.village))
    return report


@district_view("villages.verify", methods=("POST",))
def report_verify(request, report_id):
    report = _checked_by_camat(request, report_id)
    try:
        reports.verify_report(
            report=report,
            by=request.user,
            happened_on=_posted_date(request.POST.get("tanggal_sebenarnya")),
        )
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Laporan diverifikasi dan terkunci."))
    return _back(request, report)


@district_view("villages.verify", methods=("POST",))
def report_return(request, report_id):
    report = _checked_by_camat(request, report_id)
    try:
        reports.return_report(report=report, remark=request.POST.get("remark", ""), by=request.user)
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Laporan dikembalikan ke desa dengan catatan."))
    return _back(request, report)


@district_view("villages.on_behalf", methods=("POST",))
def report_on_behalf(request, report_id):
    """The district admin verifies or returns a report on behalf of a kecamatan that has no
    active camat account (the service refuses where it has one)."""
    report = _report(request, report_id)
    require(policy.may_verify_on_behalf(request.access, report.village))
    decision = request.POST.get("keputusan", "")
    try:
        if decision == "verify":
            reports.verify_report(
                report=report,
                by=request.user,
                happened_on=_posted_date(request.POST.get("tanggal_sebenarnya")),
                on_behalf=True,
            )
            messages.success(request, _("Laporan diverifikasi atas nama kecamatan."))
        elif decision == "return":
            reports.return_report(
                report=report,
                remark=request.POST.get("remark", ""),
                by=request.user,
                on_behalf=True,
            )
            messages.success(request, _("Laporan dikembalikan atas nama kecamatan."))
        else:
            messages.error(request, _("Pilih: verifikasi atau kembalikan."))
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    return _back(request, report)


@district_view("villages.view")
def report_version(request, report_id):
    """One version as it was (older versions stay readable after a correction)."""
    report = _report(request, report_id)
    data = report.data
    return render(
        request,
        "village_reports/report_version.html",
        {
            "report": report,
            "village": report.village,
            "period": report.period,
            "rows": _field_rows(report.kind, data, {}, kelurahan=report.village.is_kelurahan),
            "computed": _computed(report.kind, data, kelurahan=report.village.is_kelurahan),
            "files": _files_by_slot(report),
            "slots": scorecard.semester_files(report.village.is_kelurahan),
        },
    )


def _files_by_slot(report):
    files = {}
    for stored in report.files.all():
        files.setdefault(stored.slot, []).append(stored)
    return files


@district_view("villages.view")
def report_pdf(request, report_id):
    report = _report(request, report_id)
    if report.kind != ReportKind.SCORECARD:
        raise Http404
    from .printing import scorecard_pdf

    data = scorecard_pdf(report)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"scorecard-{report.village.code}-{report.period.year}-k{report.period.number}"
    response["Content-Disposition"] = f'inline; filename="{name}-v{report.version}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_file(request, file_id) -> ReportFile:
    stored = get_object_or_404(
        ReportFile.objects.select_related("report__village", "report__period"),
        pk=file_id,
        district=request.district,
    )
    _report(request, stored.report_id)  # the same checks as the report itself
    return stored


@district_view("villages.view")
def report_file(request, file_id):
    stored = _stored_file(request, file_id)
    return private_file_response(
        stored.file.open("rb"), content_type=stored.content_type, filename=stored.original_name
    )


@district_view("villages.fill", methods=("POST",))
def report_file_remove(request, file_id):
    stored = _stored_file(request, file_id)
    require(policy.may_fill_village(request.access, stored.report.village))
    try:
        reports.remove_file(stored=stored, by=request.user)
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Berkas dihapus."))
    return _back(request, stored.report)


# --- The district's and the camat's views -------------------------------------------------


@district_view("villages.completeness")
def period_list(request):
    district = request.district
    today = district.local_now().date()
    year = _year_param(request, today.year)
    periods = list(ReportPeriod.objects.filter(district=district, year=year).order_by("due_on"))
    counts = summaries.period_counts(
        [district],
        year,
        kecamatan_ids=None if request.access.district_wide else request.access.kecamatan_ids,
    )[district.pk]
    for period in periods:
        period.counts = counts.get((period.kind, period.number), summaries.PeriodCounts())
    current = next((p for p in periods if p.due_on >= today), periods[-1] if periods else None)
    return render(
        request,
        "village_reports/period_list.html",
        {
            "periods": periods,
            "year": year,
            "years": [year - 1, year, year + 1],
            "today": today,
            "current": current,
        },
    )


@district_view("villages.periods", methods=("GET", "HEAD", "POST"))
def period_setup(request):
    district = request.district
    today = district.local_now().date()
    year = _year_param(request, today.year)
    typed = {}
    if request.method == "POST":
        year = _year(request.POST.get("tahun"), year)
        try:
            if request.POST.get("pengaturan"):
                reports.save_report_settings(
                    district=district,
                    scorecard_due_days=_posted_int(request.POST, "scorecard_due_days"),
                    semester_due_days=_posted_int(request.POST, "semester_due_days"),
                    sending_days=_posted_int(request.POST, "sending_days"),
                    auto_create=bool(request.POST.get("auto_create")),
                    by=request.user,
                )
                messages.success(
                    request,
                    _("Pengaturan disimpan; berlaku untuk periode yang dibuat sesudah ini."),
                )
            elif request.POST.get("create"):
                made = reports.create_periods(district=district, year=year, by=request.user)
                messages.success(
                    request,
                    _("%(n)s periode dibuat untuk tahun %(year)s.") % {"n": made, "year": year},
                )
            else:
                typed = {k: v for k, v in request.POST.items() if k.startswith(("due_", "opens_"))}
                changed = reports.set_due_dates(
                    district=district,
                    due=_posted_dates(request.POST, "due_"),
                    opens=_posted_dates(request.POST, "opens_"),
                    by=request.user,
                )
                messages.success(request, _("%(n)s periode diubah.") % {"n": changed})
            return redirect(f"{request.path}?tahun={year}")
        except ValidationError as error:
            for message in _messages_from(error):
                messages.error(request, message)
    periods = list(ReportPeriod.objects.filter(district=district, year=year).order_by("due_on"))
    for period in periods:  # a refused form comes back as it was typed
        period.due_typed = typed.get(f"due_{period.pk}", period.due_on.isoformat())
        period.opens_typed = typed.get(f"opens_{period.pk}", period.opens_on.isoformat())
    return render(
        request,
        "village_reports/period_setup.html",
        {
            "periods": periods,
            "year": year,
            "years": [year - 1, year, year + 1],
            "settings": reports.settings_for(district),
        },
    )


def _posted_int(posted, key: str) -> int:
    raw = (posted.get(key) or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        raise ValidationError(_("Isi jumlah hari dengan angka bulat."))
    return int(raw)


def _posted_dates(posted, prefix: str) -> dict[int, date]:
    dates = {}
    for key, raw in posted.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            try:
                dates[int(key[len(prefix) :])] = date.fromisoformat(raw)
            except ValueError:
                raise ValidationError(
                    _("Tanggal tidak valid: %(raw)s (format TTTT-BB-HH).") % {"raw": raw}
                ) from None
    return dates


# More village rows than this and no kecamatan chosen: the page shows one row per kecamatan
# (its counts, a link to its villages) instead of every village. Rendering a row costs about
# 84 µs; an 850-village district's full list took 1.3 s at p95 and nobody reads it at once.
COMPLETENESS_ROWS = 100


@district_view("villages.completeness")
def completeness(request, period_id):
    period = _period(request, period_id)
    state = request.GET.get("status", "")
    # one kecamatan (the dashboard's rows); a value that is not a number is ignored
    raw = request.GET.get("kecamatan", "")
    kecamatan_id = int(raw) if raw.isascii() and raw.isdigit() else None
    # the dashboard's focus and other-village rows: ?lokus=1 or ?lokus=0
    lokus = request.GET.get("lokus", "")
    lokus = lokus if lokus in ("0", "1") else ""
    view = reports.completeness(
        district=request.district,
        period=period,
        access=request.access,
        state=state or None,
        kecamatan_id=kecamatan_id,
        counts_over=COMPLETENESS_ROWS,
        focus={"1": True, "0": False}.get(lokus),
    )
    shown = view.shown
    return render(
        request,
        "village_reports/completeness.html",
        {
            "period": period,
            "view": view,
            # the totals above stay those of every village
            "collapsed": kecamatan_id is None and shown > COMPLETENESS_ROWS,
            "shown": shown,
            "state": state,
            "kecamatan_id": kecamatan_id,
            "lokus": lokus,
            "states": _state_choices(),
            # translated once, not once per village row
            "label_verified": _("terverifikasi"),
            "label_submitted": _("menunggu verifikasi"),
            "label_returned": _("dikembalikan"),
            "label_missing": _("belum dikirim"),
        },
    )


def _state_choices():
    return [
        ("", _("semua")),
        ("missing", _("belum dikirim")),
        ("late", _("terlambat")),
        ("submitted", _("menunggu verifikasi")),
        ("returned", _("dikembalikan")),
        ("verified", _("terverifikasi")),
    ]


@district_view("villages.completeness")
def completeness_export(request, period_id):
    period = _period(request, period_id)
    view = reports.completeness(district=request.district, period=period, access=request.access)
    from .printing import reports_xlsx

    data = reports_xlsx(view, period)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"laporan-desa-{request.district.slug}-{period.year}-{period.kind}-{period.number}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- The kecamatan's recap upward ---------------------------------------------------------------


def _kecamatan(request, kecamatan_id) -> Kecamatan:
    return get_object_or_404(Kecamatan, pk=kecamatan_id, district=request.district)


def _to_recaps(request, period):
    return redirect("recap_list", district_slug=request.district.slug, period_id=period.pk)


@district_view("villages.completeness")
def recap_list(request, period_id):
    """Each kecamatan's recap for the period: the camat forwards his, the district accepts or
    returns them."""
    period = _period(request, period_id)
    access = request.access
    rows = recaps.recap_rows(district=request.district, period=period, access=access)
    for row in rows:
        row.may_forward = policy.may_forward_recap(access, row.kecamatan) and (
            row.recap is None or row.recap.status == RecapStatus.RETURNED
        )
        row.may_decide = (
            access.can("villages.recap")
            and row.recap is not None
            and row.recap.status == RecapStatus.FORWARDED
        )
    return render(request, "village_reports/recaps.html", {"period": period, "rows": rows})


@district_view("villages.verify", methods=("POST",))
@submitted_once
def recap_forward(request, period_id, kecamatan_id):
    period = _period(request, period_id)
    kecamatan = _kecamatan(request, kecamatan_id)
    # a camat of another kecamatan learns nothing about this one
    require(policy.may_forward_recap(request.access, kecamatan), not_found=True)
    try:
        recaps.forward_recap(kecamatan=kecamatan, period=period, by=request.user)
    except ValidationError as error:
        for message in _messages_from(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Rekap diteruskan ke kabupaten."))
    return _to_recaps(request, period)


def _forwarded_recap(request, period_id, kecamatan_id):
    period = _period(request, period_id)
    kecamatan = _kecamatan(request, kecamatan_id)
    recap = (
        KecamatanRecap.objects.filter(period=period, kecamatan=kecamatan)
        .select_related("kecamatan", "period", "district")
        .first()
    )
    if recap is None:
        messages.error(request, _("Kecamatan ini belum meneruskan rekap untuk periode ini."))
    return period, recap


@district_view("villages.recap", methods=("POST",))
def recap_accept(request, period_id, kecamatan_id):
    period, recap = _forwarded_recap(request, period_id, kecamatan_id)
    if recap is not None:
        try:
            recaps.accept_recap(recap=recap, by=request.user)
        except ValidationError as error:
            for message in _messages_from(error):
                messages.error(request, message)
        else:
            messages.success(
                request, _("Rekap diterima. Laporan kecamatan ini untuk periode ini terkunci.")
            )
    return _to_recaps(request, period)


@district_view("villages.recap", methods=("POST",))
def recap_return(request, period_id, kecamatan_id):
    period, recap = _forwarded_recap(request, period_id, kecamatan_id)
    if recap is not None:
        try:
            recaps.return_recap(recap=recap, remark=request.POST.get("remark", ""), by=request.user)
        except ValidationError as error:
            for message in _messages_from(error):
                messages.error(request, message)
        else:
            messages.success(request, _("Rekap dikembalikan ke kecamatan dengan alasannya."))
    return _to_recaps(request, period)
