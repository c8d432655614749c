"""Account services: sign-in with throttle, users and centres. They flush, never commit."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import rules
from accounts.models import LoginAttempt, Role, TrainingCentre, User
from core import addresses, audit, throttle
from core.errors import Conflict, DomainError, Throttled
from core.extensions import scheduler

audit.describe({
    "auth.login": _l("Signed in"), "user.create": _l("Account created"), "user.update": _l("Account changed"),
    "user.enable": _l("Account enabled"), "user.disable": _l("Account disabled"),
    "user.password_reset": _l("Password reset by an administrator"), "user.password_change": _l("Password changed"),
    "user.unlock_sign_in": _l("Sign-in unlocked"), "centre.create": _l("Training centre added"),
    "centre.update": _l("Training centre changed"),
})


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked when the username is unknown: made with the same method as real hashes, so an
    unknown name costs what a known one does (issue 12 M5)."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def hash_password(password: str, *, random: bool = False) -> str:
    """A person's password gets the slow, memory-hard hash (scrypt in production) that makes
    guessing a weak one offline costly. A password the platform drew itself (`random`: 72 random
    bits, an initial password that must be changed at the first sign-in) cannot be guessed at any
    hashing speed, so it gets RANDOM_PASSWORD_HASH_METHOD: enrolling 300 candidates no longer
    spends a minute hashing."""
    method = current_app.config["RANDOM_PASSWORD_HASH_METHOD" if random else "PASSWORD_HASH_METHOD"]
    return generate_password_hash(password, method=method)


def random_password() -> str:
    """An initial password: 72 random bits, in 12 URL-safe characters."""
    return secrets.token_urlsafe(9)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


# --- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    user: User | None
    error: str | None = None


def _login_buckets(username: str, address: str) -> list[tuple[str, throttle.Policy, rules.ThrottleScope]]:
    """The throttle buckets a sign-in of `username` from `address` counts against (config.py says
    why these three)."""
    cfg = current_app.config
    client = addresses.client_key(address)
    hall = addresses.in_networks(address, cfg["HALL_NETWORKS"])

    def policy(free: int) -> throttle.Policy:
        return throttle.Policy(free=free, window=cfg["LOGIN_THROTTLE_WINDOW"], backoff=cfg["LOGIN_BACKOFF"],
                               backoff_max=cfg["LOGIN_BACKOFF_MAX"])

    buckets = [
        (f"login:pair:{username}|{client}", policy(cfg["LOGIN_THROTTLE_PER_PAIR"]), rules.ThrottleScope.ACCOUNT),
        (f"login:addr:{client}",
         policy(cfg["LOGIN_THROTTLE_PER_HALL_ADDRESS"] if hall else cfg["LOGIN_THROTTLE_PER_ADDRESS"]),
         rules.ThrottleScope.ADDRESS),
    ]
    if not hall:
        buckets.append((f"login:acct:{username}", policy(cfg["LOGIN_THROTTLE_PER_ACCOUNT"]),
                        rules.ThrottleScope.ACCOUNT))
    return buckets


def _throttled(scope: rules.ThrottleScope, wait: int) -> Throttled:
    minutes = max(1, (wait + 59) // 60)
    if scope is rules.ThrottleScope.ACCOUNT:
        message = _l("Too many failed sign-ins for this account. Try again in %(minutes)d minute(s), "
                     "or ask the invigilator or an administrator to unlock it.", minutes=minutes)
    else:
        message = _l("Too many failed sign-ins from this computer. Try again in %(minutes)d minute(s).",
                     minutes=minutes)
    return Throttled(message, retry_after=wait)


def authenticate(
    session: Session, *, username: str, password: str, address: str, now: datetime
) -> SignIn:
    """Check a sign-in against the throttle (core/throttle.py) and the password.

    A throttled sign-in is refused before the password is looked at. Otherwise the password is
    checked first and the outcome is then recorded by compare-and-set: a failure counts against
    every bucket, and a sign-in that another request's failure has just throttled is refused (the
    caller rolls back), so concurrent guesses never get more checks than the limit leaves
    (issue 12 M6). A success clears the account's buckets for this address. The caller commits."""
    username = normalise_username(username)
    buckets = _login_buckets(username, address)

    def refusal() -> Throttled | None:
        waits = [(throttle.check(session, key, policy, now=now), scope) for key, policy, scope in buckets]
        wait, scope = max(waits, key=lambda w: w[0])
        return _throttled(scope, wait) if wait else None

    refused = refusal()
    if refused:
        raise refused
    user = find_user(session, username)
    ok = check_password_hash(
        user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    if not ok:
        for key, policy, scope in buckets:
            wait = throttle.hit(session, key, policy, now=now)
            if wait:
                raise _throttled(scope, wait)
        session.add(LoginAttempt(username=username[:40], address=address[:64], succeeded=False, at=now))
        return SignIn(None, str(_l("Wrong username or password.")))
    refused = refusal()  # read again: the hash took a while, and other guesses may have landed
    if refused:
        raise refused
    session.add(LoginAttempt(username=username[:40], address=address[:64], succeeded=True, at=now))
    if not user.active:
        return SignIn(None, str(_l("This account is disabled. Please contact the administrator.")))
    throttle.clear(session, buckets[0][0])
    user.last_login_at = now
    audit.record(session, "auth.login", target=user, actor=user)
    return SignIn(user)


def unlock_sign_in(session: Session, *, user: User, actor: User) -> int:
    """Clear every sign-in throttle of the account (typos behind a hall's NAT, or a deliberate
    lock-out by someone who knew the username). Audited."""
    removed = throttle.clear(session, f"login:acct:{user.username}", prefix=f"login:pair:{user.username}|")
    audit.record(session, "user.unlock_sign_in", target=user, actor=actor, after={"buckets": removed})
    return removed


def throttled_usernames(session: Session, *, usernames, now: datetime) -> set[str]:
    """Which of `usernames` have recent failed sign-ins held against them (one query, for a page
    that lists many accounts: an invigilator's seat map)."""
    wanted = set(usernames)
    recent = timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW"])
    prefixes = [p for name in wanted for p in (f"login:pair:{name}|", f"login:acct:{name}")]
    return {key.split(":", 2)[2].split("|", 1)[0]
            for key in throttle.held(session, prefixes=prefixes, now=now, older_than=recent)} & wanted


def is_sign_in_throttled(session: Session, *, user: User, now: datetime) -> bool:
    """Whether the account has recent failed sign-ins held against it (the admin's user page)."""
    return user.username in throttled_usernames(session, usernames=[user.username], now=now)


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
    random_password: bool = False,
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
        password_hash=hash_password(password, random=random_password),
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


def end_sessions(session: Session, *, user: User) -> None:
    """End every session of the user (signing out): their cookies no longer name a valid login."""
    user.session_version += 1
    session.flush()


def set_password(session: Session, *, user: User, password: str, by_admin: bool, random: bool = False) -> None:
    """Set a new password and end every other session of the user (`random`: see hash_password)."""
    user.password_hash = hash_password(password, random=random)
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
