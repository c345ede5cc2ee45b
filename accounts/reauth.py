"""Re-authentication before an act that binds the user (signing a commitment, approving the
annual evaluation): the password again, and a TOTP code when the user has enrolled an
authenticator. Wrong answers count per user; after ATTEMPTS within LOCK_SECONDS even the
right ones are refused until the lock ends, so a session left open cannot be used to guess."""

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .audit import record_for_user

ATTEMPTS = 5  # wrong passwords or codes per user within LOCK_SECONDS
LOCK_SECONDS = 15 * 60


def fail_key(user) -> str:
    return f"reauth-fail:{user.pk}"


def _failed(user, request, field: str) -> None:
    # in the audit log of each district the user works in (a guessed password or code)
    record_for_user("reauth_failed", user, request, field=field)
    key = fail_key(user)
    cache.add(key, 0, LOCK_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the lock ended between add and incr
        cache.set(key, 1, LOCK_SECONDS)


def _totp(user):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()


def needs_code(user) -> bool:
    return _totp(user) is not None


def confirm(user, *, password: str, code: str = "", request=None) -> bool:
    """Check the password (and the TOTP code when the user has an authenticator); raise a
    ValidationError keyed by the wrong field, or a plain one while locked out. Returns whether
    a second factor was used. A success forgives the earlier failures. Each failure is an
    audit entry ("reauth_failed", with the field)."""
    if (cache.get(fail_key(user)) or 0) >= ATTEMPTS:
        raise ValidationError(_("Terlalu banyak percobaan yang salah. Coba lagi dalam 15 menit."))
    if not user.check_password(password or ""):
        _failed(user, request, "password")
        raise ValidationError({"password": _("Kata sandi salah.")})
    totp = _totp(user)
    if totp is not None:
        from allauth.mfa.totp.internal.auth import TOTP

        if not code or not TOTP(totp).validate_code(code.strip()):
            _failed(user, request, "code")
            raise ValidationError({"code": _("Kode autentikator salah atau sudah dipakai.")})
    cache.delete(fail_key(user))
    return totp is not None
