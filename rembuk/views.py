"""Rembuk stunting pages: the list, one session (facts, agenda, participants and attendance,
self check-in by QR code, minutes, photos, the agreed plan) and the forms that change them; and
the public self check-in page reached from the QR code.

`rembuk.services.session_for` answers 404 for a session the user may not see;
`accounts.policy.may_manage_session` decides whether he may change one he sees (else 403)."""

import uuid
from datetime import timedelta

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from accounts import policy
from accounts.once import submitted_once
from accounts.policy import district_view, public_view, require
from accounts.tenancy import district_scope, found_by_token
from lib import ratelimit, stale
from lib.ratelimit import client_ip, limited
from lib.uploads import private_file_response

from . import services, summaries
from .forms import (
    CheckinForm,
    MinutesForm,
    ParticipantsForm,
    PlanItemForm,
    SessionCreateForm,
    SessionForm,
    UploadForm,
    location_choices,
)
from .models import Level, Participant, PlanItem, RembukSession, RkpdStatus, SessionFile

MANAGE = ("GET", "HEAD", "POST")
PER_PAGE = 50


# --- Object lookups -------------------------------------------------------------------------------


def _manageable(request, session_id) -> RembukSession:
    session = services.session_for(request, session_id)
    require(policy.may_manage_session(request.access, session))
    return session


def _child(request, model, pk, *, manage: bool):
    """A participant, file or plan line whose session the user may see (else 404) and, when
    `manage`, change (else 403)."""
    obj = model.objects.filter(pk=pk, district=request.district).only("pk", "session_id").first()
    if obj is None:
        raise Http404
    session = services.session_for(request, obj.session_id)
    if manage:
        require(policy.may_manage_session(request.access, session))
    obj = model.objects.get(pk=obj.pk)
    obj.session = session
    return obj


def _detail_url(session, anchor: str = "") -> str:
    url = reverse(
        "rembuk_detail", kwargs={"district_slug": session.district.slug, "session_id": session.pk}
    )
    return f"{url}#{anchor}" if anchor else url


def _first_error(error: ValidationError) -> str:
    return str(error.messages[0]) if error.messages else _("Tidak dapat disimpan.")


