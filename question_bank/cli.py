"""`flask question-bank ...`: import, export and check the bank from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.errors import DomainError
from core.extensions import db
from question_bank import rules, services, transfer
from question_bank.models import Question

cli = AppGroup("question-bank", help="The theory question bank.")

READERS = {".xlsx": transfer.read_xlsx, ".json": transfer.read_json}


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option("--all-or-nothing", is_flag=True, help="Import nothing if any row has an error.")
@click.option("--include-duplicates", is_flag=True, help="Also add rows flagged as near duplicates.")
def import_file(path: Path, dry_run: bool, all_or_nothing: bool, include_duplicates: bool) -> None:
    """Import an Excel (.xlsx) or JSON file of questions."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise click.BadParameter("use a .xlsx or .json file")
    plan = services.plan_import(db.session, reader(path.read_bytes()), user=None)
    for error in plan.file_errors:
        click.echo(f"file: {error}")
    for planned in plan.rows:
        if planned.problems:
            click.echo(f"row {planned.row.number}: {'; '.join(planned.problems)}")
        if planned.similar:
            click.echo(f"row {planned.row.number}: near duplicate of {planned.similar}")
    click.echo(", ".join(f"{a.value} {plan.count(a)}" for a in services.RowAction))
    if dry_run:
        return
    try:
        result = services.apply_import(db.session, plan, user=None, all_or_nothing=all_or_nothing,
                                       include_duplicates=include_duplicates)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"imported: {result.created} new, {result.revised} revised, {result.skipped} skipped")


@cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_file(path: Path) -> None:
    """Export the whole bank to PATH: .json (round trip), .xlsx (the template) or .xml (Moodle)."""
    writers = {".json": transfer.json_bytes, ".xlsx": transfer.template_bytes, ".xml": transfer.moodle_xml_bytes}
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise click.BadParameter("use .json, .xlsx or .xml")
    questions = db.session.scalars(services.question_query(services.Filters())).unique().all()
    path.write_bytes(writer(questions))
    click.echo(f"{len(questions)} questions written to {path}")


@cli.command("check")
def check() -> None:
    """Validate the current version of every question; exit 1 if any is malformed."""
    bad = 0
    for question in db.session.scalars(select(Question)):
        for problem in rules.validate(question.current_version.content()):
            bad += 1
            click.echo(f"{question.code}: {problem.field}: {problem.code} {problem.params or ''}")
    click.echo(f"{bad} problem(s)")
    raise SystemExit(1 if bad else 0)
