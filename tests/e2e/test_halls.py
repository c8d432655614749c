"""Exam day in two halls, in Chromium (issue 13): the invigilator of hall A pauses it for two
minutes, its candidates see the pause and get the two minutes back while hall B is untouched; a
second computer of a hall-A candidate waits until the invigilator approves it on the seat map, and
the first stops saving; the invigilator of hall B can neither see nor act on hall A; the hall
report PDF is rendered and read back."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD
from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_halls(live_app):
    """An exam of its own with hall A (candidate ea1, invigilator eia) and hall B (eb1, eib)."""
    from accounts import services as accounts
    from accounts.models import Role
    from core import clock
    from core.extensions import db
    from exam import admin, halls, services
    from exam.models import MultipleRule, ReviewPolicy
    from question_bank.models import Level, QuestionType

    with live_app.app_context():
        people = {}
        for name, role in (("ea1", Role.CANDIDATE), ("eb1", Role.CANDIDATE), ("eia", Role.INVIGILATOR),
                           ("eib", Role.INVIGILATOR)):
            people[name] = accounts.find_user(db.session, name) or accounts.create_user(
                db.session, username=name, full_name=f"考生{name}" if role is Role.CANDIDATE else f"监考{name}",
                role=role, password=DEMO_PASSWORD)
        now = clock.now()
        exam = admin.save_exam(db.session, exam=None, actor=None, fields=dict(
            title="两考场演练", event="e2e", event_id=None, level=Level.JUNIOR, duration_minutes=60,
            opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(hours=3), allow_overrun=False,
            access_code="", shuffle_questions=True, shuffle_options=True, pass_score=Decimal(60),
            review_policy=ReviewPolicy.NEVER, multiple_rule=MultipleRule.PARTIAL, partial_fraction=Decimal("0.5"),
            grace_seconds=15))
        admin.add_section(db.session, exam=exam, type=QuestionType.SINGLE, title="", points=Decimal(2),
                          quotas=[{"count": 5}], actor=None)
        admin.add_to_roster(db.session, exam=exam, usernames=["ea1", "eb1"], actor=None)
        hall_a = halls.add_hall(db.session, exam=exam, name="演练A考场", room="A201", seats=30, actor=None)
        hall_b = halls.add_hall(db.session, exam=exam, name="演练B考场", room="A202", seats=30, actor=None)
        halls.seat(db.session, hall=hall_a, usernames=["ea1"], actor=None)
        halls.seat(db.session, hall=hall_b, usernames=["eb1"], actor=None)
        halls.assign_invigilator(db.session, hall=hall_a, user=people["eia"], actor=None)
        halls.assign_invigilator(db.session, hall=hall_b, user=people["eib"], actor=None)
        services.publish(db.session, exam=exam, actor=None, now=now)
        db.session.commit()
        ids = {"exam": exam.public_id, "a": hall_a.public_id, "b": hall_b.public_id}
        db.session.remove()
    return ids


def _context(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _start(page, exam_title):
    page.goto("/exam/")
    page.locator("[data-testid=exam-card]", has_text=exam_title).get_by_role("button", name="开始考试").click()
    page.wait_for_url("**/exam/attempts/*")
    return page.url


def _clock(page, attempt_url):
    return page.request.get(attempt_url + "/clock").json()


def test_two_halls_on_exam_day(browser, live_server, live_app, two_halls):
    from core import clock

    a1, b1 = _context(browser, live_server), _context(browser, live_server)
    sign_in(a1, "ea1")
    sign_in(b1, "eb1")
    url_a, url_b = _start(a1, "两考场演练"), _start(b1, "两考场演练")
    before_a, before_b = _clock(a1, url_a), _clock(b1, url_b)

    # The invigilator of hall A pauses it; its candidate sees the pause, hall B answers on.
    inv_a = _context(browser, live_server)
    sign_in(inv_a, "eia")
    inv_a.goto(f"/exam/halls/{two_halls['a']}")
    inv_a.get_by_placeholder("暂停原因").fill("网络故障")
    inv_a.get_by_role("button", name="暂停考场").click()
    inv_a.get_by_test_id("hall-paused").wait_for()
    a1.locator('.exam-q input[type=radio]').first.check()  # the save is refused (423): the page learns of it
    a1.get_by_test_id("exam-paused").wait_for(state="visible")
    b1.locator('.exam-q input[type=radio]').first.check()
    b1.wait_for_selector("#save-status.saved")
    a1.screenshot(path=str(ARTIFACTS / "hall-a-paused.png"))

    # Two minutes later (the server's clock moved on) the hall resumes: two minutes more, in hall A only.
    paused_at = clock.now()
    clock.freeze(paused_at + timedelta(minutes=2, seconds=1))
    try:
        inv_a.get_by_role("button", name="继续考试").click()
        inv_a.wait_for_selector("[data-testid=pause-form]")
        after_a, after_b = _clock(a1, url_a), _clock(b1, url_b)
    finally:
        clock.freeze(None)
    moved = (_iso(after_a["deadline"]) - _iso(before_a["deadline"])).total_seconds()
    assert 120 <= moved <= 125, moved
    assert after_b["deadline"] == before_b["deadline"]
    a1.wait_for_selector("#save-status.saved", timeout=30_000)  # the waiting answer went on resume
    assert a1.get_by_test_id("exam-paused").is_hidden()

    # A second computer of the hall-A candidate waits for the invigilator, who approves it.
    a2 = _context(browser, live_server)
    sign_in(a2, "ea1")
    a2.goto("/exam/")
    a2.locator("[data-testid=exam-card]", has_text="两考场演练").get_by_role("button", name="继续考试").click()
    a2.get_by_test_id("takeover-waiting").wait_for()
    inv_a.reload()
    request = inv_a.get_by_test_id("takeover-request")
    assert re.fullmatch(r"\d{6}", request.get_by_test_id("takeover-code").inner_text())
    inv_a.screenshot(path=str(ARTIFACTS / "hall-a-takeover.png"), full_page=True)
    request.get_by_role("button").click()
    a2.wait_for_selector("#exam-config", state="attached", timeout=30_000)  # the waiting page opens the exam
    a1.locator('.exam-q input[type=radio]').nth(1).check()
    a1.get_by_text("本页面将不再保存答案").first.wait_for()  # the first computer stops saving

    # The invigilator of hall B: every hall-A route answers 403 or 404, and changes nothing.
    inv_b = _context(browser, live_server)
    sign_in(inv_b, "eib")
    attempt = url_a.rstrip("/").rsplit("/", 1)[1]
    token = inv_b.locator("meta[name=csrf-token]").get_attribute("content")
    for rule in live_app.url_map.iter_rules():
        if "<hall_id>" not in rule.rule:
            continue
        path = (rule.rule.replace("<hall_id>", two_halls["a"]).replace("<attempt_id>", attempt)
                .replace("<username>", "ea1"))
        if "GET" in rule.methods:
            status = inv_b.request.get(path, max_redirects=0).status
        else:
            status = inv_b.request.post(path, form={"csrf_token": token, "reason": "x", "minutes": "5",
                                                    "text": "x", "starts_at": ""}, max_redirects=0).status
        assert status in (403, 404), (rule.rule, status)
    assert "演练A考场" not in inv_b.request.get("/exam/halls/").text()

    # The hall report: a PDF with the hall's candidate, the pause and the signature lines.
    from pypdf import PdfReader

    pdf = inv_a.request.get(f"/exam/halls/{two_halls['a']}/report.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages).replace(" ", "")
    assert "演练A考场" in text and "考生ea1" in text and "考生eb1" not in text
    assert "暂停" in text and "网络故障" in text and "监考员签字" in text
    (ARTIFACTS / "hall-report.pdf").write_bytes(pdf.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(ARTIFACTS / "hall-report.pdf"),
                    str(ARTIFACTS / "hall-report")], check=True)
    assert (ARTIFACTS / "hall-report.png").stat().st_size > 10_000
    for p in (a1, a2, b1, inv_a, inv_b):
        p.context.close()


def _iso(text):
    from datetime import datetime

    return datetime.fromisoformat(text)
