"""The reporting chain upward: the camat forwards his kecamatan's verified reports for a period
to the district as one recap; the district accepts it or returns it with a reason.

While a recap is with the district, and for good once it is accepted, no report of the
kecamatan's villages for that period changes (reports.check_unlocked, called by every report
service): what the district accepted stays what it accepted, as with DHIS2's approval levels.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.audit import record
from documents import transitions
from lib.text import clean_one
from villages.models import District, Kecamatan, Village

from . import reports
from .models import (
    KecamatanRecap,
    RecapEvent,
    RecapStatus,
    ReportPeriod,
    ReportStatus,
    VillageReport,
)

REMARK_MAX = 2000
# villages named in the message that says why a recap cannot be forwarded yet
NAMED_MAX = 10


def _state_words() -> dict[str, str]:
    return {
        "missing": _("belum dikirim"),
        ReportStatus.DRAFT: _("draf"),
        ReportStatus.SUBMITTED: _("menunggu verifikasi"),
        ReportStatus.RETURNED: _("dikembalikan"),
    }


@transaction.atomic
def forward_recap(*, kecamatan: Kecamatan, period: ReportPeriod, by) -> KecamatanRecap:
    """Forward the kecamatan's reports for `period` to the district: only when the newest
    version of every active village's report is verified (otherwise the message names what is
    missing). A recap that is already with the district or accepted is not forwarded again (a
    double click); a returned one is forwarded anew."""
    if kecamatan.district_id != period.district_id:
        raise ValidationError(_("Kecamatan tidak dikenal."))
    # Lock every report row of the kecamatan and period first: a village's edit, a camat's
    # verification or a correction (which lock their row, then read the recap) waits for this
    # transaction, and this one reads the statuses afterwards, in statements of their own.
    list(
        VillageReport.objects.select_for_update(of=("self",))
        .filter(period=period, village__kecamatan=kecamatan)
        .values_list("pk", flat=True)
    )
    recap = KecamatanRecap.objects.select_for_update().filter(kecamatan=kecamatan, period=period)
    recap = recap.first()
    names = {"period": period.label, "kecamatan": kecamatan.name}
    if recap is not None and recap.status == RecapStatus.FORWARDED:
        raise ValidationError(
            _("Rekap %(period)s Kec. %(kecamatan)s sudah diteruskan dan menunggu kabupaten.")
            % names
        )
    if recap is not None and recap.status == RecapStatus.ACCEPTED:
        raise ValidationError(
            _("Rekap %(period)s Kec. %(kecamatan)s sudah diterima kabupaten.") % names
        )
    villages = list(
        Village.objects.active().filter(kecamatan=kecamatan).order_by("code").only("id", "name")
    )
    if not villages:
        raise ValidationError(_("Kec. %(kecamatan)s tidak memiliki desa aktif.") % names)
    # each village's newest version (in Python: DISTINCT ON is PostgreSQL's, and `make run`
    # serves from SQLite; a period has a version or two per village)
    newest = {}
    for row in (
        VillageReport.objects.filter(period=period, village__kecamatan=kecamatan)
        .order_by("village_id", "-version")
        .values("id", "village_id", "version", "status")
    ):
        newest.setdefault(row["village_id"], row)
    words = _state_words()
    waiting = []
    for village in villages:
        row = newest.get(village.pk)
        state = row["status"] if row else "missing"
        if state != ReportStatus.VERIFIED:
            waiting.append(f"{village.name} ({words[state]})")
    if waiting:
        shown = ", ".join(waiting[:NAMED_MAX])
        if len(waiting) > NAMED_MAX:
            shown += " " + _("dan %(n)s lainnya") % {"n": len(waiting) - NAMED_MAX}
        raise ValidationError(
            ngettext(
                "Rekap belum dapat diteruskan: %(n)s desa belum terverifikasi: %(list)s.",
                "Rekap belum dapat diteruskan: %(n)s desa belum terverifikasi: %(list)s.",
                len(waiting),
            )
            % {"n": len(waiting), "list": shown}
        )
    now = timezone.now()
    snapshot = {str(v.pk): [str(newest[v.pk]["id"]), newest[v.pk]["version"]] for v in villages}
    if recap is None:
        recap = KecamatanRecap.objects.create(
            district_id=period.district_id,
            kecamatan=kecamatan,
            period=period,
            status=RecapStatus.FORWARDED,
            reports=snapshot,
            forwarded_at=now,
            forwarded_by=by,
        )
    else:
        recap.status = RecapStatus.FORWARDED
        recap.reports = snapshot
        recap.forwarded_at, recap.forwarded_by = now, by
        recap.decided_at, recap.decided_by, recap.remark = None, None, ""
        recap.save()
    RecapEvent.objects.create(
        recap=recap,
        district_id=recap.district_id,
        to_status=RecapStatus.FORWARDED,
        actor=by,
        at=now,
    )
    record(
        "kecamatan_recap_forward",
        actor=by,
        district=period.district,
        target=f"Kec. {kecamatan.name} · {period.label}",
        villages=len(villages),
    )
    return recap


def _named(recap: KecamatanRecap) -> str:
    return f"Kec. {recap.kecamatan.name} · {recap.period.label}"


def _decide(recap: KecamatanRecap, *, target: str, by, remark: str, audit):
    return transitions.move(
        recap,
        sources=(RecapStatus.FORWARDED,),
        target=target,
        refused=lambda locked: ValidationError(
            _("Rekap ini sudah berstatus %(status)s.") % {"status": locked.get_status_display()}
        ),
        fields=lambda locked, now: {"decided_at": now, "decided_by": by, "remark": remark},
        history=lambda locked, from_status, now: RecapEvent.objects.create(
            recap=recap,
            district_id=recap.district_id,
            to_status=target,
            remark=remark,
            actor=by,
            at=now,
        ),
        audit=audit,
    )


@transaction.atomic
def accept_recap(*, recap: KecamatanRecap, by) -> KecamatanRecap:
    """The district accepts the recap: the period is locked for the kecamatan's villages."""
    return _decide(
        recap,
        target=RecapStatus.ACCEPTED,
        by=by,
        remark="",
        audit=lambda locked: record(
            "kecamatan_recap_accept", actor=by, district=recap.district, target=_named(recap)
        ),
    )


