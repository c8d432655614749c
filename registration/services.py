"""Registration services: events, forms, the review workflow, training hours, enrolment and
check-in. They flush, audit and queue notifications; they never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accounts import services as accounts
from accounts.models import Role, TrainingCentre, User
from core import audit, uploads
from core.errors import Conflict, DomainError, NotAllowed
from core.extensions import scheduler
from core.notify import notify, path_for
from registration import rules, signals
from registration.models import (
    AccountSlip,
    Correction,
    Education,
    Event,
    EventSession,
    Gender,
    Group,
    Registration,
    State,
    TrainingRecord,
)

audit.describe({
    "registration.create": _l("Form created"), "registration.update": _l("Form changed"),
    "registration.submit": _l("Form submitted"), "registration.resubmit": _l("Corrected and submitted again"),
    "registration.centre_approve": _l("Approved by the training centre"),
    "registration.approve": _l("Approved by the project centre"), "registration.return": _l("Returned for corrections"),
    "registration.reject": _l("Form rejected"), "registration.withdraw": _l("Form withdrawn"),
    "registration.expire": _l("Withdrawn: not corrected in time"), "registration.enrol": _l("Enrolled"),
    "registration.hours": _l("Training hours recorded"), "registration.check_in": _l("Checked in at the venue"),
    "registration.number_held": _l("Candidate number held"), "registration.batch_import": _l("Imported from Excel"),
    "event.create": _l("Event created"), "event.update": _l("Event changed"),
    "event.session_add": _l("Session added"),
})

PHOTO_FOLDER = "photos"
EDITABLE = {State.DRAFT, State.RETURNED}

PROBLEM_MESSAGES = {
    "required": _l("This field is required."),
    "id_format": _l("An ID number has 18 characters: 17 digits and a final digit or X."),
    "id_checksum": _l("The ID number's check character is wrong: please check every digit."),
    "id_birth_date": _l("The ID number holds an impossible birth date."),
    "id_birth_mismatch": _l("The birth date in the ID number differs from the birth date on the form."),
    "id_gender_mismatch": _l("The gender in the ID number differs from the gender on the form."),
    "phone": _l("Enter a mobile number (11 digits) or a landline with its area code."),
    "email": _l("Enter an e-mail address such as name@example.com."),
    "too_long": _l("Too long: at most %(max)d characters."),
    "birth_future": _l("The birth date is in the future."),
    "group": _l("Choose the competition group."),
}

LIMITS = {"full_name": 40, "title": 60, "employer": 120, "phone": 30, "address": 200, "email": 120, "resume": 4000,
          "training_history": 4000}
REQUIRED = ("full_name", "gender", "birth_date", "education", "phone", "email", "id_number")


def form_problems(data: dict, *, event: Event, today: date) -> dict[str, str]:
    """Every problem of the form's fields, keyed by field, in the user's language."""
    problems: dict[str, str] = {}
    for name in REQUIRED:
        if not data.get(name):
            problems[name] = str(PROBLEM_MESSAGES["required"])
    for name, limit in LIMITS.items():
        if len(data.get(name) or "") > limit:
            problems[name] = str(PROBLEM_MESSAGES["too_long"]) % {"max": limit}
    if data.get("phone") and "phone" not in problems and not rules.phone_ok(data["phone"]):
        problems["phone"] = str(PROBLEM_MESSAGES["phone"])
    if data.get("email") and "email" not in problems and not rules.email_ok(data["email"]):
        problems["email"] = str(PROBLEM_MESSAGES["email"])
    if data.get("birth_date") and data["birth_date"] > today:
        problems["birth_date"] = str(PROBLEM_MESSAGES["birth_future"])
    if data.get("id_number"):
        found = rules.id_problems(data["id_number"], birth_date=data.get("birth_date"),
                                  gender=data.get("gender"), today=today)
        if found:
            problems["id_number"] = " ".join(str(PROBLEM_MESSAGES[p]) for p in found)
    if event.kind.value == "competition" and event.groups and data.get("group") not in event.groups:
        problems["group"] = str(PROBLEM_MESSAGES["group"])
    return problems


def eligibility_note(event: Event) -> str:
    return str(_l("This event admits applicants with at least: %(education)s.",
                  education=Education(event.minimum_education).label))


# --- events ------------------------------------------------------------------------------------

EVENT_FIELDS = ["code", "name", "kind", "level", "groups", "registration_opens", "registration_closes",
                "minimum_education", "require_full_hours", "correction_days"]


def save_event(session: Session, *, event: Event | None, fields: dict, actor: User | None) -> Event:
    if fields["registration_closes"] <= fields["registration_opens"]:
        raise DomainError(_l("Registration must close after it opens."), field="registration_closes")
    clash = session.scalar(select(Event).filter_by(code=fields["code"]))
    if clash is not None and clash is not event:
        raise Conflict(_l("The event code %(code)s is taken.", code=fields["code"]), field="code")
    before = audit.snapshot(event, EVENT_FIELDS) if event else None
    if event is None:
        event = Event()
        session.add(event)
    for key, value in fields.items():
        setattr(event, key, value)
    session.flush()
    audit.record(session, "event.create" if before is None else "event.update", target=event, actor=actor,
                 before=before, after=audit.snapshot(event, EVENT_FIELDS))
    return event


def add_session(session: Session, *, event: Event, name: str, starts_at: datetime, ends_at: datetime, site: str,
                address: str, seats: int, actor: User | None) -> EventSession:
    if ends_at <= starts_at:
        raise DomainError(_l("A session must end after it starts."), field="ends_at")
    item = EventSession(event=event, name=name, starts_at=starts_at, ends_at=ends_at, site=site, address=address,
                        seats=seats)
    session.add(item)
    session.flush()
    audit.record(session, "event.session_add", target=event, actor=actor,
                 after={"name": name, "site": site, "seats": seats, "starts_at": starts_at})
    return item


# --- who may act -------------------------------------------------------------------------------


def history(session: Session, registration: Registration, *, viewer: User) -> list[audit.AuditLog]:
    """The registration's audit trail as `viewer` may see it. Marks are audited against the
    registration too (scoring/services.py, actions "mark.*": referee, time, deductions); they are
    the reverse side of blind marking, so only administrators see them here (issue 12 M9). The
    candidate and their centre see the practical result once it is published, not who marked it."""
    query = select(audit.AuditLog).where(audit.AuditLog.object_type == "registrations",
                                         audit.AuditLog.object_id == registration.public_id)
    if viewer.role is not Role.ADMIN:
        query = query.where(~audit.AuditLog.action.like("mark.%"))
    return session.scalars(query.order_by(audit.AuditLog.id)).all()


def actors(registration: Registration, user: User) -> set[str]:
    """The workflow roles `user` holds for this form."""
    held = set()
    if user.role is Role.ADMIN:
        held.add(rules.Actor.PROJECT)
    if user.role is Role.CENTRE_STAFF and user.centre_id == registration.centre_id:
        held |= {rules.Actor.CENTRE, rules.Actor.APPLICANT}
    if user.role is Role.CANDIDATE and registration.applicant_id == user.id:
        held.add(rules.Actor.APPLICANT)
    return held


def may_view(registration: Registration, user: User) -> bool:
    return bool(actors(registration, user)) or (registration.user_id is not None and registration.user_id == user.id)


# --- the form ----------------------------------------------------------------------------------


def save_registration(session: Session, *, registration: Registration | None, event: Event,
                      centre: TrainingCentre, data: dict, photo: bytes | None, user: User, now: datetime
                      ) -> Registration:
    """Create or change a form while it is a draft or returned for correction."""
    if registration is not None:
        if rules.Actor.APPLICANT not in actors(registration, user):
            raise NotAllowed(_l("Only the applicant or their training centre may change this form."))
        if registration.state not in EDITABLE:
            raise DomainError(_l("The form is under review and cannot be changed now."))
    elif not (event.registration_opens <= now < event.registration_closes):
        raise DomainError(_l("Registration for this event is closed."))
    problems = form_problems(data, event=event, today=now.date())
    if problems:
        raise InvalidForm(problems)
    number = data["id_number"].strip().upper()
    clash = session.scalar(select(Registration).filter_by(event_id=event.id, id_number=number))
    if clash is not None and clash is not registration:
        raise number_taken(clash, user)
    photo_name = None
    if photo:
        photo_name = uploads.save_portrait(photo, subfolder=PHOTO_FOLDER,
                                           max_bytes=current_app.config["PHOTO_MAX_BYTES"])
    before = audit.snapshot(registration, list(Registration.FORM_FIELDS) + ["photo"]) if registration else None
    if registration is None:
        applicant = user.id if user.role is Role.CANDIDATE else _account_for(session, data)
        registration = Registration(event=event, centre_id=centre.id, state=State.DRAFT, applicant_id=applicant)
        session.add(registration)
    for name in Registration.FORM_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        setattr(registration, name, value)
    registration.id_number = number
    registration.gender = Gender(data["gender"])
    registration.education = Education(data["education"])
    registration.group = Group(data["group"]) if data.get("group") else None
    if photo_name:
        registration.photo = photo_name
    session.flush()
    after = audit.snapshot(registration, list(Registration.FORM_FIELDS) + ["photo"])
    audit.record(session, "registration.create" if before is None else "registration.update",
                 target=registration, actor=user, before=before, after=after)
    return registration


def _account_for(session: Session, data: dict) -> int | None:
    """A form filled in by a centre belongs to the candidate account with the same e-mail address,
    when there is exactly one and it is not already tied to another ID number (centres sometimes
    type their own address for everyone): that candidate can then follow and correct it."""
    email = (data.get("email") or "").strip().lower()
    number = (data.get("id_number") or "").strip().upper()
    if not email:
        return None
    accounts = session.scalars(select(User.id).where(func.lower(User.email) == email,
                                                     User.role == Role.CANDIDATE)).all()
    free = []
    for account in accounts:
        others = session.scalars(select(Registration.id_number).where(
            or_(Registration.applicant_id == account, Registration.user_id == account))).all()
        if all(n == number for n in others):
            free.append(account)
    return free[0] if len(free) == 1 else None


class InvalidForm(DomainError):
    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(_l("Please correct the fields marked below."))


# --- an ID number already on another form of the event ------------------------------------------
# Saying "this number is already registered" to anyone would confirm that a person has applied, and
# would let anyone take a number first to block its holder. So the answer depends on whether the
# user may see the form that holds the number: the user's own, or their centre's (or an
# administrator) is told so and can open it; anyone else is told only that the number cannot be
# registered here and that the project office will contact them, and the administrators are told
# (audit log and outbox) who tried which number, so a squatted number is found and sorted out.

NUMBER_YOURS = _l("This ID number is already registered for this event; you can open that form from the list "
                  "of registrations.")
NUMBER_HELD = _l("This ID number cannot be registered here. The project office has been told and will contact "
                 "you.")


class NumberHeld(Conflict):
    """The ID number is on a form the user may not see. The caller rolls back, then reports it with
    `report_numbers_held` (and commits), so that the report outlives the refusal."""

    def __init__(self, holder: Registration):
        self.holder = holder
        super().__init__(NUMBER_HELD, field="id_number")


def number_taken(holder: Registration, user: User) -> Conflict:
    """The refusal for `user`, whose form carries the ID number already on `holder`."""
    return Conflict(NUMBER_YOURS, field="id_number") if may_view(holder, user) else NumberHeld(holder)


def report_numbers_held(session: Session, *, event: Event, holders: list[Registration], user: User,
                        centre: TrainingCentre | None) -> None:
    """Tell the administrators that `user` (for `centre`) entered ID numbers held by forms of `event`
    that they may not see: an audit entry, and a notification to every active administrator."""
    if not holders:
        return
    audit.record(session, "registration.number_held", target=event, actor=user,
                 after={"id_numbers": [h.id_number for h in holders], "held_by": [h.public_id for h in holders],
                        "centre": centre.code if centre else ""})
    base = current_app.config["BASE_URL"].rstrip("/")
    lines = [f"- {rules.mask_id(h.id_number)} · {h.full_name} · {h.centre.name} · {h.state.label} · "
             f"{base}{url_for('registration.detail', public_id=h.public_id)}" for h in holders]
    subject = str(_l("ID numbers already registered, entered again for %(event)s", event=event.name))
    who = f"{user.full_name} ({user.username})"
    body = str(_l("%(user)s (%(centre)s) entered %(n)d ID number(s) already registered for %(event)s on forms they "
                  "cannot see. They were told only that the project office will contact them. It may be a "
                  "mistake, a candidate registered by two centres, or someone trying numbers or taking a "
                  "person's number first; the forms that hold the numbers:",
                  user=who, centre=centre.name if centre else "—",
                  n=len(holders), event=event.name))
    for admin in session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                                 .order_by(User.id)):
        notify(session, email=admin.email, user=admin, subject=subject, body=body + "\n" + "\n".join(lines))


# --- the workflow ------------------------------------------------------------------------------


def _completeness(registration: Registration, now: datetime) -> None:
    event = registration.event
    if not registration.photo:
        raise DomainError(_l("Add a one-inch photo before submitting: a certificate without a photo is not valid."),
                          field="photo")
    if not rules.eligible(registration.education.value, minimum=event.minimum_education.value):
        raise DomainError(_l("Not eligible: %(note)s", note=eligibility_note(event)), field="education")
    data = {name: getattr(registration, name) for name in Registration.FORM_FIELDS}
    data["gender"] = registration.gender.value
    data["group"] = registration.group.value if registration.group else None
    problems = form_problems(data, event=event, today=now.date())
    if problems:
        raise InvalidForm(problems)


def _notify_applicant(session: Session, registration: Registration, subject, body) -> None:
    target = registration.applicant or registration.user
    notify(session, email=registration.email, user=target, subject=str(subject), body=str(body),
           link=detail_path(registration))


def act(session: Session, *, registration: Registration, action: str, user: User | None, now: datetime,
        comment: str = "", corrections: list[tuple[str, str]] | None = None,
        deadline: datetime | None = None) -> Registration:
    """Carry out one transition of the review workflow, if the user's role allows it from the form's
    state; everything else is refused with a message. Audited and notified to the applicant."""
    held = actors(registration, user) if user is not None else {rules.Actor.SYSTEM}
    step = next((rules.transition(registration.state.value, action, a) for a in held
                 if rules.transition(registration.state.value, action, a)), None)
    if step is None:
        raise NotAllowed(_l("This step is not allowed to you while the form is “%(state)s”.",
                            state=registration.state.label))
    before = registration.state
    if action in ("submit", "resubmit"):
        _completeness(registration, now)
        registration.submitted_at = now
        for c in registration.open_corrections:
            c.resolved_at = now
        registration.correction_deadline = None
    elif action == "centre_approve":
        registration.centre_opinion = comment or str(_l("Agreed"))
        registration.centre_approved_at = now
    elif action == "approve":
        if registration.event.require_full_hours:
            recorded = {r.course: float(r.hours) for r in registration.hours}
            missing = rules.missing_hours(registration.event.level.value, recorded)
            if missing:
                raise DomainError(_l("Training hours are incomplete: %(courses)s.",
                                     courses=", ".join(f"{k} −{v:g} h" for k, v in missing.items())))
        registration.project_opinion = comment or str(_l("Agreed"))
        registration.approved_at = now
    elif action == "return":
        _return(session, registration, corrections or [], deadline, user, now)
    elif action == "enrol":
        _enrol(session, registration, now)
    elif action in ("reject", "withdraw", "expire"):
        if action == "reject" and not comment.strip():
            raise DomainError(_l("Give the reason for the rejection."), field="comment")
        expired = str(_l("Not corrected by the deadline.")) if action == "expire" else ""
        registration.closed_reason = comment or expired
    registration.state = State(step.target.value)
    session.flush()
    audit.record(session, f"registration.{action}", target=registration, actor=user, comment=comment,
                 before={"state": before.value}, after={"state": registration.state.value})
    _notify_centre(session, registration, action, user)
    _notify_applicant(session, registration, *_message(registration, action))
    return registration


def _return(session: Session, registration: Registration, corrections: list[tuple[str, str]],
            deadline: datetime | None, user: User, now: datetime) -> None:
    """Return the form with every correction at once and one deadline (seed 003, 三(三)4)."""
    corrections = [(f, c.strip()) for f, c in corrections if c and c.strip()]
    if not corrections:
        raise DomainError(_l("List at least one field to correct, with a comment."), field="corrections")
    unknown = [f for f, _c in corrections if f not in rules.CORRECTABLE]
    if unknown:
        raise DomainError(_l("Unknown field: %(f)s", f=", ".join(unknown)), field="corrections")
    deadline = deadline or now + timedelta(days=registration.event.correction_days)
    if deadline <= now:
        raise DomainError(_l("The deadline must be in the future."), field="deadline")
    round_ = max((c.round for c in registration.corrections), default=0) + 1
    for field, comment in corrections:
        registration.corrections.append(Correction(round=round_, field=field, comment=comment[:500], created_at=now,
                                                   created_by_id=getattr(user, "id", None)))
    registration.correction_deadline = deadline


def _message(registration: Registration, action: str) -> tuple[str, str]:
    name, event = registration.full_name, registration.event.name
    if action == "return":
        lines = [f"- {FIELD_LABELS.get(c.field, c.field)}: {c.comment}" for c in registration.open_corrections]
        deadline = format_datetime(registration.correction_deadline, "yyyy-MM-dd HH:mm")
        return (str(_l("Your registration needs corrections")),
                str(_l("Dear %(name)s, your registration for %(event)s was returned. Please correct all of the "
                       "following by %(deadline)s, or the form will be withdrawn:", name=name, event=event,
                       deadline=deadline)) + "\n" + "\n".join(lines))
    subjects = {
        "submit": _l("Registration submitted"), "resubmit": _l("Corrected registration submitted"),
        "centre_approve": _l("Registration approved by the training centre"),
        "approve": _l("Registration approved by the project centre"), "enrol": _l("You are enrolled"),
        "reject": _l("Registration rejected"), "withdraw": _l("Registration withdrawn"),
        "expire": _l("Registration withdrawn: not corrected in time"),
    }
    body = str(_l("Dear %(name)s, the state of your registration for %(event)s is now: %(state)s.", name=name,
                  event=event, state=registration.state.label))
    if action == "enrol":
        body += "\n" + str(_l("Candidate number: %(number)s. Download your admission ticket from the platform.",
                              number=registration.candidate_number))
    if registration.closed_reason and action in ("reject", "expire"):
        body += "\n" + registration.closed_reason
    return str(subjects[action]), body


FIELD_LABELS = {
    "full_name": _l("Full name"), "gender": _l("Gender"), "birth_date": _l("Date of birth"),
    "education": _l("Education"),
    "title": _l("Title or position"), "employer": _l("Employer"), "phone": _l("Phone"), "address": _l("Address"),
    "email": _l("E-mail"), "id_number": _l("ID number"), "resume": _l("Résumé"),
    "training_history": _l("Training history"), "photo": _l("Photo"), "group": _l("Group"),
}


@scheduler.job("registration.expire_returned", trigger="interval", minutes=10)
def expire_returned(session: Session, *, now: datetime) -> int:
    """Withdraw every form returned for correction and not resubmitted by its deadline."""
    overdue = session.scalars(select(Registration).where(Registration.state == State.RETURNED,
                                                         Registration.correction_deadline < now)
                              .with_for_update(skip_locked=True)).all()
    for registration in overdue:
        act(session, registration=registration, action="expire", user=None, now=now)
    return len(overdue)



def detail_path(registration: Registration) -> str:
    """The path of the form's page, for a notification's link."""
    return path_for("registration.detail", public_id=registration.public_id)


# The steps the candidate's training centre is told of in the app (issue 15): it follows its candidates.
CENTRE_TOLD = {"return", "centre_approve", "approve", "reject", "enrol", "expire"}


def _notify_centre(session: Session, registration: Registration, action: str, user: User | None) -> None:
    """Tell the active staff of the form's training centre (in the app; not the one who acted)."""
    if action not in CENTRE_TOLD:
        return
    staff = session.scalars(select(User).where(User.role == Role.CENTRE_STAFF, User.active.is_(True),
                                               User.centre_id == registration.centre_id)
                            .order_by(User.id)).all()
    staff = [s for s in staff if user is None or s.id != user.id]
    if not staff:
        return
    subject, body = _centre_message(registration, action)
    link = detail_path(registration)
    for member in staff:
        notify(session, email="", user=member, subject=subject, body=body, link=link)


