"""Account workflows: invitations, memberships. Views and commands call these; they hold the
rules and write the audit log."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from lib.text import strip_bidi

from .audit import record
from .models import DISTRICT_ROLES, Invitation, Membership, Role, User


def ensure_verified_email(user: User) -> None:
    """allauth needs a verified primary EmailAddress row, or it asks to verify at login."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@transaction.atomic
def invite_member(
    *,
    district,
    email: str,
    role: str,
    by: User,
    full_name: str = "",
    position: str = "",
    agency=None,
    kecamatan=None,
    village=None,
    request=None,
) -> tuple[Invitation, str]:
    """Create an invitation and email its link. Returns the invitation and the link. An
    address has at most one live invitation per district: a second one (a double click, or two
    admins at once) is refused while the first can still be accepted."""
    if Role(role) not in DISTRICT_ROLES:
        raise ValueError("district admins invite district roles only")
    email = email.strip().lower()
    # Invitations of one district take turns, so that two at once cannot both find no live one.
    type(district).objects.select_for_update().filter(pk=district.pk).first()
    live = (
        Invitation.objects.filter(
            district=district,
            email=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if live is not None:
        raise ValidationError(
            {
                "email": _(
                    "%(email)s sudah memiliki undangan yang masih berlaku (dikirim %(when)s). "
                    "Batalkan undangan itu di daftar anggota bila ingin mengirim yang baru."
                )
                % {
                    "email": email,
                    "when": formats.date_format(timezone.localtime(live.created_at), "j F Y H:i"),
                }
            }
        )
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        district=district,
        email=email,
        full_name=strip_bidi(full_name),
        role=role,
        agency=agency,
        kecamatan=kecamatan,
        village=village,
        position=strip_bidi(position),
        token_hash=token_hash,
        invited_by=by,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    link = settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})
    record(
        "invitation_sent",
        actor=by,
        district=district,
        target=invitation.email,
        request=request,
        role=role,
        scope=_scope_text(invitation),
    )
    context = {
        "invitation": invitation,
        "link": link,
        "district": district,
        "hours": settings.INVITATION_TTL_HOURS,
    }
    transaction.on_commit(lambda: _send_invitation_mail(invitation.email, context))
    return invitation, link


def _send_invitation_mail(email, context):
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, None, [email])


def _scope_text(obj) -> str:
    for field in ("village", "kecamatan", "agency"):
        value = getattr(obj, field, None)
        if value is not None:
            return str(value)
    return ""


@transaction.atomic
def accept_invitation(
    *,
    invitation: Invitation,
    user: User | None,
    password: str | None = None,
    full_name: str = "",
    request=None,
) -> tuple[User, Membership]:
    """Turn an open invitation into a membership. A new person sets a password here (the
    link is the proof of the email address); an existing user must be logged in as the
    invited address."""
    with scopes_disabled():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_open:
            raise ValueError("invitation is no longer open")
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise ValueError("account exists: log in first")
            user = User(
                email=invitation.email, full_name=strip_bidi(full_name) or invitation.full_name
            )
            validate_password(password, user)
            user.set_password(password)
            user.save()
        elif user.email.lower() != invitation.email.lower():
            raise ValueError("invitation is for another address")
        ensure_verified_email(user)
        membership = Membership(
            user=user,
            role=invitation.role,
            district=invitation.district,
            agency=invitation.agency,
            kecamatan=invitation.kecamatan,
            village=invitation.village,
            position=invitation.position,
        )
        membership.full_clean()
        membership.save()
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    record(
        "invitation_accepted",
        actor=user,
        district=invitation.district,
        target=user.email,
        request=request,
        role=invitation.role,
    )
    return user, membership


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by: User, request=None) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(
        "invitation_revoked",
        actor=by,
        district=invitation.district,
        target=invitation.email,
        request=request,
    )


@transaction.atomic
def change_membership(
    *,
    membership: Membership,
    by: User,
    role: str,
    agency=None,
    kecamatan=None,
    village=None,
    position: str = "",
    request=None,
) -> Membership:
    before = f"{membership.get_role_display()} {membership.scope_label}"
    membership.role = role
    membership.agency = agency
    membership.kecamatan = kecamatan
    membership.village = village
    membership.position = strip_bidi(position)
    membership.full_clean()
    membership.save()
    record(
        "role_changed",
        actor=by,
        district=membership.district,
        target=membership.user.email,
        request=request,
        before=before,
        after=f"{membership.get_role_display()} {membership.scope_label}",
    )
    return membership


@transaction.atomic
def end_membership(*, membership: Membership, by: User, request=None) -> None:
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    record(
        "membership_ended",
        actor=by,
        district=membership.district,
        target=membership.user.email,
        request=request,
        role=membership.role,
    )


@transaction.atomic
def grant_membership(
    *,
    user: User,
    role: str,
    district=None,
    province=None,
    agency=None,
    kecamatan=None,
    village=None,
    position: str = "",
) -> Membership:
    """For operators and the demo (national and province roles are not invited by districts)."""
    membership, created = Membership.objects.get_or_create(
        user=user,
        role=role,
        district=district,
        province=province,
        agency=agency,
        kecamatan=kecamatan,
        village=village,
        defaults={"position": strip_bidi(position)},
    )
    if created:
        membership.full_clean()
        ensure_verified_email(user)
        record("role_granted", district=district, target=user.email, role=role)
    return membership