def _apply_errors(form, error: ValidationError):
    """A service's refusal shown at the form's field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _year(raw, default):
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return default
    return year if 2015 <= year <= 2100 else default


# --- The list and the create form -----------------------------------------------------------------


@district_view("rembuk.view")
def rembuk_list(request):
    district = request.district
    access = request.access
    today = district.local_now().date()
    visible = RembukSession.objects.filter(district=district).visible_to(access)
    years = sorted(
        set(visible.order_by().values_list("year", flat=True).distinct()) | {today.year},
        reverse=True,
    )
    raw_year = request.GET.get("tahun", "")
    year = None if raw_year == "semua" else _year(raw_year, today.year)
    level = request.GET.get("tingkat", "")
    if level not in Level.values:
        level = ""
    sessions = visible.select_related("kecamatan", "village").order_by("-starts_at", "title")
    if year is not None:
        sessions = sessions.filter(year=year)
    if level:
        sessions = sessions.filter(level=level)
    page = Paginator(sessions, PER_PAGE).get_page(request.GET.get("hal"))
    rows = list(page.object_list)
    _annotate_counts(rows)
    now = timezone.now()
    for s in rows:
        s.upcoming = s.starts_at > now
    query = {"tahun": "semua" if year is None else year, "tingkat": level}
    return render(
        request,
        "rembuk/list.html",
        {
            "sessions": rows,
            "page": page,
            "years": years,
            "year": year,
            "level": level,
            "levels": Level.choices,
            "query": "&".join(f"{k}={v}" for k, v in query.items() if v != ""),
            "may_create": policy.may_create_any_session(access),
            "today": today,
        },
    )


def _annotate_counts(sessions: list[RembukSession]):
    """Participants, attendance and plan sums of one page of sessions, in two queries."""
    ids = [s.pk for s in sessions]
    people = {
        row["session_id"]: row
        for row in Participant.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(
            total=Count("pk"),
            present=Count("pk", filter=Q(attended_at__isnull=False)),
        )
    }
    plans = {
        row["session_id"]: row
        for row in PlanItem.objects.filter(session_id__in=ids)
        .values("session_id")
        .annotate(items=Count("pk"), budget=Sum("budget"))
    }
    for s in sessions:
        s.n_participants = people.get(s.pk, {}).get("total", 0)
        s.n_present = people.get(s.pk, {}).get("present", 0)
        s.n_plan_items = plans.get(s.pk, {}).get("items", 0)
        s.plan_budget = plans.get(s.pk, {}).get("budget") or 0


@district_view("rembuk.manage", methods=MANAGE)
@submitted_once
def rembuk_create(request):
    district = request.district
    choices = services.creation_choices(request.access, district)
    require(bool(choices.levels))
    form = SessionCreateForm(
        request.POST or None,
        district=district,
        choices=choices,
        initial={"year": district.local_now().year},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        level, kecamatan, village = data["level"], data["kecamatan_obj"], data["village_obj"]
        require(
            policy.may_create_session(
                request.access, level=level, kecamatan=kecamatan, village=village
            )
        )
        try:
            session = services.create_session(
                district=district,
                level=level,
                kecamatan=kecamatan,
                village=village,
                by=request.user,
                **form.session_fields(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Rembuk %(title)s dibuat.") % {"title": session.title})
            return redirect(_detail_url(session))
    return render(request, "rembuk/session_form.html", {"form": form, "session": None})


# --- One session -------------------------------------------------------------------------------


@district_view("rembuk.view")
def rembuk_detail(request, session_id):
    session = services.session_for(request, session_id)
    may_manage = policy.may_manage_session(request.access, session)
    participants = list(Participant.objects.filter(session=session))
    files = list(SessionFile.objects.filter(session=session).select_related("uploaded_by"))
    items = list(
        PlanItem.objects.filter(session=session)
        .select_related("lead_agency")
        .prefetch_related("villages")
    )
    invited = [p for p in participants if p.invited]
    context = {
        "session": session,
        "may_manage": may_manage,
        "participants": participants,
        "counts": {
            "invited": len(invited),
            "invited_present": sum(1 for p in invited if p.present),
            "walk_ins": len(participants) - len(invited),
            "present": sum(1 for p in participants if p.present),
        },
        "minutes_files": [f for f in files if f.kind == SessionFile.Kind.MINUTES],
        "photos": [f for f in files if f.kind == SessionFile.Kind.PHOTO],
        "items": items,
        "totals": summaries.plan_totals([session.district], session.year, only_sessions=[session])[
            session.district_id
        ],
        "rkpd_choices": RkpdStatus.choices,
        "local_start": timezone.localtime(session.starts_at, session.district.tz),
        "documents": _documents_of(session),
    }
    if may_manage:
        context.update(_checkin_panel(request, session))
    return render(request, "rembuk/detail.html", context)


def _documents_of(session) -> list:
    """The commitment documents made from this session, with their current version."""
    from django.db.models import Prefetch

    from commitments.models import DocumentVersion

    documents = list(
        session.documents.prefetch_related(
            Prefetch("versions", queryset=DocumentVersion.objects.order_by("-number"))
        )
    )
    for d in documents:
        d._current_version = next(iter(d.versions.all()), None)
    return documents


def _checkin_panel(request, session) -> dict:
    url = request.build_absolute_uri(reverse("rembuk_checkin", args=[session.checkin_code]))
    opens, closes = session.checkin_window()
    tz = session.district.tz
    return {
        "checkin_url": url,
        "checkin_qr": segno.make(url, error="m").svg_data_uri(scale=4),
        "checkin_state": session.checkin_state(),
        "checkin_opens": timezone.localtime(opens, tz),
        # shown as the last minute of the day ("23:59"), not as tomorrow's midnight
        "checkin_last": timezone.localtime(closes - timedelta(minutes=1), tz),
    }


@district_view("rembuk.manage", methods=MANAGE)
def rembuk_edit(request, session_id):
    session = _manageable(request, session_id)
    form = SessionForm(
        request.POST or None, district=request.district, initial=SessionForm.initial_for(session)
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_session(
                session,
                by=request.user,
                expected=stale.posted_token(request),
                **form.session_fields(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Perubahan disimpan."))
            return redirect(_detail_url(session))
    return render(request, "rembuk/session_form.html", {"form": form, "session": session})


@district_view("rembuk.manage", methods=("POST",))
def rembuk_checkin_settings(request, session_id):
    """Open or close self check-in, or give the QR a new code."""
    session = _manageable(request, session_id)
    action = request.POST.get("action")
    if action in ("open", "close"):
        services.update_session(session, by=request.user, checkin_open=action == "open")
        messages.success(
            request,
            _("Presensi mandiri dibuka.") if action == "open" else _("Presensi mandiri ditutup."),
        )
    elif action == "renew":
        services.renew_checkin_code(session, by=request.user)
        messages.success(request, _("Kode presensi baru dibuat; kode lama tidak berlaku lagi."))
    else:
        messages.error(request, _("Pilih tindakan."))
    return redirect(_detail_url(session, "presensi"))


# --- Minutes and files ---------------------------------------------------------------------------


def _minutes_page(request, session, *, form=None, upload_form=None, status=200):
    form = form or MinutesForm(initial={"chair": session.chair, "minutes": session.minutes})
    files = list(SessionFile.objects.filter(session=session))
    return render(
        request,
        "rembuk/minutes.html",
        {
            "session": session,
            "form": form,
            "upload_form": upload_form or UploadForm(),
            "files": files,
        },
        status=status,
    )


@district_view("rembuk.manage", methods=MANAGE)
def rembuk_minutes(request, session_id):
    session = _manageable(request, session_id)
    if request.method != "POST":
        return _minutes_page(request, session)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            changed = services.update_session(
                session, by=request.user, expected=stale.posted_token(request), **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Notulen disimpan."))
            return redirect(_detail_url(session, "notulen"))
    return _minutes_page(request, session, form=form)


@district_view("rembuk.manage", methods=MANAGE)
@submitted_once
def rembuk_upload(request, session_id):
    session = _manageable(request, session_id)
    if request.method != "POST":
        return _minutes_page(request, session)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            stored = services.store_file(
                session,
                upload=data["file"],
                kind=data["kind"],
                caption=data["caption"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(
                request, _("Berkas %(name)s diunggah.") % {"name": stored.original_name}
            )
            anchor = "foto" if stored.kind == SessionFile.Kind.PHOTO else "notulen"
            return redirect(_detail_url(session, anchor))
    return _minutes_page(request, session, upload_form=form)


@district_view("rembuk.view")
@cache_control(private=True, no_store=True)
def rembuk_file(request, rembuk_file_id):
    """Files are served only here, after the district (middleware), role and session checks.
    `?kecil=1` serves a photo's thumbnail."""
    stored = _child(request, SessionFile, rembuk_file_id, manage=False)
    if request.GET.get("kecil") and stored.thumbnail:
        return private_file_response(
            stored.thumbnail.open("rb"),
            content_type="image/jpeg",
            filename=f"kecil-{stored.original_name.rsplit('.', 1)[0]}.jpg",
        )
    return private_file_response(
        stored.file.open("rb"), content_type=stored.content_type, filename=stored.original_name
    )


