"""`flask exam ...`: maintenance of exams from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.extensions import db
from exam import services

cli = AppGroup("exam", help="Theory exams.")


@cli.command("item-stats")
def item_stats() -> None:
    """Keep every released exam's item statistics in the question bank (again: they are replaced)."""
    done = services.backfill_item_stats(db.session)
    db.session.commit()
    for exam, versions in done:
        click.echo(f"{exam.title}: {versions} question versions")
    click.echo(f"{len(done)} released exam(s)")
