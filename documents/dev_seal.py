"""Development seal certificates: a development CA and one certificate per district, written as
`<slug>.p12` (+ `<slug>.pass`) into SEAL_DIR, where documents/seal.py finds them. Used by
`manage.py make_dev_seal` and by the demo (seed_demo gives each demo district one before it
renders their documents).

These certificates prove nothing outside this installation: their CA (`dev-ca.pem` in SEAL_DIR,
to trust it in a validator) is made here. Never use them in production; install the district's
real certificate instead (README, "Segel elektronik (PAdES)").
"""

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings

from .seal import certificate_path

ORGANISATION = "Konvergensi (pengembangan)"
CA_NAME = "dev-ca"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


# valid from before the demo's replayed history (lib/clock.py: it starts early last year), whose
# documents are sealed at the moments they were rendered
BACKDATED = timedelta(days=800)


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def _dev_ca(folder: Path):
    """The development CA of this SEAL_DIR: read, or made once."""
    key_path, cert_path = folder / f"{CA_NAME}.key.pem", folder / f"{CA_NAME}.pem"
    if key_path.is_file() and cert_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = _key()
    now = datetime.now(tz=UTC)
    name = _name("CA pengembangan Konvergensi")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATED)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _make(folder: Path, district, ca_key, ca_cert) -> Path:
    """A two-year seal certificate for `district`, issued by the development CA, as
    `<slug>.p12` with a random passphrase in `<slug>.pass`."""
    key = _key()
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Segel pengembangan — {district.name}"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATED)
        .not_valid_after(now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
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
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(18).encode()
    p12 = pkcs12.serialize_key_and_certificates(
        name=district.slug.encode(),
        key=key,
        cert=cert,
        cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    path = folder / f"{district.slug}.p12"
    _write(path.with_suffix(".pass"), passphrase + b"\n")
    _write(path, p12)
    return path


def ensure_dev_seals(districts, *, force: bool = False) -> list[Path]:
    """A development certificate for each of `districts` that has none (every one with
    `force`); the files made."""
    folder = Path(settings.SEAL_DIR)
    made = []
    ca = None
    for district in districts:
        if certificate_path(district) is not None and not force:
            continue
        if ca is None:
            folder.mkdir(parents=True, exist_ok=True)
            ca = _dev_ca(folder)
        made.append(_make(folder, district, *ca))
    return made
