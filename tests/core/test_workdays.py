"""The working-day rule (issue 17): China's official calendar from the library, the administrator's
overrides before it, the weekend alone for a year neither knows, and that guess reported."""

from datetime import date

import pytest

from core import workdays

OFFICIAL = workdays.Calendar()


def test_the_library_knows_2026_and_not_2027():
    """chinese-calendar 1.11.0 knows the State Council's 2026 schedule (国庆 1-7 October, make-up
    working days Sunday 20 September and Saturday 10 October); 2027's is not in it yet."""
    assert 2026 in workdays.official_years() and 2027 not in workdays.official_years()
    assert [workdays.official(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert workdays.official(date(2026, 10, 10)) is True and date(2026, 10, 10).weekday() == 5
    assert workdays.official(date(2026, 9, 20)) is True and date(2026, 9, 20).weekday() == 6
    assert workdays.official(date(2027, 1, 4)) is None


def test_five_working_days_across_national_day():
    """From Wednesday 30 September 2026: 1-7 October are off, Thursday 8, Friday 9, the make-up
    Saturday 10, Monday 12 and Tuesday 13 October are the five. Counting weekends alone ended on
    7 October, in the middle of the holiday."""
    span = workdays.add_working_days(date(2026, 9, 30), 5, OFFICIAL)
    assert span == workdays.Span(date(2026, 10, 13), ())
    weekends_only = workdays.Calendar(official=lambda day: None)
    assert workdays.add_working_days(date(2026, 9, 30), 5, weekends_only).end == date(2026, 10, 7)


def test_a_make_up_saturday_counts():
    """Saturday 9 May 2026 is a working day (调休 after Labour Day): from Thursday 7 May, Friday 8,
    Saturday 9, Monday 11, Tuesday 12 and Wednesday 13 May are the five."""
    assert OFFICIAL.is_working_day(date(2026, 5, 9)) and OFFICIAL.source(date(2026, 5, 9)) == "official"
    assert workdays.add_working_days(date(2026, 5, 7), 5, OFFICIAL).end == date(2026, 5, 13)
    # The make-up Sunday before National Day too: from Friday 18 September, Sunday 20 is the first.
    assert workdays.add_working_days(date(2026, 9, 18), 1, OFFICIAL).end == date(2026, 9, 20)


def test_an_override_comes_before_the_library():
    # Say the State Council changed its schedule: Thursday 8 October 2026 off, or Sunday 11 worked.
    one_more_off = workdays.Calendar(overrides={date(2026, 10, 8): False})
    assert one_more_off.source(date(2026, 10, 8)) == "override"
    assert workdays.add_working_days(date(2026, 9, 30), 5, one_more_off).end == date(2026, 10, 14)
    sunday_worked = workdays.Calendar(overrides={date(2026, 10, 11): True})
    assert workdays.add_working_days(date(2026, 9, 30), 5, sunday_worked).end == date(2026, 10, 12)


def test_an_unknown_year_falls_back_to_the_weekend_and_says_so():
    """2027 is unknown: New Year's Day (a Friday) counts as a working day, and the span names 2027."""
    span = workdays.add_working_days(date(2026, 12, 28), 5, OFFICIAL)
    assert span == workdays.Span(date(2027, 1, 4), (2027,))
    assert OFFICIAL.source(date(2027, 1, 1)) == "weekend" and not OFFICIAL.is_working_day(date(2027, 1, 2))
    # Once the administrator enters 2027's schedule, the year is known and the day is off.
    entered = workdays.Calendar(overrides={date(2027, 1, 1): False})
    assert workdays.add_working_days(date(2026, 12, 28), 5, entered) == workdays.Span(date(2027, 1, 5), ())
    # A period that stays inside known days guesses nothing.
    assert workdays.add_working_days(date(2026, 12, 21), 5, OFFICIAL).guessed == ()


def test_the_start_day_itself_is_never_counted():
    assert workdays.add_working_days(date(2026, 10, 10), 1, OFFICIAL).end == date(2026, 10, 12)
    assert workdays.add_working_days(date(2026, 10, 10), 0, OFFICIAL).end == date(2026, 10, 10)


@pytest.mark.parametrize("days", [-1, workdays.MAX_DAYS + 1])
def test_out_of_range_periods_are_refused(days):
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2026, 10, 10), days, OFFICIAL)
