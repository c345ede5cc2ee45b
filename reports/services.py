"""What the reports app changes: the district's choice of what its public page shows, and the
annual evaluation's texts, versions and approval."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import reauth
from accounts.audit import record
from convergence import summaries as convergence
from documents import jobs
from documents.files import seal_stored, store_generated
from documents.models import GeneratedDocument
from documents.seal import SealUnusable, seal_pdf
from lib import text
from lib.stale import check_fresh

from .evaluation import SECTIONS, Printed, render_evaluation
from .models import ITEMS, EvaluationNarrative, EvaluationVersion, Publication


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


# --- the annual evaluation (DOMAIN.md §9) ---------------------------------------------------

EVALUATION_JOB = "evaluation_pdf"
NARRATIVE_MAX = text.MINUTES  # characters per section


def narrative_of(district, year: int) -> EvaluationNarrative:
    """The secretariat's texts of the year (an unsaved, empty one before the first save)."""
    found = EvaluationNarrative.objects.filter(district=district, year=year).first()
    return found or EvaluationNarrative(district=district, year=year, texts={})


def _year_row(district, year: int) -> EvaluationNarrative:
    """The year's narrative row, locked: every change to the year's evaluation (texts, a new
    version, an approval) takes its turn on it."""
    row, _created = EvaluationNarrative.objects.select_for_update().get_or_create(
        district=district, year=year
    )
    return row


@transaction.atomic
def save_narratives(
    district, year: int, *, texts: dict[str, str], by, expected: str | None = None
) -> EvaluationNarrative:
    """Save the secretariat's texts (section key → text; sections not given stay as they
    are). A save typed on a page that someone else's save has overtaken is refused
    (`expected`, lib.stale); a text longer than NARRATIVE_MAX is refused, nothing saved."""
    keys = {key for key, _title in SECTIONS}
    unknown = set(texts) - keys
    if unknown:
        raise TypeError(f"save_narratives() got unknown sections {sorted(unknown)}")
    values = text.cleaned(**{key: (value, NARRATIVE_MAX) for key, value in texts.items()})
    row = _year_row(district, year)
    if row.updated_by_id is not None or row.texts:
        check_fresh(row, expected)
    row.texts = {**row.texts, **{key: value.strip() for key, value in values.items()}}
    row.updated_by = by
    row.save(update_fields=["texts", "updated_by", "updated_at"])
    return row


def versions_of(district, year: int):
    return (
        EvaluationVersion.objects.filter(district=district, year=year)
        .select_related("pdf", "job", "requested_by", "approved_by", "superseded_by", "replaces")
        .order_by("-number")
    )


@transaction.atomic
def request_evaluation(district, year: int, *, by, inline: bool = False) -> EvaluationVersion:
    """Version n+1 of the year's evaluation, from the secretariat's texts as they stand, and
    the job that renders it on the `pdf` queue. While a final version exists the new one says
    it replaces it (until approved itself). `inline`: render in this process after the
    commit (the command line)."""
    row = _year_row(district, year)
    last = EvaluationVersion.objects.filter(district=district, year=year).order_by("-number")
    final = EvaluationVersion.objects.filter(district=district, year=year, final=True).first()
    version = EvaluationVersion.objects.create(
        district=district,
        year=year,
        number=(last.values_list("number", flat=True).first() or 0) + 1,
        narratives=dict(row.texts),
        requested_by=by if getattr(by, "is_authenticated", False) else None,
        replaces=final,
    )
    version.job = jobs.create(
        kind=EVALUATION_JOB,
        district=district,
        by=by,
        payload={"version": str(version.pk)},
        inline=inline,
    )
    version.save(update_fields=["job"])
    record(
        "evaluation_requested",
        actor=by,
        district=district,
        target=f"{year} v{version.number}",
        year=year,
        version=version.number,
    )
    return version


def verify_url(version: EvaluationVersion) -> str:
    return settings.SITE_URL + reverse("document_verify", kwargs={"token": version.verify_token})


def render_version(job_id, *, claim_seconds=None) -> None:
    """Render and store a requested version's PDF, once. Safe to run twice and to retry: only
    one attempt holds the job, and a version that has its PDF keeps it."""
    jobs.run(job_id, _render, seconds=claim_seconds)


def _printed(version: EvaluationVersion) -> Printed:
    by = version.requested_by
    return Printed(
        number=version.number,
        verify_url=verify_url(version),
        requested_by=(by.full_name or by.email) if by is not None else "",
        requested_at=version.requested_at,
        replaces=version.replaces.number if version.replaces_id else None,
        # the bytes rendered are the bytes approved (and sealed): the PDF never calls itself a
        # draft; whether it is approved is on the verification page its QR code leads to
        draft=False,
    )