def _centre_message(registration: Registration, action: str) -> tuple[str, str]:
    name, event = registration.full_name, registration.event.name
    if action == "return":
        lines = [f"- {FIELD_LABELS.get(c.field, c.field)}: {c.comment}" for c in registration.open_corrections]
        deadline = format_datetime(registration.correction_deadline, "yyyy-MM-dd HH:mm")
        return (str(_l("%(name)s: the registration needs corrections", name=name)),
                str(_l("The registration of %(name)s for %(event)s was returned. All of the following must be "
                       "corrected by %(deadline)s, or the form will be withdrawn:", name=name, event=event,
                       deadline=deadline)) + "\n" + "\n".join(lines))
    body = str(_l("The registration of %(name)s for %(event)s is now: %(state)s.", name=name, event=event,
                  state=registration.state.label))
    if action == "enrol":
        body += "\n" + str(_l("Candidate number: %(number)s.", number=registration.candidate_number))
    if registration.closed_reason and action in ("reject", "expire"):
        body += "\n" + registration.closed_reason
    return str(_l("%(name)s: %(state)s", name=name, state=registration.state.label)), body

# --- enrolment ---------------------------------------------------------------------------------


def _enrol(session: Session, registration: Registration, now: datetime) -> None:
    """A candidate number, an exam account (created, or the applicant's own), a session and seat,
    and a place on the event's exams."""
    event = session.scalar(select(Event).filter_by(id=registration.event_id).with_for_update())
    count = session.scalar(select(func.count(Registration.id)).where(Registration.event_id == event.id,
                                                                     Registration.candidate_number.is_not(None)))
    registration.candidate_number = f"{event.code}{count + 1:04d}"
    user = registration.applicant
    if user is None:
        password = accounts.random_password()
        user = accounts.create_user(session, username=registration.candidate_number.lower(),
                                    full_name=registration.full_name, role=Role.CANDIDATE, password=password,
                                    email=registration.email, must_change_password=True, random_password=True)
        notify(session, email=registration.email, user=user, subject=str(_l("Your exam account")),
               body=str(_l("Username: %(username)s\nInitial password: %(password)s\nYou will choose your own "
                           "password at the first sign-in.", username=user.username, password=password)),
               sensitive=True)
        session.add(AccountSlip(registration=registration, secret=password, created_at=now))
    registration.user = user
    registration.enrolled_at = now
    _assign_seat(session, registration)
    signals.enrolled.send(session, registration=registration)


