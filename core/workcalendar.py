"""The platform's working-day calendar: the administrator's overrides of single dates (a day off or
a working day), for years the library does not know yet or a schedule changed after its release,
and the deadlines counted with them (core/workdays.py holds the rule). Services flush and audit;
they never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import audit, i18n, workdays
from core.errors import DomainError
from core.extensions import db

audit.describe({
    "workday.override_add": _l("Working-day override added"),
    "workday.override_remove": _l("Working-day override removed"),
})

MAX_NOTE = 200

# The library's holiday names, for the administrator's page.
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"), "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"), "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"), "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"), "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
}


class WorkdayOverride(db.Model):
    """One date decided by the administrator: a working day or a day off, whatever the library says."""

    __tablename__ = "workday_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(nullable=False, unique=True)
    working: Mapped[bool] = mapped_column(nullable=False)
    note: Mapped[str] = mapped_column(String(MAX_NOTE), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {'working' if self.working else 'day off'}"


def calendar(session: Session, *, since: date | None = None) -> workdays.Calendar:
    """The calendar with every override (from `since` on): one statement."""
    query = select(WorkdayOverride.day, WorkdayOverride.working)
    if since is not None:
        query = query.where(WorkdayOverride.day >= since)
    return workdays.Calendar(overrides={day: working for day, working in session.execute(query)})


@dataclass(frozen=True)
class Deadline:
    at: datetime  # aware UTC
    guessed: tuple[int, ...]  # years counted by the weekend alone (no library data, no override)


def working_days_after(session: Session, *, start: datetime, days: int) -> Deadline:
    """`days` working days after `start`, at the same time of day, counted on the dates of the
    platform's time zone (a publication at 07:00 in Beijing is on that day, not the UTC day before)."""
    local = start.astimezone(i18n.zone())
    span = workdays.add_working_days(local.date(), days, calendar(session, since=local.date()))
    end = datetime.combine(span.end, local.timetz().replace(tzinfo=None), tzinfo=i18n.zone())
    return Deadline(end.astimezone(UTC), span.guessed)


def guessed_years(session: Session, *, start: datetime, end: datetime) -> tuple[int, ...]:
    """The years of the days after `start` up to `end` (in the platform's time zone) that neither
    the library nor an override knows: a period over them was counted by the weekend alone."""
    first = (start.astimezone(i18n.zone()).date() + timedelta(days=1)).year
    last = end.astimezone(i18n.zone()).year
    known = calendar(session, since=date(first, 1, 1)).known
    return tuple(y for y in range(first, last + 1) if not known(y))


def add_override(session: Session, *, day: date, working: bool, note: str, actor, now: datetime) -> WorkdayOverride:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_l("The note has at most %(n)d characters.", n=MAX_NOTE), field="note")
    existing = session.scalar(select(WorkdayOverride).filter_by(day=day))
    if existing is not None:
        raise DomainError(_l("%(day)s has an override already: remove it first to change it.",
                             day=day.isoformat()), field="day")
    override = WorkdayOverride(day=day, working=working, note=note, created_at=now,
                               created_by_id=getattr(actor, "id", None))
    session.add(override)
    session.flush()
    audit.record(session, "workday.override_add", target=override, actor=actor,
                 after={"day": day, "working": working, "note": note})
    return override


def remove_override(session: Session, *, override: WorkdayOverride, actor) -> None:
    audit.record(session, "workday.override_remove", target=override, actor=actor,
                 before={"day": override.day, "working": override.working, "note": override.note})
    session.delete(override)
    session.flush()


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    working: bool
    name: str  # the holiday's name, translated


@dataclass(frozen=True)
class Year:
    """A year on the administrator's page: whether the library knows it, its official days that
    differ from the weekend rule (weekday holidays and make-up working days), and the overrides."""

    year: int
    official: bool
    schedule: tuple[ScheduleDay, ...]
    overrides: tuple[WorkdayOverride, ...]

    @property
    def guessed(self) -> bool:
        """Counted by the weekend alone: what the pages warn about."""
        return not self.official and not self.overrides


def year(session: Session, number: int) -> Year:
    official = number in workdays.official_years()
    schedule = []
    if official:
        for day, name in sorted({**chinese_calendar.holidays, **chinese_calendar.workdays}.items()):
            if day.year != number:
                continue
            working = day in chinese_calendar.workdays
            if working != (day.weekday() < 5):  # only what differs from Monday to Friday
                schedule.append(ScheduleDay(day, working, str(HOLIDAY_NAMES.get(name, name))))
    overrides = session.scalars(select(WorkdayOverride).where(WorkdayOverride.day >= date(number, 1, 1),
                                                              WorkdayOverride.day <= date(number, 12, 31))
                                .order_by(WorkdayOverride.day)).all()
    return Year(number, official, tuple(schedule), tuple(overrides))
