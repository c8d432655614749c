"""Certificates: issuing (one, or a whole event in batches), numbers, signed tokens for the QR
code, verification by token or by number and name, the lookup rate limit, revocation."""

from __future__ import annotations

import math
import time
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from certificates import documents, rules
from certificates.models import Certificate, CertificateKind, IssueBatch, Result, ResultStatus, Verification
from certificates.openbadges import services as badges
from certificates.results import rule_of
from core import addresses, audit, i18n, throttle, uploads
from core.errors import DomainError, Throttled
from core.extensions import scheduler
from registration import rules as reg_rules
from registration.models import Event, Registration

audit.describe({
    "certificate.issue": _l("Certificate issued"), "certificate.batch": _l("Certificates issued in a batch"),
    "certificate.revoke": _l("Certificate revoked"), "certificate.reissue": _l("Certificate reissued"),
    "certificate.correct": _l("Certificate corrected"), "results.compute": _l("Results computed"),
    "results.final": _l("Results made final"), "results.publish": _l("Results published for publicity"),
    "results.objection": _l("Objection raised"), "results.objection_resolved": _l("Objection resolved"),
    "results.objection_review": _l("Objection taken into review"),
    "results.revise": _l("Published result revised after a review"),
    "results.rules": _l("Result rules changed"),
})

PDF_FOLDER = "certificates"
SKILL = "工业互联网系统运维"
SKILL_EN = "Industrial Internet System Operation and Maintenance"
LEVEL_TITLES = {"junior": ("初级", "Junior"), "intermediate": ("中级", "Intermediate"), "senior": ("高级", "Senior")}
AWARD_TITLES = {1: ("一等奖", "First prize"), 2: ("二等奖", "Second prize"), 3: ("三等奖", "Third prize")}


# --- tokens ------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    secret = current_app.config.get("CERT_TOKEN_KEY") or current_app.config["SECRET_KEY"]
    return URLSafeSerializer(secret, salt="certificate-verify")


def token(certificate: Certificate) -> str:
    """Unguessable (a random public id) and signed: changing any character fails verification."""
    return _serializer().dumps(certificate.public_id)


def verify_url(certificate: Certificate) -> str:
    """BASE_URL/verify/<token>: built without a request, so the batch job can print it too."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{token(certificate)}"


def _public_id(value: str) -> str | None:
    serializer = _serializer()
    try:
        public_id = serializer.loads(value)
    except BadSignature:
        return None
    # Base64's last character carries unused bits: only the exact token we issued is accepted,
    # so that changing any character fails.
    if not isinstance(public_id, str) or serializer.dumps(public_id) != value:
        return None
    return public_id


def by_token(session: Session, value: str) -> Certificate | None:
    public_id = _public_id(value)
    return session.scalar(select(Certificate).filter_by(public_id=public_id)) if public_id else None


_STANDING = select(Certificate.id, Certificate.revoked_at, Certificate.expires_at, Certificate.superseded_by_id).where(
    Certificate.public_id == bindparam("public_id"))


def standing_by_token(session: Session, value: str):
    """What decides a certificate's status (id, revoked_at, expires_at, superseded_by_id), read without the whole
    row: what the verify page checks before it answers from its cache. None when not found."""
    public_id = _public_id(value)
    return session.execute(_STANDING, {"public_id": public_id}).first() if public_id else None


# --- issuing -----------------------------------------------------------------------------------


def _years_later(moment: datetime, years: int) -> datetime:
    """The same date `years` later; 29 February becomes 28 February in a common year."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def issuable(result: Result, event: Event) -> CertificateKind | None:
    if result.status is not ResultStatus.FINAL:
        return None
    if event.kind.value == "certification":
        return CertificateKind.COMPETENCE if result.passed else None
    return CertificateKind.AWARD if result.award else None


def issue(session: Session, *, result: Result, actor: User | None, now: datetime) -> Certificate:
    """One certificate for a final result. The serial is taken under a row lock on the event and
    the number is unique in the schema, so concurrent issues cannot share a number."""
    event = session.scalar(select(Event).filter_by(id=result.event_id).with_for_update())
    kind = issuable(result, event)
    if kind is None:
        raise DomainError(_l("Certificates are issued only for final results that pass or win a prize."))
    registration = result.registration
    existing = session.scalar(select(Certificate).filter_by(registration_id=registration.id, kind=kind)
                              .order_by(Certificate.serial.desc()).limit(1))
    if existing is not None:
        return existing
    if not registration.photo:
        raise DomainError(_l("The candidate has no photo: a certificate without a photo is not valid."))
    event.certificate_serial = (event.certificate_serial or 0) + 1
    number = rules.certificate_number(event_code=event.code, issued=now, zone=i18n.zone(), level=event.level.value,
                                      serial=event.certificate_serial)
    if kind is CertificateKind.COMPETENCE:
        title, title_en = LEVEL_TITLES[event.level.value]
    else:
        title, title_en = AWARD_TITLES[result.award]
    rule = rule_of(session, event)
    certificate = Certificate(
        number=number, kind=kind, event_id=event.id, registration_id=registration.id,
        holder_name=registration.full_name, masked_id=reg_rules.mask_id(registration.id_number),
        photo=registration.photo, skill=SKILL, title=title, title_en=title_en,
        scores={"theory": str(result.theory), "practical": str(result.practical), "total": str(result.total)},
        issuer=rule.issuer, issued_at=now,
        expires_at=_years_later(now, rule.expiry_years) if rule.expiry_years else None,
    )
    session.add(certificate)
    session.flush()
    badges.credential_of(session, certificate=certificate, now=now, rule=rule)  # its Open Badge
    audit.record(session, "certificate.issue", target=certificate, actor=actor, after={"number": number})
    return certificate


