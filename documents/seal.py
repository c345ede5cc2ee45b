"""The electronic seal of final PDFs: a PAdES signature (pyHanko) with the district's certificate.

    sealed = seal_pdf(pdf, district=district, reason="Dokumen komitmen final")
    store_generated(..., pdf=sealed.pdf if sealed else pdf, sealed=sealed)

What it is: proof that the file was produced by this portal's installation for that district
and has not been changed since (an invisible signature over the whole file, added as one
incremental update). What it is not: a BSrE certificate or a qualified electronic signature
(PP 71/2019), nor anybody's personal signature; see the README, "Segel elektronik (PAdES)".

The operator configures a certificate per district on disk, in `SEAL_DIR` (env, default
`var/seal/`): `<slug>.p12` or `<code>.p12` (PKCS#12: the key, its certificate and the chain).
Its passphrase is the file `<same name>.pass` next to it (read as is, one trailing newline
dropped), else the `SEAL_PASSPHRASE` setting (env), else none. A district without a file is
not sealed: `seal_pdf` returns None and the document is stored unsealed (the pages say so);
the render never fails for want of a certificate. A file that is there but cannot be used
(wrong passphrase, broken file, expired or not yet valid certificate) is an operator's error
that must not be papered over by an unsealed document: it is logged loudly and `SealUnusable`
is raised, a `jobs.Refused`, so the job fails with its message and can be retried once the
operator has fixed the file.

No time-stamp server (the portal may run without internet access): the signature is PAdES
B-B, its signing time the portal's clock. A district's BSrE certificate plugs in here: as a
PKCS#12 dropped into SEAL_DIR, or as a pyHanko `Signer` subclass (PKCS#11 token, BSrE's remote
signing API) returned by `_signer_for`.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import x509
from django.conf import settings
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from .jobs import Refused

logger = logging.getLogger(__name__)

FIELD_NAME = "SegelElektronik"


@dataclass(frozen=True)
class Sealed:
    """A sealed PDF: its bytes, who sealed it (the certificate's common name) and when."""

    pdf: bytes
    subject: str
    sealed_at: datetime


class SealUnusable(Refused):
    """The district's certificate is there but cannot be used; the message is for the page."""


def certificate_path(district) -> Path | None:
    """The district's PKCS#12 file in SEAL_DIR (`<slug>.p12`, else `<code>.p12`), or None."""
    folder = Path(settings.SEAL_DIR)
    for name in (district.slug, district.code):
        path = folder / f"{name}.p12"
        if path.is_file():
            return path
    return None


def _passphrase(path: Path) -> bytes | None:
    beside = path.with_suffix(".pass")
    if beside.is_file():
        text = beside.read_bytes()
        return text[:-1] if text.endswith(b"\n") else text
    return settings.SEAL_PASSPHRASE.encode() or None


# path -> (the file's mtime and size, its signer): loaded once per process, again when replaced
_signers: dict[Path, tuple[tuple[int, int], signers.SimpleSigner]] = {}


def _refuse(district, path: Path, problem: str) -> SealUnusable:
    logger.error("seal of %s (%s) unusable: %s", district.slug, path, problem)
    return SealUnusable(
        f"sertifikat segel elektronik {district.name} tidak dapat dipakai ({problem}); "
        "hubungi admin portal"
    )


def _signer_for(district) -> signers.Signer | None:
    path = certificate_path(district)
    if path is None:
        return None
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _signers.get(path)
    if cached is not None and cached[0] == key:
        signer = cached[1]
    else:
        try:
            signer = signers.SimpleSigner.load_pkcs12(path, passphrase=_passphrase(path))
        except Exception as exc:  # pyHanko logs the cause and returns None, or raises
            logger.error("reading %s: %s", path, exc)
            signer = None
        if signer is None:
            raise _refuse(district, path, "berkas rusak atau kata sandi salah")
        _signers[path] = (key, signer)
    _check_validity(district, path, signer.signing_cert)
    return signer


def _check_validity(district, path: Path, cert: x509.Certificate) -> None:
    now = timezone.now()
    validity = cert["tbs_certificate"]["validity"]
    if now < validity["not_before"].native:
        raise _refuse(district, path, "sertifikat belum berlaku")
    if now > validity["not_after"].native:
        raise _refuse(district, path, "sertifikat sudah kedaluwarsa")


def _common_name(cert: x509.Certificate) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)[:300]


class _PortalClockSigner(signers.PdfSigner):
    """pyHanko's PDF signer, its signing time the portal's clock (`timezone.now()`, which the
    demo replays into the past) rather than the system's, so that the seal and the stored
    document agree on when it happened."""

    def __init__(self, *args, signing_time: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.signing_time
        return session


def _in_own_loop(call, *args):
    """`call(*args)` where pyHanko may start its own asyncio loop (asyncio.run): in a thread of
    its own when this thread already runs a loop (an ASGI server, or a browser test's driver
    left running in the test process), here otherwise."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call, *args).result()


def seal_pdf(pdf: bytes, *, district, reason: str, location: str = "") -> Sealed | None:
    """Seal `pdf` with `district`'s certificate: a PAdES B-B signature in an invisible field,
    added as one incremental update (the original bytes stay as they are, in front). None when
    the operator configured no certificate for the district; SealUnusable when the one
    configured cannot be used."""
    signer = _signer_for(district)
    if signer is None:
        return None
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location or district.name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    now = timezone.now()
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    out = _in_own_loop(_PortalClockSigner(meta, signer, signing_time=now).sign_pdf, writer)
    out = out.getvalue()
    return Sealed(pdf=out, subject=_common_name(signer.signing_cert), sealed_at=now)
