"""Packages import only the layers below them, at the top of a module or inside a function: no
import cycle, no hidden reach into a higher package (CONVENTIONS, Boundaries)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lower first. Packages on one layer do not import each other.
LAYERS = [("core",), ("accounts",), ("question_bank",), ("registration",), ("exam", "scoring"), ("certificates",),
          ("cockpit",)]
RANK = {package: i for i, layer in enumerate(LAYERS) for package in layer}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]


def test_no_package_imports_a_layer_above_or_beside_it():
    wrong = []
    for package, rank in RANK.items():
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            for line, imported in _imports(path):
                if imported in RANK and imported != package and RANK[imported] >= rank:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert wrong == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from exam import admin\n", encoding="utf-8")
    assert list(_imports(module)) == [(2, "exam")]
