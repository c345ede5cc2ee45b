"""The audit log: who did what, when, in which district."""

from django_scopes import scopes_disabled

from lib.ratelimit import client_ip as lib_client_ip

from .models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return lib_client_ip(request) or None


def record(action: str, *, actor=None, district=None, target: str = "", request=None, **data):
    """Append one event. `district=None` marks a national event (imports, national logins)."""
    with scopes_disabled():
        return AuditEvent.objects.create(
            district=district,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_email=getattr(actor, "email", "") or "",
            action=action,
            target=str(target)[:300],
            data=data,
            ip_address=client_ip(request),
        )
