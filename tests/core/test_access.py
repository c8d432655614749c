"""The role × route matrix: every route, every role, allowed or refused."""

import re

import pytest
from flask import Blueprint

from accounts.models import Role
from core.access import PUBLIC, policy_of, roles_admitted

ROLES = [r.value for r in Role]
ANONYMOUS = "anonymous"


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = re.sub(r"<int:[^<>]+>", "1", rule.rule)
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "does-not-exist", url)
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule.endpoint, url, method


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.submit(url, {})


def test_every_route_is_in_the_matrix(app):
    endpoints = {e for e, _, _ in _routes(app)}
    assert {"accounts.users", "accounts.login", "core.audit_log", "core.healthz", "core.working_days",
            "core.remove_working_day"} <= endpoints
    for endpoint in endpoints:
        assert policy_of(app, endpoint) is not None, endpoint


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_role_matrix(app, client, login_as, role):
    if role != ANONYMOUS:
        login_as(role)
    checked = 0
    for endpoint, url, method in _routes(app):
        if endpoint in {"accounts.logout"}:
            continue  # would end the session the rest of the loop needs; tested on its own
        policy = policy_of(app, endpoint)
        response = _request(client, method, url)
        status = response.status_code
        if getattr(app.view_functions[endpoint], "api_key_required", False):
            # Public, authenticated by an API key: without one, 401 in JSON whoever is signed in.
            assert policy == PUBLIC and status == 401 and response.is_json, (endpoint, status)
        elif policy == PUBLIC:
            assert status not in (401, 403), (endpoint, status)
        elif role == ANONYMOUS:
            assert status == 302 and "/login" in response.headers["Location"], (endpoint, status)
        elif role in roles_admitted(app, endpoint, ROLES):
            assert status not in (401, 403), (endpoint, status)
            assert "/login" not in response.headers.get("Location", ""), endpoint
        else:
            assert status == 403, (endpoint, status)
        checked += 1
    assert checked >= 12


@pytest.mark.parametrize("role", ROLES)
def test_logout_admitted_for_every_role(client, login_as, role):
    login_as(role)
    assert client.get("/").status_code == 200
    response = client.submit("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out: sent to the login page


def test_admin_only_pages_are_refused_to_others(client, login_as):
    login_as("chief_referee")
    for url in ("/admin/users", "/admin/users/new", "/admin/centres", "/admin/audit", "/admin/working-days"):
        response = client.get(url)
        assert response.status_code == 403
        assert "没有访问" in response.get_data(as_text=True)


def test_factory_refuses_a_view_without_a_policy(monkeypatch):
    import app as app_module

    rogue = Blueprint("rogue", __name__)
    rogue.add_url_rule("/rogue", "rogue", lambda: "secret")
    original = app_module.create_app

    def patched(config=None):
        from core import access

        real_check = access.check_all_declared

        def check(flask_app):
            flask_app.register_blueprint(rogue)
            real_check(flask_app)

        monkeypatch.setattr(access, "check_all_declared", check)
        return original(config)

    with pytest.raises(RuntimeError, match="rogue.rogue"):
        patched({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    "role,visible,hidden",
    [
        ("admin", {"accounts.users", "core.audit_log", "accounts.centres", "core.working_days"},
         {"accounts.my_centre"}),
        ("centre_staff", {"accounts.my_centre"}, {"accounts.users", "core.audit_log", "core.working_days"}),
        ("candidate", {"accounts.home"}, {"accounts.users", "accounts.my_centre"}),
        ("referee", {"accounts.home"}, {"accounts.users", "accounts.my_centre"}),
        ("chief_referee", {"accounts.home"}, {"accounts.users", "core.audit_log", "core.working_days"}),
        ("admin", {"employers.check", "employers.api_keys"}, set()),
        ("employer", {"accounts.home", "employers.check"},
         {"employers.api_keys", "accounts.users", "accounts.my_centre", "certificates.mine", "exam.my_exams"}),
    ],
)
def test_navigation_shows_only_the_roles_pages(client, login_as, role, visible, hidden):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    shown = set(re.findall(r'data-endpoint="([^"]+)"', page))
    assert visible <= shown
    assert not (hidden & shown)


def test_a_request_without_a_sign_in_never_loads_a_user(app, client, monkeypatch):
    """Issue 14: every request paid for Flask-Login's user loading, a public GET /ping with no
    session included (the password-change check asked for current_user). A request that carries
    neither a signed-in session nor a remember cookie cannot be signed in: nothing is loaded."""
    calls = []
    original = app.login_manager._load_user
    monkeypatch.setattr(app.login_manager, "_load_user", lambda: calls.append(1) or original())
    assert client.get("/ping").status_code == 200
    assert calls == []
    assert client.get("/login").status_code == 200


def test_open_badges_routes_are_in_the_matrix(app):
    """The credential, its status list and its issuer are public (verifiers and wallets have no
    account); the holder's download by public id is for the holder and administrators."""
    public = {"certificates.badges.issuer", "certificates.badges.status_list", "certificates.badges.achievement",
              "certificates.badges.public_json", "certificates.badges.public_png"}
    holder = {"certificates.badges.mine_json", "certificates.badges.mine_png"}
    for endpoint in public:
        assert policy_of(app, endpoint) == PUBLIC, endpoint
    for endpoint in holder:
        assert set(roles_admitted(app, endpoint, ROLES)) == {"candidate", "admin"}, endpoint


def test_certificate_reissue_and_correction_are_for_administrators(app):
    """Reissuing or correcting a certificate (a new document that supersedes the old one) is an
    administrator's act, and a POST only."""
    for endpoint in ("certificates.reissue", "certificates.correct"):
        assert set(roles_admitted(app, endpoint, ROLES)) == {"admin"}, endpoint
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        assert rule.methods - {"OPTIONS"} == {"POST"}, endpoint


def test_the_employer_routes_are_in_the_matrix(app):
    """Issue 17: the Excel check is for employers and administrators, the API keys page for
    administrators; the JSON API is public (its key authenticates it, not a session)."""
    for endpoint in ("employers.check", "employers.template", "employers.result", "employers.result_xlsx"):
        assert set(roles_admitted(app, endpoint, ROLES)) == {"employer", "admin"}, endpoint
    for endpoint in ("employers.api_keys", "employers.revoke_key"):
        assert set(roles_admitted(app, endpoint, ROLES)) == {"admin"}, endpoint
    assert policy_of(app, "employers.api_verify") == PUBLIC
