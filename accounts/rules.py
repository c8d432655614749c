"""Pure rules for accounts: the login throttle and the password policy. No Flask, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ThrottleScope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_after: int = 0  # seconds
    scope: ThrottleScope | None = None


def _blocked_for(failures: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> int:
    recent = sorted((f for f in failures if now - f < window), reverse=True)
    if len(recent) < limit:
        return 0
    # Once the limit-th most recent failure leaves the window, fewer than `limit` remain.
    return max(1, int((recent[limit - 1] + window - now).total_seconds() + 0.999))


def login_throttle(
    *,
    account_failures: Sequence[datetime],
    address_failures: Sequence[datetime],
    now: datetime,
    window_seconds: int,
    per_account: int,
    per_address: int,
) -> ThrottleDecision:
    """Refuse a sign-in when an account or an address has failed too often within the window.

    `account_failures` are the account's failures since its last successful sign-in."""
    window = timedelta(seconds=window_seconds)
    wait = _blocked_for(account_failures, per_account, window, now)
    if wait:
        return ThrottleDecision(False, wait, ThrottleScope.ACCOUNT)
    wait = _blocked_for(address_failures, per_address, window, now)
    if wait:
        return ThrottleDecision(False, wait, ThrottleScope.ADDRESS)
    return ThrottleDecision(True)


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    ONLY_DIGITS = "only_digits"
    CONTAINS_USERNAME = "contains_username"


def password_problems(password: str, *, username: str, min_length: int) -> list[PasswordProblem]:
    problems = []
    if len(password) < min_length:
        problems.append(PasswordProblem.TOO_SHORT)
    if password.isdigit():
        problems.append(PasswordProblem.ONLY_DIGITS)
    if username and username.lower() in password.lower():
        problems.append(PasswordProblem.CONTAINS_USERNAME)
    return problems
