"""The log of certificate verifications, written off the verify page's critical path.

A QR scan answers from what it reads; the row that records it (and the per-address bound on
those rows, services.log) is queued in the process and written by a background thread in one
transaction every VERIFY_LOG_FLUSH_SECONDS (1 s), so an employer's page costs no write. The log
is a record of use, not something a user was told was saved: a process killed with SIGKILL loses
at most the last interval's rows, and a clean stop writes them (atexit). With the interval 0 (the
tests' setting) each request writes its row itself, through the same function."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

log = logging.getLogger(__name__)
MAX_QUEUED = 10_000  # past this (the database away for long), the oldest entries are dropped


@dataclass(frozen=True)
class Entry:
    certificate_id: int | None
    method: str
    address: str
    at: datetime
    bounded: bool = True  # within the per-address bound (services.log); False: rate-limited by its key


_queue: deque[Entry] = deque(maxlen=MAX_QUEUED)
_lock = threading.Lock()
_thread: threading.Thread | None = None
_app: Flask | None = None


def record(session, *, certificate_id: int | None, method: str, address: str, now: datetime,
           bounded: bool = True) -> None:
    """Log one verification: queued for the writer, or written into `session` at once when the
    interval is 0 (the caller commits then). `bounded=False`: not counted against the per-address
    bound (an API request, limited by its key)."""
    entry = Entry(certificate_id, method, address, now, bounded)
    interval = current_app.config["VERIFY_LOG_FLUSH_SECONDS"]
    if not interval:
        write(session, [entry])
        return
    _queue.append(entry)
    _start(current_app._get_current_object(), interval)


def write(session, entries: list[Entry]) -> int:
    """Write entries as rows, each within the per-address bound (services.log); how many were."""
    from certificates import services

    return sum(services.log(session, certificate_id=e.certificate_id, method=e.method, address=e.address, now=e.at,
                            bounded=e.bounded)
               for e in entries)


def flush() -> int:
    """Write what is queued now, in one transaction; how many rows were written."""
    if _app is None or not _queue:
        return 0
    batch = []
    while _queue:
        batch.append(_queue.popleft())
    from core.extensions import db

    with _app.app_context():
        try:
            written = write(db.session, batch)
            db.session.commit()
            return written
        except Exception:  # the database is away: keep the entries for the next round
            db.session.rollback()
            _queue.extendleft(reversed(batch))
            log.warning("verification log: %d entries wait for the database", len(batch), exc_info=True)
            return 0


def _start(app: Flask, interval: float) -> None:
    global _thread, _app
    _app = app  # the app the queued entries belong to (one per process outside the tests)
    if _thread is not None and _thread.is_alive():
        return
    with _lock:
        if _thread is not None and _thread.is_alive():
            return

        def run():
            while True:
                time.sleep(interval)
                flush()

        _thread = threading.Thread(target=run, name="verify-log", daemon=True)
        _thread.start()


atexit.register(flush)
