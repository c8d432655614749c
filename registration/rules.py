"""Pure rules of registration: the resident ID number (GB 11643), contact formats, eligibility,
the course tables and the review workflow's state machine. No Flask, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# --- the 18-digit resident ID number (GB 11643-1999) -------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")


def id_check_character(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "male" | "female" (the 17th digit: odd for men)


def parse_id_number(raw: str) -> tuple[IdNumber | None, str | None]:
    """(the parsed number, None) or (None, problem code): format, checksum or birth_date."""
    number = (raw or "").strip().upper()
    if not ID_PATTERN.match(number):
        return None, "id_format"
    if id_check_character(number[:17]) != number[17]:
        return None, "id_checksum"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None, "id_birth_date"
    if born.year < 1900:
        return None, "id_birth_date"
    return IdNumber(number, born, "male" if int(number[16]) % 2 else "female"), None


def id_problems(raw: str, *, birth_date: date | None, gender: str | None, today: date) -> list[str]:
    """Problems of an ID number against the form: its own validity, then agreement with the
    birth date and gender given, then a birth date in the future."""
    parsed, problem = parse_id_number(raw)
    if problem:
        return [problem]
    problems = []
    if birth_date is not None and parsed.birth_date != birth_date:
        problems.append("id_birth_mismatch")
    if gender and parsed.gender != gender:
        problems.append("id_gender_mismatch")
    if parsed.birth_date > today:
        problems.append("id_birth_date")
    return problems


def mask_id(number: str) -> str:
    """An ID number with the birth date and sequence hidden: 110105********123X."""
    return number[:6] + "*" * 8 + number[14:] if len(number) == 18 else number


# --- contact formats ---------------------------------------------------------------------------

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def phone_ok(value: str) -> bool:
    value = re.sub(r"[\s()（）]", "", value or "")
    return bool(MOBILE.match(value) or LANDLINE.match(value))


def email_ok(value: str) -> bool:
    return bool(EMAIL.match((value or "").strip()))


# --- education and eligibility -----------------------------------------------------------------


class Education(StrEnum):
    JUNIOR_HIGH = "junior_high"
    HIGH_SCHOOL = "high_school"          # 高中 / 中专 / 技工学校
    VOCATIONAL_COLLEGE = "vocational"    # 高职 / 大专
    BACHELOR = "bachelor"
    MASTER = "master"


EDUCATION_ORDER = list(Education)

# Seed 002, 3.1-3.2: intermediate training starts from high school, senior from vocational college.
DEFAULT_MINIMUM_EDUCATION = {
    "junior": Education.JUNIOR_HIGH,
    "intermediate": Education.HIGH_SCHOOL,
    "senior": Education.VOCATIONAL_COLLEGE,
}


def eligible(education: str, *, minimum: str) -> bool:
    return EDUCATION_ORDER.index(Education(education)) >= EDUCATION_ORDER.index(Education(minimum))


# --- course tables (seed 002, 3.1-3.2) ---------------------------------------------------------


@dataclass(frozen=True)
class Course:
    code: str
    name: str
    hours: int


COURSES = {
    "intermediate": (
        Course("I1", "工业互联网集成与配置", 10),
        Course("I2", "产线虚拟仿真与调试", 4),
        Course("I3", "产线控制系统编程与调试", 6),
        Course("I4", "数字孪生系统调试", 6),
        Course("I5", "MES 系统基础应用", 4),
        Course("I6", "工业互联网平台运维", 10),
    ),
    "senior": (
        Course("S1", "复杂工业网络规划与实施", 12),
        Course("S2", "智能产线虚拟仿真建模", 6),
        Course("S3", "产线整机编程与调试", 8),
        Course("S4", "数字孪生系统集成与调试", 8),
        Course("S5", "MES 与 WMS 系统集成应用", 6),
        Course("S6", "工业互联网云平台运维与优化", 10),
    ),
}


def missing_hours(level: str, recorded: dict[str, float]) -> dict[str, float]:
    """Hours still missing per course of the level's table (empty when complete)."""
    return {c.code: c.hours - recorded.get(c.code, 0) for c in COURSES.get(level, ())
            if recorded.get(c.code, 0) < c.hours}


