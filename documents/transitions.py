"""One way to move a record from one status to the next: deliverables, village reports and
commitment follow-ups.

    row = transitions.move(
        report,
        sources=(Status.SUBMITTED,),
        target=Status.VERIFIED,
        refused=lambda locked: ValidationError(...),
        fields=lambda locked, now: {"decided_at": now, "decided_by": by},
        history=lambda locked, from_status, now: ReportEvent.objects.create(...),
        audit=lambda locked: record("village_report_verify", actor=by, district=d, ...),
    )

Two clicks or two users at the same moment cannot both succeed: the row is locked and its
status read under the lock, then updated, its history row and audit entry written, all in one
transaction. (A conditional UPDATE alone is not enough: under a camat's or a village's scope
the scoped manager adds a join, Django turns the status guard into an `id IN (subquery)`, and
PostgreSQL, after waiting for the other transaction, re-checks the row but not the subquery.)
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

from lib import generations


@transaction.atomic
def move[M: models.Model](
    obj: M,
    *,
    sources: Iterable[str],
    target: str,
    refused: Callable[[M], Exception],
    fields: Callable[[M, datetime], dict] | None = None,
    check: Callable[[M], None] | None = None,
    history: Callable[[M, str, datetime], object] | None = None,
    audit: Callable[[M], object],
    status_field: str = "status",
) -> M:
    """Move `obj` to `target` if its status, read under a row lock, is one of `sources`;
    otherwise raise `refused(locked row)`. `check(locked)` may refuse for other reasons once
    the status is right; `fields(locked, now)` gives the other columns to set; `history(locked,
    from_status, now)` writes the history row and `audit(locked)` the audit entry (a call of
    accounts.audit.record written out at the caller, where tests/accounts/test_audit.py reads
    its action code). Returns `obj`, reloaded."""
    manager = type(obj)._default_manager
    # of=self: the scoped manager may join other tables, whose rows need no lock
    locked = manager.select_for_update(of=("self",)).get(pk=obj.pk)
    from_status = getattr(locked, status_field)
    if from_status not in tuple(sources):
        raise refused(locked)
    if check is not None:
        check(locked)
    now = timezone.now()
    updates = {status_field: target, **(fields(locked, now) if fields else {})}
    manager.filter(pk=obj.pk).update(**updates)
    # (an update sends no signal: the district's dashboard is told here)
    generations.move(generations.DISTRICT_DATA, getattr(locked, "district_id", None))
    if history is not None:
        history(locked, from_status, now)
    audit(locked)
    obj.refresh_from_db()
    return obj