def _assign_seat(session: Session, registration: Registration) -> None:
    for candidate_session in registration.event.sessions:
        taken = set(session.scalars(select(Registration.seat).where(
            Registration.session_id == candidate_session.id, Registration.seat.is_not(None))))
        free = next((n for n in range(1, candidate_session.seats + 1) if n not in taken), None)
        if free is not None:
            registration.session, registration.seat = candidate_session, free
            return


def record_hours(session: Session, *, registration: Registration, hours: dict[str, Decimal], user: User,
                 now: datetime) -> None:
    if rules.Actor.CENTRE not in actors(registration, user):
        raise NotAllowed(_l("Only the candidate's training centre records training hours."))
    courses = {c.code: c for c in rules.COURSES.get(registration.event.level.value, ())}
    existing = {r.course: r for r in registration.hours}
    for code, value in hours.items():
        if code not in courses:
            raise DomainError(_l("Unknown course %(code)s.", code=code))
        if value < 0 or value > courses[code].hours * 2:
            raise DomainError(_l("Hours for %(course)s must be between 0 and %(max)d.", course=courses[code].name,
                                 max=courses[code].hours * 2))
        record = existing.get(code)
        if record is None:
            registration.hours.append(TrainingRecord(course=code, hours=value, recorded_at=now,
                                                     recorded_by_id=user.id))
        else:
            record.hours, record.recorded_at, record.recorded_by_id = value, now, user.id
    session.flush()
    audit.record(session, "registration.hours", target=registration, actor=user,
                 after={k: str(v) for k, v in hours.items()})


def check_in(session: Session, *, registration: Registration, user: User, now: datetime) -> bool:
    """Mark attendance on exam day; False when the candidate was already checked in."""
    if registration.state is not State.ENROLLED:
        raise DomainError(_l("This candidate is not enrolled."))
    if registration.checked_in_at is not None:
        return False
    registration.checked_in_at = now
    audit.record(session, "registration.check_in", target=registration, actor=user)
    return True


def sign_in_url() -> str:
    """Where candidates sign in to the theory exam, as printed on tickets and account slips."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.login")


def check_in_url(registration: Registration) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("registration.check_in_candidate", public_id=registration.public_id)


# --- for other packages: bulk reads --------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """Some of an event's registrations that wait for something: how many, and the first of them
    (candidate number or name, and the registration's public id) for a list with links."""

    count: int
    first: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RegistrationDigest:
    """An event's registrations at a glance, for the event's cockpit."""

    by_state: dict[str, int]
    by_centre: dict[str, dict[str, int]]  # centre name -> state -> count
    awaiting_centre: Waiting  # submitted: the training centre reviews first
    awaiting_project: Waiting  # approved by the centre: the project office reviews
    returned: Waiting
    overdue: int  # returned and past the correction deadline
    approved: Waiting  # approved, not yet enrolled
    without_seat: Waiting  # enrolled, no session or seat
    without_photo: Waiting  # enrolled, no photo (the certificate carries one)
    slips_pending: int  # account slips not yet handed over


@dataclass(frozen=True)
class CentreDigest:
    """What a training centre must do, across its events: returned forms first (with their
    deadlines), then drafts to submit, forms to review, and account slips to hand over."""

    returned: tuple  # (full name, event name, deadline, public id), soonest deadline first
    counts: dict  # event -> state -> count
    slips: dict  # event -> slips not yet handed over


def centre_digest(session: Session, centre_id: int, *, first: int = 10) -> CentreDigest:
    """Three statements however many candidates the centre has."""
    returned = session.execute(
        select(Registration.full_name, Event.name, Registration.correction_deadline, Registration.public_id)
        .join(Event).where(Registration.centre_id == centre_id, Registration.state == State.RETURNED)
        .order_by(Registration.correction_deadline, Registration.id).limit(first)).all()
    counts: dict = {}
    for event, state, n in session.execute(
            select(Event, Registration.state, func.count()).join(Event)
            .where(Registration.centre_id == centre_id)
            .group_by(Event.id, Registration.state).order_by(Event.registration_opens.desc())):
        counts.setdefault(event, {})[state.value] = n
    slips = dict(session.execute(
        select(Registration.event_id, func.count(AccountSlip.id)).join(Registration)
        .where(Registration.centre_id == centre_id, AccountSlip.secret.is_not(None))
        .group_by(Registration.event_id)).all())
    return CentreDigest(tuple(tuple(r) for r in returned), counts, {e: slips.get(e.id, 0) for e in counts})


def event_digest(session: Session, event: Event, *, now: datetime, first: int = 8) -> RegistrationDigest:
    """A fixed number of statements however many registrations the event has."""
    by_state: dict[str, int] = {}
    by_centre: dict[str, dict[str, int]] = {}
    for centre, state, n in session.execute(
            select(TrainingCentre.name, Registration.state, func.count()).join(TrainingCentre)
            .where(Registration.event_id == event.id).group_by(TrainingCentre.name, Registration.state)):
        by_state[state.value] = by_state.get(state.value, 0) + n
        by_centre.setdefault(centre, {})[state.value] = n

    def waiting(*conditions) -> Waiting:
        query = select(Registration.candidate_number, Registration.full_name, Registration.public_id).where(
            Registration.event_id == event.id, *conditions)
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.execute(query.order_by(Registration.candidate_number, Registration.id).limit(first))
        return Waiting(total, tuple((f"{r.candidate_number} {r.full_name}" if r.candidate_number else r.full_name,
                                     r.public_id) for r in rows))

    enrolled = Registration.state == State.ENROLLED
    return RegistrationDigest(
        by_state=by_state, by_centre=by_centre,
        awaiting_centre=waiting(Registration.state == State.SUBMITTED),
        awaiting_project=waiting(Registration.state == State.CENTRE_APPROVED),
        returned=waiting(Registration.state == State.RETURNED),
        overdue=session.scalar(select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.state == State.RETURNED,
            Registration.correction_deadline < now)) or 0,
        approved=waiting(Registration.state == State.APPROVED),
        without_seat=waiting(enrolled, Registration.seat.is_(None)),
        without_photo=waiting(enrolled, Registration.photo.is_(None)),
        slips_pending=session.scalar(select(func.count(AccountSlip.id)).join(Registration).where(
            Registration.event_id == event.id, AccountSlip.secret.is_not(None))) or 0,
    )