# --- the review workflow -----------------------------------------------------------------------


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CENTRE_APPROVED = "centre_approved"
    APPROVED = "approved"
    ENROLLED = "enrolled"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Actor(StrEnum):
    APPLICANT = "applicant"   # the candidate who owns the form, or staff of its centre filling it for them
    CENTRE = "centre"         # staff of the form's training centre (单位意见)
    PROJECT = "project"       # the project centre's administrators (项目中心意见)
    SYSTEM = "system"         # scheduled jobs


@dataclass(frozen=True)
class Transition:
    action: str
    source: frozenset
    target: State
    actors: frozenset


def _t(action, sources, target, *actors) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(actors))


TRANSITIONS = (
    _t("submit", {State.DRAFT}, State.SUBMITTED, Actor.APPLICANT),
    _t("resubmit", {State.RETURNED}, State.SUBMITTED, Actor.APPLICANT),
    _t("centre_approve", {State.SUBMITTED}, State.CENTRE_APPROVED, Actor.CENTRE),
    _t("return", {State.SUBMITTED}, State.RETURNED, Actor.CENTRE),
    _t("return", {State.CENTRE_APPROVED}, State.RETURNED, Actor.PROJECT),
    _t("approve", {State.CENTRE_APPROVED}, State.APPROVED, Actor.PROJECT),
    _t("enrol", {State.APPROVED}, State.ENROLLED, Actor.PROJECT),
    _t("reject", {State.SUBMITTED}, State.REJECTED, Actor.CENTRE),
    _t("reject", {State.CENTRE_APPROVED}, State.REJECTED, Actor.PROJECT),
    _t("withdraw", {State.DRAFT, State.SUBMITTED, State.RETURNED}, State.WITHDRAWN, Actor.APPLICANT),
    _t("expire", {State.RETURNED}, State.WITHDRAWN, Actor.SYSTEM),
)

# Fields an applicant may be asked to correct (the keys of the form).
CORRECTABLE = ("full_name", "gender", "birth_date", "education", "title", "employer", "phone", "address",
               "email", "id_number", "resume", "training_history", "photo", "group")


def transition(state: str, action: str, actor: str) -> Transition | None:
    """The transition `actor` may make with `action` from `state`, or None when it is not allowed."""
    for t in TRANSITIONS:
        if t.action == action and state in t.source and actor in t.actors:
            return t
    return None


def actions_for(state: str, actors: set[str]) -> list[str]:
    return sorted({t.action for t in TRANSITIONS if state in t.source and t.actors & actors})


# --- an event's progress (the administrator's overview) ----------------------------------------


class EventStage(StrEnum):
    OPEN = "open"              # nobody has registered yet
    REGISTRATION = "registration"  # forms in, review under way
    ASSESSMENT = "assessment"  # candidates enrolled: the exam and the practical
    COMPUTED = "computed"      # results computed, not yet published
    PUBLICITY = "publicity"    # results in their public notice period
    FINAL = "final"            # results final
    CERTIFIED = "certified"    # certificates issued


@dataclass(frozen=True)
class EventProgress:
    """An event's counts, from its registrations by state and its results by status (with
    "certificates": the certificates issued and not revoked), and the stage they show."""

    forms: int
    review: int
    returned: int
    enrolled: int
    results: int
    certificates: int
    stage: EventStage


def event_progress(forms: dict[str, int], results: dict[str, int]) -> EventProgress:
    counts = {"forms": sum(n for state, n in forms.items() if state not in (State.WITHDRAWN, State.REJECTED)),
              "review": forms.get(State.SUBMITTED, 0) + forms.get(State.CENTRE_APPROVED, 0),
              "returned": forms.get(State.RETURNED, 0), "enrolled": forms.get(State.ENROLLED, 0),
              "results": sum(results.get(k, 0) for k in ("computed", "published", "final")),
              "certificates": results.get("certificates", 0)}
    if counts["certificates"]:
        stage = EventStage.CERTIFIED
    elif results.get("final"):
        stage = EventStage.FINAL
    elif results.get("published"):
        stage = EventStage.PUBLICITY
    elif results.get("computed"):
        stage = EventStage.COMPUTED
    elif counts["enrolled"]:
        stage = EventStage.ASSESSMENT
    elif counts["forms"]:
        stage = EventStage.REGISTRATION
    else:
        stage = EventStage.OPEN
    return EventProgress(**counts, stage=stage)
