"""The main navigation. Packages add their entries; a user sees an entry only when the view's
access policy admits their role, so the menu can never offer a page that answers 403."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.access import can_view


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    order: int
    group: str | None = None


_items: dict[str, NavItem] = {}
# Menus that gather entries, so that the navigation fits one line at 1280 px in both languages. A
# group a user sees one entry of shows that entry alone.
GROUPS = {
    "events": _l("Events & sign-up"),
    "exams": _l("Theory tests"),
    "practical": _l("Practical tasks"),
    "system": _l("Admin"),
}


def add(endpoint: str, label, *, order: int = 50, group: str | None = None) -> None:
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown navigation group {group!r}")
    _items[endpoint] = NavItem(endpoint, label, order, group)


def items_for_current_user() -> list[dict]:
    """The entries the user may open, in order: a link {"endpoint", "label", "url"}, or a menu
    {"label", "children": [links], "endpoints"} where a group holds two or more of them."""
    visible = [item for item in sorted(_items.values(), key=lambda i: i.order) if can_view(item.endpoint)]
    counts = Counter(item.group for item in visible)
    entries: list[dict] = []
    menus: dict[str, dict] = {}
    for item in visible:
        link = {"endpoint": item.endpoint, "label": str(item.label), "url": url_for(item.endpoint)}
        if not item.group or counts[item.group] < 2:
            entries.append(link)
        elif item.group in menus:
            menus[item.group]["children"].append(link)
            menus[item.group]["endpoints"].add(item.endpoint)
        else:
            menus[item.group] = {"label": str(GROUPS[item.group]), "children": [link], "endpoints": {item.endpoint}}
            entries.append(menus[item.group])
    return entries
