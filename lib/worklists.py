"""Numbered lists of work read in two queries, however many lists and rows there are.

A home page shows each role a few lists (waiting for verification, late, due soon…), each
as its count and its first rows. Every row goes to the first list whose condition it meets;
one query counts each list, one reads the first `limit` rows of each (a window per list, so a
long list never crowds out a short one)."""

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber


def first_of_each(
    queryset: QuerySet, kinds: dict[int, Q], *, order_by: list[str], limit: int, fields: list[str]
) -> tuple[dict[int, int], list[dict]]:
    """(rows per list number, the first `limit` rows of each as `fields` values with their
    list number under "which"), the rows in list order, then `order_by`."""
    which = Case(
        *(When(condition, then=Value(number)) for number, condition in kinds.items()),
        default=Value(-1),
        output_field=IntegerField(),
    )
    base = queryset.annotate(which=which).filter(which__gte=0)
    counts = dict(base.values_list("which").annotate(n=Count("pk")).order_by())
    rows = (
        base.annotate(
            place=Window(
                RowNumber(),
                partition_by=F("which"),
                order_by=[F(name).asc() for name in order_by],
            )
        )
        .filter(place__lte=limit)
        .values("which", *fields)
        .order_by("which", *order_by)
    )
    return counts, list(rows)
