"""Pure rules for accounts: the password policy. No Flask, no database."""

from __future__ import annotations

import functools
import re
from enum import StrEnum
from pathlib import Path


class ThrottleScope(StrEnum):
    """Which limit refused a sign-in: the account's (from this address or from everywhere) or the
    address's. The limits themselves are buckets of core/throttle.py."""

    ACCOUNT = "account"
    ADDRESS = "address"


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    ONLY_DIGITS = "only_digits"
    CONTAINS_USERNAME = "contains_username"
    CONTAINS_NAME = "contains_name"
    COMMON = "common"
    PATTERN = "pattern"


_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list (accounts/data/common_passwords.txt), lower case."""
    text = (Path(__file__).parent / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _is_pattern(word: str) -> bool:
    """Repeats ("aaaaaaaa", "abcabcabc"), runs ("abcdefgh", "87654321") and keyboard walks
    ("qwertyui", "asdfghjk"): easy to guess whatever their length."""
    if len(set(word)) <= 2:
        return True
    for unit in range(1, len(word) // 2 + 1):
        if len(word) % unit == 0 and word[:unit] * (len(word) // unit) == word:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(word, word[1:], strict=False)}
    if steps in ({1}, {-1}):
        return True
    return any(word in row or word in row[::-1] for row in _KEYBOARD_ROWS)


def _core(word: str) -> str:
    """The password without the digits and symbols people add at either end ("Password1!")."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", word)


def password_problems(password: str, *, username: str, min_length: int, full_name: str = "",
                      email: str = "") -> list[PasswordProblem]:
    """Everything wrong with `password` for this user: length, digits only, the user's own name,
    username or e-mail, a common password (also with digits or symbols around it), or a pattern."""
    problems = []
    lowered = password.lower()
    if len(password) < min_length:
        problems.append(PasswordProblem.TOO_SHORT)
    if password.isdigit():
        problems.append(PasswordProblem.ONLY_DIGITS)
    if username and username.lower() in lowered:
        problems.append(PasswordProblem.CONTAINS_USERNAME)
    letters = re.sub(r"[\W_]", "", lowered)
    names = [re.sub(r"[\W_]", "", name.lower()) for name in (full_name, email.split("@")[0])]
    if any(len(name) >= 3 and name in letters for name in names):
        problems.append(PasswordProblem.CONTAINS_NAME)
    core = _core(lowered)
    common = common_passwords()
    if lowered in common or (len(core) >= 4 and core in common):
        problems.append(PasswordProblem.COMMON)
    elif _is_pattern(lowered) or (len(core) >= 4 and _is_pattern(core)):
        problems.append(PasswordProblem.PATTERN)
    return problems
