"""The start key's fast path. At a synchronized start every candidate of every hall asks for their
hall's paper key in the same second, so this one request is answered before Flask's dispatch: no
session, no login, no database (each process reads a hall's start and key at most once a second,
halls.start_key), one small JSON body. The Flask route exam.hall_key answers the same way through
`answer` wherever this middleware is not installed, and stands for the route in url_for and in the
role × route matrix (public)."""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from urllib.parse import parse_qs

from flask import Flask

from core import clock
from core.http import NO_STORE, SECURITY_HEADERS
from exam import seal

PREFIX, SUFFIX = "/exam/halls/", "/key"


def answer(hall_id: str, token: str, *, secret: str, now: datetime, lookup) -> tuple[int, dict]:
    """(status, body) for a request of `hall_id`'s key with `token`: 404 for a wrong token or an
    unknown hall or one with no synchronized start, 425 with the wait before the start, else the key.
    `lookup(hall_id)` gives (starts_at, key) or None."""
    if not hmac.compare_digest(seal.key_token(secret, hall_id), token):
        return 404, {"error": 404}
    found = lookup(hall_id)
    if found is None or found[0] is None:
        return 404, {"error": 404}
    starts_at, key = found
    if now < starts_at:
        return 425, {"error": 425, "starts_in_ms": int((starts_at - now).total_seconds() * 1000) + 1}
    return 200, {"key": key, "server_time": now.isoformat()}


HEADERS = [("Content-Type", "application/json"), ("Cache-Control", NO_STORE), *SECURITY_HEADERS]
REASONS = {200: "200 OK", 404: "404 NOT FOUND", 425: "425 TOO EARLY"}


class StartKeyMiddleware:
    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.next = app, wsgi_app

    def lookup(self, hall_id: str):
        from core.extensions import db
        from exam import halls

        with self.app.app_context():
            return halls.start_key(db.session, public_id=hall_id)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not (path.startswith(PREFIX) and path.endswith(SUFFIX)) or environ.get("REQUEST_METHOD") != "GET":
            return self.next(environ, start_response)
        hall_id = path[len(PREFIX):-len(SUFFIX)]
        if not hall_id or "/" in hall_id:
            return self.next(environ, start_response)
        token = (parse_qs(environ.get("QUERY_STRING", "")).get("t") or [""])[0]
        from exam import halls

        status, body = answer(hall_id, token, secret=self.app.config["SECRET_KEY"], now=clock.now(),
                              lookup=lambda h: halls.cached_start_key(h) or self.lookup(h))
        data = json.dumps(body, separators=(",", ":")).encode()
        start_response(REASONS[status], [*HEADERS, ("Content-Length", str(len(data)))])
        return [data]
