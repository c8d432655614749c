"""Pure rules of results and certificates: combining theory and practical, pass rules, ranking
with tie-breaks, awards by ratio without splitting ties, certificate numbers with a check character,
name masking. No Flask, no database."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from question_bank.standard import LEVEL_LETTER

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Results are rounded to two decimals, half up, here and nowhere else."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- combining ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str  # "certification" | "competition"
    theory_weight: Decimal = Decimal("0.3")
    practical_weight: Decimal = Decimal("0.7")
    theory_pass: Decimal = Decimal(60)
    practical_pass: Decimal = Decimal(60)


@dataclass(frozen=True)
class Combined:
    theory: Decimal | None
    practical: Decimal | None
    total: Decimal | None
    passed: bool


def combine(rule: Rule, *, theory: Decimal | None, practical: Decimal | None) -> Combined:
    """Both parts on a 100-point scale. Certification: both must reach their pass marks, and the
    total is their mean. Competition: the weighted total; "passed" means both parts were sat."""
    t = money(theory) if theory is not None else None
    p = money(practical) if practical is not None else None
    if t is None or p is None:
        return Combined(t, p, None, False)
    if rule.kind == "certification":
        return Combined(t, p, money((t + p) / 2), t >= rule.theory_pass and p >= rule.practical_pass)
    return Combined(t, p, money(t * rule.theory_weight + p * rule.practical_weight), True)


def scaled(score: Decimal, out_of: Decimal) -> Decimal:
    """A score out of `out_of` on the 100-point scale (rounded once, by `money`)."""
    return money(Decimal(score) * 100 / Decimal(out_of)) if out_of else money(0)


# --- ranking and awards ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    key: str  # the candidate number
    total: Decimal
    theory: Decimal
    practical: Decimal


TIE_BREAKS = {"practical", "theory", "number"}


def sort_key(entry: Entry, order: Sequence[str]):
    parts = [-entry.total]
    for name in order:
        if name == "practical":
            parts.append(-entry.practical)
        elif name == "theory":
            parts.append(-entry.theory)
    return tuple(parts)


def rank(entries: Iterable[Entry], order: Sequence[str] = ("practical", "theory", "number")) -> list[tuple[Entry, int]]:
    """Entries best first with their rank. The tie-breaks apply in order; entries equal on total
    and every score tie-break share a rank (the candidate number only orders the list)."""
    order = [o for o in order if o in TIE_BREAKS]
    listed = sorted(entries, key=lambda e: (*sort_key(e, order), e.key if "number" in order else ""))
    ranked = []
    for position, entry in enumerate(listed, start=1):
        if ranked and sort_key(ranked[-1][0], order) == sort_key(entry, order):
            ranked.append((entry, ranked[-1][1]))
        else:
            ranked.append((entry, position))
    return ranked


def awards(ranked: Sequence[tuple[Entry, int]], ratios: Sequence[Decimal] = (Decimal("0.1"), Decimal("0.2"),
                                                                          Decimal("0.3"))) -> dict[str, int]:
    """Prize (1 = first …) by ratio of the group, never splitting a tie across a boundary: a tie
    group that reaches into a prize's places receives that prize in full."""
    n = len(ranked)
    limits, cumulative = [], Decimal(0)
    for ratio in ratios:
        cumulative += ratio
        limits.append(math.floor(cumulative * n + Decimal("0.000001")))
    result: dict[str, int] = {}
    for entry, position in ranked:
        for prize, limit in enumerate(limits, start=1):
            if position <= limit:  # the tie group starts inside this prize's places
                result[entry.key] = prize
                break
    return result


# --- publicity ---------------------------------------------------------------------------------
# (its working days are China's official calendar: core/workdays.py)


def mask_name(name: str) -> str:
    """张三 → 张*; 张小明 → 张*明; 欧阳小明 → 欧**明."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- certificate numbers -----------------------------------------------------------------------

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CHECK = "0123456789ABCDEFGHJKLMNPQRSTUVW"  # 31 (a prime), no I or O: weighted sums catch one change or swap


def check_character(body: str) -> str:
    """The check character of a certificate number's body: the position-weighted sum of the
    characters modulo 31. One wrong character, or two neighbours swapped, changes it."""
    return CHECK[sum((i + 1) * ALPHABET.index(c) for i, c in enumerate(body)) % 31]


def certificate_number(*, event_code: str, issued: datetime, zone: tzinfo, level: str, serial: int) -> str:
    """<event code><year><level letter><serial, 5 digits><check character>. The year is the issue's
    year in the platform's time zone `zone` (2026-12-31 17:00 UTC is 2027 in Beijing); the level
    letter is the platform's one table (question_bank.standard). Numbers issued before that table
    carry "M" for intermediate: they keep verifying, since nothing reads the letter back."""
    letter = LEVEL_LETTER.get(level, "C")
    body = f"{event_code}{issued.astimezone(zone).year}{letter}{serial:05d}".upper()
    clean = "".join(c for c in body if c in ALPHABET)
    return clean + check_character(clean)


def number_ok(number: str) -> bool:
    number = (number or "").strip().upper()
    return len(number) > 2 and all(c in ALPHABET for c in number) and check_character(number[:-1]) == number[-1]
