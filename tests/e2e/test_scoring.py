"""Two referees mark one candidate's task in Chromium; one judgement diverges; the chief referee
sees the station and both marks, resolves it and locks the task; the board shows it locked; each
referee signs their marks in their own session, then the chief referee signs."""

from datetime import date, timedelta

import pytest

from accounts import services as accounts
from accounts.models import Role, TrainingCentre
from core import clock
from core.extensions import db
from question_bank.models import Level
from registration import rules as reg_rules
from registration import services as reg
from registration.models import Education, EventKind
from scoring import services
from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD, click, press
from tests.e2e.test_registration import signed_in
from tests.registration.conftest import form_data, photo_bytes

pytestmark = pytest.mark.e2e


def seed(app):
    with app.app_context():
        now = clock.now()
        admin = accounts.find_user(db.session, "admin")
        staff = accounts.find_user(db.session, "centre")
        event = reg.save_event(db.session, event=None, actor=admin, fields={
            "code": "E2ESC", "name": "实操评分演练", "kind": EventKind.COMPETITION, "level": Level.INTERMEDIATE,
            "groups": [], "registration_opens": now - timedelta(days=1),
            "registration_closes": now + timedelta(days=5), "minimum_education": Education.HIGH_SCHOOL,
            "require_full_hours": False, "correction_days": 5})
        body = "320102" + "20000505" + "77" + "3"
        registration = reg.save_registration(
            db.session, registration=None, event=event, centre=staff.centre, photo=photo_bytes(), user=staff,
            now=now, data=form_data(full_name="周评测", id_number=body + reg_rules.id_check_character(body),
                                    birth_date=date(2000, 5, 5), email="zhou@example.com"))
        for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
            reg.act(db.session, registration=registration, action=action, user=user, now=now)
        scheme = services.create_scheme(db.session, event=event, actor=admin)
        services.lock_scheme(db.session, scheme=scheme, actor=admin, now=now)
        services.draw_stations(db.session, scheme=scheme, actor=admin, seed="e2e")
        other_centre = db.session.query(TrainingCentre).first()
        second = accounts.create_user(db.session, username="referee2", full_name="王裁判", role=Role.REFEREE,
                                      password=DEMO_PASSWORD, centre=None)
        task = scheme.tasks[0]
        number = services.station_of(db.session, task, registration).number
        for referee in (accounts.find_user(db.session, "referee"), second):
            services.assign(db.session, task=task, referee=referee, stations=[number], actor=admin)
        db.session.commit()
        assert other_centre is not None
        return event.public_id, task.id, number, {a.code: a.id for a in task.aspects}


def enter(page, task_id, number, ids, values, action="提交评分"):
    page.goto(f"/scoring/tasks/{task_id}/stations/{number}")
    for code, value in values.items():
        page.fill(f"#aspect_{ids[code]}", str(value))
    press(page, action)


def test_two_referees_diverge_and_the_chief_resolves_and_locks(browser, live_server, live_app):
    event_id, task_id, number, ids = seed(live_app)

    context, page = signed_in(browser, live_server, "referee")
    page.goto("/scoring/")
    assert page.get_by_role("link", name="评分").count() >= 1 and "周评测" not in page.content()
    page.goto(f"/scoring/tasks/{task_id}/stations/{number}")
    page.fill(f"#aspect_{ids['1.1']}", "10")
    page.keyboard.press("Tab")
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    press(page, key="Enter")  # Enter saves a draft
    assert page.locator(f"#aspect_{ids['1.3']}").input_value() == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scoring-entry.png"), full_page=True)
    press(page, "提交评分")
    context.close()

    context, page = signed_in(browser, live_server, "referee2")
    enter(page, task_id, number, ids, {"1.3": 3})
    assert page.get_by_test_id("task-state").inner_text() == "待裁决"
    context.close()

    context, page = signed_in(browser, live_server, "chief")
    page.goto(f"/scoring/events/{event_id}")
    flag = page.get_by_test_id("flag")
    assert flag.count() == 1
    assert f"{number} · 1.3" in flag.get_by_test_id("flag-where").inner_text()  # the station and the aspect
    assert "王裁判: 3" in flag.get_by_test_id("flag-marks").inner_text()
    flag.locator("select[name=decision]").select_option("confirm")
    flag.locator("input[name=note]").fill("两位裁判的评判均在合理范围内")
    flag.get_by_role("button", name="确定").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("flag").count() == 0
    click(page, page.get_by_role("button", name="锁定任务").first)
    assert page.get_by_test_id("task-locked-1").is_visible()
    page.goto(f"/scoring/events/{event_id}/board")
    cell = page.locator("td[data-task='1']").first
    assert cell.inner_text() == "已锁定" and "state-locked" in cell.get_attribute("class")
    page.screenshot(path=str(ARTIFACTS / "scoring-board.png"), full_page=True)
    context.close()

    for username in ("referee", "referee2"):  # each referee signs for their own marks
        context, page = signed_in(browser, live_server, username)
        page.goto("/scoring/")
        click(page, page.get_by_test_id("sign-1"))
        assert page.get_by_test_id("signed-1").is_visible()
        context.close()
    context, page = signed_in(browser, live_server, "chief")
    page.goto(f"/scoring/events/{event_id}")
    click(page, page.get_by_test_id("sign-chief-1"))
    assert page.get_by_test_id("sign-chief-1").count() == 0
    assert "✓" in page.get_by_test_id("signatures-1").inner_text()
    context.close()

    context, page = signed_in(browser, live_server, "admin")  # the referee × task grid and its overview
    page.goto(f"/scoring/events/{event_id}#assignments")
    grid = page.get_by_test_id("assign-grid")
    assert grid.locator("input[name=cell]:checked").count() == 2  # both referees on task 1
    grid.locator("[data-testid='cell-referee2-2']").check()
    click(page, grid.get_by_test_id("save-grid"))
    assert "(1/1)" in page.get_by_test_id("overview-2").inner_text()
    page.get_by_test_id("assign-grid").screenshot(path=str(ARTIFACTS / "scoring-grid.png"))
    context.close()
