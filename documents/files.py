"""Storing what people upload and what the portal renders: one function each.

`store_upload` judges an upload by its bytes (lib.uploads.read_upload: size, kind, image
dimensions), then stores it under a random name with its size and SHA-256, on any
`StoredFile` model. `store_generated` stores a rendered PDF as the next (or a given) version
of its source, once: a second render of the same version finds the first.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from lib.uploads import EVIDENCE_KINDS, EVIDENCE_REFUSED, display_name, read_upload

from .models import GeneratedDocument, StoredFile
from .seal import Sealed


def store_upload(
    stored: StoredFile,
    upload,
    *,
    by,
    kinds=EVIDENCE_KINDS,
    refused=EVIDENCE_REFUSED,
    default_name: str = "berkas",
    data: bytes | None = None,
    kind=None,
) -> StoredFile:
    """Fill `stored` (an unsaved StoredFile with what it is attached to) from `upload` and
    save it. A ValidationError (too large, wrong kind) stores nothing. `data`/`kind` pass an
    upload already read by the caller."""
    if data is None:
        data, kind = read_upload(upload, kinds=kinds, refused=refused)
    stored.original_name = display_name(upload, default_name, kind)
    stored.content_type = kind.content_type
    stored.size = len(data)
    stored.sha256 = hashlib.sha256(data).hexdigest()
    stored.uploaded_by = by
    stored.file.save(default_name, ContentFile(data), save=False)
    stored.save()
    return stored


def source_key(obj) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def store_generated(
    *,
    kind: str,
    source,
    district_id: int,
    pdf: bytes,
    by=None,
    version: int,
    pages=None,
    sealed: Sealed | None = None,
) -> GeneratedDocument:
    """Store version `version` of `source`'s rendered PDF once. A second call for the same
    version (a job run twice) returns the stored one and leaves its bytes alone. `sealed`
    (documents.seal.seal_pdf's answer): the sealed bytes are stored instead of `pdf`, with
    who sealed them and when; the SHA-256 is of the bytes stored, those people download."""
    source_type, source_id = source_key(source)
    existing = GeneratedDocument.objects.filter(
        kind=kind, source_type=source_type, source_id=source_id, version=version
    ).first()
    if existing is not None:
        return existing
    if sealed is not None:
        pdf = sealed.pdf
    document = GeneratedDocument(
        kind=kind,
        district_id=district_id,
        source_type=source_type,
        source_id=source_id,
        version=version,
        requested_by=by,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        pages=pages,
        sealed_at=sealed.sealed_at if sealed else None,
        seal_subject=sealed.subject if sealed else "",
    )
    document.file.save("dokumen.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:  # a twin run stored it first
        document.file.delete(save=False)
        return GeneratedDocument.objects.get(
            kind=kind, source_type=source_type, source_id=source_id, version=version
        )
    return document


def generated_for(kind: str, source):
    """The stored versions of `source`, newest first."""
    source_type, source_id = source_key(source)
    return GeneratedDocument.objects.filter(
        kind=kind, source_type=source_type, source_id=source_id
    ).order_by("-version")


def seal_stored(document: GeneratedDocument, sealed: Sealed) -> GeneratedDocument:
    """Replace a stored PDF by its sealed copy, for a document sealed after it was rendered
    (the annual evaluation is sealed when the Sekda approves it): the sealed bytes (the
    rendered ones with the seal appended as an incremental update), their SHA-256 and size,
    who sealed them and when. Call it inside the transaction that decides the seal; the
    unsealed file is deleted once that commits (if it rolls back, the row keeps pointing at
    the unsealed file and the sealed copy is left unused under its random name)."""
    old, storage = document.file.name, document.file.storage
    document.file.save("dokumen.pdf", ContentFile(sealed.pdf), save=False)
    document.sha256 = hashlib.sha256(sealed.pdf).hexdigest()
    document.size = len(sealed.pdf)
    document.sealed_at = sealed.sealed_at
    document.seal_subject = sealed.subject
    document.save(update_fields=["file", "sha256", "size", "sealed_at", "seal_subject"])
    transaction.on_commit(lambda: storage.delete(old), robust=True)
    return document
