"""API keys (issued, revoked, authenticated, rate-limited) and the employers' answers: one pair of
number and name through the API, a whole sheet through the Excel check. Both answer as the verify
page does (certificates.services: the same match, the same status), read every certificate of a
sheet in a constant number of queries, and are logged in the same verification log."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_number, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from accounts.models import Role, User
from certificates import rules, services, verifylog
from certificates.employers import sheet as sheets
from certificates.employers.models import ApiKey, RatePeriod
from certificates.models import Certificate, Verification
from core import addresses, audit, throttle
from core.errors import DomainError, Throttled
from core.forms import text_problem

audit.describe({"api_key.issue": _l("API key issued"), "api_key.revoke": _l("API key revoked")})

SECRET_PREFIX = "iiomk_"
SHOWN = len(SECRET_PREFIX) + 6  # characters of the secret kept in clear, to recognise a key by
SECRET_MAX = 200  # longer is no key of ours: not even hashed
STATUSES = ("valid", "revoked", "expired", "superseded", "not_found")


def status_labels() -> dict[str, str]:
    """Each status as the verify page words it (and "not checked", for an incomplete row)."""
    return {"valid": _("Valid"), "revoked": _("Revoked"), "expired": _("Expired"), "superseded": _("Superseded"),
            "not_found": _("Not found"), "not_checked": _("Not checked")}


# --- keys ----------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def demo_secret(password: str) -> str:
    """The demo key's secret, derived from DEMO_PASSWORD, so that the README's curl works as typed."""
    mac = hmac.new(password.encode(), b"iiom demo API key", hashlib.sha256).hexdigest()
    return f"{SECRET_PREFIX}demo_{mac[:40]}"


def issue_key(session: Session, *, label: str, owner: User | None, rate_limit: int, rate_period: RatePeriod,
              actor: User | None, now: datetime, secret: str | None = None) -> tuple[ApiKey, str]:
    """A new key and its secret, which only the caller ever sees (the database keeps its SHA-256)."""
    label = (label or "").strip()
    if not label or len(label) > 120:
        raise DomainError(_l("Name the organisation the key is for (at most 120 characters)."), field="label")
    if owner is not None and (owner.role is not Role.EMPLOYER or not owner.active):
        raise DomainError(_l("A key's owner is an active employer account."), field="owner")
    if not 1 <= rate_limit <= 100_000:
        raise DomainError(_l("The allowance is between 1 and 100,000 requests."), field="rate_limit")
    secret = secret or new_secret()
    key = ApiKey(label=label, prefix=secret[:SHOWN], secret_hash=digest(secret), owner_id=owner.id if owner else None,
                 rate_limit=rate_limit, rate_period=rate_period, issued_at=now,
                 issued_by_id=actor.id if actor else None)
    session.add(key)
    session.flush()
    audit.record(session, "api_key.issue", target=key, actor=actor,
                 after={"label": label, "prefix": key.prefix, "owner": owner.username if owner else None,
                        "rate": f"{rate_limit}/{rate_period.value}"})
    return key, secret


def revoke_key(session: Session, *, key: ApiKey, actor: User, now: datetime) -> None:
    if key.revoked_at is not None:
        raise DomainError(_l("This key is revoked already."))
    key.revoked_at, key.revoked_by_id = now, actor.id
    audit.record(session, "api_key.revoke", target=key, actor=actor, before={"revoked": False},
                 after={"revoked": True})


class KeyRefused(DomainError):
    """No key, or one that is wrong, revoked or whose owner is disabled (one message for all)."""

    status_code = 401

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.code = code


def _failures_policy() -> throttle.Policy:
    config = current_app.config
    return throttle.Policy(free=config["API_KEY_FAILURES_PER_ADDRESS"], window=config["API_KEY_FAILURE_WINDOW"])


def authenticate(session: Session, *, secret: str | None, address: str, now: datetime) -> ApiKey:
    """The active key whose secret this is. An address that sent API_KEY_FAILURES_PER_ADDRESS wrong
    keys waits (Throttled) before any key of it is even looked at; a wrong key raises KeyRefused
    after counting the failure, which the caller commits (the only thing such a request changes)."""
    if not secret:
        raise KeyRefused(_l("An API key is required: send it as “Authorization: Bearer <key>”."), code="missing_key")
    bucket = f"api-key-fail:addr:{addresses.client_key(address)}"
    wait = throttle.check(session, bucket, _failures_policy(), now=now)
    if wait:
        raise Throttled(_l("Too many wrong API keys from this address. Try again in %(n)d minutes.",
                           n=math.ceil(wait / 60)), retry_after=wait)
    key = None
    if len(secret) <= SECRET_MAX and secret.startswith(SECRET_PREFIX):
        key = session.scalar(select(ApiKey).filter_by(secret_hash=digest(secret)))
    if key is None or key.revoked_at is not None or (key.owner is not None and not key.owner.active):
        throttle.hit(session, bucket, _failures_policy(), now=now)
        raise KeyRefused(_l("The API key is not valid: it is wrong or has been revoked."), code="invalid_key")
    return key


def take_request(session: Session, *, key: ApiKey, now: datetime) -> None:
    """Count one request against the key's allowance (a throttle bucket taken atomically, as the
    lookup's are); Throttled when it is spent, and the caller's rollback then changes nothing."""
    policy = throttle.Policy(free=key.rate_limit, window=key.rate_period.seconds)
    wait = throttle.hit(session, f"api-key:{key.id}", policy, now=now)
    if wait:
        raise Throttled(_l("This key's allowance of %(n)s requests %(period)s is used up. Try again in "
                           "%(s)d seconds.", n=format_number(key.rate_limit), period=key.rate_period.label,
                           s=wait), retry_after=wait)


def _used(session: Session, key: ApiKey, now: datetime) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key.id)
                    .values(use_count=ApiKey.use_count + 1, last_used_at=now)
                    .execution_options(synchronize_session=False))


# --- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    certificate: Certificate | None
    status: str
    reason: str | None = None  # why nothing was found: number_malformed, name_mismatch, number_unknown


def judge(session: Session, pairs, *, now: datetime) -> dict[tuple[str, str], Verdict]:
    """The verdict of each (number, name) pair, keyed by (normalised number, stripped name): what
    the verify page's lookup finds, in three queries however many pairs (the matches, which of the
    other numbers exist, and the documents that superseded a match)."""
    wanted = {(services.normalise_number(n), (name or "").strip()) for n, name in pairs}
    well_formed = {(n, name) for n, name in wanted if rules.number_ok(n)}
    found = services.matching(session, well_formed)
    known = services.numbers_known(session, {n for n, name in well_formed if (n, name) not in found})
    newer = {c.superseded_by_id for c in found.values() if c.superseded_by_id}
    if newer:  # into the session's identity map: certificate.superseded_by then costs no query
        session.scalars(select(Certificate).where(Certificate.id.in_(newer))).all()
    out = {}
    for pair in wanted:
        certificate = found.get(pair)
        if certificate is not None:
            out[pair] = Verdict(certificate, services.status(certificate, now))
        elif pair not in well_formed:
            out[pair] = Verdict(None, "not_found", "number_malformed")
        else:
            out[pair] = Verdict(None, "not_found", "name_mismatch" if pair[0] in known else "number_unknown")
    return out


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def _level(certificate: Certificate) -> str:
    return certificate.title if str(get_locale()).startswith("zh") else certificate.title_en


def remark(verdict: Verdict) -> str:
    """What the employer should know beyond the status, in their language."""
    c = verdict.certificate
    if c is None:
        return {"number_malformed": _("The certificate number is malformed: check its characters and the last "
                                      "(check) character."),
                "name_mismatch": _("The name does not match this certificate number."),
                "number_unknown": _("No certificate has this number.")}[verdict.reason]
    if verdict.status == "revoked":
        return _("Revoked on %(date)s: %(reason)s", date=_day(c.revoked_at), reason=c.revoke_reason)
    if verdict.status == "superseded" and c.superseded_by is not None:
        return _("This document is no longer valid: superseded by %(number)s (serial %(serial)d), issued %(date)s.",
                 number=c.superseded_by.number, serial=c.superseded_by.serial, date=_day(c.superseded_by.issued_at))
    if verdict.status == "expired":
        return _("This certificate expired on %(date)s.", date=_day(c.expires_at))
    return ""


def as_json(verdict: Verdict, *, number: str) -> dict:
    """The API's answer: what the verify page states, never the ID number or the photo."""
    out = {"status": verdict.status, "status_label": status_labels()[verdict.status]}
    c = verdict.certificate
    if c is None:
        return {**out, "number": number, "reason": verdict.reason, "remark": remark(verdict)}
    return {**out, "number": c.number, "serial": c.serial, "holder_name": c.holder_name, "kind": c.kind.value,
            "kind_label": c.kind.label, "level": _level(c), "skill": c.skill, "issuer": c.issuer,
            "issued_on": _day(c.issued_at), "valid_until": _day(c.expires_at) or None,
            "revoked_on": _day(c.revoked_at) or None, "verify_url": services.verify_url(c), "remark": remark(verdict)}


