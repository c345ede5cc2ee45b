"""MFA enrolment bound to the mailbox.

A password alone does not let anyone enrol the first authenticator of an account: whoever
holds a leaked password of an admin who has not enrolled yet could otherwise enrol his own
TOTP and own the account for good. The first TOTP is enrolled in a session that has shown it
reads the account's mailbox, in one of two ways:

- the invitation link (it reached the mailbox): accepting it marks the session;
- a one-time link sent to the address on request (`send_enrolment_link`), opened while logged
  in as that user (`confirm_enrolment_link`). Existing users who never enrolled take this way.

The mark lives in the session, names the user and lasts PROOF_SECONDS. MfaRequiredMiddleware
sends a session without it from allauth's TOTP activation to the page that sends the link.
A user who has any authenticator needs no mark: allauth asks for his code to reauthenticate.
"""

import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac

from lib.ratelimit import hit

SESSION_KEY = "mfa_enrolment_proof"
PROOF_SECONDS = 24 * 3600  # as long as an invitation link
LINK_SECONDS = 3600
LINK_SALT = "accounts.enrolment.link"
MAILS_PER_HOUR = 3


def has_authenticator(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()


def mark_proven(request, user) -> None:
    """This session has shown it reads `user`'s mailbox."""
    request.session[SESSION_KEY] = {"user": str(user.pk), "at": int(time.time())}


def may_enrol(request, user) -> bool:
    """Whether this session may enrol `user`'s TOTP: he has an authenticator already (allauth
    then reauthenticates with it), or the session holds a fresh mailbox proof for him."""
    proof = request.session.get(SESSION_KEY)
    if (
        isinstance(proof, dict)
        and proof.get("user") == str(user.pk)
        and time.time() - int(proof.get("at", 0)) < PROOF_SECONDS
    ):
        return True
    return has_authenticator(user)


def _state(user) -> str:
    """Changes when the password does: a link sent before a password change is void."""
    return salted_hmac(LINK_SALT, f"{user.pk}:{user.password}", algorithm="sha256").hexdigest()[:16]


def make_link_token(user) -> str:
    return signing.dumps(
        {"u": str(user.pk), "s": _state(user), "n": secrets.token_urlsafe(12)},
        salt=LINK_SALT,
        compress=True,
    )


def _used_key(nonce: str) -> str:
    return f"mfa-enrol-link-used:{nonce}"


def send_enrolment_link(*, user, request) -> bool:
    """E-mail `user` a one-time link that lets the session opening it enrol TOTP. False when
    the address has had MAILS_PER_HOUR links this hour (nothing is sent)."""
    from .audit import record_for_user

    if hit("mfa-enrol-mail", str(user.pk), limit=MAILS_PER_HOUR, seconds=3600):
        return False
    link = settings.SITE_URL + reverse("mfa_enrol_confirm", kwargs={"token": make_link_token(user)})
    context = {"user": user, "link": link, "minutes": LINK_SECONDS // 60}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/mfa_enrol_subject.txt", context).strip()
        body = render_to_string("accounts/email/mfa_enrol_body.txt", context)
    send_mail(subject, body, None, [user.email])
    record_for_user("mfa_enrol_link_sent", user, request)
    return True


def read_link(token: str, user) -> str | None:
    """The nonce of a link that is `user`'s, unused, not older than LINK_SECONDS and made for
    his current password; None for any other."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != str(user.pk):
        return None
    if not constant_time_compare(str(data.get("s", "")), _state(user)):
        return None
    nonce = str(data.get("n", ""))
    if not nonce or cache.get(_used_key(nonce)):
        return None
    return nonce


def confirm_enrolment_link(*, token: str, user, request) -> bool:
    """Spend a link from the mailbox: True, and the session is marked, when `read_link`
    accepts it and it was not spent meanwhile."""
    from .audit import record_for_user

    nonce = read_link(token, user)
    if nonce is None or not cache.add(_used_key(nonce), 1, LINK_SECONDS):
        return False
    mark_proven(request, user)
    record_for_user("mfa_enrol_proven", user, request, via="email")
    return True
