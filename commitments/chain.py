"""The hash chain of a document's signing events.

Each event's hash is SHA-256 over the previous hash and the event's own fields in a canonical
JSON form. `verify_chain` recomputes every link and compares the signature rows with the events
that recorded them, so a changed, deleted or inserted record is found. It is evidence of
tampering with our own database rows, not a substitute for a certified electronic signature.

Re-checking hundreds of links costs about 60 ms, on every view of the document page. On
PostgreSQL the verdict is kept in the cache under a fingerprint of the rows it read: SHA-256,
computed by the database, over the full text of every event, version, signatory and signature
row of the document and the district's code. Any change to any of those rows, by the portal or
directly in the database, gives another fingerprint, so the chain is checked afresh; an
unchanged document reuses its verdict for a day.
"""

import hashlib
import json

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from villages.models import District

from .models import CommitmentDocument, DocumentVersion, Signatory, Signature, SignatureEvent

GENESIS = "0" * 64


def _digest(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _fields(event: SignatureEvent) -> dict:
    return {
        "document": str(event.document_id),
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at.astimezone(timezone.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "payload": event.payload,
    }


def append_events(document: CommitmentDocument, *, kind: str, actor, items: list[tuple]):
    """Add several links at once, `items` being (payload, at) pairs, in one INSERT: a batch of
    hundreds of paper signatures. The caller holds the document row locked."""
    last = SignatureEvent.objects.filter(document=document).order_by("-seq").first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    events = []
    for payload, at in items:
        seq += 1
        event = SignatureEvent(
            document=document,
            district_id=document.district_id,
            seq=seq,
            kind=kind,
            at=at,
            actor=actor,
            payload=payload,
            prev_hash=prev,
        )
        event.hash = prev = _digest(event.prev_hash, _fields(event))
        events.append(event)
    return SignatureEvent.objects.bulk_create(events)


def append_event(document: CommitmentDocument, *, kind: str, actor, payload: dict, at=None):
    """Add the next link. The caller holds the document row locked (select_for_update), so two
    events can never take the same place in the chain."""
    last = SignatureEvent.objects.filter(document=document).order_by("-seq").first()
    event = SignatureEvent(
        document=document,
        district_id=document.district_id,
        seq=(last.seq + 1) if last else 1,
        kind=kind,
        at=at or timezone.now(),
        actor=actor,
        payload=payload,
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _digest(event.prev_hash, _fields(event))
    event.save()
    return event


def signature_payload(signature: Signature) -> dict:
    signatory = signature.signatory
    payload = {
        "version": signatory.version.number,
        "signatory": str(signatory.id),
        "order": signatory.order,
        "name": signatory.name,
        "method": signature.method,
        "signed_at": signature.signed_at.astimezone(timezone.UTC).isoformat(
            timespec="microseconds"
        ),
        "by": signature.by_id,
        "content_sha256": signature.content_sha256,
        "paper_sha256": signature.paper_sha256,
    }
    # the day signed on paper, apart from `signed_at` (when the scan was recorded); absent
    # from the links of signatures recorded before it was asked, which stay as they were
    if signature.paper_signed_on is not None:
        payload["paper_signed_on"] = signature.paper_signed_on.isoformat()
    return payload


VERDICT_SECONDS = 24 * 3600


def _fingerprint(document: CommitmentDocument) -> str | None:
    """SHA-256 over the text of every row `_verify` reads (PostgreSQL's whole-row text: each
    column); None on another database, where the chain is checked on every call."""
    if connection.vendor != "postgresql":
        return None
    tables = {
        "event": SignatureEvent._meta.db_table,
        "version": DocumentVersion._meta.db_table,
        "signatory": Signatory._meta.db_table,
        "signature": Signature._meta.db_table,
        "district": District._meta.db_table,
    }
    sql = """
        SELECT encode(sha256(convert_to(concat_ws('|',
            (SELECT string_agg(e::text, ',' ORDER BY e.id) FROM {event} e
              WHERE e.document_id = %(doc)s),
            (SELECT string_agg(v::text, ',' ORDER BY v.id) FROM {version} v
              WHERE v.document_id = %(doc)s),
            (SELECT string_agg(s::text, ',' ORDER BY s.id) FROM {signatory} s
              JOIN {version} v ON v.id = s.version_id WHERE v.document_id = %(doc)s),
            (SELECT string_agg(g::text, ',' ORDER BY g.id) FROM {signature} g
              JOIN {signatory} s ON s.id = g.signatory_id
              JOIN {version} v ON v.id = s.version_id WHERE v.document_id = %(doc)s),
            (SELECT code FROM {district} WHERE id = %(district)s)
        ), 'UTF8')), 'hex')
    """.format(**{k: connection.ops.quote_name(v) for k, v in tables.items()})  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {"doc": document.pk, "district": document.district_id})
        return cursor.fetchone()[0]


def verify_chain(document: CommitmentDocument) -> list[str]:
    """What is wrong with the document's records; an empty list when the chain is intact and
    every signature matches the event that recorded it. The verdict is kept per fingerprint of
    the rows it covers (see the module's text): a changed row is always checked afresh."""
    fingerprint = _fingerprint(document)
    key = f"chain-verdict:1:{document.pk}:{fingerprint}"
    if fingerprint is not None:
        kept = cache.get(key)
        if kept is not None:
            return kept
    problems = _verify(document)
    if fingerprint is not None:
        cache.set(key, problems, VERDICT_SECONDS)
    return problems


def _verify(document: CommitmentDocument) -> list[str]:
    problems = []
    prev = GENESIS
    expected_seq = 1
    signed_events = {}
    finalised = {}
    for event in SignatureEvent.objects.filter(document=document).order_by("seq"):
        if event.seq != expected_seq:
            problems.append(f"urutan {expected_seq} hilang (ditemukan {event.seq})")
            expected_seq = event.seq
        if event.prev_hash != prev:
            problems.append(f"peristiwa {event.seq}: tidak bersambung dengan peristiwa sebelumnya")
        if _digest(event.prev_hash, _fields(event)) != event.hash:
            problems.append(f"peristiwa {event.seq}: isinya telah diubah")
        if event.kind == SignatureEvent.Kind.SIGNED:
            signed_events[event.payload.get("signatory")] = event
        elif event.kind == SignatureEvent.Kind.FINALISED:
            finalised[event.payload.get("version")] = event
        prev = event.hash
        expected_seq += 1
    signatures = Signature.objects.filter(signatory__version__document=document).select_related(
        "signatory__version"
    )
    seen = set()
    for signature in signatures:
        key = str(signature.signatory_id)
        seen.add(key)
        event = signed_events.get(key)
        if event is None:
            problems.append(f"tanda tangan {signature.signatory.name}: tidak tercatat dalam rantai")
        elif event.payload != signature_payload(signature):
            problems.append(f"tanda tangan {signature.signatory.name}: berbeda dari catatan rantai")
    for key, event in signed_events.items():
        if key not in seen:
            problems.append(f"peristiwa {event.seq}: tanda tangannya telah dihapus")
    # the signed wording and the stored PDF themselves: a signed version is never rewritten
    # (a change makes the next version), so its content must still hash to what was signed
    versions = {s.signatory.version_id: s.signatory.version for s in signatures}
    for version in sorted(versions.values(), key=lambda v: v.number):
        content = version.content_sha256()
        if any(
            s.content_sha256 != content for s in signatures if s.signatory.version_id == version.pk
        ):
            problems.append(f"versi {version.number}: isinya telah diubah setelah ditandatangani")
    for version in document.versions.filter(final__isnull=False).select_related("final"):
        event = finalised.get(version.number)
        if event is None or event.payload.get("pdf_sha256") != version.pdf_sha256:
            problems.append(f"versi {version.number}: PDF final berbeda dari catatan rantai")
    return problems
