"""The question types: one module each in this package, defining KIND (a base.Kind), and one
template partial each in templates/question_types/. Everything that depends on a question's type
is asked of its kind; adding a type is adding a module and a partial (tests/core/test_type_registry.py
checks that no type switch is left outside)."""

from __future__ import annotations

import importlib
import pkgutil

from question_bank.qtypes.base import OPTION_KEYS, Kind

__all__ = ["OPTION_KEYS", "Kind", "UnknownType", "codes", "get", "kinds"]


class UnknownType(LookupError):
    pass


def _discover() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        kind = importlib.import_module(f"{__name__}.{info.name}").KIND
        if kind.code in found:
            raise RuntimeError(f"two question types use the code {kind.code!r}")
        found[kind.code] = kind
    return dict(sorted(found.items(), key=lambda item: item[1].order))


_KINDS = _discover()


def get(code) -> Kind:
    """The kind of a type code (a str or a str enum member)."""
    try:
        return _KINDS[str(code.value if hasattr(code, "value") else code)]
    except (KeyError, TypeError):
        raise UnknownType(code) from None


def kinds() -> list[Kind]:
    return list(_KINDS.values())


def codes() -> list[str]:
    return list(_KINDS)
