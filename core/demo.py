"""Demo data: each package contributes a loader `load(session) -> list[str]` (lines to print);
the factory passes them in order. Loaders are idempotent: a second run changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

DemoLoader = Callable[..., list[str]]


def init_app(app: Flask, loaders: list[DemoLoader]) -> None:
    app.extensions["demo_loaders"] = list(loaders)


def load_all(app: Flask, session) -> list[str]:
    lines: list[str] = []
    for loader in app.extensions["demo_loaders"]:
        lines.extend(loader(session))
    return lines
