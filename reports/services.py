"""What the reports app changes: the district's choice of what its public page shows."""

from django.db import transaction

from accounts.audit import record
from lib.stale import check_fresh

from .models import ITEMS, Publication


@transaction.atomic
def update_publication(district, *, by, expected: str | None = None, **choices) -> list[str]:
    """Set what the district publishes (`choices`: item → bool, items not given stay as they
    are). A change typed on a page that someone else's save has overtaken (`expected`,
    lib.stale) is refused. Returns the items that changed, audited as one event."""
    unknown = set(choices) - set(ITEMS)
    if unknown:
        raise TypeError(f"update_publication() got unexpected items {sorted(unknown)}")
    publication, created = Publication.objects.select_for_update().get_or_create(district=district)
    if not created:
        check_fresh(publication, expected)
    changed = [item for item, on in choices.items() if getattr(publication, item) != bool(on)]
    if not changed:
        return []
    for item in changed:
        setattr(publication, item, bool(choices[item]))
    publication.updated_by = by
    publication.save(update_fields=[*changed, "updated_at", "updated_by"])
    record(
        "publication_changed",
        actor=by,
        district=district,
        target=district.name,
        published=list(publication.chosen),
        fields=sorted(changed),
    )
    return changed