def pdf_bytes(certificate: Certificate) -> bytes:
    """The certificate's PDF, rendered once and stored: every download is the same file."""
    folder = uploads.folder(PDF_FOLDER)
    if certificate.pdf and (folder / certificate.pdf).exists():
        return (folder / certificate.pdf).read_bytes()
    data = documents.certificate_pdf(certificate, verify_url=verify_url(certificate),
                                     photo_folder=uploads.folder("photos"))
    name = f"{certificate.public_id}.pdf"
    (folder / name).write_bytes(data)
    certificate.pdf = name
    return data


def start_batch(session: Session, *, event: Event, actor: User, now: datetime) -> IssueBatch:
    running = session.scalar(select(IssueBatch.id).where(IssueBatch.event_id == event.id,
                                                         IssueBatch.finished_at.is_(None)))
    if running is not None:
        raise DomainError(_l("A batch of this event is being issued already; its progress is on this page."))
    todo = _pending(session, event)
    if not todo:
        raise DomainError(_l("Every certificate of this event is issued already (or no result is final)."))
    batch = IssueBatch(event_id=event.id, created_at=now, total=len(todo), created_by_id=actor.id)
    session.add(batch)
    session.flush()
    audit.record(session, "certificate.batch", target=event, actor=actor, after={"total": len(todo)})
    return batch


def _pending(session: Session, event: Event) -> list[Result]:
    """Final results of the event that should have a certificate and have none yet (one query).
    A form without a photo cannot have one: the results page lists those."""
    has_certificate = select(Certificate.id).where(Certificate.registration_id == Result.registration_id).exists()
    results = session.scalars(
        select(Result).join(Registration, Registration.id == Result.registration_id)
        .where(Result.event_id == event.id, Result.status == ResultStatus.FINAL, ~has_certificate,
               Registration.photo.is_not(None), Registration.photo != "")
        .order_by(Result.id)).all()
    return [r for r in results if issuable(r, event)]


@scheduler.job("certificates.run_batches", trigger="interval", seconds=10)
def run_batches(session: Session, *, now: datetime, budget: float | None = None) -> int:
    """Issue the certificates of unfinished batches (rendering their PDFs) for up to `budget`
    seconds (CERT_BATCH_SECONDS, a little under the job's interval); the next run goes on."""
    stop = time.monotonic() + (budget if budget is not None else current_app.config["CERT_BATCH_SECONDS"])
    issued = 0
    for batch in session.scalars(select(IssueBatch).where(IssueBatch.finished_at.is_(None))).all():
        event = session.get(Event, batch.event_id)
        pending = _pending(session, event)
        done_all = True
        for result in pending:
            if time.monotonic() > stop:
                done_all = False
                break
            try:
                certificate = issue(session, result=result, actor=None, now=now)
            except DomainError:
                continue  # cannot be issued now: done stays below total, which the page shows
            pdf_bytes(certificate)
            batch.done += 1
            issued += 1
        if done_all:
            batch.finished_at = now
    session.flush()
    return issued


def revoke(session: Session, *, certificate: Certificate, reason: str, actor: User, now: datetime) -> None:
    if certificate.revoked_at is not None:
        raise DomainError(_l("This certificate is revoked already."))
    if not reason.strip():
        raise DomainError(_l("Give the reason for the revocation."), field="reason")
    certificate.revoked_at, certificate.revoke_reason = now, reason.strip()[:500]
    badges.revoke(session, certificate=certificate, now=now)  # its bit in the status list
    audit.record(session, "certificate.revoke", target=certificate, actor=actor, comment=reason)


