"""Flask-Login wiring: sessions carry the user's id and session version, so a password change
or a disabled account ends every open session at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from accounts.models import User
from core.extensions import db, login_manager


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
        user = db.session.get(User, key)
        if user is None or not user.active or user.session_version != version:
            return None
        return user
