"""The main navigation. Packages add their entries; a user sees an entry only when the view's
access policy admits their role, so the menu can never offer a page that answers 403."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from core.access import can_view


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    order: int


_items: dict[str, NavItem] = {}


def add(endpoint: str, label, *, order: int = 50) -> None:
    _items[endpoint] = NavItem(endpoint, label, order)


def items_for_current_user() -> list[dict]:
    return [
        {"endpoint": item.endpoint, "label": str(item.label), "url": url_for(item.endpoint)}
        for item in sorted(_items.values(), key=lambda i: i.order)
        if can_view(item.endpoint)
    ]
