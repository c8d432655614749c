"""Issue 16, English papers: an exam has a language (Chinese, English, or both side by side); an
English or bilingual exam draws only items with English text, its blueprint check says which quota
falls short for want of English, and the candidate's pages render the exam's language."""

import re
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from sqlalchemy import select

from core import clock
from core.errors import DomainError
from exam import rules, services
from exam.models import Attempt, Exam, ExamLanguage
from question_bank import services as qb
from question_bank import wording
from question_bank.models import QuestionStatus, QuestionVersion
from tests.exam.conftest import _fill, _multiple, _single, _true_false
from tests.exam.test_views import config_of, start_page

# --- the rules: which questions have English, and which words a page shows ----------------------


def _version(**overrides):
    fields = {"stem": "交换机的作用？", "stem_en": "What does a switch do?", "explanation": "转发帧。",
              "explanation_en": "It forwards frames.",
              "options": [{"key": "A", "text": "转发", "text_en": "Forward"},
                          {"key": "B", "text": "路由", "text_en": None}]}
    fields.update(overrides)
    return SimpleNamespace(**fields)


def test_a_question_has_english_only_with_an_english_stem_and_every_option_in_english():
    options = [{"key": "A", "text": "甲", "text_en": "One"}, {"key": "B", "text": "乙", "text_en": "Two"}]
    assert wording.has_english("Which one?", options)
    assert wording.has_english("True or false?", [])  # a type without options
    assert not wording.has_english(None, options) and not wording.has_english("   ", options)
    assert not wording.has_english("Which one?", [options[0], {"key": "B", "text": "乙", "text_en": " "}])
    assert not wording.has_english("Which one?", [options[0], {"key": "B", "text": "乙"}])


def test_qtext_gives_chinese_english_or_both_escaped():
    v = _version(stem="<b>交换机</b>的作用？")
    assert wording.qtext(v, "stem", "zh") == "&lt;b&gt;交换机&lt;/b&gt;的作用？"
    assert str(wording.qtext(v, "stem", "en")) == '<span lang="en">What does a switch do?</span>'
    both = str(wording.qtext(v, "stem", "both"))
    assert 'class="bilingual"' in both and both.index("交换机") < both.index("What does a switch do?")
    assert "<b>" not in both  # the Chinese is escaped in the bilingual box too
    assert "Forward" in wording.qtext(v, "option", "en", key="A")
    assert wording.qtext(v, "option", "en", key="B") == "路由"  # no English: the Chinese, not a blank
    assert wording.qtext(v, "option", "both", key="B") == "路由"  # and no empty English half
    assert "It forwards frames." in wording.qtext(v, "explanation", ExamLanguage.BOTH)
    assert wording.qtext(v, "stem", "fr") == wording.qtext(v, "stem", "zh")
    assert isinstance(wording.qtext(v, "stem", "en"), Markup)
    with pytest.raises(ValueError):
        wording.qtext(v, "answer", "en")


def test_an_english_shortfall_counts_the_items_that_lack_english():
    pool = [rules.PoolItem(i, "single", 1, "junior", 1, ("A", "B"), english=i <= 3) for i in range(1, 9)]
    sections = [rules.Section(1, "single", rules.Decimal("1"), (rules.Quota(5),))]
    assert rules.shortfalls(sections, pool) == []  # in Chinese the pool is enough
    assert rules.shortfalls(sections, pool, english_only=True) == [rules.Shortfall(1, 0, 5, 3, 5)]


def test_the_exam_language_is_labelled_and_chinese_by_default(db, make_exam, frozen_clock):
    exam = make_exam(publish=False)
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).language is ExamLanguage.ZH
    assert [str(label) for _, label in ExamLanguage.pairs()] == ["中文", "English", "中英对照"]
    assert not ExamLanguage.ZH.needs_english and ExamLanguage.BOTH.needs_english
    assert ExamLanguage.EN.page_locale == "en" and ExamLanguage.BOTH.page_locale is None


# --- the draw --------------------------------------------------------------------------------------


def _english(data: dict, i: int) -> dict:
    data = dict(data, stem_en=f"English {data['type']} question {i} (no. {i * 7})?",
                explanation_en="An English explanation.")
    data["options"] = [dict(o, text_en=f"Option {o['key']} of {i}") for o in data["options"]]
    return data


@pytest.fixture
def english_items(db, bank):
    """English versions beside the Chinese-only bank: 8 single, 4 multiple, 4 true/false and 1
    fill-in (the exams of make_exam need 8, 4, 4 and 2)."""

    def add(maker, numbers):
        made = [qb.create_question(db.session, data=_english(maker(i), i), actor=None, status=QuestionStatus.ACTIVE)
                for i in numbers]
        db.session.commit()
        return made

    made = _Made(add(_single, range(100, 108)) + add(_multiple, range(100, 104)) + add(_true_false, range(100, 104)))
    made += add(_fill, [100])
    made.add_fill = lambda: add(_fill, [101])
    return made


