"""Notifications: each user's inbox in the app (the bell), and an outbox for e-mail, the second
channel. A notification is written in the same transaction as the change it reports; a scheduled
job sends it by SMTP when MAIL_SERVER is configured. Nothing is lost if the mail server is down:
unsent rows stay and are retried."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for
from sqlalchemy import ForeignKey, Index, String, Text, false, func, select, update
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
    # The body holds a secret (an initial password): never shown in the outbox, and wiped once sent
    # or once it can no longer be sent.
    sensitive: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())
    # The inbox: where the work is (a path in this platform), and when the user read it.
    link: Mapped[str] = mapped_column(String(300), nullable=False, default="", server_default="")
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_notifications_inbox", "user_id", "read_at"),)


WIPED = "(This message held an initial password. It was removed from the outbox once it was sent or had expired.)"
SEND_FOR = timedelta(days=7)


def notify(session: Session, *, email: str, subject: str, body: str, user=None, user_id: int | None = None,
           sensitive: bool = False, link: str = "") -> Notification:
    """Tell `user` (or `user_id`: their inbox, when they have an account) and `email` (when SMTP is
    configured) about a change, in the change's transaction. `link` is where the work is: a path
    as path_for gives."""
    note = Notification(user_id=getattr(user, "id", None) or user_id, email=email or "", subject=subject[:200],
                        body=body, sensitive=sensitive, link=link[:300])
    session.add(note)
    return note


def path_for(endpoint: str, **values) -> str:
    """The path of a page, for a notification's link: in a request, or in a scheduled job or a
    command, which have no request to build a URL from."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user_id,
                                                                     Notification.read_at.is_(None))) or 0


def inbox(session: Session, user_id: int, *, limit: int = 100) -> list[Notification]:
    """The user's notifications, unread first, newest first within each."""
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.read_at.is_not(None), Notification.id.desc()).limit(limit)))


def mark_read(session: Session, *, user_id: int, now: datetime, note_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them): someone else's is never touched."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if note_id is not None:
        query = query.where(Notification.id == note_id)
    return session.execute(query.values(read_at=now)).rowcount


@scheduler.job("core.wipe_sensitive_notifications", trigger="interval", hours=1)
def wipe_sensitive_notifications(session: Session, *, now: datetime) -> int:
    """Wipe the body of secret notifications that can no longer be sent (older than SEND_FOR)."""
    return session.execute(
        update(Notification).where(Notification.sensitive.is_(True), Notification.body != WIPED,
                                   Notification.created_at <= now - SEND_FOR).values(body=WIPED)
    ).rowcount


@scheduler.job("core.send_notifications", trigger="interval", minutes=1)
def send_notifications(session: Session, *, now: datetime) -> int:
    """Send unsent notifications by SMTP (when MAIL_SERVER is set); retry failures, at most 10 times."""
    server = current_app.config.get("MAIL_SERVER")
    if not server:
        return 0
    pending = session.scalars(select(Notification).where(Notification.sent_at.is_(None), Notification.email != "",
                                                         Notification.attempts < 10,
                                                         Notification.created_at > now - SEND_FOR)
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
            if note.sensitive:
                note.body = WIPED
            sent += 1
    return sent
