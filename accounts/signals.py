import time

from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .audit import record, record_for_user
from .models import Membership


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record_for_user("login", user, request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_for_user("logout", user, request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password; only the address that was tried.
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    record("login_failed", target=email, request=request)


@receiver(authentication_failed)
def on_mfa_failed(sender, request, user, authenticator, reauthentication=False, **kwargs):
    # a wrong authenticator code at login (or at allauth's re-authentication)
    record_for_user("mfa_failed", user, request, reauthentication=bool(reauthentication))


@receiver(authenticator_added)
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    record_for_user("mfa_added", user, request, type=authenticator.type)


@receiver(authenticator_removed)
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    record_for_user("mfa_removed", user, request, type=authenticator.type)


def _forget_totp(sender, instance, **kwargs):
    """MfaRequiredMiddleware remembers that a user has TOTP; any change to one of his
    authenticators (enrolled, removed in allauth, deleted by hand) makes it ask again."""
    from .middleware import totp_cache_key

    cache.delete(totp_cache_key(instance.user_id))


def _forget_memberships(sender, instance, **kwargs):
    """A membership granted, ended or changed: its user's cached memberships
    (accounts.policy.cached_memberships) are forgotten now and once more after the commit, so
    that a request reading the old rows in between cannot keep them."""
    from django.db import transaction

    from .policy import memberships_key

    key = memberships_key(instance.user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def _regions_changed(sender, instance, **kwargs):
    """A district, province, kecamatan, village or agency changed: every cached membership
    list (which carries them) is read again."""
    from django.db import transaction

    from .policy import REGIONS_GENERATION

    def move_on():
        cache.set(REGIONS_GENERATION, time.time_ns(), None)

    move_on()
    transaction.on_commit(move_on, robust=True)


def connect_membership_signals():
    from villages.models import Agency, District, Kecamatan, Province, Village

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_forget_memberships, sender=Membership, dispatch_uid=f"memberships-{name}")
        for model in (Agency, District, Kecamatan, Province, Village):
            signal.connect(
                _regions_changed, sender=model, dispatch_uid=f"regions-{model.__name__}-{name}"
            )


def connect_authenticator_signals():
    from allauth.mfa.models import Authenticator

    post_save.connect(_forget_totp, sender=Authenticator, dispatch_uid="forget-totp-save")
    post_delete.connect(_forget_totp, sender=Authenticator, dispatch_uid="forget-totp-delete")
