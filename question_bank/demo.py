"""The shipped question bank, imported through the same code as any JSON file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from question_bank import services, transfer

BANK = Path(__file__).resolve().parent / "data" / "bank.json"


def load(session: Session) -> list[str]:
    parsed = transfer.read_json(BANK.read_bytes())
    plan = services.plan_import(session, parsed, user=None)
    if plan.has_errors:
        bad = [r for r in plan.rows if r.problems][:5]
        raise RuntimeError(f"the shipped bank has errors: {[(r.row.code, r.problems) for r in bad]}")
    todo = plan.count(services.RowAction.NEW) + plan.count(services.RowAction.UPDATE)
    if todo == 0 and plan.count(services.RowAction.DUPLICATE) == 0:
        return [f"question bank already loaded ({len(plan.rows)} questions)"]
    result = services.apply_import(session, plan, user=None, all_or_nothing=True,
                                   include_duplicates=False)
    return [f"question bank: {result.created} questions added, {result.revised} revised"]