def api_answer(session: Session, *, key: ApiKey, number: str, name: str, address: str, now: datetime) -> dict:
    """One lookup through the API: counted against the key (Throttled when spent), logged as the
    verify page's are (method "api"; limited by the key, so not by the address), the key's use
    counted."""
    take_request(session, key=key, now=now)
    number = services.normalise_number(number)
    verdict = judge(session, [(number, name)], now=now)[(number, name.strip())]
    verifylog.record(session, certificate_id=verdict.certificate.id if verdict.certificate else None, method="api",
                     address=address, now=now, bounded=False)
    _used(session, key, now)
    return as_json(verdict, number=number)


# --- the Excel check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    workbook: bytes
    counts: dict[str, int]  # per status, in STATUSES order, then not_checked
    rows: list[dict]  # each row's line, number, name, status, status_label, remark (for the page)
    header: bool  # whether the sheet had a header row


def _incomplete(row: sheets.Row) -> str | None:
    if not row.number:
        return _("The certificate number is missing.")
    if not row.name:
        return _("The name is missing.")
    if text_problem(row.number) or text_problem(row.name):
        return _("The row holds control characters; type the number and the name again.")
    return None


def _facts(certificate: Certificate) -> dict:
    return {"level": _level(certificate), "issued_on": _day(certificate.issued_at),
            "valid_until": _day(certificate.expires_at), "verify_url": services.verify_url(certificate)}


