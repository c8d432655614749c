import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from accounts.models import Role, TrainingCentre, User
from core.audit import AuditLog


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _user(db, username):
    return db.session.scalar(select(User).filter_by(username=username))


def new_user_data(**overrides):
    data = {"username": "li.si", "full_name": "李四", "email": "lisi@example.com",
            "role": "referee", "centre": "", "password": "Start-pass-2026", "active": "y"}
    data.update(overrides)
    return data


def test_admin_creates_a_user_and_it_is_audited(client, login_as, db):
    admin = login_as("admin")
    response = client.submit("/admin/users/new", new_user_data())
    assert response.status_code == 302
    user = _user(db, "li.si")
    assert user.role is Role.REFEREE and user.must_change_password
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.create",
                                                     AuditLog.object_id == user.public_id))
    assert entry.actor_id == admin.id and entry.actor_role == "admin"
    assert entry.after["username"] == "li.si" and entry.after["role"] == "referee"
    assert "password" not in entry.after and "password_hash" not in entry.after


def test_bad_user_forms_are_explained_and_change_nothing(client, login_as, db):
    login_as("admin")
    before = _count(db, User), _count(db, AuditLog)
    cases = [
        (new_user_data(username="a b"), "字母"),
        (new_user_data(username="x" * 41), "40"),
        (new_user_data(email="not-an-email"), "电子邮箱"),
        (new_user_data(role="superuser"), "选择"),
        (new_user_data(role="centre_staff"), "必须隶属于"),
        (new_user_data(password="123"), "8"),
        (new_user_data(full_name=""), "必填"),
    ]
    for data, expected in cases:
        response = client.submit("/admin/users/new", data)
        assert response.status_code == 200, data
        page = response.get_data(as_text=True)
        assert "请更正" in page and expected in page, (data, expected)
    assert (_count(db, User), _count(db, AuditLog)) == before


def test_duplicate_username_is_refused(client, login_as, create_user, db):
    create_user("candidate", username="taken")
    login_as("admin")
    response = client.submit("/admin/users/new", new_user_data(username="TAKEN"))
    assert "已被使用" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(User.username == "taken")) == 1


def test_centre_staff_get_their_centre(client, login_as, db):
    login_as("admin")
    client.submit("/admin/centres/new", {"code": "sh-01", "name": "上海实训中心", "active": "y"})
    centre = db.session.scalar(select(TrainingCentre).filter_by(code="SH-01"))
    response = client.submit("/admin/users/new", new_user_data(role="centre_staff", centre=centre.public_id))
    assert response.status_code == 302
    assert _user(db, "li.si").centre_id == centre.id


def test_edit_and_disable_a_user_ends_their_session(app, client, login_as, create_user, db):
    target = create_user("referee")
    other = app.test_client()
    other.submit("/login", {"username": target.username, "password": "Correct-horse-42"})
    assert other.get("/").status_code == 200
    login_as("admin")
    response = client.submit(f"/admin/users/{target.public_id}", {
        "full_name": "New Name", "email": "", "role": "chief_referee", "centre": ""})  # active unticked
    assert response.status_code == 302
    user = db.session.get(User, target.id)
    assert user.full_name == "New Name" and user.role is Role.CHIEF_REFEREE and not user.active
    assert other.get("/").status_code == 302
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.disable"))
    assert entry.before["active"] is True and entry.after["active"] is False
    assert entry.before["role"] == "referee" and entry.after["role"] == "chief_referee"


def test_admin_cannot_lock_themselves_out(client, login_as, db):
    admin = login_as("admin")
    response = client.submit(f"/admin/users/{admin.public_id}", {
        "full_name": admin.full_name, "email": "", "role": "candidate", "centre": "", "active": "y"})
    assert "不能" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_user_list_filters_pages_and_exports(client, login_as, create_user):
    login_as("admin")
    for i in range(3):
        create_user("candidate", full_name=f"考生{i}")
    create_user("referee", full_name="裁判甲")
    page = client.get("/admin/users?role=referee").get_data(as_text=True)
    assert "裁判甲" in page and "考生0" not in page
    page = client.get("/admin/users?q=考生1").get_data(as_text=True)
    assert "考生1" in page and "考生2" not in page
    response = client.get("/admin/users?role=candidate&format=xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[0][0] == "用户名"
    assert sorted(r[1] for r in rows[1:]) == ["考生0", "考生1", "考生2"]


def test_unknown_user_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/nope").status_code == 404


def test_centre_staff_see_their_centre(client, login_as):
    user = login_as("centre_staff")
    page = client.get("/centre").get_data(as_text=True)
    assert user.centre.name in page and user.full_name in page
