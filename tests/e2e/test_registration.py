"""The review workflow in a real browser: a centre registers a candidate with a photo, the project
centre returns the form with two corrections, the candidate fixes them, both approve, the ticket
downloads."""

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader

from registration import rules
from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD, click, press

pytestmark = pytest.mark.e2e


def id_number(born=date(2002, 8, 9), seq="35", male=False):
    body = f"310115{born:%Y%m%d}{seq}{'3' if male else '4'}"
    return body + rules.id_check_character(body)


def signed_in(browser, live_server, username):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")
    if page.locator("html").get_attribute("lang") != "zh-Hans":
        page.get_by_role("button", name="简体中文").click()
    return context, page


def open_registration(page, name):
    page.goto("/registration/")
    page.get_by_role("link", name=name).first.click()
    page.wait_for_url("**/registration/*")



def test_register_return_correct_approve_and_download_the_ticket(browser, live_server, tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (600, 800), (30, 80, 200)).save(photo)
    name = "林晓雨"

    centre, page = signed_in(browser, live_server, "centre")
    page.goto("/registration/events")
    page.get_by_role("link", name="示范").first.click()
    page.get_by_role("link", name="报名", exact=True).click()
    page.fill("#full_name", name)
    page.select_option("#gender", "female")
    page.fill("#birth_date", "2002-08-09")
    page.select_option("#education", "vocational")
    page.fill("#employer", "上海电子信息职业技术学院")
    page.fill("#phone", "13912345678")
    page.fill("#email", "cand03@example.com")  # the demo candidate cand03: the form becomes theirs
    page.fill("#id_number", id_number())
    page.set_input_files("#photo", str(photo))
    assert page.locator("#photo-preview").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "registration-form-page.png"), full_page=True)
    press(page, "保存")
    assert page.get_by_test_id("state").inner_text() == "草稿"
    press(page, "提交审核")
    press(page, "单位审核通过")
    centre.close()

    admin, page = signed_in(browser, live_server, "admin")
    open_registration(page, name)
    page.get_by_role("link", name="退回修改").click()
    page.check("input[name=fix_phone]")
    page.fill("input[name=comment_phone]", "电话无法接通，请核对")
    page.check("input[name=fix_resume]")
    page.fill("input[name=comment_resume]", "请补充个人简历")
    press(page, "退回")
    assert page.get_by_test_id("state").inner_text() == "退回修改"
    assert page.get_by_test_id("corrections").locator("li").count() == 2
    page.screenshot(path=str(ARTIFACTS / "registration-returned.png"), full_page=True)
    admin.close()

    candidate, page = signed_in(browser, live_server, "cand03")
    open_registration(page, name)
    assert "电话无法接通" in page.get_by_test_id("corrections").inner_text()
    page.get_by_role("link", name="修改报名表").click()
    page.fill("#phone", "13987654321")
    page.fill("#resume", "2020-2023 就读于上海电子信息职业技术学院，工业互联网专业。")
    press(page, "保存")
    press(page, "重新提交")
    assert page.get_by_test_id("state").inner_text() == "已提交"
    candidate.close()

    centre, page = signed_in(browser, live_server, "centre")
    open_registration(page, name)
    press(page, "单位审核通过")
    centre.close()

    admin, page = signed_in(browser, live_server, "admin")
    open_registration(page, name)
    press(page, "项目中心审核通过")
    press(page, "确认参考")
    number = page.get_by_test_id("candidate-number").inner_text().split(" ")[0]
    assert number.startswith("DEMO26")
    href = page.get_by_test_id("ticket").get_attribute("href")
    response = page.request.get(href)
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert number in text and name in text
    admin.close()


def test_a_centre_approves_the_forms_on_a_page_in_one_action(browser, live_server, live_app):
    """Issue 15: tick every row on the page, the count shows, the confirmation names it, and the
    result page says how many were approved."""
    from datetime import timedelta

    from sqlalchemy import select

    from accounts.models import User
    from core import clock
    from core.extensions import db
    from question_bank.models import Level
    from registration import services
    from registration.models import Education, EventKind, Registration, State

    buf = io.BytesIO()
    Image.new("RGB", (600, 800), (30, 80, 200)).save(buf, format="JPEG")
    with live_app.app_context():
        staff = db.session.scalar(select(User).filter_by(username="centre"))
        admin = db.session.scalar(select(User).filter_by(username="admin"))
        now = clock.now()
        event = services.save_event(db.session, event=None, actor=admin, fields={
            "code": "BULK26", "name": "批量审核演示", "kind": EventKind.CERTIFICATION, "level": Level.INTERMEDIATE,
            "groups": [], "registration_opens": now - timedelta(days=1),
            "registration_closes": now + timedelta(days=30), "minimum_education": Education.HIGH_SCHOOL,
            "require_full_hours": False, "correction_days": 5})
        for k in range(3):
            born = date(2001, 4, 1 + k)
            form = services.save_registration(
                db.session, registration=None, event=event, centre=staff.centre, user=staff, now=now,
                photo=buf.getvalue(), data={
                    "full_name": f"批量考生{k}", "gender": "female", "birth_date": born, "education": "vocational",
                    "title": "", "employer": "", "phone": "13800138000", "address": "", "resume": "",
                    "email": f"bulk{k}@example.com", "id_number": id_number(born, seq=f"5{k}"),
                    "training_history": "", "group": None})
            services.act(db.session, registration=form, action="submit", user=staff, now=now)
        db.session.commit()
        event_id = event.public_id

    context, page = signed_in(browser, live_server, "centre")
    page.goto(f"/registration/?event={event_id}&state=submitted")
    approve = page.locator("button[name=action][value=approve]")
    assert approve.is_disabled()  # nothing selected yet
    page.get_by_test_id("bulk-page").check()
    assert page.get_by_test_id("bulk-count").inner_text() == "3"
    assert "3" in approve.get_attribute("data-confirm")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "registration-bulk.png"), full_page=True)
    click(page, approve)
    assert page.get_by_test_id("bulk-done").get_attribute("data-n") == "3"
    context.close()
    with live_app.app_context():
        states = db.session.scalars(select(Registration.state)
                                    .where(Registration.event.has(public_id=event_id))).all()
        assert states == [State.CENTRE_APPROVED] * 3