def _replace(session: Session, *, certificate: Certificate, now: datetime, **changes) -> Certificate:
    """A new document under the same number with the next serial (same facts but `changes`, a new
    public id, so a new verify link and QR code, PDF and Open Badge); the old one is superseded and
    its badge's status bit set, as a revocation sets it. The old row is locked, and (number, serial)
    is unique in the schema, so two concurrent reissues cannot both succeed."""
    old = session.scalar(select(Certificate).filter_by(id=certificate.id).with_for_update())
    if old.revoked_at is not None:
        raise DomainError(_l("A revoked certificate cannot be reissued or corrected."))
    if old.superseded_by_id is not None:
        raise DomainError(_l("This certificate has been superseded already: reissue or correct the latest one."))
    copied = ("number", "kind", "event_id", "registration_id", "holder_name", "masked_id", "photo", "skill",
              "title", "title_en", "scores", "issuer", "expires_at")
    new = Certificate(**{name: getattr(old, name) for name in copied}, serial=old.serial + 1, supersedes_id=old.id,
                      issued_at=now)
    for name, value in changes.items():
        setattr(new, name, value)
    session.add(new)
    session.flush()
    old.superseded_by_id, old.superseded_at = new.id, now
    badges.revoke(session, certificate=old, now=now)  # the old document's bit in the status list
    badges.credential_of(session, certificate=new, now=now, rule=rule_of(session, old.event))
    return new


