"""Notifications: an outbox table written in the same transaction as the change it reports, and
a scheduled job that sends it by SMTP when MAIL_SERVER is configured. Nothing is lost if the mail
server is down: unsent rows stay and are retried."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.extensions import db, scheduler


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    error: Mapped[str] = mapped_column(String(300), nullable=False, default="")


def notify(session: Session, *, email: str, subject: str, body: str, user=None) -> Notification:
    note = Notification(user_id=getattr(user, "id", None), email=email or "", subject=subject[:200], body=body)
    session.add(note)
    return note


@scheduler.job("core.send_notifications", trigger="interval", minutes=1)
def send_notifications(session: Session, *, now: datetime) -> int:
    """Send unsent notifications by SMTP (when MAIL_SERVER is set); retry failures, at most 10 times."""
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return 0
    pending = session.scalars(select(Notification).where(Notification.sent_at.is_(None), Notification.email != "",
                                                         Notification.attempts < 10,
                                                         Notification.created_at > now - timedelta(days=7))
                              .order_by(Notification.id).limit(200).with_for_update(skip_locked=True)).all()
    sent = 0
    cfg = current_app.config
    try:
        smtp = smtplib.SMTP(server, cfg.get("MAIL_PORT", 25), timeout=20)
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
    except (OSError, smtplib.SMTPException) as exc:
        for note in pending:
            note.attempts += 1
            note.error = f"connect: {exc}"[:300]
        return 0
    with smtp:
        for note in pending:
            message = EmailMessage()
            message["From"] = cfg.get("MAIL_FROM") or "noreply@localhost"
            message["To"] = note.email
            message["Subject"] = note.subject
            message.set_content(note.body)
            note.attempts += 1
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                note.error = str(exc)[:300]
                continue
            note.sent_at, note.error = now, ""
            sent += 1
    return sent
