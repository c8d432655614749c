"""Account handover: the initial passwords of the accounts created at enrolment, handed to the
training centre once, as printable slips (PDF, eight to an A4 page, to cut) or as an Excel sheet.

Handing over wipes the passwords from the platform and records who did it and when; a password
never used can be issued again (a new one), which makes the old slip worthless."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from accounts import services as accounts
from accounts.models import User
from core import audit
from core.errors import DomainError
from core.pdf import cjk_font, qr_image, wrap
from registration.models import AccountSlip, Event, Registration

audit.describe({"registration.slips_handed_over": _l("Account slips downloaded"),
                "registration.slips_reissued": _l("New initial passwords issued")})


@dataclass(frozen=True)
class SlipLine:
    full_name: str
    candidate_number: str
    centre: str
    username: str
    password: str


def _query(event: Event, centre_id: int | None):
    query = (select(AccountSlip).join(Registration).where(Registration.event_id == event.id)
             .options(joinedload(AccountSlip.registration).joinedload(Registration.user),
                      joinedload(AccountSlip.registration).joinedload(Registration.centre),
                      joinedload(AccountSlip.handed_over_by))
             .order_by(Registration.candidate_number))
    return query.where(Registration.centre_id == centre_id) if centre_id is not None else query


def slips(session: Session, *, event: Event, centre_id: int | None = None) -> list[AccountSlip]:
    """The event's account slips (of one centre's candidates when `centre_id` is given): one query."""
    return list(session.scalars(_query(event, centre_id)).unique())


def hand_over(session: Session, *, event: Event, actor: User, now: datetime,
              centre_id: int | None = None) -> list[SlipLine]:
    """The passwords not yet handed over, for one download: they are wiped as they are read."""
    pending = list(session.scalars(_query(event, centre_id).where(AccountSlip.secret.is_not(None))
                                   .with_for_update(of=AccountSlip)).unique())
    if not pending:
        raise DomainError(_l("Every account slip of these candidates has been downloaded already. Issue new "
                             "passwords for the accounts never used to print new slips."))
    lines = [SlipLine(s.registration.full_name, s.registration.candidate_number or "", s.registration.centre.name,
                      s.registration.user.username, s.secret) for s in pending]
    for slip in pending:
        slip.secret, slip.handed_over_at, slip.handed_over_by_id = None, now, actor.id
    session.flush()
    audit.record(session, "registration.slips_handed_over", target=event, actor=actor,
                 after={"count": len(lines), "centre": centre_id})
    return lines


def reissue(session: Session, *, event: Event, actor: User, now: datetime, centre_id: int | None = None) -> int:
    """New initial passwords for the handed-over accounts that were never signed in to."""
    done = 0
    for slip in slips(session, event=event, centre_id=centre_id):
        user = slip.registration.user
        if slip.secret is None and user is not None and user.last_login_at is None:
            password = accounts.random_password()
            accounts.set_password(session, user=user, password=password, by_admin=True, random=True)
            slip.secret, slip.created_at, slip.handed_over_at, slip.handed_over_by_id = password, now, None, None
            done += 1
    if not done:
        raise DomainError(_l("No account waits for a new password: every handed-over account has been used."))
    session.flush()
    audit.record(session, "registration.slips_reissued", target=event, actor=actor,
                 after={"count": done, "centre": centre_id})
    return done


# --- the documents ------------------------------------------------------------------------------

W, H = A4
COLUMNS, ROWS = 2, 4
SLIP_W, SLIP_H = (W - 20 * mm) / COLUMNS, (H - 20 * mm) / ROWS


def slips_pdf(lines: list[SlipLine], *, event_name: str, sign_in_url: str) -> bytes:
    """Eight slips to an A4 page, with cut lines: name, number, username, initial password, where
    to sign in, and a QR code of the sign-in page."""
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"账号单 Account slips · {event_name}")
    qr = qr_image(sign_in_url, box=6)
    for i, line in enumerate(lines):
        slot = i % (COLUMNS * ROWS)
        if i and slot == 0:
            c.showPage()
        x = 10 * mm + (slot % COLUMNS) * SLIP_W
        y = H - 10 * mm - (slot // COLUMNS + 1) * SLIP_H
        c.setDash(3, 3)
        c.setLineWidth(0.4)
        c.rect(x, y, SLIP_W, SLIP_H)
        c.setDash()
        top = y + SLIP_H - 9 * mm
        c.setFont(font, 11)
        c.drawString(x + 5 * mm, top, "理论考试账号 Exam account")
        c.setFont(font, 8)
        for n, text in enumerate(wrap(event_name, font, 8, SLIP_W - 10 * mm)[:2]):
            c.drawString(x + 5 * mm, top - (5 + 4 * n) * mm, text)
        rows = [("姓名 Name", line.full_name), ("准考证号 Number", line.candidate_number),
                ("用户名 Username", line.username), ("初始密码 Password", line.password)]
        ry = top - 16 * mm
        for label, value in rows:
            c.setFont(font, 8)
            c.drawString(x + 5 * mm, ry, label)
            c.setFont("Courier-Bold" if label.startswith(("用户名", "初始密码")) else font, 11)
            c.drawString(x + 34 * mm, ry, value)
            ry -= 7 * mm
        c.drawImage(qr, x + SLIP_W - 27 * mm, y + 6 * mm, 22 * mm, 22 * mm)
        c.setFont(font, 7)
        c.drawString(x + 5 * mm, y + 14 * mm, "登录地址 Sign in at:")
        for n, text in enumerate(wrap(sign_in_url, font, 7, SLIP_W - 38 * mm)[:2]):
            c.drawString(x + 5 * mm, y + (10 - 3.5 * n) * mm, text)
        c.drawString(x + 5 * mm, y + 3 * mm, "首次登录须修改密码 Change it at the first sign-in")
    c.showPage()
    c.save()
    return buf.getvalue()
