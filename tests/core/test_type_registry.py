"""Everything that depends on a question's type is asked of its kind (question_bank/qtypes/, one
module per type, and templates/question_types/, one partial per type): no type switch is left in
the rest of the code, the templates or the scripts."""

import ast
import re
from pathlib import Path

from jinja2 import nodes

from question_bank import qtypes

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "accounts", "question_bank", "registration", "exam", "scoring", "certificates", "cockpit")
CODES = set(qtypes.codes())
# The stored codes and the Chinese names of the types; ASCII aliases such as "fill" are too common.
WORDS = CODES | {k.label_zh for k in qtypes.kinds()} | {w for k in qtypes.kinds() for w in k.words if not w.isascii()}
LETTERS = re.compile(r"A?B?C?D?E?F?G?H?")
# Demo data (*/demo*.py) names types as data, not as a branch.
DEMO = re.compile(r"[a-z_]+/demo[a-z_]*\.py")


def _outside(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return not rel.startswith(("question_bank/qtypes/", "templates/question_types/"))


def python_switches(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in WORDS:
                yield node.lineno, repr(node.value)
            elif len(node.value) >= 4 and LETTERS.fullmatch(node.value):
                yield node.lineno, repr(node.value)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "QuestionType" and node.attr.isupper()):
            yield node.lineno, f"QuestionType.{node.attr}"


def _is_answer(node) -> bool:
    return isinstance(node, nodes.Getattr) and node.attr == "answer" and not (
        isinstance(node.node, nodes.Name) and node.node.name == "ui")


def template_switches(env, source: str):
    """Type codes and option-letter lists as constants, a key's shape looked at (v.answer in a
    test, filter, comparison, subscript or loop: passing it to its kind is fine), and literal
    data-show-for groups."""
    tree = env.parse(source)
    for node in tree.find_all((nodes.Const, nodes.TemplateData, nodes.Filter, nodes.Test, nodes.Compare,
                               nodes.Getitem, nodes.For, nodes.Getattr)):
        if isinstance(node, nodes.Const) and isinstance(node.value, str) and (
                node.value in CODES or (len(node.value) >= 4 and LETTERS.fullmatch(node.value))):
            yield node.lineno, repr(node.value)
        elif isinstance(node, (nodes.Filter, nodes.Test, nodes.Compare, nodes.Getitem, nodes.For, nodes.Getattr)):
            children = [node.node] if isinstance(node, (nodes.Filter, nodes.Test, nodes.Getitem, nodes.Getattr)) else (
                [node.expr, *[o.expr for o in node.ops]] if isinstance(node, nodes.Compare) else [node.iter])
            if any(_is_answer(child) for child in children):
                yield node.lineno, ".answer"
        elif isinstance(node, nodes.TemplateData):
            for match in re.finditer(r'data-show-for="([^"]*)"', node.data):
                if set(match.group(1).split()) & CODES:
                    yield node.lineno, match.group(0)


def js_switches(source: str):
    for number, line in enumerate(source.splitlines(), 1):
        for match in re.finditer(r"""(["'])([a-z_]+)\1""", line):
            if match.group(2) in CODES:
                yield number, match.group(0)
        if "dataset.type" in line or "data-type" in line:
            yield number, "data-type"


def found(app) -> set[tuple[str, str]]:
    hits = set()
    paths = [ROOT / "app.py", ROOT / "config.py"] + [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    for path in filter(_outside, paths):
        for line, what in python_switches(path.read_text(encoding="utf-8")):
            hits.add((path.relative_to(ROOT).as_posix(), what, line))
    for path in filter(_outside, sorted((ROOT / "templates").rglob("*.html"))):
        for line, what in template_switches(app.jinja_env, path.read_text(encoding="utf-8")):
            hits.add((path.relative_to(ROOT).as_posix(), what, line))
    for path in filter(_outside, sorted((ROOT / "static" / "js").glob("*.js"))):
        for line, what in js_switches(path.read_text(encoding="utf-8")):
            hits.add((path.relative_to(ROOT).as_posix(), what, line))
    return hits


def test_no_type_switch_outside_the_registry(app):
    wrong = sorted(f"{path}:{line} {what}" for path, what, line in found(app)
                   if not (DEMO.fullmatch(path) and what.startswith("QuestionType.")))
    assert wrong == []


def test_the_scan_sees_switches(app):
    assert [w for _, w in python_switches('if v.type == "single":\n    pass\n')] == ["'single'"]
    assert [w for _, w in python_switches('OPTIONS = "ABCDEFGH"\n')] == ["'ABCDEFGH'"]
    assert [w for _, w in python_switches('kind = QuestionType.NUMERIC\n')] == ["QuestionType.NUMERIC"]
    assert list(python_switches('same = kind.code == q["type"]\n')) == []
    assert [w for _, w in template_switches(app.jinja_env, '{% if v.type == "true_false" %}x{% endif %}')] == \
        ["'true_false'"]
    assert [w for _, w in template_switches(app.jinja_env, "{{ v.answer|length }}")] == [".answer"]
    assert [w for _, w in template_switches(app.jinja_env, "{{ 'x' if o.key in v.answer }}")] == [".answer"]
    assert list(template_switches(app.jinja_env, "{{ ui.answer(v) }}{{ v.kind.choice_is_key(k, v.answer) }}")) == []
    assert list(template_switches(app.jinja_env, '<input inputmode="numeric">')) == []
    assert [w for _, w in js_switches('if (type === "multiple") {}')] == ['"multiple"']


def test_every_kind_has_a_partial_with_its_three_macros(app):
    for kind in qtypes.kinds():
        module = app.jinja_env.get_template(kind.template).module
        assert all(callable(getattr(module, name, None)) for name in ("answer", "review", "editor")), kind.code
