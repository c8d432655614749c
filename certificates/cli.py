"""`flask certificates verify-cert FILE`: check a signed certificate document offline;
`verify-pdf FILE`: check a certificate PDF's signature; `pdf-signing-cert`: print the certificate
that signs the PDFs; `sign-stored`: seal and sign the PDFs stored before they were signed;
`verify-badge FILE`: check an Open Badges 3.0 credential (JSON or baked PNG)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from cryptography import x509
from flask.cli import AppGroup
from sqlalchemy import select

from certificates import pades, services, signing
from certificates.models import Certificate
from certificates.openbadges import baking
from certificates.openbadges import services as badges
from core import uploads
from core.extensions import db

cli = AppGroup("certificates", help="Certificates.")


@cli.command("verify-cert")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A PEM public key (as published at /.well-known/iiom-certificate-key.json); "
                   "default: this installation's key.")
def verify_cert(path: Path, key_file: Path | None) -> None:
    """Check that FILE, a certificate's signed JSON document, is genuine and unchanged."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException("not a certificate document (JSON)") from exc
    public = signing.load_public(key_file.read_text()) if key_file else signing.private_key().public_key()
    if not signing.verify(document, public):
        raise click.ClickException("INVALID: the signature does not match the certificate's contents")
    facts = document["certificate"]
    click.echo(f"VALID: {facts['number']} · {facts['holder']} · {facts['title']} · issued {facts['issued']}")


@cli.command("verify-pdf")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust", "cert_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The signer's certificate (PEM) to trust; default: this installation's.")
def verify_pdf(path: Path, cert_file: Path | None) -> None:
    """Check that FILE, a certificate PDF, is signed by the issuer and unchanged since."""
    trusted = x509.load_pem_x509_certificate(cert_file.read_bytes()) if cert_file else pades.trusted_certificate()
    problem = pades.validate(path.read_bytes(), trusted=[trusted])
    if problem:
        raise click.ClickException(f"INVALID: {problem}")
    click.echo(f"VALID: signed by {trusted.subject.rfc4514_string()}, unchanged since")


@cli.command("pdf-signing-cert")
def pdf_signing_cert() -> None:
    """Print the certificate (PEM) that signs the certificate PDFs, for a verifier to trust."""
    click.echo(pades.certificate_pem(), nl=False)


@cli.command("sign-stored")
def sign_stored() -> None:
    """Render again, sealed and signed, every stored certificate PDF without a signature (those
    stored before issue 17); signed ones are left as they are."""
    folder, renewed = uploads.folder(services.PDF_FOLDER), 0
    for certificate in db.session.scalars(select(Certificate).where(Certificate.pdf.is_not(None))):
        path = folder / certificate.pdf
        if path.exists() and pades.is_signed(path.read_bytes()):
            continue
        certificate.pdf = None  # pdf_bytes renders it again, under the same name
        services.pdf_bytes(certificate)
        renewed += 1
    db.session.commit()
    click.echo(f"{renewed} certificate PDF(s) sealed and signed")


@cli.command("verify-badge")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_badge(path: Path) -> None:
    """Check that FILE, a certificate's Open Badges 3.0 credential (the JSON, or the badge PNG it
    is baked into), is signed with this installation's key, unchanged, and not revoked."""
    data = path.read_bytes()
    try:
        document = baking.unbake(data) if data.startswith(baking.SIGNATURE) else json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException("not an Open Badges credential (JSON or baked PNG)") from exc
    if not isinstance(document, dict):
        raise click.ClickException("not an Open Badges credential (JSON or baked PNG)")
    outcome = badges.check(db.session, document)
    if outcome == "invalid":
        raise click.ClickException("INVALID: the proof does not match the credential's contents or this issuer's key")
    subject = document["credentialSubject"]
    if outcome == "revoked":
        raise click.ClickException(f"REVOKED: {subject.get('licenseNumber')} is revoked in its status list")
    click.echo(f"VALID: {subject.get('licenseNumber')} · {document.get('name')} · from {document.get('validFrom')}")
