"""The home page's panels. Each package registers what its users should see first when they sign
in (the administrator's events, a centre's candidates), so the home page, low in the layers,
never imports the packages above it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template: str
    roles: frozenset[str]
    order: int
    context: Callable  # (user) -> dict for the template, or None to show nothing


_panels: list[Panel] = []


def panel(template: str, *, roles, order: int = 50):
    """Register `context(user)` as a home panel rendered with `template` for these roles."""

    def register(context: Callable) -> Callable:
        _panels.append(Panel(template, frozenset(str(r) for r in roles), order, context))
        _panels.sort(key=lambda p: p.order)
        return context

    return register


def panels_for(user) -> list[tuple[str, dict]]:
    """(template, context) of every panel for the user's role that has something to show."""
    out = []
    for p in _panels:
        if str(user.role) in p.roles:
            context = p.context(user)
            if context is not None:
                out.append((p.template, context))
    return out
