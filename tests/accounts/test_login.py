from sqlalchemy import func, select

from accounts.models import LoginAttempt, User
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, create_user, login):
    user = create_user("referee")
    response = login(user.username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "欢迎" in client.get("/").get_data(as_text=True)
    client.submit("/logout")
    assert client.get("/").status_code == 302


def test_username_is_case_insensitive(client, create_user, login):
    create_user("candidate", username="wangwu")
    assert login("WangWu").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, create_user, login, db):
    user = create_user("candidate")
    response = login(user.username, "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


def test_unknown_user_gets_the_same_message(client, login):
    response = login("nobody", "whatever-1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_malformed_and_overlong_logins_are_refused_and_change_nothing(client, db):
    response = client.submit("/login", {"username": "", "password": ""})
    assert response.status_code == 400
    assert "此字段为必填项" in response.get_data(as_text=True) or "必填" in response.get_data(as_text=True)
    response = client.submit("/login", {"username": "x" * 500, "password": "p"})
    assert response.status_code == 400
    assert "40" in response.get_data(as_text=True)  # the length limit is named
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_disabled_account_cannot_sign_in(client, create_user, login, db):
    user = create_user("referee")
    user.active = False
    db.session.commit()
    response = login(user.username)
    assert response.status_code == 401
    assert "账号已停用" in response.get_data(as_text=True)


def _login_from(client, address, username, password=PASSWORD):
    token = client.csrf_token()
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_account_throttle_backs_off_from_one_address(client, create_user, login, frozen_clock):
    user = create_user("candidate")
    for _ in range(5):
        assert login(user.username, "bad-password").status_code == 401
    response = login(user.username)  # even the right password waits while throttled
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 30
    assert "登录失败次数过多" in response.get_data(as_text=True)
    frozen_clock.advance(seconds=31)  # the first wait is short: a typo costs half a minute
    assert login(user.username, "bad-password").status_code == 401
    response = login(user.username)
    assert response.status_code == 429 and 30 < int(response.headers["Retry-After"]) <= 60  # then it doubles
    frozen_clock.advance(seconds=61)
    assert login(user.username).status_code == 302


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(client, create_user, frozen_clock):
    """Issue 12 M7: someone who knows a username cannot lock its owner out from another computer."""
    user = create_user("candidate")
    for _ in range(8):
        _login_from(client, "203.0.113.9", user.username, "bad-password")
    assert _login_from(client, "203.0.113.9", user.username).status_code == 429
    assert _login_from(client, "198.51.100.7", user.username).status_code == 302


def test_a_hall_network_lets_a_room_sign_in_behind_one_address(app, client, create_user, frozen_clock):
    """Issue 12 M7: typos of a whole hall behind one NAT do not lock the hall; the limit is higher there."""
    app.config["LOGIN_THROTTLE_PER_ADDRESS"] = 6
    app.config["HALL_NETWORKS"] = ("10.8.0.0/16",)
    users = [create_user("candidate") for _ in range(4)]
    for user in users:
        for _ in range(2):
            assert _login_from(client, "10.8.3.1", user.username, "bad-password").status_code == 401
    assert _login_from(client, "10.8.3.1", users[0].username).status_code == 302
    client.submit("/logout")
    for i in range(6):  # outside the hall networks, the ordinary address limit holds
        _login_from(client, "192.0.2.1", f"user{i}", "bad-password")
    assert _login_from(client, "192.0.2.1", users[1].username).status_code == 429


def test_ipv6_clients_are_counted_by_their_64(app, client, create_user, frozen_clock):
    """Issue 12 M7: one subscriber's /64 holds 2^64 addresses; a new address must not be a new budget."""
    user = create_user("candidate")
    for i in range(5):
        _login_from(client, f"2001:db8:1:2::{i + 1:x}", user.username, "bad-password")
    assert _login_from(client, "2001:db8:1:2::ffff", user.username).status_code == 429


def test_admin_unlocks_a_throttled_account(app, client, create_user, login, frozen_clock, db):
    """Issue 12 M7: an administrator clears the account's throttle, audited."""
    from core.audit import AuditLog

    user = create_user("candidate")
    for _ in range(5):
        login(user.username, "bad-password")
    assert login(user.username).status_code == 429
    admin = app.test_client()
    admin_user = create_user("admin")
    assert admin.submit("/login", {"username": admin_user.username, "password": PASSWORD}).status_code == 302
    page = admin.get(f"/admin/users/{user.public_id}").get_data(as_text=True)
    assert "近期有登录失败" in page
    assert admin.submit(f"/admin/users/{user.public_id}/unlock").status_code == 302
    assert login(user.username).status_code == 302
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.unlock_sign_in")) is not None


def test_success_resets_the_account_counter(client, create_user, login, frozen_clock):
    user = create_user("candidate")
    for _ in range(4):
        login(user.username, "bad-password")
    assert login(user.username).status_code == 302
    client.submit("/logout")
    for _ in range(4):
        assert login(user.username, "bad-password").status_code == 401
    assert login(user.username).status_code == 302


def test_address_throttle_spans_accounts(app, client, login, frozen_clock):
    app.config["LOGIN_THROTTLE_PER_ADDRESS"] = 6
    for i in range(6):
        assert login(f"user{i}", "bad-password").status_code == 401
    response = login("someone-else", "bad-password")
    assert response.status_code == 429
    assert "此电脑登录失败" in response.get_data(as_text=True)


def test_unknown_usernames_cost_the_same_hash_as_known_ones(app, client, create_user, login, monkeypatch):
    """Issue 12 M5: an unknown name is checked against a hash of the configured method (it was a
    1,000-round PBKDF2 against scrypt for real users: 13 ms against 115-139 ms)."""
    from accounts import services

    methods = []
    real = services.check_password_hash

    def spy(pwhash, password):
        methods.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    app.config["PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"  # cheap scrypt: same code path, quick test
    user = create_user("candidate")
    user.password_hash = services.hash_password("whatever-pass-1")
    login(user.username, "bad-password")
    login("nobody-at-all", "bad-password")
    assert methods[0] == methods[1] == "scrypt:1024:8:1"


def test_logout_ends_the_session_and_copies_of_its_cookies(app, client, create_user, login):
    """Issue 12 M4: a session cookie (or a remember cookie) copied before sign-out no longer works."""
    user = create_user("referee")
    token = client.csrf_token()
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y",
                                "csrf_token": token})
    assert client.get("/").status_code == 200
    copy = app.test_client()
    for cookie in client._cookies.values():
        copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert copy.get("/").status_code == 200
    remembered = app.test_client()
    remember = client.get_cookie("remember_token")
    assert remember is not None
    remembered.set_cookie("remember_token", remember.value)
    client.submit("/logout")
    assert copy.get("/").status_code == 302
    assert remembered.get("/").status_code == 302


def test_candidates_are_never_remembered(client, create_user):
    """Issue 12 M4: hall computers are shared; a candidate's sign-in ends with the browser."""
    user = create_user("candidate")
    token = client.csrf_token()
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y",
                                "csrf_token": token})
    assert client.get("/").status_code == 200
    assert client.get_cookie("remember_token") is None


def test_next_parameter_only_goes_to_this_site(client, create_user):
    user = create_user("candidate")
    token = client.csrf_token()
    data = {"username": user.username, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"
    client.submit("/logout")
    data["csrf_token"] = client.csrf_token()
    response = client.post("/login?next=/account/password", data=data)
    assert response.headers["Location"] == "/account/password"


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_successful_login_is_audited(client, create_user, login, db):
    from core.audit import AuditLog

    user = create_user("referee")
    login(user.username)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.login"))
    assert entry.actor_id == user.id and entry.address == "127.0.0.1"
    assert db.session.get(User, user.id).last_login_at is not None
