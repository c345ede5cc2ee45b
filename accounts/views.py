from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from lib.ratelimit import limited
from villages.models import District

from . import enrolment, services
from .audit import ACTION_LABELS, record_for_user
from .forms import AcceptInvitationForm, InviteForm, RoleScopeForm
from .models import AuditEvent, Invitation, Membership, Role
from .once import submitted_once
from .policy import (
    NATIONAL_PERMISSIONS,
    district_view,
    memberships_of,
    national_roles,
    public_view,
    user_view,
)


@user_view()
def home(request):
    """The districts this user may enter. One district and nothing national: go straight in."""
    memberships = memberships_of(request)
    national = national_roles(memberships)
    province_ids = {m.province_id for m in memberships if m.role == Role.PROVINCE_VIEWER}
    own = {m.district for m in memberships if m.district_id}
    query = request.GET.get("q", "").strip()[:80]
    if national & {Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN} or province_ids:
        districts = District.objects.active().select_related("province")
        if not national & {Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN}:
            districts = districts.filter(
                Q(province_id__in=province_ids) | Q(id__in=[d.id for d in own])
            )
        if query:
            districts = districts.filter(
                Q(name__icontains=query) | Q(province__name__icontains=query)
            )
        page = Paginator(districts.order_by("code"), 50).get_page(request.GET.get("page"))
        district_list = page.object_list
    else:
        if len(own) == 1 and not request.GET.get("pilih"):
            return redirect("district_home", district_slug=next(iter(own)).slug)
        district_list = sorted(own, key=lambda d: d.code)
        page = None
    roles_by_district = {}
    for m in memberships:
        if m.district_id:
            roles_by_district.setdefault(m.district_id, []).append(m.get_role_display())
    rows = [(d, roles_by_district.get(d.id, [])) for d in district_list]
    return render(
        request,
        "accounts/home.html",
        {
            "rows": rows,
            "page": page,
            "query": query,
            "national_roles": national,
            "can_import_regions": Role.NATIONAL_ADMIN in national,
            # the roll-ups (reports/): the country for national readers, else own provinces
            "national_rollup": bool(national & {Role.NATIONAL_VIEWER, Role.NATIONAL_ADMIN}),
            "rollup_provinces": sorted(
                {m.province for m in memberships if m.role == Role.PROVINCE_VIEWER},
                key=lambda p: p.code,
            ),
            "can_import_outcomes": bool(
                national & NATIONAL_PERMISSIONS["outcomes.import_national"]
            ),
        },
    )


