from datetime import date

import pytest

from registration import rules
from tests.registration.conftest import make_id

TODAY = date(2026, 6, 1)


def test_the_standard_example_is_valid():
    parsed, problem = rules.parse_id_number("11010519491231002x")
    assert problem is None and parsed.birth_date == date(1949, 12, 31) and parsed.gender == "female"


@pytest.mark.parametrize("raw,problem", [
    ("11010519491231002", "id_format"),
    ("1101051949123100X2", "id_format"),
    ("110105194912310021", "id_checksum"),
    ("11010519491231002X1", "id_format"),  # 19 characters
])
def test_malformed_numbers(raw, problem):
    assert rules.parse_id_number(raw)[1] == problem


def test_impossible_birth_date():
    body = "11010519490231002"  # 31 February
    assert rules.parse_id_number(body + rules.id_check_character(body))[1] == "id_birth_date"


def test_number_must_agree_with_the_form():
    number = make_id(date(2001, 3, 14), male=True)
    assert rules.id_problems(number, birth_date=date(2001, 3, 14), gender="male", today=TODAY) == []
    assert rules.id_problems(number, birth_date=date(2001, 3, 15), gender="male", today=TODAY) == ["id_birth_mismatch"]
    assert rules.id_problems(number, birth_date=date(2001, 3, 14), gender="female", today=TODAY) == [
        "id_gender_mismatch"]
    future = make_id(date(2027, 1, 1))
    assert rules.id_problems(future, birth_date=None, gender=None, today=TODAY) == ["id_birth_date"]


def test_masking():
    assert rules.mask_id("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize("phone,ok", [("13800138000", True), ("12800138000", False), ("020-38880000", True),
                                      ("0755 2688 8888", True), ("12345", False)])
def test_phones(phone, ok):
    assert rules.phone_ok(phone) is ok


def test_emails():
    assert rules.email_ok("a.b@example.com.cn") and not rules.email_ok("a@b") and not rules.email_ok("a b@c.com")


def test_eligibility_by_level():
    assert rules.eligible("high_school", minimum="high_school")
    assert not rules.eligible("high_school", minimum="vocational")
    assert rules.eligible("bachelor", minimum="vocational")


def test_hours_tables_match_the_seed():
    assert sum(c.hours for c in rules.COURSES["intermediate"]) == 40
    assert sum(c.hours for c in rules.COURSES["senior"]) == 50
    assert rules.missing_hours("intermediate", {"I1": 10, "I2": 4, "I3": 6, "I4": 6, "I5": 4}) == {"I6": 10}


ALL_ACTORS = ["applicant", "centre", "project", "system"]


@pytest.mark.parametrize("state,action,allowed", [
    ("draft", "submit", {"applicant"}), ("returned", "resubmit", {"applicant"}),
    ("submitted", "centre_approve", {"centre"}), ("submitted", "return", {"centre"}),
    ("centre_approved", "return", {"project"}), ("centre_approved", "approve", {"project"}),
    ("approved", "enrol", {"project"}), ("submitted", "reject", {"centre"}),
    ("centre_approved", "reject", {"project"}), ("returned", "expire", {"system"}),
    ("submitted", "withdraw", {"applicant"}), ("approved", "withdraw", set()), ("enrolled", "reject", set()),
    ("draft", "approve", set()), ("submitted", "approve", set()),
])
def test_every_transition_only_by_its_role(state, action, allowed):
    assert {a for a in ALL_ACTORS if rules.transition(state, action, a)} == allowed
