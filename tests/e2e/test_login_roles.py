"""Each demo role signs in through a real browser and lands on its own home page."""

import pytest

pytestmark = pytest.mark.e2e

from tests.e2e.conftest import DEMO_PASSWORD, click, press  # noqa: E402

ROLES = {
    # username: (role label in Chinese, nav entries it must see, nav entries it must not see)
    "admin": ("管理员", {"accounts.users", "core.audit_log"}, {"accounts.my_centre"}),
    "centre": ("培训机构人员", {"accounts.my_centre"}, {"accounts.users"}),
    "referee": ("裁判", set(), {"accounts.users", "accounts.my_centre"}),
    "chief": ("裁判长", set(), {"accounts.users", "core.audit_log"}),
    "cand01": ("考生", set(), {"accounts.users", "accounts.my_centre"}),
}


def sign_in(page, username):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    press(page, "登录")
    if page.locator("html").get_attribute("lang") != "zh-Hans":  # an earlier test chose English
        press(page, "简体中文")


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_signs_in_and_sees_its_home(page, screenshot, username):
    role_label, must_see, must_not_see = ROLES[username]
    sign_in(page, username)
    assert role_label in page.get_by_test_id("home-role").inner_text()
    shown = set(page.locator("[data-testid=main-nav] a").evaluate_all(
        "links => links.map(a => a.dataset.endpoint)"))
    assert "accounts.home" in shown
    assert must_see <= shown
    assert not (must_not_see & shown)
    screenshot(f"home-{username}")


def test_login_page_speaks_chinese_then_english(page, screenshot):
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="登录").is_visible()
    screenshot("login-zh")
    press(page, "English")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    page.goto("/login")  # remembered
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot("login-en")


def test_wrong_password_is_refused_with_a_message(page):
    page.goto("/login")
    page.get_by_label("用户名").fill("referee")
    page.get_by_label("密码").fill("not-the-password")
    press(page, "登录")
    assert page.get_by_role("alert").filter(has_text="用户名或密码错误").is_visible()
    assert "/login" in page.url


def test_admin_creates_a_user_in_english(page, screenshot):
    sign_in(page, "admin")
    press(page, "English")
    click(page, page.get_by_role("link", name="Manage users"))
    click(page, page.get_by_role("link", name="New user"))
    page.get_by_label("Username").fill("newref")
    page.get_by_label("Full name").fill("New Referee")
    page.get_by_label("Role").select_option("referee")
    page.get_by_label("Initial password").fill("Ref-pass-2026")
    screenshot("user-new-en")
    press(page, "Save")
    assert page.get_by_role("alert").filter(has_text="User newref created.").is_visible()
    assert page.get_by_role("link", name="newref").is_visible()
    screenshot("users-en")


def test_admin_finds_the_change_in_the_audit_log(page, screenshot):
    sign_in(page, "admin")
    click(page, page.get_by_role("link", name="搜索审计日志"))
    page.get_by_label("操作").fill("user.create")
    press(page, "筛选")
    rows = page.locator("tbody tr")
    assert rows.count() >= 7  # the demo accounts were created through the same service
    # Other browser tests create accounts too (a page holds 50 rows): narrow to one account.
    page.get_by_label("对象或备注").fill("cand01")
    press(page, "筛选")
    assert rows.filter(has_text="cand01").count() == 1
    screenshot("audit-log-zh")
