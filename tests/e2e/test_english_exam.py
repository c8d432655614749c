"""English papers in Chromium (issue 16): the international group's candidate, whose interface is in
Chinese, takes the demo's English theory test: the paper and its page are in English, every kind of
question is answered and saved, the exam is submitted and the receipt is in English. A bilingual
paper shows the Chinese and the English side by side on a laptop and one beneath the other on a
390 px phone."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e

CJK = re.compile(r"[\u4e00-\u9fff]")


def _words(text: str) -> str:
    return " ".join(text.split())


def _paper_of(live_app, username: str) -> list[dict]:
    """The candidate's paper as the server froze it: each item's type and texts."""
    from sqlalchemy import select

    from accounts.models import User
    from core.extensions import db
    from exam.models import Paper

    with live_app.app_context():
        user = db.session.scalar(select(User).filter_by(username=username))
        paper = db.session.scalar(select(Paper).filter_by(user_id=user.id))
        items = [{"id": i.id, "type": i.version.type.value, "stem": i.version.stem, "stem_en": i.version.stem_en,
                  "options": i.version.options, "typed": i.version.kind.example_response(i.version.answer)}
                 for i in paper.items]
        db.session.remove()
    return items


def test_an_international_candidate_takes_the_english_exam(live_app, page, screenshot):
    from exam import demo

    sign_in(page, "intl01")  # the shared sign-in leaves the interface in Chinese
    page.goto("/exam/")
    card = page.get_by_test_id("exam-card").filter(has_text=demo.TITLE_EN)
    assert "English" in card.inner_text()  # the card says the paper's language
    assert page.get_by_test_id("exam-card").count() == 1  # the Chinese demo exam is not theirs
    card.get_by_role("button", name="开始考试").click()
    page.wait_for_url("**/exam/attempts/*")

    # The page of an English exam is in English, whatever the interface language.
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Time left").is_visible()
    assert page.get_by_role("button", name="Submit", exact=True).is_visible()
    # Every stem and option shown is the question's English text (which may quote a Chinese term).
    stems = page.locator("#questions .question-stem").all_inner_texts()
    choices = '.exam-q[data-type="single"] .exam-option, .exam-q[data-type="multiple"] .exam-option'
    options = page.locator(choices).all_inner_texts()
    paper = _paper_of(live_app, "intl01")
    assert len(stems) == len(paper) == 80
    assert {_words(s) for s in stems} == {_words(item["stem_en"]) for item in paper}
    english = {_words(o["text_en"]) for item in paper for o in item["options"]}
    assert options and all(_words(o).split(" ", 1)[1] in english for o in options)  # after the letter
    screenshot("english-exam", full_page=False)

    status = page.get_by_test_id("save-status")
    single = page.locator('.exam-q[data-type="single"]').first
    single.locator("input[type=radio]").first.check()
    multiple = page.locator('.exam-q[data-type="multiple"]').first
    multiple.locator("input[type=checkbox]:not([data-flag])").nth(0).check()
    multiple.locator("input[type=checkbox]:not([data-flag])").nth(1).check()
    page.locator('.exam-q[data-type="true_false"]').first.locator("input[type=radio]").first.check()
    page.locator('.exam-q[data-type="fill_blank"]').first.locator("input[data-blank]").first.fill("MQTT")
    # A numeric question answered as a candidate types it: the value with its unit ("0.8MPa").
    numeric = page.locator('.exam-q[data-type="numeric"]').first
    key = next(i for i in paper if str(i["id"]) == numeric.get_attribute("data-item"))
    numeric.locator('[data-answer="text"] input').fill(key["typed"])
    # Every answer acknowledged: nothing left in the page's queue (a hand-in while a save is still in
    # flight is not sent: exam.js waits for the queue, see the report on issue 16).
    page.wait_for_function(
        "() => { const k = Object.keys(localStorage).find(k => k.startsWith('iiom-exam-'));"
        " return k && Object.keys(JSON.parse(localStorage.getItem(k))).length === 0"
        " && document.getElementById('save-status').classList.contains('saved'); }", timeout=60_000)
    assert "Saved at" in status.inner_text() and "(server)" in status.inner_text()
    assert page.locator("#answered-count").inner_text() == "5"

    page.get_by_role("button", name="Submit", exact=True).click()
    dialog = page.locator("#submit-dialog")
    assert "Submit the exam?" in dialog.inner_text() and "Unanswered questions:" in dialog.inner_text()
    screenshot("english-exam-submit", full_page=False)
    page.get_by_role("button", name="Submit now").click()
    page.wait_for_url("**/receipt", timeout=60_000)  # a busy machine: the hand-in is one write, the page waits
    receipt = page.get_by_test_id("receipt")
    assert page.get_by_role("heading", name="Your exam has been submitted").is_visible()
    assert "Digest of your answers" in receipt.inner_text() and not CJK.search(receipt.inner_text())
    assert page.get_by_test_id("answered").inner_text().startswith("5 /")
    screenshot("english-exam-receipt")
    from core.extensions import db
    from exam.models import Answer

    with live_app.app_context():  # kept as typed, and right: the value with its unit is a number
        answer = db.session.scalar(select(Answer).filter_by(item_id=key["id"]))
        assert answer.response == key["typed"] and answer.item.version.check(answer.response).correct
        db.session.remove()


@pytest.fixture
def bilingual_exam(live_app):
    """A bilingual exam of its own (five single-choice questions with English) for candidate bi1."""
    from accounts import services as accounts
    from accounts.models import Role
    from core import clock
    from core.extensions import db
    from exam import admin, services
    from exam.models import ExamLanguage, MultipleRule, ReviewPolicy
    from question_bank.models import Level, QuestionType

    with live_app.app_context():
        if accounts.find_user(db.session, "bi1") is None:
            accounts.create_user(db.session, username="bi1", full_name="考生 bi1", role=Role.CANDIDATE,
                                 password=DEMO_PASSWORD)
        now = clock.now()
        exam = admin.save_exam(db.session, exam=None, actor=None, fields=dict(
            title="中英对照演练", event="e2e", event_id=None, level=Level.JUNIOR, language=ExamLanguage.BOTH,
            duration_minutes=60, opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(hours=3),
            allow_overrun=False, access_code="", shuffle_questions=True, shuffle_options=True,
            pass_score=Decimal(60), review_policy=ReviewPolicy.NEVER, multiple_rule=MultipleRule.PARTIAL,
            partial_fraction=Decimal("0.5"), grace_seconds=15))
        admin.add_section(db.session, exam=exam, type=QuestionType.SINGLE, title="", points=Decimal(2),
                          quotas=[{"count": 5}], actor=None)
        admin.add_to_roster(db.session, exam=exam, usernames=["bi1"], actor=None)
        services.publish(db.session, exam=exam, actor=None, now=now)
        db.session.commit()
        title = exam.title
        db.session.remove()
    return title


def _boxes(page):
    stem = page.locator("#questions .question-stem .bilingual").first
    return (stem.locator(".bilingual-zh").bounding_box(), stem.locator(".bilingual-en").bounding_box())


def test_a_bilingual_paper_is_side_by_side_on_a_laptop_and_stacked_on_a_phone(bilingual_exam, page, screenshot):
    sign_in(page, "bi1")
    page.goto("/exam/")
    page.get_by_test_id("exam-card").filter(has_text=bilingual_exam).get_by_role("button", name="开始考试").click()
    page.wait_for_url("**/exam/attempts/*")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"  # the interface keeps its language
    assert page.get_by_text("剩余时间").is_visible()
    first = page.locator("#questions .exam-q").first
    assert CJK.search(first.locator(".bilingual-zh").first.inner_text())
    assert re.search(r"[A-Za-z]{3}", first.locator(".bilingual-en").first.inner_text())
    # The options in both languages too (an option written alike in both, "502", is shown once).
    assert page.locator("#questions .exam-option .bilingual").count() >= 1
    plain = page.locator("#questions .exam-option").filter(has_not=page.locator(".bilingual")).all_inner_texts()
    assert not any(CJK.search(t) for t in plain), "an option shown in Chinese only"
    zh, en = _boxes(page)
    assert en["x"] > zh["x"] + zh["width"] - 1 and abs(en["y"] - zh["y"]) < 4, "not side by side on a laptop"
    screenshot("bilingual-laptop", full_page=False)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    zh, en = _boxes(page)
    assert en["y"] >= zh["y"] + zh["height"] - 1 and abs(en["x"] - zh["x"]) < 4, "not stacked on a phone"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width} px)"
    screenshot("bilingual-phone", full_page=False)
