"""Account workflows: invitations, memberships. Views and commands call these; they hold the
rules and write the audit log."""

import dataclasses
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
from .models import DISTRICT_ROLES, AuditEvent, Invitation, Membership, Role, User
from .tenancy import each_district


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


ANONYMOUS_DOMAIN = "dihapus.invalid"  # RFC 2606: never a deliverable address


@dataclasses.dataclass
class Anonymised:
    """What `anonymise_user` changed, for the command's report and the audit entry."""

    user_id: int
    memberships_ended: int = 0
    districts: list = dataclasses.field(default_factory=list)
    mfa_removed: int = 0
    sessions_ended: int = 0
    invitations_scrubbed: int = 0
    audit_entries_scrubbed: int = 0
    lists_left: int = 0


def is_anonymised(user: User) -> bool:
    return user.email.endswith("@" + ANONYMOUS_DOMAIN)


@transaction.atomic
def anonymise_user(user: User, *, by: User | None, request=None) -> Anonymised:
    """Remove a person's account data from the portal and keep the record of what was signed.

    The account row stays (signatures, chain events and paper batches point at it with PROTECT,
    and a signed version's content hash covers the signatory's account id), but nothing left
    in it is personal: the e-mail becomes `anonim-<id>@dihapus.invalid` (the address is free
    for a new account), the name a placeholder, the password unusable, the account inactive,
    staff and superuser flags off. Every membership ends and loses its position; the allauth
    e-mail addresses, MFA authenticators (TOTP, recovery codes) and sessions are deleted; the
    account leaves every many-to-many list it is on (an action's responsible people, groups);
    invitations to the address and the e-mail in audit entries (actor and target) are replaced
    by the placeholder.

    Not changed: signatories and signatures (the name, position, NIP and organisation as
    signed are the signed document's own text, kept as a legal record; the public
    verification page keeps showing them and keeps verifying), rembuk attendance lists (the
    name as recorded in the minutes), and the audit entries themselves (who did what, by
    account id, with their IP address). See docs/personal-data.md."""
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    user = User.objects.select_for_update().get(pk=user.pk)
    if is_anonymised(user):
        raise ValidationError(_("Akun ini sudah dianonimkan."))
    result = Anonymised(user_id=user.pk)
    old_email = user.email
    placeholder = f"anonim-{user.pk}@{ANONYMOUS_DOMAIN}"
    # invitations are kept per district: each district that holds one is entered in turn
    for _district in each_district(Invitation, email__iexact=old_email):
        result.invitations_scrubbed += Invitation.objects.filter(email__iexact=old_email).update(
            email=placeholder, full_name="", revoked_at=timezone.now()
        )
    memberships = list(
        Membership.objects.filter(user=user, is_active=True).select_related("district")
    )
    result.memberships_ended = len(memberships)
    districts = {m.district_id: m.district for m in memberships if m.district_id}
    result.districts = list(districts.values())
    Membership.objects.filter(user=user).update(is_active=False, position="")
    for session in UserSession.objects.filter(user=user):
        session.end()  # the session itself too, from the cache and the table
        result.sessions_ended += 1
    result.mfa_removed = Authenticator.objects.filter(user=user).delete()[0]
    EmailAddress.objects.filter(user=user).delete()
    result.audit_entries_scrubbed = AuditEvent.everything.filter(
        actor_email__iexact=old_email
    ).update(actor_email=placeholder)
    result.audit_entries_scrubbed += AuditEvent.everything.filter(target__iexact=old_email).update(
        target=placeholder
    )
    # hidden many-to-many lists of other apps (string references, no import upwards)
    for relation in User._meta.get_fields(include_hidden=True):
        if relation.many_to_many and relation.auto_created and relation.related_model:
            through = relation.through
            column = relation.field.m2m_reverse_field_name()
            result.lists_left += through.objects.filter(**{column: user.pk}).delete()[0]
    user.groups.clear()
    user.user_permissions.clear()
    user.email = placeholder
    user.full_name = f"Pengguna dihapus #{user.pk}"
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    # also changes the session auth hash: any session not found above is void as well
    user.set_unusable_password()
    user.save()
    summary = {
        "user_id": user.pk,
        "memberships_ended": result.memberships_ended,
        "mfa_removed": result.mfa_removed,
        "sessions_ended": result.sessions_ended,
    }
    for district in result.districts:
        record(
            "user_anonymised",
            actor=by,
            district=district,
            target=placeholder,
            request=request,
            **summary,
        )
    record(
        "user_anonymised", actor=by, district=None, target=placeholder, request=request, **summary
    )
    return result
