"""Holder share links (issue 17): the holder of a certificate makes a time-limited link to its
verify page (30 to 180 days), for an employer's HR say, sees how often it was opened, and revokes
it. A link is a random token in the URL (BASE_URL/s/<token>); the page it opens is the verify
page with the certificate's own status, so a link never says more than the QR code does, and says
nothing at all once it has expired or been revoked. Services flush and audit; they never commit."""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from accounts.models import User
from certificates import services
from certificates.models import Certificate
from core import audit
from core.errors import DomainError
from core.extensions import db
from core.forms import text_problem
from core.models import PublicIdMixin

audit.describe({
    "share_link.create": _l("Share link created"),
    "share_link.revoke": _l("Share link revoked"),
})

MIN_DAYS, MAX_DAYS = 30, 180
PRESET_DAYS = (30, 90, 180)
MAX_ACTIVE = 20  # active links of one certificate at a time
MAX_PER_DAY = 20  # links made for one certificate in 24 hours (revoking does not give them back)
MAX_LABEL = 100
MAX_LISTED = 50  # the holder's page lists the latest links
TOKEN_BYTES = 24  # secrets.token_urlsafe(24): 32 characters, 192 random bits
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

ACTIVE, EXPIRED, REVOKED, UNKNOWN = "active", "expired", "revoked", "unknown"
STATE_LABELS = {ACTIVE: _l("Live"), EXPIRED: _l("Expired"), REVOKED: _l("Revoked")}

DAYS_MESSAGE = _l("Choose how long the link is valid: a whole number of days from 30 to 180.")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class ShareLink(PublicIdMixin, db.Model):
    """One link to one certificate's verify page. The public id names it on the holder's pages;
    the token is the secret the link carries, shown only to the holder."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), nullable=False, index=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True, default=new_token)
    label: Mapped[str] = mapped_column(String(MAX_LABEL), nullable=False, default="")  # for the holder only
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    visits: Mapped[int] = mapped_column(nullable=False, default=0)
    last_visited_at: Mapped[datetime | None] = mapped_column(nullable=True)

    certificate: Mapped[Certificate] = relationship()

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return REVOKED
        return ACTIVE if now < self.expires_at else EXPIRED

    def __str__(self) -> str:  # the audit log's label: never the token
        return f"{self.certificate.number} · {self.label}" if self.label else self.certificate.number


@dataclass(frozen=True)
class Resolved:
    """What a token opens: its state and, unless unknown, the link."""

    state: str
    link: ShareLink | None = None


# --- input -------------------------------------------------------------------------------------


def parse_days(value) -> int:
    """The validity in days from what was typed or sent: a whole number 30..180 (full-width digits
    as typed on a Chinese keyboard too). Anything else (text, a fraction, NaN, 1e309, a huge
    number) is refused with one clear message."""
    number: int | None = None
    if isinstance(value, bool) or value is None:
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        finite = math.isfinite(value) if isinstance(value, float) else value.is_finite()
        if finite and value == int(value):
            number = int(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if re.fullmatch(r"[0-9]{1,4}", text):
            number = int(text)
    if number is None or not MIN_DAYS <= number <= MAX_DAYS:
        raise DomainError(DAYS_MESSAGE, field="days")
    return number


def clean_label(value) -> str:
    label = value.strip() if isinstance(value, str) else ""
    if len(label) > MAX_LABEL:
        raise DomainError(_l("The label is too long: at most %(n)d characters.", n=MAX_LABEL), field="label")
    if text_problem(label):
        raise DomainError(text_problem(label), field="label")
    return label


# --- services ----------------------------------------------------------------------------------


def create(session: Session, *, certificate: Certificate, days, label, actor: User | None,
           now: datetime) -> ShareLink:
    """A new active link, valid `days` (30..180) from now. Refused, with nothing made, for a
    certificate that is not valid (revoked, superseded, expired), past MAX_ACTIVE active links or
    MAX_PER_DAY links in 24 hours. The certificate's row is locked, so two requests at once
    cannot both take the last place."""
    days = parse_days(days)
    label = clean_label(label)
    locked = session.scalar(select(Certificate).filter_by(id=certificate.id).with_for_update())
    status = services.status(locked, now)
    if status != "valid":
        raise DomainError({
            "revoked": _l("This certificate is revoked: it cannot be shared."),
            "superseded": _l("This certificate has been superseded: share the latest document instead."),
            "expired": _l("This certificate has expired: it cannot be shared."),
        }.get(status, _l("This certificate cannot be shared.")))
    active = session.scalar(select(func.count(ShareLink.id)).where(
        ShareLink.certificate_id == locked.id, ShareLink.revoked_at.is_(None), ShareLink.expires_at > now))
    if active >= MAX_ACTIVE:
        raise DomainError(_l("This certificate has %(n)d active share links, the most it may have: revoke one "
                             "you no longer need first.", n=MAX_ACTIVE))
    recent = session.scalar(select(func.count(ShareLink.id)).where(
        ShareLink.certificate_id == locked.id, ShareLink.created_at > now - timedelta(days=1)))
    if recent >= MAX_PER_DAY:
        raise DomainError(_l("%(n)d share links were made for this certificate in the last 24 hours, the most "
                             "allowed: try again tomorrow.", n=MAX_PER_DAY))
    link = ShareLink(certificate_id=locked.id, certificate=locked, token=new_token(), label=label, created_at=now,
                     expires_at=now + timedelta(days=days))
    session.add(link)
    session.flush()
    audit.record(session, "share_link.create", target=link, actor=actor,
                 after={"certificate": locked.number, "days": days, "expires_at": link.expires_at, "label": label})
    return link


def revoke(session: Session, *, link: ShareLink, actor: User | None, now: datetime) -> None:
    """End a link now: from then on it answers 410 and shows nothing of the certificate."""
    state = link.state(now)
    if state == REVOKED:
        raise DomainError(_l("This share link is revoked already."))
    if state == EXPIRED:
        raise DomainError(_l("This share link has expired already: nobody can open it."))
    link.revoked_at = now
    session.flush()
    audit.record(session, "share_link.revoke", target=link, actor=actor,
                 before={"expires_at": link.expires_at}, after={"revoked_at": now})


def resolve(session: Session, token: str, now: datetime) -> Resolved:
    """What a link's token opens now: active, expired, revoked or unknown. Anything that cannot be
    one of our tokens is unknown without a query."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return Resolved(UNKNOWN)
    link = session.scalar(select(ShareLink).filter_by(token=token))
    if link is None:
        return Resolved(UNKNOWN)
    return Resolved(link.state(now), link)


def count_visit(session: Session, *, link: ShareLink, now: datetime) -> None:
    """One more visit, counted in the database (two visits at once both count)."""
    session.execute(update(ShareLink).where(ShareLink.id == link.id)
                    .values(visits=ShareLink.visits + 1, last_visited_at=now))


def links_of(session: Session, certificate: Certificate) -> list[ShareLink]:
    """The certificate's latest MAX_LISTED links, newest first (one statement)."""
    return list(session.scalars(select(ShareLink).where(ShareLink.certificate_id == certificate.id)
                                .order_by(ShareLink.created_at.desc(), ShareLink.id.desc()).limit(MAX_LISTED)))


def share_url(link: ShareLink) -> str:
    """BASE_URL/s/<token>: the address the holder hands out."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/s/{link.token}"
