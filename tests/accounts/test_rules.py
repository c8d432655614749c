import pytest

from accounts.rules import PasswordProblem, password_problems


def test_password_policy():
    assert password_problems("Good-pass-1", username="li", min_length=8) == []
    assert password_problems("short", username="li", min_length=8) == [PasswordProblem.TOO_SHORT]
    assert PasswordProblem.ONLY_DIGITS in password_problems("12345678", username="x", min_length=8)
    assert PasswordProblem.CONTAINS_USERNAME in password_problems(
        "zhangsan-2026", username="ZhangSan", min_length=8)


@pytest.mark.parametrize("password", ["password", "Password1!", "qwertyui", "iiom2026", "woaini1314", "letmein99"])
def test_common_passwords_are_refused(password):
    """Issue 12 L2: passwords from the bundled common list, also with digits or symbols around them."""
    assert PasswordProblem.COMMON in password_problems(password, username="li", min_length=8)


@pytest.mark.parametrize("password", ["aaaaaaaa", "abababab", "abcabcabc", "abcdefghij", "98765432", "asdfghjkl;"])
def test_repeats_runs_and_keyboard_rows_are_refused(password):
    """Issue 12 L2: repeats and runs are easy to guess whatever their length."""
    problems = password_problems(password, username="li", min_length=8)
    assert PasswordProblem.PATTERN in problems or PasswordProblem.COMMON in problems


def test_the_users_own_name_and_email_are_refused():
    """Issue 12 L2."""
    assert PasswordProblem.CONTAINS_NAME in password_problems(
        "Zhang-Wei-2001", username="cand01", min_length=8, full_name="Zhang Wei")
    assert PasswordProblem.CONTAINS_NAME in password_problems(
        "xiaoming.88!", username="cand01", min_length=8, email="xiaoming@example.com")


@pytest.mark.parametrize("password", ["Correct-horse-42", "tX9#mQ2vLp", "蓝色的工业网关-7"])
def test_good_passwords_pass(password):
    assert password_problems(password, username="li", min_length=8, full_name="Li Lei", email="li@x.cn") == []
