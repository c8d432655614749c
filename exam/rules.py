"""Pure rules of the theory exam: drawing a paper from a blueprint, the deadline, grading, and the
hash chain of answer events. No Flask, no database: plain data in, frozen dataclasses out."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from core import addresses
from question_bank import qtypes


@dataclass(frozen=True)
class PoolItem:
    """An active question's current version, as the draw sees it."""

    version_id: int
    type: str
    module: int
    level: str
    difficulty: int
    option_keys: tuple[str, ...] = ()
    english: bool = True  # has English text (an English or bilingual exam draws only these)


@dataclass(frozen=True)
class Quota:
    """`count` questions matching module/level/difficulty (None matches anything)."""

    count: int
    module: int | None = None
    level: str | None = None
    difficulty: int | None = None

    def matches(self, item: PoolItem) -> bool:
        return ((self.module is None or item.module == self.module)
                and (self.level is None or item.level == self.level)
                and (self.difficulty is None or item.difficulty == self.difficulty))


@dataclass(frozen=True)
class Section:
    key: int  # the section's id or position
    type: str
    points: Decimal
    quotas: tuple[Quota, ...]

    @property
    def count(self) -> int:
        return sum(q.count for q in self.quotas)


@dataclass(frozen=True)
class Shortfall:
    section: int
    quota: int  # index of the quota in its section
    needed: int
    available: int
    chinese_only: int = 0  # items that would fill it but have no English text (English exams)


@dataclass(frozen=True)
class DrawnItem:
    position: int
    section: int
    version_id: int
    option_order: tuple[str, ...]
    points: Decimal


def _candidates(pool: Sequence[PoolItem], section: Section, quota: Quota, used: set[int]) -> list[PoolItem]:
    return [p for p in pool if p.type == section.type and quota.matches(p) and p.version_id not in used]


def shortfalls(sections: Sequence[Section], pool: Sequence[PoolItem], *,
               english_only: bool = False) -> list[Shortfall]:
    """Quotas the pool cannot fill, taking quotas in order without reusing a question (the same
    order the draw uses, so a blueprint that passes here can always be drawn). With
    `english_only` (an English or bilingual exam) only items with English count, and each
    shortfall says how many items without English would have matched."""
    eligible = [p for p in pool if p.english] if english_only else list(pool)
    chinese = [p for p in pool if not p.english] if english_only else []
    used: set[int] = set()
    short = []
    for section in sections:
        for i, quota in enumerate(section.quotas):
            available = sorted(_candidates(eligible, section, quota, used), key=lambda p: p.version_id)
            if len(available) < quota.count:
                short.append(Shortfall(section.key, i, quota.count, len(available),
                                       len(_candidates(chinese, section, quota, used))))
            used.update(p.version_id for p in available[:quota.count])
    return short


def draw(sections: Sequence[Section], pool: Sequence[PoolItem], *, seed: str, shuffle_questions: bool,
         shuffle_options: bool) -> list[DrawnItem]:
    """One candidate's paper. The same sections, pool and seed always give the same paper, so any
    paper can be regenerated for an audit. Raises ValueError when a quota cannot be filled."""
    rng = random.Random(seed)
    used: set[int] = set()
    items: list[DrawnItem] = []
    position = 0
    for section in sections:
        chosen: list[PoolItem] = []
        for quota in section.quotas:
            available = sorted(_candidates(pool, section, quota, used), key=lambda p: p.version_id)
            if len(available) < quota.count:
                raise ValueError(f"section {section.key}: quota needs {quota.count}, pool has {len(available)}")
            picked = rng.sample(available, quota.count)
            used.update(p.version_id for p in picked)
            chosen.extend(picked)
        if shuffle_questions:
            rng.shuffle(chosen)
        for item in chosen:
            order = list(item.option_keys)
            if shuffle_options and qtypes.get(item.type).shuffles_options:
                rng.shuffle(order)
            position += 1
            items.append(DrawnItem(position, section.key, item.version_id, tuple(order), section.points))
    return items


def deadline(*, started_at: datetime, duration_minutes: int, extra_minutes: int, closes_at: datetime | None,
             allow_overrun: bool) -> datetime:
    """Start + duration + the candidate's extra time, never past the window's close unless allowed."""
    end = started_at + timedelta(minutes=duration_minutes + extra_minutes)
    if closes_at is not None and not allow_overrun and end > closes_at:
        return closes_at
    return end


class AttemptState(StrEnum):
    """Where an attempt stands for the request in hand (exam/gate.py decides what each allows)."""

    OPEN = "open"  # answering
    GRACE = "grace"  # past the deadline, within the grace for the last saves in flight
    PAUSED = "paused"  # the hall's clock is stopped by its invigilator: nothing is taken, nothing runs out
    OVERDUE = "overdue"  # past deadline + grace but not closed yet: the gate closes it
    CLOSED = "closed"  # submitted, by the candidate, the timer or a proctor
    TAKEN_OVER = "taken_over"  # open, but held by another device
    WAITING = "waiting"  # this device asked to take the attempt over and waits for the invigilator
    READY = "ready"  # in the waiting room: the hall's synchronized start has not come yet


def waiting_room(*, starts_at: datetime, now: datetime, opens_minutes: int) -> str:
    """Where a candidate stands before a hall's synchronized start: "early" (the waiting room is not
    open yet), "ready" (open: the attempt is made, the paper sealed) or "started"."""
    if now >= starts_at:
        return "started"
    return "ready" if now >= starts_at - timedelta(minutes=opens_minutes) else "early"


