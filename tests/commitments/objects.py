"""Commitment objects of one side that URLs can point at: a fully signed village document
(one portal signature, one paper page, its PDF stored) with a followed-up point and evidence.
Village level, so that the admin, the camat and the village head all may manage it. Also a
village template of the district, and an issue of it to the side's village."""

import hashlib
from datetime import date

from django.core.files.base import ContentFile
from django_scopes import scopes_disabled

from commitments import chain, services
from commitments.models import (
    CommitmentDocument,
    DocumentTemplate,
    FollowUp,
    FollowUpEvidence,
    Signature,
    SignatureEvent,
    VillageIssue,
)
from documents.files import store_generated
from documents.models import Job
from tests.commitments.factories import add_people, make_document
from tests.convergence.objects import PDF
from villages.models import Village


def commitment_objects(side, year):
    with scopes_disabled():
        document = CommitmentDocument.objects.filter(
            district=side.district, level="village", village=side.village, issue__isnull=True
        ).first()
        if document is None:
            document = _signed_document(side)
        version = document.current_version
        paper = Signature.objects.filter(signatory__version=version, method="paper").first()
        follow_up = FollowUp.objects.filter(document=document).first()
        evidence = FollowUpEvidence.objects.filter(follow_up=follow_up).first()
        template, issue = _template_and_issue(side, year)
    return {
        "template_id": template.pk,
        "issue_id": issue.pk,
        "document_id": document.pk,
        "signatory_id": paper.signatory_id,
        "signature_id": paper.pk,
        "follow_up_id": follow_up.pk,
        "commitment_evidence_id": evidence.pk,
    }


def _signed_document(side):
    document = make_document(side, level="village", template="village")
    portal, on_paper = add_people(document, side, users=["village_head"], paper=1)
    version = document.current_version
    digest = version.content_sha256()
    for signatory, method in ((portal, "portal"), (on_paper, "paper")):
        signature = Signature(
            signatory=signatory,
            district=side.district,
            method=method,
            by=side.users["district_admin"],
            content_sha256=digest,
        )
        if method == "paper":
            signature.paper_name = "lembar.pdf"
            signature.paper_content_type = "application/pdf"
            signature.paper_size = len(PDF)
            signature.paper_sha256 = hashlib.sha256(PDF).hexdigest()
            signature.paper.save("lembar", ContentFile(PDF), save=False)
        signature.save()
        chain.append_event(
            document,
            kind=SignatureEvent.Kind.SIGNED,
            actor=signature.by,
            payload=chain.signature_payload(signature),
            at=signature.signed_at,
        )
    version.final = store_generated(
        kind="commitment",
        source=version,
        district_id=side.district.pk,
        pdf=PDF,
        version=version.number,
    )
    version.save(update_fields=["final"])
    chain.append_event(
        document,
        kind=SignatureEvent.Kind.FINALISED,
        actor=None,
        payload={
            "version": version.number,
            "content_sha256": digest,
            "pdf_sha256": version.pdf_sha256,
            "pdf_size": version.pdf_size,
        },
    )
    document.status = CommitmentDocument.Status.SIGNED
    document.save(update_fields=["status"])
    follow_up = FollowUp.objects.create(
        document=document,
        district=side.district,
        point=1,
        text=version.points[0],
        owner_village=side.village,
        due_on=version.signed_on,
    )
    evidence = FollowUpEvidence(
        follow_up=follow_up,
        district=side.district,
        original_name="bukti.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
    )
    evidence.file.save("bukti", ContentFile(PDF), save=False)
    evidence.save()
    return document


def render_job_of(version):
    """The job that renders (rendered) a version's final PDF."""
    return Job.objects.get(kind="commitment_pdf", payload__version=str(version.pk))


def _template_and_issue(side, year):
    admin = side.users["district_admin"]
    template = DocumentTemplate.objects.filter(district=side.district).first()
    if template is None:
        template = services.save_template(
            district=side.district,
            kind="village",
            name="Komitmen desa lokus",
            title="KOMITMEN {DESA} TAHUN {tahun}",
            preamble="Kami pemerintah {desa} berkomitmen untuk:",
            points=["Menganggarkan pencegahan stunting dari APBDes {tahun_depan}."],
            closing="",
            by=admin,
        )
    issue = VillageIssue.objects.filter(district=side.district).first()
    if issue is None:
        issue, _made, _skipped = services.issue_to_villages(
            district=side.district,
            template=template,
            villages=Village.objects.filter(pk=side.village.pk),
            year=year,
            signed_on=date(year, 8, 12),
            by=admin,
        )
    return template, issue
