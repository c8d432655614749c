"""Rate limits shared by every worker and host: one row per key in `throttle_buckets`.

A bucket counts hits (failed sign-ins, guesses of an access code, certificate lookups). Its row is
changed only by a compare-and-set on its version, so requests arriving together take turns: of 30
concurrent guesses with 3 left, 3 are let through, whatever the database (issue 12 M6, L9).

Two shapes of limit (`Policy`):
- back-off (`backoff` > 0): `free` hits, then each further hit waits twice as long as the one
  before (backoff, 2×, 4× … up to `backoff_max`); `window` seconds without a hit start afresh.
  Nobody is ever locked out for long, and a typo does not cost a hall its morning.
- fixed window (`backoff` = 0): `free` hits per `window` seconds from the first one.

The policy arithmetic (`wait_for`, `after_hit`) is pure; the rest reads and writes the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.extensions import db, scheduler


@dataclass(frozen=True)
class Policy:
    free: int  # hits allowed before any wait
    window: int  # seconds: of quiet (back-off) or from the first hit (fixed window)
    backoff: int = 0  # first wait once `free` is used up; 0 = a fixed window
    backoff_max: int = 15 * 60


@dataclass(frozen=True)
class State:
    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None


def _expired(state: State, policy: Policy, now: datetime) -> bool:
    if state.last_at is None:
        return True
    since = state.last_at if policy.backoff else state.first_at
    return now - since >= timedelta(seconds=policy.window)


def wait_for(state: State, policy: Policy, now: datetime, cost: int = 1) -> int:
    """Seconds until the next hit (of `cost` units: rows of a sheet) is allowed (0: now)."""
    if _expired(state, policy, now) or state.count + cost <= policy.free:
        return 0
    if policy.backoff:
        extra = state.count - policy.free  # waits already served
        delay = min(policy.backoff * 2 ** min(extra, 30), policy.backoff_max)
        until = state.last_at + timedelta(seconds=delay)
    else:
        until = state.first_at + timedelta(seconds=policy.window)
    return max(0, int((until - now).total_seconds() + 0.999))


def after_hit(state: State, policy: Policy, now: datetime, cost: int = 1) -> State:
    if _expired(state, policy, now):
        return State(cost, now, now)
    return State(state.count + cost, state.first_at, now)


class ThrottleBucket(db.Model):
    __tablename__ = "throttle_buckets"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    count: Mapped[int] = mapped_column(nullable=False)
    first_at: Mapped[datetime] = mapped_column(nullable=False)
    last_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    version: Mapped[int] = mapped_column(nullable=False)


_COLUMNS = (ThrottleBucket.count, ThrottleBucket.first_at, ThrottleBucket.last_at, ThrottleBucket.version)


def _read(session: Session, key: str) -> tuple[State, int | None]:
    row = session.execute(select(*_COLUMNS).where(ThrottleBucket.key == key)).first()
    if row is None:
        return State(), None
    return State(row.count, row.first_at, row.last_at), row.version


def check(session: Session, key: str, policy: Policy, *, now: datetime) -> int:
    """Seconds until `key` may be hit again (0: now). Reads only."""
    state, _version = _read(session, key)
    return wait_for(state, policy, now)


def _insert(session: Session, key: str, state: State) -> bool:
    """Create the bucket unless another request just did; True if this one did."""
    values = {"key": key[:160], "count": state.count, "first_at": state.first_at, "last_at": state.last_at,
              "version": 1}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ThrottleBucket).values(**values).on_conflict_do_nothing()
    return session.execute(statement.returning(ThrottleBucket.key)).first() is not None


def hit(session: Session, key: str, policy: Policy, *, now: datetime, cost: int = 1) -> int:
    """Record a hit on `key` if the policy allows one now and return 0; otherwise record nothing
    and return the seconds to wait. Atomic against concurrent hits on the same key (a
    compare-and-set on the row's version, retried when another request got there first). A hit
    may count `cost` units at once (the rows of an employer's sheet against a daily allowance):
    it is allowed while the units fit in the window's `free`, a fresh window always admits it."""
    key = key[:160]
    for _attempt in range(50):
        state, version = _read(session, key)
        wait = wait_for(state, policy, now, cost)
        if wait:
            return wait
        new = after_hit(state, policy, now, cost)
        if version is None:
            if _insert(session, key, new):
                return 0
            continue
        result = session.execute(
            update(ThrottleBucket)
            .where(ThrottleBucket.key == key, ThrottleBucket.version == version)
            .values(count=new.count, first_at=new.first_at, last_at=new.last_at, version=version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            return 0
    raise RuntimeError(f"throttle bucket {key!r} kept changing under 50 attempts")


def clear(session: Session, *keys: str, prefix: str | None = None) -> int:
    """Forget buckets (a successful sign-in, an unlock by staff). Returns how many went."""
    removed = 0
    if keys:
        removed += session.execute(
            delete(ThrottleBucket).where(ThrottleBucket.key.in_([k[:160] for k in keys]))
            .execution_options(synchronize_session=False)
        ).rowcount
    if prefix:
        removed += session.execute(
            delete(ThrottleBucket).where(_like(prefix)).execution_options(synchronize_session=False)
        ).rowcount
    return removed


def _like(prefix: str):
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ThrottleBucket.key.like(escaped + "%", escape="\\")


def held(session: Session, *, prefixes, now: datetime, older_than: timedelta = timedelta(days=1)) -> list[str]:
    """The keys of buckets under any of `prefixes` touched within `older_than` (for staff pages):
    one query however many prefixes."""
    prefixes = list(prefixes)
    if not prefixes:
        return []
    return list(session.scalars(
        select(ThrottleBucket.key).where(or_(*(_like(p) for p in prefixes)),
                                         ThrottleBucket.last_at > now - older_than)))


@scheduler.job("core.purge_throttle_buckets", trigger="interval", hours=1)
def purge_throttle_buckets(session: Session, *, now: datetime) -> int:
    """Delete buckets untouched for a day (no limit looks back that far)."""
    return session.execute(delete(ThrottleBucket).where(ThrottleBucket.last_at < now - timedelta(days=1))).rowcount
