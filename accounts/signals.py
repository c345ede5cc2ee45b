from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
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
