from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation

from villages.models import District

from .enrolment import may_enrol
from .policy import access_for, memberships_of, needs_mfa
from .tenancy import access_scope


class DistrictMiddleware:
    """Resolves /<district-slug>/… once: the district, the user's access there, the district's
    time zone, and the tenant scope around the whole response (views and template rendering).

    Unknown district and no membership give the same 404, so outsiders learn nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("district_slug")
        rule = getattr(match.func, "access_rule", None)
        if slug is None or (rule is not None and rule.kind == "public"):
            # a public page of a district (/publik/<slug>/) enters it itself, read-only and
            # without a login (accounts.tenancy.public_district_page)
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        memberships = memberships_of(request)
        district = _district_of_memberships(memberships, slug)
        if district is None:  # national and province roles, and outsiders
            district = (
                District.objects.active().select_related("province").filter(slug=slug).first()
            )
        access = access_for(memberships, district) if district else None
        if access is None:
            raise Http404
        request.district = district
        request.access = access
        timezone.activate(district.tz)
        try:
            with access_scope(access):
                response = self.get_response(request)
                # a lazy TemplateResponse renders here, inside the scope, not after it
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response
        finally:
            timezone.deactivate()


def _district_of_memberships(memberships, slug):
    """The district of one of the user's own memberships (loaded with them, province and
    all), so that a district user's page does not look the district up a second time."""
    for m in memberships:
        district = m.district
        if district is not None and district.slug == slug and district.retired_at is None:
            return district
    return None


class UserSessionsMiddleware:
    """allauth.usersessions' middleware, throttled. allauth writes the user-session row (a
    SELECT, the user loaded again and an UPDATE, in a savepoint) on every request: five of
    the nine queries of an empty district page. Here the row is written on a session's first
    page and then at most every TRACK_EVERY seconds, so the session list's "last seen" is
    right to five minutes. Whether it is due is one `add` to the shared cache (Redis): a key
    per session that expires after TRACK_EVERY seconds."""

    TRACK_EVERY = 300

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from allauth.usersessions.internal import usersessionkit

        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and session.session_key and user and user.is_authenticated:
            if cache.add(self.key(session.session_key), 1, self.TRACK_EVERY):
                usersessionkit.track_activity(request, user=user, session=session)
        return self.get_response(request)

    @staticmethod
    def key(session_key) -> str:
        return f"usersession-seen:{session_key}"


class MfaRequiredMiddleware:
    """allauth offers TOTP but does not enforce it. Users holding a role that can change a
    district's data or read several districts must enrol before anything else. And nobody
    enrols a first authenticator with the password alone: allauth's activation page needs a
    session that proved it reads the account's mailbox (accounts.enrolment)."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/undangan/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        if request.path_info == reverse("mfa_activate_totp") and not may_enrol(
            request, request.user
        ):
            # the first authenticator needs proof of the mailbox, not only the password
            # (accounts.enrolment); whether or not the role needs MFA
            return HttpResponseRedirect(reverse("mfa_enrol_request"))
        if (
            settings.MFA_REQUIRED
            and not request.path_info.startswith(self.EXEMPT_PREFIXES)
            and needs_mfa(memberships_of(request))
            and not _has_totp(request.user)
        ):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


TOTP_CACHE_SECONDS = 600


def totp_cache_key(user_id) -> str:
    return f"mfa-totp:{user_id}"


def _has_totp(user) -> bool:
    """Whether the user has enrolled TOTP. A yes is remembered in the cache (a query on every
    request otherwise); accounts.signals forgets it the moment an authenticator of the user
    is saved or deleted, however that happens."""
    from allauth.mfa.models import Authenticator

    key = totp_cache_key(user.pk)
    if cache.get(key):
        return True
    has = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    if has:
        cache.set(key, True, TOTP_CACHE_SECONDS)
    return has


class LanguageMiddleware(LocaleMiddleware):
    """Indonesian unless the user picked English with the switch (a cookie). The browser's
    Accept-Language is ignored: many phones in Indonesia are set to English, and the portal
    speaks the language of the government documents it holds unless asked otherwise."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
