from datetime import UTC, datetime, timedelta

from accounts.rules import PasswordProblem, ThrottleScope, login_throttle, password_problems

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def decide(account=(), address=()):
    return login_throttle(account_failures=list(account), address_failures=list(address), now=NOW,
                          window_seconds=900, per_account=5, per_address=30)


def test_under_the_limit_is_allowed():
    assert decide(account=[NOW - timedelta(minutes=1)] * 4).allowed


def test_account_limit_blocks_until_the_oldest_counted_failure_leaves_the_window():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 10)]
    decision = decide(account=failures)
    assert not decision.allowed
    assert decision.scope is ThrottleScope.ACCOUNT
    assert decision.retry_after == 5 * 60  # the 10-minute-old failure leaves in 5 minutes


def test_failures_outside_the_window_do_not_count():
    assert decide(account=[NOW - timedelta(minutes=20)] * 10).allowed


def test_address_limit_blocks_across_accounts():
    decision = decide(address=[NOW - timedelta(seconds=s) for s in range(30)])
    assert not decision.allowed and decision.scope is ThrottleScope.ADDRESS
    assert decision.retry_after > 0


def test_password_policy():
    assert password_problems("Good-pass-1", username="li", min_length=8) == []
    assert password_problems("short", username="li", min_length=8) == [PasswordProblem.TOO_SHORT]
    assert PasswordProblem.ONLY_DIGITS in password_problems("12345678", username="x", min_length=8)
    assert PasswordProblem.CONTAINS_USERNAME in password_problems(
        "zhangsan-2026", username="ZhangSan", min_length=8)
