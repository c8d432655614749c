"""SQLite settings, and a queue for its one writer.

SQLite lets one connection write at a time. The others retry after growing sleeps (busy_timeout),
so under load threads doze while the lock is already free, and one process serves less than half
of what it could. Threads of one process therefore wait for the write lock on a lock of their own,
handed over as soon as the writer has committed; other processes still meet SQLite's own lock and its
busy_timeout.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
_HOLDS = "iiom_holds_writer"


SYNCHRONOUS = ("FULL", "EXTRA", "NORMAL")


def _pragmas(synchronous: str):
    def apply(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # ignored (stays "memory") for in-memory databases
        # FULL: every commit syncs the WAL, so an acknowledged save survives a power cut or an OS
        # crash, not only a killed process (NORMAL may roll the last commits back).
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    return apply


def configure(engine: Engine, *, synchronous: str = "FULL") -> None:
    synchronous = synchronous.upper()
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS)}, not {synchronous!r}")
    writer = threading.Lock()  # one per database

    def before_execute(conn, _cursor, statement, _params, _context, _executemany) -> None:
        if not conn.info.get(_HOLDS) and statement.lstrip()[:6].upper() in _WRITES:
            # Bounded like SQLite's own wait: past it, SQLite's lock decides (and reports "locked").
            conn.info[_HOLDS] = writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000)

    def release(_dbapi_connection, record, *_args) -> None:
        if record.info.pop(_HOLDS, False):
            writer.release()

    event.listen(engine, "connect", _pragmas(synchronous))
    event.listen(engine, "before_cursor_execute", before_execute)
    # Released when the connection goes back to the pool, which a session does right after its
    # commit or rollback (the engine's own commit event fires before SQLite's commit).
    event.listen(engine.pool, "checkin", release)
    event.listen(engine.pool, "invalidate", release)
