"""The verify page on a phone, as an employer sees it after scanning a certificate's QR code."""

from datetime import date
from decimal import Decimal

import pytest

from accounts import services as accounts
from certificates import services as certificates
from certificates.models import Result, ResultStatus
from core import clock
from core.extensions import db
from registration import rules as reg_rules
from registration import services as reg
from registration.models import Event
from tests.e2e.conftest import ARTIFACTS
from tests.registration.conftest import form_data, photo_bytes

pytestmark = pytest.mark.e2e


def seed(app):
    with app.app_context(), app.test_request_context():
        now = clock.now()
        admin, staff = accounts.find_user(db.session, "admin"), accounts.find_user(db.session, "centre")
        event = db.session.query(Event).filter_by(code="DEMO26").one()
        body = "110108" + "19990909" + "55" + "2"
        r = reg.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                  photo=photo_bytes(), user=staff, now=now,
                                  data=form_data(full_name="陈思远", gender="female", email="chen@example.com",
                                                 birth_date=date(1999, 9, 9),
                                                 id_number=body + reg_rules.id_check_character(body)))
        for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
            reg.act(db.session, registration=r, action=action, user=user, now=now)
        result = Result(event_id=event.id, registration_id=r.id, theory=Decimal("86.5"), practical=Decimal("91"),
                        total=Decimal("88.75"), passed=True, status=ResultStatus.FINAL, computed_at=now, final_at=now)
        db.session.add(result)
        certificate = certificates.issue(db.session, result=result, actor=admin, now=now)
        db.session.commit()
        return certificates.token(certificate), certificate.number


def test_verify_page_on_a_phone(browser, live_server, live_app):
    token, number = seed(live_app)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"/verify/{token}")
    assert page.get_by_test_id("verify-status").inner_text() == "有效"
    assert page.get_by_test_id("holder").inner_text() == "陈思远"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "verify-phone.png"), full_page=True)
    page.goto(f"/verify/{token[:-2]}xx")
    assert page.get_by_test_id("verify-status").inner_text() == "未找到"
    page.goto("/verify")
    page.get_by_label("证书编号").fill(number)
    page.get_by_label("持证人姓名").fill("陈思远")
    page.get_by_role("button", name="查验").click()
    assert page.get_by_test_id("verify-status").inner_text() == "有效"
    context.close()
