"""Issue 15: no action code reaches a page. Every action the code writes to the audit log has a
name for people (core.audit.describe), found by reading every audit.record call in the packages;
an action built from a variable is expanded from the values that variable takes."""

from __future__ import annotations

import ast
from pathlib import Path

from flask_babel import refresh

from core import audit
from registration import rules as reg_rules

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "registration", "question_bank", "exam", "scoring", "certificates", "core")

# The values each built action takes, from the code that builds it.
EXPANSIONS = {
    "f'registration.{action}'": {f"registration.{t.action}" for t in reg_rules.TRANSITIONS},
    "f'question.{status.value}'": {"question.draft", "question.active", "question.retired"},
    "f'exam.challenge_{decision}'": {"exam.challenge_dismiss", "exam.challenge_rekey", "exam.challenge_void"},
    "f'flag.{decision}'": {"flag.confirm", "flag.remark"},
    "f'scoring.sign_{stage}'": {"scoring.sign_referee", "scoring.sign_chief", "scoring.sign_supervisor"},
    "action": {"user.update", "user.enable", "user.disable", "centre.create", "centre.update"},
}


def written_actions() -> set[str]:
    actions = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "audit" and len(node.args) >= 2):
                    continue
                arg = node.args[1]
                if isinstance(arg, ast.Constant):
                    actions.add(arg.value)
                elif isinstance(arg, ast.IfExp):
                    actions |= {arg.body.value, arg.orelse.value}
                else:
                    source = ast.unparse(arg)
                    assert source in EXPANSIONS, f"{path}: audit action built as {source}: list its values here"
                    actions |= EXPANSIONS[source]
    return actions


def test_every_action_written_to_the_audit_log_has_a_name(app):
    actions = written_actions()
    assert len(actions) > 60
    assert sorted(a for a in actions if not audit.described(a)) == []


def test_the_form_history_names_actions_in_the_readers_language(app):
    with app.test_request_context("/?lang=en"):
        assert audit.action_label("registration.centre_approve") == "Approved by the training centre"
        assert audit.action_label("no.such_action") == "Other change"
    with app.test_request_context("/"):
        refresh()  # the fixture's app context would keep the first request's locale
        assert audit.action_label("registration.centre_approve") == "培训单位审核通过"
