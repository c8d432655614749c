"""Objections in Chromium (issue 17): during the publicity of the demo event PUB26 the demo
candidate objects to their result from their results page; after the publicity has ended the
result stays provisional while anything is unanswered; the administrator answers from the queue,
the candidate reads the answer, and the result becomes final only with the last answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.e2e.conftest import ARTIFACTS, press
from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e

REASON = "实操任务 4 的现场评分与我看到的评分表不一致，请核查。"
ANSWER = "经核对评分表和现场记录，任务 4 评分无误，维持原成绩。"


def _result_status(app) -> str:
    from certificates.models import Result
    from core.extensions import db
    from registration.models import Event, Registration

    with app.app_context():
        event = db.session.scalar(select(Event).filter_by(code="PUB26"))
        status = db.session.scalar(select(Result.status).join(Registration).where(
            Result.event_id == event.id, Registration.full_name == "赵一鸣"))
        db.session.remove()
    return status.value


def _publicity_end(app):
    from certificates import results
    from core.extensions import db
    from registration.models import Event

    with app.app_context():
        event = db.session.scalar(select(Event).filter_by(code="PUB26"))
        ends = results.publication_of(db.session, event).ends_at
        db.session.remove()
    return ends


def test_a_candidate_objects_and_the_result_is_final_only_once_answered(live_server, live_app, browser, screenshot,
                                                                          page):
    from core import clock
    from core.extensions import scheduler

    # The candidate, during the publicity.
    sign_in(page, "cand01")
    page.goto("/my-results")
    card = page.locator(".card").filter(has_text="示范（公示中）")
    assert "申请复核理论试卷" in card.inner_text()  # the demo's review request, received
    card.get_by_role("link", name="提出异议或申请复核").click()
    page.wait_for_url("**/objection")
    page.get_by_label("您要申请什么？").select_option("objection")
    page.get_by_label("原因").fill(REASON)
    screenshot("objection-file")
    press(page, "提交")
    assert "已收到" in page.locator(".alert").first.inner_text()
    mine = page.get_by_test_id("my-objection").filter(has_text=REASON)
    assert mine.get_by_test_id("my-objection-status").inner_text() == "已收到"
    screenshot("objection-my-results")

    # The publicity ends; nothing is final while objections are unanswered.
    try:
        clock.freeze(_publicity_end(live_app) + timedelta(minutes=1))
        scheduler.run_job(live_app, "certificates.finalise_results")
        assert _result_status(live_app) == "published"

        admin = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800}).new_page()
        sign_in(admin, "admin")
        admin.goto("/certificates/admin/objections")
        queue = admin.get_by_test_id("objection-queue")
        assert queue.locator("tr", has_text="赵一鸣").count() == 2  # the demo's review and the new objection
        ARTIFACTS.mkdir(exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "objection-queue.png"), full_page=True)
        for _n in range(2):
            admin.goto("/certificates/admin/objections")
            admin.get_by_test_id("objection-queue").locator("tr", has_text="赵一鸣").first.get_by_role("link").click()
            admin.wait_for_url("**/certificates/admin/objections/*")
            if admin.get_by_role("button", name="开始复核（将通知提出人）").count():
                press(admin, "开始复核（将通知提出人）")
                assert admin.get_by_test_id("objection-status").inner_text() == "复核中"
            if "申请复核理论试卷" in admin.get_by_test_id("objection-reason").inner_text():
                assert admin.get_by_test_id("answered-paper").count() in (0, 1)
            admin.get_by_label("答复内容").fill(ANSWER)
            if _n == 0:
                admin.screenshot(path=str(ARTIFACTS / "objection-review.png"), full_page=True)
            press(admin, "发送答复")
            assert admin.get_by_test_id("objection-status").inner_text() == "已答复"
            if _n == 0:
                assert _result_status(live_app) == "published"  # one still waiting
        assert _result_status(live_app) == "final"  # the last answer, after the publicity
        admin.context.close()

        page.goto("/my-results")
        mine = page.get_by_test_id("my-objection").filter(has_text=REASON)
        assert mine.get_by_test_id("my-objection-status").inner_text() == "已答复"
        assert ANSWER in mine.get_by_test_id("my-objection-answer").inner_text()
        card = page.locator(".card").filter(has_text="示范（公示中）")
        assert "已确定" in card.inner_text()
        assert card.get_by_role("link", name="提出异议或申请复核").count() == 0  # closed now
        screenshot("objection-answered")
    finally:
        clock.freeze(None)
