"""The electronic seal of final PDFs (documents/seal.py): a PAdES signature with the district's
certificate from SEAL_DIR. Each test makes its own CA and district certificate with
`cryptography` (nothing from the code under test), and the seal is judged by two validators
that are not ours: poppler's `pdfsig` and pyHanko's validator trusting the test CA."""

import hashlib
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from commitments import services
from documents.models import Job
from documents.seal import SealUnusable, seal_pdf
from lib.pdf import render_pdf
from tests.commitments.factories import add_people, make_document
from tests.commitments.test_pdf import sign_everyone
from tests.conftest import need, need_poppler

pytestmark = pytest.mark.django_db

COMMON_NAME = "Segel uji — Kabupaten Sumedang"
HTML = (
    "<html><head><title>Komitmen uji</title></head>"
    "<body><h1>Komitmen Bersama</h1><p>Isi dokumen yang disegel.</p></body></html>"
)


@pytest.fixture(autouse=True)
def _tools():
    need_poppler()
    need(shutil.which("pdfsig") is not None, "needs pdfsig (apt-get install poppler-utils)")


def _name(common_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Uji Konvergensi"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class SealCA:
    """A CA of the test's own and the certificates it issues (EC P-256: quick to make)."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(tz=UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("CA uji"))
            .issuer_name(_name("CA uji"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def install(self, folder, name, *, passphrase=b"rahasia uji", valid_days=(-1, 30), cn=None):
        """`<name>.p12` (key, certificate, this CA) and `<name>.pass` in `folder`."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(tz=UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn or COMMON_NAME))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=valid_days[0]))
            .not_valid_after(now + timedelta(days=valid_days[1]))
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.p12").write_bytes(
            pkcs12.serialize_key_and_certificates(
                name=name.encode(),
                key=key,
                cert=cert,
                cas=[self.cert],
                encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
            )
        )
        (folder / f"{name}.pass").write_bytes(passphrase + b"\n")

    def validation_context(self):
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])


@pytest.fixture
def ca(settings, world):
    """A test CA with a certificate for district A (by slug) in SEAL_DIR; B has none."""
    authority = SealCA()
    authority.install(settings.SEAL_DIR, world.a.district.slug)
    return authority