@district_view("members.manage")
def members(request):
    district = request.district
    memberships = (
        Membership.objects.active()
        .filter(district=district)
        .select_related("user", "agency", "kecamatan", "village")
        .order_by("role", "user__email")
    )
    invitations = Invitation.objects.filter(
        district=district, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("agency", "kecamatan", "village")
    return render(
        request,
        "accounts/members.html",
        {
            "memberships": memberships,
            "invitations": invitations,
        },
    )


@district_view("members.manage", methods=("GET", "HEAD", "POST"))
@submitted_once
def member_invite(request):
    district = request.district
    form = InviteForm(request.POST or None, district=district)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _link = services.invite_member(
                district=district,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                agency=data["agency"],
                kecamatan=data["kecamatan"],
                village=data["village"],
                position=data["position"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
            return render(request, "accounts/member_invite.html", {"form": form})
        messages.success(
            request,
            _("Undangan dikirim ke %(email)s. Tautannya berlaku 24 jam.")
            % {"email": invitation.email},
        )
        return redirect("members", district_slug=district.slug)
    return render(request, "accounts/member_invite.html", {"form": form})


def _district_membership(request, membership_id):
    return get_object_or_404(
        Membership.objects.select_related("user", "agency", "kecamatan", "village"),
        pk=membership_id,
        district=request.district,
        is_active=True,
    )


@district_view("members.manage", methods=("GET", "HEAD", "POST"))
def member_edit(request, membership_id):
    membership = _district_membership(request, membership_id)
    initial = {
        "role": membership.role,
        "agency": membership.agency,
        "kecamatan": membership.kecamatan,
        "village": membership.village,
        "position": membership.position,
    }
    form = RoleScopeForm(request.POST or None, district=request.district, initial=initial)
    if request.method == "POST" and form.is_valid():
        if (
            membership.user_id == request.user.id
            and form.cleaned_data["role"] != Role.DISTRICT_ADMIN
        ):
            form.add_error("role", _("Anda tidak dapat menurunkan peran Anda sendiri."))
        else:
            data = form.cleaned_data
            try:
                services.change_membership(
                    membership=membership,
                    by=request.user,
                    role=data["role"],
                    agency=data["agency"],
                    kecamatan=data["kecamatan"],
                    village=data["village"],
                    position=data["position"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Peran diperbarui."))
                return redirect("members", district_slug=request.district.slug)
    return render(request, "accounts/member_edit.html", {"form": form, "membership": membership})


@district_view("members.manage", methods=("POST",))
def member_end(request, membership_id):
    membership = _district_membership(request, membership_id)
    if membership.user_id == request.user.id:
        messages.error(request, _("Anda tidak dapat mencabut peran Anda sendiri."))
    else:
        services.end_membership(membership=membership, by=request.user, request=request)
        messages.success(
            request,
            _("Peran %(role)s untuk %(email)s dicabut.")
            % {"role": membership.get_role_display(), "email": membership.user.email},
        )
    return redirect("members", district_slug=request.district.slug)


@district_view("members.manage", methods=("POST",))
def invitation_revoke(request, invitation_id):
    invitation = get_object_or_404(
        Invitation,
        pk=invitation_id,
        district=request.district,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    services.revoke_invitation(invitation=invitation, by=request.user, request=request)
    messages.success(
        request, _("Undangan untuk %(email)s dibatalkan.") % {"email": invitation.email}
    )
    return redirect("members", district_slug=request.district.slug)


@district_view("audit.view")
def audit_log(request):
    events = AuditEvent.objects.filter(district=request.district).select_related("actor")
    action = request.GET.get("aksi", "")
    if action in ACTION_LABELS:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    counts = dict(
        AuditEvent.objects.filter(district=request.district)
        .values_list("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )
    return render(
        request,
        "accounts/audit_log.html",
        {
            "page": page,
            "labels": ACTION_LABELS,
            # the filter's choices in the reader's language, in alphabetical order
            "actions": sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]).lower()),
            "selected": action,
            "counts": counts,
        },
    )


@public_view()
def ping(request):
    """The load test's reference (bench/load.py): the cheapest answer the stack can give, no
    database, no template, no session. Each page's throughput is read as a ratio to this."""
    return HttpResponse("ok", content_type="text/plain")


@public_view(methods=("GET", "HEAD", "POST"))
@limited("invitation-accept", limit=20, seconds=600)
def invitation_accept(request, token):
    """The link from the invitation email. Unknown, used, revoked and expired links all get
    the same page, which says only that the link is not valid."""
    invitation = Invitation.find_open(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = (
        request.user.is_authenticated and request.user.email.lower() == invitation.email.lower()
    )
    from .models import User

    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    if has_account and not existing:
        # The invitee already has an account: they accept after logging in as themselves.
        return render(
            request,
            "accounts/invitation_login.html",
            {
                "invitation": invitation,
                "next": request.get_full_path(),
            },
        )
    form = None
    if existing:
        if request.method == "POST":
            try:
                services.accept_invitation(
                    invitation=invitation, user=request.user, request=request
                )
            except ValueError:
                return _accepted_meanwhile(request, invitation)
            _prove_mailbox(request, request.user)
            messages.success(request, _("Peran baru Anda sudah aktif."))
            return redirect("district_home", district_slug=invitation.district.slug)
    else:
        form = AcceptInvitationForm(
            request.POST or None,
            email=invitation.email,
            initial={"full_name": invitation.full_name},
        )
        if request.method == "POST" and form.is_valid():
            try:
                user, _m = services.accept_invitation(
                    invitation=invitation,
                    user=None,
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data["full_name"],
                    request=request,
                )
            except ValueError:
                return _accepted_meanwhile(request, invitation)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _prove_mailbox(request, user)
            messages.success(request, _("Selamat datang. Akun Anda sudah aktif."))
            return redirect("district_home", district_slug=invitation.district.slug)
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "existing": existing,
        },
    )


def _accepted_meanwhile(request, invitation):
    """A second send of the accept form (a double click) finds the invitation taken: the
    first one went through, so say so instead of failing."""
    if request.user.is_authenticated and request.user.email.lower() == invitation.email.lower():
        messages.info(request, _("Undangan ini sudah diterima; peran Anda sudah aktif."))
        return redirect("district_home", district_slug=invitation.district.slug)
    return render(request, "accounts/invitation_accepted.html", status=409)


def _prove_mailbox(request, user):
    """The invitation link reached the mailbox: this session may enrol the user's first
    authenticator (accounts.enrolment), and is sent there when his new role needs MFA."""
    if enrolment.has_authenticator(user):
        return
    enrolment.mark_proven(request, user)
    record_for_user("mfa_enrol_proven", user, request, via="invitation")


@user_view(methods=("GET", "HEAD", "POST"))
def mfa_enrol_request(request):
    """Where allauth's TOTP activation sends a session that has not shown it reads the
    account's mailbox: a button that mails a one-time link (accounts.enrolment)."""
    if enrolment.may_enrol(request, request.user):
        return redirect("mfa_activate_totp")
    sent = False
    if request.method == "POST":
        if enrolment.send_enrolment_link(user=request.user, request=request):
            sent = True
        else:
            messages.error(
                request,
                _("Tautan sudah dikirim beberapa kali dalam satu jam ini. Periksa email Anda."),
            )
    return render(request, "accounts/mfa_enrol_request.html", {"sent": sent})


@user_view(methods=("GET", "HEAD", "POST"))
def mfa_enrol_confirm(request, token):
    """The one-time link from the e-mail, opened while logged in as its user. A GET only asks
    to confirm (mail scanners open links), the POST spends it."""
    user = request.user
    if request.method == "POST":
        if enrolment.confirm_enrolment_link(token=token, user=user, request=request):
            return redirect("mfa_activate_totp")
        valid = False
    else:
        valid = enrolment.read_link(token, user) is not None
    if not valid:
        return render(request, "accounts/mfa_enrol_invalid.html", status=404)
    return render(request, "accounts/mfa_enrol_confirm.html", {"email": user.email})
