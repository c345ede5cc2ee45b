"""Commitment documents: list, writing, signatories, signing, the final PDF, follow-up, the
district's own templates, one document for every village, and the public verification
page."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Min, Prefetch, Q, Window
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from accounts import policy, reauth
from accounts.models import Membership, Role, User
from accounts.once import submitted_once
from accounts.policy import district_view
from accounts.tenancy import district_scope, found_by_token
from documents.views import compare_upload, district_job_urls
from lib import formats, generations, stale
from lib.uploads import private_file_response
from rembuk.models import Level, RembukSession
from rembuk.services import creation_choices
from villages.models import Agency, Kecamatan, Village

from . import chain, services, summaries
from .forms import (
    ContentForm,
    CreateForm,
    FollowUpForm,
    IssueForm,
    NewTemplateForm,
    PaperBatchForm,
    PaperForm,
    ProgressForm,
    SignatoryForm,
    SignatoryLinesForm,
    SignForm,
    TemplateForm,
    VerdictForm,
    VillageBlockForm,
)
from .models import (
    FOLLOW_UP_FINISHED,
    CommitmentDocument,
    DocumentTemplate,
    DocumentVersion,
    FollowUp,
    FollowUpEvidence,
    FollowUpStatus,
    PaperBatch,
    Signatory,
    Signature,
    VillageIssue,
)
from .printing import draft_pdf, format_nip, local_time, verify_url
from .wording import PLACEHOLDERS, builtin, from_template, title_for_year, wording

Status = CommitmentDocument.Status


# --- access -----------------------------------------------------------------------------------

# a change through a path that moves no generation (a bulk insert) shows within this time
KEPT_SECONDS = 60


def _document(request, document_id) -> CommitmentDocument:
    document = (
        CommitmentDocument.objects.visible_to(request.access)
        .filter(pk=document_id, district=request.district)
        .select_related("kecamatan", "village", "rembuk")
        .first()
    )
    if document is None:
        raise Http404
    document.district = request.district  # the one it was filtered by: not joined again
    return document


def _kept_document(request, document_id) -> CommitmentDocument | None:
    """The document with its current version for a reader who sees every document of the
    district, kept under the chain's fingerprint (which the change of either row moves) and the
    district's data generation (its rembuk's title, its area's names); None where nothing can be
    kept (another database) and where the district has no such document."""
    if not request.access.district_wide:
        return None
    fingerprint = chain.fingerprint_of(document_id, request.district.pk)
    if fingerprint is None:
        return None

    def build():
        document = (
            CommitmentDocument.objects.filter(pk=document_id, district=request.district)
            .select_related("kecamatan", "village", "rembuk")
            .first()
        )
        if document is not None:  # (deleted since the fingerprint was read: a 404 below)
            document.current_version  # noqa: B018 (read now, kept with the document)
        return document

    document = generations.kept(
        generations.DISTRICT_DATA,
        request.district.pk,
        ("commitment-document", document_id, fingerprint),
        build,
        seconds=KEPT_SECONDS,
    )
    if document is None:
        return None
    document.district = request.district
    document.chain_fingerprint = fingerprint  # not read again by the page
    return document


def _managed(request, document_id) -> CommitmentDocument:
    document = _document(request, document_id)
    if not policy.may_manage_document(request.access, document):
        messages.error(request, _("Anda tidak dapat mengubah dokumen ini."))
        raise _Back(document)
    return document


class _Back(Exception):
    """Refused on a document the user may read: back to its page with the message."""

    def __init__(self, document):
        self.document = document


def _to_document(document, anchor=""):
    url = reverse(
        "commitment_detail",
        kwargs={"district_slug": document.district.slug, "document_id": document.pk},
    )
    return redirect(url + anchor)


def _refusable(view):
    from functools import wraps

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Back as back:
            return _to_document(back.document)

    return wrapped


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


def _signatory(document, signatory_id) -> Signatory:
    return get_object_or_404(
        Signatory.objects.select_related("version", "user"),
        pk=signatory_id,
        version__document=document,
    )


# --- list -------------------------------------------------------------------------------------


@district_view("commitments.view")
def commitment_list(request):
    district = request.district
    access = request.access
    shown = CommitmentDocument.objects.visible_to(access).filter(district=district)
    issues = []
    if access.district_wide:
        # a document issued to every village is one line of its issue, not 850 lines
        shown = shown.filter(issue__isnull=True)
        issues = list(_issue_counts(district))
    documents = list(
        shown.select_related("village", "kecamatan", "rembuk").prefetch_related(
            Prefetch(
                "versions",
                queryset=DocumentVersion.objects.annotate(
                    n_signatories=Count("signatories", distinct=True),
                    n_signed=Count("signatories__signature", distinct=True),
                ).order_by("-number"),
            )
        )
    )
    for document in documents:
        versions = list(document.versions.all())
        document._current_version = versions[0] if versions else None
    counts = summaries.follow_ups([district])[district.pk].by_document
    for document in documents:
        document.follow = counts.get(document.pk, {})
    waiting = services.waiting_for(request.user, district)
    return render(
        request,
        "commitments/list.html",
        {
            "documents": documents,
            "issues": issues,
            "waiting": waiting,
            "may_create": access.can("commitments.manage"),
            "may_issue": access.can("commitments.issue"),
            "may_keep_templates": access.can("commitments.templates"),
        },
    )


# --- writing ----------------------------------------------------------------------------------


def _area_choices(request):
    """(levels, kecamatan choices, village choices) the user may create documents for: the
    same rule as for rembuk sessions."""
    allowed = creation_choices(request.access, request.district)
    return (
        [(value, label) for value, label in Level.choices if value in allowed.levels],
        [("", "—")] + [(k.pk, k.name) for k in allowed.kecamatan],
        [("", "—")] + [(v.pk, f"{v.name} ({v.kecamatan.name})") for v in allowed.villages],
    )


def _rembuk_choices(request):
    sessions = RembukSession.objects.visible_to(request.access).filter(district=request.district)
    return [("", "—")] + [
        (str(s.pk), f"{s.title} ({s.starts_at.astimezone(request.district.tz):%d-%m-%Y})")
        for s in sessions.order_by("-starts_at")[:100]
    ]


def _rembuk_from(request, raw: str):
    """The rembuk session named in the address, if the user may see it."""
    try:
        session_id = uuid.UUID(raw)
    except ValueError:
        return None
    return (
        RembukSession.objects.visible_to(request.access)
        .filter(pk=session_id, district=request.district)
        .select_related("district", "kecamatan", "village")
        .first()
    )


def _from_rembuk(session, levels) -> dict:
    """What a document made from `session` takes from it: its year, its day (in the
    district's time zone) and venue, and its level and area when the user may create a
    document there."""
    values = {
        "year": session.year,
        "signed_on": session.starts_at.astimezone(session.district.tz).date(),
        "place": session.venue,
    }
    if session.level in {value for value, _label in levels}:
        values["level"] = session.level
        values["kecamatan"] = session.kecamatan_id or ""
        values["village"] = session.village_id or ""
    return values


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@submitted_once
def commitment_create(request):
    district = request.district
    levels, kecamatan_choices, village_choices = _area_choices(request)
    today = district.local_now().date()
    if request.method == "POST":
        form = CreateForm(request.POST)
    else:
        template = request.GET.get("templat", "district")
        template = template if template in ("district", "village") else "district"
        village = None
        if template == "village" or Role.DISTRICT_ADMIN not in request.access.roles:
            village_id = request.GET.get("desa") or (
                village_choices[1][0] if len(village_choices) > 1 else None
            )
            if village_id and any(str(v) == str(village_id) for v, _label in village_choices):
                village = Village.objects.select_related("kecamatan").get(pk=village_id)
        if (
            village is not None
            and template == "district"
            and Role.DISTRICT_ADMIN not in request.access.roles
        ):
            template = "village"
        place = (
            village.name
            if village
            else district.name.replace("Kabupaten ", "").replace("Kota ", "")
        )
        session = _rembuk_from(request, request.GET.get("rembuk", ""))
        initial = {
            "level": "village" if village else levels[0][0],
            "village": village.pk if village else "",
            "kecamatan": village.kecamatan_id if village else "",
            "year": today.year,
            "place": place,
            "signed_on": today,
        }
        if session is not None:
            # a document made from a rembuk: its date, venue, year and area
            taken = _from_rembuk(session, levels)
            initial.update(taken)
            if "level" in taken:
                village = session.village
                template = "village" if village else "district"
        own = _own_template(request, request.GET.get("dari", ""))
        if own is not None and own.kind != template:
            own = None  # a village template fills a village document, as the built-in ones
        if own is not None:
            text = from_template(own, district=district, village=village, year=initial["year"])
        else:
            text = wording(template, district=district, village=village, year=initial["year"])
        form = CreateForm(
            initial={
                **initial,
                "template": template,
                "rembuk": str(session.pk) if session else "",
                "title": text["title"],
                "preamble": text["preamble"],
                "points": "\n".join(text["points"]),
                "closing": text["closing"],
            }
        )
    form.fields["level"].choices = levels
    form.fields["kecamatan"].choices = kecamatan_choices
    form.fields["village"].choices = village_choices
    form.fields["rembuk"].choices = _rembuk_choices(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        level = data["level"]
        village = kecamatan = None
        if level == Level.VILLAGE:
            if not data.get("village"):
                form.add_error("village", _("Pilih desa/kelurahan."))
            else:
                village = Village.objects.select_related("kecamatan").get(pk=data["village"])
                kecamatan = village.kecamatan
        elif level == Level.KECAMATAN:
            if not data.get("kecamatan"):
                form.add_error("kecamatan", _("Pilih kecamatan."))
            else:
                kecamatan = Kecamatan.objects.get(pk=data["kecamatan"])
        rembuk = None
        if data.get("rembuk"):
            rembuk = RembukSession.objects.filter(pk=data["rembuk"], district=district).first()
        if not form.errors:
            title = title_for_year(
                data["title"],
                template=data["template"],
                district=district,
                village=village,
                year=data["year"],
            )
            try:
                document = services.create_document(
                    district=district,
                    template=data["template"],
                    level=level,
                    kecamatan=kecamatan,
                    village=village,
                    rembuk=rembuk,
                    year=data["year"],
                    title=title,
                    preamble=data["preamble"],
                    points=services.parse_points(data["points"]),
                    closing=data["closing"],
                    place=data["place"],
                    signed_on=data["signed_on"],
                    by=request.user,
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                messages.success(request, _("Dokumen dibuat. Tambahkan penanda tangan."))
                return _to_document(document)
    own_templates = DocumentTemplate.objects.filter(district=district).values_list(
        "pk", "kind", "name"
    )
    return render(
        request,
        "commitments/create.html",
        {"form": form, "own_templates": list(own_templates)},
        status=200,
    )


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _own_template(request, template_id) -> DocumentTemplate | None:
    pk = _uuid(template_id) if template_id else None
    if pk is None:
        return None
    return DocumentTemplate.objects.filter(pk=pk, district=request.district).first()


def _attach(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
def commitment_edit(request, document_id):
    document = _managed(request, document_id)
    version = document.current_version
    signed = Signature.objects.filter(signatory__version=version).count()
    if request.method == "POST":
        form = ContentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                new = services.update_content(
                    document,
                    title=data["title"],
                    preamble=data["preamble"],
                    points=services.parse_points(data["points"]),
                    closing=data["closing"],
                    place=data["place"],
                    signed_on=data["signed_on"],
                    by=request.user,
                    expected=stale.posted_token(request),
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                if new.number != version.number:
                    messages.warning(
                        request,
                        _("Versi %(n)s dibuat; %(count)s tanda tangan pada versi lama dibatalkan.")
                        % {"n": new.number, "count": signed},
                    )
                else:
                    messages.success(request, _("Isi dokumen disimpan."))
                return _to_document(document)
    else:
        form = ContentForm(
            initial={
                "title": version.title,
                "preamble": version.preamble,
                "points": "\n".join(version.points),
                "closing": version.closing,
                "place": version.place,
                "signed_on": version.signed_on,
            }
        )
    return render(
        request,
        "commitments/edit.html",
        {"document": document, "version": version, "form": form, "signed": signed},
    )


# --- the document page ------------------------------------------------------------------------


def _user_choices(request, document):
    """Users of the district who could sign (active members)."""
    members = (
        Membership.objects.active()
        .filter(district=request.district)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    seen, choices = set(), [("", _("— tanpa akun (tanda tangan di atas kertas) —"))]
    for m in members:
        if m.user_id in seen:
            continue
        seen.add(m.user_id)
        choices.append((m.user_id, f"{m.user.full_name or m.user.email} · {m.get_role_display()}"))
    return choices


# fifty rows: a phone's few screens; a hundred cost twice the page for rows nobody reads at once
SIGNATORIES_PER_PAGE = 50


def _signatory_page(request, version, *, total: int, waiting: int):
    """The page of signatories shown: all of them in their order, or only those still to sign
    (`?tampil=menunggu`). The counts are known, so the paginator does not count again, and the
    rows are read only when the page is iterated (hundreds sign)."""
    waiting_only = request.GET.get("tampil") == "menunggu"
    rows = version.signatories.order_by("order").select_related("user", "signature")
    if waiting_only:
        rows = rows.filter(signature__isnull=True)
    paginator = Paginator(rows, SIGNATORIES_PER_PAGE)
    paginator.count = waiting if waiting_only else total  # a cached_property, set once here
    return paginator.get_page(request.GET.get("halaman")), waiting_only


def _signing_facts(document, version) -> dict:
    """What the page says of the signatures, from the rows the chain's fingerprint covers."""
    counts = version.signatories.aggregate(total=Count("pk"), signed=Count("signature"))
    waiting_users = version.signatories.filter(signature__isnull=True, user__isnull=False)
    older = (
        document.versions.filter(number__lt=version.number)
        .select_related("final")
        .annotate(n_signed=Count("signatories__signature"))
        .order_by("-number")
    )
    return {
        "total": counts["total"],
        "signed": counts["signed"],
        "waiting_users": sorted(set(waiting_users.values_list("user_id", flat=True))),
        "older": [
            {"number": o.number, "n_signed": o.n_signed, "pdf_sha256": o.pdf_sha256} for o in older
        ],
    }


def _signatory_rows(request, document, signatory_page, *, manage, n_signed, n_signatories):
    """The rows of the page of signatories, rendered."""
    rows = list(signatory_page.object_list)
    for s in rows:
        s.signed = getattr(s, "signature", None)
        s.nip_display = format_nip(s.nip)
    context = {
        "document": document,
        "rows": rows,
        "manage": manage,
        "n_signed": n_signed,
        "n_signatories": n_signatories,
    }
    return render_to_string("commitments/_signatory_rows.html", context, request)


def _detail_context(request, document, *, follow_form=None):
    access = request.access
    version = document.current_version
    # what the page shows of the signing records is kept until any row under it changes
    fingerprint = getattr(document, "chain_fingerprint", None) or chain.fingerprint(document)
    checked = chain.checked(document, fingerprint)
    facts = chain.kept(document, fingerprint, "facts", lambda: _signing_facts(document, version))
    n_signatories, n_signed = facts["total"], facts["signed"]
    manage = policy.may_manage_document(access, document)
    signatory_page, waiting_only = _signatory_page(
        request, version, total=n_signatories, waiting=n_signatories - n_signed
    )

    def rows():
        return _signatory_rows(
            request,
            document,
            signatory_page,
            manage=manage,
            n_signed=n_signed,
            n_signatories=n_signatories,
        )

    if manage and not n_signed:
        # the reorder and remove buttons carry this session's CSRF token: never kept
        signatory_rows = rows()
    else:
        signatory_rows = chain.kept(
            document,
            fingerprint,
            "rows",
            rows,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            request.district.slug,
            document.status,
            manage,
            waiting_only,
            signatory_page.number,
        )
    job = services.render_job(version) if document.status == Status.RENDERING else None
    # kept under the district's data generation: a follow-up's every save and status move
    # moves it (reports.signals, documents.transitions)
    follow_ups = generations.kept(
        generations.DISTRICT_DATA,
        document.district_id,
        ("commitment-follow-ups", document.pk),
        lambda: list(
            document.follow_ups.select_related("owner_agency", "owner_village", "verifier")
        ),
        seconds=KEPT_SECONDS,
    )
    today = request.district.local_now().date()
    for f in follow_ups:
        f.overdue = f.is_overdue(today)
    follow_ups, point_lines = _rolled_up(follow_ups)
    if manage and document.status == Status.SIGNED and follow_form is None:
        follow_form = _follow_form(request, document)
    return {
        "document": document,
        "version": version,
        "n_signatories": n_signatories,
        "signatory_page": signatory_page,
        "signatory_rows": signatory_rows,
        "waiting_only": waiting_only,
        "n_signed": n_signed,
        "manage": manage,
        "mine": request.user.pk in facts["waiting_users"],
        "job": job,
        **(district_job_urls(request, job) if job else {}),
        "follow_ups": follow_ups,
        "point_lines": point_lines,
        "follow_form": follow_form,
        "older": facts["older"],
        "chain_problems": checked.problems if manage else None,
        "n_events": checked.n_events,
        "verify_url": verify_url(version) if version.pdf_sha256 else "",
        "content_sha256": checked.content_sha256,
        "can_import_participants": bool(document.rembuk_id),
        "may_keep_templates": access.can("commitments.templates"),
    }


def _rolled_up(follow_ups) -> tuple[list, list]:
    """The rows of the points tracked for one owner, and one line for each point tracked for
    several owners (every village, several agencies): its counts by status and late."""
    by_point: dict[int, list] = {}
    for f in follow_ups:
        by_point.setdefault(f.point, []).append(f)
    rows, lines = [], []
    for point, of_point in sorted(by_point.items()):
        if len(of_point) == 1:
            rows += of_point
            continue
        counts = {s: 0 for s in FollowUpStatus.values}
        for f in of_point:
            counts[f.status] += 1
        lines.append(
            {
                "document_id": of_point[0].document_id,
                "point": point,
                "text": of_point[0].text,
                "total": len(of_point),
                "counts": counts,
                "late": sum(1 for f in of_point if f.overdue),
                "due": min(f.due_on for f in of_point),
            }
        )
    return rows, lines


@district_view("commitments.view")
def commitment_detail(request, document_id):
    document = _kept_document(request, document_id) or _document(request, document_id)
    return render(request, "commitments/detail.html", _detail_context(request, document))


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
@submitted_once
def signatory_add(request, document_id):
    """One signatory, on a page of its own: the list of the district's members to choose an
    account from is long, and the document page is read far more often than it is added to."""
    document = _managed(request, document_id)
    form = SignatoryForm(request.POST if request.method == "POST" else None)
    form.fields["user"].choices = _user_choices(request, document)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(pk=data["user"]).first() if data["user"] else None
        try:
            services.add_signatory(
                document,
                position=data["position"],
                name=data["name"],
                rank=data["rank"],
                nip=data["nip"],
                organisation=data["organisation"],
                user=user,
                by=request.user,
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Penanda tangan ditambahkan."))
            return _to_document(document, "#penanda-tangan")
    signed = Signature.objects.filter(signatory__version=document.current_version).count()
    return render(
        request,
        "commitments/signatory_add.html",
        {"document": document, "signatory_form": form, "signed": signed},
    )


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
def signatory_edit(request, document_id, signatory_id):
    document = _managed(request, document_id)
    signatory = _signatory(document, signatory_id)
    if signatory.version_id != document.current_version.pk:
        raise Http404
    if request.method == "POST":
        form = SignatoryForm(request.POST)
        form.fields["user"].choices = _user_choices(request, document)
        if form.is_valid():
            data = form.cleaned_data
            user = User.objects.filter(pk=data["user"]).first() if data["user"] else None
            try:
                services.update_signatory(
                    signatory,
                    position=data["position"],
                    name=data["name"],
                    rank=data["rank"],
                    nip=data["nip"],
                    organisation=data["organisation"],
                    user=user,
                    by=request.user,
                    expected=stale.posted_token(request),
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                messages.success(request, _("Penanda tangan disimpan."))
                return _to_document(document, "#penanda-tangan")
    else:
        form = SignatoryForm(
            initial={
                "position": signatory.position,
                "name": signatory.name,
                "rank": signatory.rank,
                "nip": signatory.nip,
                "organisation": signatory.organisation,
                "user": signatory.user_id or "",
            }
        )
        form.fields["user"].choices = _user_choices(request, document)
    signed = Signature.objects.filter(signatory__version=signatory.version).count()
    return render(
        request,
        "commitments/signatory_edit.html",
        {"document": document, "signatory": signatory, "form": form, "signed": signed},
    )


@district_view("commitments.manage", methods=("POST",))
@_refusable
def signatory_remove(request, document_id, signatory_id):
    document = _managed(request, document_id)
    signatory = _signatory(document, signatory_id)
    if signatory.version_id == document.current_version.pk:
        services.remove_signatory(signatory, by=request.user)
        messages.success(
            request,
            _("%(name)s dihapus dari penanda tangan.")
            % {"name": signatory.name or signatory.position},
        )
    return _to_document(document, "#penanda-tangan")


@district_view("commitments.manage", methods=("POST",))
@_refusable
def signatory_move(request, document_id, signatory_id):
    document = _managed(request, document_id)
    signatory = _signatory(document, signatory_id)
    direction = request.POST.get("arah")
    if direction not in ("naik", "turun"):
        messages.error(request, _("Arah pemindahan tidak dikenal."))
    elif signatory.version_id == document.current_version.pk:
        services.move_signatory(signatory, up=direction == "naik", by=request.user)
    return _to_document(document, "#penanda-tangan")


@district_view("commitments.manage", methods=("POST",))
@_refusable
@submitted_once
def signatories_import(request, document_id):
    """Add in one step the rembuk's participants, or the village heads of the document's area
    who have an account (a district rembuk often has every village head sign; the blocks of
    `signatories_bulk` add them all, with an account or not). Those already signing are
    skipped and listed with their reason on the page of many signatories."""
    document = _managed(request, document_id)
    # the positions are stored and printed: written in the documents' language, Indonesian
    with translation.override(settings.LANGUAGE_CODE):
        rows = _import_rows(request, document, request.POST.get("sumber"))
    if not rows:
        messages.info(request, _("Tidak ada penanda tangan baru untuk ditambahkan."))
        return _to_document(document, "#penanda-tangan")
    created, skipped = services.add_signatories_skipping(
        document,
        rows=rows,
        # one block per village, whether added from the region list or from the accounts
        one_per_position=request.POST.get("sumber") == "kepala-desa",
        by=request.user,
    )
    if not skipped:
        messages.success(request, _("%(n)s penanda tangan ditambahkan.") % {"n": len(created)})
        return _to_document(document, "#penanda-tangan")
    _store_bulk_report(request, document, created, skipped)
    return redirect(_bulk_url(document) + "#hasil")


def _import_rows(request, document, source) -> list[dict]:
    rows = []
    if source == "peserta" and document.rembuk_id:
        for p in document.rembuk.participants.select_related("user").order_by("order", "name"):
            rows.append(
                {
                    "position": p.position or _("Peserta"),
                    "name": p.name,
                    "organisation": p.organisation,
                    "user": p.user,
                }
            )
    elif source == "kepala-desa":
        heads = (
            Membership.objects.active()
            .filter(district=request.district, role=Role.VILLAGE_HEAD)
            .select_related("user", "village__kecamatan")
            .order_by("village__kecamatan__name", "village__name")
        )
        if document.kecamatan_id:
            heads = heads.filter(village__kecamatan_id=document.kecamatan_id)
        if document.village_id:
            heads = heads.filter(village_id=document.village_id)
        for m in heads:
            rows.append(
                {
                    "position": str(m.village.head_title),
                    "name": m.user.full_name or m.user.email,
                    "organisation": _("Kecamatan %(name)s") % {"name": m.village.kecamatan.name},
                    "user": m.user,
                }
            )
    return rows


BULK_REPORT = "commitment_signatories_report"
REPORT_ROWS = 500  # skipped rows listed on the page; the count covers them all


def _bulk_url(document) -> str:
    return reverse(
        "signatories_bulk",
        kwargs={"district_slug": document.district.slug, "document_id": document.pk},
    )


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
@submitted_once
def signatories_bulk(request, document_id):
    """Many signatories at once: a pasted list ("name; position; organisation", the name
    may wait until signing), or one block per village or kelurahan of the district, a
    kecamatan or the year's focus villages, from the region list. What is skipped is listed
    with its reason."""
    document = _managed(request, document_id)
    scopes = services.village_scopes(document)
    lines_form = SignatoryLinesForm(request.POST if request.POST.get("aksi") == "tempel" else None)
    block_form = VillageBlockForm(request.POST if request.POST.get("aksi") == "wilayah" else None)
    block_form.fields["scope"].choices = [
        (value, f"{label} ({n})") for value, label, n in scopes if n
    ]
    result = None
    if request.method == "POST":
        try:
            if lines_form.is_bound and lines_form.is_valid():
                people, bad = lines_form.cleaned_data["lines"]
                rows = [
                    {
                        "number": p.number,
                        "name": p.name,
                        "position": p.position,
                        "organisation": p.organisation,
                    }
                    for p in people
                ]
                result = services.add_signatories_skipping(
                    document, rows=rows, bad_lines=bad, by=request.user
                )
            elif block_form.is_bound and block_form.is_valid():
                rows = services.village_head_rows(document, scope=block_form.cleaned_data["scope"])
                result = services.add_signatories_skipping(
                    document, rows=rows, one_per_position=True, by=request.user
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        if result is not None:
            _store_bulk_report(request, document, *result)
            return redirect(_bulk_url(document) + "#hasil")
    report = _pop_bulk_report(request, document)
    if request.method != "POST" and report and report["retry"]:
        lines_form = SignatoryLinesForm(initial={"lines": report["retry"]})
    return render(
        request,
        "commitments/signatories_bulk.html",
        {
            "document": document,
            "version": document.current_version,
            "n_signatories": document.current_version.signatories.count(),
            "lines_form": lines_form,
            "block_form": block_form,
            "report": report,
        },
    )


def _store_bulk_report(request, document, created, skipped):
    if created:
        messages.success(request, _("%(n)s penanda tangan ditambahkan.") % {"n": len(created)})
    if skipped:
        messages.info(
            request, _("%(n)d baris dilewati; lihat alasannya di bawah.") % {"n": len(skipped)}
        )
    if not created and not skipped:
        messages.info(request, _("Tidak ada penanda tangan baru untuk ditambahkan."))
    request.session[BULK_REPORT] = {
        "document": str(document.pk),
        "added": len(created),
        "unnamed": sum(1 for s in created if not s.name),
        "skipped": [s.as_row() for s in skipped[:REPORT_ROWS]],
        "n_skipped": len(skipped),
        # the bad lines of a paste, offered again to be corrected
        "retry": "\n".join(s.text for s in skipped if s.invalid and s.number),
    }


def _pop_bulk_report(request, document) -> dict | None:
    report = request.session.get(BULK_REPORT)
    if not report or report.get("document") != str(document.pk):
        return None
    del request.session[BULK_REPORT]
    report["rows"] = [
        {"number": n, "text": t, "reason": r} for n, t, r, _invalid in report["skipped"]
    ]
    report["more"] = report["n_skipped"] - len(report["rows"])
    return report


@district_view("commitments.manage", methods=("POST",))
@_refusable
def commitment_open(request, document_id):
    document = _managed(request, document_id)
    try:
        services.open_signing(document, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Dokumen dibuka untuk penandatanganan."))
    return _to_document(document)


@district_view("commitments.manage", methods=("POST",))
@_refusable
def commitment_retry(request, document_id):
    document = _managed(request, document_id)
    services.retry_render(document, by=request.user)
    return _to_document(document, "#pdf")


# --- signing ----------------------------------------------------------------------------------


@district_view("commitments.sign", methods=("GET", "HEAD", "POST"))
def commitment_sign(request, document_id):
    """Sign the current version as the signatory linked to this account."""
    document = _document(request, document_id)
    version = document.current_version
    signatories = list(version.signatories.select_related("signature").order_by("order"))
    content_sha256 = version.content_sha256(signatories)
    mine = [s for s in signatories if s.user_id == request.user.pk]
    pending = [s for s in mine if not hasattr(s, "signature")]
    needs_code = reauth.needs_code(request.user)
    form = SignForm(initial={"content_sha256": content_sha256})
    if request.method == "POST" and pending:
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                for signatory in pending:
                    services.sign_in_portal(
                        document,
                        signatory=signatory,
                        user=request.user,
                        password=form.cleaned_data["password"],
                        code=form.cleaned_data["code"],
                        content_sha256=form.cleaned_data["content_sha256"],
                        request=request,
                    )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                messages.success(request, _("Dokumen telah Anda tandatangani."))
                return _to_document(document)
    return render(
        request,
        "commitments/sign.html",
        {
            "document": document,
            "version": version,
            "mine": mine,
            "pending": pending,
            "form": form,
            "needs_code": needs_code,
            "content_sha256": content_sha256,
            "open": document.status == Status.SIGNING,
        },
    )


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
def signature_paper(request, document_id, signatory_id):
    document = _managed(request, document_id)
    signatory = _signatory(document, signatory_id)
    form = (
        PaperForm(request.POST, request.FILES)
        if request.method == "POST"
        else PaperForm(initial={"signed_on": document.current_version.signed_on})
    )
    if signatory.name:  # named already: the page is all that is asked for
        del form.fields["name"]
    if request.method == "POST":
        if form.is_valid():
            try:
                services.sign_on_paper(
                    document,
                    signatory=signatory,
                    upload=form.cleaned_data.get("page"),
                    signed_on=form.cleaned_data.get("signed_on"),
                    name=form.cleaned_data.get("name", ""),
                    by=request.user,
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                signatory.refresh_from_db(fields=["name"])
                messages.success(
                    request, _("Lembar tanda tangan %(name)s disimpan.") % {"name": signatory.name}
                )
                return _to_document(document, "#penanda-tangan")
    return render(
        request,
        "commitments/paper.html",
        {"document": document, "signatory": signatory, "form": form},
    )


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
@submitted_once
def paper_batch_upload(request, document_id):
    """One scan of many signed sheets: read, then shown for confirmation (paper_batch)."""
    document = _managed(request, document_id)
    version = document.current_version
    form = PaperBatchForm(initial={"signed_on": version.signed_on})
    if request.method == "POST":
        form = PaperBatchForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = services.read_paper_batch(
                    document,
                    uploads=request.FILES.getlist("pages"),
                    signed_on=form.cleaned_data["signed_on"],
                    by=request.user,
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                return redirect(
                    "paper_batch",
                    district_slug=document.district.slug,
                    document_id=document.pk,
                    paper_batch_id=batch.pk,
                )
    batches = document.paper_batches.select_related("created_by").order_by("-created_at")[:10]
    return render(
        request,
        "commitments/paper_batch_upload.html",
        {"document": document, "version": version, "form": form, "batches": batches},
    )


@district_view("commitments.manage", methods=("GET", "HEAD", "POST"))
@_refusable
def paper_batch(request, document_id, paper_batch_id):
    """The pages of an uploaded scan matched to the signatories printed on them, to confirm;
    the unmatched pages with the reason."""
    document = _managed(request, document_id)
    batch = get_object_or_404(
        PaperBatch.objects.select_related("version", "created_by", "confirmed_by"),
        pk=paper_batch_id,
        document=document,
    )
    if request.method == "POST":
        try:
            recorded = services.confirm_paper_batch(batch, by=request.user)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return redirect(request.path)
        messages.success(
            request,
            _("%(n)s tanda tangan di atas kertas dicatat.") % {"n": recorded}
            if recorded
            else _("Pindaian ini sudah dikonfirmasi sebelumnya; tidak ada yang dicatat lagi."),
        )
        return _to_document(document, "#penanda-tangan")
    ids = [sid for row in batch.matched for sid in row["signatories"]]
    people = {
        str(s.pk): s
        for s in Signatory.objects.filter(version=batch.version, pk__in=ids).select_related(
            "signature"
        )
    }
    pages, to_record = [], 0
    for row in batch.matched:
        entries = []
        for sid in row["signatories"]:
            s = people.get(sid)
            if s is None:
                continue
            signature = getattr(s, "signature", None)
            if signature is not None:
                state = "signed"
            elif s.user_id:
                state = "portal"
            elif not s.name:  # the name written on the sheet is typed with its own upload
                state = "unnamed"
            else:
                state = "record"
                to_record += 1
            entries.append({"signatory": s, "state": state})
        pages.append({**row, "entries": entries})
    unmatched = [
        {**row, "reason": services.PAGE_PROBLEMS.get(row["problem"], "")} for row in batch.unmatched
    ]
    current = document.current_version
    return render(
        request,
        "commitments/paper_batch.html",
        {
            "document": document,
            "batch": batch,
            "pages": pages,
            "unmatched": unmatched,
            "to_record": to_record,
            "n_matched_pages": len(batch.pages) - len(unmatched),
            "stale": batch.version_id != current.pk
            or batch.content_code != current.content_code()
            or document.status != Status.SIGNING,
        },
    )


@district_view("commitments.view")
@cache_control(private=True, no_store=True)
def signature_page(request, document_id, signature_id):
    document = _document(request, document_id)
    signature = get_object_or_404(
        Signature, pk=signature_id, signatory__version__document=document, method="paper"
    )
    return private_file_response(
        signature.paper.open("rb"),
        content_type=signature.paper_content_type,
        filename=signature.paper_name,
    )


# --- the PDF ----------------------------------------------------------------------------------


@district_view("commitments.view")
@cache_control(private=True, no_store=True)
def commitment_pdf(request, document_id):
    """The stored final PDF, byte for byte (its SHA-256 is on the verification page)."""
    document = _document(request, document_id)
    number = request.GET.get("versi")
    versions = document.versions.filter(final__isnull=False).select_related("final")
    version = versions.filter(number=number).first() if number and number.isdigit() else None
    version = version or versions.order_by("-number").first()
    if version is None:
        raise Http404
    response = FileResponse(
        version.final.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"komitmen-{document.district.slug}-{document.year}-v{version.number}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@district_view("commitments.view")
@cache_control(private=True, no_store=True)
def commitment_draft_pdf(request, document_id):
    """The current wording with blank signature blocks, marked DRAF: printed for the
    signatories who sign on paper. Not stored, not verifiable."""
    document = _document(request, document_id)
    pdf = draft_pdf(document.current_version)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="draf-komitmen-v{document.current_version.number}.pdf"'
    )
    return response


# --- follow-up --------------------------------------------------------------------------------


ALL_VILLAGES = "semua-desa"
FOCUS_VILLAGES = "desa-lokus"


def _area_villages(document):
    """The villages of the document's area: the district's, or its kecamatan's."""
    villages = Village.objects.filter(district_id=document.district_id).active()
    if document.kecamatan_id:
        villages = villages.filter(kecamatan_id=document.kecamatan_id)
    return villages


def _chosen_owners(request, document, chosen) -> tuple[list, list]:
    """The agencies and villages named by the form's choices, the groups expanded: two
    queries whatever the number of owners."""
    agency_ids, village_ids = set(), set()
    groups = _area_villages(document).none()
    for value in chosen:
        if value == ALL_VILLAGES and document.level != Level.VILLAGE:
            groups = groups | _area_villages(document)
        elif value == FOCUS_VILLAGES and document.level != Level.VILLAGE:
            groups = groups | _area_villages(document).filter(
                focus_entries__decree__district_id=document.district_id,
                focus_entries__decree__year=document.year,
            )
        elif value[1:].isdigit() and value[:1] in ("a", "v"):
            (agency_ids if value[0] == "a" else village_ids).add(int(value[1:]))
    agencies = list(Agency.objects.filter(pk__in=agency_ids, district=request.district))
    villages = list(
        Village.objects.filter(district=request.district).filter(
            Q(pk__in=village_ids) | Q(pk__in=groups.values("pk"))
        )
    )
    return agencies, villages


def _follow_form(request, document, data=None):
    version = document.current_version
    form = FollowUpForm(data)
    form.fields["point"].choices = [
        (i, f"{i}. {text[:70]}") for i, text in enumerate(version.points, start=1)
    ]
    owners = []
    if document.level == Level.VILLAGE:
        owners.append((f"v{document.village_id}", document.village.name))
    else:
        owners += [
            (ALL_VILLAGES, _("Setiap desa/kelurahan")),
            (
                FOCUS_VILLAGES,
                _("Setiap desa lokus tahun %(year)s") % {"year": document.year},
            ),
        ]
        owners += [
            (f"a{a.pk}", a.short_name)
            for a in Agency.objects.filter(district=request.district, is_active=True)
        ]
        villages = Village.objects.filter(district=request.district)
        if document.kecamatan_id:
            villages = villages.filter(kecamatan_id=document.kecamatan_id)
        owners += [
            (f"v{v.pk}", _("Desa %(name)s") % {"name": v.name}) for v in villages.order_by("name")
        ]
    form.fields["owner"].choices = owners
    admins = (
        Membership.objects.active()
        .filter(
            district=request.district, role__in=[Role.DISTRICT_ADMIN, Role.CAMAT, Role.OPD_STAFF]
        )
        .select_related("user")
    )
    form.fields["verifier"].choices = [("", _("— admin daerah —"))] + sorted(
        {(m.user_id, m.user.full_name or m.user.email) for m in admins}, key=lambda c: c[1]
    )
    return form


@district_view("commitments.manage", methods=("POST",))
@_refusable
@submitted_once
def follow_up_create(request, document_id):
    document = _managed(request, document_id)
    if document.status != Status.SIGNED:
        messages.error(
            request, _("Butir komitmen dapat dipantau setelah dokumen lengkap ditandatangani.")
        )
        return _to_document(document)
    form = _follow_form(request, document, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        agencies, villages = _chosen_owners(request, document, data["owner"])
        verifier = User.objects.filter(pk=data["verifier"]).first() if data["verifier"] else None
        try:
            made, skipped = services.create_follow_ups(
                document,
                point=data["point"],
                agencies=agencies,
                villages=villages,
                due_on=data["due_on"],
                verifier=verifier,
                by=request.user,
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            if made == 0:
                form.add_error("owner", _("Butir ini sudah dipantau untuk pemilik tersebut."))
            else:
                if made == 1:
                    messages.success(request, _("Butir komitmen dipantau."))
                else:
                    messages.success(
                        request,
                        _("Butir %(point)s dipantau untuk %(n)s pemilik.")
                        % {"point": data["point"], "n": made},
                    )
                if skipped:
                    messages.info(
                        request,
                        _("%(n)s pemilik sudah memantau butir ini dan dilewati.") % {"n": skipped},
                    )
                return _to_document(document, "#tindak-lanjut")
    context = _detail_context(request, document, follow_form=form)
    return render(request, "commitments/detail.html", context)


def _follow_up(request, follow_up_id) -> FollowUp:
    follow_up = (
        FollowUp.objects.filter(pk=follow_up_id, district=request.district)
        .select_related("document__district", "owner_agency", "owner_village", "verifier")
        .first()
    )
    if follow_up is None:
        raise Http404
    access = request.access
    document = follow_up.document
    visible = CommitmentDocument.objects.visible_to(access).filter(pk=document.pk).exists()
    own_village = follow_up.owner_village_id in access.village_ids
    if not (visible or own_village):
        raise Http404
    return follow_up


def _follow_up_page(request, follow_up, *, progress_form=None, verdict_form=None, status=200):
    access = request.access
    return render(
        request,
        "commitments/follow_up.html",
        {
            "follow_up": follow_up,
            "document": follow_up.document,
            "evidence": list(follow_up.evidence.all()),
            "may_report": policy.may_report_follow_up(access, follow_up)
            and follow_up.status != FollowUpStatus.VERIFIED,
            "may_verify": policy.may_verify_follow_up(access, follow_up)
            and follow_up.status == FollowUpStatus.DONE,
            "progress_form": progress_form
            or ProgressForm(initial={"status": follow_up.status, "note": follow_up.progress_note}),
            "verdict_form": verdict_form or VerdictForm(),
            "overdue": follow_up.is_overdue(request.district.local_now().date()),
        },
        status=status,
    )


@district_view("commitments.view")
def follow_up_detail(request, follow_up_id):
    return _follow_up_page(request, _follow_up(request, follow_up_id))


@district_view("commitments.follow", methods=("POST",))
@submitted_once
def follow_up_report(request, follow_up_id):
    follow_up = _follow_up(request, follow_up_id)
    if not policy.may_report_follow_up(request.access, follow_up):
        messages.error(request, _("Hanya pemilik komitmen yang melaporkan kemajuannya."))
        return redirect(
            "follow_up_detail", district_slug=request.district.slug, follow_up_id=follow_up.pk
        )
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.report_progress(
                follow_up,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                upload=form.cleaned_data.get("upload"),
                by=request.user,
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Kemajuan disimpan."))
            return redirect(
                "follow_up_detail", district_slug=request.district.slug, follow_up_id=follow_up.pk
            )
    return _follow_up_page(request, follow_up, progress_form=form)


@district_view("commitments.follow", methods=("POST",))
def follow_up_verify(request, follow_up_id):
    follow_up = _follow_up(request, follow_up_id)
    if not policy.may_verify_follow_up(request.access, follow_up):
        messages.error(request, _("Hanya verifikator atau admin daerah yang memverifikasi."))
        return redirect(
            "follow_up_detail", district_slug=request.district.slug, follow_up_id=follow_up.pk
        )
    form = VerdictForm(request.POST)
    if form.is_valid():
        try:
            services.verify_follow_up(
                follow_up,
                accept=form.cleaned_data["accept"],
                verdict=form.cleaned_data["verdict"],
                by=request.user,
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Keputusan verifikasi disimpan."))
            return redirect(
                "follow_up_detail", district_slug=request.district.slug, follow_up_id=follow_up.pk
            )
    return _follow_up_page(request, follow_up, verdict_form=form)


@district_view("commitments.view")
@cache_control(private=True, no_store=True)
def follow_up_evidence(request, commitment_evidence_id):
    stored = get_object_or_404(
        FollowUpEvidence.objects.select_related("follow_up"),
        pk=commitment_evidence_id,
        district=request.district,
    )
    _follow_up(request, stored.follow_up_id)
    return private_file_response(
        stored.file.open("rb"), content_type=stored.content_type, filename=stored.original_name
    )


@district_view("commitments.view")
def follow_up_list(request):
    """Every tracked commitment the user may see, late ones first: the Sekda's follow-up view."""
    access = request.access
    today = request.district.local_now().date()
    follow_ups = FollowUp.objects.filter(district=request.district).select_related(
        "document", "owner_agency", "owner_village"
    )
    if not access.district_wide:
        visible_docs = CommitmentDocument.objects.visible_to(access).filter(
            district=request.district
        )
        follow_ups = follow_ups.filter(
            Q(document__in=visible_docs) | Q(owner_village_id__in=access.village_ids)
        )
    state = request.GET.get("status", "")
    if state in FollowUpStatus.values:
        follow_ups = follow_ups.filter(status=state)
    elif state == "late":
        follow_ups = follow_ups.filter(due_on__lt=today).exclude(status__in=FOLLOW_UP_FINISHED)
    elif state == "finished":
        follow_ups = follow_ups.filter(status__in=FOLLOW_UP_FINISHED)
    # one owner (the dashboard's rows): "a<agency id>" or "v<village id>", or the villages
    # of a kecamatan "k<kecamatan id>" (the dashboard's line when villages are many)
    owner = request.GET.get("pemilik", "")
    fields = {"a": "owner_agency_id", "v": "owner_village_id", "k": "owner_village__kecamatan_id"}
    if owner[1:].isascii() and owner[1:].isdigit() and owner[:1] in fields:
        follow_ups = follow_ups.filter(**{fields[owner[0]]: int(owner[1:])})
    else:
        owner = ""
    # one point of one document, every owner's row: "<document id>:<point>"
    point = request.GET.get("butir", "")
    document_id, _sep, number = point.partition(":")
    if _uuid(document_id) and number.isascii() and number.isdigit():
        follow_ups = follow_ups.filter(document_id=_uuid(document_id), point=int(number))
    else:
        point = ""
    lines = []
    if not (owner or point):
        # a point tracked for many owners is one line with its counts, not a row per owner
        lines = _point_lines(follow_ups, today)
        follow_ups = follow_ups.annotate(
            owners=Window(Count("pk"), partition_by=[F("document_id"), F("point")])
        ).filter(owners=1)
    follow_ups = list(follow_ups.order_by("due_on", "point")[:500])
    for f in follow_ups:
        f.overdue = f.is_overdue(today)
    return render(
        request,
        "commitments/follow_ups.html",
        {
            "follow_ups": follow_ups,
            "point_lines": lines,
            "state": state,
            "owner": owner,
            "point": point,
            "statuses": FollowUpStatus.choices,
            "total": len(follow_ups) + sum(line["total"] for line in lines),
            "late": sum(1 for f in follow_ups if f.overdue) + sum(line["late"] for line in lines),
        },
    )


def _point_lines(follow_ups, today) -> list[dict]:
    """One line per (document, point) tracked for more than one owner: one query."""
    late = Q(due_on__lt=today) & ~Q(status__in=FOLLOW_UP_FINISHED)
    rows = (
        follow_ups.values("document_id", "point", "text", "document__year", "document__level")
        .annotate(
            total=Count("pk"),
            late=Count("pk", filter=late),
            due=Min("due_on"),
            **{f"n_{s}": Count("pk", filter=Q(status=s)) for s in FollowUpStatus.values},
        )
        .filter(total__gt=1)
        .order_by("due", "point", "document_id")[:200]
    )
    return [
        {
            **row,
            "counts": {s: row[f"n_{s}"] for s in FollowUpStatus.values},
            "level_label": Level(row["document__level"]).label,
            "key": f"{row['document_id']}:{row['point']}",
        }
        for row in rows
    ]


# --- the district's own templates ------------------------------------------------------------


def _template(request, template_id) -> DocumentTemplate:
    template = DocumentTemplate.objects.filter(pk=template_id, district=request.district).first()
    if template is None:
        raise Http404
    return template


def _to_templates(request):
    return redirect("commitment_template_list", district_slug=request.district.slug)


@district_view("commitments.templates")
def template_list(request):
    templates = list(
        DocumentTemplate.objects.filter(district=request.district).select_related("updated_by")
    )
    return render(
        request,
        "commitments/templates.html",
        {"templates": templates, "placeholders": PLACEHOLDERS},
    )


def _template_initial(source: dict, name: str = "") -> dict:
    return {
        "name": name,
        "kind": source.get("kind", ""),
        "title": source["title"],
        "preamble": source["preamble"],
        "points": "\n".join(source["points"]),
        "closing": source["closing"],
    }


@district_view("commitments.templates", methods=("GET", "HEAD", "POST"))
@submitted_once
def template_create(request):
    """A new template: from the built-in wording of a kind (?jenis=), or from a document's
    wording (?dokumen=, "save as template") with its names turned back into placeholders."""
    if request.method == "POST":
        form = NewTemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_template(
                    district=request.district,
                    kind=data["kind"],
                    name=data["name"],
                    title=data["title"],
                    preamble=data["preamble"],
                    points=services.parse_points(data["points"]),
                    closing=data["closing"],
                    by=request.user,
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                messages.success(request, _("Templat disimpan."))
                return _to_templates(request)
        document = None
    else:
        document = None
        document_id = _uuid(request.GET.get("dokumen", ""))
        if document_id is not None:
            document = _document(request, document_id)
            source = services.template_from_document(document)
            name = document.current_version.title[:120]
        else:
            kind = request.GET.get("jenis", "district")
            kind = kind if kind in ("district", "village") else "district"
            source = {**builtin(kind), "kind": kind}
            name = ""
        form = NewTemplateForm(initial=_template_initial(source, name))
    return render(
        request,
        "commitments/template_form.html",
        {"form": form, "document": document, "template": None, "placeholders": PLACEHOLDERS},
    )


@district_view("commitments.templates", methods=("GET", "HEAD", "POST"))
def template_edit(request, template_id):
    template = _template(request, template_id)
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_template(
                    template,
                    name=data["name"],
                    title=data["title"],
                    preamble=data["preamble"],
                    points=services.parse_points(data["points"]),
                    closing=data["closing"],
                    by=request.user,
                    expected=stale.posted_token(request),
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                messages.success(request, _("Templat disimpan."))
                return _to_templates(request)
    else:
        form = TemplateForm(
            initial=_template_initial(
                {
                    "title": template.title,
                    "preamble": template.preamble,
                    "points": template.points,
                    "closing": template.closing,
                },
                template.name,
            )
        )
    return render(
        request,
        "commitments/template_form.html",
        {"form": form, "document": None, "template": template, "placeholders": PLACEHOLDERS},
    )


@district_view("commitments.templates", methods=("POST",))
def template_delete(request, template_id):
    template = _template(request, template_id)
    services.delete_template(template, by=request.user)
    messages.success(request, _("Templat %(name)s dihapus.") % {"name": template.name})
    return _to_templates(request)


# --- one document for every village -----------------------------------------------------------

SIGNED_STATUSES = (Status.RENDERING, Status.SIGNED)


def _issue_counts(district):
    """The district's issues with how many documents each has and how many are signed."""
    return (
        VillageIssue.objects.filter(district=district)
        .annotate(
            n_documents=Count("documents"),
            n_signed=Count("documents", filter=Q(documents__status__in=SIGNED_STATUSES)),
        )
        .order_by("-year", "-created_at")
    )


def _issue_villages(district, data):
    """The villages an issue form names, or an error message."""
    villages = Village.objects.filter(district=district).active()
    if data["scope"] == "focus":
        villages = villages.filter(
            focus_entries__decree__district=district, focus_entries__decree__year=data["year"]
        )
        if not villages.exists():
            return None, _("Belum ada desa lokus untuk tahun %(year)s.") % {"year": data["year"]}
    elif data["scope"] == "kecamatan":
        if not data.get("kecamatan"):
            return None, _("Pilih kecamatan.")
        villages = villages.filter(kecamatan_id=data["kecamatan"])
    if not villages.exists():
        return None, _("Tidak ada desa/kelurahan yang dipilih.")
    return villages, None


@district_view("commitments.issue", methods=("GET", "HEAD", "POST"))
@submitted_once
def issue_create(request):
    """Issue one village document to every village, the year's focus villages or one
    kecamatan, from a village template; the page also lists the district's issues."""
    district = request.district
    today = district.local_now().date()
    templates = DocumentTemplate.objects.filter(district=district, kind="village")
    form = IssueForm(
        request.POST if request.method == "POST" else None,
        initial={
            "year": today.year,
            "scope": "all",
            "signed_on": today,
            "template": request.GET.get("templat", ""),
        },
    )
    form.fields["template"].choices = [("", _("Komitmen desa (bawaan)"))] + [
        (str(t.pk), t.name) for t in templates
    ]
    form.fields["kecamatan"].choices = [("", "—")] + [
        (k.pk, k.name)
        for k in Kecamatan.objects.filter(district=district).active().order_by("name")
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        template = templates.filter(pk=data["template"]).first() if data["template"] else None
        villages, problem = _issue_villages(district, data)
        if problem:
            form.add_error("kecamatan" if data["scope"] == "kecamatan" else "scope", problem)
        else:
            try:
                issue, made, skipped = services.issue_to_villages(
                    district=district,
                    template=template,
                    villages=villages,
                    year=data["year"],
                    signed_on=data["signed_on"],
                    by=request.user,
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                if made:
                    messages.success(request, _("%(n)s dokumen desa diterbitkan.") % {"n": made})
                else:
                    messages.info(
                        request, _("Setiap desa yang dipilih sudah memiliki dokumen ini.")
                    )
                if made and skipped:
                    messages.info(
                        request,
                        _("%(n)s desa sudah memiliki dokumen ini dan dilewati.") % {"n": skipped},
                    )
                return redirect(
                    "commitment_issue_detail", district_slug=district.slug, issue_id=issue.pk
                )
    return render(
        request,
        "commitments/issue_create.html",
        {"form": form, "issues": list(_issue_counts(district))},
    )


@district_view("commitments.view")
def issue_detail(request, issue_id):
    """The completion list of an issue: each village's document, signed or waiting, for the
    villages the reader may see (a camat his kecamatan's, a village head his own). Two
    queries whatever the number of villages."""
    issue = VillageIssue.objects.filter(pk=issue_id, district=request.district).first()
    if issue is None:
        raise Http404
    current = Q(versions__voided_at__isnull=True)
    rows = list(
        CommitmentDocument.objects.visible_to(request.access)
        .filter(district=request.district, issue=issue)
        .values("pk", "status", "village__name", "village__code", "kecamatan_id", "kecamatan__name")
        .annotate(
            n_places=Count("versions__signatories", filter=current, distinct=True),
            n_signed=Count("versions__signatories__signature", filter=current, distinct=True),
        )
        .order_by("kecamatan__name", "village__name")
    )
    kecamatan = {}
    for row in rows:
        row["signed"] = row["status"] in SIGNED_STATUSES
        row["status_label"] = Status(row["status"]).label
        k = kecamatan.setdefault(
            row["kecamatan_id"], {"name": row["kecamatan__name"], "total": 0, "signed": 0}
        )
        k["total"] += 1
        k["signed"] += row["signed"]
    signed = sum(1 for row in rows if row["signed"])
    state = request.GET.get("status", "")
    chosen = request.GET.get("kecamatan", "")
    shown = rows
    if state in ("signed", "waiting"):
        shown = [r for r in shown if r["signed"] == (state == "signed")]
    else:
        state = ""
    if chosen.isascii() and chosen.isdigit():
        shown = [r for r in shown if r["kecamatan_id"] == int(chosen)]
    else:
        chosen = ""
    return render(
        request,
        "commitments/issue_detail.html",
        {
            "issue": issue,
            "rows": shown,
            "total": len(rows),
            "signed": signed,
            "waiting": len(rows) - signed,
            "kecamatan": sorted(kecamatan.items(), key=lambda kv: kv[1]["name"]),
            "state": state,
            "chosen": chosen,
            "may_issue": request.access.can("commitments.issue"),
        },
    )


# --- public verification ----------------------------------------------------------------------


def verification(request, token):
    """What anyone holding the paper may learn: title, district, date, who signed when, and
    the stored PDF's SHA-256; and whether an uploaded PDF is that very file. None for an
    unknown token or a document not yet final (the caller, reports' verification page, answers
    them all with the same plain 404)."""
    version = found_by_token(
        DocumentVersion,
        related=("document__district", "final"),
        verify_token=token,
        final__isnull=False,
    )
    if version is None:
        return None
    district = version.document.district
    with district_scope(district):
        return _verification(request, version, district)


def _verification(request, version, district):
    signatories = list(version.signatories.select_related("signature").order_by("order"))
    newer = version.document.versions.filter(number__gt=version.number).order_by("-number").first()
    form, result = compare_upload(request, version.pdf_sha256)
    rows = []
    for s in signatories:
        signature = getattr(s, "signature", None)
        rows.append(
            {
                "position": s.position,
                "name": s.name,
                "method": signature.get_method_display() if signature else "",
                "at": local_time(signature.signed_at, district) if signature else "",
                "signed_on": formats.date_id(signature.paper_signed_on)
                if signature and signature.paper_signed_on
                else "",
                "paper_sha256": signature.paper_sha256 if signature else "",
            }
        )
    return render(
        request,
        "commitments/verify.html",
        {
            "version": version,
            "district": district,
            "content_code": version.content_code(signatories),
            "rows": rows,
            "form": form,
            "result": result,
            "voided": version.voided_at is not None,
            "voided_at": version.voided_at.astimezone(district.tz).strftime("%d-%m-%Y")
            if version.voided_at
            else "",
            "newer": newer,
            "rendered_at": local_time(version.pdf_rendered_at, district),
        },
        status=200,
    )