@transaction.atomic
def return_recap(*, recap: KecamatanRecap, remark: str, by) -> KecamatanRecap:
    """The district sends the recap back with its reason; the period opens again for the
    kecamatan (corrections, then forwarding anew)."""
    remark = clean_one(remark, REMARK_MAX, "remark").strip()
    if not remark:
        raise ValidationError(_("Tuliskan alasan: apa yang harus diperbaiki kecamatan."))
    return _decide(
        recap,
        target=RecapStatus.RETURNED,
        by=by,
        remark=remark,
        audit=lambda locked: record(
            "kecamatan_recap_return",
            actor=by,
            district=recap.district,
            target=_named(recap),
            remark=remark,
        ),
    )


# --- The page -----------------------------------------------------------------------------------


@dataclass
class RecapRow:
    kecamatan: Kecamatan
    villages: int
    verified: int
    correcting: int
    recap: KecamatanRecap | None

    @property
    def ready(self) -> bool:
        """Every village verified and no correction under way (the service decides for good)."""
        return self.villages > 0 and self.verified == self.villages and not self.correcting

    @property
    def state(self) -> str:
        return self.recap.status if self.recap else ""


def recap_rows(*, district: District, period: ReportPeriod, access) -> list[RecapRow]:
    """One row per kecamatan the user sees (the district every kecamatan, a camat his own) with
    its villages' counts and its recap: the completeness queries and one more."""
    view = reports.completeness(district=district, period=period, access=access)
    recaps = {
        r.kecamatan_id: r
        for r in KecamatanRecap.objects.filter(period=period).select_related(
            "forwarded_by", "decided_by"
        )
    }
    rows = []
    for k in view.kecamatan:
        rows.append(
            RecapRow(
                kecamatan=k.kecamatan,
                villages=len(k.villages),
                verified=k.counts.verified,
                correcting=sum(1 for v in k.villages if v.correcting),
                recap=recaps.get(k.kecamatan.pk),
            )
        )
    rows.sort(key=lambda r: r.kecamatan.code)
    return rows