def check_sheet(session: Session, *, data: bytes, user: User, address: str, now: datetime) -> Checked:
    """Every row of an employer's sheet checked as the verify page would, in one bulk read; each
    checked row logged (method "excel"), the rows counted against the account's daily allowance.
    A refused file (sheet.read) or a spent allowance raises before anything is written."""
    config = current_app.config
    sheet = sheets.read(data, max_bytes=config["EMPLOYER_CHECK_MAX_BYTES"], max_rows=config["EMPLOYER_CHECK_MAX_ROWS"])
    rows = sheet.rows
    problems = {r.line: _incomplete(r) for r in rows}
    checked = [r for r in rows if problems[r.line] is None]
    if checked:
        per_day = config["EMPLOYER_CHECK_ROWS_PER_DAY"]
        wait = throttle.hit(session, f"employer-check:user:{user.id}", throttle.Policy(free=per_day, window=86400),
                            now=now, cost=len(checked))
        if wait:
            raise Throttled(_l("An account may check %(limit)s rows a day, and this sheet's %(n)s would go past it. "
                               "Try again in %(hours)d hours, or split the sheet.", limit=format_number(per_day),
                               n=format_number(len(checked)), hours=math.ceil(wait / 3600)), retry_after=wait)
    verdicts = judge(session, [(r.number, r.name) for r in checked], now=now)
    labels = status_labels()
    answers: dict[int, sheets.Answer] = {}
    first_line: dict[tuple[str, str], int] = {}
    listed = []
    log_rows = []
    for row in rows:
        if problems[row.line]:
            answer = sheets.Answer("not_checked", labels["not_checked"], remark=problems[row.line])
        else:
            pair = (services.normalise_number(row.number), row.name.strip())
            verdict = verdicts[pair]
            c = verdict.certificate
            note = remark(verdict)
            if pair in first_line:
                again = _("The same certificate as row %(line)d.", line=first_line[pair])
                note = f"{note} {again}".strip()
            first_line.setdefault(pair, row.line)
            answer = sheets.Answer(verdict.status, labels[verdict.status], remark=note, **(_facts(c) if c else {}))
            log_rows.append({"at": now, "address": address[:64], "method": "excel",
                             "certificate_id": c.id if c else None, "found": c is not None})
        answers[row.line] = answer
        listed.append({"line": row.line, "number": row.number[:sheets.NUMBER_MAX + 10],
                       "name": row.name[:sheets.NAME_MAX + 10], "status": answer.status,
                       "status_label": answer.status_label, "remark": answer.remark})
    if log_rows:  # one INSERT for the sheet; limited by the account's daily rows, not by the address
        session.execute(insert(Verification), log_rows)
    counts = Counter(a.status for a in answers.values())
    return Checked(sheets.write(sheet, answers), {s: counts.get(s, 0) for s in (*STATUSES, "not_checked")}, listed,
                   sheet.header is not None)