class _Made(list):
    """The English questions made, and `add_fill()` to add the one fill-in question they lack."""


@pytest.fixture
def english_bank(english_items):
    return english_items


def test_an_english_exam_draws_only_items_with_english_and_says_which_quota_falls_short(
        db, make_exam, english_bank, create_user, frozen_clock):
    exam = make_exam(publish=False, language=ExamLanguage.EN)
    short = services.shortfalls(db.session, exam)
    assert [(s.needed, s.available, s.chinese_only) for s in short] == [(2, 1, 4)]
    message = services.describe_shortfall(exam, short[0])
    assert "英文" in message and re.search(r"4\D+2\D+1\D+4", message)  # section 4 needs 2, has 1, 4 lack English
    with pytest.raises(DomainError) as refused:
        services.publish(db.session, exam=exam, actor=None, now=clock.now())
    assert str(refused.value.message) == message and exam.pool is None
    chinese = make_exam(publish=False)
    assert services.shortfalls(db.session, chinese) == []  # the same blueprint in Chinese is fine

    english_bank.add_fill()
    services.publish(db.session, exam=exam, actor=None, now=clock.now())
    frozen = db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(exam.pool))).all()
    assert len(frozen) == 18 and all(wording.has_english(v.stem_en, v.options) for v in frozen)
    papers = [services.generate_paper(db.session, exam=exam, user=create_user("candidate"), seed=str(n))
              for n in range(5)]
    for paper in papers:
        assert all(item.version.stem_en for item in paper.items)
        assert services.regenerate(db.session, paper) == [
            rules.DrawnItem(i.position, i.section_id, i.question_version_id, tuple(i.option_order), i.points)
            for i in paper.items]


def test_a_bilingual_exam_also_needs_english_and_a_chinese_exam_draws_from_everything(
        db, make_exam, english_bank, frozen_clock):
    both = make_exam(publish=False, language=ExamLanguage.BOTH)
    assert len(services.shortfalls(db.session, both)) == 1
    chinese = make_exam(publish=False)
    everything = services.current_pool_ids(db.session, chinese)
    english = services.current_pool_ids(db.session, both)
    assert len(everything) == 28 + 17 and len(english) == 17 and set(english) < set(everything)


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def english_exam(db, make_exam, english_bank, frozen_clock):
    english_bank.add_fill()

    def make(user, language=ExamLanguage.EN):
        return make_exam([user], language=language)

    return make


def _attempt(db):
    return db.session.scalar(select(Attempt))


def test_an_english_exam_page_is_in_english_for_a_candidate_whose_interface_is_chinese(client, login_as, db,
                                                                                       english_exam):
    user = login_as("candidate")
    exam = english_exam(user)
    assert "English" in client.get("/exam/").get_data(as_text=True)  # the card says the paper's language
    url = start_page(client, exam)
    html = client.get(url).get_data(as_text=True)
    attempt = _attempt(db)
    assert '<html lang="en"' in html and "Time left" in html and "Submit" in html and "剩余时间" not in html
    for item in attempt.paper.items:
        v = item.version
        assert v.stem_en in html and v.stem not in html
        for option in v.options:
            assert option["text_en"] in html and option["text"] not in html
    assert "explanation" not in html and "An English explanation." not in html  # no key on the paper
    config = config_of(html)
    client.submit(f"{url}/submit")
    receipt = client.get(f"{url}/receipt").get_data(as_text=True)
    assert "Your exam has been submitted" in receipt and "Digest of your answers" in receipt
    assert "您的" not in receipt and config["receipt_url"].endswith("/receipt")
    assert "exam-config" not in client.get("/exam/").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans"' in home  # the rest of the site keeps the candidate's language

    services.release_results(db.session, exam=exam, actor=None, now=clock.now())
    db.session.commit()
    result = client.get(f"{url}/result").get_data(as_text=True)
    assert "Score" in result and "Review" in result and "An English explanation." in result
    assert attempt.paper.items[0].version.stem_en in result and attempt.paper.items[0].version.stem not in result


def test_a_json_refusal_of_an_english_exam_is_in_english(client, login_as, db, english_exam, frozen_clock):
    user = login_as("candidate")
    exam = english_exam(user)
    config = config_of(client.get(start_page(client, exam)).get_data(as_text=True))
    frozen_clock.advance(minutes=61)
    item = _attempt(db).paper.items[0]
    body = client.post(config["save_url"], json={"saves": [{"item": item.id, "response": None, "seq": 1}]},
                       headers={"X-CSRFToken": client.csrf_token()}).get_json()
    assert body["closed"] is True and re.search(r"[A-Za-z]{4}", body["message"])
    assert not re.search(r"[\u4e00-\u9fff]", body["message"])