def pdfsig(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(pdf)
    # pdfsig prints the signing time in the process's zone: UTC
    out = subprocess.run(
        ["pdfsig", str(path)], capture_output=True, text=True, env={"TZ": "UTC"}, check=False
    )
    return out.stdout + out.stderr


def validated(signature, context):
    """pyHanko's validator (it calls asyncio.run) in a thread of its own: a test earlier in a
    full run may leave an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, signature, context).result()


def pyhanko_status(pdf: bytes, authority: SealCA):
    (signature,) = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    return validated(signature, authority.validation_context())


def test_a_sealed_pdf_validates_with_pdfsig_and_pyhanko(world, ca, tmp_path):
    original = render_pdf(HTML)

    sealed = seal_pdf(original, district=world.a.district, reason="Uji segel")

    assert sealed.subject == COMMON_NAME
    report = pdfsig(sealed.pdf, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert f"Signer Certificate Common Name: {COMMON_NAME}" in report
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "Total document signed" in report
    # the test CA is nobody's trust anchor but ours
    assert "Certificate Validation: Certificate issuer isn't Trusted." in report
    assert report.count("Signature #") == 1

    status = pyhanko_status(sealed.pdf, ca)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line

    # one incremental update: the rendered bytes untouched in front, one more %%EOF
    assert sealed.pdf.startswith(original)
    assert sealed.pdf.count(b"%%EOF") == original.count(b"%%EOF") + 1

    # the signing time pdfsig reads is the one returned (to the second)
    when = re.search(r"Signing Time: (.+)", report).group(1).strip()
    read = datetime.strptime(when, "%b %d %Y %H:%M:%S").replace(tzinfo=UTC)
    assert sealed.sealed_at.replace(microsecond=0) == read


def test_a_changed_byte_in_the_signed_range_breaks_the_seal(world, ca, tmp_path):
    original = render_pdf(HTML)
    sealed = seal_pdf(original, district=world.a.district, reason="Uji segel").pdf
    # one byte in the middle of the first (compressed) stream of the rendered part, the first
    # signed range, far from the signature's /Contents
    start = sealed.index(b"stream\n") + len(b"stream\n")
    at = (start + sealed.index(b"endstream", start)) // 2
    assert at < len(original)
    tampered = sealed[:at] + bytes([sealed[at] ^ 0x01]) + sealed[at + 1 :]
    assert len(tampered) == len(sealed) and tampered != sealed

    report = pdfsig(tampered, tmp_path)
    assert "Signature Validation: Digest Mismatch." in report
    assert "Signature is Valid." not in report

    status = pyhanko_status(tampered, ca)
    assert not status.intact and not status.bottom_line


def test_a_certificate_named_by_code_and_the_passphrase_from_the_environment(
    world, settings, tmp_path
):
    authority = SealCA()
    authority.install(settings.SEAL_DIR, world.a.district.code, passphrase=b"dari env")
    (settings.SEAL_DIR / f"{world.a.district.code}.pass").unlink()
    settings.SEAL_PASSPHRASE = "dari env"

    sealed = seal_pdf(render_pdf(HTML), district=world.a.district, reason="Uji")

    assert "Signature Validation: Signature is Valid." in pdfsig(sealed.pdf, tmp_path)
    assert seal_pdf(b"%PDF-", district=world.b.district, reason="Uji") is None


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("passphrase", "berkas rusak atau kata sandi salah"),
        ("broken", "berkas rusak atau kata sandi salah"),
        ("expired", "sertifikat sudah kedaluwarsa"),
        ("not yet", "sertifikat belum berlaku"),
    ],
)
def test_an_unusable_certificate_is_refused_with_a_reason(world, settings, problem, message):
    authority = SealCA()
    slug = world.a.district.slug
    days = {"expired": (-30, -1), "not yet": (1, 30)}.get(problem, (-1, 30))
    authority.install(settings.SEAL_DIR, slug, valid_days=days)
    if problem == "passphrase":
        (settings.SEAL_DIR / f"{slug}.pass").write_text("salah\n")
    if problem == "broken":
        (settings.SEAL_DIR / f"{slug}.p12").write_bytes(b"bukan pkcs12")

    with pytest.raises(SealUnusable, match=message):
        seal_pdf(render_pdf(HTML), district=world.a.district, reason="Uji")


def _render_final(side, capture):
    """A district document with two portal signatures and one paper one, its final PDF
    rendered by the job (in the request's commit, as for small documents)."""
    with scopes_disabled():
        document = make_document(side)
        add_people(document, side, users=("opd_staff", "executive"), paper=1)
        services.open_signing(document, by=side.users["district_admin"])
    with capture(execute=True):
        sign_everyone(side, document)
    with scopes_disabled():
        document.refresh_from_db()
        return document, document.versions.get()


def _pages(side, document, version):
    client = Client()
    client.force_login(side.users["executive"])
    detail = client.get(
        reverse(
            "commitment_detail",
            kwargs={"district_slug": side.district.slug, "document_id": document.pk},
        )
    ).content.decode()
    public = Client(REMOTE_ADDR="10.9.8.7")
    page = reverse("document_verify", kwargs={"token": version.verify_token})
    return client, public, page, detail, public.get(page).content.decode()


def test_the_final_commitment_pdf_is_sealed_by_its_job(
    world, ca, tmp_path, django_capture_on_commit_callbacks
):
    side = world.a
    document, version = _render_final(side, django_capture_on_commit_callbacks)
    with scopes_disabled():
        final = version.final
        stored = final.file.read()
    assert document.status == "signed"

    report = pdfsig(stored, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert f"Signer Certificate Common Name: {COMMON_NAME}" in report
    assert pyhanko_status(stored, ca).bottom_line
    assert final.seal_subject == COMMON_NAME and final.sealed_at is not None
    # what is stored, downloaded and fingerprinted are the sealed bytes
    assert final.sha256 == hashlib.sha256(stored).hexdigest() and final.size == len(stored)

    client, public, page, detail, verify = _pages(side, document, version)
    response = client.get(
        reverse(
            "commitment_pdf",
            kwargs={"district_slug": side.district.slug, "document_id": document.pk},
        )
    )
    assert b"".join(response.streaming_content) == stored
    # the signing time pdfsig reads, in Sumedang's WIB (UTC+7), on both pages
    when = re.search(r"Signing Time: (.+)", report).group(1).strip()
    local = (
        datetime.strptime(when, "%b %d %Y %H:%M:%S")
        .replace(tzinfo=UTC)
        .astimezone(ZoneInfo("Asia/Jakarta"))
    )
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli"]
    months += ["Agustus", "September", "Oktober", "November", "Desember"]
    at = f"{local.day} {months[local.month - 1]} {local.year} {local:%H:%M} WIB"
    line = f"Disegel secara elektronik oleh {COMMON_NAME} pada {at}."
    assert line in detail
    assert line in verify
    assert "tanpa segel elektronik" not in detail + verify

    # the verification page still recognises the downloaded (sealed) file byte for byte
    checked = public.post(page, {"pdf": SimpleUploadedFile("komitmen.pdf", stored)})
    assert "Asli." in checked.content.decode()


def test_a_district_without_a_certificate_stores_its_pdf_unsealed(
    world, ca, tmp_path, django_capture_on_commit_callbacks
):
    side = world.b  # the CA installed a certificate for district A only
    document, version = _render_final(side, django_capture_on_commit_callbacks)
    with scopes_disabled():
        final = version.final
        stored = final.file.read()

    assert document.status == "signed"
    assert (final.sealed_at, final.seal_subject) == (None, "")
    assert "does not contain any signatures" in pdfsig(stored, tmp_path)
    _client, _public, _page, detail, verify = _pages(side, document, version)
    assert "PDF ini tanpa segel elektronik." in detail
    assert "PDF ini tanpa segel elektronik." in verify
    assert "Disegel secara elektronik" not in detail + verify


def test_a_wrong_passphrase_fails_the_job_until_the_operator_fixes_it(
    world, ca, settings, tmp_path, django_capture_on_commit_callbacks
):
    side = world.a
    pass_file = settings.SEAL_DIR / f"{side.district.slug}.pass"
    right = pass_file.read_bytes()
    pass_file.write_text("salah\n")

    document, version = _render_final(side, django_capture_on_commit_callbacks)
    with scopes_disabled():
        job = Job.objects.filter(kind=services.RENDER_JOB).get()
        assert (document.status, version.final_id) == ("rendering", None)
        assert job.status == "failed"
        assert "kata sandi salah" in job.message and "hubungi admin portal" in job.message

    pass_file.write_bytes(right)
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        services.retry_render(document, by=side.users["district_admin"])
    with scopes_disabled():
        version.refresh_from_db()
        stored = version.final.file.read()
    assert "Signature Validation: Signature is Valid." in pdfsig(stored, tmp_path)


def test_make_dev_seal_gives_each_staffed_district_a_certificate_once(world, settings, tmp_path):
    call_command("make_dev_seal", "--staffed", stdout=(out := _Out()))
    folder = settings.SEAL_DIR
    made = sorted(p.name for p in folder.glob("*.p12"))
    assert made == sorted(f"{s.district.slug}.p12" for s in (world.a, world.b))
    assert "2 development seal certificate(s)" in out.text
    before = (folder / made[0]).read_bytes()

    call_command("make_dev_seal", "--staffed", stdout=(out := _Out()))
    assert "0 development seal certificate(s)" in out.text
    assert (folder / made[0]).read_bytes() == before
    call_command("make_dev_seal", "--district", "32.11", "--force", stdout=_Out())
    assert (folder / f"{world.a.district.slug}.p12").read_bytes() != before

    sealed = seal_pdf(render_pdf(HTML), district=world.a.district, reason="Uji")
    report = pdfsig(sealed.pdf, tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Signer Certificate Common Name: Segel pengembangan — Kabupaten Sumedang" in report
    # the development CA written next to the certificates validates it for pyHanko
    (ca_pem,) = [pem.unarmor((folder / "dev-ca.pem").read_bytes())[2]]
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(ca_pem)])
    (signature,) = PdfFileReader(BytesIO(sealed.pdf), strict=False).embedded_signatures
    assert validated(signature, context).bottom_line


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass
