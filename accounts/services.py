"""Account services: sign-in with throttle, users and centres. They flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import rules
from accounts.models import LoginAttempt, Role, TrainingCentre, User
from core import audit
from core.errors import Conflict, DomainError, Throttled
from core.extensions import scheduler

# Compared against when the username is unknown, so both cases cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


# --- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None = None


def authenticate(
    session: Session, *, username: str, password: str, address: str, now: datetime
) -> SignIn:
    """Check a sign-in. Raises Throttled before looking at the password when the account or the
    address has failed too often; otherwise records the attempt (the caller commits either way)."""
    cfg = current_app.config
    username = normalise_username(username)
    window_start = now - timedelta(seconds=cfg["LOGIN_THROTTLE_WINDOW"])
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, last_success) if last_success else window_start
    account_failures = session.scalars(
        select(LoginAttempt.at).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
        )
    ).all()
    address_failures = session.scalars(
        select(LoginAttempt.at).where(
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > window_start,
        )
    ).all()
    decision = rules.login_throttle(
        account_failures=account_failures,
        address_failures=address_failures,
        now=now,
        window_seconds=cfg["LOGIN_THROTTLE_WINDOW"],
        per_account=cfg["LOGIN_THROTTLE_PER_ACCOUNT"],
        per_address=cfg["LOGIN_THROTTLE_PER_ADDRESS"],
    )
    if not decision.allowed:
        minutes = max(1, (decision.retry_after + 59) // 60)
        if decision.scope is rules.ThrottleScope.ACCOUNT:
            message = _l(
                "Too many failed sign-ins for this account. Try again in %(minutes)d minute(s), "
                "or ask an administrator to reset the password.",
                minutes=minutes,
            )
        else:
            message = _l(
                "Too many failed sign-ins from this computer. Try again in %(minutes)d minute(s).",
                minutes=minutes,
            )
        raise Throttled(message, retry_after=decision.retry_after)

    user = find_user(session, username)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    session.add(LoginAttempt(username=username[:40], address=address, succeeded=ok, at=now))
    if not ok:
        return SignIn(None, str(_l("Wrong username or password.")))
    if not user.active:
        return SignIn(None, str(_l("This account is disabled. Please contact the administrator.")))
    user.last_login_at = now
    audit.record(session, "auth.login", target=user, actor=user)
    return SignIn(user)


@scheduler.job("accounts.purge_login_attempts", trigger="interval", hours=1)
def purge_login_attempts(session: Session, *, now: datetime) -> int:
    """Delete sign-in attempts older than a day (the throttle looks back minutes)."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    return result.rowcount


# --- users -----------------------------------------------------------------------------------


def _check_username_free(session: Session, username: str, *, exclude: User | None = None) -> None:
    other = find_user(session, username)
    if other is not None and other is not exclude:
        raise Conflict(_l("The username %(username)s is taken.", username=username), field="username")


# Staff belong to a centre; a referee may name their home centre, so that they are never assigned
# to mark that centre's candidates (conflict of interest).
CENTRE_ROLES = {Role.CENTRE_STAFF, Role.REFEREE, Role.CHIEF_REFEREE}


def _check_centre(role: Role, centre: TrainingCentre | None) -> None:
    if role is Role.CENTRE_STAFF and centre is None:
        raise DomainError(_l("Training centre staff must belong to a centre."), field="centre")


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str,
    email: str = "",
    centre: TrainingCentre | None = None,
    must_change_password: bool = False,
) -> User:
    username = normalise_username(username)
    _check_username_free(session, username)
    _check_centre(role, centre)
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        role=role,
        centre=centre if role in CENTRE_ROLES else None,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user.create", target=user, after=audit.snapshot(user, User.AUDITED_FIELDS))
    return user


def _remaining_admins(session: Session, *, excluding: User) -> int:
    return session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != excluding.id
        )
    )


def update_user(
    session: Session,
    *,
    user: User,
    actor: User,
    full_name: str,
    email: str,
    role: Role,
    centre: TrainingCentre | None,
    active: bool,
) -> User:
    _check_centre(role, centre)
    losing_admin = user.role is Role.ADMIN and user.active and (role is not Role.ADMIN or not active)
    if losing_admin and user.id == actor.id:
        raise DomainError(_l("You cannot disable your own account or remove your own admin role."))
    if losing_admin and _remaining_admins(session, excluding=user) == 0:
        raise DomainError(_l("At least one active administrator must remain."))
    before = audit.snapshot(user, User.AUDITED_FIELDS)
    user.full_name = full_name
    user.email = email
    user.role = role
    user.centre = centre if role in CENTRE_ROLES else None
    if user.active and not active:
        user.session_version += 1  # end the user's open sessions at once
    user.active = active
    session.flush()
    after = audit.snapshot(user, User.AUDITED_FIELDS)
    if after != before:
        action = "user.update"
        if before["active"] != after["active"]:
            action = "user.enable" if active else "user.disable"
        audit.record(session, action, target=user, before=before, after=after)
    return user


def set_password(session: Session, *, user: User, password: str, by_admin: bool) -> None:
    """Set a new password and end every other session of the user."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    user.must_change_password = by_admin
    session.flush()
    audit.record(session, "user.password_reset" if by_admin else "user.password_change", target=user)


def change_own_password(session: Session, *, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise DomainError(_l("The current password is wrong."), field="current_password")
    if current == new:
        raise DomainError(_l("The new password must differ from the current one."), field="new_password")
    set_password(session, user=user, password=new, by_admin=False)


# --- centres ---------------------------------------------------------------------------------

CENTRE_FIELDS = ["code", "name", "contact_name", "phone", "address", "active"]


def save_centre(session: Session, *, centre: TrainingCentre | None, **fields) -> TrainingCentre:
    code = fields["code"].upper()
    clash = session.scalar(select(TrainingCentre).where(TrainingCentre.code == code))
    if clash is not None and clash is not centre:
        raise Conflict(_l("The centre code %(code)s is taken.", code=code), field="code")
    before = audit.snapshot(centre, CENTRE_FIELDS) if centre else None
    if centre is None:
        centre = TrainingCentre()
        session.add(centre)
    for key, value in fields.items():
        setattr(centre, key, value)
    centre.code = code
    session.flush()
    after = audit.snapshot(centre, CENTRE_FIELDS)
    if after != before:
        action = "centre.create" if before is None else "centre.update"
        audit.record(session, action, target=centre, before=before, after=after)
    return centre
