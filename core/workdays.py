"""Working days of China's official calendar: the State Council's schedule of public holidays and
make-up working days (调休), with the administrator's overrides for what the library does not know.
Pure: no Flask, no database.

A day is decided, in this order, by
1. the administrator's override of that date (core/workcalendar.py keeps them), then
2. the official schedule as the chinese-calendar library knows it (each release knows the years up
   to the schedule published before it: 1.11.0 knows 2004-2026), then
3. the weekend alone (Monday to Friday work), for a year neither knows: a guess, which the result
   says (`Span.guessed`) so that a page can warn.

A year counts as known when the library knows it or the administrator has entered any override of
it (entering a year's schedule is entering its holidays and its make-up days).

chinese-calendar was chosen over `holidays` (0.108) because it says when it does not know a year
(NotImplementedError) where `holidays` estimates one from the statutory rules without its make-up
days; both agree on every day of 2026, and neither knows 2027's schedule yet."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

MAX_DAYS = 366  # the longest period counted: far beyond any publicity (5-30 days)


def official(day: date) -> bool | None:
    """True for a working day of the official schedule, False for a day off, None when the library
    does not know the day's year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def official_years() -> range:
    """The years the library knows."""
    known = [*chinese_calendar.holidays, *chinese_calendar.workdays]
    return range(min(known).year, max(known).year + 1)


@dataclass(frozen=True)
class Calendar:
    """Answers whether a date is a working day. `overrides` maps a date to True (a working day) or
    False (a day off); `official` is the library's answer (None: unknown year)."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    official: Callable[[date], bool | None] = official

    def source(self, day: date) -> str:
        """"override", "official" or "weekend": what decides the day."""
        if day in self.overrides:
            return "override"
        return "official" if self.official(day) is not None else "weekend"

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        answer = self.official(day)
        return day.weekday() < 5 if answer is None else answer

    def known(self, year: int) -> bool:
        """The library knows the year, or the administrator has entered overrides of it."""
        return self.official(date(year, 1, 1)) is not None or any(d.year == year for d in self.overrides)


@dataclass(frozen=True)
class Span:
    end: date
    guessed: tuple[int, ...]  # years counted by the weekend alone: neither the library nor an override knows them


def add_working_days(start: date, days: int, calendar: Calendar) -> Span:
    """The date `days` working days after `start` (`start` itself not counted, whatever it is):
    from a Friday, 5 working days end on the next Friday; over a holiday they end later; a make-up
    Saturday counts as a working day."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"between 0 and {MAX_DAYS} working days, not {days}")
    current, counted = start, 0
    guessed: set[int] = set()
    while counted < days:
        current += timedelta(days=1)
        if not calendar.known(current.year):
            guessed.add(current.year)
        if calendar.is_working_day(current):
            counted += 1
    return Span(current, tuple(sorted(guessed)))
