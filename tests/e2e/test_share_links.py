"""Holder share links in Chromium (issue 17): the holder makes a link on their results page and
copies it, an employer opens it in a browser of their own and sees the verify page, the holder
sees the visit and revokes the link, and the employer's next visit is told it is gone (410)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD, click, press
from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e

USERNAME = "share01"
HOLDER = "林分享"


def seed(app) -> None:
    """A certificate whose holder has an account that signs in with the demo password: the
    centre's form carries the account's e-mail address, so it is theirs."""
    from accounts import services as accounts
    from accounts.models import Role
    from certificates import services as certificates
    from certificates.models import Result, ResultStatus
    from core import clock
    from core.extensions import db
    from registration import rules as reg_rules
    from registration import services as reg
    from registration.models import Event
    from tests.registration.conftest import form_data, photo_bytes

    with app.app_context(), app.test_request_context():
        now = clock.now()
        admin, staff = accounts.find_user(db.session, "admin"), accounts.find_user(db.session, "centre")
        accounts.create_user(db.session, username=USERNAME, full_name=HOLDER, role=Role.CANDIDATE,
                             password=DEMO_PASSWORD, email=f"{USERNAME}@example.com")
        event = db.session.query(Event).filter_by(code="DEMO26").one()
        body = "110108" + "19950505" + "66" + "2"
        r = reg.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                  photo=photo_bytes(), user=staff, now=now,
                                  data=form_data(full_name=HOLDER, gender="female", email=f"{USERNAME}@example.com",
                                                 birth_date=date(1995, 5, 5),
                                                 id_number=body + reg_rules.id_check_character(body)))
        for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
            reg.act(db.session, registration=r, action=action, user=user, now=now)
        assert r.user.username == USERNAME
        result = Result(event_id=event.id, registration_id=r.id, theory=Decimal("80"), practical=Decimal("85"),
                        total=Decimal("83.5"), passed=True, status=ResultStatus.FINAL, computed_at=now, final_at=now)
        db.session.add(result)
        certificates.issue(db.session, result=result, actor=admin, now=now)
        db.session.commit()
        db.session.remove()


def test_the_holder_shares_and_revokes_a_link(browser, live_server, live_app, screenshot, page):
    seed(live_app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in(page, USERNAME)
    page.goto("/my-results")
    with page.expect_navigation():
        page.get_by_test_id("share-links").click()
    assert page.get_by_role("heading", name="分享链接", exact=True).is_visible()

    page.get_by_label("天数（30 到 180）").fill("45")  # typing a number chooses "another number of days"
    assert page.get_by_label("其他天数").is_checked()
    page.get_by_label("备注（仅自己可见）").fill("给示范公司 HR")
    press(page, "生成分享链接")
    assert "分享链接已生成" in page.locator(".alert-success").inner_text()
    row = page.get_by_test_id("share-link").first
    assert "给示范公司 HR" in row.inner_text() and row.get_attribute("data-state") == "active"
    link = row.get_by_test_id("share-url").input_value()
    assert "/s/" in link
    row.get_by_role("button", name="复制", exact=True).click()
    page.get_by_role("button", name="已复制", exact=True).wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    screenshot("share-links-holder")

    path = link[link.index("/s/"):]
    employer = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    other = employer.new_page()
    response = other.goto(path)
    assert response.status == 200
    assert other.get_by_test_id("verify-status").inner_text() == "有效"
    assert other.get_by_test_id("holder").inner_text() == HOLDER
    assert "本页面由持证人分享" in other.get_by_test_id("share-note").inner_text()
    assert other.locator("img.verify-photo").evaluate("img => img.naturalWidth") > 0  # the photo, through the link
    other.screenshot(path=str(ARTIFACTS / "share-links-employer.png"), full_page=True)

    page.reload()
    row = page.get_by_test_id("share-link").first
    assert row.get_by_test_id("share-visits").inner_text().startswith("1")
    click(page, row.get_by_role("button", name="撤销"))
    assert "分享链接已撤销" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("share-link").first.get_attribute("data-state") == "revoked"

    response = other.goto(path)
    assert response.status == 410
    assert other.get_by_test_id("share-state").inner_text() == "链接已撤销"
    assert HOLDER not in other.content()
    employer.close()
