"""The hash chain of a document's signing events.

Each event's hash is SHA-256 over the previous hash and the event's own fields in a canonical
JSON form. `verify_chain` recomputes every link and compares the signature rows with the events
that recorded them, so a changed, deleted or inserted record is found. It is evidence of
tampering with our own database rows, not a substitute for a certified electronic signature.

Re-checking hundreds of links costs about 60 ms, on every view of the document page. On
PostgreSQL the verdict, with the content hash the page shows, is kept in the cache under a
fingerprint of the rows it read (`_fingerprint`): any change to any of those rows, by the
portal or directly in the database, gives another fingerprint, so the chain is checked afresh;
an unchanged document reuses its verdict for a day.
"""

import hashlib
import json
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from documents.models import GeneratedDocument
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
    """SHA-256 over where every row that `checked` reads stands: the id, the transaction that
    wrote it (xmin) and its place in the table (ctid) of each event, version, signatory,
    signature and final PDF record of the document, and the district's code. None on another
    database, where the chain is checked on every call.

    PostgreSQL never changes a row in place: an UPDATE, even a second one in the same
    transaction, writes a new row version at another ctid, an INSERT adds an id and a DELETE
    takes one away. So any change made through SQL, by the portal or by hand, moves the
    fingerprint and the chain is checked afresh. VACUUM FULL, CLUSTER or a restore move rows
    too; that costs one check, never a missed change. What it does not see is a data file
    edited under the database's feet, which a content hash of every row would (at four times
    the cost: 10 ms against 2.5 ms for 440 signatures)."""
    if connection.vendor != "postgresql":
        return None
    tables = {
        "event": SignatureEvent._meta.db_table,
        "version": DocumentVersion._meta.db_table,
        "signatory": Signatory._meta.db_table,
        "signature": Signature._meta.db_table,
        "generated": GeneratedDocument._meta.db_table,
        "district": District._meta.db_table,
    }
    where = "{alias}.id::text || ':' || {alias}.xmin::text || {alias}.ctid::text"
    sql = """
        SELECT encode(sha256(convert_to(concat_ws('|',
            (SELECT string_agg({e}, ',' ORDER BY e.id) FROM {event} e
              WHERE e.document_id = %(doc)s),
            (SELECT string_agg({v}, ',' ORDER BY v.id) FROM {version} v
              WHERE v.document_id = %(doc)s),
            (SELECT string_agg({s}, ',' ORDER BY s.id) FROM {signatory} s
              JOIN {version} v ON v.id = s.version_id WHERE v.document_id = %(doc)s),
            (SELECT string_agg({g}, ',' ORDER BY g.id) FROM {signature} g
              JOIN {signatory} s ON s.id = g.signatory_id
              JOIN {version} v ON v.id = s.version_id WHERE v.document_id = %(doc)s),
            (SELECT string_agg({f}, ',' ORDER BY f.id) FROM {generated} f
              JOIN {version} v ON v.final_id = f.id WHERE v.document_id = %(doc)s),
            (SELECT code FROM {district} WHERE id = %(district)s)
        ), 'UTF8')), 'hex')
    """.format(  # noqa: S608 (table names from the models, values as parameters)
        **{k: connection.ops.quote_name(v) for k, v in tables.items()},
        **{alias: where.format(alias=alias) for alias in ("e", "v", "s", "g", "f")},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"doc": document.pk, "district": document.district_id})
        return cursor.fetchone()[0]


def fingerprint(document: CommitmentDocument) -> str | None:
    """Where the document's signing records stand (see `_fingerprint`); None when the database
    cannot say, and nothing is kept. A page computes it once and passes it on."""
    return _fingerprint(document)


_UNKNOWN = object()


def kept(document: CommitmentDocument, fingerprint, name: str, build, *parts):
    """What `build()` returns, kept for a day under the document's `fingerprint`, `name` and
    `parts` (whatever else decides it): anything built only from the rows the fingerprint
    covers is read again as soon as one of them changes. Built on every call without one."""
    if fingerprint is None:
        return build()
    key = ":".join(("chain-kept", "2", name, str(document.pk), fingerprint, *map(str, parts)))
    found = cache.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = build()
        cache.set(key, found, VERDICT_SECONDS)
    return found


class Checked(NamedTuple):
    problems: list[str]  # what `_verify` found; empty when the chain is intact
    content_sha256: str  # of the current version: its wording and signatories
    n_events: int  # links in the chain


def checked(document: CommitmentDocument, fingerprint=_UNKNOWN) -> Checked:
    """The chain's verdict, with the current version's content hash and the chain's length,
    kept per fingerprint of the rows they are computed from: a changed row is always read
    afresh."""
    if fingerprint is _UNKNOWN:
        fingerprint = _fingerprint(document)

    def build():
        version = document.current_version
        return tuple(
            Checked(
                _verify(document),
                version.content_sha256() if version else "",
                SignatureEvent.objects.filter(document=document).count(),
            )
        )

    return Checked(*kept(document, fingerprint, "checked", build))


def verify_chain(document: CommitmentDocument) -> list[str]:
    """What is wrong with the document's records; an empty list when the chain is intact and
    every signature matches the event that recorded it."""
    return checked(document).problems


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
