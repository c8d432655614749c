"""Error pages (HTML or JSON, in the user's language) and response headers: the security headers,
HSTS in production over HTTPS, and no caching of anything personal."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask, current_app, jsonify, make_response, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.errors import DomainError
from core.extensions import db

TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Not possible now"),
    413: _l("File too large"),
    423: _l("On hold"),
    425: _l("Not started yet"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Briefly unavailable"),
}
MESSAGES = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    403: _l("Your account does not have access to this page."),
    404: _l("The page you asked for does not exist or has been moved."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The upload is larger than the platform accepts."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. The error has been logged; please try again."),
    503: _l("The database is briefly unavailable, so nothing was saved by this request. Please try again in "
            "a moment."),
}
CSRF_MESSAGE = _l(
    "The form has expired or did not come from this site. Reload the page and submit it again; "
    "nothing was changed."
)


CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
NO_STORE = "private, no-store"
# On every response that does not set its own.
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "same-origin"), ("Content-Security-Policy", CSP))


MAX_JSON_DEPTH = 8


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _plain(value, depth: int = 0) -> bool:
    """Plain data: nested at most MAX_JSON_DEPTH, strings encodable as UTF-8 (no lone surrogates)
    and free of NUL (PostgreSQL stores no NUL in text)."""
    if depth > MAX_JSON_DEPTH:
        return False
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    return True


def json_object() -> dict | None:
    """The request's JSON body if it is an object of plain JSON, else None (the caller answers
    400). Refused: bodies that are not UTF-8 or not JSON, NaN and Infinity, nesting deeper than
    MAX_JSON_DEPTH (the decoder recurses), lone surrogates and NUL (no database stores them)."""
    raw = request.get_data(cache=True)
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) and _plain(value) else None


def personal(view: Callable) -> Callable:
    """Mark a view whose every response holds personal data, even for anonymous visitors (the
    public verify page shows the holder's name and photo): it is never stored by any cache.
    Responses to signed-in users are never stored anyway."""
    view.personal_data = True
    return view


def _no_store(app: Flask) -> bool:
    """Whether the current response must not be stored: it goes to a signed-in user (the session
    says so, without asking the database, which may be what failed) or comes from a `personal`
    view. Static assets keep their caching."""
    if request.endpoint == "static":
        return False
    view = app.view_functions.get(request.endpoint or "")
    return getattr(view, "personal_data", False) or "_user_id" in session


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def error_response(code: int, message=None):
    message = str(message or MESSAGES.get(code, MESSAGES[500]))
    if wants_json():
        return jsonify({"error": code, "message": message}), code
    title = TITLES.get(code, TITLES[400 if code < 500 else 500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status_code, exc.message)

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError):
        # The database is down, restarting or (SQLite) busy: the request changed nothing, and the
        # client is told to try again (the exam page keeps the answer and re-sends it).
        current_app.logger.warning("database unavailable: %s", exc.orig)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
            db.session.close()
        try:
            response = make_response(error_response(503))
        except Exception:  # noqa: BLE001 - the page itself needed the database
            response = make_response((str(MESSAGES[503]), 503, {"Content-Type": "text/plain; charset=utf-8"}))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Unhandled exceptions arrive here as InternalServerError (unless PROPAGATE_EXCEPTIONS,
        # as in tests, lets them through); the page never shows their details.
        if isinstance(exc, InternalServerError):
            db.session.rollback()
        return error_response(exc.code or 500)

    @app.after_request
    def security_headers(response):
        # One pass over the response's headers (four setdefault calls scanned them four times).
        present = {key.lower() for key, _value in response.headers.items()}
        for key, value in SECURITY_HEADERS:
            if key.lower() not in present:
                response.headers.add(key, value)
        if _no_store(app):
            # Replaces what send_from_directory set for its max_age (public, an hour or a week).
            response.headers["Cache-Control"] = NO_STORE
            response.headers.pop("Expires", None)
        max_age = app.config.get("HSTS_MAX_AGE", 0)
        if max_age and request.is_secure:  # behind a proxy: X-Forwarded-Proto, through TRUSTED_PROXIES
            response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}; includeSubDomains")
        return response