def attempt_state(*, in_progress: bool, deadline: datetime, grace_seconds: int, now: datetime,
                  same_device: bool = True, paused_at: datetime | None = None,
                  waiting: bool = False, starts_at: datetime | None = None) -> AttemptState:
    """The attempt's state now. The one place where "deadline + grace" is worked out. While its hall
    is paused the attempt's clock stands at the moment of the pause (the deadline moves by the
    paused span on resume). Before `starts_at` (a hall's synchronized start) it waits, ready."""
    if not in_progress:
        return AttemptState.CLOSED
    moment = paused_at or now
    if moment > deadline + timedelta(seconds=grace_seconds):
        return AttemptState.OVERDUE
    if not same_device:
        return AttemptState.WAITING if waiting else AttemptState.TAKEN_OVER
    if starts_at is not None and now < starts_at:
        return AttemptState.READY
    if paused_at is not None:
        return AttemptState.PAUSED
    if moment > deadline:
        return AttemptState.GRACE
    return AttemptState.OPEN


def remaining_seconds(*, deadline: datetime, now: datetime, paused_at: datetime | None = None,
                      starts_at: datetime | None = None) -> int:
    """What the candidate's clock shows: it stands still while the hall is paused, and before a
    synchronized start it shows the whole time."""
    moment = paused_at or now
    if starts_at is not None and moment < starts_at:
        moment = starts_at
    return max(0, int((deadline - moment).total_seconds()))


def focus_response(losses: int, *, warn_at: int, alert_at: int, submit_at: int) -> str:
    """What a focus loss count calls for under the exam's policy (0 turns a step off): "submit"
    (only when the exam says so), "alert" (the invigilator is told; the candidate warned),
    "warn" (the candidate is warned) or "" (recorded only)."""
    if submit_at and losses >= submit_at:
        return "submit"
    if alert_at and losses >= alert_at:
        return "alert"
    if warn_at and losses >= warn_at:
        return "warn"
    return ""


def lines(text: str) -> list[str]:
    """The non-empty lines of a setting kept one entry a line (networks, keys)."""
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


SEB_KEY_LENGTH = 64  # a Config Key is a SHA-256, in Base16


def bad_networks(text: str) -> list[str]:
    """The entries of an allowed-networks setting that are not networks (CIDR) or addresses."""
    return [line for line in lines(text) if not addresses.valid_network(line)]


def bad_config_keys(text: str) -> list[str]:
    """The entries of a Config Keys setting that are not 64 hexadecimal digits."""
    return [line for line in lines(text)
            if len(line) != SEB_KEY_LENGTH or any(c not in "0123456789abcdefABCDEF" for c in line)]


def seb_request_ok(*, url: str, header: str | None, config_keys: Sequence[str]) -> bool:
    """Whether a request comes from Safe Exam Browser with one of the exam's Config Keys. SEB sends
    X-SafeExamBrowser-ConfigKeyHash = SHA-256 (Base16) of the absolute request URL without its
    fragment, followed by the Config Key (safeexambrowser.org/developer/seb-config-key.html)."""
    if not header:
        return False
    url = url.split("#", 1)[0]
    header = header.strip().lower()
    return any(hmac.compare_digest(hashlib.sha256((url + key.lower()).encode()).hexdigest(), header)
               for key in config_keys)


# --- grading -----------------------------------------------------------------------------------

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Scores are kept to two decimals, rounded half up: done here and nowhere else."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Grade:
    score: Decimal
    correct: bool
    partial: bool = False


def grade(qtype: str, response, key, *, points: Decimal, multiple_rule: str, partial_fraction: Decimal) -> Grade:
    """The score of one response. `multiple_rule` is "all_or_nothing" or "partial": a correct
    subset with no wrong option then earns `partial_fraction` of the points."""
    if response is None or response == [] or response == "":
        return Grade(money(0), False)
    outcome = qtypes.get(qtype).check(response, key)
    if outcome.correct:
        return Grade(money(points), True)
    if outcome.partial and multiple_rule == "partial":
        return Grade(money(Decimal(points) * Decimal(partial_fraction)), False, partial=True)
    return Grade(money(0), False)


def response_problem(qtype: str, response, option_keys: Sequence[str], key) -> str | None:
    """Why a response has the wrong shape for its question (None when it is fine). An empty
    response (None) clears the answer."""
    try:
        kind = qtypes.get(qtype)
    except qtypes.UnknownType:
        return "unknown_type"
    return kind.response_problem(response, option_keys=option_keys, key=key)


# --- the answer record -------------------------------------------------------------------------

GENESIS = "0" * 64
# Sequence numbers and item ids fit a 32-bit column on every database; larger ones are refused.
MAX_SEQ = 2**31 - 1


def chain_hash(previous: str, *, attempt: str, item: int, seq: int, response, flagged: bool, at: datetime) -> str:
    """Each saved answer event hashes the one before it: altering or removing any event breaks
    every hash after it, so the record can settle a dispute."""
    body = json.dumps({"prev": previous, "attempt": attempt, "item": item, "seq": seq, "response": response,
                       "flagged": flagged, "at": at.isoformat()}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def answers_digest(answers: dict[int, object]) -> str:
    """Digest of the final answers (position → response) printed on the receipt."""
    body = json.dumps({str(k): v for k, v in sorted(answers.items())}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()
