"""The certificate PDF's digital signature: PAdES (ETSI.CAdES.detached, baseline B-B) made with
pyHanko, a certification signature that allows no change, so that any PDF reader shows who signed
the document and that it is unchanged since.

The key and certificate come from a PKCS#12 file: CERTIFICATE_PKCS12 (with its password in
CERTIFICATE_PKCS12_PASSWORD), in production the issuer's signing certificate from a CA that the
readers trust. Outside production a missing file (default instance/cert-signing-pdf.p12) is made
once: a self-issued RSA certificate, which readers show as signed and unchanged but by an
unknown signer. Production never makes one: it refuses to sign without the configured file."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from core.files import write_once

FIELD = "IssuerSignature"
# Room for the CMS object in the file, in hex digits (two a byte): the self-issued certificate's
# needs about 3,700; a CA's chain of three or four certificates fits too. A fixed size spares
# pyHanko a trial signature per document; a CMS object that does not fit is measured instead.
RESERVED = 16384
SELF_ISSUED_NAME = "IIOM certificate signing (self-issued, not for production)"
SELF_ISSUED_YEARS = 30


def _path() -> Path:
    configured = current_app.config.get("CERTIFICATE_PKCS12")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "cert-signing-pdf.p12"


def _password() -> bytes | None:
    password = current_app.config.get("CERTIFICATE_PKCS12_PASSWORD") or ""
    return password.encode() if password else None


class _Signer(signers.SimpleSigner):
    """pyHanko's SimpleSigner decodes the private key again for every signature (about 0.2 s for
    RSA); this one keeps the decoded key."""

    def __init__(self, *, private_key, **kwargs) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            mechanism = ""
        algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), algorithm)
        if mechanism == "ecdsa" and isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(algorithm))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA...: pyHanko's own way


def load_pkcs12(data: bytes, password: bytes | None) -> _Signer:
    """A signer from PKCS#12 bytes; ValueError, saying why, when they hold no key and certificate."""
    try:
        key, certificate, _others = pkcs12.load_key_and_certificates(data, password)
    except Exception as error:  # wrong password or not PKCS#12: cryptography's own types vary
        raise ValueError(f"cannot open the PKCS#12 file (wrong password, or not PKCS#12): {error}") from error
    if key is None or certificate is None:
        raise ValueError("the PKCS#12 file holds no private key with its certificate")
    base = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password)
    return _Signer(private_key=key, signing_cert=base.signing_cert, signing_key=base.signing_key,
                   cert_registry=base.cert_registry)


@lru_cache(maxsize=4)
def _load(path: str, _mtime_ns: int, password: bytes | None) -> _Signer:
    try:
        return load_pkcs12(Path(path).read_bytes(), password)
    except ValueError as error:
        raise RuntimeError(f"the certificate signing file {path} (CERTIFICATE_PKCS12): {error}") from error


def signer() -> _Signer:
    """The issuer's signer, loaded once per process (again when the file changes)."""
    path = _path()
    if not path.exists():
        if not current_app.config.get("DEMO_DATA_ALLOWED"):
            raise RuntimeError(
                f"the certificate signing file {path} does not exist: set CERTIFICATE_PKCS12 to the issuer's "
                "PKCS#12 file (and CERTIFICATE_PKCS12_PASSWORD) to sign certificate PDFs in production")
        self_issue(path, password=_password())
    return _load(str(path), path.stat().st_mtime_ns, _password())


def self_issue(path: Path, *, password: bytes | None, now: dt.datetime | None = None) -> None:
    """Write a self-issued signing certificate and its key as PKCS#12 to `path` (mode 0600).
    Two processes starting at once agree: the file is linked into place, which only one can do."""
    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SELF_ISSUED_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "工业互联网系统运维技能提升项目中心")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * SELF_ISSUED_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256()))
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    data = pkcs12.serialize_key_and_certificates(b"iiom-certificates", key, certificate, None, encryption)
    write_once(path, data)


def certificate_pem() -> str:
    """The signing certificate (PEM): what a verifier adds to its trusted certificates."""
    return trusted_certificate().public_bytes(serialization.Encoding.PEM).decode()


def sign(pdf: bytes, *, name: str, reason: str, contact: str) -> bytes:
    """`pdf` with the issuer's signature appended as an incremental update: the rendered bytes stay
    the file's first revision, covered by the signature with everything after them."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES, name=name, reason=reason,
        contact_info=contact)
    pdf_signer = signers.PdfSigner(meta, signer())

    def run() -> bytes:
        try:
            out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), bytes_reserved=RESERVED)
        except SigningError:  # a long chain needs more room: let pyHanko measure it
            out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
        return out.getvalue()

    return outside_event_loop(run)


def outside_event_loop(work):
    """pyHanko's synchronous calls run asyncio.run(), which a thread already running an event loop
    (an async server's thread, a browser test's driver) refuses: there the work runs in a thread
    of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def is_signed(pdf: bytes) -> bool:
    """Whether `pdf` carries a signature at all (the PDFs stored before they were signed do not)."""
    try:
        return bool(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)
    except (PdfError, ValueError):
        return False


def validate(pdf: bytes, *, trusted: list[x509.Certificate]) -> str | None:
    """None when `pdf`'s signature is intact, valid, covers the whole file and chains to one of the
    `trusted` certificates; otherwise what is wrong."""
    try:
        found = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except (PdfError, ValueError) as error:
        return f"not a readable PDF ({error})"
    if not found:
        return "the PDF carries no signature"
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trusted]
    status = validate_pdf_signature(found[0], ValidationContext(trust_roots=roots))
    if not status.intact or not status.valid:
        return "the signature does not match the document: it was changed after signing"
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        return "the file has content after the signed part"
    if not status.trusted:
        return "the signer's certificate is not among the trusted ones"
    return None


def trusted_certificate() -> x509.Certificate:
    """This installation's signing certificate, as cryptography's type."""
    return x509.load_der_x509_certificate(signer().signing_cert.dump())
