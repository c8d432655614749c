"""Flask-Login wiring: sessions carry the user's id and session version, so a password change
or a disabled account ends every open session at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from accounts.models import User
from core.extensions import db, login_manager

# Every signed-in request loads its user: one statement built once (session.get builds and keys
# a new one each time, which costs more than running it).
_BY_ID = select(User).where(User.id == bindparam("id"))


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            key, version = (int(part) for part in user_id.split("."))
        except ValueError:
            return None
        user = db.session.execute(_BY_ID, {"id": key}).scalar_one_or_none()
        if user is None or not user.active or user.session_version != version:
            return None
        return user
