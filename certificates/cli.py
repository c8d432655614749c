"""`flask certificates verify-cert FILE`: check a signed certificate document offline."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from certificates import signing

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
