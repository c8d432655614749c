"""Rendered pages kept in the process for anonymous visitors (the certificate verify page).

A page is cached under the caller's key (which must change whenever what the page shows changes:
the verify page's key holds the certificate's status and revocation time, so a revocation is a
new key on every worker at once) plus the language and the app's version. What differs per
visitor in an anonymous page is the CSRF token of the language switch: it is cut out of the cached
text and each answer gets the visitor's own. A request that may be signed in (the navigation shows
the user) or carries flashed messages renders afresh."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from core.access import signed_in_maybe

_MARK = "\x00csrf-token\x00"


class PageCache:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, key: Hashable, render: Callable[[], str]) -> str:
        if signed_in_maybe() or "_flashes" in session:
            return render()
        token = generate_csrf()
        full_key = (key, str(get_locale()), current_app.config.get("VERSION"))
        with self._lock:
            cached = self._pages.get(full_key)
            if cached is not None:
                self._pages.move_to_end(full_key)
        if cached is not None:
            return cached.replace(_MARK, token)
        html = render()
        with self._lock:
            self._pages[full_key] = html.replace(token, _MARK)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return html