def _render(running: jobs.Running) -> None:
    version = EvaluationVersion.objects.select_related("district", "requested_by", "replaces").get(
        pk=running.job.payload["version"]
    )
    if version.pdf_id:  # rendered before: a retried or redelivered job
        running.finish()
        return
    running.progress(10, "menyusun halaman")
    counted = {}

    def laid_out(pages: int) -> None:
        counted["pages"] = pages
        running.progress(80, f"{pages} halaman")

    pdf = render_evaluation(
        version.district,
        version.year,
        narratives=version.narratives,
        printed=_printed(version),
        on_layout=laid_out,
    )
    running.progress(90, "menyimpan")
    with transaction.atomic():
        version = EvaluationVersion.objects.select_for_update().get(pk=version.pk)
        if version.pdf_id:
            running.finish()
            return
        version.pdf = store_generated(
            kind=GeneratedDocument.Kind.EVALUATION,
            source=version,
            district_id=version.district_id,
            pdf=pdf,
            version=version.number,
            pages=counted.get("pages"),
            by=running.job.requested_by,
        )
        version.save(update_fields=["pdf"])
        if not running.finish():  # a later attempt holds the job: leave the work to it
            raise jobs.Refused("tugas diambil alih")


def render_now(district, year: int, *, by=None) -> EvaluationVersion:
    """A new version rendered in this process (the command line); raises when it failed."""
    version = request_evaluation(district, year, by=by, inline=True)
    # rendered after the commit already, unless called inside a transaction (then here: the
    # claim lets only one of the two work)
    jobs.run_here(version.job)
    version.refresh_from_db()
    job = version.job
    job.refresh_from_db()
    if version.pdf_id is None:
        raise RuntimeError(job.message or "the evaluation was not rendered")
    return version


SEAL_REASON = "Laporan evaluasi tahunan %(year)s, versi %(n)s, disetujui sebagai versi final"


def _stored_bytes(document: GeneratedDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


class NotApprovable(ValidationError):
    """The version cannot be approved (already approved, not rendered, older than the final)."""


def approve_version(version: EvaluationVersion, *, by, password: str, code: str = "", request=None):
    """The Sekda approves a rendered version as the year's final one, after giving the
    password again (and the authenticator's code: accounts.reauth). One transaction, the
    year's row locked: a second click finds it approved and changes nothing. The version that
    was final is superseded by it. Its PDF is sealed (documents.seal) when the district has a
    certificate: the sealed file becomes the version's file, with its own SHA-256; a
    certificate that cannot be used refuses the approval with the reason."""
    reauth.confirm(by, password=password, code=code, request=request)
    with transaction.atomic():
        _year_row(version.district, version.year)
        version = (
            EvaluationVersion.objects.select_for_update(of=("self",))
            .select_related("pdf", "district")
            .get(pk=version.pk)
        )
        if version.is_approved:
            raise NotApprovable(_("Versi %(n)s sudah disetujui.") % {"n": version.number})
        if version.pdf_id is None:
            raise NotApprovable(_("Versi ini belum selesai disusun."))
        current = (
            EvaluationVersion.objects.select_for_update()
            .filter(district=version.district, year=version.year, final=True)
            .first()
        )
        if current is not None and current.number > version.number:
            raise NotApprovable(
                _("Versi %(n)s yang lebih baru sudah final; versi lama tidak dapat disetujui.")
                % {"n": current.number}
            )
        try:
            sealed = seal_pdf(
                _stored_bytes(version.pdf),
                district=version.district,
                reason=SEAL_REASON % {"year": version.year, "n": version.number},
            )
        except SealUnusable as exc:  # the operator's certificate is broken: nothing approved
            raise ValidationError(str(exc)) from None
        if sealed is not None:
            seal_stored(version.pdf, sealed)
        now = timezone.now()
        if current is not None:
            current.final = False
            current.superseded_by = version
            current.save(update_fields=["final", "superseded_by"])
        version.final = True
        version.approved_by = by
        version.approved_by_name = by.full_name or by.email
        version.approved_at = now
        version.replaces = current or version.replaces
        version.save(
            update_fields=["final", "approved_by", "approved_by_name", "approved_at", "replaces"]
        )
        record(
            "evaluation_approved",
            actor=by,
            district=version.district,
            target=f"{version.year} v{version.number}",
            year=version.year,
            version=version.number,
            pdf_sha256=version.pdf.sha256,
            supersedes=current.number if current is not None else None,
            seal_subject=sealed.subject if sealed is not None else "",
        )
    return version


def is_genuine(version: EvaluationVersion, data: bytes) -> bool:
    return bool(version.pdf_id) and hashlib.sha256(data).hexdigest() == version.pdf.sha256


def districts_with_year(year: int):
    """Each district that has `year` open or closed, entered one at a time (accounts.tenancy)."""
    return convergence.districts_with_year(year)


def queue_all(year: int, *, by=None) -> int:
    """One rendering job per district that has `year` open or closed (the command's --all,
    the January schedule). Returns how many were queued."""
    count = 0
    for district in districts_with_year(year):
        request_evaluation(district, year, by=by)
        count += 1
    return count
