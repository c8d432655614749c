"""Who may call a view. Every view declares its policy with one of the decorators below; a hook
installed by the factory enforces it before the view runs, and the factory refuses to start when
a view has no policy. Navigation links are shown only to users whose role the policy admits."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask, abort, current_app, request, session
from flask_login import current_user

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def signed_in_maybe() -> bool:
    """Whether the request could belong to a signed-in user (a session with a user, or a remember
    cookie), known without loading anyone."""
    return "_user_id" in session or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


# Endpoints that Flask itself adds.
_EXEMPT = {"static"}


def roles(*allowed) -> Callable:
    """Admit authenticated users whose role is one of `allowed`."""
    if not allowed:
        raise ValueError("roles() needs at least one role")
    policy = frozenset(str(r) for r in allowed)

    def decorator(view: Callable) -> Callable:
        view.access_policy = policy
        return view

    return decorator


def public(view: Callable) -> Callable:
    """Admit everybody, signed in or not."""
    view.access_policy = PUBLIC
    return view


def authenticated(view: Callable) -> Callable:
    """Admit every signed-in user, whatever the role."""
    view.access_policy = AUTHENTICATED
    return view


def policy_of(app: Flask, endpoint: str):
    view = app.view_functions.get(endpoint)
    # Class-based views keep the policy on the class; functions on themselves.
    return getattr(getattr(view, "view_class", view), "access_policy", None)


def admits(policy, user) -> bool:
    if policy == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if policy == AUTHENTICATED:
        return True
    return str(user.role) in policy


def can_view(endpoint: str) -> bool:
    """Whether the current user may open `endpoint` (for navigation and links)."""
    return admits(policy_of(current_app, endpoint), current_user)


def check_all_declared(app: Flask) -> None:
    missing = [e for e in app.view_functions if e not in _EXEMPT and policy_of(app, e) is None]
    if missing:
        raise RuntimeError(f"views without an access policy: {', '.join(sorted(missing))}")


def enforce(login_manager) -> Callable:
    def before_request():
        endpoint = request.endpoint
        if endpoint is None or endpoint in _EXEMPT:
            return None  # 404/405 are answered by Flask
        policy = policy_of(current_app, endpoint)
        if policy == PUBLIC:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not admits(policy, current_user):
            abort(403)
        return None

    return before_request


def roles_admitted(app: Flask, endpoint: str, all_roles: Iterable) -> set[str]:
    """The roles a policy admits, for the role-matrix tests and documentation."""
    policy = policy_of(app, endpoint)
    if policy == PUBLIC or policy == AUTHENTICATED:
        return {str(r) for r in all_roles}
    return set(policy or ())