@district_view("rembuk.manage", methods=("POST",))
def rembuk_file_remove(request, rembuk_file_id):
    stored = _child(request, SessionFile, rembuk_file_id, manage=True)
    try:
        services.remove_file(stored, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Berkas %(name)s dihapus.") % {"name": stored.original_name})
    anchor = "foto" if stored.kind == SessionFile.Kind.PHOTO else "notulen"
    return redirect(_detail_url(stored.session, anchor))


# --- Participants --------------------------------------------------------------------------------


REPORT_KEY = "rembuk_participants_report"
REPORT_ROWS = 500  # skipped people listed on the page; the counts cover them all


@district_view("rembuk.manage", methods=MANAGE)
@submitted_once
def rembuk_participants(request, session_id):
    """Invite people: paste a list, or add every village head of the session's area. After a
    paste the page lists who was skipped and why, and offers the bad lines again to be
    corrected."""
    session = _manageable(request, session_id)
    form = ParticipantsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        people, bad = form.cleaned_data["lines"]
        try:
            new, skipped = services.add_participants(
                session, lines=people, bad_lines=bad, by=request.user
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            _report_added(request, session, new, skipped)
            return redirect(
                reverse("rembuk_participants", args=[request.district.slug, session.pk]) + "#hasil"
            )
    report = _pop_report(request, session)
    if request.method != "POST" and report and report["retry"]:
        form = ParticipantsForm(initial={"lines": report["retry"]})
    heads = services.village_head_memberships(session)
    participants = list(Participant.objects.filter(session=session))
    linked = {p.user_id for p in participants if p.user_id}
    return render(
        request,
        "rembuk/participants.html",
        {
            "session": session,
            "form": form,
            "participants": participants,
            "n_walk_ins": sum(1 for p in participants if not p.invited),
            "n_heads": len(heads),
            "n_heads_new": sum(1 for m in heads if m.user_id not in linked),
            "report": report,
        },
    )


def _report_added(request, session, new, skipped):
    """A message, and for the participants page the list of who was skipped and why (kept
    in the session until that page shows it once)."""
    if new:
        messages.success(request, _("%(n)d peserta ditambahkan.") % {"n": len(new)})
    if skipped:
        messages.info(
            request, _("%(n)d baris dilewati; lihat alasannya di bawah.") % {"n": len(skipped)}
        )
    if not new and not skipped:
        messages.info(request, _("Tidak ada peserta yang ditambahkan."))
    counts = {kind: 0 for kind in services.SKIP_KINDS}
    for s in skipped:
        counts[s.kind] += 1
    request.session[REPORT_KEY] = {
        "session": str(session.pk),
        "added": len(new),
        "skipped": [s.as_row() for s in skipped[:REPORT_ROWS]],
        "n_skipped": len(skipped),
        "counts": counts,
        # the bad lines, offered again in the box to be corrected and sent
        "retry": "\n".join(s.text for s in skipped if s.kind == "invalid"),
    }


def _pop_report(request, session) -> dict | None:
    report = request.session.get(REPORT_KEY)
    if not report or report.get("session") != str(session.pk):
        return None
    del request.session[REPORT_KEY]
    labels = services.SKIP_KINDS
    report["rows"] = [
        {"number": n, "text": t, "reason": r, "kind": labels.get(k, "")}
        for n, t, r, k in report["skipped"]
    ]
    report["summary"] = [(labels[k], n) for k, n in report["counts"].items() if n]
    report["more"] = report["n_skipped"] - len(report["rows"])
    return report


@district_view("rembuk.manage", methods=("POST",))
def rembuk_walk_ins_remove(request, session_id):
    """Remove the chosen walk-ins, or every walk-in ("semua"): names typed at the door by
    whoever held the check-in code."""
    session = _manageable(request, session_id)
    if request.POST.get("semua") == "1":
        ids = None
    else:
        ids = []
        for value in request.POST.getlist("participant"):
            try:
                ids.append(uuid.UUID(value))
            except ValueError:
                continue
    removed = services.remove_walk_ins(session, ids=ids, by=request.user) if ids != [] else 0
    if removed:
        messages.success(
            request, _("%(n)d peserta tanpa undangan dihapus dari daftar.") % {"n": removed}
        )
    else:
        messages.info(request, _("Tidak ada peserta yang dihapus."))
    return redirect(reverse("rembuk_participants", args=[request.district.slug, session.pk]))


@district_view("rembuk.manage", methods=("POST",))
@submitted_once
def rembuk_add_village_heads(request, session_id):
    session = _manageable(request, session_id)
    try:
        new, skipped = services.add_village_heads(session, by=request.user)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    else:
        _report_added(request, session, new, skipped)
    return redirect(
        reverse("rembuk_participants", args=[request.district.slug, session.pk]) + "#hasil"
    )


@district_view("rembuk.manage", methods=("POST",))
def rembuk_attendance(request, participant_id):
    participant = _child(request, Participant, participant_id, manage=True)
    present = request.POST.get("present") == "1"
    services.mark_attendance(participant, present=present, by=request.user)
    return redirect(_detail_url(participant.session, f"p-{participant.pk}"))


@district_view("rembuk.manage", methods=("POST",))
def rembuk_participant_remove(request, participant_id):
    participant = _child(request, Participant, participant_id, manage=True)
    services.remove_participant(participant, by=request.user)
    messages.success(request, _("%(name)s dihapus dari daftar peserta.") % {"name": participant})
    return redirect(_detail_url(participant.session, "peserta"))


# --- The agreed activity plan ---------------------------------------------------------------------


def _plan_page(request, session, form, item=None):
    """The plan form, with the locations grouped by kecamatan and focus villages marked."""
    from village_reports.focus import focus_village_ids

    chosen = {str(v) for v in (form["villages"].value() or [])}
    focus = focus_village_ids(session.district, session.year) | focus_village_ids(
        session.district, session.year + 1
    )
    groups: dict = {}
    for village in location_choices(session):
        groups.setdefault(village.kecamatan, []).append(
            {"village": village, "checked": str(village.pk) in chosen, "focus": village.pk in focus}
        )
    locations = [
        {"kecamatan": k, "villages": vs, "open": any(v["checked"] for v in vs) or len(groups) == 1}
        for k, vs in groups.items()
    ]
    return render(
        request,
        "rembuk/plan_form.html",
        {"session": session, "form": form, "item": item, "locations": locations},
    )


@district_view("rembuk.manage", methods=MANAGE)
@submitted_once
def rembuk_plan_add(request, session_id):
    session = _manageable(request, session_id)
    initial = {"villages": [session.village_id]} if session.level == Level.VILLAGE else {}
    form = PlanItemForm(request.POST or None, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.add_plan_item(
                session,
                by=request.user,
                villages=form.cleaned_data["villages"],
                **form.plan_fields(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Kegiatan %(a)s ditambahkan.") % {"a": item.activity})
            return redirect(_detail_url(session, "rencana"))
    return _plan_page(request, session, form)


@district_view("rembuk.manage", methods=MANAGE)
def rembuk_plan_edit(request, plan_item_id):
    item = _child(request, PlanItem, plan_item_id, manage=True)
    session = item.session
    form = PlanItemForm(
        request.POST or None, session=session, item=item, initial=PlanItemForm.initial_for(item)
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_plan_item(
                item,
                by=request.user,
                villages=form.cleaned_data["villages"],
                expected=stale.posted_token(request),
                **form.plan_fields(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Kegiatan disimpan."))
            return redirect(_detail_url(session, f"r-{item.pk}"))
    return _plan_page(request, session, form, item)


@district_view("rembuk.manage", methods=("POST",))
def rembuk_plan_remove(request, plan_item_id):
    item = _child(request, PlanItem, plan_item_id, manage=True)
    services.remove_plan_item(item, by=request.user)
    messages.success(request, _("Kegiatan %(a)s dihapus.") % {"a": item.activity})
    return redirect(_detail_url(item.session, "rencana"))


@district_view("rembuk.manage", methods=("POST",))
def rembuk_plan_rkpd(request, plan_item_id):
    item = _child(request, PlanItem, plan_item_id, manage=True)
    try:
        services.set_rkpd(item, status=request.POST.get("in_rkpd", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    return redirect(_detail_url(item.session, f"r-{item.pk}"))


# --- Public self check-in -------------------------------------------------------------------------


CHECKINS_PER_ADDRESS = 60  # check-in posts per address per 10 minutes (a venue's Wi-Fi is one)
WALK_INS_PER_ADDRESS = 10  # of which new walk-ins
WALK_IN_SECONDS = 600


@public_view(methods=("GET", "HEAD", "POST"))
@limited("rembuk-checkin", limit=CHECKINS_PER_ADDRESS, seconds=600, max_body=64 * 1024)
def checkin(request, token):
    """The page behind the QR code: the session's title, date and venue and a form. Nothing
    else about the session, and never the list of participants."""
    # found by its code before any district is known; then only in its own district
    session = found_by_token(
        RembukSession, related=("district", "kecamatan", "village"), checkin_code=token
    )
    if session is None:
        raise Http404
    district = session.district
    timezone.activate(district.tz)
    try:
        with district_scope(district):
            return _checkin(request, session, token)
    finally:
        timezone.deactivate()


def _checkin(request, session, token):
    user = request.user if request.user.is_authenticated else None
    mine = (
        Participant.objects.filter(session=session, user=user).first() if user is not None else None
    )
    form = CheckinForm(request.POST or None) if not request.POST.get("me") else CheckinForm()
    refusal = None
    if request.method == "POST":
        # "Saya hadir" checks in the logged-in user; the form checks in whoever typed his name
        # (maybe someone else on this phone), never linked to the account
        if request.POST.get("me") and mine is not None:
            fields = {"name": mine.name, "user": user}
        elif form.is_valid():
            fields = form.cleaned_data
        else:
            fields = None
        if fields is not None:
            address = client_ip(request)
            try:
                participant = services.check_in(
                    session,
                    code=token,
                    walk_in_allowed=not ratelimit.exceeded(
                        "rembuk-walk-in", address, limit=WALK_INS_PER_ADDRESS
                    ),
                    **fields,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    _apply_errors(form, exc)
                else:
                    refusal = _first_error(exc)
            else:
                if not participant.invited:
                    ratelimit.hit(
                        "rembuk-walk-in",
                        address,
                        limit=WALK_INS_PER_ADDRESS,
                        seconds=WALK_IN_SECONDS,
                    )
                messages.success(
                    request,
                    _("Terima kasih, %(name)s. Kehadiran Anda tercatat pukul %(time)s %(tz)s.")
                    % {
                        "name": participant.name,
                        "time": timezone.localtime(participant.attended_at).strftime("%H:%M"),
                        "tz": session.district.time_zone_short,
                    },
                )
                return redirect(reverse("rembuk_checkin", args=[token]) + "?tercatat=1")
    state = session.checkin_state()
    if request.method == "POST" and refusal and state == "open":
        messages.error(request, refusal)
    return render(
        request,
        "rembuk/checkin.html",
        {
            "session": session,
            "form": form,
            "mine": mine,
            "state": state,
            "refusal": services.CHECKIN_REFUSED.get(state),
            "local_start": timezone.localtime(session.starts_at, session.district.tz),
            # just checked in: the thanks, and the form only for whoever uses the phone next
            "done": request.method == "GET" and request.GET.get("tercatat") == "1",
        },
    )