@dataclass(frozen=True)
class SeatCard:
    """What a hall shows of an enrolled candidate: their number and photo."""

    registration: str  # the registration's public id
    candidate_number: str
    photo: str | None


def seat_cards(session: Session, *, event_id: int | None, user_ids: list[int]) -> dict[int, SeatCard]:
    """The enrolled registrations of `event_id` for these accounts, by user id: one query."""
    if event_id is None or not user_ids:
        return {}
    rows = session.execute(select(Registration.user_id, Registration.public_id, Registration.candidate_number,
                                  Registration.photo).where(Registration.event_id == event_id,
                                                            Registration.state == State.ENROLLED,
                                                            Registration.user_id.in_(user_ids)))
    return {r.user_id: SeatCard(r.public_id, r.candidate_number or "", r.photo) for r in rows}


def photo_folder():
    """Where registration photos are kept (served only after a caller's own access check)."""
    return uploads.folder(PHOTO_FOLDER)


def counts_by_event(session: Session, event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Registrations per event and state, in one statement: {event_id: {state: n}} (a bulk read
    for the administrator's overview; states with none are absent)."""
    if not event_ids:
        return {}
    out: dict[int, dict[str, int]] = {i: {} for i in event_ids}
    rows = session.execute(select(Registration.event_id, Registration.state, func.count())
                           .where(Registration.event_id.in_(event_ids))
                           .group_by(Registration.event_id, Registration.state))
    for event_id, state, n in rows:
        out[event_id][state.value] = n
    return out


# --- bulk work on many forms (issue 15) -----------------------------------------------------------
# One action on the forms selected in the list, each through the service a single form uses (act,
# assign_session), one after the other in the caller's transaction. Each form has its savepoint: a
# form that the workflow refuses is rolled back whole and reported with the reason, and the others
# stand; the caller commits once.

audit.describe({"registration.bulk": _l("Bulk action on registrations"),
                "registration.session_assign": _l("Exam session assigned")})

BULK_ACTIONS = ("submit", "approve", "return", "enrol", "assign_session")
BULK_MAX = 2000


@dataclass(frozen=True)
class Skipped:
    public_id: str
    full_name: str
    reason: str


@dataclass(frozen=True)
class BulkResult:
    action: str
    done: list[Registration]
    skipped: list[Skipped]


def bulk_act(session: Session, *, registrations: list[Registration], action: str, user: User, now: datetime,
             comment: str = "", corrections: list[tuple[str, str]] | None = None,
             deadline: datetime | None = None, event_session: EventSession | None = None) -> BulkResult:
    """`action` on every form of `registrations` that the workflow allows to `user`: "submit" (or
    resubmit a returned form), "approve" (the centre's approval for its staff, the project
    centre's for an administrator), "return" (the same corrections for each), "enrol",
    "assign_session". The refused ones are skipped, each with its reason."""
    if action not in BULK_ACTIONS:
        raise DomainError(_l("Unknown action."))
    if not registrations:
        raise DomainError(_l("Select at least one registration."))
    if len(registrations) > BULK_MAX:
        raise DomainError(_l("At most %(n)d forms at once: narrow the filter.", n=BULK_MAX))
    if action == "return" and not any(c.strip() for _f, c in corrections or ()):
        raise DomainError(_l("List at least one field to correct, with a comment."), field="corrections")
    if action == "assign_session" and event_session is None:
        raise DomainError(_l("Choose a session."), field="session")
    # Written first, and flushed: on SQLite the savepoints below then nest in this transaction
    # (pysqlite opens it only at a first write; a savepoint released before would commit alone).
    audit.record(session, "registration.bulk", actor=user, comment=comment,
                 after={"action": action, "forms": [r.public_id for r in registrations],
                        "session": event_session.id if event_session else None})
    session.flush()
    done, skipped = [], []
    for registration in registrations:
        try:
            with session.begin_nested():
                _bulk_one(session, registration, action, user=user, now=now, comment=comment,
                          corrections=corrections, deadline=deadline, event_session=event_session)
        except InvalidForm as exc:
            reason = "; ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in exc.problems.items())
        except DomainError as exc:
            reason = str(exc.message)
        else:
            done.append(registration)
            continue
        skipped.append(Skipped(registration.public_id, registration.full_name, reason))
    return BulkResult(action, done, skipped)


def _bulk_one(session: Session, registration: Registration, action: str, *, user: User, now: datetime,
              comment: str, corrections, deadline, event_session) -> None:
    if action == "assign_session":
        assign_session(session, registration=registration, event_session=event_session, user=user)
        return
    if action == "submit":
        action = "resubmit" if registration.state is State.RETURNED else "submit"
    elif action == "approve":
        action = "centre_approve" if rules.Actor.CENTRE in actors(registration, user) else "approve"
    act(session, registration=registration, action=action, user=user, now=now,
        comment=comment if action in ("centre_approve", "approve") else "",
        corrections=corrections if action == "return" else None, deadline=deadline)


def assign_session(session: Session, *, registration: Registration, event_session: EventSession,
                   user: User) -> None:
    """Move an enrolled candidate to another session of their event, on its first free seat."""
    if rules.Actor.PROJECT not in actors(registration, user):
        raise NotAllowed(_l("Only the project centre assigns exam sessions."))
    if registration.state is not State.ENROLLED:
        raise DomainError(_l("Only an enrolled candidate has an exam session."))
    if event_session.event_id != registration.event_id:
        raise DomainError(_l("The session %(session)s belongs to another event.", session=event_session.name))
    if registration.session_id == event_session.id:
        raise DomainError(_l("Already in the session %(session)s.", session=event_session.name))
    session.scalar(select(EventSession.id).where(EventSession.id == event_session.id).with_for_update())
    taken = set(session.scalars(select(Registration.seat).where(Registration.session_id == event_session.id,
                                                                Registration.seat.is_not(None))))
    seat = next((n for n in range(1, event_session.seats + 1) if n not in taken), None)
    if seat is None:
        raise DomainError(_l("The session %(session)s is full.", session=event_session.name))
    before = {"session": str(registration.session or ""), "seat": registration.seat}
    registration.session, registration.seat = event_session, seat
    session.flush()
    audit.record(session, "registration.session_assign", target=registration, actor=user, before=before,
                 after={"session": str(event_session), "seat": seat})
    _notify_applicant(session, registration, _l("Your exam session has changed"),
                      _l("Dear %(name)s, your exam session for %(event)s is now %(session)s, seat %(seat)d. "
                         "Download your admission ticket again.", name=registration.full_name,
                         event=registration.event.name, session=str(event_session), seat=seat))
