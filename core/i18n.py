"""Locale and timezone: Simplified Chinese by default, English on request, remembered in a cookie
and, for signed-in users, on their account. Times are stored in UTC and shown in TIMEZONE."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from flask_babel import format_datetime, get_locale
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

LOCALE_COOKIE = "lang"
LOCALE_NAMES = {"zh_Hans_CN": "简体中文", "en": "English"}


def select_locale() -> str:
    if not has_request_context():  # CLI commands and scheduled jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    candidates = [request.args.get("lang"), _account_locale(), request.cookies.get(LOCALE_COOKIE)]
    for candidate in candidates:
        if candidate in supported:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _account_locale() -> str | None:
    try:
        return getattr(current_user, "locale", None) if current_user.is_authenticated else None
    except SQLAlchemyError:  # the database is down: the error page still speaks the cookie's language
        return None


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_to_utc(value: datetime) -> datetime:
    """A naive date-time as typed by a user (the platform's time zone) → aware UTC."""
    return value.replace(tzinfo=zone()).astimezone(UTC)


def utc_to_local(value: datetime) -> datetime:
    """A stored (UTC) date-time → naive local time, for form fields."""
    return value.astimezone(zone()).replace(tzinfo=None)


def html_lang() -> str:
    locale = str(get_locale())
    return "zh-Hans" if locale.startswith("zh") else locale.replace("_", "-")


def format_dt(value, format: str = "medium") -> str:
    """A stored (UTC) datetime shown in the configured timezone and the user's language."""
    if value is None:
        return ""
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss" if format == "full" else "yyyy-MM-dd HH:mm")