def reissue(session: Session, *, certificate: Certificate, note: str, actor: User, now: datetime) -> Certificate:
    """A lost or damaged certificate: the same facts under the same number, the next serial."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("Say why the certificate is reissued (for example: lost)."), field="note")
    new = _replace(session, certificate=certificate, now=now, reissue_note=note[:500])
    audit.record(session, "certificate.reissue", target=new, actor=actor, comment=note,
                 before={"number": certificate.number, "serial": certificate.serial},
                 after={"number": new.number, "serial": new.serial})
    return new


def correct(session: Session, *, certificate: Certificate, name: str, id_number: str, reason: str, actor: User,
            now: datetime) -> Certificate:
    """A correction of the holder's name or ID number, by an administrator with a reason: the
    registration is corrected (it is where the certificate's facts came from) and a new document
    supersedes the old one."""
    reason, name = (reason or "").strip(), (name or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for the correction."), field="reason")
    if not name or len(name) > 40:
        raise DomainError(_l("Give the holder's name (at most 40 characters)."), field="name")
    parsed, problem = reg_rules.parse_id_number(id_number)
    if problem:
        raise DomainError(_l("The ID number is not valid: check its 18 characters and the check digit."),
                          field="id_number")
    registration = certificate.registration
    if parsed.number != registration.id_number and session.scalar(select(Registration.id).where(
            Registration.event_id == registration.event_id, Registration.id_number == parsed.number)):
        raise DomainError(_l("Another registration of this event has that ID number."), field="id_number")
    if name == certificate.holder_name and parsed.number == registration.id_number:
        raise DomainError(_l("Nothing to correct: the name and the ID number are as issued."))
    before = {"holder_name": certificate.holder_name, "masked_id": certificate.masked_id}
    if certificate.revoked_at is None and certificate.superseded_by_id is None:
        registration.full_name, registration.id_number = name, parsed.number
    new = _replace(session, certificate=certificate, now=now, holder_name=name,
                   masked_id=reg_rules.mask_id(parsed.number), correction_reason=reason[:500])
    audit.record(session, "certificate.correct", target=new, actor=actor, comment=reason, before=before,
                 after={"holder_name": new.holder_name, "masked_id": new.masked_id, "serial": new.serial})
    return new


# --- verification ------------------------------------------------------------------------------


def status(certificate: Certificate | None, now: datetime) -> str:
    if certificate is None:
        return "not_found"
    if certificate.revoked_at is not None:
        return "revoked"
    if certificate.superseded_by_id is not None:
        return "superseded"
    if certificate.expires_at is not None and certificate.expires_at <= now:
        return "expired"
    return "valid"


def log(session: Session, *, certificate_id: int | None, method: str, address: str, now: datetime,
        bounded: bool = True) -> bool:
    """Record a verification, at most VERIFY_LOG_PER_ADDRESS per client address (IPv6 by its /64)
    per VERIFY_LOG_WINDOW: anonymous requests cannot flood the table. Past the bound nothing is
    written (the page is answered all the same); False then. `bounded=False` for requests that
    are rate-limited by who makes them (an employer's API key): each is written."""
    config = current_app.config
    policy = throttle.Policy(free=config["VERIFY_LOG_PER_ADDRESS"], window=config["VERIFY_LOG_WINDOW"])
    if bounded and throttle.hit(session, f"verify-log:addr:{addresses.client_key(address)}", policy, now=now):
        return False
    session.add(Verification(at=now, address=address[:64], method=method, certificate_id=certificate_id,
                             found=certificate_id is not None))
    return True


def normalise_number(number: str | None) -> str:
    return (number or "").strip().upper()


def lookup(session: Session, *, number: str, name: str, address: str, now: datetime) -> Certificate | None:
    """A certificate by number and holder name, both required, so that numbers cannot be
    enumerated. Limited per client address (IPv6 by its /64) and, because numbers are sequential,
    per number from all addresses together: CERT_LOOKUP_PER_ADDRESS and CERT_LOOKUP_PER_NUMBER per
    CERT_LOOKUP_WINDOW. Each limit is a throttle bucket taken atomically, so a burst of lookups
    gets no more than the limit; a refused lookup raises Throttled, and the caller's rollback
    leaves every bucket as it was."""
    config = current_app.config
    number = normalise_number(number)
    policy = throttle.Policy(free=config["CERT_LOOKUP_PER_ADDRESS"], window=config["CERT_LOOKUP_WINDOW"])
    wait = throttle.hit(session, f"cert-lookup:addr:{addresses.client_key(address)}", policy, now=now)
    if wait:
        raise Throttled(_l("Too many lookups from this address. Try again in %(n)d minutes.",
                           n=math.ceil(wait / 60)), retry_after=wait)
    certificate = None
    if rules.number_ok(number):  # a malformed number finds nothing, so it guesses nothing either
        policy = throttle.Policy(free=config["CERT_LOOKUP_PER_NUMBER"], window=config["CERT_LOOKUP_WINDOW"])
        wait = throttle.hit(session, f"cert-lookup:number:{number}", policy, now=now)
        if wait:
            raise Throttled(_l("Too many lookups of this certificate number. Try again in %(n)d minutes.",
                               n=math.ceil(wait / 60)), retry_after=wait)
        certificate = matching(session, [(number, name)]).get((number, (name or "").strip()))
    log(session, certificate_id=certificate.id if certificate else None, method="lookup", address=address, now=now)
    return certificate


def matching(session: Session, pairs) -> dict[tuple[str, str], Certificate]:
    """The certificate each (number, name) pair finds, by the lookup's rule: the latest document
    of that number carrying that name (a correction may change the name; the old name then finds
    the superseded document). One query however many pairs; keys are (normalised number, stripped
    name), pairs that find nothing are absent. Callers check the numbers (rules.number_ok) and
    any rate limit first."""
    wanted = {(normalise_number(n), (name or "").strip()) for n, name in pairs}
    numbers = {n for n, _name in wanted if n}
    found: dict[tuple[str, str], Certificate] = {}
    if not numbers:
        return found
    rows = session.scalars(select(Certificate).where(Certificate.number.in_(numbers))
                           .order_by(Certificate.number, Certificate.serial))
    for certificate in rows:  # ascending serials: the latest of each (number, name) is kept
        key = (certificate.number, certificate.holder_name)
        if key in wanted:
            found[key] = certificate
    return found


def numbers_known(session: Session, numbers) -> set[str]:
    """Which of `numbers` (normalised) have a certificate at all, whatever the name: one query."""
    numbers = {n for n in numbers if n}
    if not numbers:
        return set()
    return set(session.scalars(select(Certificate.number).where(Certificate.number.in_(numbers)).distinct()))


def facts(certificate: Certificate) -> dict:
    """Everything printed on the certificate, for the signed JSON document."""
    return {
        "number": certificate.number, "kind": certificate.kind.value, "holder": certificate.holder_name,
        "id_number": certificate.masked_id, "skill": certificate.skill, "title": certificate.title,
        "title_en": certificate.title_en, "scores": certificate.scores, "issuer": certificate.issuer,
        "issued": certificate.issued_at.date().isoformat(),
        "expires": certificate.expires_at.date().isoformat() if certificate.expires_at else None,
        "event": certificate.event.name,
    }


def counts_by_event(session: Session, event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Results per event and status, and certificates issued, in two statements:
    {event_id: {"computed": n, "published": n, "final": n, "certificates": n}}."""
    if not event_ids:
        return {}
    out: dict[int, dict[str, int]] = {i: {} for i in event_ids}
    for event_id, status, n in session.execute(
            select(Result.event_id, Result.status, func.count()).where(Result.event_id.in_(event_ids))
            .group_by(Result.event_id, Result.status)):
        out[event_id][status.value] = n
    for event_id, n in session.execute(
            select(Certificate.event_id, func.count()).where(Certificate.event_id.in_(event_ids),
                                                             Certificate.revoked_at.is_(None),
                                                             Certificate.superseded_by_id.is_(None))
            .group_by(Certificate.event_id)):
        out[event_id]["certificates"] = n
    return out


def latest_batch(session: Session, event: Event) -> IssueBatch | None:
    """The event's last batch of certificates (its progress bar)."""
    return session.scalar(select(IssueBatch).filter_by(event_id=event.id).order_by(IssueBatch.id.desc()).limit(1))