def test_a_bilingual_exam_shows_the_chinese_with_the_english_beside_it(client, login_as, db, english_exam):
    user = login_as("candidate")
    exam = english_exam(user, ExamLanguage.BOTH)
    url = start_page(client, exam)
    html = client.get(url).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in html and "剩余时间" in html  # the chrome stays in the user's language
    for item in _attempt(db).paper.items:
        v = item.version
        assert v.stem in html and v.stem_en in html and html.index(v.stem) < html.index(v.stem_en)
    assert html.count('class="bilingual"') >= len(_attempt(db).paper.items)
    client.submit(f"{url}/submit")
    assert "您的" in client.get(f"{url}/receipt").get_data(as_text=True) or "已交卷" in client.get(
        f"{url}/receipt").get_data(as_text=True)
    services.release_results(db.session, exam=exam, actor=None, now=clock.now())
    db.session.commit()
    result = client.get(f"{url}/result").get_data(as_text=True)
    assert "示例解析" in result and "An English explanation." in result


def test_a_chinese_exam_page_is_unchanged(client, login_as, db, english_exam):
    user = login_as("candidate")
    exam = english_exam(user, ExamLanguage.ZH)
    html = client.get(start_page(client, exam)).get_data(as_text=True)
    assert 'class="bilingual"' not in html and '<html lang="zh-Hans"' in html
    for item in _attempt(db).paper.items:
        assert item.version.stem in html
        if item.version.stem_en:
            assert item.version.stem_en not in html


# --- the settings ------------------------------------------------------------------------------


def _settings(now, **overrides):
    from datetime import timedelta

    data = {"title": "International theory test", "event": "2026 competition", "level": "junior",
            "language": "en", "duration_minutes": "60",
            "opens_at": (now + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M"),
            "pass_score": "60", "review_policy": "never", "multiple_rule": "partial", "partial_fraction": "0.5",
            "grace_seconds": "15", "shuffle_questions": "y", "shuffle_options": "y"}
    data.update(overrides)
    return data


def test_the_settings_form_sets_the_language_and_refuses_an_unknown_one(client, login_as, db, english_bank,
                                                                        frozen_clock):
    login_as("admin")
    now = clock.now()
    form = client.get("/exam/admin/new").get_data(as_text=True)
    assert 'name="language"' in form and "中英对照" in form and ">zh<" not in form
    refused = client.submit("/exam/admin/new", _settings(now, language="fr"))
    assert refused.status_code == 200 and db.session.scalar(select(Exam)) is None
    assert 'is-invalid' in refused.get_data(as_text=True)
    response = client.submit("/exam/admin/new", _settings(now))
    assert response.status_code == 302, response.get_data(as_text=True)
    exam = db.session.scalar(select(Exam))
    assert exam.language is ExamLanguage.EN
    url = f"/exam/admin/{exam.public_id}"
    assert "English" in client.get(url).get_data(as_text=True)
    client.submit(f"{url}/sections", {"type": "fill_blank", "points": "2", "count_0": "3"})
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="shortfalls"' in page and "英文" in page  # the shortfall names the missing English
    settings = client.get(f"{url}/settings").get_data(as_text=True)
    assert re.search(r'<option selected value="en">|<option value="en" selected>', settings)


def test_the_sealed_paper_of_an_english_exam_s_waiting_room_is_in_english(client, login_as, db, english_exam,
                                                                          create_user, frozen_clock):
    from datetime import timedelta

    from exam import halls, seal
    from tests.exam.test_sync_start import _sealed

    user = login_as("candidate")
    exam = english_exam(user)
    hall = halls.add_hall(db.session, exam=exam, name="International hall", room="A201", seats=30, actor=None)
    halls.seat(db.session, hall=hall, usernames=[user.username], actor=None)
    starts = clock.now() + timedelta(minutes=20)
    halls.set_start(db.session, hall=hall, starts_at=starts, actor=None, now=clock.now())
    db.session.commit()
    page = client.get(start_page(client, exam)).get_data(as_text=True)
    assert 'data-testid="waiting-room"' in page and "Waiting room" in page and '<html lang="en"' in page
    config, box = config_of(page), _sealed(page)
    frozen_clock.now = starts
    frozen_clock.advance(seconds=0)
    opened = seal.unseal(box, client.get(config["key_url"]).get_json()["key"], bound_to=_attempt(db).public_id)
    for item in _attempt(db).paper.items:
        assert item.version.stem_en in opened and item.version.stem not in opened
    assert "Flag for review" in opened and "标记" not in opened
