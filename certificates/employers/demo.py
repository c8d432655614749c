"""The demo's employer API key, so that a new user can try the API with curl at once: its secret
derives from DEMO_PASSWORD (the README's command works as typed), or is random and printed once."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from certificates.employers import services
from certificates.employers.models import ApiKey, RatePeriod
from core import clock

LABEL = "示范智能制造有限公司"


def load(session: Session) -> list[str]:
    if session.scalar(select(ApiKey.id).filter_by(label=LABEL)) is not None:
        return ["demo API key already present (the API keys page shows its secret when DEMO_PASSWORD is set)"]
    owner = session.scalar(select(User).filter_by(username="employer", role=Role.EMPLOYER))
    admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id).limit(1))
    password = current_app.config.get("DEMO_PASSWORD") or ""
    key, secret = services.issue_key(session, label=LABEL, owner=owner, rate_limit=current_app.config["API_KEY_RATE"],
                                     rate_period=RatePeriod(current_app.config["API_KEY_RATE_PERIOD"]), actor=admin,
                                     now=clock.now(), secret=services.demo_secret(password) if password else None)
    base = current_app.config["BASE_URL"].rstrip("/")
    return [f"demo API key for {LABEL}: {secret}",
            f"  curl -H 'Authorization: Bearer {secret}' "
            f"'{base}/api/v1/certificates/verify?number=<number>&name=<name>'"]
