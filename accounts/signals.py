from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .audit import record
from .models import Membership


def _districts_of(user):
    ids = set()
    districts = []
    for m in Membership.objects.active().filter(user=user).select_related("district"):
        if m.district_id and m.district_id not in ids:
            ids.add(m.district_id)
            districts.append(m.district)
    return districts or [None]


def _record_everywhere(action, user, request, **data):
    for district in _districts_of(user):
        record(action, actor=user, district=district, target=user.email, request=request, **data)


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    _record_everywhere("login", user, request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        _record_everywhere("logout", user, request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; only the address that was tried.
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    record("login_failed", target=email, request=request)


@receiver(authenticator_added)
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    _record_everywhere("mfa_added", user, request, type=authenticator.type)


@receiver(authenticator_removed)
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    _record_everywhere("mfa_removed", user, request, type=authenticator.type)


def _forget_totp(sender, instance, **kwargs):
    """MfaRequiredMiddleware remembers that a user has TOTP; any change to one of his
    authenticators (enrolled, removed in allauth, deleted by hand) makes it ask again."""
    from .middleware import totp_cache_key

    cache.delete(totp_cache_key(instance.user_id))


def connect_authenticator_signals():
    from allauth.mfa.models import Authenticator

    post_save.connect(_forget_totp, sender=Authenticator, dispatch_uid="forget-totp-save")
    post_delete.connect(_forget_totp, sender=Authenticator, dispatch_uid="forget-totp-delete")
